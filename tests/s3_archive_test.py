#!/usr/bin/env python3
"""The archive tier's API through boto3 at its default settings and the AWS CLI: bucket
lifecycle configurations stored, answered and removed as S3 does (each malformed or refused one
with S3's code); objects stored as GLACIER or DEEP_ARCHIVE that cannot be read until restored,
RestoreObject's state machine (202, 409, a faster tier overtaking, 200 extending, 403 for what
is not archived), x-amz-restore on HEAD and GET, RestoreStatus in listings, and bad requests.
Restores are timed by --restore-time and Days by --lifecycle-day, so that hours take seconds."""
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

import botocore.exceptions

import s3raw
from ferrytest import FERRY_BIN, FerryServer, main

SRV = None


EVENTS = None


def setUpModule():
    global SRV, EVENTS
    EVENTS = tempfile.NamedTemporaryFile(suffix=".jsonl")
    SRV = FerryServer(extra_args=["--restore-time", "expedited=1s,standard=3s,bulk=30s",
                                  "--lifecycle-day", "4s", "--events", EVENTS.name]).start()


def events(bucket):
    with open(EVENTS.name) as f:
        return [e for e in map(json.loads, f) if e["bucket"] == bucket]


def tearDownModule():
    if SRV:
        SRV.cleanup()


class Case(unittest.TestCase):
    def setUp(self):
        self.s3 = SRV.default_boto3_client()
        self.bucket = ("ar-" + self._testMethodName[5:].replace("_", "-")[:40]).rstrip("-")
        self.s3.create_bucket(Bucket=self.bucket)

    def error(self, fn, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(**kwargs)
        r = cm.exception.response
        return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


class Lifecycle(Case):
    def put(self, rules):
        return self.s3.put_bucket_lifecycle_configuration(
            Bucket=self.bucket, LifecycleConfiguration={"Rules": rules})

    def test_a_configuration_is_kept_answered_and_removed(self):
        self.assertEqual(self.error(self.s3.get_bucket_lifecycle_configuration,
                                    Bucket=self.bucket), ("NoSuchLifecycleConfiguration", 404))
        rules = [
            {"ID": "checkpoints", "Status": "Enabled",
             "Filter": {"And": {"Prefix": "ckpt/", "Tags": [{"Key": "done", "Value": "yes"}],
                                "ObjectSizeGreaterThan": 1024}},
             "Transitions": [{"Days": 7, "StorageClass": "GLACIER"},
                             {"Days": 90, "StorageClass": "DEEP_ARCHIVE"}],
             "Expiration": {"Days": 365},
             "NoncurrentVersionExpiration": {"NoncurrentDays": 3}},
            {"ID": "uploads", "Status": "Disabled", "Filter": {"Prefix": ""},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}},
            {"ID": "dated", "Status": "Enabled", "Filter": {"Prefix": "old/"},
             "Expiration": {"Date": datetime.datetime(2030, 1, 1,
                                                      tzinfo=datetime.timezone.utc)}},
        ]
        self.put(rules)
        got = self.s3.get_bucket_lifecycle_configuration(Bucket=self.bucket)["Rules"]
        self.assertEqual([r["ID"] for r in got], ["checkpoints", "uploads", "dated"])
        self.assertEqual(got[0]["Filter"]["And"]["Prefix"], "ckpt/")
        self.assertEqual(got[0]["Filter"]["And"]["ObjectSizeGreaterThan"], 1024)
        self.assertEqual([t["StorageClass"] for t in got[0]["Transitions"]],
                         ["GLACIER", "DEEP_ARCHIVE"])
        self.assertEqual(got[0]["NoncurrentVersionExpiration"]["NoncurrentDays"], 3)
        self.assertEqual(got[1]["Status"], "Disabled")
        self.assertEqual(got[2]["Expiration"]["Date"].year, 2030)
        # The AWS CLI reads the same document, and a new one replaces it whole.
        out = json.loads(SRV.aws("s3api", "get-bucket-lifecycle-configuration", "--bucket",
                                  self.bucket).stdout)
        self.assertEqual(len(out["Rules"]), 3)
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump({"Rules": [{"ID": "one", "Status": "Enabled", "Filter": {},
                                  "Expiration": {"Days": 1}}]}, f)
            f.flush()
            SRV.aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", self.bucket,
                    "--lifecycle-configuration", "file://" + f.name)
        got = self.s3.get_bucket_lifecycle_configuration(Bucket=self.bucket)["Rules"]
        self.assertEqual([r["ID"] for r in got], ["one"])
        self.s3.delete_bucket_lifecycle(Bucket=self.bucket)
        self.assertEqual(self.error(self.s3.get_bucket_lifecycle_configuration,
                                    Bucket=self.bucket), ("NoSuchLifecycleConfiguration", 404))

    def test_configurations_s3_refuses_are_refused_with_its_codes(self):
        def code(rules):
            return self.error(self.s3.put_bucket_lifecycle_configuration, Bucket=self.bucket,
                              LifecycleConfiguration={"Rules": rules})
        expire = {"Days": 1}
        self.assertEqual(code([{"Status": "Enabled", "Filter": {}, "Expiration": {"Days": 0}}]),
                         ("InvalidArgument", 400))
        self.assertEqual(code([{"ID": "a" * 256, "Status": "Enabled", "Filter": {},
                                "Expiration": expire}]), ("InvalidArgument", 400))
        self.assertEqual(code([{"ID": "x", "Status": "Enabled", "Filter": {},
                                "Expiration": expire}] * 2), ("InvalidArgument", 400))
        self.assertEqual(code([{"Status": "Enabled", "Filter": {},
                                "Transitions": [{"Days": 1, "StorageClass": "STANDARD_IA"}]}]),
                         ("InvalidArgument", 400))
        self.assertEqual(code([{"Status": "Enabled", "Filter": {"Prefix": "a/"}}]),
                         ("InvalidRequest", 400))
        self.assertEqual(code([{"ID": str(i), "Status": "Enabled", "Filter": {},
                                "Expiration": expire} for i in range(1001)]),
                         ("InvalidRequest", 400))
        # What boto3 would not send: a status S3 does not know, a storage class it does not
        # have, and a document that is not XML.
        for body in (b"<LifecycleConfiguration><Rule><Filter/><Status>On</Status><Expiration>"
                     b"<Days>1</Days></Expiration></Rule></LifecycleConfiguration>",
                     b"<LifecycleConfiguration><Rule><Filter/><Status>Enabled</Status>"
                     b"<Transition><Days>1</Days><StorageClass>COLDEST</StorageClass>"
                     b"</Transition></Rule></LifecycleConfiguration>",
                     b"<LifecycleConfiguration><Rule>"):
            status, _, answer = s3raw.signed_request(SRV, "PUT", "/" + self.bucket,
                                                     query="lifecycle=", body=body)
            self.assertEqual(status, 400, answer)
            self.assertIn(b"<Code>MalformedXML</Code>", answer)
        # 1,000 rules are taken.
        self.put([{"ID": str(i), "Status": "Enabled", "Filter": {"Prefix": "p%d/" % i},
                   "Expiration": expire} for i in range(1000)])
        got = self.s3.get_bucket_lifecycle_configuration(Bucket=self.bucket)["Rules"]
        self.assertEqual(len(got), 1000)



class Restore(Case):
    def list_with_restore_status(self):
        # (This botocore has no OptionalObjectAttributes parameter.)
        status, _, body = s3raw.signed_request(
            SRV, "GET", "/" + self.bucket, query="list-type=2",
            headers={"x-amz-optional-object-attributes": "RestoreStatus"})
        self.assertEqual(status, 200, body)
        return body

    def restore(self, key, days=1, tier="Standard"):
        return self.s3.restore_object(
            Bucket=self.bucket, Key=key,
            RestoreRequest={"Days": days, "GlacierJobParameters": {"Tier": tier}})

    def test_an_archived_object_is_read_once_restored_until_it_expires(self):
        self.s3.put_object(Bucket=self.bucket, Key="ckpt", Body=b"weights",
                           StorageClass="GLACIER")
        head = self.s3.head_object(Bucket=self.bucket, Key="ckpt")
        self.assertEqual(head["StorageClass"], "GLACIER")
        self.assertNotIn("Restore", head)
        self.assertEqual(self.error(self.s3.get_object, Bucket=self.bucket, Key="ckpt"),
                         ("InvalidObjectState", 403))
        listed = self.s3.list_objects_v2(Bucket=self.bucket)["Contents"]
        self.assertEqual(listed[0]["StorageClass"], "GLACIER")
        # A new restore: 202, under way.
        r = self.restore("ckpt", days=1, tier="Bulk")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 202)
        stat = json.loads(subprocess.run(
            [FERRY_BIN, "stat", "--json", "s3://%s/ckpt" % self.bucket], env=SRV.client_env(),
            capture_output=True, text=True, check=True).stdout)
        self.assertEqual(stat["storage_class"], "GLACIER")
        self.assertEqual(stat["restore"], {"ongoing": True})
        head = self.s3.head_object(Bucket=self.bucket, Key="ckpt")
        self.assertEqual(head["Restore"], 'ongoing-request="true"')
        self.assertEqual(self.error(self.s3.get_object, Bucket=self.bucket, Key="ckpt"),
                         ("InvalidObjectState", 403))
        # The same or a slower tier again: 409; a faster one overtakes it.
        self.assertEqual(self.error(self.restore, key="ckpt", tier="Bulk"),
                         ("RestoreAlreadyInProgress", 409))
        self.assertIn(b"<RestoreStatus><IsRestoreInProgress>true</IsRestoreInProgress>"
                      b"</RestoreStatus>", self.list_with_restore_status())
        r = self.restore("ckpt", days=1, tier="Expedited")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 202)
        time.sleep(1.2)
        listed = self.list_with_restore_status()
        self.assertIn(b"<IsRestoreInProgress>false</IsRestoreInProgress><RestoreExpiryDate>",
                      listed)
        self.assertNotIn("RestoreStatus", self.s3.list_objects_v2(Bucket=self.bucket)["Contents"][0])
        head = self.s3.head_object(Bucket=self.bucket, Key="ckpt")
        self.assertTrue(head["Restore"].startswith('ongoing-request="false", expiry-date="'),
                        head["Restore"])
        got = self.s3.get_object(Bucket=self.bucket, Key="ckpt")
        self.assertEqual(got["Body"].read(), b"weights")
        self.assertIn("ongoing-request=\"false\"", got["Restore"])
        # Restored: asked again, 200, and the AWS CLI sees the same.
        r = self.restore("ckpt", days=2)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
        out = json.loads(SRV.aws("s3api", "head-object", "--bucket", self.bucket, "--key",
                                 "ckpt").stdout)
        self.assertIn('ongoing-request="false"', out["Restore"])
        # Days end at a day's boundary (4 s here): then it is archived again.
        deadline = time.time() + 20
        while "Restore" in self.s3.head_object(Bucket=self.bucket, Key="ckpt"):
            self.assertLess(time.time(), deadline)
            time.sleep(0.5)
        self.assertEqual(self.error(self.s3.get_object, Bucket=self.bucket, Key="ckpt"),
                         ("InvalidObjectState", 403))

    def test_the_aws_cli_restores_and_waits(self):
        self.s3.put_object(Bucket=self.bucket, Key="raw/a.bin", Body=b"a" * 1000,
                           StorageClass="DEEP_ARCHIVE")
        SRV.aws("s3api", "restore-object", "--bucket", self.bucket, "--key", "raw/a.bin",
                "--restore-request", '{"Days":1,"GlacierJobParameters":{"Tier":"Standard"}}')
        out = json.loads(SRV.aws("s3api", "head-object", "--bucket", self.bucket, "--key",
                                 "raw/a.bin").stdout)
        self.assertEqual(out["Restore"], 'ongoing-request="true"')
        time.sleep(3.2)
        dest = os.path.join(SRV.root, "a.bin")
        SRV.aws("s3api", "get-object", "--bucket", self.bucket, "--key", "raw/a.bin", dest)
        with open(dest, "rb") as f:
            self.assertEqual(f.read(), b"a" * 1000)

    def test_what_cannot_be_restored_and_bad_requests(self):
        self.s3.put_object(Bucket=self.bucket, Key="hot", Body=b"x")
        self.s3.put_object(Bucket=self.bucket, Key="instant", Body=b"x",
                           StorageClass="GLACIER_IR")
        self.s3.put_object(Bucket=self.bucket, Key="deep", Body=b"x",
                           StorageClass="DEEP_ARCHIVE")
        self.assertEqual(self.error(self.restore, key="hot"), ("InvalidObjectState", 403))
        self.assertEqual(self.error(self.restore, key="instant"), ("InvalidObjectState", 403))
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="instant")["Body"].read(),
                         b"x")
        self.assertEqual(self.error(self.restore, key="deep", tier="Expedited"),
                         ("InvalidArgument", 400))
        self.assertEqual(self.error(self.restore, key="missing"), ("NoSuchKey", 404))
        self.assertEqual(self.error(self.s3.put_object, Bucket=self.bucket, Key="frozen",
                                    Body=b"x", StorageClass="FROZEN"),
                         ("InvalidStorageClass", 400))
        for body, code in ((b"<RestoreRequest><Days>0</Days></RestoreRequest>", b"InvalidArgument"),
                           (b"<RestoreRequest><Days>1</Days><GlacierJobParameters><Tier>Fast"
                            b"</Tier></GlacierJobParameters></RestoreRequest>", b"MalformedXML"),
                           (b"<RestoreRequest>", b"MalformedXML")):
            status, _, answer = s3raw.signed_request(SRV, "POST", "/%s/deep" % self.bucket,
                                                     query="restore=", body=body)
            self.assertEqual(status, 400, answer)
            self.assertIn(b"<Code>" + code + b"</Code>", answer)
        # A copy reads its source: an archived one must be restored first.
        self.assertEqual(self.error(self.s3.copy_object, Bucket=self.bucket, Key="thawed",
                                    CopySource={"Bucket": self.bucket, "Key": "deep"}),
                         ("InvalidObjectState", 403))
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key="parted")["UploadId"]
        self.assertEqual(self.error(self.s3.upload_part_copy, Bucket=self.bucket, Key="parted",
                                    UploadId=upload, PartNumber=1,
                                    CopySource={"Bucket": self.bucket, "Key": "deep"}),
                         ("InvalidObjectState", 403))
        # A copy of a restored object is a new object: STANDARD unless told, readable.
        self.restore("deep", tier="Standard")
        time.sleep(3.2)
        self.s3.copy_object(Bucket=self.bucket, Key="thawed", CopySource={
            "Bucket": self.bucket, "Key": "deep"})
        head = self.s3.head_object(Bucket=self.bucket, Key="thawed")
        self.assertNotIn("Restore", head)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="thawed")["Body"].read(),
                         b"x")


class LifecycleApplied(Case):
    """Rules applied by the server's worker, a day being 4 s: due times round up to the next
    day boundary, so an action of Days=1 falls due 4 to 8 s after the object was written."""

    def put(self, rules):
        self.s3.put_bucket_lifecycle_configuration(
            Bucket=self.bucket, LifecycleConfiguration={"Rules": rules})

    def wait_for(self, condition, seconds=20):
        deadline = time.time() + seconds
        while not condition():
            self.assertLess(time.time(), deadline, "not applied in time")
            time.sleep(0.25)

    def head_class(self, key):
        return self.s3.head_object(Bucket=self.bucket, Key=key).get("StorageClass", "STANDARD")

    def test_transitions_archive_what_the_filter_selects_and_log_it(self):
        for key, size in (("ckpt/1", 100), ("ckpt/2", 300 << 10), ("logs/1", 100)):
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=b"c" * size)
        self.put([{"ID": "small-ckpts", "Status": "Enabled",
                   "Filter": {"And": {"Prefix": "ckpt/", "ObjectSizeLessThan": 1024}},
                   "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]},
                  {"ID": "all-ckpts", "Status": "Enabled", "Filter": {"Prefix": "ckpt/"},
                   "Transitions": [{"Days": 1, "StorageClass": "DEEP_ARCHIVE"}]}])
        # ckpt/1 is small: only the rule that bounds sizes moves it.
        self.wait_for(lambda: self.head_class("ckpt/2") == "DEEP_ARCHIVE")
        self.wait_for(lambda: self.head_class("ckpt/1") == "GLACIER")
        self.assertEqual(self.head_class("logs/1"), "STANDARD")
        self.assertEqual(self.error(self.s3.get_object, Bucket=self.bucket, Key="ckpt/2"),
                         ("InvalidObjectState", 403))
        listed = {o["Key"]: o["StorageClass"]
                  for o in self.s3.list_objects_v2(Bucket=self.bucket)["Contents"]}
        self.assertEqual(listed, {"ckpt/1": "GLACIER", "ckpt/2": "DEEP_ARCHIVE",
                                  "logs/1": "STANDARD"})
        moved = {e["key"]: (e["storageClass"], e["rule"]) for e in events(self.bucket)
                 if e["eventName"] == "LifecycleTransition"}
        self.assertEqual(moved, {"ckpt/1": ("GLACIER", "small-ckpts"),
                                 "ckpt/2": ("DEEP_ARCHIVE", "all-ckpts")})
        # A restored object is read as usual; the rule does not move it again.
        self.s3.restore_object(Bucket=self.bucket, Key="ckpt/2", RestoreRequest={
            "Days": 2, "GlacierJobParameters": {"Tier": "Standard"}})
        self.wait_for(lambda: 'ongoing-request="false"' in self.s3.head_object(
            Bucket=self.bucket, Key="ckpt/2").get("Restore", ""))
        self.assertEqual(len(self.s3.get_object(Bucket=self.bucket, Key="ckpt/2")["Body"].read()),
                         300 << 10)
        self.assertIn("ObjectRestore:Post",
                      [e["eventName"] for e in events(self.bucket) if e["key"] == "ckpt/2"])

    def test_objects_under_128_kib_stay_unless_the_filter_bounds_sizes(self):
        self.s3.put_object(Bucket=self.bucket, Key="small", Body=b"s")
        self.s3.put_object(Bucket=self.bucket, Key="large", Body=b"l" * (128 << 10))
        self.put([{"ID": "r", "Status": "Enabled", "Filter": {},
                   "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]}])
        self.wait_for(lambda: self.head_class("large") == "GLACIER")
        time.sleep(1)
        self.assertEqual(self.head_class("small"), "STANDARD")

    def test_expiration_in_a_versioned_bucket_then_noncurrent_versions_then_the_marker(self):
        self.s3.put_bucket_versioning(Bucket=self.bucket,
                                      VersioningConfiguration={"Status": "Enabled"})
        self.s3.put_object(Bucket=self.bucket, Key="run/out", Body=b"v1")
        self.s3.put_object(Bucket=self.bucket, Key="run/out", Body=b"v2")
        self.s3.put_object(Bucket=self.bucket, Key="keep/out", Body=b"k")
        self.put([{"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "run/"},
                   "Expiration": {"Days": 1},
                   "NoncurrentVersionExpiration": {"NoncurrentDays": 1}},
                  {"ID": "markers", "Status": "Enabled", "Filter": {"Prefix": "run/"},
                   "Expiration": {"ExpiredObjectDeleteMarker": True}}])

        def versions(key):
            r = self.s3.list_object_versions(Bucket=self.bucket, Prefix=key)
            return len(r.get("Versions", [])), len(r.get("DeleteMarkers", []))

        # First a delete marker hides the object; its versions go a day after they stopped
        # being current; then the marker, alone, goes too.
        self.wait_for(lambda: versions("run/out")[1] == 1 or versions("run/out") == (0, 0))
        self.assertEqual(self.error(self.s3.get_object, Bucket=self.bucket, Key="run/out"),
                         ("NoSuchKey", 404))
        self.wait_for(lambda: versions("run/out") == (0, 0), seconds=30)
        self.assertEqual(versions("keep/out"), (1, 0))
        names = [e["eventName"] for e in events(self.bucket)]
        self.assertIn("LifecycleExpiration:DeleteMarkerCreated", names)
        self.assertEqual(names.count("LifecycleExpiration:Delete"), 3)

    def test_incomplete_uploads_are_aborted(self):
        old = self.s3.create_multipart_upload(Bucket=self.bucket, Key="tmp/part")["UploadId"]
        self.s3.create_multipart_upload(Bucket=self.bucket, Key="keep/part")
        self.put([{"ID": "mpu", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
                   "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}])

        def uploads():
            return [u["Key"] for u in
                    self.s3.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])]
        self.wait_for(lambda: uploads() == ["keep/part"])
        self.assertEqual(self.error(self.s3.list_parts, Bucket=self.bucket, Key="tmp/part",
                                    UploadId=old), ("NoSuchUpload", 404))


if __name__ == "__main__":
    main()
