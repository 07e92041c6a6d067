#!/usr/bin/env python3
"""Object and bucket tags, conditional writes and Object Lock, through boto3 at its default
settings and the AWS CLI, each error path with the code S3 answers."""
import datetime
import json
import os
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

import botocore.exceptions

import s3raw
from ferrytest import FerryServer, main

SRV = None


def setUpModule():
    global SRV
    SRV = FerryServer().start()


def tearDownModule():
    if SRV:
        SRV.cleanup()


def with_headers(client, operation, headers, fn, **kwargs):
    """Calls fn with raw headers added to the request (this botocore has no parameters for
    If-None-Match and If-Match on writes), signed like the rest."""
    def add(request, **_):
        for k, v in headers.items():
            request.headers[k] = v
    event = "before-sign.s3." + operation
    client.meta.events.register(event, add, unique_id="test-headers")
    try:
        return fn(**kwargs)
    finally:
        client.meta.events.unregister(event, unique_id="test-headers")


class Case(unittest.TestCase):
    PREFIX = "t-"

    def setUp(self):
        self.s3 = SRV.default_boto3_client()
        self.bucket = (self.PREFIX + self._testMethodName[5:].replace("_", "-")[:40]).rstrip("-")

    def error(self, fn, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(**kwargs)
        r = cm.exception.response
        return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


class Tagging(Case):
    def setUp(self):
        super().setUp()
        self.s3.create_bucket(Bucket=self.bucket)

    def tags(self, key, **kw):
        r = self.s3.get_object_tagging(Bucket=self.bucket, Key=key, **kw)
        return {t["Key"]: t["Value"] for t in r["TagSet"]}

    def test_object_tags_on_put_copy_and_by_api(self):
        self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"x",
                           Tagging="project=cats&split=train%20set")
        self.assertEqual(self.tags("k"), {"project": "cats", "split": "train set"})
        head = self.s3.head_object(Bucket=self.bucket, Key="k")
        self.assertEqual(head["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"], "2")
        get = self.s3.get_object(Bucket=self.bucket, Key="k")
        self.assertEqual(get["TagCount"], 2)
        # Replaced whole by PutObjectTagging, without a new Last-Modified.
        self.s3.put_object_tagging(Bucket=self.bucket, Key="k", Tagging={"TagSet": [
            {"Key": "owner", "Value": "ml-team"}]})
        self.assertEqual(self.tags("k"), {"owner": "ml-team"})
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="k")["LastModified"],
                         head["LastModified"])
        # Copies keep the tags by default and take new ones with REPLACE.
        self.s3.copy_object(Bucket=self.bucket, Key="copy", CopySource={"Bucket": self.bucket,
                                                                        "Key": "k"})
        self.assertEqual(self.tags("copy"), {"owner": "ml-team"})
        self.s3.copy_object(Bucket=self.bucket, Key="copy2", Tagging="a=b",
                            TaggingDirective="REPLACE",
                            CopySource={"Bucket": self.bucket, "Key": "k"})
        self.assertEqual(self.tags("copy2"), {"a": "b"})
        self.s3.delete_object_tagging(Bucket=self.bucket, Key="k")
        self.assertEqual(self.tags("k"), {})
        self.assertNotIn("x-amz-tagging-count",
                         self.s3.head_object(Bucket=self.bucket, Key="k")
                         ["ResponseMetadata"]["HTTPHeaders"])
        # A new PUT starts without tags.
        self.s3.put_object_tagging(Bucket=self.bucket, Key="k",
                                   Tagging={"TagSet": [{"Key": "x", "Value": "y"}]})
        self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"again")
        self.assertEqual(self.tags("k"), {})

    def test_multipart_upload_carries_tags(self):
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key="m",
                                                 Tagging="stage=raw")["UploadId"]
        etag = self.s3.upload_part(Bucket=self.bucket, Key="m", UploadId=upload, PartNumber=1,
                                   Body=b"data")["ETag"]
        self.s3.complete_multipart_upload(Bucket=self.bucket, Key="m", UploadId=upload,
                                          MultipartUpload={"Parts": [{"PartNumber": 1,
                                                                      "ETag": etag}]})
        self.assertEqual(self.tags("m"), {"stage": "raw"})

    def test_tags_per_version(self):
        self.s3.put_bucket_versioning(Bucket=self.bucket,
                                      VersioningConfiguration={"Status": "Enabled"})
        v1 = self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"1", Tagging="v=1")["VersionId"]
        self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"2", Tagging="v=2")
        r = self.s3.put_object_tagging(Bucket=self.bucket, Key="k", VersionId=v1,
                                       Tagging={"TagSet": [{"Key": "v", "Value": "one"}]})
        self.assertEqual(r["VersionId"], v1)
        self.assertEqual(self.tags("k", VersionId=v1), {"v": "one"})
        self.assertEqual(self.tags("k"), {"v": "2"})
        marker = self.s3.delete_object(Bucket=self.bucket, Key="k")["VersionId"]
        self.assertEqual(self.error(self.s3.get_object_tagging, Bucket=self.bucket, Key="k",
                                    VersionId=marker), ("MethodNotAllowed", 405))

    def test_tag_limits(self):
        self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"x")
        eleven = [{"Key": "k%d" % i, "Value": "v"} for i in range(11)]
        for tagset, code in ((eleven, "BadRequest"),
                             ([{"Key": "x" * 129, "Value": "v"}], "InvalidTag"),
                             ([{"Key": "k", "Value": "v" * 257}], "InvalidTag"),
                             ([{"Key": "aws:k", "Value": "v"}], "InvalidTag"),
                             ([{"Key": "a,b", "Value": "v"}], "InvalidTag"),
                             ([{"Key": "d", "Value": "1"}, {"Key": "d", "Value": "2"}],
                              "InvalidTag")):
            self.assertEqual(self.error(self.s3.put_object_tagging, Bucket=self.bucket, Key="k",
                                        Tagging={"TagSet": tagset}), (code, 400), tagset)
        self.assertEqual(self.error(self.s3.put_object, Bucket=self.bucket, Key="k2", Body=b"x",
                                    Tagging="a=1&a=2"), ("InvalidArgument", 400))
        self.assertEqual(self.error(self.s3.get_object_tagging, Bucket=self.bucket,
                                    Key="missing"), ("NoSuchKey", 404))
        self.assertEqual(self.tags("k"), {})  # nothing changed

    def test_bucket_tags(self):
        self.assertEqual(self.error(self.s3.get_bucket_tagging, Bucket=self.bucket),
                         ("NoSuchTagSet", 404))
        self.s3.put_bucket_tagging(Bucket=self.bucket, Tagging={"TagSet": [
            {"Key": "team", "Value": "vision"}, {"Key": "cost-center", "Value": "42"}]})
        r = self.s3.get_bucket_tagging(Bucket=self.bucket)
        self.assertEqual({t["Key"]: t["Value"] for t in r["TagSet"]},
                         {"team": "vision", "cost-center": "42"})
        self.s3.delete_bucket_tagging(Bucket=self.bucket)
        self.assertEqual(self.error(self.s3.get_bucket_tagging, Bucket=self.bucket),
                         ("NoSuchTagSet", 404))


class ConditionalWrites(Case):
    PREFIX = "c-"

    def setUp(self):
        super().setUp()
        self.s3.create_bucket(Bucket=self.bucket)

    def put_if_none(self, key, body, client=None):
        client = client or self.s3
        return with_headers(client, "PutObject", {"If-None-Match": "*"}, client.put_object,
                            Bucket=self.bucket, Key=key, Body=body)

    def raw_put(self, key, headers, body=b"x"):
        return s3raw.signed_request(SRV, "PUT", "/%s/%s" % (self.bucket, key), headers=headers,
                                    body=body)

    def test_if_none_match_and_if_match_on_put(self):
        self.put_if_none("k", b"one")
        self.assertEqual(self.error(self.put_if_none, key="k", body=b"two"),
                         ("PreconditionFailed", 412))
        etag = self.s3.head_object(Bucket=self.bucket, Key="k")["ETag"]
        status, _, body = self.raw_put("k", {"If-Match": etag}, b"two")
        self.assertEqual(status, 200, body)
        status, _, body = self.raw_put("k", {"If-Match": etag}, b"three")
        self.assertEqual(status, 412, body)
        self.assertIn(b"PreconditionFailed", body)
        status, _, body = self.raw_put("missing", {"If-Match": etag})
        self.assertEqual(status, 404, body)
        for headers, what in (({"If-None-Match": etag}, b"If-None-Match"),
                              ({"If-Match": "*"}, b"If-Match"),
                              ({"If-Match": etag, "If-None-Match": "*"}, b"If-Match,If-None-Match")):
            status, _, body = self.raw_put("k", headers)
            self.assertEqual(status, 501, body)
            self.assertIn(b"<Header>" + what + b"</Header>", body)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="k")["Body"].read(), b"two")

    def test_a_delete_marker_counts_as_no_object(self):
        self.s3.put_bucket_versioning(Bucket=self.bucket,
                                      VersioningConfiguration={"Status": "Enabled"})
        self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"one")
        self.s3.delete_object(Bucket=self.bucket, Key="k")
        self.put_if_none("k", b"two")

    def test_concurrent_creates_have_one_winner(self):
        results = []

        def create(i):
            client = SRV.default_boto3_client()
            try:
                self.put_if_none("race", b"%d" % i, client)
                results.append("ok")
            except botocore.exceptions.ClientError as e:
                results.append(e.response["Error"]["Code"])

        threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results.count("ok"), 1, results)
        self.assertEqual(results.count("PreconditionFailed"), 7, results)

    def complete(self, key, headers):
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        etag = self.s3.upload_part(Bucket=self.bucket, Key=key, UploadId=upload, PartNumber=1,
                                   Body=b"part")["ETag"]
        return upload, lambda: with_headers(
            self.s3, "CompleteMultipartUpload", headers, self.s3.complete_multipart_upload,
            Bucket=self.bucket, Key=key, UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})

    def test_conditions_on_complete_multipart_upload(self):
        self.s3.put_object(Bucket=self.bucket, Key="old", Body=b"there before")
        _, finish = self.complete("old", {"If-None-Match": "*"})
        self.assertEqual(self.error(finish), ("PreconditionFailed", 412))
        # Someone writes the key while the upload runs: a conflict, start over.
        _, finish = self.complete("new", {"If-None-Match": "*"})
        self.s3.put_object(Bucket=self.bucket, Key="new", Body=b"sneaked in")
        self.assertEqual(self.error(finish), ("ConditionalRequestConflict", 409))
        etag = self.s3.head_object(Bucket=self.bucket, Key="new")["ETag"]
        _, finish = self.complete("new", {"If-Match": etag})
        finish()
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="new")["Body"].read(),
                         b"part")


class ObjectLock(Case):
    PREFIX = "l-"

    def future(self, days=1):
        return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)

    def test_lock_bucket_retention_and_legal_hold(self):
        self.s3.create_bucket(Bucket=self.bucket, ObjectLockEnabledForBucket=True)
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=self.bucket)["Status"], "Enabled")
        conf = self.s3.get_object_lock_configuration(Bucket=self.bucket)
        self.assertEqual(conf["ObjectLockConfiguration"]["ObjectLockEnabled"], "Enabled")
        self.assertEqual(self.error(self.s3.put_bucket_versioning, Bucket=self.bucket,
                                    VersioningConfiguration={"Status": "Suspended"}),
                         ("InvalidBucketState", 409))
        until = self.future()
        v = self.s3.put_object(Bucket=self.bucket, Key="model", Body=b"weights",
                               ObjectLockMode="GOVERNANCE",
                               ObjectLockRetainUntilDate=until)["VersionId"]
        head = self.s3.head_object(Bucket=self.bucket, Key="model")
        self.assertEqual(head["ObjectLockMode"], "GOVERNANCE")
        r = self.s3.get_object_retention(Bucket=self.bucket, Key="model")["Retention"]
        self.assertEqual(r["Mode"], "GOVERNANCE")
        # The version cannot be deleted; a delete without a version id only adds a marker.
        self.assertEqual(self.error(self.s3.delete_object, Bucket=self.bucket, Key="model",
                                    VersionId=v), ("AccessDenied", 403))
        self.assertTrue(self.s3.delete_object(Bucket=self.bucket, Key="model")["DeleteMarker"])
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="model", VersionId=v)
                         ["Body"].read(), b"weights")
        # GOVERNANCE: shortening needs the bypass; with it the version can go.
        self.assertEqual(self.error(self.s3.put_object_retention, Bucket=self.bucket, Key="model",
                                    VersionId=v, Retention={"Mode": "GOVERNANCE",
                                                            "RetainUntilDate": self.future(0.5)}),
                         ("AccessDenied", 403))
        self.s3.put_object_retention(Bucket=self.bucket, Key="model", VersionId=v,
                                     Retention={"Mode": "GOVERNANCE",
                                                "RetainUntilDate": self.future(2)})
        # A legal hold holds even with the bypass.
        self.s3.put_object_legal_hold(Bucket=self.bucket, Key="model", VersionId=v,
                                      LegalHold={"Status": "ON"})
        self.assertEqual(self.s3.get_object_legal_hold(Bucket=self.bucket, Key="model",
                                                       VersionId=v)["LegalHold"]["Status"], "ON")
        self.assertEqual(self.error(self.s3.delete_object, Bucket=self.bucket, Key="model",
                                    VersionId=v, BypassGovernanceRetention=True),
                         ("AccessDenied", 403))
        self.s3.put_object_legal_hold(Bucket=self.bucket, Key="model", VersionId=v,
                                      LegalHold={"Status": "OFF"})
        self.s3.delete_object(Bucket=self.bucket, Key="model", VersionId=v,
                              BypassGovernanceRetention=True)
        self.assertEqual(self.error(self.s3.head_object, Bucket=self.bucket, Key="model",
                                    VersionId=v), ("404", 404))

    def test_compliance_cannot_be_shortened_or_bypassed(self):
        self.s3.create_bucket(Bucket=self.bucket, ObjectLockEnabledForBucket=True)
        v = self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"x",
                               ObjectLockMode="COMPLIANCE",
                               ObjectLockRetainUntilDate=self.future(3))["VersionId"]
        for retention in ({"Mode": "COMPLIANCE", "RetainUntilDate": self.future(1)},
                          {"Mode": "GOVERNANCE", "RetainUntilDate": self.future(5)}):
            self.assertEqual(self.error(self.s3.put_object_retention, Bucket=self.bucket, Key="k",
                                        VersionId=v, Retention=retention,
                                        BypassGovernanceRetention=True), ("AccessDenied", 403))
        self.s3.put_object_retention(Bucket=self.bucket, Key="k", VersionId=v,
                                     Retention={"Mode": "COMPLIANCE",
                                                "RetainUntilDate": self.future(4)})
        r = self.s3.delete_objects(Bucket=self.bucket, BypassGovernanceRetention=True,
                                   Delete={"Objects": [{"Key": "k", "VersionId": v}]})
        self.assertEqual([e["Code"] for e in r["Errors"]], ["AccessDenied"])

    def test_default_retention_applies_to_new_versions(self):
        self.s3.create_bucket(Bucket=self.bucket)
        # Lock needs versioning first.
        config = {"ObjectLockEnabled": "Enabled",
                  "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}
        self.assertEqual(self.error(self.s3.put_object_lock_configuration, Bucket=self.bucket,
                                    ObjectLockConfiguration=config), ("InvalidBucketState", 409))
        self.s3.put_bucket_versioning(Bucket=self.bucket,
                                      VersioningConfiguration={"Status": "Enabled"})
        self.s3.put_object_lock_configuration(Bucket=self.bucket, ObjectLockConfiguration=config)
        rule = self.s3.get_object_lock_configuration(Bucket=self.bucket)[
            "ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
        self.assertEqual((rule["Mode"], rule["Days"]), ("GOVERNANCE", 1))
        v = self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"x")["VersionId"]
        r = self.s3.get_object_retention(Bucket=self.bucket, Key="k", VersionId=v)["Retention"]
        self.assertEqual(r["Mode"], "GOVERNANCE")
        self.assertGreater(r["RetainUntilDate"], self.future(0.9))
        self.assertEqual(self.error(self.s3.delete_object, Bucket=self.bucket, Key="k",
                                    VersionId=v), ("AccessDenied", 403))
        # Copies do not inherit a lock but get the bucket's default.
        c = self.s3.copy_object(Bucket=self.bucket, Key="c",
                                CopySource={"Bucket": self.bucket, "Key": "k"})["VersionId"]
        self.assertEqual(self.s3.get_object_retention(Bucket=self.bucket, Key="c", VersionId=c)
                         ["Retention"]["Mode"], "GOVERNANCE")

    def test_lock_errors(self):
        self.s3.create_bucket(Bucket=self.bucket)
        self.assertEqual(self.error(self.s3.get_object_lock_configuration, Bucket=self.bucket),
                         ("ObjectLockConfigurationNotFoundError", 404))
        self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"x")
        self.assertEqual(self.error(self.s3.put_object, Bucket=self.bucket, Key="k2", Body=b"x",
                                    ObjectLockMode="GOVERNANCE",
                                    ObjectLockRetainUntilDate=self.future()),
                         ("InvalidRequest", 400))
        self.assertEqual(self.error(self.s3.get_object_retention, Bucket=self.bucket, Key="k"),
                         ("InvalidRequest", 400))
        status, _, body = s3raw.signed_request(
            SRV, "PUT", "/%s/k3" % self.bucket, body=b"x",
            headers={"x-amz-object-lock-mode": "GOVERNANCE"})
        self.assertEqual(status, 400, body)
        lock = self.bucket + "-on"
        self.s3.create_bucket(Bucket=lock, ObjectLockEnabledForBucket=True)
        self.s3.put_object(Bucket=lock, Key="plain", Body=b"x")
        self.assertEqual(self.error(self.s3.get_object_retention, Bucket=lock, Key="plain"),
                         ("NoSuchObjectLockConfiguration", 404))
        self.assertEqual(self.error(self.s3.put_object, Bucket=lock, Key="past", Body=b"x",
                                    ObjectLockMode="GOVERNANCE",
                                    ObjectLockRetainUntilDate=self.future(-1)),
                         ("InvalidArgument", 400))


class AwsCliObjectLock(unittest.TestCase):
    def test_lock_bucket_through_s3api(self):
        bucket = "l-awscli"
        SRV.aws("s3api", "create-bucket", "--bucket", bucket, "--object-lock-enabled-for-bucket")
        until = (datetime.datetime.now(datetime.timezone.utc) +
                 datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"weights")
            f.flush()
            out = json.loads(SRV.aws("s3api", "put-object", "--bucket", bucket, "--key", "m",
                                     "--body", f.name, "--object-lock-mode", "COMPLIANCE",
                                     "--object-lock-retain-until-date", until).stdout)
        version = out["VersionId"]
        retention = json.loads(SRV.aws("s3api", "get-object-retention", "--bucket", bucket,
                                       "--key", "m").stdout)["Retention"]
        self.assertEqual(retention["Mode"], "COMPLIANCE")
        p = SRV.aws("s3api", "delete-object", "--bucket", bucket, "--key", "m", "--version-id",
                    version, "--bypass-governance-retention", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("AccessDenied", p.stderr)
        conf = json.loads(SRV.aws("s3api", "get-object-lock-configuration", "--bucket",
                                  bucket).stdout)
        self.assertEqual(conf["ObjectLockConfiguration"]["ObjectLockEnabled"], "Enabled")


class AwsCliTagging(unittest.TestCase):
    def test_put_and_get_object_tagging(self):
        bucket = "t-awscli"
        SRV.aws("s3api", "create-bucket", "--bucket", bucket)
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"x")
            f.flush()
            SRV.aws("s3api", "put-object", "--bucket", bucket, "--key", "k", "--body", f.name,
                    "--tagging", "a=1")
        out = json.loads(SRV.aws("s3api", "get-object-tagging", "--bucket", bucket,
                                 "--key", "k").stdout)
        self.assertEqual(out["TagSet"], [{"Key": "a", "Value": "1"}])
        SRV.aws("s3api", "put-object-tagging", "--bucket", bucket, "--key", "k", "--tagging",
                "TagSet=[{Key=b,Value=2}]")
        out = json.loads(SRV.aws("s3api", "get-object-tagging", "--bucket", bucket,
                                 "--key", "k").stdout)
        self.assertEqual(out["TagSet"], [{"Key": "b", "Value": "2"}])


if __name__ == "__main__":
    main()
