#!/usr/bin/env python3
"""Bad input to `ferry serve` on raw sockets: malformed XML, bad ranges, oversized headers,
truncated bodies, garbage bytes, unknown keys, expired presigned URLs. Each must get a
sensible S3 error (never a crash, hang or 5xx), must not create or damage objects, and the
server must keep serving normal requests afterwards.
"""
import datetime
import hashlib
import hmac
import os
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

import botocore.exceptions

import s3raw
from ferrytest import FERRY_BIN, FerryServer, main, random_bytes

SRV = None
S3 = None
BUCKET = "bad"
MiB = 1024 * 1024


def setUpModule():
    global SRV, S3
    SRV = FerryServer().start()
    S3 = SRV.boto3_client()
    S3.create_bucket(Bucket=BUCKET)
    S3.put_object(Bucket=BUCKET, Key="canary", Body=b"still here")


def tearDownModule():
    if SRV:
        SRV.cleanup()


def exists(key):
    try:
        S3.head_object(Bucket=BUCKET, Key=key)
        return True
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] in ("404", "NoSuchKey"):
            return False
        raise


def error_code(body):
    if b"<Code>" not in body:
        return None
    return body.split(b"<Code>", 1)[1].split(b"</Code>", 1)[0].decode()


def presign(method, path, amz_date, expires, access_key=None, secret_key=None):
    """A SigV4 presigned URL computed here from scratch, for any signing time."""
    access_key = access_key or SRV.access_key
    scope = "%s/us-east-1/s3/aws4_request" % amz_date[:8]
    host = "127.0.0.1:%d" % SRV.port
    params = {"X-Amz-Algorithm": "AWS4-HMAC-SHA256",
              "X-Amz-Credential": "%s/%s" % (access_key, scope), "X-Amz-Date": amz_date,
              "X-Amz-Expires": str(expires), "X-Amz-SignedHeaders": "host"}
    query = "&".join("%s=%s" % (urllib.parse.quote(k, safe="~"), urllib.parse.quote(v, safe="~"))
                     for k, v in sorted(params.items()))
    canonical = "\n".join([method, path, query, "host:" + host, "", "host", "UNSIGNED-PAYLOAD"])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(canonical.encode()).hexdigest()])
    key = s3raw.signing_key(secret_key or SRV.secret_key, amz_date[:8])
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    return path + "?" + query + "&X-Amz-Signature=" + sig


def amz_date(delta_seconds=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delta_seconds)
    return t.strftime("%Y%m%dT%H%M%SZ")


class BadInput(unittest.TestCase):
    def tearDown(self):
        # After every kind of abuse, ordinary requests still work.
        self.assertEqual(S3.get_object(Bucket=BUCKET, Key="canary")["Body"].read(),
                         b"still here")
        S3.put_object(Bucket=BUCKET, Key="after", Body=b"ok")
        self.assertEqual(S3.get_object(Bucket=BUCKET, Key="after")["Body"].read(), b"ok")
        self.assertIn(BUCKET, [b["Name"] for b in S3.list_buckets()["Buckets"]])

    def signed(self, method, path, query="", body=b"", headers=None):
        return s3raw.signed_request(SRV, method, path, query=query, body=body, headers=headers)

    def assertS3Error(self, response, status, code):
        st, _, body = response
        self.assertEqual((st, error_code(body)), (status, code), body[:300])

    def test_malformed_complete_multipart_xml(self):
        up = S3.create_multipart_upload(Bucket=BUCKET, Key="mx")["UploadId"]
        etag = S3.upload_part(Bucket=BUCKET, Key="mx", UploadId=up, PartNumber=1,
                              Body=b"p")["ETag"]
        good_part = "<Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part>" % etag
        bodies = [
            b"",
            b"not xml at all",
            b"<CompleteMultipartUpload>" + good_part.encode(),  # unterminated
            b"<CompleteMultipartUpload></CompleteMultipartUpload>",  # no parts
            b"<Wrong>" + good_part.encode() + b"</Wrong>",
            b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part>"
            b"</CompleteMultipartUpload>",
            b"<CompleteMultipartUpload><Part><ETag>e</ETag></Part></CompleteMultipartUpload>",
            b"\xff\xfe<\x00C\x00",
        ]
        for body in bodies:
            with self.subTest(body=body[:60]):
                self.assertS3Error(self.signed("POST", "/%s/mx" % BUCKET, "uploadId=" + up,
                                               body), 400, "MalformedXML")
        # Well-formed but out of range: S3 says InvalidArgument or MalformedXML.
        for number in ("0", "10001", "99999999999999999999", "-1"):
            body = ("<CompleteMultipartUpload><Part><PartNumber>%s</PartNumber><ETag>e</ETag>"
                    "</Part></CompleteMultipartUpload>" % number).encode()
            with self.subTest(part_number=number):
                st, _, reply = self.signed("POST", "/%s/mx" % BUCKET, "uploadId=" + up, body)
                self.assertEqual(st, 400, reply)
                self.assertIn(error_code(reply), ("InvalidArgument", "MalformedXML"))
        self.assertFalse(exists("mx"))
        # The upload is intact and completes with a well-formed body.
        ok = ("<CompleteMultipartUpload>%s</CompleteMultipartUpload>" % good_part).encode()
        st, _, body = self.signed("POST", "/%s/mx" % BUCKET, "uploadId=" + up, ok)
        self.assertEqual(st, 200, body)
        self.assertEqual(S3.get_object(Bucket=BUCKET, Key="mx")["Body"].read(), b"p")

    def test_malformed_delete_objects_xml(self):
        S3.put_object(Bucket=BUCKET, Key="victim", Body=b"v")
        too_many = "<Delete>%s</Delete>" % "".join(
            "<Object><Key>k%d</Key></Object>" % i for i in range(1001))
        entity_bomb = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "victim">'
                       '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                       "<Delete><Object><Key>&b;</Key></Object></Delete>")
        bodies = [b"", b"garbage", b"<Delete>", b"<Delete></Delete>",
                  b"<Delete><Object></Object></Delete>",
                  b"<Delete><Object><Key>victim</Key></Object>", b"<Other><Object><Key>victim"
                  b"</Key></Object></Other>", too_many.encode()]
        for body in bodies:
            with self.subTest(body=body[:60]):
                self.assertS3Error(self.signed("POST", "/%s" % BUCKET, "delete=", body), 400,
                                   "MalformedXML")
        # Entities are not expanded: either refused, or "&b;" is taken literally.
        st, _, body = self.signed("POST", "/%s" % BUCKET, "delete=", entity_bomb.encode())
        self.assertIn(st, (200, 400), body)
        self.assertTrue(exists("victim"))
        # Content-MD5 that does not match the body.
        good = b"<Delete><Object><Key>victim</Key></Object></Delete>"
        self.assertS3Error(self.signed("POST", "/%s" % BUCKET, "delete=", good,
                                       {"Content-MD5": s3raw.b64_md5(b"other")}), 400,
                           "BadDigest")
        self.assertTrue(exists("victim"))
        st, _, body = self.signed("POST", "/%s" % BUCKET, "delete=", good,
                                  {"Content-MD5": s3raw.b64_md5(good)})
        self.assertEqual(st, 200, body)
        self.assertFalse(exists("victim"))

    def test_malformed_create_bucket_xml(self):
        self.assertS3Error(self.signed("PUT", "/newbucket", body=b"<CreateBucketConfiguration>"),
                           400, "MalformedXML")
        with self.assertRaises(botocore.exceptions.ClientError):
            S3.head_bucket(Bucket="newbucket")

    def test_bad_ranges(self):
        data = random_bytes(1000, seed=1)
        S3.put_object(Bucket=BUCKET, Key="ranged", Body=data)
        for rng in ("bytes=99999999999999999999999-", "bytes=-99999999999999999999999",
                    "bytes=0-99999999999999999999999", "bytes=-", "bytes=", "bytes=--1",
                    "bytes=1-2-3", "bytes= 1 - 2 ", "bytes=0-0,-1", "x" * 4000,
                    "bytes=1000-1000", "bytes=-0"):
            with self.subTest(range=rng):
                st, h, body = self.signed("GET", "/%s/ranged" % BUCKET, headers={"Range": rng})
                self.assertIn(st, (200, 206, 416), body[:200])
                if st == 416:
                    self.assertEqual(error_code(body), "InvalidRange")
                elif st == 206:
                    first, last = map(int, h["content-range"].split()[1].split("/")[0]
                                      .split("-"))
                    self.assertEqual(body, data[first:last + 1])
                else:
                    self.assertEqual(body, data)

    def test_oversized_headers(self):
        for headers in ({"x-amz-meta-big": "v" * (65 * 1024)},
                        {"x-junk-%d" % i: "v" * 100 for i in range(700)}):
            head = "".join("%s: %s\r\n" % kv for kv in headers.items())
            raw = ("GET /%s/canary HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n" % (BUCKET, head)).encode()
            reply = s3raw.raw_exchange(SRV, raw)
            self.assertIn(s3raw.status_of(reply), (400, 431), reply[:300])
            self.assertIn(b"RequestHeaderSectionTooLarge", reply)
        # A signed PUT whose metadata is too large is refused and stores nothing.
        h = s3raw.sign_headers(SRV, "PUT", "/%s/bigmeta" % BUCKET,
                               payload_sha256=hashlib.sha256(b"x").hexdigest(),
                               headers={"x-amz-meta-big": "v" * (70 * 1024),
                                        "Content-Length": "1"})
        raw = ("PUT /%s/bigmeta HTTP/1.1\r\n%s\r\nx"
               % (BUCKET, "".join("%s: %s\r\n" % kv for kv in h.items()))).encode()
        reply = s3raw.raw_exchange(SRV, raw)
        self.assertIn(s3raw.status_of(reply), (400, 431), reply[:300])
        self.assertFalse(exists("bigmeta"))

    def test_truncated_bodies(self):
        S3.put_object(Bucket=BUCKET, Key="trunc-existing", Body=b"old version")
        for key in ("trunc-new", "trunc-existing"):
            for half_close in (False, True):
                with self.subTest(key=key, half_close=half_close):
                    data = random_bytes(4 * MiB, seed=2)
                    path = "/%s/%s" % (BUCKET, key)
                    h = s3raw.sign_headers(SRV, "PUT", path,
                                           payload_sha256=hashlib.sha256(data).hexdigest(),
                                           headers={"Content-Length": str(len(data))})
                    head = "".join("%s: %s\r\n" % kv for kv in h.items())
                    raw = ("PUT %s HTTP/1.1\r\n%s\r\n" % (path, head)).encode() + data[:MiB]
                    # The client dies mid-body, or says it is done sending (half-close).
                    reply = s3raw.raw_exchange(SRV, raw, timeout=30, shutdown_write=half_close,
                                               read_reply=half_close)
                    if half_close:
                        self.assertEqual(s3raw.status_of(reply), 400, reply[:300])
        self.assertFalse(exists("trunc-new"))
        self.assertEqual(S3.get_object(Bucket=BUCKET, Key="trunc-existing")["Body"].read(),
                         b"old version")
        # UNSIGNED-PAYLOAD (no hash to catch it): only the length says the body is short.
        path = "/%s/trunc-unsigned" % BUCKET
        h = s3raw.sign_headers(SRV, "PUT", path, payload_sha256="UNSIGNED-PAYLOAD",
                               headers={"Content-Length": str(MiB)})
        head = "".join("%s: %s\r\n" % kv for kv in h.items())
        s3raw.raw_exchange(SRV, ("PUT %s HTTP/1.1\r\n%s\r\n" % (path, head)).encode() + b"x" * 1000,
                           read_reply=False)
        self.assertFalse(exists("trunc-unsigned"))
        # An upload part cut short is not listed.
        up = S3.create_multipart_upload(Bucket=BUCKET, Key="trunc-mp")["UploadId"]
        path = "/%s/trunc-mp" % BUCKET
        query = "partNumber=1&uploadId=" + up
        h = s3raw.sign_headers(SRV, "PUT", path, query=query, payload_sha256="UNSIGNED-PAYLOAD",
                               headers={"Content-Length": str(MiB)})
        head = "".join("%s: %s\r\n" % kv for kv in h.items())
        s3raw.raw_exchange(SRV, ("PUT %s?%s HTTP/1.1\r\n%s\r\n" % (path, query, head)).encode()
                           + b"x" * 1000, read_reply=False)
        self.assertEqual(S3.list_parts(Bucket=BUCKET, Key="trunc-mp", UploadId=up)
                         .get("Parts", []), [])
        # aws-chunked cut after the first chunk.
        data = random_bytes(100000, seed=3)
        path = "/%s/trunc-chunked" % BUCKET
        headers = {"Content-Encoding": "aws-chunked",
                   "x-amz-decoded-content-length": str(len(data)), "Content-Length": "200000"}
        h = s3raw.sign_headers(SRV, "PUT", path, headers=headers,
                               payload_sha256="STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        enc = s3raw.aws_chunked_body(data, 65536, headers=h, secret_key=SRV.secret_key)
        head = "".join("%s: %s\r\n" % kv for kv in h.items())
        s3raw.raw_exchange(SRV, ("PUT %s HTTP/1.1\r\n%s\r\n" % (path, head)).encode()
                           + enc[:70000], read_reply=False)
        self.assertFalse(exists("trunc-chunked"))

    def test_garbage_on_the_socket(self):
        garbage = [
            random_bytes(5000, seed=4),
            b"\x00" * 100 + b"\r\n\r\n",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + random_bytes(500, seed=5),  # TLS hello
            b"GET / HTTP/9.9\r\n\r\n",
            b"GET\r\n\r\n",
            b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
            b"PUT /bad/x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
            b"PUT /bad/x HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
            b"PUT /bad/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            b"PUT /bad/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"PUT /bad/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nnothex\r\n",
            b"GET /bad/canary HTTP/1.1\r\nHost: x\r\n\r\n" * 3,  # pipelined, anonymous
            b"\r\n" * 10000,
        ]
        for g in garbage:
            with self.subTest(garbage=g[:40]):
                reply = s3raw.raw_exchange(SRV, g, timeout=10, shutdown_write=True)
                st = s3raw.status_of(reply)
                self.assertTrue(st is None or 400 <= st < 500, reply[:300])
        self.assertFalse(exists("x"))

    def test_pipelined_requests_get_one_answer_each(self):
        req = b""
        for _ in range(3):
            h = s3raw.sign_headers(SRV, "GET", "/%s/canary" % BUCKET)
            req += ("GET /%s/canary HTTP/1.1\r\n%s\r\n"
                    % (BUCKET, "".join("%s: %s\r\n" % kv for kv in h.items()))).encode()
        reply = s3raw.raw_exchange(SRV, req, timeout=5, shutdown_write=True)
        self.assertEqual(reply.count(b"HTTP/1.1 200 OK"), 3, reply[:600])
        self.assertEqual(reply.count(b"still here"), 3)

    def test_bad_keys_and_names(self):
        cases = [("PUT", "/%s/%%FF%%FE" % BUCKET, ""), ("GET", "/%s/%%FF%%FE" % BUCKET, ""),
                 ("PUT", "/%s/%s" % (BUCKET, "k" * 1025), ""),
                 ("GET", "/%s/%s" % (BUCKET, "k" * 1025), ""),
                 ("PUT", "/%s/x%%zz" % BUCKET, ""), ("GET", "/%s/x%%zz" % BUCKET, ""),
                 ("PUT", "/Bad_Bucket!/k", ""), ("GET", "/Bad_Bucket!/k", ""),
                 ("PUT", "/%s/k" % BUCKET, "partNumber=0&uploadId=x"),
                 ("PUT", "/%s/k" % BUCKET, "uploadId=nosuch&partNumber=1"),
                 ("GET", "/%s" % BUCKET, "max-keys=-1"), ("GET", "/%s" % BUCKET, "max-keys=abc"),
                 ("GET", "/%s" % BUCKET, "list-type=2&continuation-token=%%%%%%"),
                 ("GET", "/%s" % BUCKET, "list-type=2&continuation-token=bm9wZQ=="),
                 ("GET", "/%s" % BUCKET, "encoding-type=bogus")]
        for method, path, query in cases:
            with self.subTest(method=method, path=path[:60], query=query):
                st, _, body = self.signed(method, path, query=query,
                                          body=b"data" if method == "PUT" else b"")
                self.assertTrue(400 <= st < 500, (st, body[:300]))
                self.assertIsNotNone(error_code(body), body[:300])

    def test_unknown_access_key_and_bad_signatures(self):
        path = "/%s/canary" % BUCKET
        h = s3raw.sign_headers(SRV, "GET", path, access_key="AKIAUNKNOWN000000000")
        self.assertS3Error(s3raw.request(SRV, "GET", path, h), 403, "InvalidAccessKeyId")
        h = s3raw.sign_headers(SRV, "GET", path, secret_key="not the secret")
        self.assertS3Error(s3raw.request(SRV, "GET", path, h), 403, "SignatureDoesNotMatch")
        # A signed header changed after signing.
        h = s3raw.sign_headers(SRV, "GET", path, headers={"x-amz-meta-a": "1"})
        h["x-amz-meta-a"] = "2"
        self.assertS3Error(s3raw.request(SRV, "GET", path, h), 403, "SignatureDoesNotMatch")
        # Signed too far from the server's clock.
        now = datetime.datetime.now(datetime.timezone.utc)
        for delta in (-20, 20):
            h = s3raw.sign_headers(SRV, "GET", path, when=now + datetime.timedelta(minutes=delta))
            self.assertS3Error(s3raw.request(SRV, "GET", path, h), 403, "RequestTimeTooSkewed")
        h = s3raw.sign_headers(SRV, "GET", path, when=now - datetime.timedelta(minutes=2))
        self.assertEqual(s3raw.request(SRV, "GET", path, h)[0], 200)
        # An x-amz-* header added after signing, and header plus query authentication at once.
        h = s3raw.sign_headers(SRV, "GET", path)
        h["x-amz-meta-smuggled"] = "1"
        self.assertS3Error(s3raw.request(SRV, "GET", path, h), 403, "AccessDenied")
        h = s3raw.sign_headers(SRV, "GET", path)
        url = presign("GET", path, amz_date(), 60)
        self.assertS3Error(s3raw.request(SRV, "GET", url, h), 400, "InvalidArgument")
        # A body that does not match the signed hash is refused and not stored.
        h = s3raw.sign_headers(SRV, "PUT", "/%s/mismatch" % BUCKET,
                               payload_sha256=hashlib.sha256(b"signed").hexdigest())
        self.assertS3Error(s3raw.request(SRV, "PUT", "/%s/mismatch" % BUCKET, h, b"sent!!"), 400,
                           "XAmzContentSHA256Mismatch")
        self.assertFalse(exists("mismatch"))
        # No authentication at all, and garbage in the Authorization header.
        self.assertS3Error(s3raw.request(SRV, "GET", path, {"Host": "127.0.0.1"}), 403,
                           "AccessDenied")
        st, _, body = s3raw.request(SRV, "GET", path, {"Host": "127.0.0.1",
                                                       "Authorization": "AWS4-HMAC-SHA256 ;;;"})
        self.assertTrue(400 <= st < 500, body)
        # A PUT refused for its credentials with Expect: 100-continue: the body is never sent.
        h = s3raw.sign_headers(SRV, "PUT", "/%s/expect" % BUCKET, access_key="AKIAUNKNOWN000000000",
                               payload_sha256="UNSIGNED-PAYLOAD",
                               headers={"Content-Length": str(100 * MiB), "Expect": "100-continue"})
        raw = ("PUT /%s/expect HTTP/1.1\r\n%s\r\n"
               % (BUCKET, "".join("%s: %s\r\n" % kv for kv in h.items()))).encode()
        reply = s3raw.raw_exchange(SRV, raw, timeout=10)
        self.assertEqual(s3raw.status_of(reply), 403, reply[:300])
        self.assertFalse(exists("expect"))

    def test_presigned_expired_future_and_overlong(self):
        path = "/%s/canary" % BUCKET
        st, _, body = s3raw.request(SRV, "GET", presign("GET", path, amz_date(), 60),
                                    {"Host": "127.0.0.1:%d" % SRV.port})
        self.assertEqual((st, body), (200, b"still here"))  # the helper itself is right
        for url, status, code in (
                (presign("GET", path, amz_date(-3600), 60), 403, "AccessDenied"),
                (presign("GET", path, amz_date(+3600), 60), 403, "AccessDenied"),
                (presign("GET", path, amz_date(), 604801), 400,
                 "AuthorizationQueryParametersError"),
                (presign("GET", path, amz_date(), 60, access_key="AKIAUNKNOWN000000000"), 403,
                 "InvalidAccessKeyId"),
                (presign("PUT", "/%s/presigned-expired" % BUCKET, amz_date(-3600), 60), 403,
                 "AccessDenied")):
            with self.subTest(url=url[:80]):
                method = "PUT" if "presigned-expired" in url else "GET"
                self.assertS3Error(s3raw.request(SRV, method, url, {
                    "Host": "127.0.0.1:%d" % SRV.port}, b"body" if method == "PUT" else b""),
                    status, code)
        self.assertFalse(exists("presigned-expired"))

    def test_response_overrides_cannot_inject_headers_or_a_body(self):
        # A presigned GET anyone can be sent, whose override would split the response.
        from botocore.config import Config
        signer = SRV.boto3_client(config=Config(signature_version="s3v4"))

        def get(**overrides):
            url = signer.generate_presigned_url(
                "get_object", Params=dict(Bucket=BUCKET, Key="canary", **overrides))
            return s3raw.request(SRV, "GET", url[len(SRV.endpoint):],
                                 {"Host": "127.0.0.1:%d" % SRV.port})

        injected = "text/html\r\nSet-Cookie: sid=x\r\n\r\n<script>"
        for param in ("ResponseContentType", "ResponseContentDisposition",
                      "ResponseCacheControl", "ResponseContentLanguage"):
            with self.subTest(param=param):
                st, headers, body = get(**{param: injected})
                self.assertEqual((st, error_code(body)), (400, "InvalidArgument"), body[:300])
                self.assertNotIn("set-cookie", headers)
                self.assertNotIn(b"<script>", body)
        for value in ("a\nb", "a\x00b", "a\rb"):
            st, headers, body = get(ResponseContentType=value)
            self.assertEqual(st, 400, body[:300])
        # A plain override still works.
        st, headers, body = get(ResponseContentType="text/plain")
        self.assertEqual((st, headers.get("content-type"), body), (200, "text/plain",
                                                                   b"still here"))

    def test_huge_declared_length_is_refused_without_reading(self):
        path = "/%s/huge" % BUCKET
        h = s3raw.sign_headers(SRV, "PUT", path, payload_sha256="UNSIGNED-PAYLOAD",
                               headers={"Content-Length": str(10 * 1024 ** 4)})
        raw = ("PUT %s HTTP/1.1\r\n%s\r\n" % (path, "".join("%s: %s\r\n" % kv
                                                              for kv in h.items()))).encode()
        reply = s3raw.raw_exchange(SRV, raw + b"x" * 1000, timeout=10)
        self.assertEqual(s3raw.status_of(reply), 400, reply[:300])
        self.assertIn(b"EntityTooLarge", reply)
        self.assertFalse(exists("huge"))


class ServeFlags(unittest.TestCase):
    def test_the_root_and_its_files_are_the_owners_alone(self):
        import stat
        with FerryServer() as srv:
            s3 = srv.boto3_client()
            s3.create_bucket(Bucket="private")
            s3.put_object(Bucket="private", Key="big", Body=b"x" * (1 << 20))
            s3.put_object(Bucket="private", Key="small", Body=b"x" * 10000)
            data = os.path.join(srv.root, "data")
            for d, dirs, files in os.walk(data):
                mode = stat.S_IMODE(os.stat(d).st_mode)
                self.assertEqual(mode & 0o077, 0, "%s is %o" % (d, mode))
                for name in files:
                    path = os.path.join(d, name)
                    mode = stat.S_IMODE(os.stat(path).st_mode)
                    self.assertEqual(mode & 0o077, 0, "%s is %o" % (path, mode))

    def test_the_secret_is_printed_once_when_made(self):
        srv = FerryServer()
        try:
            srv.start()
            with open(os.path.join(srv.root, ".stdout")) as f:
                first = f.read()
            self.assertIn("export AWS_SECRET_ACCESS_KEY=" + srv.secret_key, first)
            srv.stop()
            srv.start()
            with open(os.path.join(srv.root, ".stdout")) as f:
                second = f.read()
            self.assertNotIn(srv.secret_key, second)
            self.assertIn("credentials.json", second)
            # The kept key still works.
            srv.boto3_client().list_buckets()
        finally:
            srv.cleanup()

    def test_nonsense_timeouts_are_usage_errors(self):
        import tempfile
        with tempfile.TemporaryDirectory() as root:
            for value in ("-5", "0", "abc"):
                p = subprocess.run([FERRY_BIN, "serve", "--root", root, "--listen", "127.0.0.1:0",
                                    "--idle-timeout", value], capture_output=True, text=True,
                                   timeout=30)
                self.assertEqual(p.returncode, 2, (value, p.stderr))
                self.assertIn("--idle-timeout", p.stderr)


class Stalls(unittest.TestCase):
    """Clients that stop sending without closing: a server with a 1 s idle timeout drops
    them (the test waits for the close, it does not time it) and stores nothing."""

    def test_stalled_body_and_header_are_dropped(self):
        with FerryServer(extra_args=["--idle-timeout", "1"]) as srv:
            s3 = srv.boto3_client()
            s3.create_bucket(Bucket="stall")
            path = "/stall/stalled"
            h = s3raw.sign_headers(srv, "PUT", path, payload_sha256="UNSIGNED-PAYLOAD",
                                   headers={"Content-Length": str(MiB)})
            raw = ("PUT %s HTTP/1.1\r\n%s\r\n" % (path, "".join(
                "%s: %s\r\n" % kv for kv in h.items()))).encode() + b"x" * 1000
            for stalled in (raw, b"GET /stall/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ab"):
                # raw_exchange returns when the server closes the connection.
                s3raw.raw_exchange(srv, stalled, timeout=60)
            with self.assertRaises(botocore.exceptions.ClientError):
                s3.head_object(Bucket="stall", Key="stalled")
            s3.put_object(Bucket="stall", Key="fine", Body=b"f")
            self.assertEqual(s3.get_object(Bucket="stall", Key="fine")["Body"].read(), b"f")


if __name__ == "__main__":
    main()
