#!/usr/bin/env python3
"""Browser-based uploads (POST Object) as boto3's generate_presigned_post makes them and
`requests` (or a browser's form) sends them: every policy condition enforced (bucket, key
prefixes with ${filename}, exact fields, Content-Type, content-length-range, extra fields),
expired and tampered policies, the three kinds of success answer (204, 201 with a document,
a 303 redirect), metadata and tags stored, a large file streamed, CORS headers for the page,
and bad forms."""
import os
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

import requests
from botocore.config import Config

from ferrytest import FerryServer, error_code, main

SRV = None
APP = "https://labels.example.com"


def setUpModule():
    global SRV
    SRV = FerryServer().start()


def tearDownModule():
    if SRV:
        SRV.cleanup()


def code_of(response):
    return error_code(response.content)


class PostObject(unittest.TestCase):
    def setUp(self):
        self.s3 = SRV.default_boto3_client()
        # (SigV4: this boto3 signs presigned forms with SigV2 unless told.)
        self.v4 = SRV.boto3_client(config=Config(signature_version="s3v4"))
        self.bucket = ("post-" + self._testMethodName[5:].replace("_", "-")[:40]).rstrip("-")
        self.s3.create_bucket(Bucket=self.bucket)

    def presign(self, key="uploads/${filename}", fields=None, conditions=None, expires=600):
        return self.v4.generate_presigned_post(
            self.bucket, key, Fields=fields, ExpiresIn=expires,
            Conditions=conditions if conditions is not None else [
                ["starts-with", "$key", "uploads/"],
                ["content-length-range", 1, 10 << 20],
                ["starts-with", "$Content-Type", "image/"],
                {"x-amz-meta-tool": "labeller"}])

    def post(self, post, body=b"png bytes", filename="cat.png", extra=None, drop=(),
             headers=None):
        fields = dict(post["fields"])
        fields.setdefault("Content-Type", "image/png")
        fields.setdefault("x-amz-meta-tool", "labeller")
        fields.update(extra or {})
        fields = {k: v for k, v in fields.items() if k not in drop}
        return requests.post(post["url"], data=fields, files={"file": (filename, body)},
                             headers=headers or {}, timeout=60)

    def test_a_form_upload_meets_its_policy_and_is_stored(self):
        post = self.presign()
        r = self.post(post)
        self.assertEqual(r.status_code, 204, r.text)
        self.assertTrue(r.headers["ETag"].startswith('"'))
        self.assertEqual(r.headers["Location"], "/%s/uploads/cat.png" % self.bucket)
        got = self.s3.get_object(Bucket=self.bucket, Key="uploads/cat.png")
        self.assertEqual(got["Body"].read(), b"png bytes")
        self.assertEqual(got["ContentType"], "image/png")
        self.assertEqual(got["Metadata"], {"tool": "labeller"})
        # 201: a document; a redirect: 303 with the object named.
        post = self.presign(fields={"success_action_status": "201"},
                            conditions=[["starts-with", "$key", "uploads/"],
                                        {"success_action_status": "201"},
                                        ["starts-with", "$Content-Type", ""],
                                        ["starts-with", "$x-amz-meta-tool", ""]])
        r = self.post(post, filename="dog.png")
        self.assertEqual(r.status_code, 201, r.text)
        doc = ET.fromstring(r.content)
        self.assertEqual(doc.findtext("Key"), "uploads/dog.png")
        self.assertEqual(doc.findtext("Bucket"), self.bucket)
        post = self.presign(fields={"success_action_redirect": "https://app.example/done"},
                            conditions=[["starts-with", "$key", "uploads/"],
                                        ["starts-with", "$success_action_redirect", "https://"],
                                        ["starts-with", "$Content-Type", ""],
                                        ["starts-with", "$x-amz-meta-tool", ""]])
        r = requests.post(post["url"], data=dict(post["fields"], **{
            "Content-Type": "image/png", "x-amz-meta-tool": "x"}),
            files={"file": ("a b.png", b"x")}, allow_redirects=False, timeout=60)
        self.assertEqual(r.status_code, 303, r.text)
        self.assertTrue(r.headers["Location"].startswith(
            "https://app.example/done?bucket=%s&key=uploads%%2Fa%%20b.png&etag=" % self.bucket),
            r.headers["Location"])

    def test_every_condition_is_enforced(self):
        post = self.presign()
        cases = [
            ({"key": "elsewhere/x"}, (), 403, "AccessDenied"),
            ({"Content-Type": "text/html"}, (), 403, "AccessDenied"),
            ({"x-amz-meta-tool": "other"}, (), 403, "AccessDenied"),
            ({"x-amz-meta-extra": "1"}, (), 403, "AccessDenied"),
            ({}, ("x-amz-meta-tool",), 403, "AccessDenied"),
            ({"x-amz-signature": "0" * 64}, (), 403, "SignatureDoesNotMatch"),
            ({"policy": post["fields"]["policy"][:-4] + "AAAA"}, (), 403,
             "SignatureDoesNotMatch"),
        ]
        for extra, drop, status, code in cases:
            r = self.post(post, extra=extra, drop=drop)
            self.assertEqual((r.status_code, code_of(r)), (status, code), (extra, drop, r.text))
        r = self.post(post, body=b"")
        self.assertEqual((r.status_code, code_of(r)), (400, "EntityTooSmall"))
        r = self.post(post, body=b"x" * ((10 << 20) + 1))
        self.assertEqual((r.status_code, code_of(r)), (400, "EntityTooLarge"))
        # Another bucket than the policy's.
        self.s3.create_bucket(Bucket=self.bucket + "-2")
        fields = dict(post["fields"], **{"Content-Type": "image/png", "x-amz-meta-tool": "labeller"})
        r = requests.post(post["url"] + "-2", data=fields, files={"file": ("a.png", b"x")},
                          timeout=60)
        self.assertEqual((r.status_code, code_of(r)), (403, "AccessDenied"), r.text)
        # Expired.
        post = self.presign(expires=1)
        time.sleep(2)
        r = self.post(post)
        self.assertEqual((r.status_code, code_of(r)), (403, "AccessDenied"))
        self.assertIn("Policy expired", r.text)
        # An unknown access key.
        bad = SRV.boto3_client(config=Config(signature_version="s3v4"), access_key="NOSUCHKEY")
        r = self.post(bad.generate_presigned_post(self.bucket, "uploads/x",
                                                  Conditions=[["starts-with", "$Content-Type", ""],
                                                              ["starts-with", "$x-amz-meta-tool",
                                                               ""]]))
        self.assertEqual((r.status_code, code_of(r)), (403, "InvalidAccessKeyId"), r.text)
        self.assertEqual(self.s3.list_objects_v2(Bucket=self.bucket).get("KeyCount"), 0)

    def test_a_large_file_streams_in(self):
        post = self.presign(conditions=[["starts-with", "$key", "uploads/"],
                                        ["content-length-range", 1, 100 << 20],
                                        ["starts-with", "$Content-Type", ""],
                                        ["starts-with", "$x-amz-meta-tool", ""]])
        body = os.urandom(3 << 20) * 8  # 24 MiB
        r = self.post(post, body=body, filename="big.png")
        self.assertEqual(r.status_code, 204, r.text)
        head = self.s3.head_object(Bucket=self.bucket, Key="uploads/big.png")
        self.assertEqual(head["ContentLength"], len(body))

    def test_tags_and_cors_for_the_page(self):
        self.s3.put_bucket_cors(Bucket=self.bucket, CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": [APP], "AllowedMethods": ["POST"], "ExposeHeaders": ["ETag"]}]})
        tagging = ("<Tagging><TagSet><Tag><Key>set</Key><Value>train</Value></Tag></TagSet>"
                   "</Tagging>")
        post = self.presign(fields={"tagging": tagging},
                            conditions=[["starts-with", "$key", "uploads/"],
                                        {"tagging": tagging},
                                        ["starts-with", "$Content-Type", ""],
                                        ["starts-with", "$x-amz-meta-tool", ""]])
        r = self.post(post, headers={"Origin": APP})
        self.assertEqual(r.status_code, 204, r.text)
        self.assertEqual(r.headers["Access-Control-Allow-Origin"], APP)
        self.assertEqual(r.headers["Access-Control-Expose-Headers"], "ETag")
        tags = self.s3.get_object_tagging(Bucket=self.bucket, Key="uploads/cat.png")["TagSet"]
        self.assertEqual(tags, [{"Key": "set", "Value": "train"}])

    def test_bad_forms(self):
        post = self.presign()
        r = self.post(post, drop=("key",))
        self.assertEqual((r.status_code, code_of(r)), (400, "InvalidArgument"))
        r = requests.post(post["url"], timeout=60,  # a form without a file
                          files={k: (None, v) for k, v in post["fields"].items()})
        self.assertEqual((r.status_code, code_of(r)), (400, "InvalidArgument"), r.text)
        r = requests.post(post["url"], data=b"--XX\r\nnot a part", timeout=60,
                          headers={"Content-Type": "multipart/form-data; boundary=XX"})
        self.assertEqual((r.status_code, code_of(r)), (400, "MalformedPOSTRequest"))
        fields = dict(post["fields"], policy="not base64!")
        r = requests.post(post["url"], data=fields, files={"file": ("a", b"x")}, timeout=60)
        self.assertEqual(r.status_code, 403, r.text)  # the signature covers the policy
        # Fields before the file are bounded (20 KiB, names included), however many.
        many = [("x-ignore-%06d" % i, (None, "")) for i in range(3000)]
        r = requests.post(post["url"], timeout=60, files=many + [("file", ("a", b"x"))])
        self.assertEqual((r.status_code, code_of(r)), (400, "MaxPostPreDataLengthExceeded"))
        r = requests.post(post["url"], timeout=60, files=[("key", (None, "k" * 30000)),
                                                          ("file", ("a", b"x"))])
        self.assertEqual((r.status_code, code_of(r)), (400, "MaxPostPreDataLengthExceeded"))
        # Without a policy (and the server not open to anonymous writes): refused.
        r = requests.post(post["url"], data={"key": "uploads/x"}, files={"file": ("a", b"x")},
                          timeout=60)
        self.assertEqual((r.status_code, code_of(r)), (403, "AccessDenied"))
        # A form signed with SigV2 (this boto3's default) is checked the same way.
        v2 = self.s3.generate_presigned_post(self.bucket, "uploads/v2",
                                             Conditions=[["content-length-range", 1, 10]])
        self.assertIn("signature", v2["fields"])
        r = requests.post(v2["url"], data=v2["fields"], files={"file": ("a", b"x")}, timeout=60)
        self.assertEqual(r.status_code, 204, r.text)
        r = requests.post(v2["url"], data=v2["fields"], files={"file": ("a", b"x" * 11)},
                          timeout=60)
        self.assertEqual((r.status_code, code_of(r)), (400, "EntityTooLarge"))
        r = requests.post(v2["url"], data=dict(v2["fields"], signature="AAAA" + v2["fields"][
            "signature"][4:]), files={"file": ("a", b"x")}, timeout=60)
        self.assertEqual((r.status_code, code_of(r)), (403, "SignatureDoesNotMatch"))


if __name__ == "__main__":
    main()
