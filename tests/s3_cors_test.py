#!/usr/bin/env python3
"""CORS through boto3 at its default settings, the AWS CLI and plain HTTP as a browser sends
it: bucket CORS configurations kept, answered and removed as S3 does (refused ones with its
codes), preflight OPTIONS requests allowed by a rule and refused otherwise (unsigned, as
browsers send them), and Access-Control-* headers on the requests a rule allows, presigned
URLs and errors included."""
import json
import os
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

import botocore.exceptions

import s3raw
from ferrytest import FerryServer, main

SRV = None
APP = "https://labels.example.com"


def setUpModule():
    global SRV
    SRV = FerryServer().start()


def tearDownModule():
    if SRV:
        SRV.cleanup()


def http(method, url, headers=None, body=None):
    """(status, headers as a lower-case dict, body) of a plain request, as a browser sends."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


class Cors(unittest.TestCase):
    def setUp(self):
        self.s3 = SRV.default_boto3_client()
        self.bucket = ("cors-" + self._testMethodName[5:].replace("_", "-")[:40]).rstrip("-")
        self.s3.create_bucket(Bucket=self.bucket)
        self.url = "http://127.0.0.1:%d/%s" % (SRV.port, self.bucket)

    def error(self, fn, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(**kwargs)
        r = cm.exception.response
        return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]

    def configure(self):
        self.s3.put_bucket_cors(Bucket=self.bucket, CORSConfiguration={"CORSRules": [
            {"ID": "labelling", "AllowedOrigins": ["https://*.example.com"],
             "AllowedMethods": ["GET", "PUT", "HEAD"],
             "AllowedHeaders": ["Content-*", "x-amz-*", "authorization"],
             "ExposeHeaders": ["ETag", "x-amz-version-id"], "MaxAgeSeconds": 3000},
            {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]})

    def preflight(self, key, origin, method, headers=None):
        h = {"Origin": origin, "Access-Control-Request-Method": method}
        if headers:
            h["Access-Control-Request-Headers"] = headers
        return http("OPTIONS", self.url + "/" + key, h)

    def test_a_configuration_is_kept_answered_and_removed(self):
        self.assertEqual(self.error(self.s3.get_bucket_cors, Bucket=self.bucket),
                         ("NoSuchCORSConfiguration", 404))
        self.configure()
        rules = self.s3.get_bucket_cors(Bucket=self.bucket)["CORSRules"]
        self.assertEqual(len(rules), 2)
        self.assertEqual(rules[0]["ID"], "labelling")
        self.assertEqual(rules[0]["AllowedMethods"], ["GET", "PUT", "HEAD"])
        self.assertEqual(rules[0]["ExposeHeaders"], ["ETag", "x-amz-version-id"])
        self.assertEqual(rules[0]["MaxAgeSeconds"], 3000)
        out = json.loads(SRV.aws("s3api", "get-bucket-cors", "--bucket", self.bucket).stdout)
        self.assertEqual(out["CORSRules"][1]["AllowedOrigins"], ["*"])
        self.s3.delete_bucket_cors(Bucket=self.bucket)
        self.assertEqual(self.error(self.s3.get_bucket_cors, Bucket=self.bucket),
                         ("NoSuchCORSConfiguration", 404))

    def test_configurations_s3_refuses_are_refused_with_its_codes(self):
        def put(rules):
            return self.s3.put_bucket_cors(Bucket=self.bucket,
                                           CORSConfiguration={"CORSRules": rules})
        self.assertEqual(self.error(put, rules=[{"AllowedOrigins": ["*"],
                                                 "AllowedMethods": ["PATCH"]}]),
                         ("InvalidRequest", 400))
        self.assertEqual(self.error(put, rules=[{"AllowedOrigins": ["https://*.*.com"],
                                                 "AllowedMethods": ["GET"]}]),
                         ("InvalidRequest", 400))
        self.assertEqual(self.error(put, rules=[{"AllowedOrigins": ["*"],
                                                 "AllowedMethods": ["GET"]}] * 101),
                         ("InvalidRequest", 400))
        for body in (b"<CORSConfiguration/>", b"<CORSConfiguration><CORSRule><AllowedMethod>GET"
                     b"</AllowedMethod></CORSRule></CORSConfiguration>", b"not xml"):
            status, _, answer = s3raw.signed_request(SRV, "PUT", "/" + self.bucket,
                                                     query="cors=", body=body)
            self.assertEqual(status, 400, answer)
            self.assertIn(b"<Code>MalformedXML</Code>", answer)

    def test_preflights_are_answered_from_the_rules(self):
        self.s3.put_object(Bucket=self.bucket, Key="img/1.png", Body=b"png")
        # No configuration: refused.
        status, _, body = self.preflight("img/1.png", APP, "GET")
        self.assertEqual(status, 403)
        self.assertIn(b"CORS is not enabled for this bucket", body)
        self.configure()
        status, h, _ = self.preflight("img/1.png", APP, "PUT", "Content-Type, X-Amz-Date")
        self.assertEqual(status, 200)
        self.assertEqual(h["access-control-allow-origin"], APP)
        self.assertEqual(h["access-control-allow-methods"], "GET, PUT, HEAD")
        self.assertEqual(h["access-control-allow-headers"], "content-type, x-amz-date")
        self.assertEqual(h["access-control-max-age"], "3000")
        self.assertEqual(h["access-control-allow-credentials"], "true")
        self.assertIn("Origin", h["vary"])
        # Any origin may GET, without credentials.
        status, h, _ = self.preflight("img/1.png", "http://elsewhere.org", "GET")
        self.assertEqual(status, 200)
        self.assertEqual(h["access-control-allow-origin"], "*")
        self.assertNotIn("access-control-allow-credentials", h)
        # Refused: a method, a header or an origin no rule allows.
        for origin, method, headers in ((APP, "DELETE", None), (APP, "PUT", "x-custom"),
                                        ("http://labels.example.com", "PUT", None),
                                        ("http://elsewhere.org", "PUT", None)):
            status, h, body = self.preflight("img/1.png", origin, method, headers)
            self.assertEqual(status, 403, (origin, method, headers))
            self.assertIn(b"<Code>AccessForbidden</Code>", body)
            self.assertNotIn("access-control-allow-origin", h)
        # Without Origin or a method: a bad request.
        status, _, body = http("OPTIONS", self.url + "/img/1.png",
                               {"Access-Control-Request-Method": "GET"})
        self.assertEqual(status, 400, body)
        status, _, _ = http("OPTIONS", self.url + "/img/1.png", {"Origin": APP})
        self.assertEqual(status, 400)
        # A bucket that does not exist.
        status, _, _ = http("OPTIONS", "http://127.0.0.1:%d/no-such-bucket-here/x" % SRV.port,
                            {"Origin": APP, "Access-Control-Request-Method": "GET"})
        self.assertEqual(status, 404)

    def test_requests_a_rule_allows_carry_its_headers(self):
        self.configure()
        self.s3.put_object(Bucket=self.bucket, Key="data.json", Body=b"{}")
        # (Signed with SigV4: this boto3 presigns with SigV2 unless told.)
        from botocore.config import Config
        v4 = SRV.boto3_client(config=Config(signature_version="s3v4"))
        url = v4.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "data.json"})
        status, h, body = http("GET", url, {"Origin": APP})
        self.assertEqual((status, body), (200, b"{}"))
        self.assertEqual(h["access-control-allow-origin"], APP)
        self.assertEqual(h["access-control-expose-headers"], "ETag, x-amz-version-id")
        # A presigned PUT from the application's origin.
        put = v4.generate_presigned_url(
            "put_object", Params={"Bucket": self.bucket, "Key": "label.json"})
        status, h, _ = http("PUT", put, {"Origin": APP}, body=b"[1]")
        self.assertEqual(status, 200)
        self.assertEqual(h["access-control-allow-origin"], APP)
        # Errors say it too, so that the page can read them.
        status, h, _ = http("GET", self.url + "/data.json", {"Origin": APP})
        self.assertEqual(status, 403)  # not signed
        self.assertEqual(h["access-control-allow-origin"], APP)
        # No Origin, or one no rule allows for the method: no CORS headers.
        status, h, _ = http("GET", url)
        self.assertNotIn("access-control-allow-origin", h)
        status, h, _ = http("PUT", put, {"Origin": "http://elsewhere.org"}, body=b"[2]")
        self.assertEqual(status, 200)
        self.assertNotIn("access-control-allow-origin", h)


if __name__ == "__main__":
    main()
