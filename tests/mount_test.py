#!/usr/bin/env python3
"""`ferry mount` (read-only) against `ferry serve` and Ceph RGW: listings, attributes from
POSIX metadata and defaults without it, symlinks, byte-exact reads at random offsets from many
threads, a cache that stays within its limit and survives a remount, clean unmount, and bad
mount arguments failing before mounting."""
import concurrent.futures
import json
import os
import random
import shutil
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

from faultproxy import PROXY_BIN, FaultProxy
from ferrytest import FERRY_BIN, FerryServer, ServerFixture, client_env, main, random_bytes
from peers import CephRgw


def disk_use(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            total += (os.path.getsize(os.path.join(root, f)) + 4095) // 4096 * 4096
    return total


@unittest.skipUnless(os.path.exists("/dev/fuse") and shutil.which("fusermount3"),
                     "FUSE is not available")
class MountCase:
    def env(self):
        return client_env(self.endpoint, self.access_key, self.secret_key)

    def ferry(self, *args, check=True):
        p = subprocess.run([FERRY_BIN] + list(args), env=self.env(), capture_output=True,
                           text=True, timeout=300)
        if check and p.returncode != 0:
            raise AssertionError("ferry %s: %s" % (" ".join(args), p.stderr))
        return p

    fuse_usable = None  # probed once per class: containers may lack the right to mount

    def setUp(self):
        if type(self).fuse_usable is None:
            type(self).fuse_usable = self.probe_fuse()
        if not type(self).fuse_usable:
            self.skipTest("this machine does not allow FUSE mounts")
        self.tmp = tempfile.mkdtemp(prefix="ferry-mount-")
        self.src = os.path.join(self.tmp, "src")
        self.mnt = os.path.join(self.tmp, "mnt")
        self.cache = os.path.join(self.tmp, "cache")
        os.makedirs(self.mnt)
        self.bucket = ("mount-%s" % self._testMethodName.replace("_", "-")[5:40]).strip("-")
        self.ferry("mb", "s3://" + self.bucket)
        self.procs = []

    def tearDown(self):
        subprocess.run(["fusermount3", "-u", "-z", self.mnt], capture_output=True)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            p.stderr.close()
        self.ferry("rb", "--force", "s3://" + self.bucket, check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def probe_fuse(self):
        d = tempfile.mkdtemp(prefix="ferry-fuse-probe-")
        try:
            self.ferry("mb", "s3://fuse-probe", check=False)
            p = self.ferry("mount", "s3://fuse-probe", d, "--cache-dir", d + "-cache",
                           check=False)
            if p.returncode != 0:
                return "cannot mount" not in p.stderr
            subprocess.run(["fusermount3", "-u", d], capture_output=True)
            return True
        finally:
            time.sleep(0.2)
            shutil.rmtree(d, ignore_errors=True)
            shutil.rmtree(d + "-cache", ignore_errors=True)

    def write(self, rel, data, mode=0o644):
        path = os.path.join(self.src, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        return path

    def mount(self, *flags):
        p = subprocess.Popen([FERRY_BIN, "mount", "s3://%s/data" % self.bucket, self.mnt,
                              "--foreground", "--cache-dir", self.cache] + list(flags),
                             env=self.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
        self.procs.append(p)
        deadline = time.time() + 30
        while not os.path.ismount(self.mnt):
            if p.poll() is not None or time.time() > deadline:
                raise AssertionError("mount did not come up: %s" % p.stderr.read())
            time.sleep(0.05)
        return p

    def unmount(self, p):
        subprocess.run(["fusermount3", "-u", self.mnt], check=True)
        self.assertEqual(p.wait(timeout=30), 0, p.stderr.read())

    def test_tree_attributes_and_exact_reads(self):
        big = random_bytes(5 << 20, seed=9)
        self.write("big.bin", big)
        self.write("dir/small.txt", b"small", 0o600)
        for i in range(1200):
            self.write("many/f%04d" % i, b"%d" % i)
        os.symlink("dir/small.txt", os.path.join(self.src, "link"))
        os.utime(os.path.join(self.src, "dir/small.txt"), ns=(1_600_000_000_123_456_789,) * 2)
        self.ferry("sync", self.src, "s3://%s/data" % self.bucket, "--state-dir", "none")
        # An object written without POSIX metadata gets the mount's defaults.
        self.write("plain/raw.bin", b"raw bytes")
        self.ferry("cp", "--no-preserve", os.path.join(self.src, "plain/raw.bin"),
                   "s3://%s/data/plain/raw.bin" % self.bucket)
        p = self.mount("--uid", "1234", "--block-size", "256K")
        self.assertEqual(sorted(os.listdir(self.mnt)), ["big.bin", "dir", "link", "many", "plain"])
        self.assertEqual(len(os.listdir(os.path.join(self.mnt, "many"))), 1200)
        with open(os.path.join(self.mnt, "many/f0777"), "rb") as f:
            self.assertEqual(f.read(), b"777")
        st = os.stat(os.path.join(self.mnt, "dir/small.txt"))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(st.st_mtime_ns, 1_600_000_000_123_456_789)
        self.assertEqual(os.readlink(os.path.join(self.mnt, "link")), "dir/small.txt")
        raw = os.stat(os.path.join(self.mnt, "plain/raw.bin"))
        self.assertEqual((stat.S_IMODE(raw.st_mode), raw.st_uid, raw.st_size), (0o644, 1234, 9))
        path = os.path.join(self.mnt, "big.bin")
        self.assertEqual(os.path.getsize(path), len(big))

        def reads(seed):
            rng = random.Random(seed)
            with open(path, "rb") as f:
                for _ in range(40):
                    off = rng.randrange(len(big))
                    n = rng.randrange(1, 300_000)
                    f.seek(off)
                    if f.read(n) != big[off:off + n]:
                        return False
            return True

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            self.assertTrue(all(pool.map(reads, range(8))))
        with open(path, "rb") as f:
            self.assertEqual(f.read(), big)
        with self.assertRaises(OSError):
            open(os.path.join(self.mnt, "new.txt"), "w")
        self.unmount(p)
        # Warm after a remount.
        p = self.mount("--block-size", "256K")
        with open(path, "rb") as f:
            self.assertEqual(f.read(), big)
        self.unmount(p)

    def test_cache_stays_within_its_limit(self):
        data = random_bytes(6 << 20, seed=3)
        self.write("big.bin", data)
        self.ferry("cp", os.path.join(self.src, "big.bin"), "s3://%s/data/big.bin" % self.bucket)
        p = self.mount("--cache-size", "2M", "--block-size", "256K")
        for _ in range(3):
            with open(os.path.join(self.mnt, "big.bin"), "rb") as f:
                self.assertEqual(f.read(), data)
            self.assertLessEqual(disk_use(self.cache), 2 << 20)
        self.unmount(p)

    def test_cache_load_status_release_stats(self):
        for i in range(5):
            self.write("set/f%d.bin" % i, random_bytes(300_000, seed=i))
        self.write("other.txt", b"other")
        self.ferry("sync", self.src, "s3://%s/data" % self.bucket, "--state-dir", "none")
        p = self.mount("--block-size", "128K")
        mnt_set = os.path.join(self.mnt, "set")

        def status(path):
            out = self.ferry("cache", "status", "--json", path).stdout
            return {f["path"]: (f["size"], f["cached_bytes"]) for f in json.loads(out)["files"]}

        self.assertEqual(status(mnt_set)["set/f0.bin"], (300_000, 0))
        self.ferry("cache", "load", mnt_set)
        self.assertTrue(all(c == s for s, c in status(mnt_set).values()), status(mnt_set))
        self.assertEqual(status(self.mnt)["other.txt"], (5, 0))
        fetched = json.loads(self.ferry("cache", "stats", self.mnt).stdout)["fetches"]
        with open(os.path.join(mnt_set, "f3.bin"), "rb") as f:
            self.assertEqual(f.read(), random_bytes(300_000, seed=3))
        stats = json.loads(self.ferry("cache", "stats", self.mnt).stdout)
        self.assertEqual(stats["fetches"], fetched, "loaded files are read from the cache")
        self.assertGreater(stats["hits"], 0)
        self.ferry("cache", "release", os.path.join(mnt_set, "f1.bin"))
        self.assertEqual(status(mnt_set)["set/f1.bin"], (300_000, 0))
        self.assertEqual(status(mnt_set)["set/f2.bin"], (300_000, 300_000))
        self.ferry("cache", "release", "--older-than", "1d", self.mnt)  # nothing that old
        self.assertEqual(status(mnt_set)["set/f2.bin"], (300_000, 300_000))
        p2 = self.ferry("cache", "stats", self.tmp, check=False)
        self.assertEqual(p2.returncode, 1)
        self.assertIn("no running ferry mount", p2.stderr)
        self.unmount(p)

    def test_bad_arguments_fail_before_mounting(self):
        os.makedirs(os.path.join(self.tmp, "full"))
        open(os.path.join(self.tmp, "full", "x"), "w").close()
        p = self.ferry("mount", "s3://%s/data" % self.bucket, os.path.join(self.tmp, "full"),
                       check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not empty", p.stderr)
        p = self.ferry("mount", "s3://no-such-bucket-here", self.mnt, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no-such-bucket-here", p.stderr)
        self.assertFalse(os.path.ismount(self.mnt))


class AgainstFerryServe(MountCase, ServerFixture, unittest.TestCase):
    server_class = FerryServer

    @unittest.skipUnless(os.path.exists(PROXY_BIN) or shutil.which(PROXY_BIN),
                         "the fault proxy is not built")
    def test_get_faults_are_retried(self):
        data = random_bytes(3 << 20, seed=4)
        self.write("big.bin", data)
        self.ferry("cp", os.path.join(self.src, "big.bin"), "s3://%s/data/big.bin" % self.bucket)
        proxy = FaultProxy(self.server.port, ["cut:GET:big.bin:100000:3",
                                              "slowdown:GET:big.bin:0:2",
                                              "reset:GET:big.bin:0:2"], self.tmp)
        saved = self.endpoint
        try:
            self.endpoint = "http://127.0.0.1:%d" % proxy.port
            p = self.mount("--block-size", "256K", "--read-ahead", "1")
            with open(os.path.join(self.mnt, "big.bin"), "rb") as f:
                self.assertEqual(f.read(), data)
            self.unmount(p)
        finally:
            self.endpoint = saved
            injected = proxy.stop()
        self.assertGreaterEqual(injected, 5)


@unittest.skipUnless(CephRgw.available(), "Ceph RGW is not installed")
class AgainstCephRgw(MountCase, ServerFixture, unittest.TestCase):
    server_class = CephRgw


if __name__ == "__main__":
    main()
