#!/usr/bin/env python3
"""INTELLIGENT_TIERING's archive access tiers through boto3 at its default settings, the AWS
CLI and ferry's own clients: configurations kept, answered, listed and removed as S3 does (and
refused with its codes); objects not read for the configured days moved to the Archive Access
and then the Deep Archive Access tier (x-amz-archive-status, GET refused, bytes moved to the
--archive directory), objects read meanwhile left where they are, restores without Days that
move an object back for good, and cp and restore meeting such objects. A day is 50 ms here, so
90 days take 4.5 s."""
import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

import botocore.exceptions

import s3raw
from ferrytest import FERRY_BIN, FerryServer, main, start_mount, wait_for

DAY = 0.05


class Case(unittest.TestCase):
    def setUp(self):
        self.cold = tempfile.mkdtemp(prefix="ferry-cold-")
        self.events = tempfile.NamedTemporaryFile(suffix=".jsonl")
        self.srv = FerryServer(extra_args=[
            "--restore-time", "expedited=1s,standard=2s,bulk=30s",
            "--lifecycle-day", "50ms", "--archive", self.cold,
            "--events", self.events.name]).start()
        self.s3 = self.srv.default_boto3_client()
        self.bucket = "tiers"
        self.s3.create_bucket(Bucket=self.bucket)

    def tearDown(self):
        self.srv.cleanup()
        shutil.rmtree(self.cold, ignore_errors=True)

    def error(self, fn, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(**kwargs)
        r = cm.exception.response
        return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]

    def configure(self, config_id, tierings, prefix=None, status="Enabled"):
        config = {"Id": config_id, "Status": status,
                  "Tierings": [{"AccessTier": t, "Days": d} for t, d in tierings]}
        if prefix is not None:
            config["Filter"] = {"Prefix": prefix}
        return self.s3.put_bucket_intelligent_tiering_configuration(
            Bucket=self.bucket, Id=config_id, IntelligentTieringConfiguration=config)

    def archive_status(self, key):
        return self.s3.head_object(Bucket=self.bucket, Key=key).get("ArchiveStatus")


class Configurations(Case):
    def test_configurations_are_kept_answered_listed_and_removed(self):
        self.assertEqual(self.error(self.s3.get_bucket_intelligent_tiering_configuration,
                                    Bucket=self.bucket, Id="raw"), ("NoSuchConfiguration", 404))
        self.assertEqual(self.s3.list_bucket_intelligent_tiering_configurations(
            Bucket=self.bucket).get("IntelligentTieringConfigurationList", []), [])
        self.configure("raw", [("ARCHIVE_ACCESS", 90), ("DEEP_ARCHIVE_ACCESS", 180)], "raw/")
        self.s3.put_bucket_intelligent_tiering_configuration(
            Bucket=self.bucket, Id="tagged", IntelligentTieringConfiguration={
                "Id": "tagged", "Status": "Disabled",
                "Filter": {"And": {"Prefix": "logs/", "Tags": [{"Key": "cold", "Value": "1"}]}},
                "Tierings": [{"AccessTier": "DEEP_ARCHIVE_ACCESS", "Days": 365}]})
        got = self.s3.get_bucket_intelligent_tiering_configuration(
            Bucket=self.bucket, Id="raw")["IntelligentTieringConfiguration"]
        self.assertEqual(got["Id"], "raw")
        self.assertEqual(got["Filter"], {"Prefix": "raw/"})
        self.assertEqual(got["Status"], "Enabled")
        self.assertEqual(sorted((t["AccessTier"], t["Days"]) for t in got["Tierings"]),
                         [("ARCHIVE_ACCESS", 90), ("DEEP_ARCHIVE_ACCESS", 180)])
        listed = self.s3.list_bucket_intelligent_tiering_configurations(Bucket=self.bucket)
        self.assertFalse(listed["IsTruncated"])
        by_id = {c["Id"]: c for c in listed["IntelligentTieringConfigurationList"]}
        self.assertEqual(set(by_id), {"raw", "tagged"})
        self.assertEqual(by_id["tagged"]["Filter"]["And"]["Tags"], [{"Key": "cold", "Value": "1"}])
        # Put again under the same id: replaced, not added.
        self.configure("raw", [("ARCHIVE_ACCESS", 120)])
        self.assertEqual(len(self.s3.list_bucket_intelligent_tiering_configurations(
            Bucket=self.bucket)["IntelligentTieringConfigurationList"]), 2)
        self.s3.delete_bucket_intelligent_tiering_configuration(Bucket=self.bucket, Id="raw")
        self.assertEqual(self.error(self.s3.get_bucket_intelligent_tiering_configuration,
                                    Bucket=self.bucket, Id="raw"), ("NoSuchConfiguration", 404))
        self.assertEqual(self.error(self.s3.delete_bucket_intelligent_tiering_configuration,
                                    Bucket=self.bucket, Id="raw"), ("NoSuchConfiguration", 404))
        # The AWS CLI reads the same.
        out = json.loads(self.srv.aws("s3api", "list-bucket-intelligent-tiering-configurations",
                                      "--bucket", self.bucket).stdout)
        self.assertEqual([c["Id"] for c in out["IntelligentTieringConfigurationList"]],
                         ["tagged"])

    def test_what_s3_refuses_is_refused_with_its_codes(self):
        for tierings in ([("ARCHIVE_ACCESS", 89)], [("DEEP_ARCHIVE_ACCESS", 179)],
                         [("ARCHIVE_ACCESS", 731)],
                         [("ARCHIVE_ACCESS", 200), ("DEEP_ARCHIVE_ACCESS", 190)]):
            self.assertEqual(self.error(self.configure, config_id="c", tierings=tierings),
                             ("InvalidArgument", 400), tierings)
        self.assertEqual(self.error(self.configure, config_id="c",
                                    tierings=[("ARCHIVE_ACCESS", 90), ("ARCHIVE_ACCESS", 100)]),
                         ("MalformedXML", 400))
        self.assertEqual(self.error(self.configure, config_id="c",
                                    tierings=[("FREQUENT_ACCESS", 90)]), ("MalformedXML", 400))
        # An Id other than the one in the URL, and what boto3 would not send.
        self.assertEqual(self.error(
            self.s3.put_bucket_intelligent_tiering_configuration, Bucket=self.bucket, Id="a",
            IntelligentTieringConfiguration={"Id": "b", "Status": "Enabled", "Tierings": [
                {"AccessTier": "ARCHIVE_ACCESS", "Days": 90}]}), ("InvalidArgument", 400))
        for body in (b"<IntelligentTieringConfiguration><Id>c</Id>",
                     b"<IntelligentTieringConfiguration><Id>c</Id><Status>On</Status><Tiering>"
                     b"<AccessTier>ARCHIVE_ACCESS</AccessTier><Days>90</Days></Tiering>"
                     b"</IntelligentTieringConfiguration>",
                     b"<IntelligentTieringConfiguration><Id>c</Id><Status>Enabled</Status>"
                     b"</IntelligentTieringConfiguration>"):
            status, _, answer = s3raw.signed_request(
                self.srv, "PUT", "/" + self.bucket, query="id=c&intelligent-tiering", body=body)
            self.assertEqual(status, 400, answer)
            self.assertIn(b"<Code>MalformedXML</Code>", answer)
        status, _, answer = s3raw.signed_request(
            self.srv, "PUT", "/" + self.bucket, query="intelligent-tiering", body=b"<x/>")
        self.assertEqual(status, 400, answer)  # no id
        # At most 1,000 per bucket.
        config = (b"<IntelligentTieringConfiguration><Id>%d</Id><Status>Enabled</Status>"
                  b"<Tiering><AccessTier>ARCHIVE_ACCESS</AccessTier><Days>90</Days></Tiering>"
                  b"</IntelligentTieringConfiguration>")
        for i in range(1000):
            status, _, answer = s3raw.signed_request(
                self.srv, "PUT", "/" + self.bucket, query="id=%d&intelligent-tiering" % i,
                body=config % i)
            self.assertEqual(status, 200, answer)
        self.assertEqual(self.error(self.configure, config_id="one-more",
                                    tierings=[("ARCHIVE_ACCESS", 90)]),
                         ("TooManyConfigurations", 400))


class Tiering(Case):
    def test_idle_objects_go_to_the_archive_tiers_and_a_restore_brings_them_back(self):
        body = os.urandom(300 << 10)
        for key in ("raw/idle", "raw/read", "other/idle"):
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body,
                               StorageClass="INTELLIGENT_TIERING")
        self.s3.put_object(Bucket=self.bucket, Key="raw/standard", Body=b"s")
        self.configure("raw", [("ARCHIVE_ACCESS", 90), ("DEEP_ARCHIVE_ACCESS", 180)], "raw/")
        # 90 days are 4.5 s: raw/read is read every half day... of S3's; every 0.5 s here.
        deadline = time.time() + 30
        while self.archive_status("raw/idle") is None:
            self.assertLess(time.time(), deadline, "raw/idle not archived in time")
            self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="raw/read")["Body"].read(),
                             body)
            time.sleep(0.5)
        self.assertEqual(self.archive_status("raw/idle"), "ARCHIVE_ACCESS")
        self.assertIsNone(self.archive_status("raw/read"))
        self.assertIsNone(self.archive_status("other/idle"))
        self.assertIsNone(self.archive_status("raw/standard"))
        head = self.s3.head_object(Bucket=self.bucket, Key="raw/idle")
        self.assertEqual(head["StorageClass"], "INTELLIGENT_TIERING")
        self.assertEqual(self.error(self.s3.get_object, Bucket=self.bucket, Key="raw/idle"),
                         ("InvalidObjectState", 403))
        listed = {o["Key"]: o["StorageClass"]
                  for o in self.s3.list_objects_v2(Bucket=self.bucket)["Contents"]}
        self.assertEqual(listed["raw/idle"], "INTELLIGENT_TIERING")
        # Its bytes leave for the archive directory.
        wait_for(lambda: any(files for _, _, files in os.walk(self.cold)),
                 what="bytes in the archive directory")
        # Then deeper, at 180 days.
        wait_for(lambda: self.archive_status("raw/idle") == "DEEP_ARCHIVE_ACCESS",
                 what="DEEP_ARCHIVE_ACCESS")
        out = json.loads(self.srv.aws("s3api", "head-object", "--bucket", self.bucket, "--key",
                                      "raw/idle").stdout)
        self.assertEqual(out["ArchiveStatus"], "DEEP_ARCHIVE_ACCESS")
        stat = json.loads(subprocess.run(
            [FERRY_BIN, "stat", "--json", "s3://%s/raw/idle" % self.bucket],
            env=self.srv.client_env(), capture_output=True, text=True, check=True).stdout)
        self.assertEqual((stat["storage_class"], stat["archive_status"]),
                         ("INTELLIGENT_TIERING", "DEEP_ARCHIVE_ACCESS"))
        # Restores take no Days, and Deep Archive Access has no Expedited tier.
        self.assertEqual(self.error(self.s3.restore_object, Bucket=self.bucket, Key="raw/idle",
                                    RestoreRequest={"Days": 1}), ("InvalidArgument", 400))
        self.assertEqual(self.error(self.s3.restore_object, Bucket=self.bucket, Key="raw/idle",
                                    RestoreRequest={"GlacierJobParameters": {
                                        "Tier": "Expedited"}}), ("InvalidArgument", 400))
        self.assertEqual(self.error(self.s3.restore_object, Bucket=self.bucket,
                                    Key="other/idle", RestoreRequest={}),
                         ("InvalidObjectState", 403))
        r = self.s3.restore_object(Bucket=self.bucket, Key="raw/idle", RestoreRequest={})
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 202)
        head = self.s3.head_object(Bucket=self.bucket, Key="raw/idle")
        self.assertEqual(head["Restore"], 'ongoing-request="true"')
        self.assertEqual(head["ArchiveStatus"], "DEEP_ARCHIVE_ACCESS")
        self.assertEqual(self.error(self.s3.restore_object, Bucket=self.bucket, Key="raw/idle",
                                    RestoreRequest={}), ("RestoreAlreadyInProgress", 409))
        wait_for(lambda: self.archive_status("raw/idle") is None, what="the restore")
        got = self.s3.get_object(Bucket=self.bucket, Key="raw/idle")
        self.assertEqual(got["Body"].read(), body)
        self.assertNotIn("Restore", got)
        self.assertEqual(self.error(self.s3.restore_object, Bucket=self.bucket, Key="raw/idle",
                                    RestoreRequest={}), ("InvalidObjectState", 403))
        with open(self.events.name) as f:
            tiered = [(e["key"], e["storageClass"]) for e in map(json.loads, f)
                      if e["eventName"] == "IntelligentTiering"]
        # (raw/read idled too once no longer read, later.)
        self.assertEqual(tiered[0], ("raw/idle", "ARCHIVE_ACCESS"))
        self.assertIn(("raw/idle", "DEEP_ARCHIVE_ACCESS"), tiered)

    def test_ferry_cp_and_restore_meet_archived_objects(self):
        self.s3.put_object(Bucket=self.bucket, Key="set/a", Body=b"a" * 1000,
                           StorageClass="INTELLIGENT_TIERING")
        self.s3.put_object(Bucket=self.bucket, Key="set/b", Body=b"b" * 1000,
                           StorageClass="INTELLIGENT_TIERING")
        self.configure("set", [("ARCHIVE_ACCESS", 90)], "set/a")
        wait_for(lambda: self.archive_status("set/a") == "ARCHIVE_ACCESS", what="archived")
        dest = tempfile.mkdtemp(prefix="ferry-it-")
        self.addCleanup(shutil.rmtree, dest, True)
        env = self.srv.client_env()
        r = subprocess.run([FERRY_BIN, "cp", "-r", "s3://%s/set/" % self.bucket, dest],
                           env=env, capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("s3://%s/set/a" % self.bucket, r.stderr)
        self.assertEqual(sorted(os.listdir(dest)), ["b"])
        # `ferry restore` asks without Days (the other object is not archived: counted).
        r = subprocess.run([FERRY_BIN, "restore", "s3://%s/set/" % self.bucket, "--json"],
                           env=env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        summary = json.loads(r.stdout)
        self.assertEqual(summary["requested"], 1, summary)
        self.assertEqual(summary["not_archived"], 1, summary)
        # cp --restore waits for it and copies.
        self.configure("set", [("ARCHIVE_ACCESS", 90)], "nothing/")
        r = subprocess.run([FERRY_BIN, "cp", "-r", "--restore", "s3://%s/set/" % self.bucket,
                            dest], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(dest, "a"), "rb") as f:
            self.assertEqual(f.read(), b"a" * 1000)


@unittest.skipUnless(os.path.exists("/dev/fuse") and shutil.which("fusermount3"),
                     "FUSE is not available")
class Mount(Case):
    def mount(self, name, *flags):
        mnt = os.path.join(self.cold + "-mnt", name)
        self.addCleanup(shutil.rmtree, self.cold + "-mnt", True)
        log = start_mount(self, [FERRY_BIN, "mount", "s3://%s/data" % self.bucket, mnt,
                                 "--foreground", "--cache-dir", mnt + "-cache", *flags],
                          self.srv.client_env(), mnt, mnt + ".log")
        return mnt, log

    def test_an_archived_file_fails_its_open_then_reads_once_restored(self):
        body = os.urandom(1 << 20)
        self.s3.put_object(Bucket=self.bucket, Key="data/shard-0", Body=body,
                           StorageClass="INTELLIGENT_TIERING")
        self.configure("data", [("ARCHIVE_ACCESS", 90)], "data/")
        wait_for(lambda: self.archive_status("data/shard-0") == "ARCHIVE_ACCESS", what="archived")
        self.s3.delete_bucket_intelligent_tiering_configuration(Bucket=self.bucket, Id="data")
        mnt, log = self.mount("err")
        path = os.path.join(mnt, "shard-0")
        self.assertEqual(os.stat(path).st_size, len(body))
        with self.assertRaises(OSError) as cm:
            open(path, "rb")
        self.assertEqual(cm.exception.errno, errno.EAGAIN)
        log.seek(0)
        self.assertIn("is archived: restore requested (Standard tier)", log.read())
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="data/shard-0")["Restore"],
                         'ongoing-request="true"')
        wait_for(lambda: self.archive_status("data/shard-0") is None, what="the restore")
        with open(path, "rb") as f:
            self.assertEqual(f.read(), body)


if __name__ == "__main__":
    main()
