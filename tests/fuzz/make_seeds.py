#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz harness under corpus/<harness>/. The seeds are
checked in; run this again only to change them. Inputs that once crashed a harness are added
by hand as corpus/<harness>/regress-*."""
import hashlib
import hmac
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(harness, name, data):
    d = os.path.join(HERE, "corpus", harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# http_connection: everything a client sends on one connection.
http = {
    "get": "GET /b/k?list-type=2&prefix=a HTTP/1.1\r\nHost: h\r\nX-Echo: hi\r\n\r\n",
    "put_length": "PUT /b/k HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
    "put_chunked": "PUT /b/k HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n",
    "expect": "PUT /b/k HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n"
              "\r\nabc",
    "pipelined": "PUT /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nxyGET /b HTTP/1.1\r\n\r\n"
                 "HEAD /c HTTP/1.1\r\nConnection: close\r\n\r\n",
    "reject_body": "PUT /reject HTTP/1.1\r\nContent-Length: 4\r\n\r\nbodyGET /next HTTP/1.1\r\n\r\n",
    "reject_expect": "PUT /reject HTTP/1.1\r\nContent-Length: 400\r\nExpect: 100-continue\r\n\r\n",
    "http10": "GET / HTTP/1.0\r\n\r\n",
    "bad_length": "PUT / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "obs_fold": "GET / HTTP/1.1\r\nX-Echo: a\r\n b\r\n\r\n",
    "short_body": "PUT /k HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc",
}
for name, data in http.items():
    write("http_connection", name, data)

# uri_query: raw query strings and paths.
for i, q in enumerate(["list-type=2&prefix=photos%2F2006%2F&delimiter=%2F&max-keys=1000",
                       "uploads&prefix=a+b", "versionId=null&partNumber=1", "a=%zz&b=%",
                       "x-id=PutObject&tagging", "k=%E2%82%AC&k=%F0%9F%98%80", "=&&=="]):
    write("uri_query", "q%d" % i, q)

# range_conditions: size byte, Range, copy range, If-Match, If-None-Match, If-Modified-Since,
# If-Unmodified-Since, ETag.
for i, (size, lines) in enumerate([
        (2, ["bytes=0-9", "bytes=0-9", "\"abc\"", "", "", "", "\"abc\""]),
        (2, ["bytes=-5", "bytes=5-1", "", "\"abc\", W/\"def\"", "Sun, 06 Nov 1994 08:49:37 GMT",
             "", "abc"]),
        (3, ["bytes=5-", "bytes=0-0", "*", "*", "", "Sun, 06 Nov 1994 08:49:37 GMT", "\"x-3\""]),
        (4, ["bytes=0-1,3-4", "bytes=18446744073709551615-", "", "", "Sunday, 06-Nov-94 08:49:37 GMT",
             "2013-05-24T00:00:00.000Z", "W/\"e\""]),
        (0, ["bytes=-0", "", "", "", "", "", ""])]):
    write("range_conditions", "c%d" % i, bytes([size]) + "\n".join(lines).encode())

# sigv4: method, raw path, raw query, header lines. The AWS documentation's examples verify
# against the harness's key and clock.
write("sigv4", "doc_get", "\n".join([
    "GET", "/test.txt", "",
    "Host: examplebucket.s3.amazonaws.com", "Range: bytes=0-9",
    "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "x-amz-date: 20130524T000000Z",
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
    "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"]))
write("sigv4", "doc_presigned", "\n".join([
    "GET", "/test.txt",
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
    "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
    "X-Amz-SignedHeaders=host&X-Amz-Signature="
    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
    "Host: examplebucket.s3.amazonaws.com"]))
write("sigv4", "sigv2", "GET\n/b/k\n\nAuthorization: AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo=\n"
      "Date: Tue, 27 Mar 2007 19:36:42 +0000")
write("sigv4", "repeated_signed_headers", "GET\n/\n\nx-amz-date: 20130524T000000Z\n"
      "x-amz-content-sha256: UNSIGNED-PAYLOAD\nAuthorization: AWS4-HMAC-SHA256 Credential="
      "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders="
      + ";".join(["host"] * 50) + ",Signature=" + "0" * 64)

# aws_chunked: the first byte picks the mode (choice % 3: signed, signed trailer, unsigned
# trailer) and the slice size; signatures use the harness's key (32 'k'), the seed signature
# 64 '0', date 20130524T000000Z and scope 20130524/us-east-1/s3/aws4_request.
KEY = b"k" * 32
DATE = "20130524T000000Z"
SCOPE = "20130524/us-east-1/s3/aws4_request"
EMPTY = hashlib.sha256(b"").hexdigest()


def chunk_sig(prev, data):
    sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", DATE, SCOPE, prev, EMPTY,
                     hashlib.sha256(data).hexdigest()])
    return hmac.new(KEY, sts.encode(), hashlib.sha256).hexdigest()


def signed_body(chunks, trailer_lines=None):
    prev = "0" * 64
    out = b""
    for data in chunks + [b""]:
        prev = chunk_sig(prev, data)
        out += b"%x;chunk-signature=%s\r\n" % (len(data), prev.encode()) + data
        if data:
            out += b"\r\n"
    if trailer_lines is None:
        return out + b"\r\n"
    canonical = "".join(line + "\n" for line in trailer_lines)
    sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", DATE, SCOPE, prev,
                     hashlib.sha256(canonical.encode()).hexdigest()])
    sig = hmac.new(KEY, sts.encode(), hashlib.sha256).hexdigest()
    return out + "".join(l + "\r\n" for l in trailer_lines).encode() + \
        b"x-amz-trailer-signature:" + sig.encode() + b"\r\n\r\n"


write("aws_chunked", "signed", bytes([0]) + signed_body([b"hello", b" world"]))
write("aws_chunked", "signed_sliced", bytes([0x0c]) + signed_body([b"a" * 100]))
write("aws_chunked", "signed_trailer", bytes([1]) +
      signed_body([b"hello"], ["x-amz-checksum-crc32c:sOO8/Q=="]))
write("aws_chunked", "unsigned_trailer", bytes([2]) +
      b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n")
write("aws_chunked", "unsigned_no_trailer", bytes([5]) + b"3;foo=bar\r\nabc\r\n0\r\n\r\n")
write("aws_chunked", "decoded_length", bytes([0x80, 3]) + b"3\r\nabc\r\n0\r\n\r\n")

# xml_requests: the first byte picks the parser (see the harness's switch).
xml = [
    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag></Part>"
    "<Part><PartNumber>2</PartNumber><ETag>\"b\"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32>"
    "</Part></CompleteMultipartUpload>",
    "<Delete><Quiet>true</Quiet><Object><Key>a</Key></Object><Object><Key>b&amp;c</Key>"
    "<VersionId>v1</VersionId></Object></Delete>",
    "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>Enabled"
    "</Status></VersioningConfiguration>",
    "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>"
    "</CreateBucketConfiguration>",
    "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>",
    "k=v&a%20b=c%2Bd&empty=",
    "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule>"
    "<DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule>"
    "</ObjectLockConfiguration>",
    "<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-01T00:00:00.000Z"
    "</RetainUntilDate></Retention>",
    "<LegalHold><Status>ON</Status></LegalHold>",
    "<Error><Code>NoSuchKey</Code><Message>m</Message><Key>k</Key></Error>",
    "<ListAllMyBucketsResult><Owner><ID>o</ID></Owner><Buckets><Bucket><Name>b</Name>"
    "<CreationDate>2013-05-24T00:00:00.000Z</CreationDate></Bucket></Buckets>"
    "</ListAllMyBucketsResult>",
    "<ListBucketResult><Name>b</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000"
    "</MaxKeys><IsTruncated>true</IsTruncated><NextContinuationToken>t</NextContinuationToken>"
    "<EncodingType>url</EncodingType><Contents><Key>a%20b</Key><LastModified>"
    "2013-05-24T00:00:00.000Z</LastModified><ETag>\"e\"</ETag><Size>5</Size></Contents>"
    "<CommonPrefixes><Prefix>d%2F</Prefix></CommonPrefixes></ListBucketResult>",
    "<ListVersionsResult><Name>b</Name><IsTruncated>false</IsTruncated><Version><Key>k</Key>"
    "<VersionId>v</VersionId><IsLatest>true</IsLatest><LastModified>2013-05-24T00:00:00.000Z"
    "</LastModified><ETag>\"e\"</ETag><Size>1</Size></Version><DeleteMarker><Key>k</Key>"
    "<VersionId>w</VersionId><IsLatest>false</IsLatest><LastModified>"
    "2013-05-24T00:00:00.000Z</LastModified></DeleteMarker></ListVersionsResult>",
    "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId>"
    "</InitiateMultipartUploadResult>",
    "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>\"e-2\"</ETag>"
    "</CompleteMultipartUploadResult>",
    "<CopyObjectResult><LastModified>2013-05-24T00:00:00.000Z</LastModified><ETag>\"e\"</ETag>"
    "</CopyObjectResult>",
    "<CopyPartResult><LastModified>2013-05-24T00:00:00.000Z</LastModified><ETag>\"e\"</ETag>"
    "</CopyPartResult>",
    "<ListPartsResult><IsTruncated>false</IsTruncated><Part><PartNumber>1</PartNumber>"
    "<ETag>\"e\"</ETag><Size>5</Size><LastModified>2013-05-24T00:00:00.000Z</LastModified>"
    "</Part></ListPartsResult>",
    "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated><Upload><Key>k</Key>"
    "<UploadId>u</UploadId><Initiated>2013-05-24T00:00:00.000Z</Initiated></Upload>"
    "</ListMultipartUploadsResult>",
    "<DeleteResult><Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>AccessDenied</Code>"
    "<Message>m</Message></Error></DeleteResult>",
    "<Tagging><TagSet><Tag><Key>a</Key><Value></Value></Tag><Tag><Key>b</Key><Value>&lt;x&gt;"
    "</Value></Tag></TagSet></Tagging>",
]
for i, body in enumerate(xml):
    write("xml_requests", "p%02d" % i, bytes([i]) + body.encode())
# 21: lifecycle configurations, 22: restore requests (and --restore-time specs).
write("xml_requests", "p21", bytes([21]) + (
    "<LifecycleConfiguration><Rule><ID>a</ID><Filter><And><Prefix>p/</Prefix><Tag><Key>k</Key>"
    "<Value>v</Value></Tag><ObjectSizeLessThan>9</ObjectSizeLessThan></And></Filter><Status>"
    "Enabled</Status><Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition>"
    "<Expiration><Days>2</Days></Expiration><NoncurrentVersionExpiration><NoncurrentDays>1"
    "</NoncurrentDays></NoncurrentVersionExpiration></Rule><Rule><Prefix></Prefix><Status>"
    "Disabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1"
    "</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>"
).encode())
write("xml_requests", "p22", bytes([22]) + b"<RestoreRequest><Days>2</Days><GlacierJobParameters>"
      b"<Tier>Bulk</Tier></GlacierJobParameters></RestoreRequest>")
# 23: ACL documents (and grant headers), 24: public access blocks, 25: CORS, 26: Intelligent-Tiering.
write("xml_requests", "p23", bytes([23]) + (
    "<AccessControlPolicy><Owner><ID>owner</ID></Owner><AccessControlList><Grant><Grantee "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>bob"
    "</ID></Grantee><Permission>READ</Permission></Grant><Grant><Grantee "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"Group\"><URI>"
    "http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>WRITE"
    "</Permission></Grant></AccessControlList></AccessControlPolicy>").encode())
write("xml_requests", "p23h", bytes([23]) + b'id="alice", uri="http://acs.amazonaws.com/groups/global/AllUsers"')
write("xml_requests", "p24", bytes([24]) + b"<PublicAccessBlockConfiguration><BlockPublicAcls>true"
      b"</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls>"
      b"</PublicAccessBlockConfiguration>")
write("xml_requests", "p25", bytes([25]) + b"<CORSConfiguration><CORSRule><AllowedOrigin>https://*.a"
      b"</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader>"
      b"<MaxAgeSeconds>5</MaxAgeSeconds></CORSRule></CORSConfiguration>")
write("xml_requests", "p26", bytes([26]) + b"<IntelligentTieringConfiguration><Id>a</Id><Status>"
      b"Enabled</Status><Tiering><Days>90</Days><AccessTier>ARCHIVE_ACCESS</AccessTier></Tiering>"
      b"</IntelligentTieringConfiguration>")
write("xml_requests", "entity", bytes([0]) + b"<!DOCTYPE a [<!ENTITY b \"bbbbbbbb\">]>"
      b"<CompleteMultipartUpload><Part><PartNumber>&b;</PartNumber></Part>"
      b"</CompleteMultipartUpload>")

# recordio: framed records (magic 0xced7230a, flag<<29 | length, data padded to 4 bytes).
def recordio(records):
    out = b""
    for r in records:
        out += struct.pack("<II", 0xced7230a, len(r)) + r + b"\0" * (-len(r) % 4)
    return out


write("recordio", "three", recordio([b"a", b"hello", b""]))
write("recordio", "split_marker", b"one\0two\0\0three")

# manifest: the first byte's low bit picks the plain manifest (1) or the augmented one (0).
write("manifest", "plain", b"\x01" + b'[{"prefix": "s3://bucket/train/"}, "a.jpg", "b/c.jpg"]')
write("manifest", "augmented", b"\x02" + b'{"source-ref": "s3://b/a.jpg", "label": 1}\n'
      b'{"source-ref": "s3://b/b.jpg", "label": {"x": [1, 2]}}\n')
write("manifest", "augmented_bad", b"\x00" + b'{"source-ref": 3}\nnot json\n')

# form_data: a read size byte, a multipart/form-data body (boundary "b"), NUL, a base64 policy.
write("form_data", "upload", bytes([3]) + b"--b\r\nContent-Disposition: form-data; name=\"key\""
      b"\r\n\r\nuploads/${filename}\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; "
      b"filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--b--\r\n\0"
      b"eyJleHBpcmF0aW9uIjogIjIwMzAtMDEtMDFUMDA6MDA6MDBaIiwgImNvbmRpdGlvbnMiOiBbWyJzdGFydHMtd2l0aCIs"
      b"ICIka2V5IiwgInVwbG9hZHMvIl0sIFsiY29udGVudC1sZW5ndGgtcmFuZ2UiLCAxLCAxMF1dfQ==")
write("form_data", "preamble", bytes([0]) + b"junk\r\n--b\r\nContent-Disposition: form-data; "
      b"name=\"a\"\r\n\r\n\r\n--bb\r\n--b--")

