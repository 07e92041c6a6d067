#!/usr/bin/env python3
"""Where archived bytes live: `ferry serve --archive DIR` (a directory on another disk) and
`--archive s3://bucket/prefix` on another endpoint. Objects written as GLACIER or moved there
leave the server's disk for the tier and are read from it once restored; a version deleted
takes its archived copy with it; an unavailable directory or a failing endpoint is a clear
message and nothing is lost (retried); a server killed with -9 in the middle of moving
hundreds of objects loses none of them."""
import hashlib
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

import botocore.exceptions

from ferrytest import FerryServer, main, wait_for

TIMES = ["--restore-time", "expedited=1s,standard=2s,bulk=30s", "--lifecycle-day", "2s"]


def archived_files(directory):
    out = []
    for base, _, files in os.walk(directory):
        out += [os.path.join(base, f) for f in files if not f.endswith(".tmp")]
    return out


def restore_and_wait(s3, bucket, key, tier="Expedited"):
    s3.restore_object(Bucket=bucket, Key=key, RestoreRequest={
        "Days": 5, "GlacierJobParameters": {"Tier": tier}})
    wait_for(lambda: 'ongoing-request="false"' in s3.head_object(Bucket=bucket, Key=key).get(
        "Restore", ""), what="restore of " + key)


class DirectoryTier(unittest.TestCase):
    def setUp(self):
        self.cold = tempfile.mkdtemp(prefix="ferry-cold-")
        self.srv = FerryServer(extra_args=TIMES + ["--archive", self.cold]).start()
        self.s3 = self.srv.default_boto3_client()
        self.s3.create_bucket(Bucket="data")

    def tearDown(self):
        self.srv.cleanup()
        shutil.rmtree(self.cold, ignore_errors=True)

    def test_archived_bytes_move_to_the_directory_and_come_back_on_restore(self):
        bodies = {"tiny": b"t", "packed": os.urandom(20000), "large": os.urandom(5 << 20)}
        for key, body in bodies.items():
            self.s3.put_object(Bucket="data", Key=key, Body=body, StorageClass="GLACIER")
        self.s3.put_object(Bucket="data", Key="hot", Body=b"stays")
        wait_for(lambda: len(archived_files(self.cold)) == 3, what="3 archived files")
        sizes = sorted(os.path.getsize(f) for f in archived_files(self.cold))
        self.assertEqual(sizes, sorted(len(b) for b in bodies.values()))
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.s3.get_object(Bucket="data", Key="large")
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidObjectState")
        for key, body in bodies.items():
            restore_and_wait(self.s3, "data", key)
            got = self.s3.get_object(Bucket="data", Key=key)["Body"].read()
            self.assertEqual(hashlib.md5(got).hexdigest(), hashlib.md5(body).hexdigest(), key)
        ranged = self.s3.get_object(Bucket="data", Key="large", Range="bytes=100-199")
        self.assertEqual(ranged["Body"].read(), bodies["large"][100:200])
        # A part copied from a restored object reads the tier's copy.
        upload = self.s3.create_multipart_upload(Bucket="data", Key="assembled")["UploadId"]
        part = self.s3.upload_part_copy(Bucket="data", Key="assembled", UploadId=upload,
                                        PartNumber=1,
                                        CopySource={"Bucket": "data", "Key": "large"})
        self.s3.complete_multipart_upload(
            Bucket="data", Key="assembled", UploadId=upload, MultipartUpload={"Parts": [
                {"PartNumber": 1, "ETag": part["CopyPartResult"]["ETag"]}]})
        self.assertEqual(self.s3.get_object(Bucket="data", Key="assembled")["Body"].read(),
                         bodies["large"])
        # Copied back to STANDARD in place (how S3 makes a restore permanent): local again.
        self.s3.copy_object(Bucket="data", Key="large", StorageClass="STANDARD",
                            CopySource={"Bucket": "data", "Key": "large"})
        self.assertEqual(self.s3.get_object(Bucket="data", Key="large")["Body"].read(),
                         bodies["large"])
        wait_for(lambda: len(archived_files(self.cold)) == 2, what="the copy's old bytes gone")
        self.s3.delete_object(Bucket="data", Key="tiny")
        wait_for(lambda: len(archived_files(self.cold)) == 1, what="the deleted version's bytes")
        self.assertEqual(self.s3.get_object(Bucket="data", Key="hot")["Body"].read(), b"stays")

    def test_an_unavailable_directory_is_reported_and_nothing_is_lost(self):
        away = self.cold + "-unmounted"
        os.rename(self.cold, away)
        try:
            self.s3.put_object(Bucket="data", Key="ckpt", Body=b"weights" * 1000,
                               StorageClass="DEEP_ARCHIVE")
            wait_for(lambda: "archive: " in self.srv.stderr() and self.cold in self.srv.stderr(),
                     what="a log line naming the archive")
            self.assertIn("stay on this disk", self.srv.stderr())
            restore_and_wait(self.s3, "data", "ckpt", tier="Standard")
            self.assertEqual(self.s3.get_object(Bucket="data", Key="ckpt")["Body"].read(),
                             b"weights" * 1000)
        finally:
            os.rename(away, self.cold)
        wait_for(lambda: len(archived_files(self.cold)) == 1, what="the move, retried")
        self.assertEqual(self.s3.get_object(Bucket="data", Key="ckpt")["Body"].read(),
                         b"weights" * 1000)

    def test_a_missing_archive_directory_stops_the_server_at_start(self):
        bad = FerryServer(extra_args=["--archive", self.cold + "/not-mounted"])
        with self.assertRaises(RuntimeError) as cm:
            bad.start()
        self.assertIn("no such directory", str(cm.exception))
        bad.cleanup()

    def test_kill_9_while_moving_loses_nothing(self):
        bodies = {"obj/%03d" % i: os.urandom(256 << 10) for i in range(300)}
        # Written as STANDARD, then moved by a rule all at once.
        for key, body in bodies.items():
            self.s3.put_object(Bucket="data", Key=key, Body=body)
        self.s3.put_bucket_lifecycle_configuration(
            Bucket="data", LifecycleConfiguration={"Rules": [
                {"ID": "all", "Status": "Enabled", "Filter": {"Prefix": "obj/"},
                 "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]}]})
        wait_for(lambda: len(archived_files(self.cold)) > 20, seconds=60, what="moves begun")
        self.srv.kill9()
        self.srv.start()
        self.s3 = self.srv.default_boto3_client()
        wait_for(lambda: all(self.s3.head_object(Bucket="data", Key=k).get("StorageClass") ==
                             "GLACIER" for k in ("obj/000", "obj/299")), seconds=60,
                 what="transitions")
        wait_for(lambda: len(archived_files(self.cold)) >= 300, seconds=120, what="all moved")
        for key in ("obj/000", "obj/150", "obj/299"):
            restore_and_wait(self.s3, "data", key)
        for key, body in bodies.items():
            head = self.s3.head_object(Bucket="data", Key=key)
            if 'ongoing-request="false"' not in head.get("Restore", ""):
                self.s3.restore_object(Bucket="data", Key=key, RestoreRequest={
                    "Days": 5, "GlacierJobParameters": {"Tier": "Expedited"}})
        time.sleep(1.2)
        for key, body in bodies.items():
            got = self.s3.get_object(Bucket="data", Key=key)["Body"].read()
            self.assertEqual(got, body, key)


class EndpointTier(unittest.TestCase):
    def test_an_endpoint_holds_the_bytes_and_a_failing_one_is_retried(self):
        with FerryServer() as cold:
            cold_s3 = cold.default_boto3_client()
            cold_s3.create_bucket(Bucket="tier")
            env = dict(os.environ, **cold.client_env())
            env.pop("AWS_ENDPOINT_URL", None)
            srv = FerryServer(env=env, extra_args=TIMES + [
                "--archive", "s3://tier/ferry", "--archive-endpoint-url", cold.endpoint])
            with srv:
                s3 = srv.default_boto3_client()
                s3.create_bucket(Bucket="data")
                s3.put_object(Bucket="data", Key="a", Body=b"A" * 70000, StorageClass="GLACIER")

                def tier_keys():
                    r = cold_s3.list_objects_v2(Bucket="tier", Prefix="ferry/")
                    return [o["Key"] for o in r.get("Contents", [])]
                wait_for(lambda: len(tier_keys()) == 1, what="the object in the tier")
                self.assertTrue(tier_keys()[0].startswith("ferry/data/"))
                restore_and_wait(s3, "data", "a")
                self.assertEqual(s3.get_object(Bucket="data", Key="a")["Body"].read(),
                                 b"A" * 70000)
                # The endpoint goes away: moves fail and are retried once it is back.
                port = cold.port
                cold.stop()
                s3.put_object(Bucket="data", Key="b", Body=b"B" * 1000, StorageClass="GLACIER")
                wait_for(lambda: "archive: " in srv.stderr(), seconds=60,
                         what="a failed move logged")
                cold.listen = "127.0.0.1:%d" % port
                cold.start()
                wait_for(lambda: len(tier_keys()) == 2, seconds=60, what="the retried move")
                restore_and_wait(s3, "data", "b")
                self.assertEqual(s3.get_object(Bucket="data", Key="b")["Body"].read(),
                                 b"B" * 1000)
                s3.delete_object(Bucket="data", Key="a")
                wait_for(lambda: len(tier_keys()) == 1, what="the deleted object's copy removed")


if __name__ == "__main__":
    main()
