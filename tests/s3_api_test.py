#!/usr/bin/env python3
"""S3 semantics beyond the basic round trip, through boto3 and hand-signed requests:
presigned URLs, conditional requests, ranges, copies, multipart bookkeeping and errors,
If-None-Match on PUT, Content-MD5 and additional checksums, virtual-hosted-style addressing,
and aws-chunked uploads (unsigned with a trailer, signed chunks, signed trailer).
"""
import base64
import hashlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

import botocore.exceptions
from botocore.config import Config

import s3raw
from ferrytest import FerryServer, main, random_bytes

MiB = 1024 * 1024
SRV = None
S3 = None


def setUpModule():
    global SRV, S3
    SRV = FerryServer().start()
    S3 = SRV.boto3_client()


def tearDownModule():
    if SRV:
        SRV.cleanup()


def body(bucket, key, **kw):
    return S3.get_object(Bucket=bucket, Key=key, **kw)["Body"].read()


def exists(bucket, key):
    try:
        S3.head_object(Bucket=bucket, Key=key)
        return True
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] in ("404", "NoSuchKey"):
            return False
        raise


def with_headers(client, operation, headers):
    """Adds raw headers to one boto3 operation (for headers this botocore has no parameter
    for), before signing so they are signed."""
    def add(request, **kwargs):
        for k, v in headers.items():
            request.headers[k] = v
    client.meta.events.register("before-sign.s3." + operation, add)
    return client


class Base(unittest.TestCase):
    BUCKET = None

    @classmethod
    def setUpClass(cls):
        cls.bucket = cls.BUCKET or cls.__name__.lower()
        S3.create_bucket(Bucket=cls.bucket)

    def assertError(self, code, status, fn, *args, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(*args, **kwargs)
        err = cm.exception.response
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status, err)
        self.assertEqual(err["Error"]["Code"], code, err)
        return err


def presigner():
    # Debian's botocore 1.29 presigns S3 URLs with SigV2 unless told otherwise (SigV2 is
    # tested in s3_sigv2_test.py).
    return SRV.boto3_client(config=Config(signature_version="s3v4",
                                          s3={"addressing_style": "path"}))


class Presigned(Base):
    def test_presigned_get_and_put_with_urllib(self):
        S3 = presigner()  # noqa: N806
        key = "pre signed/ü+%.bin"
        data = random_bytes(200 * 1024, seed=10)
        S3.put_object(Bucket=self.bucket, Key=key, Body=data)
        url = S3.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key},
                                        ExpiresIn=600)
        with urllib.request.urlopen(url, timeout=30) as r:
            self.assertEqual(r.read(), data)
        put_url = S3.generate_presigned_url(
            "put_object", Params={"Bucket": self.bucket, "Key": key + ".new"}, ExpiresIn=600)
        new = random_bytes(70000, seed=11)
        req = urllib.request.Request(put_url, data=new, method="PUT")
        with urllib.request.urlopen(req, timeout=30) as r:
            self.assertEqual(r.status, 200)
        self.assertEqual(body(self.bucket, key + ".new"), new)
        # Tampering with the signed URL is refused.
        bad = url.replace("X-Amz-Expires=600", "X-Amz-Expires=601")
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(bad, timeout=30)
        self.assertEqual(cm.exception.code, 403)
        self.assertIn(b"SignatureDoesNotMatch", cm.exception.read())

    def test_a_default_sigv2_presigned_url_works(self):
        S3.put_object(Bucket=self.bucket, Key="v2", Body=b"x")
        url = S3.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": "v2"})
        self.assertIn("Signature=", url)
        self.assertEqual(urllib.request.urlopen(url, timeout=30).read(), b"x")

    def test_expired_presigned_url_is_refused(self):
        S3.put_object(Bucket=self.bucket, Key="expiring", Body=b"x")
        url = presigner().generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "expiring"}, ExpiresIn=1)
        time.sleep(2.2)
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(url, timeout=30)
        self.assertEqual(cm.exception.code, 403)
        self.assertIn(b"AccessDenied", cm.exception.read())


class ConditionsAndRanges(Base):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = random_bytes(100000, seed=12)
        cls.etag = S3.put_object(Bucket=cls.bucket, Key="obj", Body=cls.data)["ETag"]

    def test_conditional_get(self):
        err = self.assertError("304", 304, S3.get_object, Bucket=self.bucket, Key="obj",
                               IfNoneMatch=self.etag)
        self.assertEqual(err["ResponseMetadata"]["HTTPHeaders"]["etag"], self.etag)
        self.assertError("304", 304, S3.head_object, Bucket=self.bucket, Key="obj",
                         IfNoneMatch=self.etag)
        self.assertError("PreconditionFailed", 412, S3.get_object, Bucket=self.bucket,
                         Key="obj", IfMatch='"0123456789abcdef0123456789abcdef"')
        self.assertError("412", 412, S3.head_object, Bucket=self.bucket, Key="obj",
                         IfMatch='"0123456789abcdef0123456789abcdef"')
        self.assertEqual(body(self.bucket, "obj", IfMatch=self.etag), self.data)
        self.assertEqual(body(self.bucket, "obj", IfNoneMatch='"other"'), self.data)
        past = "Mon, 01 Jan 2001 00:00:00 GMT"
        future = "Fri, 01 Jan 2100 00:00:00 GMT"
        self.assertError("304", 304, S3.get_object, Bucket=self.bucket, Key="obj",
                         IfModifiedSince=future)
        self.assertError("PreconditionFailed", 412, S3.get_object, Bucket=self.bucket,
                         Key="obj", IfUnmodifiedSince=past)
        self.assertEqual(body(self.bucket, "obj", IfModifiedSince=past), self.data)

    def test_ranges(self):
        n = len(self.data)
        cases = [("bytes=0-0", 0, 1), ("bytes=10-19", 10, 20), ("bytes=-300", n - 300, n),
                 ("bytes=%d-" % (n - 7), n - 7, n), ("bytes=99990-200000", 99990, n),
                 ("bytes=-200000", 0, n), ("bytes=0-", 0, n)]
        for spec, start, end in cases:
            with self.subTest(range=spec):
                r = S3.get_object(Bucket=self.bucket, Key="obj", Range=spec)
                self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 206)
                self.assertEqual(r["ContentRange"], "bytes %d-%d/%d" % (start, end - 1, n))
                self.assertEqual(r["ContentLength"], end - start)
                self.assertEqual(r["Body"].read(), self.data[start:end])
        for spec in ("bytes=%d-" % n, "bytes=%d-%d" % (n + 5, n + 10), "bytes=-0"):
            with self.subTest(range=spec):
                self.assertError("InvalidRange", 416, S3.get_object, Bucket=self.bucket,
                                 Key="obj", Range=spec)
        # A 416 tells the client the object's size.
        url = presigner().generate_presigned_url("get_object",
                                                 Params={"Bucket": self.bucket, "Key": "obj"})
        req = urllib.request.Request(url, headers={"Range": "bytes=%d-" % n})
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(req, timeout=10)
        self.assertEqual(caught.exception.code, 416)
        self.assertEqual(caught.exception.headers["Content-Range"], "bytes */%d" % n)
        # What S3 does not honour is ignored: the whole object comes back.
        for spec in ("bytes=0-1,5-6", "items=0-5", "bytes=5-2", "garbage"):
            with self.subTest(range=spec):
                r = S3.get_object(Bucket=self.bucket, Key="obj", Range=spec)
                self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
                self.assertEqual(r["Body"].read(), self.data)


class Copies(Base):
    def test_copy_metadata_replace_and_copy(self):
        S3.put_object(Bucket=self.bucket, Key="src", Body=b"source body", ContentType="text/x-a",
                      Metadata={"a": "1", "b": "2"})
        S3.copy_object(Bucket=self.bucket, Key="dst-copy", CopySource={"Bucket": self.bucket,
                                                                       "Key": "src"},
                       Metadata={"ignored": "yes"})
        h = S3.head_object(Bucket=self.bucket, Key="dst-copy")
        self.assertEqual(h["Metadata"], {"a": "1", "b": "2"})
        self.assertEqual(h["ContentType"], "text/x-a")
        S3.copy_object(Bucket=self.bucket, Key="dst-replace",
                       CopySource={"Bucket": self.bucket, "Key": "src"},
                       MetadataDirective="REPLACE", Metadata={"c": "3"}, ContentType="text/x-b")
        h = S3.head_object(Bucket=self.bucket, Key="dst-replace")
        self.assertEqual(h["Metadata"], {"c": "3"})
        self.assertEqual(h["ContentType"], "text/x-b")
        self.assertEqual(body(self.bucket, "dst-replace"), b"source body")
        # The source is untouched.
        self.assertEqual(S3.head_object(Bucket=self.bucket, Key="src")["Metadata"],
                         {"a": "1", "b": "2"})

    def test_same_key_metadata_change(self):
        etag = S3.put_object(Bucket=self.bucket, Key="self", Body=b"keep me",
                             Metadata={"v": "1"})["ETag"]
        self.assertError("InvalidRequest", 400, S3.copy_object, Bucket=self.bucket, Key="self",
                         CopySource={"Bucket": self.bucket, "Key": "self"})
        r = S3.copy_object(Bucket=self.bucket, Key="self",
                           CopySource={"Bucket": self.bucket, "Key": "self"},
                           MetadataDirective="REPLACE", Metadata={"v": "2"})
        self.assertEqual(r["CopyObjectResult"]["ETag"], etag)
        h = S3.head_object(Bucket=self.bucket, Key="self")
        self.assertEqual(h["Metadata"], {"v": "2"})
        self.assertEqual(h["ETag"], etag)
        self.assertEqual(body(self.bucket, "self"), b"keep me")

    def test_copy_source_conditions_and_missing_source(self):
        etag = S3.put_object(Bucket=self.bucket, Key="cond", Body=b"c")["ETag"]
        self.assertError("PreconditionFailed", 412, S3.copy_object, Bucket=self.bucket,
                         Key="cond2", CopySource={"Bucket": self.bucket, "Key": "cond"},
                         CopySourceIfMatch='"ffffffffffffffffffffffffffffffff"')
        self.assertError("PreconditionFailed", 412, S3.copy_object, Bucket=self.bucket,
                         Key="cond2", CopySource={"Bucket": self.bucket, "Key": "cond"},
                         CopySourceIfNoneMatch=etag)
        self.assertFalse(exists(self.bucket, "cond2"))
        self.assertError("NoSuchKey", 404, S3.copy_object, Bucket=self.bucket, Key="x",
                         CopySource={"Bucket": self.bucket, "Key": "missing"})

    def test_upload_part_copy_with_ranges(self):
        src = random_bytes(12 * MiB + 100, seed=13)
        other = random_bytes(1000, seed=14)
        S3.put_object(Bucket=self.bucket, Key="upc/src", Body=src)
        S3.put_object(Bucket=self.bucket, Key="upc/other", Body=other)
        up = S3.create_multipart_upload(Bucket=self.bucket, Key="upc/dst")["UploadId"]
        pieces = [("upc/src", "bytes=0-%d" % (5 * MiB - 1), src[:5 * MiB]),
                  ("upc/src", "bytes=%d-%d" % (7 * MiB, 12 * MiB + 99), src[7 * MiB:]),
                  ("upc/other", None, other)]
        parts = []
        for i, (key, rng, want) in enumerate(pieces, 1):
            kw = {"CopySourceRange": rng} if rng else {}
            r = S3.upload_part_copy(Bucket=self.bucket, Key="upc/dst", UploadId=up, PartNumber=i,
                                    CopySource={"Bucket": self.bucket, "Key": key}, **kw)
            self.assertEqual(r["CopyPartResult"]["ETag"].strip('"'),
                             hashlib.md5(want).hexdigest())
            parts.append({"PartNumber": i, "ETag": r["CopyPartResult"]["ETag"]})
        # A range past the end of the source is refused.
        for bad in ("bytes=500-1000", "bytes=-100", "bytes=100-", "bytes=5-2"):
            with self.subTest(range=bad):
                self.assertError("InvalidArgument", 400, S3.upload_part_copy, Bucket=self.bucket,
                                 Key="upc/dst", UploadId=up, PartNumber=4,
                                 CopySource={"Bucket": self.bucket, "Key": "upc/other"},
                                 CopySourceRange=bad)
        S3.complete_multipart_upload(Bucket=self.bucket, Key="upc/dst", UploadId=up,
                                     MultipartUpload={"Parts": parts})
        self.assertEqual(body(self.bucket, "upc/dst"), b"".join(p[2] for p in pieces))


class Multipart(Base):
    def upload(self, key, sizes, seed=0):
        up = S3.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        parts, datas = [], []
        for i, size in enumerate(sizes, 1):
            data = random_bytes(size, seed=seed + i)
            r = S3.upload_part(Bucket=self.bucket, Key=key, UploadId=up, PartNumber=i, Body=data)
            parts.append({"PartNumber": i, "ETag": r["ETag"]})
            datas.append(data)
        return up, parts, datas

    def test_list_parts_list_uploads_abort(self):
        up1, parts, _ = self.upload("lp/one", [5 * MiB, 100, 200], seed=20)
        up2 = S3.create_multipart_upload(Bucket=self.bucket, Key="lp/one")["UploadId"]
        up3 = S3.create_multipart_upload(Bucket=self.bucket, Key="lp/dir/two")["UploadId"]
        r = S3.list_parts(Bucket=self.bucket, Key="lp/one", UploadId=up1)
        self.assertEqual([(p["PartNumber"], p["Size"], p["ETag"]) for p in r["Parts"]],
                         [(p["PartNumber"], s, p["ETag"]) for p, s in zip(parts, [5 * MiB, 100,
                                                                                  200])])
        self.assertFalse(r["IsTruncated"])
        r = S3.list_parts(Bucket=self.bucket, Key="lp/one", UploadId=up1, MaxParts=2)
        self.assertTrue(r["IsTruncated"])
        self.assertEqual([p["PartNumber"] for p in r["Parts"]], [1, 2])
        r = S3.list_parts(Bucket=self.bucket, Key="lp/one", UploadId=up1,
                          PartNumberMarker=r["NextPartNumberMarker"])
        self.assertEqual([p["PartNumber"] for p in r["Parts"]], [3])
        r = S3.list_multipart_uploads(Bucket=self.bucket, Prefix="lp/")
        self.assertEqual(sorted((u["Key"], u["UploadId"]) for u in r["Uploads"]),
                         sorted([("lp/one", up1), ("lp/one", up2), ("lp/dir/two", up3)]))
        r = S3.list_multipart_uploads(Bucket=self.bucket, Prefix="lp/", Delimiter="/")
        self.assertEqual([p["Prefix"] for p in r.get("CommonPrefixes", [])], ["lp/dir/"])
        self.assertEqual(sorted(u["UploadId"] for u in r["Uploads"]), sorted([up1, up2]))
        r = S3.list_multipart_uploads(Bucket=self.bucket, Prefix="lp/", MaxUploads=1)
        self.assertTrue(r["IsTruncated"])
        self.assertEqual(len(r["Uploads"]), 1)
        seen = [(r["Uploads"][0]["Key"], r["Uploads"][0]["UploadId"])]
        while r["IsTruncated"]:
            r = S3.list_multipart_uploads(Bucket=self.bucket, Prefix="lp/", MaxUploads=1,
                                          KeyMarker=r["NextKeyMarker"],
                                          UploadIdMarker=r["NextUploadIdMarker"])
            seen += [(u["Key"], u["UploadId"]) for u in r.get("Uploads", [])]
        self.assertEqual(sorted(seen), sorted([("lp/one", up1), ("lp/one", up2),
                                               ("lp/dir/two", up3)]))
        for key, up in (("lp/one", up1), ("lp/one", up2), ("lp/dir/two", up3)):
            S3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=up)
        self.assertError("NoSuchUpload", 404, S3.list_parts, Bucket=self.bucket, Key="lp/one",
                         UploadId=up1)
        self.assertError("NoSuchUpload", 404, S3.upload_part, Bucket=self.bucket, Key="lp/one",
                         UploadId=up1, PartNumber=1, Body=b"x")
        self.assertError("NoSuchUpload", 404, S3.abort_multipart_upload, Bucket=self.bucket,
                         Key="lp/one", UploadId=up1)
        self.assertEqual(S3.list_multipart_uploads(Bucket=self.bucket, Prefix="lp/")
                         .get("Uploads", []), [])
        self.assertFalse(exists(self.bucket, "lp/one"))

    def test_complete_errors(self):
        up, parts, datas = self.upload("ce", [5 * MiB, 1000, 2000], seed=30)
        complete = lambda ps, key="ce", upload=up: S3.complete_multipart_upload(  # noqa: E731
            Bucket=self.bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": ps})
        wrong_etag = [parts[0], {"PartNumber": 3, "ETag": '"%s"' % ("0" * 32)}]
        self.assertError("InvalidPart", 400, complete, wrong_etag)
        missing = [parts[0], {"PartNumber": 7, "ETag": parts[2]["ETag"]}]
        self.assertError("InvalidPart", 400, complete, missing)
        self.assertError("InvalidPartOrder", 400, complete, [parts[2], parts[0]])
        self.assertError("InvalidPartOrder", 400, complete, [parts[0], parts[0]])
        # Part 2 (1000 bytes) is not the last part: too small.
        self.assertError("EntityTooSmall", 400, complete, [parts[1], parts[2]])
        self.assertError("NoSuchUpload", 404, complete, parts, upload="nosuchupload")
        self.assertError("MalformedXML", 400, complete, [])
        self.assertFalse(exists(self.bucket, "ce"))
        # The upload survives failed attempts and completes with a subset of its parts.
        r = complete([parts[0], parts[2]])
        self.assertTrue(r["ETag"].endswith('-2"'), r["ETag"])
        self.assertEqual(body(self.bucket, "ce"), datas[0] + datas[2])
        self.assertError("NoSuchUpload", 404, S3.list_parts, Bucket=self.bucket, Key="ce",
                         UploadId=up)

    def test_multipart_etag_and_part_numbers(self):
        key = "etag/a b+c?"
        up, parts, datas = self.upload(key, [5 * MiB, 5 * MiB, 1], seed=40)
        r = S3.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=up,
                                         MultipartUpload={"Parts": parts})
        md5s = b"".join(hashlib.md5(d).digest() for d in datas)
        self.assertEqual(r["ETag"], '"%s-3"' % hashlib.md5(md5s).hexdigest())
        self.assertEqual((r["Bucket"], r["Key"]), (self.bucket, key))
        # Location is a URL: the key in it is percent-encoded.
        self.assertTrue(r["Location"].endswith("/%s/etag/a%%20b%%2Bc%%3F" % self.bucket),
                        r["Location"])
        h = S3.head_object(Bucket=self.bucket, Key=key, PartNumber=3)
        self.assertEqual((h["ContentLength"], h["PartsCount"]), (1, 3))


class ConditionalPutAndDigests(Base):
    def test_if_none_match_star_on_put(self):
        s3 = with_headers(SRV.boto3_client(), "PutObject", {"If-None-Match": "*"})
        s3.put_object(Bucket=self.bucket, Key="once", Body=b"first")
        self.assertError("PreconditionFailed", 412, s3.put_object, Bucket=self.bucket,
                         Key="once", Body=b"second")
        self.assertEqual(body(self.bucket, "once"), b"first")
        # Also on CompleteMultipartUpload.
        up = S3.create_multipart_upload(Bucket=self.bucket, Key="once")["UploadId"]
        e = S3.upload_part(Bucket=self.bucket, Key="once", UploadId=up, PartNumber=1, Body=b"mp")
        s3 = with_headers(SRV.boto3_client(), "CompleteMultipartUpload", {"If-None-Match": "*"})
        self.assertError("PreconditionFailed", 412, s3.complete_multipart_upload,
                         Bucket=self.bucket, Key="once", UploadId=up,
                         MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e["ETag"]}]})
        self.assertEqual(body(self.bucket, "once"), b"first")

    def test_content_md5_mismatch(self):
        data = b"payload " * 1000
        S3.put_object(Bucket=self.bucket, Key="md5", Body=data, ContentMD5=s3raw.b64_md5(data))
        self.assertError("BadDigest", 400, S3.put_object, Bucket=self.bucket, Key="md5-new",
                         Body=data, ContentMD5=s3raw.b64_md5(b"other"))
        self.assertFalse(exists(self.bucket, "md5-new"))
        self.assertError("BadDigest", 400, S3.put_object, Bucket=self.bucket, Key="md5",
                         Body=b"replacement", ContentMD5=s3raw.b64_md5(b"other"))
        self.assertEqual(body(self.bucket, "md5"), data)
        self.assertError("InvalidDigest", 400, S3.put_object, Bucket=self.bucket, Key="md5",
                         Body=b"replacement", ContentMD5="not-base64-md5")
        up = S3.create_multipart_upload(Bucket=self.bucket, Key="md5mp")["UploadId"]
        self.assertError("BadDigest", 400, S3.upload_part, Bucket=self.bucket, Key="md5mp",
                         UploadId=up, PartNumber=1, Body=b"part",
                         ContentMD5=s3raw.b64_md5(b"trap"))
        self.assertEqual(S3.list_parts(Bucket=self.bucket, Key="md5mp", UploadId=up)
                         .get("Parts", []), [])
        S3.abort_multipart_upload(Bucket=self.bucket, Key="md5mp", UploadId=up)

    def test_additional_checksums(self):
        data = random_bytes(300 * 1024 + 1, seed=50)
        for alg, want in (("CRC32C", s3raw.b64_crc32c(data)), ("SHA256", s3raw.b64_sha256(data))):
            with self.subTest(alg=alg):
                key = "ck-" + alg
                r = S3.put_object(Bucket=self.bucket, Key=key, Body=data, ChecksumAlgorithm=alg)
                self.assertEqual(r["Checksum" + alg], want)
                h = S3.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
                self.assertEqual(h["Checksum" + alg], want)
                g = S3.get_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
                self.assertEqual(g["Checksum" + alg], want)
                self.assertEqual(g["Body"].read(), data)  # botocore verifies it too
                # Without ChecksumMode the checksum is not sent.
                self.assertNotIn("Checksum" + alg, S3.head_object(Bucket=self.bucket, Key=key))
                # A wrong value is refused and nothing is stored.
                wrong = {"CRC32C": s3raw.b64_crc32c(b"x"), "SHA256": s3raw.b64_sha256(b"x")}[alg]
                self.assertError("BadDigest", 400, S3.put_object, Bucket=self.bucket,
                                 Key=key + "-bad", Body=data, **{"Checksum" + alg: wrong})
                self.assertFalse(exists(self.bucket, key + "-bad"))
        # By hand, the header alone (no SDK involvement).
        path = "/%s/by-hand" % self.bucket
        st, _, _ = s3raw.signed_request(SRV, "PUT", path, body=data,
                                        headers={"x-amz-checksum-crc32c": s3raw.b64_crc32c(data)})
        self.assertEqual(st, 200)
        st, _, err = s3raw.signed_request(SRV, "PUT", path + "2", body=data,
                                          headers={"x-amz-checksum-crc32c": "AAAAAA=="})
        self.assertEqual(st, 400)
        self.assertIn(b"<Code>BadDigest</Code>", err)
        self.assertFalse(exists(self.bucket, "by-hand2"))

    def test_multipart_checksums(self):
        datas = [random_bytes(5 * MiB, seed=60), random_bytes(1234, seed=61)]
        up = S3.create_multipart_upload(Bucket=self.bucket, Key="mpck",
                                        ChecksumAlgorithm="SHA256")["UploadId"]
        parts = []
        for i, d in enumerate(datas, 1):
            r = S3.upload_part(Bucket=self.bucket, Key="mpck", UploadId=up, PartNumber=i, Body=d,
                               ChecksumAlgorithm="SHA256")
            self.assertEqual(r["ChecksumSHA256"], s3raw.b64_sha256(d))
            parts.append({"PartNumber": i, "ETag": r["ETag"], "ChecksumSHA256": r["ChecksumSHA256"]})
        S3.complete_multipart_upload(Bucket=self.bucket, Key="mpck", UploadId=up,
                                     MultipartUpload={"Parts": parts})
        composite = base64.b64encode(hashlib.sha256(
            b"".join(hashlib.sha256(d).digest() for d in datas)).digest()).decode()
        h = S3.head_object(Bucket=self.bucket, Key="mpck", ChecksumMode="ENABLED")
        self.assertEqual(h["ChecksumSHA256"], composite + "-2")
        self.assertEqual(body(self.bucket, "mpck"), b"".join(datas))


class VirtualHosted(Base):
    BUCKET = "vhost"

    def test_boto3_virtual_hosted_style(self):
        # BUCKET.localhost does not resolve here (no nss-myhostname): point the names this
        # test uses at 127.0.0.1 inside this process only.
        real = socket.getaddrinfo

        def resolve(host, *args, **kw):
            if isinstance(host, str) and host.endswith(".localhost"):
                host = "127.0.0.1"
            return real(host, *args, **kw)
        socket.getaddrinfo = resolve
        try:
            import boto3
            seen = []
            vs3 = boto3.client("s3", endpoint_url="http://localhost:%d" % SRV.port,
                               region_name="us-east-1", aws_access_key_id=SRV.access_key,
                               aws_secret_access_key=SRV.secret_key,
                               config=Config(s3={"addressing_style": "virtual"},
                                             retries={"max_attempts": 1}))
            vs3.meta.events.register("before-send.s3",
                                     lambda request, **kw: seen.append(request.url))
            vs3.create_bucket(Bucket="vhost2")
            data = random_bytes(50000, seed=70)
            vs3.put_object(Bucket="vhost", Key="v/key +1", Body=data, Metadata={"m": "v"})
            self.assertEqual(vs3.get_object(Bucket="vhost", Key="v/key +1")["Body"].read(), data)
            keys = [o["Key"] for o in vs3.list_objects_v2(Bucket="vhost")["Contents"]]
            self.assertEqual(keys, ["v/key +1"])
            vs3.copy_object(Bucket="vhost2", Key="c", CopySource={"Bucket": "vhost",
                                                                  "Key": "v/key +1"})
            vs3.delete_object(Bucket="vhost", Key="v/key +1")
            self.assertTrue(all(".localhost:" in u for u in seen), seen)
            self.assertTrue(any(u.startswith("http://vhost.localhost:") for u in seen), seen)
        finally:
            socket.getaddrinfo = real
        self.assertEqual(body("vhost2", "c"), data)
        self.assertFalse(exists("vhost", "v/key +1"))

    def test_raw_host_header(self):
        S3.put_object(Bucket=self.bucket, Key="raw", Body=b"by path")
        host = "%s.localhost:%d" % (self.bucket, SRV.port)
        st, h, got = s3raw.signed_request(SRV, "GET", "/raw", host=host)
        self.assertEqual((st, got), (200, b"by path"))
        st, h, got = s3raw.signed_request(SRV, "PUT", "/raw2", host=host, body=b"by host")
        self.assertEqual(st, 200)
        self.assertEqual(body(self.bucket, "raw2"), b"by host")


class AwsChunked(Base):
    """aws-chunked bodies signed here, chunk by chunk, independently of ferry's code."""

    def put_chunked(self, key, data, mode, trailer=None, chunk=64 * 1024, corrupt_chunk=None,
                    secret_key=None):
        signed = mode.startswith("STREAMING-AWS4")
        headers = {"Content-Encoding": "aws-chunked",
                   "x-amz-decoded-content-length": str(len(data))}
        if trailer:
            headers["x-amz-trailer"] = trailer[0][0]
        # The encoded length does not depend on signature values: compute it with dummies.
        probe = s3raw.aws_chunked_body(
            data, chunk, headers={"X-Amz-Date": "20000101T000000Z", "Authorization":
                                  "Signature=" + "0" * 64}, secret_key="x", trailer=trailer,
            signed=signed)
        headers["Content-Length"] = str(len(probe))
        path = "/%s/%s" % (self.bucket, s3raw.quote_key(key))
        signed_headers = s3raw.sign_headers(SRV, "PUT", path, headers=headers,
                                            payload_sha256=mode)
        encoded = s3raw.aws_chunked_body(data, chunk, headers=signed_headers,
                                         secret_key=secret_key or SRV.secret_key,
                                         trailer=trailer, signed=signed,
                                         corrupt_chunk=corrupt_chunk)
        self.assertEqual(len(encoded), len(probe))
        return s3raw.request(SRV, "PUT", path, signed_headers, encoded)

    def test_unsigned_payload_with_crc32c_trailer(self):
        data = random_bytes(300 * 1024 + 5, seed=80)
        trailer = [("x-amz-checksum-crc32c", s3raw.b64_crc32c(data))]
        st, h, err = self.put_chunked("unsigned trailer", data,
                                      "STREAMING-UNSIGNED-PAYLOAD-TRAILER", trailer)
        self.assertEqual(st, 200, err)
        self.assertEqual(body(self.bucket, "unsigned trailer"), data)
        head = S3.head_object(Bucket=self.bucket, Key="unsigned trailer", ChecksumMode="ENABLED")
        self.assertEqual(head["ChecksumCRC32C"], trailer[0][1])
        self.assertEqual(head["ContentLength"], len(data))
        self.assertNotIn("ContentEncoding", head)  # aws-chunked describes the transfer only
        # A trailer checksum that does not match the data: BadDigest, and nothing stored.
        bad = [("x-amz-checksum-crc32c", s3raw.b64_crc32c(data + b"!"))]
        st, h, err = self.put_chunked("unsigned bad", data, "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                                      bad)
        self.assertEqual(st, 400, err)
        self.assertIn(b"<Code>BadDigest</Code>", err)
        self.assertFalse(exists(self.bucket, "unsigned bad"))
        # Nor does it replace an existing version.
        st, h, err = self.put_chunked("unsigned trailer", data[:1000],
                                      "STREAMING-UNSIGNED-PAYLOAD-TRAILER", bad)
        self.assertEqual(st, 400, err)
        self.assertEqual(body(self.bucket, "unsigned trailer"), data)

    def test_signed_chunks(self):
        data = random_bytes(200 * 1024 + 17, seed=81)
        st, h, err = self.put_chunked("signed/chunks", data, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        self.assertEqual(st, 200, err)
        self.assertEqual(h["etag"], '"%s"' % hashlib.md5(data).hexdigest())
        self.assertEqual(body(self.bucket, "signed/chunks"), data)
        # One flipped byte in the second chunk: the chunk signature no longer matches.
        st, h, err = self.put_chunked("signed/corrupt", data, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                                      corrupt_chunk=1)
        self.assertEqual(st, 403, err)
        self.assertIn(b"<Code>SignatureDoesNotMatch</Code>", err)
        self.assertFalse(exists(self.bucket, "signed/corrupt"))
        # Chunks signed with another secret than the seed's.
        st, h, err = self.put_chunked("signed/corrupt", data, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                                      secret_key="not-the-secret")
        self.assertEqual(st, 403, err)
        self.assertFalse(exists(self.bucket, "signed/corrupt"))
        # Empty body: just the final chunk.
        st, h, err = self.put_chunked("signed/empty", b"", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        self.assertEqual(st, 200, err)
        self.assertEqual(body(self.bucket, "signed/empty"), b"")

    def test_signed_chunks_with_signed_trailer(self):
        data = random_bytes(150 * 1024, seed=82)
        trailer = [("x-amz-checksum-crc32c", s3raw.b64_crc32c(data))]
        st, h, err = self.put_chunked("signed/trailer", data,
                                      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", trailer,
                                      chunk=8192)
        self.assertEqual(st, 200, err)
        self.assertEqual(body(self.bucket, "signed/trailer"), data)
        head = S3.head_object(Bucket=self.bucket, Key="signed/trailer", ChecksumMode="ENABLED")
        self.assertEqual(head["ChecksumCRC32C"], trailer[0][1])
        bad = [("x-amz-checksum-crc32c", s3raw.b64_crc32c(b"nope"))]
        st, h, err = self.put_chunked("signed/trailer-bad", data,
                                      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", bad)
        self.assertEqual(st, 400, err)
        self.assertIn(b"<Code>BadDigest</Code>", err)
        self.assertFalse(exists(self.bucket, "signed/trailer-bad"))

    def test_boto3_over_tls_sends_aws_chunked_trailers(self):
        # botocore uses STREAMING-UNSIGNED-PAYLOAD-TRAILER for flexible checksums over HTTPS.
        srv = FerryServer()
        cert = os.path.join(srv.root, "cert.pem")
        key = os.path.join(srv.root, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                        key, "-out", cert], check=True, capture_output=True)
        srv.extra_args = ["--tls-cert", cert, "--tls-key", key]
        with srv:
            import boto3
            s3 = boto3.client("s3", endpoint_url="https://127.0.0.1:%d" % srv.port,
                              region_name="us-east-1", aws_access_key_id=srv.access_key,
                              aws_secret_access_key=srv.secret_key, verify=cert,
                              config=Config(s3={"addressing_style": "path"}))
            modes = []
            s3.meta.events.register("before-send.s3.PutObject", lambda request, **kw: modes.append(
                request.headers.get("X-Amz-Content-SHA256")))
            s3.create_bucket(Bucket="tls")
            data = random_bytes(1 * MiB + 3, seed=83)
            r = s3.put_object(Bucket="tls", Key="t", Body=data, ChecksumAlgorithm="CRC32C")
            self.assertEqual(modes, [b"STREAMING-UNSIGNED-PAYLOAD-TRAILER"])
            self.assertEqual(r["ChecksumCRC32C"], s3raw.b64_crc32c(data))
            self.assertEqual(s3.get_object(Bucket="tls", Key="t")["Body"].read(), data)
            # Parts too: each part's checksum arrives in its trailer.
            datas = [random_bytes(5 * MiB, seed=84), random_bytes(777, seed=85)]
            up = s3.create_multipart_upload(Bucket="tls", Key="mp",
                                            ChecksumAlgorithm="CRC32C")["UploadId"]
            parts = []
            for i, d in enumerate(datas, 1):
                r = s3.upload_part(Bucket="tls", Key="mp", UploadId=up, PartNumber=i, Body=d,
                                   ChecksumAlgorithm="CRC32C")
                self.assertEqual(r["ChecksumCRC32C"], s3raw.b64_crc32c(d))
                parts.append({"PartNumber": i, "ETag": r["ETag"],
                              "ChecksumCRC32C": r["ChecksumCRC32C"]})
            s3.complete_multipart_upload(Bucket="tls", Key="mp", UploadId=up,
                                         MultipartUpload={"Parts": parts})
            self.assertEqual(s3.get_object(Bucket="tls", Key="mp")["Body"].read(),
                             b"".join(datas))


if __name__ == "__main__":
    main()
