#!/usr/bin/env python3
"""S3 behaviour that real clients at their default settings depend on: boto3 exactly as a user
creates it (retries, keep-alive, Expect: 100-continue), the AWS CLI and rclone. Each test is a
defect a client met, with the client that met it."""
import os
import subprocess
import sys
import time
import urllib.request

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


class DefaultBoto3(unittest.TestCase):
    def setUp(self):
        self.s3 = SRV.default_boto3_client()
        self.bucket = ("rc-" + self._testMethodName[5:].replace("_", "-")[:40]).rstrip("-")
        self.s3.create_bucket(Bucket=self.bucket)

    def assertError(self, code, status, fn, *args, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(*args, **kwargs)
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], code, err)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status, err)
        return err

    def raw_xml(self, operation, **params):
        """The response body as sent, through a presigned URL (SigV4: a default boto3 in
        Debian 12 presigns with SigV2)."""
        from botocore.config import Config
        signer = SRV.boto3_client(config=Config(signature_version="s3v4"))
        url = signer.generate_presigned_url(operation, Params=params)
        return urllib.request.urlopen(url).read().decode()

    def timed(self, fn, *args, **kwargs):
        started = time.monotonic()
        result = fn(*args, **kwargs)
        return result, time.monotonic() - started

    def test_empty_put_then_put_on_one_connection_does_not_stall(self):
        # boto3 sends Expect: 100-continue on every PUT; after a zero-byte PUT answered without
        # "100 Continue" it misread the next response and waited for its 60 s read timeout.
        for i in range(3):
            _, took = self.timed(self.s3.put_object, Bucket=self.bucket, Key="e%d" % i, Body=b"")
            self.assertLess(took, 5)
            r, took = self.timed(self.s3.put_object, Bucket=self.bucket, Key="x%d" % i, Body=b"x")
            self.assertLess(took, 5)
            self.assertEqual(r["ResponseMetadata"]["RetryAttempts"], 0)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="x2")["Body"].read(), b"x")

    def test_rejected_put_then_put_on_one_connection_does_not_stall(self):
        # A PUT refused before its body was read (no such bucket, a bad part number) must leave
        # the connection in step for the next PUT.
        self.assertError("NoSuchBucket", 404, self.s3.put_object, Bucket="rc-missing-bucket",
                         Key="k", Body=b"abc")
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key="m")["UploadId"]
        for bad in (0, 10001):
            err = self.assertError("InvalidArgument", 400, self.s3.upload_part,
                                   Bucket=self.bucket, Key="m", UploadId=upload,
                                   PartNumber=bad, Body=b"abc")
            self.assertEqual(err["Error"].get("ArgumentName"), "partNumber")
        r, took = self.timed(self.s3.put_object, Bucket=self.bucket, Key="k", Body=b"abc")
        self.assertLess(took, 5)
        self.assertEqual(r["ResponseMetadata"]["RetryAttempts"], 0)
        # Nothing was written by the refused part numbers (10001 used to overwrite part 10000).
        parts = self.s3.list_parts(Bucket=self.bucket, Key="m", UploadId=upload)
        self.assertEqual(parts.get("Parts", []), [])
        self.s3.upload_part(Bucket=self.bucket, Key="m", UploadId=upload, PartNumber=10000,
                            Body=b"last")
        parts = self.s3.list_parts(Bucket=self.bucket, Key="m", UploadId=upload)["Parts"]
        self.assertEqual([(p["PartNumber"], p["Size"]) for p in parts], [(10000, 4)])

    def test_expect_continue_with_large_body_and_keep_alive(self):
        data = os.urandom(3 * 1024 * 1024)
        for i in range(3):
            _, took = self.timed(self.s3.put_object, Bucket=self.bucket, Key="big%d" % i,
                                 Body=data)
            self.assertLess(took, 10)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="big1")["Body"].read(), data)

    def test_delete_bucket_discards_pending_uploads(self):
        self.s3.create_multipart_upload(Bucket=self.bucket, Key="pending")
        self.s3.delete_bucket(Bucket=self.bucket)
        self.assertError("404", 404, self.s3.head_bucket, Bucket=self.bucket)
        # The name is free again, with no uploads left over.
        self.s3.create_bucket(Bucket=self.bucket)
        self.assertEqual(self.s3.list_multipart_uploads(Bucket=self.bucket).get("Uploads", []), [])

    def test_url_encoded_common_prefixes_use_percent_20(self):
        self.s3.put_object(Bucket=self.bucket, Key="a b/c", Body=b"x")
        self.s3.put_object(Bucket=self.bucket, Key="p+q/c", Body=b"x")
        xml = self.raw_xml("list_objects_v2", Bucket=self.bucket, Delimiter="/",
                           EncodingType="url")
        self.assertIn("<Prefix>a%20b/</Prefix>", xml)
        self.assertIn("<Prefix>p%2Bq/</Prefix>", xml)
        # boto3 decodes them back.
        r = self.s3.list_objects_v2(Bucket=self.bucket, Delimiter="/")
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["a b/", "p+q/"])

    def test_bucket_location_of_us_east_1_is_empty(self):
        xml = self.raw_xml("get_bucket_location", Bucket=self.bucket)
        self.assertRegex(xml, r"<LocationConstraint[^>]*/>|<LocationConstraint[^>]*></LocationConstraint>")
        self.assertIsNone(self.s3.get_bucket_location(Bucket=self.bucket)["LocationConstraint"])

    def test_max_keys_zero_lists_nothing_and_is_not_truncated(self):
        self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"x")
        v2 = self.s3.list_objects_v2(Bucket=self.bucket, MaxKeys=0)
        self.assertEqual((v2["KeyCount"], v2["IsTruncated"]), (0, False))
        self.assertNotIn("Contents", v2)
        self.assertNotIn("NextContinuationToken", v2)
        v1 = self.s3.list_objects(Bucket=self.bucket, MaxKeys=0)
        self.assertFalse(v1["IsTruncated"])
        self.assertNotIn("Contents", v1)
        self.assertError("NoSuchBucket", 404, self.s3.list_objects_v2, Bucket="rc-nope", MaxKeys=0)

    def test_request_signed_for_another_region_is_refused_naming_the_region(self):
        status, headers, body = s3raw.signed_request(SRV, "GET", "/" + self.bucket,
                                                     "list-type=2", region="eu-west-1")
        self.assertEqual(status, 400, body)
        self.assertIn(b"<Code>AuthorizationHeaderMalformed</Code>", body)
        self.assertIn(b"the region 'eu-west-1' is wrong; expecting 'us-east-1'", body)
        self.assertIn(b"<Region>us-east-1</Region>", body)
        # boto3 as users create it follows the Region it is told and succeeds.
        import boto3
        redirected = boto3.client("s3", endpoint_url=SRV.endpoint, region_name="eu-west-1",
                                  aws_access_key_id=SRV.access_key,
                                  aws_secret_access_key=SRV.secret_key)
        redirected.put_object(Bucket=self.bucket, Key="r", Body=b"r")
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="r")["Body"].read(), b"r")

    def test_get_object_attributes(self):
        self.s3.put_object(Bucket=self.bucket, Key="single", Body=b"hello",
                           ChecksumAlgorithm="CRC32C")
        a = self.s3.get_object_attributes(
            Bucket=self.bucket, Key="single",
            ObjectAttributes=["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"])
        self.assertEqual(a["ETag"], "5d41402abc4b2a76b9719d911017c592")
        self.assertEqual(a["ObjectSize"], 5)
        self.assertEqual(a["StorageClass"], "STANDARD")
        self.assertIn("ChecksumCRC32C", a["Checksum"])
        self.assertNotIn("ObjectParts", a)  # a single-part object has none
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key="multi")["UploadId"]
        part = 5 * 1024 * 1024
        etags = []
        for n in (1, 2, 3):
            body = bytes([n]) * (part if n < 3 else 7)
            etags.append(self.s3.upload_part(Bucket=self.bucket, Key="multi", UploadId=upload,
                                             PartNumber=n, Body=body)["ETag"])
        self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key="multi", UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": n + 1, "ETag": e}
                                       for n, e in enumerate(etags)]})
        a = self.s3.get_object_attributes(Bucket=self.bucket, Key="multi", MaxParts=2,
                                          ObjectAttributes=["ObjectParts", "ObjectSize"])
        self.assertEqual(a["ObjectSize"], 2 * part + 7)
        parts = a["ObjectParts"]
        self.assertEqual(parts["TotalPartsCount"], 3)
        self.assertTrue(parts["IsTruncated"])
        self.assertEqual(parts["NextPartNumberMarker"], 2)
        self.assertEqual([p["PartNumber"] for p in parts["Parts"]], [1, 2])
        a = self.s3.get_object_attributes(Bucket=self.bucket, Key="multi", PartNumberMarker=2,
                                          ObjectAttributes=["ObjectParts"])
        self.assertFalse(a["ObjectParts"]["IsTruncated"])
        self.assertEqual([(p["PartNumber"], p["Size"]) for p in a["ObjectParts"]["Parts"]],
                         [(3, 7)])
        self.assertError("NoSuchKey", 404, self.s3.get_object_attributes, Bucket=self.bucket,
                         Key="missing", ObjectAttributes=["ETag"])


class AwsCli(unittest.TestCase):
    def test_zero_byte_and_small_files_upload_without_stall(self):
        import tempfile
        bucket = "rc-awscli"
        SRV.aws("s3", "mb", "s3://" + bucket)
        with tempfile.TemporaryDirectory() as d:
            for i in range(4):
                open(os.path.join(d, "empty%d" % i), "wb").close()
                with open(os.path.join(d, "small%d" % i), "wb") as f:
                    f.write(b"x" * (i + 1))
            started = time.monotonic()
            SRV.aws("s3", "cp", "--recursive", d, "s3://%s/t/" % bucket)
            self.assertLess(time.monotonic() - started, 30)
        listing = SRV.aws("s3api", "list-object-versions", "--bucket", bucket).stdout
        self.assertEqual(listing.count('"VersionId": "null"'), 8)


if __name__ == "__main__":
    main()
