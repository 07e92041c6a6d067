#!/usr/bin/env python3
"""A dataset pinned in time: `ferry cp`, `ferry sync` (as source) and `ferry mount` with
--version-at read every key as the version current at that time, against `ferry serve` and
Ceph RGW (boto3 writes the history)."""
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

import boto3

from ferrytest import FERRY_BIN, FerryServer, ServerFixture, client_env, files_under, main
from peers import CephRgw


class VersionAtCase:
    bucket = "pinned"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s3 = boto3.client("s3", endpoint_url=cls.endpoint, region_name="us-east-1",
                          aws_access_key_id=cls.access_key, aws_secret_access_key=cls.secret_key)
        s3.create_bucket(Bucket=cls.bucket)
        s3.put_bucket_versioning(Bucket=cls.bucket, VersioningConfiguration={"Status": "Enabled"})
        # The dataset at the pinned time ...
        cls.then = {"train/a.txt": b"a1", "train/b.txt": b"b1", "train/sub/c.txt": b"c1",
                    "gone.txt": b"deleted later"}
        for k, v in cls.then.items():
            s3.put_object(Bucket=cls.bucket, Key="data/" + k, Body=v)
        time.sleep(1.2)  # S3 times have a resolution of a second in listings
        cls.at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        time.sleep(1.2)
        # ... and what happened after.
        s3.put_object(Bucket=cls.bucket, Key="data/train/a.txt", Body=b"a2 newer")
        s3.delete_object(Bucket=cls.bucket, Key="data/gone.txt")
        s3.put_object(Bucket=cls.bucket, Key="data/train/new.txt", Body=b"added later")
        s3.delete_object(Bucket=cls.bucket, Key="data/train/b.txt")
        s3.put_object(Bucket=cls.bucket, Key="data/train/b.txt", Body=b"b2 recreated")

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ferry-at-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ferry(self, *args, check=True):
        p = subprocess.run([FERRY_BIN] + list(args),
                           env=client_env(self.endpoint, self.access_key, self.secret_key),
                           capture_output=True, text=True, timeout=300)
        if check and p.returncode != 0:
            raise AssertionError("ferry %s: %d %s" % (" ".join(args), p.returncode, p.stderr))
        return p

    def test_cp_recursive_at_a_time(self):
        dst = os.path.join(self.tmp, "cp")
        self.ferry("cp", "--recursive", "--version-at", self.at, "s3://%s/data/" % self.bucket, dst)
        self.assertEqual(files_under(dst), self.then)
        one = os.path.join(self.tmp, "one")
        self.ferry("cp", "--version-at", self.at, "s3://%s/data/train/a.txt" % self.bucket, one)
        with open(one, "rb") as f:
            self.assertEqual(f.read(), b"a1")
        # Without the flag: the present.
        now = os.path.join(self.tmp, "now")
        self.ferry("cp", "--recursive", "s3://%s/data/" % self.bucket, now)
        self.assertEqual(files_under(now)["train/a.txt"], b"a2 newer")

    def test_cp_version_at_refuses_what_it_cannot_mean(self):
        p = self.ferry("cp", "--version-at", "yesterday", "s3://%s/data/train/a.txt" % self.bucket,
                       os.path.join(self.tmp, "x"), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("--version-at", p.stderr)
        src = os.path.join(self.tmp, "f")
        open(src, "w").close()
        p = self.ferry("cp", "--version-at", self.at, src, "s3://%s/x" % self.bucket, check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        # Before the bucket held anything: nothing to copy.
        p = self.ferry("cp", "--version-at", "2001-01-01T00:00:00Z",
                       "s3://%s/data/train/a.txt" % self.bucket, os.path.join(self.tmp, "y"),
                       check=False)
        self.assertNotEqual(p.returncode, 0)

    def test_sync_from_a_time_with_delete(self):
        dst = os.path.join(self.tmp, "sync")
        os.makedirs(dst)
        with open(os.path.join(dst, "stray.txt"), "wb") as f:
            f.write(b"not in the bucket then")
        self.ferry("sync", "--version-at", self.at, "--delete", "s3://%s/data/" % self.bucket,
                   dst, "--state-dir", "none")
        self.assertEqual(files_under(dst), self.then)

    @unittest.skipUnless(os.path.exists("/dev/fuse") and shutil.which("fusermount3"),
                         "no FUSE here")
    def test_mount_at_a_time(self):
        mnt = os.path.join(self.tmp, "mnt")
        os.makedirs(mnt)
        p = subprocess.Popen([FERRY_BIN, "mount", "s3://%s/data" % self.bucket, mnt,
                              "--foreground", "--cache-dir", os.path.join(self.tmp, "cache"),
                              "--version-at", self.at],
                             env=client_env(self.endpoint, self.access_key, self.secret_key),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 30
            while not os.path.ismount(mnt):
                if p.poll() is not None or time.time() > deadline:
                    raise AssertionError("mount did not come up: %s" % p.stderr.read())
                time.sleep(0.05)
            self.assertEqual(files_under(mnt), self.then)
        finally:
            subprocess.run(["fusermount3", "-u", mnt], capture_output=True)
            p.wait(timeout=30)


class AgainstFerryServe(VersionAtCase, ServerFixture, unittest.TestCase):
    server_class = FerryServer


@unittest.skipUnless(CephRgw.available(), "Ceph RGW is not installed")
class AgainstCephRgw(VersionAtCase, ServerFixture, unittest.TestCase):
    server_class = CephRgw


if __name__ == "__main__":
    main()
