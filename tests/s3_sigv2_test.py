#!/usr/bin/env python3
"""Signature Version 2, as older clients send it by default: boto3 (Debian 12's 1.26) presigns
URLs and POST forms with it unless told otherwise; a client set to SigV2 signs every request
with it; s3cmd with `signature_v2 = True`. Presigned GET and PUT URLs used with `requests` and
curl, every object operation through a SigV2 client, tampered, expired and wrong-key
requests (S3's errors, the string to sign in SignatureDoesNotMatch), and `--no-sigv2`."""
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

import botocore.exceptions
import requests
from botocore.config import Config

from ferrytest import FerryServer, error_code, main

SRV = None


def setUpModule():
    global SRV
    SRV = FerryServer().start()


def tearDownModule():
    if SRV:
        SRV.cleanup()


def code_of(response):
    return error_code(response.content)


class SigV2(unittest.TestCase):
    def setUp(self):
        self.s3 = SRV.default_boto3_client()
        self.bucket = ("v2-" + self._testMethodName[5:].replace("_", "-")[:40]).rstrip("-")
        self.s3.create_bucket(Bucket=self.bucket)

    def test_default_presigned_urls_work_with_requests_and_curl(self):
        self.s3.put_object(Bucket=self.bucket, Key="shared/report v1.csv", Body=b"a,b\n1,2\n")
        url = self.s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "shared/report v1.csv"})
        self.assertIn("AWSAccessKeyId=", url)
        self.assertIn("Signature=", url)
        self.assertEqual(requests.get(url, timeout=30).content, b"a,b\n1,2\n")
        out = subprocess.run(["curl", "-sf", url], capture_output=True, check=True).stdout
        self.assertEqual(out, b"a,b\n1,2\n")
        # With a response-* override, which is signed too.
        url = self.s3.generate_presigned_url("get_object", Params={
            "Bucket": self.bucket, "Key": "shared/report v1.csv",
            "ResponseContentDisposition": "attachment; filename=report.csv"})
        r = requests.get(url, timeout=30)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.headers["Content-Disposition"], "attachment; filename=report.csv")
        # A presigned PUT.
        put = self.s3.generate_presigned_url(
            "put_object", Params={"Bucket": self.bucket, "Key": "inbox/new.bin"})
        r = requests.put(put, data=b"uploaded", timeout=30)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="inbox/new.bin")["Body"].read(),
                         b"uploaded")
        # (Without the form Content-Type curl adds to --data: it was not signed.)
        subprocess.run(["curl", "-sf", "-X", "PUT", "-H", "Content-Type:", "--data-binary",
                        "by curl", put], check=True)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="inbox/new.bin")["Body"].read(),
                         b"by curl")

    def test_tampered_expired_and_wrong_key_urls_are_refused(self):
        self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"x")
        url = self.s3.generate_presigned_url("get_object",
                                             Params={"Bucket": self.bucket, "Key": "k"})
        r = requests.get(url.replace("/k?", "/other?"), timeout=30)
        self.assertEqual((r.status_code, code_of(r)), (403, "SignatureDoesNotMatch"))
        self.assertIn("/%s/other" % self.bucket, ET.fromstring(r.content).findtext("StringToSign"))
        expires = int(urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["Expires"][0])
        r = requests.get(url.replace("Expires=%d" % expires, "Expires=%d" % (expires + 1)),
                         timeout=30)
        self.assertEqual((r.status_code, code_of(r)), (403, "SignatureDoesNotMatch"))
        short = self.s3.generate_presigned_url("get_object", ExpiresIn=1,
                                               Params={"Bucket": self.bucket, "Key": "k"})
        time.sleep(2.1)
        r = requests.get(short, timeout=30)
        self.assertEqual((r.status_code, code_of(r)), (403, "AccessDenied"))
        stranger = SRV.boto3_client(access_key="AKIDSTRANGER", secret_key="nope",
                                    config=Config(signature_version="s3"))
        r = requests.get(stranger.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "k"}), timeout=30)
        self.assertEqual((r.status_code, code_of(r)), (403, "InvalidAccessKeyId"))
        wrong = SRV.boto3_client(secret_key="not-the-secret", config=Config(signature_version="s3"))
        r = requests.get(wrong.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "k"}), timeout=30)
        self.assertEqual((r.status_code, code_of(r)), (403, "SignatureDoesNotMatch"))

    def test_a_sigv2_client_does_every_object_operation(self):
        v2 = SRV.boto3_client(config=Config(signature_version="s3",
                                            s3={"addressing_style": "path"}))
        b = self.bucket
        v2.put_object(Bucket=b, Key="dir/a b+c.txt", Body=b"hello", ContentType="text/plain",
                      Metadata={"who": "me"})
        head = v2.head_object(Bucket=b, Key="dir/a b+c.txt")
        self.assertEqual((head["ContentLength"], head["Metadata"]), (5, {"who": "me"}))
        self.assertEqual(v2.get_object(Bucket=b, Key="dir/a b+c.txt", Range="bytes=1-3")[
            "Body"].read(), b"ell")
        v2.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b, "Key": "dir/a b+c.txt"})
        keys = [o["Key"] for o in v2.list_objects_v2(Bucket=b, Prefix="")["Contents"]]
        self.assertEqual(sorted(keys), ["copy", "dir/a b+c.txt"])
        v2.put_object_tagging(Bucket=b, Key="copy", Tagging={"TagSet": [
            {"Key": "t", "Value": "1"}]})
        self.assertEqual(v2.get_object_tagging(Bucket=b, Key="copy")["TagSet"],
                         [{"Key": "t", "Value": "1"}])
        up = v2.create_multipart_upload(Bucket=b, Key="big")["UploadId"]
        part = v2.upload_part(Bucket=b, Key="big", UploadId=up, PartNumber=1, Body=b"p" * 100)
        self.assertEqual(len(v2.list_parts(Bucket=b, Key="big", UploadId=up)["Parts"]), 1)
        v2.complete_multipart_upload(Bucket=b, Key="big", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
        self.assertEqual(v2.get_object(Bucket=b, Key="big")["Body"].read(), b"p" * 100)
        v2.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "copy"}, {"Key": "big"}]})
        v2.delete_object(Bucket=b, Key="dir/a b+c.txt")
        self.assertEqual(v2.list_objects_v2(Bucket=b)["KeyCount"], 0)
        self.assertIn(b, [x["Name"] for x in v2.list_buckets()["Buckets"]])

    def test_a_virtual_hosted_request_signs_its_bucket(self):
        import base64
        import email.utils
        import hashlib
        import hmac
        self.s3.put_object(Bucket=self.bucket, Key="vh/k", Body=b"virtual")
        date = email.utils.formatdate(usegmt=True)
        # The resource names the bucket the Host header carries, then the path and ?acl.
        for path, query, resource in (("/vh/k", "", "/%s/vh/k" % self.bucket),
                                      ("/vh/k", "acl", "/%s/vh/k?acl" % self.bucket)):
            text = "GET\n\n\n%s\n%s" % (date, resource)
            sig = base64.b64encode(hmac.new(SRV.secret_key.encode(), text.encode(),
                                            hashlib.sha1).digest()).decode()
            r = requests.get("http://127.0.0.1:%d%s%s" % (SRV.port, path,
                                                          "?" + query if query else ""),
                             headers={"Host": "%s.localhost:%d" % (self.bucket, SRV.port),
                                      "Date": date,
                                      "Authorization": "AWS %s:%s" % (SRV.access_key, sig)},
                             timeout=30)
            self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.status_code, 200)

    def test_s3cmd_with_signature_v2(self):
        tmp = tempfile.mkdtemp(prefix="ferry-s3cmd-")
        config = os.path.join(tmp, "s3cfg")
        with open(config, "w") as f:
            f.write("[default]\naccess_key = %s\nsecret_key = %s\nhost_base = 127.0.0.1:%d\n"
                    "host_bucket = 127.0.0.1:%d\nuse_https = False\nsignature_v2 = True\n"
                    "check_ssl_certificate = False\nproxy_host =\n"
                    % (SRV.access_key, SRV.secret_key, SRV.port, SRV.port))
        src = os.path.join(tmp, "data.txt")
        with open(src, "wb") as f:
            f.write(b"via s3cmd\n")

        def s3cmd(*args):
            return subprocess.run(["s3cmd", "-c", config] + list(args), env=SRV.client_env(),
                                  capture_output=True, text=True, timeout=120)
        r = s3cmd("put", src, "s3://%s/s3cmd/data.txt" % self.bucket)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = s3cmd("ls", "s3://%s/s3cmd/" % self.bucket)
        self.assertIn("s3cmd/data.txt", r.stdout, r.stderr)
        dest = os.path.join(tmp, "back.txt")
        r = s3cmd("get", "s3://%s/s3cmd/data.txt" % self.bucket, dest)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(dest, "rb") as f:
            self.assertEqual(f.read(), b"via s3cmd\n")
        r = s3cmd("del", "s3://%s/s3cmd/data.txt" % self.bucket)
        self.assertEqual(r.returncode, 0, r.stderr)


class NoSigV2(unittest.TestCase):
    def test_no_sigv2_refuses_every_sigv2_form(self):
        srv = FerryServer(extra_args=["--no-sigv2"]).start()
        try:
            s3 = srv.default_boto3_client()
            s3.create_bucket(Bucket="strict")
            s3.put_object(Bucket="strict", Key="k", Body=b"x")
            r = requests.get(s3.generate_presigned_url(
                "get_object", Params={"Bucket": "strict", "Key": "k"}), timeout=30)
            self.assertEqual((r.status_code, code_of(r)), (400, "InvalidRequest"))
            self.assertIn("AWS4-HMAC-SHA256", r.text)
            v2 = srv.boto3_client(config=Config(signature_version="s3"))
            with self.assertRaises(botocore.exceptions.ClientError) as cm:
                v2.list_objects_v2(Bucket="strict")
            self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidRequest")
            form = s3.generate_presigned_post("strict", "k2")
            r = requests.post(form["url"], data=form["fields"], files={"file": ("a", b"x")},
                              timeout=30)
            self.assertEqual((r.status_code, code_of(r)), (400, "InvalidRequest"))
            # SigV4 still works.
            v4 = srv.boto3_client(config=Config(signature_version="s3v4"))
            self.assertEqual(requests.get(v4.generate_presigned_url(
                "get_object", Params={"Bucket": "strict", "Key": "k"}), timeout=30).content, b"x")
        finally:
            srv.cleanup()


if __name__ == "__main__":
    main()
