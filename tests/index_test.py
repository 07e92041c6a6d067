#!/usr/bin/env python3
"""The saved listing index: `ferry index build/update/show`, and `ferry mount --index`,
`ferry train --index` and `ferry sync --source-index` starting from it — with objects added and
removed since it was built, and with damaged, truncated, newer-format and wrong-prefix indexes —
against `ferry serve` and Ceph RGW."""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

import boto3

from ferrytest import (FERRY_BIN, FerryServer, ServerFixture, client_env, files_under, main,
                       start_mount)
from peers import CephRgw


def fuse_usable():
    return os.path.exists("/dev/fuse") and shutil.which("fusermount3") is not None


class IndexCase:
    bucket = "indexed"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.s3 = boto3.client("s3", endpoint_url=cls.endpoint, region_name="us-east-1",
                              aws_access_key_id=cls.access_key,
                              aws_secret_access_key=cls.secret_key)
        cls.s3.create_bucket(Bucket=cls.bucket)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ferry-index-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        # A fresh prefix per test: d0..d3 / f00..f09, the first file private.
        self.prefix = self.id().rsplit(".", 1)[-1] + "/"
        self.files = {"d%d/f%02d" % (d, f): b"%d-%d" % (d, f) for d in range(4) for f in range(10)}
        src = os.path.join(self.tmp, "src")
        for name, body in self.files.items():
            os.makedirs(os.path.join(src, os.path.dirname(name)), exist_ok=True)
            with open(os.path.join(src, name), "wb") as f:
                f.write(body)
        os.chmod(os.path.join(src, "d0/f00"), 0o600)
        self.ferry("sync", src, self.url(), "--state-dir", "none", "-q")

    def url(self, rest=""):
        return "s3://%s/%s%s" % (self.bucket, self.prefix, rest)

    def index_url(self):
        return "s3://%s/%s.ferry-index" % (self.bucket, self.prefix.rstrip("/"))

    def ferry(self, *args, check=True):
        p = subprocess.run([FERRY_BIN] + list(args),
                           env=client_env(self.endpoint, self.access_key, self.secret_key),
                           capture_output=True, text=True, timeout=300)
        if check and p.returncode != 0:
            raise AssertionError("ferry %s: %d %s" % (" ".join(args), p.returncode, p.stderr))
        return p

    def put(self, name, body):
        self.s3.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=body)

    def delete(self, name):
        self.s3.delete_object(Bucket=self.bucket, Key=self.prefix + name)

    def change_bucket_after_the_index(self):
        """An object deleted, one added inside the indexed range, one after its last key."""
        self.delete("d1/f05")
        self.put("d1/f05b", b"inside")
        self.put("e/tail", b"after the last key")

    def test_build_show_and_update(self):
        # The files, and the directory markers sync writes for their metadata.
        n = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix)["KeyCount"]
        self.assertGreaterEqual(n, 40)
        out = json.loads(self.ferry("index", "build", self.url()[:-1], "--json").stdout)
        self.assertEqual((out["objects"], out["heads"]), (n, n))
        self.assertEqual(out["index"], self.index_url())
        shown = json.loads(self.ferry("index", "show", self.index_url(), "--verify", "--json").stdout)
        self.assertEqual((shown["bucket"], shown["prefix"], shown["objects"], shown["verified"]),
                         (self.bucket, self.prefix, n, True))
        # The index is not inside the prefix it describes, so nothing lists it by accident.
        self.assertEqual(
            self.s3.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix)["KeyCount"], n)
        self.change_bucket_after_the_index()
        out = json.loads(self.ferry("index", "update", self.url(), "--json").stdout)
        self.assertEqual((out["objects"], out["heads"], out["reused"], out["removed"]),
                         (n + 1, 2, n - 1, 1))
        # A sync's report updates it without a listing.
        src = os.path.join(self.tmp, "more")
        os.makedirs(src)
        with open(os.path.join(src, "late"), "wb") as f:
            f.write(b"late")
        report = os.path.join(self.tmp, "report.json")
        self.ferry("sync", src, self.url("z/"), "--state-dir", "none", "-q", "--report", report)
        out = json.loads(self.ferry("index", "update", self.url(), "--from-report", report,
                                    "--json").stdout)
        self.assertEqual(out["objects"] - n, 2 + (out["heads"] - 1))  # and z/'s marker, if any
        self.assertIn(out["heads"], (1, 2))
        # A local file works the same as an object.
        local = os.path.join(self.tmp, "local.index")
        self.ferry("index", "build", self.url(), "--out", local, "--no-metadata")
        shown = json.loads(self.ferry("index", "show", local, "--json").stdout)
        self.assertEqual(shown["objects"], out["objects"])

    def test_bad_indexes_are_refused_clearly(self):
        local = os.path.join(self.tmp, "good.index")
        self.ferry("index", "build", self.url(), "--out", local)
        with open(local, "rb") as f:
            good = f.read()
        mnt = os.path.join(self.tmp, "mnt")
        os.makedirs(mnt)

        def refused(data, *words, cmd=None):
            path = os.path.join(self.tmp, "bad.index")
            with open(path, "wb") as f:
                f.write(data)
            for args in cmd or [["index", "show", path, "--verify"],
                                ["sync", self.url(), os.path.join(self.tmp, "out"),
                                 "--source-index", path, "--state-dir", "none"]]:
                p = self.ferry(*args, check=False)
                self.assertNotEqual(p.returncode, 0, args)
                for w in words:
                    self.assertIn(w, p.stderr, args)
            self.assertFalse(os.path.exists(os.path.join(self.tmp, "out", "d0")))

        refused(good[:len(good) // 2], "truncated")
        refused(good[:-1], "truncated")
        refused(b"", "not a ferry listing index")
        damaged = bytearray(good)
        damaged[40] ^= 0xFF  # inside the first block
        refused(bytes(damaged), "corrupted")
        newer = bytearray(good)
        newer[8] = 7  # the header's format version
        refused(bytes(newer), "upgrade ferry")
        # An index of another prefix.
        other = os.path.join(self.tmp, "other.index")
        self.s3.put_object(Bucket=self.bucket, Key="elsewhere/x", Body=b"x")
        self.ferry("index", "build", "s3://%s/elsewhere" % self.bucket, "--out", other)
        p = self.ferry("sync", self.url(), os.path.join(self.tmp, "out"), "--source-index", other,
                       "--state-dir", "none", check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("is the index of s3://%s/elsewhere/" % self.bucket, p.stderr)
        if fuse_usable():
            p = self.ferry("mount", self.url(), mnt, "--index", other, check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("does not hold", p.stderr)
            self.assertFalse(os.path.ismount(mnt))
        # A mistyped prefix builds nothing.
        p = self.ferry("index", "build", self.url("nothing-here"), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no objects to index", p.stderr)
        # An index location that is not a key.
        p = self.ferry("index", "build", self.url(), "--out", "s3://%s/dir/" % self.bucket,
                       check=False)
        self.assertEqual(p.returncode, 2, p.stderr)

    @unittest.skipUnless(fuse_usable(), "no FUSE here")
    def test_mount_starts_from_the_index(self):
        self.ferry("index", "build", self.url())
        self.change_bucket_after_the_index()
        mnt = os.path.join(self.tmp, "mnt")
        start_mount(self, [FERRY_BIN, "mount", self.url(), mnt, "--foreground", "--cache-dir",
                           os.path.join(self.tmp, "cache"), "--index", self.index_url(),
                           "--metadata-ttl", "3600"],
                    client_env(self.endpoint, self.access_key, self.secret_key), mnt,
                    os.path.join(self.tmp, "mount.log"))
        self.assertEqual(sorted(os.listdir(mnt)), ["d0", "d1", "d2", "d3", "e"])
        d1 = sorted(os.listdir(os.path.join(mnt, "d1")))
        # As the index shows it: the deleted object is there, the one added inside is not.
        self.assertIn("f05", d1)
        self.assertNotIn("f05b", d1)
        with open(os.path.join(mnt, "e", "tail"), "rb") as f:
            self.assertEqual(f.read(), b"after the last key")
        with open(os.path.join(mnt, "d2", "f07"), "rb") as f:
            self.assertEqual(f.read(), b"2-7")
        # Modes come from the index's metadata.
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(mnt, "d0", "f00")).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(mnt, "d0", "f01")).st_mode), 0o644)
        with self.assertRaises(OSError):
            with open(os.path.join(mnt, "d1", "f05"), "rb") as f:
                f.read()
        # A refresh lists the bucket itself.
        self.ferry("cache", "refresh", "--recursive", mnt)
        d1 = sorted(os.listdir(os.path.join(mnt, "d1")))
        self.assertNotIn("f05", d1)
        self.assertIn("f05b", d1)

    def test_train_from_the_index(self):
        self.ferry("index", "build", self.url())
        self.change_bucket_after_the_index()
        expected = {k: v for k, v in self.files.items() if k != "d1/f05"}
        expected["e/tail"] = b"after the last key"
        ml = os.path.join(self.tmp, "ml")
        p = self.ferry("train", "--job-name", "from-index", "--ml-root", ml,
                       "--channel", "training=" + self.url(),
                       "--index", "training=" + self.index_url(), "--", "true")
        self.assertIn("gone from the bucket", p.stderr)
        self.assertEqual(files_under(os.path.join(ml, "input", "data", "training")), expected)
        # Sharded: each host takes a run of keys; together they take each object once.
        seen = {}
        for host in ("algo-1", "algo-2", "algo-3"):
            ml = os.path.join(self.tmp, "ml-" + host)
            self.ferry("train", "--job-name", "shard-" + host, "--ml-root", ml,
                       "--channel", "training=" + self.url(),
                       "--index", "training=" + self.index_url(),
                       "--distribution", "sharded-by-key", "--hosts", "algo-1,algo-2,algo-3",
                       "--current-host", host, "--", "true")
            got = files_under(os.path.join(ml, "input", "data", "training"))
            self.assertTrue(set(got).isdisjoint(seen), host)
            seen.update(got)
        self.assertEqual(seen, expected)
        p = self.ferry("train", "--job-name", "bad-index", "--ml-root",
                       os.path.join(self.tmp, "ml-bad"), "--channel", "training=" + self.url(),
                       "--index", "nochannel=" + self.index_url(), "--", "true", check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("unknown channel", p.stderr)

    def test_sync_from_a_stale_index(self):
        self.ferry("index", "build", self.url())
        self.change_bucket_after_the_index()
        dst = os.path.join(self.tmp, "dst")
        p = self.ferry("sync", self.url(), dst, "--source-index", self.index_url(),
                       "--state-dir", "none", check=False)
        # The object deleted since is named; everything else arrived, the tail too, and the
        # object added inside the indexed range waits for the index to be updated.
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("d1/f05", p.stderr)
        got = files_under(dst)
        self.assertEqual(got["e/tail"], b"after the last key")
        self.assertNotIn("d1/f05b", got)
        self.assertEqual(len(got), 40)
        self.ferry("index", "update", self.url())
        self.ferry("sync", self.url(), dst, "--source-index", self.index_url(), "--delete",
                   "--state-dir", "none")
        expected = {k: v for k, v in self.files.items() if k != "d1/f05"}
        expected.update({"d1/f05b": b"inside", "e/tail": b"after the last key"})
        self.assertEqual(files_under(dst), expected)
        p = self.ferry("sync", dst, self.url(), "--source-index", self.index_url(), check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("needs an s3:// source", p.stderr)


class AgainstFerryServe(IndexCase, ServerFixture, unittest.TestCase):
    server_class = FerryServer


@unittest.skipUnless(CephRgw.available(), "Ceph RGW is not installed")
class AgainstCephRgw(IndexCase, ServerFixture, unittest.TestCase):
    server_class = CephRgw


if __name__ == "__main__":
    main()
