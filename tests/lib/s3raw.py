"""Hand-made S3 requests for tests that need more control than boto3 gives: SigV4 headers
signed by botocore's signer (an implementation independent of ferry's), aws-chunked bodies
with chunk signatures computed here, CRC32C, and raw bytes on a socket.

Only ever talks to 127.0.0.1.
"""
import base64
import hashlib
import hmac
import http.client
import socket
import urllib.parse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class _S3SigV4(SigV4Auth):
    """SigV4 as S3 wants it: the path is signed as sent, never normalised ("..", "//"), at
    the current time or at a given one (datetime, UTC)."""

    def __init__(self, credentials, service, region, when=None):
        super().__init__(credentials, service, region)
        self.when = when

    def _normalize_url_path(self, path):
        return path

    def add_auth(self, request):
        if self.when is None:
            return super().add_auth(request)
        request.context["timestamp"] = self.when.strftime("%Y%m%dT%H%M%SZ")
        self._modify_request_before_signing(request)
        string_to_sign = self.string_to_sign(request, self.canonical_request(request))
        self._inject_signature_to_request(request, self.signature(string_to_sign, request))
        return request


def quote_key(key):
    return urllib.parse.quote(key, safe="/~")


def sign_headers(srv, method, path, query="", headers=None, payload_sha256=EMPTY_SHA256,
                 host=None, access_key=None, secret_key=None, region="us-east-1", when=None):
    """Returns the headers (a dict) of a request signed in the Authorization header.

    path is already percent-encoded; payload_sha256 is what goes in x-amz-content-sha256
    (a hex digest or one of the UNSIGNED/STREAMING-* values); when, a UTC datetime, signs
    at another time than now."""
    host = host or "127.0.0.1:%d" % srv.port
    url = "http://%s%s" % (host, path) + ("?" + query if query else "")
    h = dict(headers or {})
    h["Host"] = host
    h["X-Amz-Content-SHA256"] = payload_sha256
    req = AWSRequest(method=method, url=url, headers=h)
    creds = Credentials(access_key or srv.access_key, secret_key or srv.secret_key)
    _S3SigV4(creds, "s3", region, when).add_auth(req)
    return dict(req.headers.items())


def signing_key(secret_key, date, region="us-east-1", service="s3"):
    k = ("AWS4" + secret_key).encode()
    for part in (date, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def seed_signature(headers):
    return headers["Authorization"].rsplit("Signature=", 1)[1].strip()


def aws_chunked_body(data, chunk_size, headers=None, secret_key=None, trailer=None,
                     signed=True, region="us-east-1", corrupt_chunk=None):
    """Encodes data as aws-chunked.

    Signed modes need the signed request headers (X-Amz-Date, Authorization) and secret key:
    every chunk signature chains on the previous one, starting at the seed signature. trailer is
    a list of (name, value) lines; in the signed mode it ends with x-amz-trailer-signature.
    corrupt_chunk=i sends chunk i with one flipped byte but the signature of the original."""
    if signed:
        amz_date = headers["X-Amz-Date"]
        scope = "%s/%s/s3/aws4_request" % (amz_date[:8], region)
        key = signing_key(secret_key, amz_date[:8], region)
        prev = seed_signature(headers)
    out = bytearray()
    chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    for i, chunk in enumerate(chunks):
        line = b"%x" % len(chunk)
        if signed:
            sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, EMPTY_SHA256,
                             hashlib.sha256(chunk).hexdigest()])
            prev = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
            line += b";chunk-signature=" + prev.encode()
        if corrupt_chunk == i and chunk:
            chunk = bytes([chunk[0] ^ 1]) + chunk[1:]
        out += line + b"\r\n" + chunk
        if chunk:
            out += b"\r\n"
    if trailer is None:
        out += b"\r\n"
        return bytes(out)
    canonical = "".join("%s:%s\n" % (n, v) for n, v in trailer)
    for n, v in trailer:
        out += ("%s:%s\r\n" % (n, v)).encode()
    if signed:
        sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, prev,
                         hashlib.sha256(canonical.encode()).hexdigest()])
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        out += ("x-amz-trailer-signature:%s\r\n" % sig).encode()
    out += b"\r\n"
    return bytes(out)


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    t = _CRC32C_TABLE
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def b64_crc32c(data):
    return base64.b64encode(crc32c(data).to_bytes(4, "big")).decode()


def b64_sha256(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def b64_md5(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def request(srv, method, path, headers=None, body=b"", timeout=60):
    """One HTTP request on a fresh connection; returns (status, headers dict lower-cased, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body and not any(k.lower() == "content-length" for k in (headers or {})):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body if body else None)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def signed_request(srv, method, path, query="", headers=None, body=b"", **kw):
    """A request signed with the body's SHA-256 (path already percent-encoded)."""
    h = sign_headers(srv, method, path, query, headers,
                     payload_sha256=hashlib.sha256(body).hexdigest(), **kw)
    return request(srv, method, path + ("?" + query if query else ""), h, body)


def raw_exchange(srv, data, timeout=10, shutdown_write=False, read_reply=True):
    """Sends raw bytes and returns whatever the server answers until it closes or goes quiet.
    With read_reply=False the connection is closed right after sending (a client that dies)."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=timeout) as s:
        try:
            s.sendall(data)
            if shutdown_write:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if not read_reply:
            return b""
        out = bytearray()
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                out += b
        except (socket.timeout, ConnectionResetError):
            pass
        return bytes(out)


def status_of(raw):
    """The status code of the first response in raw bytes, or None."""
    if not raw.startswith(b"HTTP/1.1 "):
        return None
    return int(raw[9:12])
