#!/usr/bin/env python3
"""`ferry mount` (read-only) against `ferry serve` and Ceph RGW: listings, attributes from
POSIX metadata and defaults without it, symlinks, byte-exact reads at random offsets from many
threads, a cache that stays within its limit and survives a remount, clean unmount, and bad
mount arguments failing before mounting."""
import concurrent.futures
import ctypes
import errno
import json
import mmap
import os
import random
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest
import urllib.request

from faultproxy import PROXY_BIN, FaultProxy
from ferrytest import AWS_BIN, FERRY_BIN, FerryServer, ServerFixture, client_env, main, random_bytes
from peers import CephRgw, free_port


def page_cache_residency(path, offset, length):
    """The share of the file's pages in [offset, offset + length) that are in the kernel's
    page cache (mincore on a mapping that is never touched)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    fd = os.open(path, os.O_RDONLY)
    try:
        addr = libc.mmap(None, length, mmap.PROT_READ, mmap.MAP_SHARED, fd, offset)
        if addr == ctypes.c_void_p(-1).value:
            raise OSError(ctypes.get_errno(), "mmap " + path)
        try:
            pages = (length + 4095) // 4096
            vec = (ctypes.c_ubyte * pages)()
            if libc.mincore(addr, length, vec) != 0:
                raise OSError(ctypes.get_errno(), "mincore " + path)
            return sum(b & 1 for b in vec) / pages
        finally:
            libc.munmap(addr, length)
    finally:
        os.close(fd)


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
        self.mounts = []

    def tearDown(self):
        for mnt in set(self.mounts):
            subprocess.run(["fusermount3", "-u", "-z", mnt], capture_output=True)
        # A mount the test did not register would outlive it (a background mount runs on).
        with open("/proc/mounts") as f:
            left = [line.split()[1] for line in f if line.split()[1].startswith(self.tmp + "/")]
        for mnt in left:
            subprocess.run(["fusermount3", "-u", "-z", mnt], capture_output=True)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            p.stderr.close()
        self.ferry("rb", "--force", "s3://" + self.bucket, check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.assertEqual(left, [], "left mounted by the test")

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

    def mount(self, *flags, mnt=None):
        mnt = mnt or self.mnt
        os.makedirs(mnt, exist_ok=True)
        p = subprocess.Popen([FERRY_BIN, "mount", "s3://%s/data" % self.bucket, mnt,
                              "--foreground", "--cache-dir", self.cache] + list(flags),
                             env=self.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
        self.procs.append(p)
        self.mounts.append(mnt)
        deadline = time.time() + 30
        while not os.path.ismount(mnt):
            if p.poll() is not None or time.time() > deadline:
                raise AssertionError("mount did not come up: %s" % p.stderr.read())
            time.sleep(0.05)
        return p

    def unmount(self, p, mnt=None):
        subprocess.run(["fusermount3", "-u", mnt or self.mnt], check=True)
        code = p.wait(timeout=30)
        err = p.stderr.read()
        self.assertEqual(code, 0, err)
        return err

    def test_tree_attributes_and_exact_reads(self):
        big = random_bytes(5 << 20, seed=9)
        self.write("big.bin", big)
        self.write("dir/small.txt", b"small", 0o600)
        for i in range(1200):
            self.write("many/f%04d" % i, b"%d" % i)
        os.symlink("dir/small.txt", os.path.join(self.src, "link"))
        os.utime(os.path.join(self.src, "dir/small.txt"), ns=(1_600_000_000_123_456_789,) * 2)
        medium = random_bytes(64 << 10, seed=10)
        self.write("dir/medium.bin", medium, 0o640)
        os.utime(os.path.join(self.src, "dir/medium.bin"), ns=(1_500_000_000_987_654_321,) * 2)
        self.ferry("sync", self.src, "s3://%s/data" % self.bucket, "--state-dir", "none")
        # An object written without POSIX metadata gets the mount's defaults.
        self.write("plain/raw.bin", b"raw bytes")
        self.ferry("cp", "--no-preserve", os.path.join(self.src, "plain/raw.bin"),
                   "s3://%s/data/plain/raw.bin" % self.bucket)
        # And one the AWS CLI wrote (multipart: its ETag is not an MD5).
        aws_body = random_bytes(9 << 20, seed=12)
        self.write("plain/aws.bin", aws_body)
        subprocess.run([AWS_BIN, "--endpoint-url", self.endpoint, "s3", "cp",
                        os.path.join(self.src, "plain/aws.bin"),
                        "s3://%s/data/plain/by-aws-cli.bin" % self.bucket],
                       env=self.env(), check=True, capture_output=True, timeout=120)
        p = self.mount("--uid", "1234", "--block-size", "256K")
        if os.geteuid() == 0:
            # The kernel asks for up to 1 MiB per read (--kernel-read-ahead), not 128 KiB.
            dev = os.stat(self.mnt).st_dev
            with open("/sys/class/bdi/%d:%d/read_ahead_kb" % (os.major(dev), os.minor(dev))) as f:
                self.assertEqual(int(f.read()), 1024)
        self.assertEqual(sorted(os.listdir(self.mnt)), ["big.bin", "dir", "link", "many", "plain"])
        self.assertEqual(len(os.listdir(os.path.join(self.mnt, "many"))), 1200)
        with open(os.path.join(self.mnt, "many/f0777"), "rb") as f:
            self.assertEqual(f.read(), b"777")
        # A file the kernel first knows from a listing (readdirplus) shows its own metadata,
        # not the listing's; its bytes came with them (one GET) and the read is served from
        # the mount's memory, without a second request.
        before = self.stats()
        self.assertEqual(sorted(os.listdir(os.path.join(self.mnt, "dir"))),
                         ["medium.bin", "small.txt"])
        st = os.stat(os.path.join(self.mnt, "dir/medium.bin"))
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_mtime_ns, st.st_size),
                         (0o640, 1_500_000_000_987_654_321, len(medium)))
        fd = os.open(os.path.join(self.mnt, "dir/medium.bin"), os.O_RDONLY)  # no isatty()
        try:
            self.assertEqual(os.read(fd, len(medium) + 1), medium)
        finally:
            os.close(fd)
        after = self.stats()
        self.assertEqual(after["fetches"], before["fetches"] + 1, (before, after))
        self.assertEqual(after["memory_hits"], before["memory_hits"] + 1, (before, after))
        st = os.stat(os.path.join(self.mnt, "dir/small.txt"))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(st.st_mtime_ns, 1_600_000_000_123_456_789)
        self.assertEqual(os.readlink(os.path.join(self.mnt, "link")), "dir/small.txt")
        raw = os.stat(os.path.join(self.mnt, "plain/raw.bin"))
        self.assertEqual((stat.S_IMODE(raw.st_mode), raw.st_uid, raw.st_size), (0o644, 1234, 9))
        by_aws = os.path.join(self.mnt, "plain/by-aws-cli.bin")
        self.assertEqual(stat.S_IMODE(os.stat(by_aws).st_mode), 0o644)
        with open(by_aws, "rb") as f:
            self.assertEqual(f.read(), aws_body)
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
        # Warm after a remount: every block comes from the cache.
        p = self.mount("--block-size", "256K")
        with open(path, "rb") as f:
            self.assertEqual(f.read(), big)
        stats = self.stats()
        self.assertEqual((stats["fetches"], stats["misses"]), (0, 0), stats)
        self.assertGreaterEqual(stats["hits"], len(big) // (256 << 10), stats)
        self.unmount(p)

    def stats(self):
        return json.loads(self.ferry("cache", "stats", "--json", self.mnt).stdout)

    def put(self, rel, data):
        path = self.write(rel, data)
        self.ferry("cp", path, "s3://%s/data/%s" % (self.bucket, rel))

    def read(self, rel):
        with open(os.path.join(self.mnt, rel), "rb") as f:
            return f.read()

    def test_bucket_changes_import_and_refresh(self):
        self.put("d/changed", b"version one")
        self.put("d/deleted", b"gone soon")
        p = self.mount("--metadata-ttl", "1")
        self.assertEqual(self.read("d/changed"), b"version one")
        self.put("d/changed", b"version TWO")  # same size: only the ETag tells
        self.put("d/new", b"new")
        self.ferry("rm", "s3://%s/data/d/deleted" % self.bucket)
        time.sleep(1.5)
        self.assertEqual(self.read("d/changed"), b"version TWO")
        self.assertEqual(sorted(os.listdir(os.path.join(self.mnt, "d"))), ["changed", "new"])
        self.unmount(p)

        # Taking in nothing by itself: the first listing holds until a refresh.
        p = self.mount("--metadata-ttl", "1", "--import", "none")
        self.assertEqual(sorted(os.listdir(os.path.join(self.mnt, "d"))), ["changed", "new"])
        self.put("d/changed", b"version three, longer")
        self.put("d/another", b"another")
        time.sleep(1.5)
        self.assertEqual(sorted(os.listdir(os.path.join(self.mnt, "d"))), ["changed", "new"])
        self.assertEqual(os.path.getsize(os.path.join(self.mnt, "d/changed")), 11)
        out = self.ferry("cache", "refresh", "--recursive", self.mnt).stderr
        self.assertIn("2 names changed", out)
        self.assertEqual(sorted(os.listdir(os.path.join(self.mnt, "d"))),
                         ["another", "changed", "new"])
        self.assertEqual(self.read("d/changed"), b"version three, longer")
        self.unmount(p)
        bad = self.ferry("mount", "s3://%s/data" % self.bucket, self.mnt, "--import", "updated",
                         check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--import", bad.stderr)

    def test_prefetch_follows_the_read_order(self):
        rng = random.Random(5)
        names = ["s%d/f%03d" % (i % 3, i) for i in range(60)]
        for i, name in enumerate(names):
            self.write(name, random_bytes(50_000 + i, seed=i))
        self.ferry("sync", self.src, "s3://%s/data" % self.bucket, "--state-dir", "none")
        p = self.mount("--block-size", "64K")
        order = names[:]
        rng.shuffle(order)
        order_file = os.path.join(self.tmp, "order.txt")
        with open(order_file, "w") as f:
            # Relative to the mount and absolute paths both work.
            for i, name in enumerate(order):
                f.write((name if i % 2 else os.path.join(self.mnt, name)) + "\n")
        out = self.ferry("cache", "prefetch", "--order", order_file, self.mnt).stderr
        self.assertIn("prefetching 60 files", out)
        deadline = time.time() + 30
        while self.stats()["prefetch"]["loaded_files"] < 60 and time.time() < deadline:
            time.sleep(0.1)
        before = self.stats()
        self.assertEqual(before["prefetch"]["loaded_files"], 60, before)
        for name in order:
            self.assertEqual(self.read(name), random_bytes(50_000 + names.index(name),
                                                           seed=names.index(name)))
        after = self.stats()
        self.assertEqual(after["fetches"], before["fetches"], "every file was prefetched")
        self.assertEqual(after["prefetch"]["position"], 60)
        bad = os.path.join(self.tmp, "bad.txt")
        with open(bad, "w") as f:
            f.write("/elsewhere/x\n")
        p2 = self.ferry("cache", "prefetch", "--order", bad, self.mnt, check=False)
        self.assertEqual(p2.returncode, 2)
        self.assertIn("not inside the mount", p2.stderr)
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

    def test_mounts_of_one_prefix_share_one_cache(self):
        # Mounts (and Fast File jobs) on one host share a cache directory as clients of one
        # FSx for Lustre file system share it: one size limit, what one fetched is a hit for
        # the others, and one killed with -9 leaves nothing that breaks the others.
        files = {"set/f%d.bin" % i: random_bytes(400_000, seed=i) for i in range(8)}
        for rel, data in files.items():
            self.write(rel, data)
        self.ferry("sync", self.src, "s3://%s/data" % self.bucket, "--state-dir", "none")
        a = self.mount("--block-size", "128K", "--cache-size", "2M")
        mnt_b = os.path.join(self.tmp, "mnt-b")
        b = self.mount("--block-size", "128K", "--cache-size", "2M", mnt=mnt_b)
        self.ferry("cache", "load", os.path.join(self.mnt, "set/f0.bin"),
                   os.path.join(self.mnt, "set/f1.bin"))
        for rel in ("set/f0.bin", "set/f1.bin"):
            with open(os.path.join(mnt_b, rel), "rb") as f:
                self.assertEqual(f.read(), files[rel])
        stats_b = json.loads(self.ferry("cache", "stats", "--json", mnt_b).stdout)
        self.assertEqual(stats_b["fetches"], 0, stats_b)
        self.assertGreater(stats_b["hits"], 0, stats_b)
        status = self.ferry("cache", "status", os.path.join(mnt_b, "set")).stdout
        self.assertEqual(status.count("100%"), 2, status)

        # Both read more than the limit at once, over and over: exact bytes, one limit.
        def read_all(mnt, seed):
            order = sorted(files)
            random.Random(seed).shuffle(order)
            for rel in order:
                with open(os.path.join(mnt, rel), "rb") as f:
                    if f.read() != files[rel]:
                        return rel
            return None

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            jobs = [pool.submit(read_all, m, s) for s in range(3) for m in (self.mnt, mnt_b)]
            self.assertEqual([j.result() for j in jobs], [None] * len(jobs))
        self.assertLessEqual(disk_use(self.cache), 2 << 20)

        # kill -9 of one while it loads: the other reads on, and the killed one remounts.
        load = subprocess.Popen([FERRY_BIN, "cache", "load", os.path.join(self.mnt, "set")],
                                env=self.env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(0.3)
        a.kill()
        a.wait()
        load.wait(timeout=60)
        subprocess.run(["fusermount3", "-u", "-z", self.mnt], capture_output=True)
        self.assertIsNone(read_all(mnt_b, 7))
        a = self.mount("--block-size", "128K", "--cache-size", "2M")
        self.assertIsNone(read_all(self.mnt, 8))
        self.assertLessEqual(disk_use(self.cache), 2 << 20)
        # A mount asking for another limit takes the one in force, and says so.
        mnt_c = os.path.join(self.tmp, "mnt-c")
        c = self.mount("--cache-size", "64M", mnt=mnt_c)
        self.assertIsNone(read_all(mnt_c, 9))
        self.assertLessEqual(disk_use(self.cache), 2 << 20)
        self.unmount(a)
        self.unmount(b, mnt_b)
        self.assertIn("limit of 2.0 MiB", self.unmount(c, mnt_c))

    def test_an_object_replaced_under_an_open_file_reads_as_stale(self):
        # It read as EIO, which says the disk is broken; ESTALE says "open it again", as NFS
        # does for a file changed on the server.
        old = random_bytes(4 << 20, seed=21)
        self.put("replaced.bin", old)
        p = self.mount("--block-size", "128K")
        fd = os.open(os.path.join(self.mnt, "replaced.bin"), os.O_RDONLY)
        try:
            self.assertEqual(os.pread(fd, 4096, 0), old[:4096])
            self.put("replaced.bin", random_bytes(4 << 20, seed=22))
            with self.assertRaises(OSError) as caught:
                os.pread(fd, 4096, 3 << 20)
            self.assertEqual(caught.exception.errno, errno.ESTALE)
        finally:
            os.close(fd)
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
        fetched = json.loads(self.ferry("cache", "stats", "--json", self.mnt).stdout)["fetches"]
        with open(os.path.join(mnt_set, "f3.bin"), "rb") as f:
            self.assertEqual(f.read(), random_bytes(300_000, seed=3))
        stats = json.loads(self.ferry("cache", "stats", "--json", self.mnt).stdout)
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

    def test_cache_load_counts_what_the_cache_kept(self):
        # A load after a release used to find the blocks still in memory and report them
        # loaded while the cache held nothing.
        for i in range(4):
            self.write("set/f%d.bin" % i, random_bytes(200_000, seed=i))
        self.ferry("sync", self.src, "s3://%s/data" % self.bucket, "--state-dir", "none")
        p = self.mount("--block-size", "128K")
        mnt_set = os.path.join(self.mnt, "set")
        for i in range(4):
            self.read("set/f%d.bin" % i)  # read cold: blocks land in memory and in the cache
        self.ferry("cache", "release", mnt_set)
        loaded = json.loads(self.ferry("cache", "load", "--json", mnt_set).stdout)
        self.assertEqual(loaded["loaded_bytes"], 800_000, loaded)
        out = self.ferry("cache", "status", mnt_set).stdout
        self.assertEqual(out.count("100%"), 4, out)
        # Human-readable stats; misses count the reads that waited for the store.
        stats = self.ferry("cache", "stats", self.mnt).stdout
        self.assertIn("misses", stats)
        self.assertFalse(stats.lstrip().startswith("{"), stats)
        self.assertGreater(self.stats()["misses"], 0)
        self.unmount(p)

    def test_a_cache_too_small_makes_load_fail_not_lie(self):
        for i in range(4):
            self.write("set/f%d.bin" % i, random_bytes(300_000, seed=i))
        self.ferry("sync", self.src, "s3://%s/data" % self.bucket, "--state-dir", "none")
        p = self.mount("--block-size", "128K", "--cache-size", "256K")
        out = self.ferry("cache", "load", os.path.join(self.mnt, "set"), check=False)
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertIn("could not be kept", out.stderr)
        self.unmount(p)

    def test_relative_cache_dir_in_the_background(self):
        # A relative --cache-dir was taken relative to "/" once the mount had left for the
        # background: nothing was cached while `cache load` reported success.
        self.write("a.bin", random_bytes(100_000, seed=1))
        self.ferry("sync", self.src, "s3://%s/data" % self.bucket, "--state-dir", "none")
        p = subprocess.run([FERRY_BIN, "mount", "s3://%s/data" % self.bucket, "mnt",
                            "--cache-dir", "relative-cache"], cwd=self.tmp, env=self.env(),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.mounts.append(self.mnt)  # unmounted by tearDown, which ends the background mount
        loaded = json.loads(self.ferry("cache", "load", "--json", self.mnt).stdout)
        self.assertEqual(loaded["loaded_bytes"], 100_000, loaded)
        self.assertGreater(disk_use(os.path.join(self.tmp, "relative-cache")), 0)

    def test_ls_l_does_not_download_the_directory(self):
        for i in range(61):
            self.write("small/f%02d.bin" % i, random_bytes(93_000, seed=i))
        self.ferry("sync", self.src, "s3://%s/data" % self.bucket, "--state-dir", "none")
        p = self.mount()
        listing = subprocess.run(["ls", "-l", os.path.join(self.mnt, "small")],
                                 capture_output=True, text=True, check=True).stdout
        self.assertEqual(listing.count("93000"), 61)
        stats = self.stats()
        self.assertLessEqual(stats["bytes_from_store"], 3 << 20, stats)
        for i in range(61):
            self.assertEqual(self.read("small/f%02d.bin" % i), random_bytes(93_000, seed=i))
        self.unmount(p)

    def test_metrics_show_what_came_from_the_bucket_and_the_cache(self):
        body = random_bytes(3 << 20, seed=4)
        self.write("m.bin", body)
        self.ferry("sync", self.src, "s3://%s/data" % self.bucket)
        port = free_port()
        p = self.mount("--metrics", "127.0.0.1:%d" % port)
        with open(os.path.join(self.mnt, "m.bin"), "rb") as f:
            self.assertEqual(f.read(), body)
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port) as r:
            text = r.read().decode()

        def sample(name):
            m = re.search("^" + re.escape(name) + r" (\S+)$", text, re.M)
            self.assertIsNotNone(m, name + " in:\n" + text)
            return float(m.group(1))

        self.assertGreaterEqual(sample("ferry_mount_cloud_bytes_downloaded_total"), len(body))
        self.assertGreaterEqual(sample("ferry_mount_block_fetches_total"), 1)
        self.assertGreater(sample("ferry_mount_cache_bytes_used"), 0)
        self.assertGreaterEqual(sample('ferry_mount_reads_total{from="bucket"}'), 1)
        hit = sample("ferry_mount_cache_hit_percent")
        self.assertTrue(0 <= hit <= 100, hit)
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
        # Credentials the server refuses: the error names the cause, nothing is mounted.
        saved = self.secret_key
        try:
            self.secret_key = "not-the-secret"
            p = self.ferry("mount", "s3://%s/data" % self.bucket, self.mnt, check=False)
        finally:
            self.secret_key = saved
        self.assertEqual(p.returncode, 1)
        self.assertIn("SignatureDoesNotMatch", p.stderr)
        self.assertFalse(os.path.ismount(self.mnt))
        # A mode that is not octal is a usage error, not an uncaught exception (abort).
        for flag in ("--file-mode", "--dir-mode"):
            p = self.ferry("mount", "s3://%s/data" % self.bucket, self.mnt, flag, "abc",
                           check=False)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("not an octal mode", p.stderr)
        p = self.ferry("mount", "s3://%s/data" % self.bucket, self.mnt, "--metrics", "9100",
                       check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("HOST:PORT", p.stderr)
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
            p = self.mount("--block-size", "256K", "--read-ahead", "256K")
            with open(os.path.join(self.mnt, "big.bin"), "rb") as f:
                self.assertEqual(f.read(), data)
            self.unmount(p)
        finally:
            self.endpoint = saved
            injected = proxy.stop()
        self.assertGreaterEqual(injected, 5)


    def test_a_directory_of_100000_entries(self):
        wide = os.path.join(self.src, "wide")
        os.makedirs(wide)
        for i in range(100_000):
            open(os.path.join(wide, "f%06d" % i), "wb").close()
        self.ferry("sync", self.src, "s3://%s/data" % self.bucket, "--state-dir", "none")
        p = self.mount()
        started = time.monotonic()
        names = os.listdir(os.path.join(self.mnt, "wide"))
        listed = time.monotonic() - started
        self.assertEqual(len(names), 100_000)
        self.assertEqual(sorted(names)[:2] + sorted(names)[-1:], ["f000000", "f000001", "f099999"])
        self.assertEqual(os.stat(os.path.join(self.mnt, "wide", "f054321")).st_size, 0)
        # A second listing within the TTL comes from the mount's memory.
        started = time.monotonic()
        self.assertEqual(len(os.listdir(os.path.join(self.mnt, "wide"))), 100_000)
        relisted = time.monotonic() - started
        sys.stderr.write("100000 entries: listed in %.2f s, again in %.2f s\n" % (listed, relisted))
        self.assertLess(listed, 60)  # generous: the point is that it ends, on a small machine
        self.unmount(p)

    def test_a_stream_gives_back_the_pages_it_left_behind(self):
        big = random_bytes(24 << 20, seed=21)
        small = random_bytes(3 << 20, seed=22)
        self.write("big.bin", big)
        self.write("small.bin", small)
        self.ferry("sync", self.src, "s3://%s/data" % self.bucket, "--state-dir", "none")
        p = self.mount("--drop-behind", "4M", "--block-size", "256K")
        for name, data in (("big.bin", big), ("small.bin", small)):
            with open(os.path.join(self.mnt, name), "rb", buffering=0) as f:
                got = bytearray()
                while chunk := f.read(1 << 20):
                    got += chunk
            self.assertEqual(bytes(got), data)
        big_path = os.path.join(self.mnt, "big.bin")
        # Dropping runs beside the reads: wait for the stream's early pages to go.
        deadline = time.time() + 10
        while page_cache_residency(big_path, 0, 16 << 20) > 0 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(page_cache_residency(big_path, 0, 16 << 20), 0)
        # What is within the distance of where the stream ended stays, as does a whole file
        # shorter than the distance.
        self.assertGreater(page_cache_residency(big_path, 21 << 20, 3 << 20), 0.9)
        self.assertEqual(page_cache_residency(os.path.join(self.mnt, "small.bin"), 0, 3 << 20),
                         1.0)
        # The dropped bytes come back from the disk cache, exact.
        fetched = self.stats()["fetches"]
        with open(big_path, "rb") as f:
            self.assertEqual(f.read(), big)
        self.assertEqual(self.stats()["fetches"], fetched)
        self.unmount(p)


@unittest.skipUnless(CephRgw.available(), "Ceph RGW is not installed")
class AgainstCephRgw(MountCase, ServerFixture, unittest.TestCase):
    server_class = CephRgw


if __name__ == "__main__":
    main()
