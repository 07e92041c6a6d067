#!/usr/bin/env python3
"""The clients meet the archive tier: `ferry restore` of 10,000 objects a lifecycle rule
archived (parallel, idempotent, --wait), `ls` showing classes and restores, and `cp` holding
archived sources back (one error naming them, nothing of them copied) or restoring them first
with --restore. Against `ferry serve`, whose restores and days are scaled to seconds."""
import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

from ferrytest import FERRY_BIN, FerryServer, client_env, main, start_mount
from peers import CephRgw

SRV = None


def setUpModule():
    global SRV
    SRV = FerryServer(extra_args=["--restore-time", "expedited=1s,standard=2s,bulk=30s",
                                  "--lifecycle-day", "2s"]).start()


def tearDownModule():
    if SRV:
        SRV.cleanup()


def ferry(*args, check=True):
    r = subprocess.run([FERRY_BIN, *args], env=SRV.client_env(), capture_output=True, text=True,
                       timeout=600)
    if check and r.returncode != 0:
        raise AssertionError("ferry %s: %d\n%s%s" % (" ".join(args), r.returncode, r.stdout,
                                                     r.stderr))
    return r


class Clients(unittest.TestCase):
    def setUp(self):
        self.s3 = SRV.default_boto3_client()
        self.bucket = ("ac-" + self._testMethodName[5:].replace("_", "-")[:40]).rstrip("-")
        self.s3.create_bucket(Bucket=self.bucket)
        self.tmp = tempfile.mkdtemp(dir=SRV.root)

    def archive_all(self, prefix, expected):
        """A rule moves everything under prefix to GLACIER; waits until all of it moved."""
        self.s3.put_bucket_lifecycle_configuration(
            Bucket=self.bucket, LifecycleConfiguration={"Rules": [
                {"ID": "archive", "Status": "Enabled",
                 "Filter": {"And": {"Prefix": prefix, "ObjectSizeGreaterThan": 0}},
                 "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]}]})
        deadline = time.time() + 120
        while True:
            lines = ferry("ls", "--recursive", "--json", "s3://%s/%s" % (self.bucket, prefix))
            classes = [json.loads(l)["storage_class"] for l in lines.stdout.splitlines()]
            if classes.count("GLACIER") == expected:
                break
            self.assertLess(time.time(), deadline, "%d of %d archived" %
                            (classes.count("GLACIER"), expected))
            time.sleep(0.5)
        self.s3.delete_bucket_lifecycle(Bucket=self.bucket)

    def test_restore_ten_thousand_objects_idempotently_and_wait(self):
        src = os.path.join(self.tmp, "src")
        os.makedirs(src)
        for i in range(10000):
            with open(os.path.join(src, "%05d" % i), "w") as f:
                f.write("shard %d\n" % i)
        ferry("cp", "--recursive", "--quiet", src, "s3://%s/shards/" % self.bucket)
        self.s3.put_object(Bucket=self.bucket, Key="shards-readme", Body=b"hot")
        self.archive_all("shards/", 10000)
        started = time.time()
        # (A day is 2 s here: the copies are kept 30 of them, through the test.)
        r = ferry("restore", "s3://%s/shards/" % self.bucket, "--tier", "expedited", "--days",
                  "30", "--json")
        summary = json.loads(r.stdout)
        self.assertEqual((summary["archived"], summary["requested"], summary["failed"]),
                         (10000, 10000, 0), summary)
        # Again while under way, and again once restored: counted, not failed.
        again = json.loads(ferry("restore", "s3://%s/shards" % self.bucket, "--tier",
                                 "Expedited", "--days", "30", "--json", "--wait").stdout)
        self.assertEqual(again["failed"], 0, again)
        self.assertEqual(again["requested"] + again["in_progress"] + again["already_restored"],
                         10000, again)
        self.assertTrue(again["readable"], again)
        third = json.loads(ferry("restore", "s3://%s/shards/" % self.bucket, "--days", "30",
                                 "--json").stdout)
        self.assertEqual(third["already_restored"], 10000, third)
        print("restore of 10,000 objects: %.1f s" % (time.time() - started), file=sys.stderr)
        listing = ferry("ls", "s3://%s/shards/00042" % self.bucket).stdout
        self.assertIn("[GLACIER, restored until ", listing)
        got = os.path.join(self.tmp, "got")
        ferry("cp", "--recursive", "--quiet", "s3://%s/shards/" % self.bucket, got)
        self.assertEqual(len(os.listdir(got)), 10000)
        with open(os.path.join(got, "09999")) as f:
            self.assertEqual(f.read(), "shard 9999\n")

    def test_cp_names_archived_sources_in_one_error_or_restores_them(self):
        for i in range(3):
            self.s3.put_object(Bucket=self.bucket, Key="run/ckpt-%d" % i, Body=b"w%d" % i)
        self.s3.put_object(Bucket=self.bucket, Key="run/log", Body=b"log")
        self.s3.put_object(Bucket=self.bucket, Key="run/cold", Body=b"c",
                           StorageClass="DEEP_ARCHIVE")
        self.archive_all("run/ckpt-", 3)
        listing = ferry("ls", "s3://%s/run/" % self.bucket).stdout
        self.assertIn("ckpt-0  [GLACIER]", listing)
        self.assertIn("cold  [DEEP_ARCHIVE]", listing)
        dst = os.path.join(self.tmp, "dst")
        r = ferry("cp", "--recursive", "s3://%s/run/" % self.bucket, dst, check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stderr.count("and not restored, so none of them was copied"), 1,
                         r.stderr)
        self.assertIn("4 objects are archived", r.stderr)
        self.assertIn("--restore", r.stderr)
        self.assertEqual(sorted(os.listdir(dst)), ["log"])
        r = ferry("cp", "s3://%s/run/cold" % self.bucket, dst + "/", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("1 object is archived", r.stderr)
        self.assertIn("bad", ferry("cp", "--restore", "--tier", "bad", "s3://%s/run/" %
                                   self.bucket, dst, check=False).stderr)
        # With --restore: requested, awaited, copied.
        r = ferry("cp", "--recursive", "--restore", "--tier", "standard",
                  "s3://%s/run/" % self.bucket, dst)
        self.assertIn("restoring 4 archived objects (Standard tier)", r.stderr)
        self.assertEqual(sorted(os.listdir(dst)), ["ckpt-0", "ckpt-1", "ckpt-2", "cold", "log"])
        with open(os.path.join(dst, "ckpt-2"), "rb") as f:
            self.assertEqual(f.read(), b"w2")
        # A bucket-to-bucket copy reads its source the same way: restored now, so it copies.
        ferry("cp", "--recursive", "s3://%s/run/" % self.bucket, "s3://%s/copy/" % self.bucket)
        head = self.s3.head_object(Bucket=self.bucket, Key="copy/ckpt-0")
        self.assertNotIn("StorageClass", head)

    def test_sync_and_train_meet_archived_sources(self):
        for i in range(4):
            self.s3.put_object(Bucket=self.bucket, Key="data/s%d" % i, Body=b"sample %d" % i)
        self.s3.put_object(Bucket=self.bucket, Key="data/cold", Body=b"cold",
                           StorageClass="GLACIER")
        dst = os.path.join(self.tmp, "synced")
        r = ferry("sync", "s3://%s/data/" % self.bucket, dst, check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("1 object is archived", r.stdout + r.stderr)
        self.assertEqual(sorted(os.listdir(dst)), ["s0", "s1", "s2", "s3"])
        ml = os.path.join(self.tmp, "ml")
        train = ["train", "--job-name", "archived", "--ml-root", ml, "--channel",
                 "training=s3://%s/data/" % self.bucket]
        command = ["--", "/bin/sh", "-c", "ls /dev/null"]
        r = ferry(*train, *command, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('channel "training"', r.stderr)
        self.assertIn("s3://%s/data/cold" % self.bucket, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(ml, "input")))
        # With --restore both wait for the restore, then copy everything.
        r = ferry("sync", "--restore", "--tier", "expedited", "s3://%s/data/" % self.bucket, dst)
        with open(os.path.join(dst, "cold"), "rb") as f:
            self.assertEqual(f.read(), b"cold")
        r = ferry(*train, "--restore", "--tier", "expedited", "--", "/bin/sh", "-c",
                  "cat /opt/ml/input/data/training/cold 2>/dev/null || "
                  "cat \"$SM_CHANNEL_TRAINING/cold\"")
        self.assertIn("cold", r.stdout + r.stderr)

    def test_restore_of_what_is_not_there_or_not_archived(self):
        self.s3.put_object(Bucket=self.bucket, Key="hot", Body=b"h")
        r = ferry("restore", "s3://%s/hot" % self.bucket, "--json")
        self.assertEqual(json.loads(r.stdout)["not_archived"], 1)
        r = ferry("restore", "s3://%s/nothing/" % self.bucket, "--json")
        self.assertEqual(json.loads(r.stdout)["archived"], 0)
        r = ferry("restore", "s3://no-such-bucket-here/x", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("NoSuchBucket", r.stderr)
        r = ferry("restore", "s3://%s/" % self.bucket, "--tier", "fast", check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("expedited, standard or bulk", r.stderr)
        r = ferry("restore", "/local/path", check=False)
        self.assertEqual(r.returncode, 2)


@unittest.skipUnless(os.path.exists("/dev/fuse") and shutil.which("fusermount3"),
                     "FUSE is not available")
class Mount(unittest.TestCase):
    """Reading an archived file through `ferry mount` starts its restore; the read then fails
    with EAGAIN (--on-archived error) or waits for the restore (--on-archived wait)."""

    def setUp(self):
        self.s3 = SRV.default_boto3_client()
        self.bucket = "ac-mount-" + self._testMethodName[5:25].replace("_", "-").strip("-")
        self.s3.create_bucket(Bucket=self.bucket)
        self.tmp = tempfile.mkdtemp(dir=SRV.root)

    def mount(self, name, *flags):
        mnt = os.path.join(self.tmp, name)
        log = start_mount(self, [FERRY_BIN, "mount", "s3://%s/data" % self.bucket, mnt,
                                 "--foreground", "--cache-dir", mnt + "-cache", *flags],
                          SRV.client_env(), mnt, os.path.join(self.tmp, name + ".log"))
        return mnt, log

    def test_archived_files_fail_with_eagain_or_wait_for_their_restore(self):
        body = os.urandom(3 << 20)
        self.s3.put_object(Bucket=self.bucket, Key="data/ckpt.pt", Body=body,
                           StorageClass="GLACIER")
        self.s3.put_object(Bucket=self.bucket, Key="data/small.json", Body=b"{}",
                           StorageClass="DEEP_ARCHIVE")
        mnt, log = self.mount("err")
        self.assertEqual(os.stat(os.path.join(mnt, "ckpt.pt")).st_size, len(body))
        with self.assertRaises(OSError) as cm:
            open(os.path.join(mnt, "ckpt.pt"), "rb")
        self.assertEqual(cm.exception.errno, errno.EAGAIN)
        self.assertEqual(os.stat(os.path.join(mnt, "small.json")).st_size, 2)
        log.seek(0)
        self.assertIn("is archived: restore requested (Standard tier)", log.read())
        head = self.s3.head_object(Bucket=self.bucket, Key="data/ckpt.pt")
        self.assertIn("ongoing-request", head["Restore"])
        # Once restored, the same mount reads it.
        deadline = time.time() + 20
        while 'ongoing-request="false"' not in self.s3.head_object(
                Bucket=self.bucket, Key="data/ckpt.pt").get("Restore", ""):
            self.assertLess(time.time(), deadline)
            time.sleep(0.2)
        with open(os.path.join(mnt, "ckpt.pt"), "rb") as f:
            self.assertEqual(f.read(), body)
        # --on-archived wait: the read blocks until the restore is done.
        wmnt, _ = self.mount("wait", "--on-archived", "wait", "--restore-tier", "standard")
        started = time.time()
        with open(os.path.join(wmnt, "small.json"), "rb") as f:
            self.assertEqual(f.read(), b"{}")
        self.assertGreater(time.time() - started, 1.0)

    def test_a_fast_file_job_with_restore_waits_for_its_archived_files(self):
        self.s3.put_object(Bucket=self.bucket, Key="data/cold.txt", Body=b"frozen bytes",
                           StorageClass="GLACIER")
        train = [FERRY_BIN, "train", "--ml-root", os.path.join(self.tmp, "ml"),
                 "--input-mode", "fastfile", "--channel",
                 "training=s3://%s/data/" % self.bucket, "--cache-dir",
                 os.path.join(self.tmp, "cache")]
        read = ["--", "/bin/sh", "-c", 'cat "$SM_CHANNEL_TRAINING/cold.txt"']
        r = subprocess.run(train + ["--job-name", "without"] + read, env=SRV.client_env(),
                           capture_output=True, text=True, timeout=120)
        if "cannot mount" in r.stderr:
            self.skipTest("cannot mount here")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Resource temporarily unavailable", r.stderr)
        r = subprocess.run(train + ["--job-name", "with", "--restore", "--tier", "expedited",
                                    "--overwrite"] + read,
                           env=SRV.client_env(), capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("frozen bytes", r.stdout)


@unittest.skipUnless(CephRgw.available(), "Ceph RGW is not installed")
class AgainstCephRgw(unittest.TestCase):
    """A server without the archive tier: the clients' archive steps cost nothing there and
    fail nothing (listings asked for RestoreStatus, restores of a prefix, cp with --restore)."""

    def test_clients_work_where_nothing_is_archived(self):
        with CephRgw() as rgw:
            env = client_env(rgw.endpoint, rgw.access_key, rgw.secret_key)

            def run(*args):
                r = subprocess.run([FERRY_BIN, *args], env=env, capture_output=True, text=True,
                                   timeout=120)
                self.assertEqual(r.returncode, 0, r.stderr)
                return r
            tmp = tempfile.mkdtemp(dir=SRV.root)
            with open(os.path.join(tmp, "a"), "w") as f:
                f.write("a")
            run("mb", "s3://plain")
            run("cp", tmp + "/a", "s3://plain/d/a")
            self.assertIn(" a\n", run("ls", "s3://plain/d/").stdout)
            summary = json.loads(run("restore", "s3://plain/d/", "--json").stdout)
            self.assertEqual((summary["archived"], summary["not_archived"]), (0, 1))
            run("cp", "--recursive", "--restore", "s3://plain/d/", tmp + "/back")
            with open(os.path.join(tmp, "back", "a")) as f:
                self.assertEqual(f.read(), "a")


if __name__ == "__main__":
    main()
