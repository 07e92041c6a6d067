#!/usr/bin/env python3
"""Real third-party S3 clients from Debian against a freshly started `ferry serve`.

The same contract runs for each client (AWS CLI v2, boto3, s3cmd, rclone): buckets, put/get
with metadata, multipart, ranged get, copy, batch delete, listings with delimiters and
pagination over more than 1000 keys, odd keys, and wrong credentials. What a client writes is
checked with boto3 and what boto3 writes is read back with the client, so neither side can
hide a bug behind a matching one.
"""
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

from ferrytest import AWS_BIN, FerryServer, main, random_bytes

MiB = 1024 * 1024

# Keys that trip up URL encoding, path normalisation and file-system style stores.
ODD_KEYS = [
    "with space/f n.txt",
    "plus+sign+",
    "pct%20lit%2F%",
    "uni/ünïcödé-€-😀-日本",
    "dots/../x",
    "dots/./y",
    "double//slash",
    "trailing/",
    "a",
    "a/b",
    "q?mark#hash",
    "~t=e&a;c:s*'\"(!)",
    "xml &amp; <tag> &lt;",
    "long/" + "L" * 1019,  # 1024 bytes, the S3 maximum
]
assert len(ODD_KEYS[-1].encode()) == 1024

# The bucket listed by every client: > 1000 keys under one prefix, plus siblings.
MANY_KEYS = ["p/k%05d" % i for i in range(1100)] + ["top0", "top1", "q/x/y"]

SRV = None
S3 = None  # boto3, the independent checker


def setUpModule():
    global SRV, S3
    SRV = FerryServer().start()
    S3 = SRV.boto3_client()
    S3.create_bucket(Bucket="many")
    S3.create_bucket(Bucket="odd")
    S3.create_bucket(Bucket="copies")
    from botocore.config import Config
    pool_client = SRV.boto3_client(config=Config(s3={"addressing_style": "path"},
                                                 max_pool_connections=16))
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: pool_client.put_object(Bucket="many", Key=k, Body=k.encode()),
                      MANY_KEYS))
        list(pool.map(lambda k: pool_client.put_object(Bucket="odd", Key=k, Body=k.encode()),
                      ODD_KEYS))


def tearDownModule():
    if SRV:
        SRV.cleanup()


def run(cmd, env=None, check=True, stdin=None, timeout=300):
    p = subprocess.run(cmd, env=env, capture_output=True, timeout=timeout,
                       stdin=stdin)
    p.out = p.stdout.decode("utf-8", "replace")
    p.err = p.stderr.decode("utf-8", "replace")
    if check and p.returncode != 0:
        raise AssertionError("%s failed (%d): %s%s" % (cmd, p.returncode, p.out, p.err))
    return p


def boto3_keys(bucket, prefix=""):
    keys = []
    for page in S3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return keys


def boto3_body(bucket, key):
    return S3.get_object(Bucket=bucket, Key=key)["Body"].read()


# --- One adapter per client: the same operations, each the way that client does them. ---

class AwsCliOps:
    name = "aws"

    def __init__(self, tmp):
        self.tmp = tmp
        self.config = os.path.join(tmp, "aws-config")
        with open(self.config, "w") as f:
            f.write("[default]\nregion = us-east-1\ns3 =\n  multipart_threshold = 5MB\n"
                    "  multipart_chunksize = 5MB\n")

    def env(self, access_key=None, secret_key=None):
        env = SRV.client_env()
        env["AWS_CONFIG_FILE"] = self.config
        if access_key:
            env["AWS_ACCESS_KEY_ID"] = access_key
        if secret_key:
            env["AWS_SECRET_ACCESS_KEY"] = secret_key
        return env

    def aws(self, *args, check=True, **kw):
        return run([AWS_BIN, "--endpoint-url", SRV.endpoint] + list(args), env=self.env(**kw),
                   check=check)

    def api(self, *args):
        out = self.aws("s3api", *args, "--output", "json").out
        return json.loads(out) if out.strip() else {}

    def mb(self, b):
        self.aws("s3", "mb", "s3://" + b)

    def rb(self, b):
        self.aws("s3", "rb", "s3://" + b)

    def buckets(self):
        return {b["Name"] for b in self.api("list-buckets").get("Buckets", [])}

    def put(self, path, b, k, metadata=None):
        extra = ["--metadata", json.dumps(metadata)] if metadata else []
        self.aws("s3", "cp", path, "s3://%s/%s" % (b, k), *extra)

    put_large = put

    def get(self, b, k, path):
        self.aws("s3", "cp", "s3://%s/%s" % (b, k), path)

    def metadata(self, b, k):
        return self.api("head-object", "--bucket", b, "--key", k)["Metadata"]

    def ranges(self, b, k, data):
        out = os.path.join(self.tmp, "range")
        got = []
        for spec, want in [("bytes=1000-1999", data[1000:2000]), ("bytes=-100", data[-100:]),
                           ("bytes=%d-" % (len(data) - 5000), data[-5000:])]:
            self.api("get-object", "--bucket", b, "--key", k, "--range", spec, out)
            got.append((spec, want, open(out, "rb").read()))
        return got

    def copy(self, b, k, b2, k2):
        self.aws("s3", "cp", "s3://%s/%s" % (b, k), "s3://%s/%s" % (b2, k2))

    def delete_prefix(self, b, prefix):
        self.aws("s3", "rm", "s3://%s/%s" % (b, prefix), "--recursive")

    def list_all(self, b, prefix=""):
        out = self.aws("s3", "ls", "--recursive", "s3://%s/%s" % (b, prefix)).out
        return [line.split(None, 3)[3] for line in out.splitlines() if line.strip()]

    def list_dir(self, b, prefix):
        r = self.api("list-objects-v2", "--bucket", b, "--prefix", prefix, "--delimiter", "/",
                     "--page-size", "300")
        return ({o["Key"] for o in r.get("Contents", [])},
                {p["Prefix"] for p in r.get("CommonPrefixes", [])})

    def can_address(self, key):
        return True

    def put_key(self, path, b, k):
        self.api("put-object", "--bucket", b, "--key", k, "--body", path)

    def get_key(self, b, k):
        out = os.path.join(self.tmp, "got")
        self.api("get-object", "--bucket", b, "--key", k, out)
        return open(out, "rb").read()

    def listed_name(self, key):
        return key

    def with_credentials(self, access_key, secret_key):
        p = self.aws("s3api", "list-buckets", check=False, access_key=access_key,
                     secret_key=secret_key)
        return p.returncode, p.err


class Boto3Ops:
    name = "boto3"

    def __init__(self, tmp):
        from boto3.s3.transfer import TransferConfig
        self.tmp = tmp
        self.s3 = SRV.boto3_client()
        self.transfer = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)

    def mb(self, b):
        self.s3.create_bucket(Bucket=b)

    def rb(self, b):
        self.s3.delete_bucket(Bucket=b)

    def buckets(self):
        return {b["Name"] for b in self.s3.list_buckets()["Buckets"]}

    def put(self, path, b, k, metadata=None):
        extra = {"Metadata": metadata} if metadata else None
        self.s3.upload_file(path, b, k, ExtraArgs=extra, Config=self.transfer)

    put_large = put

    def get(self, b, k, path):
        self.s3.download_file(b, k, path, Config=self.transfer)

    def metadata(self, b, k):
        return self.s3.head_object(Bucket=b, Key=k)["Metadata"]

    def ranges(self, b, k, data):
        got = []
        for spec, want in [("bytes=1000-1999", data[1000:2000]), ("bytes=-100", data[-100:]),
                           ("bytes=%d-" % (len(data) - 5000), data[-5000:])]:
            got.append((spec, want, self.s3.get_object(Bucket=b, Key=k, Range=spec)["Body"].read()))
        return got

    def copy(self, b, k, b2, k2):
        self.s3.copy({"Bucket": b, "Key": k}, b2, k2, Config=self.transfer)

    def delete_prefix(self, b, prefix):
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=b, Prefix=prefix)["Contents"]]
        r = self.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": k} for k in keys]})
        assert not r.get("Errors"), r

    def list_all(self, b, prefix=""):
        keys = []
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=b, Prefix=prefix, PaginationConfig={"PageSize": 400})
        for page in pages:
            keys += [o["Key"] for o in page.get("Contents", [])]
        return keys

    def list_dir(self, b, prefix):
        files, dirs = set(), set()
        # ListObjects (v1) here, v2 above: both must page with a delimiter.
        pages = self.s3.get_paginator("list_objects").paginate(
            Bucket=b, Prefix=prefix, Delimiter="/", PaginationConfig={"PageSize": 300})
        for page in pages:
            files |= {o["Key"] for o in page.get("Contents", [])}
            dirs |= {p["Prefix"] for p in page.get("CommonPrefixes", [])}
        return files, dirs

    def can_address(self, key):
        return True

    def put_key(self, path, b, k):
        with open(path, "rb") as f:
            self.s3.put_object(Bucket=b, Key=k, Body=f.read())

    def get_key(self, b, k):
        return self.s3.get_object(Bucket=b, Key=k)["Body"].read()

    def listed_name(self, key):
        return key

    def with_credentials(self, access_key, secret_key):
        import botocore.exceptions
        try:
            SRV.boto3_client(access_key=access_key, secret_key=secret_key).list_buckets()
            return 0, ""
        except botocore.exceptions.ClientError as e:
            return 1, e.response["Error"]["Code"]


class S3cmdOps:
    name = "s3cmd"

    def __init__(self, tmp):
        self.tmp = tmp
        self.config = self.write_config(SRV.access_key, SRV.secret_key)

    def write_config(self, access_key, secret_key):
        path = os.path.join(self.tmp, "s3cfg-" + access_key[:8])
        with open(path, "w") as f:
            f.write("[default]\naccess_key = %s\nsecret_key = %s\nhost_base = 127.0.0.1:%d\n"
                    "host_bucket = 127.0.0.1:%d\nuse_https = False\nsignature_v2 = False\n"
                    "bucket_location = us-east-1\nmultipart_chunk_size_mb = 5\n"
                    "check_ssl_certificate = False\nproxy_host =\n"
                    % (access_key, secret_key, SRV.port, SRV.port))
        return path

    def s3cmd(self, *args, config=None, check=True):
        env = SRV.client_env()
        return run(["s3cmd", "-c", config or self.config] + list(args), env=env, check=check)

    def mb(self, b):
        self.s3cmd("mb", "s3://" + b)

    def rb(self, b):
        self.s3cmd("rb", "s3://" + b)

    def buckets(self):
        return {line.split("s3://", 1)[1] for line in self.s3cmd("ls").out.splitlines()
                if "s3://" in line}

    def put(self, path, b, k, metadata=None):
        extra = ["--add-header=x-amz-meta-%s:%s" % kv for kv in (metadata or {}).items()]
        self.s3cmd("put", path, "s3://%s/%s" % (b, k), *extra)

    put_large = put  # multipart_chunk_size_mb = 5 in the config

    def get(self, b, k, path):
        self.s3cmd("get", "--force", "s3://%s/%s" % (b, k), path)

    def metadata(self, b, k):
        md = {}
        for line in self.s3cmd("info", "s3://%s/%s" % (b, k)).out.splitlines():
            line = line.strip()
            if line.startswith("x-amz-meta-"):
                name, value = line[len("x-amz-meta-"):].split(":", 1)
                md[name] = value.strip()
        return md

    def ranges(self, b, k, data):
        # s3cmd's one ranged read: --continue resumes a partial file with Range: bytes=N-.
        out = os.path.join(self.tmp, "partial")
        with open(out, "wb") as f:
            f.write(data[:len(data) - 3000])
        self.s3cmd("get", "--continue", "s3://%s/%s" % (b, k), out)
        return [("continue", data, open(out, "rb").read())]

    def copy(self, b, k, b2, k2):
        self.s3cmd("cp", "s3://%s/%s" % (b, k), "s3://%s/%s" % (b2, k2))

    def delete_prefix(self, b, prefix):
        self.s3cmd("del", "--recursive", "s3://%s/%s" % (b, prefix))

    def list_all(self, b, prefix=""):
        out = self.s3cmd("ls", "--recursive", "s3://%s/%s" % (b, prefix)).out
        base = "s3://%s/" % b
        return [line.split(base, 1)[1] for line in out.splitlines() if base in line]

    def list_dir(self, b, prefix):
        files, dirs = set(), set()
        base = "s3://%s/" % b
        for line in self.s3cmd("ls", "s3://%s/%s" % (b, prefix)).out.splitlines():
            if base not in line:
                continue
            key = line.split(base, 1)[1]
            (dirs if line.lstrip().startswith("DIR") else files).add(key)
        return files, dirs

    def can_address(self, key):
        return not key.endswith("/")  # `put FILE s3://b/dir/` means dir/FILE

    def put_key(self, path, b, k):
        self.s3cmd("put", path, "s3://%s/%s" % (b, k))

    def get_key(self, b, k):
        out = os.path.join(self.tmp, "got")
        self.s3cmd("get", "--force", "s3://%s/%s" % (b, k), out)
        return open(out, "rb").read()

    def listed_name(self, key):
        return key

    def with_credentials(self, access_key, secret_key):
        p = self.s3cmd("ls", config=self.write_config(access_key, secret_key), check=False)
        return p.returncode, p.out + p.err


class RcloneOps:
    name = "rclone"

    def __init__(self, tmp):
        self.tmp = tmp
        self.config = self.write_config(SRV.access_key, SRV.secret_key)

    def write_config(self, access_key, secret_key):
        path = os.path.join(self.tmp, "rclone-%s.conf" % access_key[:8])
        with open(path, "w") as f:
            f.write("[f]\ntype = s3\nprovider = Other\nendpoint = %s\naccess_key_id = %s\n"
                    "secret_access_key = %s\nregion = us-east-1\nforce_path_style = true\n"
                    % (SRV.endpoint, access_key, secret_key))
        return path

    def rclone(self, *args, config=None, check=True, stdin=None):
        env = SRV.client_env()
        env.pop("AWS_CA_BUNDLE", None)  # rclone 1.60 fails with LoadCustomCABundleError
        return run(["rclone", "--config", config or self.config, "--retries", "1",
                    "--low-level-retries", "1", "--s3-list-chunk", "400"] + list(args), env=env,
                   check=check, stdin=stdin)

    def mb(self, b):
        self.rclone("mkdir", "f:" + b)

    def rb(self, b):
        self.rclone("rmdir", "f:" + b)

    def buckets(self):
        return {line.rstrip("/") for line in self.rclone("lsf", "f:").out.splitlines()}

    def put(self, path, b, k, metadata=None):
        extra = []
        for kv in (metadata or {}).items():
            extra += ["--metadata-set", "%s=%s" % kv]
        self.rclone("copyto", "-M", path, "f:%s/%s" % (b, k), *extra)

    def put_large(self, path, b, k, metadata=None):
        self.rclone("copyto", path, "f:%s/%s" % (b, k), "--s3-upload-cutoff", "5M",
                    "--s3-chunk-size", "5M")

    def get(self, b, k, path):
        self.rclone("copyto", "f:%s/%s" % (b, k), path)

    def metadata(self, b, k):
        return json.loads(self.rclone("lsjson", "-M", "f:%s/%s" % (b, k)).out)[0]["Metadata"]

    def ranges(self, b, k, data):
        got = []
        for offset, count, want in [(1000, 1000, data[1000:2000]), (-100, -1, data[-100:]),
                                    (len(data) - 5000, -1, data[-5000:])]:
            p = self.rclone("cat", "--offset", str(offset), "--count", str(count),
                            "f:%s/%s" % (b, k))
            got.append(("offset %d count %d" % (offset, count), want, p.stdout))
        return got

    def copy(self, b, k, b2, k2):
        # A server-side copy; above the cutoff rclone copies with UploadPartCopy.
        self.rclone("copyto", "f:%s/%s" % (b, k), "f:%s/%s" % (b2, k2), "--s3-copy-cutoff",
                    "5M")

    def delete_prefix(self, b, prefix):
        self.rclone("delete", "f:%s/%s" % (b, prefix))

    def list_all(self, b, prefix=""):
        out = self.rclone("lsf", "-R", "--files-only", "--fast-list", "f:%s/%s" % (b, prefix)).out
        return [prefix + line for line in out.splitlines()]

    def list_dir(self, b, prefix):
        files, dirs = set(), set()
        for line in self.rclone("lsf", "f:%s/%s" % (b, prefix)).out.splitlines():
            (dirs if line.endswith("/") else files).add(prefix + line)
        return files, dirs

    def can_address(self, key):
        # rclone cleans paths as a file system would: "..", "." and "//" change meaning, and
        # a trailing "/" names a directory.
        parts = key.split("/")
        return not key.endswith("/") and "" not in parts and "." not in parts and ".." not in parts

    def put_key(self, path, b, k):
        with open(path, "rb") as f:
            self.rclone("rcat", "f:%s/%s" % (b, k), stdin=f)

    def get_key(self, b, k):
        return self.rclone("cat", "f:%s/%s" % (b, k)).stdout

    def listed_name(self, key):
        # rclone shows "." and ".." path segments in full-width (its Dot encoding).
        return "/".join({".": "．", "..": "．．"}.get(p, p) for p in key.split("/"))

    def with_credentials(self, access_key, secret_key):
        p = self.rclone("lsd", "f:", config=self.write_config(access_key, secret_key), check=False)
        return p.returncode, p.out + p.err


class ClientContract:
    """The checks every client must pass; subclasses set OPS."""
    OPS = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ferry-clients-")
        cls.ops = cls.OPS(cls.tmp)
        cls.bucket = "c-" + cls.ops.name
        S3.create_bucket(Bucket=cls.bucket)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def file(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_bucket_create_list_delete(self):
        b = "life-" + self.ops.name
        self.ops.mb(b)
        S3.head_bucket(Bucket=b)
        self.assertIn(b, self.ops.buckets())
        self.assertIn("many", self.ops.buckets())
        self.ops.rb(b)
        self.assertNotIn(b, {x["Name"] for x in S3.list_buckets()["Buckets"]})
        self.assertNotIn(b, self.ops.buckets())

    def test_put_get_with_metadata(self):
        data = random_bytes(256 * 1024 + 3, seed=1)
        src = self.file("md-src", data)
        self.ops.put(src, self.bucket, "md/obj", metadata={"color": "blue", "n": "42"})
        head = S3.head_object(Bucket=self.bucket, Key="md/obj")
        self.assertEqual(head["ContentLength"], len(data))
        self.assertEqual(head["Metadata"].get("color"), "blue")
        self.assertEqual(head["Metadata"].get("n"), "42")
        self.assertEqual(boto3_body(self.bucket, "md/obj"), data)
        out = os.path.join(self.tmp, "md-out")
        self.ops.get(self.bucket, "md/obj", out)
        self.assertEqual(open(out, "rb").read(), data)
        md = self.ops.metadata(self.bucket, "md/obj")
        self.assertEqual((md.get("color"), md.get("n")), ("blue", "42"))
        # Metadata written by boto3 reads back through the client.
        S3.put_object(Bucket=self.bucket, Key="md/by-boto3", Body=b"x",
                      Metadata={"file-mtime": "1700000000123456789ns", "owner": "a b"})
        md = self.ops.metadata(self.bucket, "md/by-boto3")
        self.assertEqual(md.get("file-mtime"), "1700000000123456789ns")
        self.assertEqual(md.get("owner"), "a b")

    def test_multipart_upload_and_download(self):
        data = random_bytes(20 * MiB + 12345, seed=2)
        src = self.file("big-src", data)
        self.ops.put_large(src, self.bucket, "big/obj")
        head = S3.head_object(Bucket=self.bucket, Key="big/obj")
        self.assertEqual(head["ContentLength"], len(data))
        parts = int(head["ETag"].strip('"').split("-")[1])
        self.assertGreaterEqual(parts, 3, head["ETag"])
        self.assertEqual(boto3_body(self.bucket, "big/obj"), data)
        out = os.path.join(self.tmp, "big-out")
        self.ops.get(self.bucket, "big/obj", out)
        self.assertEqual(open(out, "rb").read(), data)
        # Parts are addressable as written.
        p2 = S3.get_object(Bucket=self.bucket, Key="big/obj", PartNumber=2)
        self.assertEqual(p2["PartsCount"], parts)
        self.assertEqual(p2["Body"].read(), data[5 * MiB:10 * MiB])
        os.unlink(src)
        os.unlink(out)

    def test_ranged_get(self):
        data = random_bytes(3 * MiB + 77, seed=3)
        S3.put_object(Bucket=self.bucket, Key="range/obj", Body=data)
        for spec, want, got in self.ops.ranges(self.bucket, "range/obj", data):
            self.assertEqual(len(got), len(want), spec)
            self.assertEqual(got, want, spec)

    def test_copy(self):
        small = random_bytes(100 * 1024, seed=4)
        S3.put_object(Bucket=self.bucket, Key="copy/small", Body=small, Metadata={"k": "v"})
        self.ops.copy(self.bucket, "copy/small", "copies", self.ops.name)
        self.assertEqual(boto3_body("copies", self.ops.name), small)
        self.assertEqual(S3.head_object(Bucket="copies", Key=self.ops.name)["Metadata"].get("k"),
                         "v")
        # Large enough that aws, boto3 and rclone (with a 5 MiB cutoff) use UploadPartCopy.
        big = random_bytes(12 * MiB + 5, seed=5)
        S3.put_object(Bucket=self.bucket, Key="copy/big", Body=big)
        self.ops.copy(self.bucket, "copy/big", self.bucket, "copy/big copy+")
        self.assertEqual(boto3_body(self.bucket, "copy/big copy+"), big)

    def test_batch_delete(self):
        keys = ["del/%03d" % i for i in range(40)] + ["del/sub/x", "del/odd key+%"]
        for k in keys:
            S3.put_object(Bucket=self.bucket, Key=k, Body=b"d")
        S3.put_object(Bucket=self.bucket, Key="delete-keeps-me", Body=b"k")
        self.ops.delete_prefix(self.bucket, "del/")
        self.assertEqual(boto3_keys(self.bucket, "del/"), [])
        self.assertEqual(boto3_body(self.bucket, "delete-keeps-me"), b"k")

    def test_listing_pagination_and_delimiter(self):
        self.assertEqual(sorted(self.ops.list_all("many")), sorted(MANY_KEYS))
        self.assertEqual(sorted(self.ops.list_all("many", "p/")),
                         sorted(k for k in MANY_KEYS if k.startswith("p/")))
        self.assertEqual(self.ops.list_dir("many", ""), ({"top0", "top1"}, {"p/", "q/"}))
        files, dirs = self.ops.list_dir("many", "p/")
        self.assertEqual((len(files), dirs), (1100, set()))
        self.assertEqual(files, {k for k in MANY_KEYS if k.startswith("p/")})

    def test_odd_keys(self):
        # Listing the keys boto3 wrote.
        want = {self.ops.listed_name(k) for k in ODD_KEYS} - {None}
        self.assertEqual(set(self.ops.list_all("odd")), want)
        # Reading what boto3 wrote, and writing what boto3 then reads, in a bucket of its own.
        own = "odd-" + self.ops.name
        S3.create_bucket(Bucket=own)
        written = [k for k in ODD_KEYS if self.ops.can_address(k)]
        for key in written:
            with self.subTest(key=key):
                self.assertEqual(self.ops.get_key("odd", key), key.encode())
                body = ("via %s: %s" % (self.ops.name, key)).encode()
                self.ops.put_key(self.file("odd-src", body), own, key)
                self.assertEqual(boto3_body(own, key), body)
        self.assertEqual(sorted(boto3_keys(own)), sorted(written))
        # "a" and "a/b" are both there: a delimiter listing shows the object and the prefix.
        files, dirs = self.ops.list_dir(own, "")
        self.assertIn("a", files)
        self.assertIn("a/", dirs)

    def test_wrong_credentials_rejected(self):
        rc, out = self.ops.with_credentials("AKIANOSUCHKEY0000000", SRV.secret_key)
        self.assertNotEqual(rc, 0)
        self.assertIn("InvalidAccessKeyId", out)
        rc, out = self.ops.with_credentials(SRV.access_key, "wrong" + SRV.secret_key[5:])
        self.assertNotEqual(rc, 0)
        self.assertIn("SignatureDoesNotMatch", out)


class AwsCli(ClientContract, unittest.TestCase):
    OPS = AwsCliOps

    def test_s3api_listing_v1_and_batch_delete_by_key(self):
        r = self.ops.api("list-objects", "--bucket", "many", "--page-size", "250")
        self.assertEqual(sorted(o["Key"] for o in r["Contents"]), sorted(MANY_KEYS))
        for k in ("bd/1", "bd/2", "bd/3"):
            S3.put_object(Bucket=self.bucket, Key=k, Body=b"x")
        spec = {"Objects": [{"Key": "bd/1"}, {"Key": "bd/3"}, {"Key": "bd/missing"}]}
        r = self.ops.api("delete-objects", "--bucket", self.bucket, "--delete", json.dumps(spec))
        self.assertEqual(sorted(d["Key"] for d in r["Deleted"]), ["bd/1", "bd/3", "bd/missing"])
        self.assertEqual(boto3_keys(self.bucket, "bd/"), ["bd/2"])

    def test_s3api_multipart_by_hand(self):
        data = random_bytes(11 * MiB, seed=6)
        parts = [data[:5 * MiB], data[5 * MiB:10 * MiB], data[10 * MiB:]]
        up = self.ops.api("create-multipart-upload", "--bucket", self.bucket, "--key", "mp/hand",
                          "--metadata", "m=1")
        done = []
        for i, body in enumerate(parts, 1):
            path = self.file("part", body)
            r = self.ops.api("upload-part", "--bucket", self.bucket, "--key", "mp/hand",
                             "--upload-id", up["UploadId"], "--part-number", str(i), "--body",
                             path)
            done.append({"PartNumber": i, "ETag": r["ETag"]})
        listed = self.ops.api("list-parts", "--bucket", self.bucket, "--key", "mp/hand",
                              "--upload-id", up["UploadId"])
        self.assertEqual([p["Size"] for p in listed["Parts"]], [len(p) for p in parts])
        self.ops.api("complete-multipart-upload", "--bucket", self.bucket, "--key", "mp/hand",
                     "--upload-id", up["UploadId"], "--multipart-upload",
                     json.dumps({"Parts": done}))
        head = S3.head_object(Bucket=self.bucket, Key="mp/hand")
        self.assertTrue(head["ETag"].endswith('-3"'), head["ETag"])
        self.assertEqual(head["Metadata"], {"m": "1"})
        self.assertEqual(boto3_body(self.bucket, "mp/hand"), data)


class Boto3(ClientContract, unittest.TestCase):
    OPS = Boto3Ops


class S3cmd(ClientContract, unittest.TestCase):
    OPS = S3cmdOps


class Rclone(ClientContract, unittest.TestCase):
    OPS = RcloneOps


if __name__ == "__main__":
    main()
