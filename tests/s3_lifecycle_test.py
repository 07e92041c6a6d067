#!/usr/bin/env python3
"""Bucket lifecycle configurations through boto3 at its default settings and the AWS CLI:
stored, answered and removed as S3 does, and each malformed or refused configuration with
the code S3 answers."""
import datetime
import json
import os
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


class Lifecycle(unittest.TestCase):
    def setUp(self):
        self.s3 = SRV.default_boto3_client()
        self.bucket = ("lc-" + self._testMethodName[5:].replace("_", "-")[:40]).rstrip("-")
        self.s3.create_bucket(Bucket=self.bucket)

    def error(self, fn, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(**kwargs)
        r = cm.exception.response
        return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]

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


if __name__ == "__main__":
    main()
