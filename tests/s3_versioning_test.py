#!/usr/bin/env python3
"""Bucket versioning through real clients at their default settings: boto3 (client and
resource, as cleanup code uses it), the AWS CLI and rclone (--s3-versions)."""
import json
import os
import subprocess
import sys
import tempfile

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


class Boto3Versions(unittest.TestCase):
    def setUp(self):
        self.s3 = SRV.default_boto3_client()
        self.bucket = ("ver-" + self._testMethodName[5:].replace("_", "-")[:40]).rstrip("-")
        self.s3.create_bucket(Bucket=self.bucket)

    def enable(self, status="Enabled"):
        self.s3.put_bucket_versioning(Bucket=self.bucket,
                                      VersioningConfiguration={"Status": status})

    def error(self, fn, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(**kwargs)
        r = cm.exception.response
        return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], \
            r["ResponseMetadata"]["HTTPHeaders"], r["Error"]

    def versions(self, **kwargs):
        r = self.s3.list_object_versions(Bucket=self.bucket, **kwargs)
        entries = [(v["Key"], v["VersionId"], v["IsLatest"], False) for v in r.get("Versions", [])]
        entries += [(m["Key"], m["VersionId"], m["IsLatest"], True)
                    for m in r.get("DeleteMarkers", [])]
        return sorted(entries, key=lambda e: e[0]), r

    def test_never_versioned_bucket_lists_null_versions(self):
        # Cleanup code (boto3's object_versions.delete(), Terraform's force_destroy) asks every
        # bucket for its versions.
        self.assertNotIn("Status", self.s3.get_bucket_versioning(Bucket=self.bucket))
        for k in ("a", "b/c"):
            r = self.s3.put_object(Bucket=self.bucket, Key=k, Body=b"x")
            self.assertNotIn("VersionId", r)
        entries, _ = self.versions()
        self.assertEqual(entries, [("a", "null", True, False), ("b/c", "null", True, False)])
        import boto3
        resource = boto3.resource("s3", endpoint_url=SRV.endpoint, region_name="us-east-1",
                                  aws_access_key_id=SRV.access_key,
                                  aws_secret_access_key=SRV.secret_key)
        resource.Bucket(self.bucket).object_versions.delete()
        resource.Bucket(self.bucket).delete()
        code, status, _, _ = self.error(self.s3.head_bucket, Bucket=self.bucket)
        self.assertEqual(status, 404)

    def test_versions_delete_markers_and_reads_by_version(self):
        self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"v0")
        self.enable()
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=self.bucket)["Status"], "Enabled")
        v1 = self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"v1")["VersionId"]
        v2 = self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"v2")["VersionId"]
        self.assertNotEqual(v1, v2)
        get = self.s3.get_object(Bucket=self.bucket, Key="k")
        self.assertEqual((get["Body"].read(), get["VersionId"]), (b"v2", v2))
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="k", VersionId=v1)
                         ["Body"].read(), b"v1")
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="k", VersionId="null")
                         ["ContentLength"], 2)
        marker = self.s3.delete_object(Bucket=self.bucket, Key="k")
        self.assertTrue(marker["DeleteMarker"])
        # The latest is a marker: 404 that says so.
        code, status, headers, _ = self.error(self.s3.get_object, Bucket=self.bucket, Key="k")
        self.assertEqual((code, status), ("NoSuchKey", 404))
        self.assertEqual(headers.get("x-amz-delete-marker"), "true")
        self.assertEqual(headers.get("x-amz-version-id"), marker["VersionId"])
        # The marker named by its id: 405.
        code, status, headers, err = self.error(self.s3.get_object, Bucket=self.bucket, Key="k",
                                                VersionId=marker["VersionId"])
        self.assertEqual((code, status), ("MethodNotAllowed", 405))
        self.assertEqual(err.get("ResourceType"), "DeleteMarker")
        self.assertIn("last-modified", headers)
        _, status, headers, _ = self.error(self.s3.head_object, Bucket=self.bucket, Key="k",
                                           VersionId=marker["VersionId"])
        self.assertEqual((status, headers.get("x-amz-delete-marker")), (405, "true"))
        # Unknown and malformed ids.
        code, status, _, _ = self.error(self.s3.get_object, Bucket=self.bucket, Key="k",
                                        VersionId="0000000000000001")
        self.assertEqual((code, status), ("NoSuchVersion", 404))
        code, status, _, _ = self.error(self.s3.get_object, Bucket=self.bucket, Key="k",
                                        VersionId="not-a-version")
        self.assertEqual((code, status), ("InvalidArgument", 400))
        # Current listings skip the key; the version listing shows everything, newest first.
        self.assertEqual(self.s3.list_objects_v2(Bucket=self.bucket)["KeyCount"], 0)
        entries, raw = self.versions()
        self.assertEqual([v["VersionId"] for v in raw["Versions"]], [v2, v1, "null"])
        self.assertEqual([(m["VersionId"], m["IsLatest"]) for m in raw["DeleteMarkers"]],
                         [(marker["VersionId"], True)])
        # Removing the marker undeletes; removing v2 makes v1 current.
        r = self.s3.delete_object(Bucket=self.bucket, Key="k", VersionId=marker["VersionId"])
        self.assertTrue(r["DeleteMarker"])
        self.assertEqual(r["VersionId"], marker["VersionId"])
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="k")["Body"].read(), b"v2")
        r = self.s3.delete_object(Bucket=self.bucket, Key="k", VersionId=v2)
        self.assertEqual(r["VersionId"], v2)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="k")["Body"].read(), b"v1")

    def test_copy_from_an_older_version_restores_it(self):
        self.enable()
        old = self.s3.put_object(Bucket=self.bucket, Key="model.pt", Body=b"good")["VersionId"]
        self.s3.put_object(Bucket=self.bucket, Key="model.pt", Body=b"bad")
        r = self.s3.copy_object(Bucket=self.bucket, Key="model.pt",
                                CopySource={"Bucket": self.bucket, "Key": "model.pt",
                                            "VersionId": old})
        self.assertEqual(r["CopySourceVersionId"], old)
        self.assertNotEqual(r["VersionId"], old)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="model.pt")["Body"].read(),
                         b"good")
        marker = self.s3.delete_object(Bucket=self.bucket, Key="model.pt")["VersionId"]
        code, status, _, _ = self.error(self.s3.copy_object, Bucket=self.bucket, Key="x",
                                        CopySource={"Bucket": self.bucket, "Key": "model.pt",
                                                    "VersionId": marker})
        self.assertEqual((code, status), ("InvalidRequest", 400))
        code, status, _, _ = self.error(self.s3.copy_object, Bucket=self.bucket, Key="x",
                                        CopySource={"Bucket": self.bucket, "Key": "model.pt"})
        self.assertEqual((code, status), ("NoSuchKey", 404))

    def test_upload_part_copy_from_an_older_version(self):
        self.enable()
        old = self.s3.put_object(Bucket=self.bucket, Key="src", Body=b"O" * 6000)["VersionId"]
        self.s3.put_object(Bucket=self.bucket, Key="src", Body=b"N" * 6000)
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key="dst")["UploadId"]
        part = self.s3.upload_part_copy(Bucket=self.bucket, Key="dst", UploadId=upload,
                                        PartNumber=1, CopySourceRange="bytes=0-999",
                                        CopySource={"Bucket": self.bucket, "Key": "src",
                                                    "VersionId": old})
        self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key="dst", UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 1,
                                        "ETag": part["CopyPartResult"]["ETag"]}]})
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="dst")["Body"].read(),
                         b"O" * 1000)
        marker = self.s3.delete_object(Bucket=self.bucket, Key="src")["VersionId"]
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key="dst2")["UploadId"]
        code, status, _, _ = self.error(self.s3.upload_part_copy, Bucket=self.bucket, Key="dst2",
                                        UploadId=upload, PartNumber=1,
                                        CopySource={"Bucket": self.bucket, "Key": "src",
                                                    "VersionId": marker})
        self.assertEqual((code, status), ("InvalidRequest", 400))

    def test_multipart_upload_makes_a_version(self):
        self.enable()
        first = self.s3.put_object(Bucket=self.bucket, Key="m", Body=b"small")["VersionId"]
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key="m")["UploadId"]
        etag = self.s3.upload_part(Bucket=self.bucket, Key="m", UploadId=upload, PartNumber=1,
                                   Body=b"p" * 100)["ETag"]
        done = self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key="m", UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        self.assertIn("VersionId", done)
        self.assertNotEqual(done["VersionId"], first)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="m", VersionId=first)
                         ["Body"].read(), b"small")

    def test_delete_objects_with_versions(self):
        self.enable()
        ids = [self.s3.put_object(Bucket=self.bucket, Key="k%d" % (i % 2), Body=b"%d" % i)
               ["VersionId"] for i in range(4)]
        r = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [
            {"Key": "k0", "VersionId": ids[0]},
            {"Key": "k1"},
            {"Key": "k0", "VersionId": "not-a-version"}]})
        deleted = {(d["Key"], d.get("VersionId"), d.get("DeleteMarker", False)) for d in r["Deleted"]}
        self.assertIn(("k0", ids[0], False), deleted)
        self.assertTrue(any(d["Key"] == "k1" and d.get("DeleteMarker") and
                            d.get("DeleteMarkerVersionId") for d in r["Deleted"]))
        self.assertEqual([(e["Key"], e["Code"]) for e in r["Errors"]], [("k0", "InvalidArgument")])
        entries, _ = self.versions()
        self.assertEqual(sorted((e[0], e[1]) for e in entries if not e[3]),
                         sorted([("k0", ids[2]), ("k1", ids[1]), ("k1", ids[3])]))

    def test_suspended_versioning_writes_the_null_version(self):
        self.enable()
        kept = self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"kept")["VersionId"]
        self.enable("Suspended")
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=self.bucket)["Status"], "Suspended")
        r = self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"n1")
        self.assertNotIn("VersionId", r)
        self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"n2")
        _, raw = self.versions()
        self.assertEqual([(v["VersionId"], v["IsLatest"]) for v in raw["Versions"]],
                         [("null", True), (kept, False)])
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="k")["VersionId"], "null")
        marker = self.s3.delete_object(Bucket=self.bucket, Key="k")
        self.assertEqual((marker["DeleteMarker"], marker["VersionId"]), (True, "null"))

    def test_pagination_of_versions(self):
        self.enable()
        expected = []
        for i in range(23):
            key = "p/%02d" % (i % 5)
            if i % 6 == 5:
                expected.append((key, self.s3.delete_object(Bucket=self.bucket, Key=key)
                                 ["VersionId"]))
            else:
                expected.append((key, self.s3.put_object(Bucket=self.bucket, Key=key,
                                                         Body=b"x")["VersionId"]))
        seen = []
        pages = 0
        for page in self.s3.get_paginator("list_object_versions").paginate(
                Bucket=self.bucket, PaginationConfig={"PageSize": 4}):
            pages += 1
            entries = [(v["Key"], v["VersionId"], v["LastModified"])
                       for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            seen += [(k, v) for k, v, _ in entries]
        self.assertEqual(pages, 6)
        self.assertEqual(sorted(seen), sorted(expected))
        # Delimiter and prefix.
        r = self.s3.list_object_versions(Bucket=self.bucket, Delimiter="/")
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["p/"])
        self.assertNotIn("Versions", r)
        # A version marker without a key marker is refused.
        status, _, body = s3raw.signed_request(SRV, "GET", "/" + self.bucket,
                                               "version-id-marker=null&versions=")
        self.assertEqual(status, 400, body)

    def test_bad_versioning_configuration(self):
        for body, code in ((b"<VersioningConfiguration><Status>enabled</Status>"
                            b"</VersioningConfiguration>", b"MalformedXML"),
                           (b"<VersioningConfiguration/>",
                            b"IllegalVersioningConfigurationException"),
                           (b"<oops", b"MalformedXML")):
            status, _, out = s3raw.signed_request(SRV, "PUT", "/" + self.bucket, "versioning=",
                                                  body=body)
            self.assertEqual(status, 400, out)
            self.assertIn(code, out)
        self.assertNotIn("Status", self.s3.get_bucket_versioning(Bucket=self.bucket))


class AwsCliVersions(unittest.TestCase):
    def test_s3api_versioning_round_trip(self):
        bucket = "ver-awscli"
        SRV.aws("s3api", "create-bucket", "--bucket", bucket)
        SRV.aws("s3api", "put-bucket-versioning", "--bucket", bucket,
                "--versioning-configuration", "Status=Enabled")
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "f")
            ids = []
            for body in (b"one", b"two"):
                with open(src, "wb") as f:
                    f.write(body)
                out = SRV.aws("s3api", "put-object", "--bucket", bucket, "--key", "f",
                              "--body", src).stdout
                ids.append(json.loads(out)["VersionId"])
            SRV.aws("s3api", "get-object", "--bucket", bucket, "--key", "f", "--version-id",
                    ids[0], os.path.join(d, "got"))
            with open(os.path.join(d, "got"), "rb") as f:
                self.assertEqual(f.read(), b"one")
        listing = json.loads(SRV.aws("s3api", "list-object-versions", "--bucket", bucket).stdout)
        self.assertEqual([v["VersionId"] for v in listing["Versions"]], ids[::-1])
        status = json.loads(SRV.aws("s3api", "get-bucket-versioning", "--bucket", bucket).stdout)
        self.assertEqual(status["Status"], "Enabled")


class RcloneVersions(unittest.TestCase):
    def test_rclone_lists_and_reads_old_versions(self):
        bucket = "ver-rclone"
        s3 = SRV.default_boto3_client()
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket=bucket, Key="data.txt", Body=b"old")
        s3.put_object(Bucket=bucket, Key="data.txt", Body=b"new")
        with tempfile.TemporaryDirectory() as d:
            conf = os.path.join(d, "rclone.conf")
            with open(conf, "w") as f:
                f.write("[f]\ntype = s3\nprovider = Other\nendpoint = %s\naccess_key_id = %s\n"
                        "secret_access_key = %s\nregion = us-east-1\nforce_path_style = true\n"
                        % (SRV.endpoint, SRV.access_key, SRV.secret_key))
            env = SRV.client_env()
            env.pop("AWS_CA_BUNDLE", None)
            run = lambda *a: subprocess.run(["rclone", "--config", conf, "--retries", "1"] +
                                            list(a), env=env, capture_output=True, text=True,
                                            timeout=120)
            p = run("lsf", "--s3-versions", "f:" + bucket)
            self.assertEqual(p.returncode, 0, p.stderr)
            names = p.stdout.split()
            self.assertIn("data.txt", names)
            older = [n for n in names if n.startswith("data-v")]
            self.assertEqual(len(older), 1, names)
            p = run("cat", "--s3-versions", "f:%s/%s" % (bucket, older[0]))
            self.assertEqual((p.returncode, p.stdout), (0, "old"), p.stderr)
            p = run("backend", "versioning", "f:" + bucket)
            self.assertEqual((p.returncode, p.stdout.strip()), (0, "Enabled"), p.stderr)


if __name__ == "__main__":
    main()
