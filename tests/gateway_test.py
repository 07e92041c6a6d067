#!/usr/bin/env python3
"""`ferry gateway` (a writable share over a bucket prefix) against `ferry serve` and Ceph RGW:
files, directories, symlinks, metadata, renames and deletes become objects; a change in the
middle of a large file; kill -9 of the gateway at random points while a writer creates,
fsyncs and renames files, then a restart: every closed or fsynced file is in the bucket
byte-exact and no object is torn; bad arguments fail before mounting."""
import ctypes
import errno
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

from ferrytest import FERRY_BIN, FerryServer, ServerFixture, client_env, main, random_bytes
from peers import CephRgw
import nfs4  # noqa: E402


def content(name, size):
    """The bytes the crash test's writer puts in a file: a function of its name and size, so
    that any object can be checked without knowing when it was written."""
    seed = hashlib.sha256(name.encode()).digest()
    out = bytearray()
    while len(out) < size:
        seed = hashlib.sha256(seed).digest()
        out += seed
    return bytes(out[:size])


# Run as a separate process on the mount: writes files and records, after each operation
# that returned, what the gateway has acknowledged.
WRITER = textwrap.dedent("""
    import hashlib, os, random, sys
    sys.path.insert(0, sys.argv[4])
    from gateway_test import content
    mnt, manifest, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(seed)
    log = open(manifest, "a", buffering=1)
    try:
        for i in range(10000):
            name = "s%d-f%d" % (seed, i)
            size = rng.choice([0, 100, 5000, 70000, 300000, 2500000])
            how = rng.choice(["close", "fsync", "rename"])
            path = os.path.join(mnt, "w", name + (".tmp" if how == "rename" else ""))
            fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
            data = content(name, size)
            for at in range(0, size, 65536):
                os.write(fd, data[at:at + 65536])
            if how == "fsync":
                os.fsync(fd)
                log.write("%s %d\\n" % (name, size))
            os.close(fd)
            if how == "close":
                log.write("%s %d\\n" % (name, size))
            if how == "rename":
                os.rename(path, os.path.join(mnt, "w", name))
                log.write("%s %d\\n" % (name, size))
    except OSError:
        pass  # the gateway was killed
""")


@unittest.skipUnless(os.path.exists("/dev/fuse") and shutil.which("fusermount3"),
                     "FUSE is not available")
class GatewayCase:
    def env(self):
        return client_env(self.endpoint, self.access_key, self.secret_key)

    def ferry(self, *args, check=True, timeout=300):
        p = subprocess.run([FERRY_BIN] + list(args), env=self.env(), capture_output=True,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("ferry %s: %s" % (" ".join(args), p.stderr.decode()))
        return p

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ferry-gateway-")
        self.mnt = os.path.join(self.tmp, "mnt")
        self.cache = os.path.join(self.tmp, "cache")
        os.makedirs(self.mnt)
        self.bucket = ("gw-%s" % self._testMethodName.replace("_", "-")[5:40]).strip("-")
        self.ferry("mb", "s3://" + self.bucket)
        self.procs = []

    def tearDown(self):
        with open("/proc/mounts") as f:
            left = [line.split()[1] for line in f if line.split()[1].startswith(self.tmp + "/")]
        for mnt in left:
            subprocess.run(["fusermount3", "-u", "-z", mnt], capture_output=True)
        for p in self.procs:
            if p.poll() is None:
                try:
                    p.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.ferry("rb", "--force", "s3://" + self.bucket, check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, *flags):
        log = open(os.path.join(self.tmp, "gateway.log"), "ab")
        p = subprocess.Popen([FERRY_BIN, "gateway", "s3://%s/share" % self.bucket, self.mnt,
                              "--foreground", "--cache-dir", self.cache] + list(flags),
                             env=self.env(), stdout=subprocess.DEVNULL, stderr=log)
        log.close()
        self.procs.append(p)
        deadline = time.time() + 30
        while not os.path.ismount(self.mnt):
            if p.poll() is not None or time.time() > deadline:
                raise AssertionError("the gateway did not come up: " + self.log())
            time.sleep(0.05)
        return p

    def wait_port(self, port, timeout=30):
        """A file server the gateway starts listens a moment after the mount is up."""
        import socket
        deadline = time.time() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                return
            except OSError:
                if time.time() > deadline:
                    raise AssertionError("nothing listens on %d: %s" % (port, self.log()))
                time.sleep(0.05)

    def log(self):
        with open(os.path.join(self.tmp, "gateway.log"), errors="replace") as f:
            return f.read()

    def stop(self, p):
        """Unmounts; the gateway uploads what is pending, then exits."""
        subprocess.run(["fusermount3", "-u", self.mnt], check=True)
        self.assertEqual(p.wait(timeout=120), 0, self.log())

    def objects(self, prefix="share/"):
        out = self.ferry("ls", "-r", "s3://%s/%s" % (self.bucket, prefix)).stdout.decode()
        keys = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 4:
                keys[parts[3]] = int(parts[2])
        return keys

    def cat(self, key):
        return self.ferry("cat", "s3://%s/%s" % (self.bucket, key)).stdout

    def wait_for(self, check, timeout=60):
        deadline = time.time() + timeout
        while True:
            try:
                if check():
                    return
            except AssertionError:
                pass
            if time.time() > deadline:
                raise AssertionError("timed out waiting; gateway log: " + self.log())
            time.sleep(0.2)

    def test_writes_become_objects(self):
        p = self.start("--settle", "0.2s")
        m = self.mnt
        os.makedirs(os.path.join(m, "runs/r1"))
        with open(os.path.join(m, "runs/r1/metrics.json"), "w") as f:
            f.write('{"loss": 0.1}')
        big = random_bytes(40 << 20, seed=3)
        with open(os.path.join(m, "big.bin"), "wb") as f:
            f.write(big)
        os.symlink("runs/r1/metrics.json", os.path.join(m, "latest"))
        os.chmod(os.path.join(m, "runs/r1/metrics.json"), 0o600)
        os.utime(os.path.join(m, "big.bin"), ns=(1_600_000_000_000_000_001,) * 2)
        with open(os.path.join(m, "gone.txt"), "w") as f:
            f.write("short-lived")
        self.wait_for(lambda: "share/gone.txt" in self.objects()
                      and "share/big.bin" in self.objects())
        os.unlink(os.path.join(m, "gone.txt"))
        os.rename(os.path.join(m, "runs"), os.path.join(m, "experiments"))
        with open(os.path.join(m, "log.txt"), "a") as f:
            f.write("line 1\n")
        with open(os.path.join(m, "log.txt"), "a") as f:
            f.write("line 2\n")
        self.assertEqual(sorted(os.listdir(m)), ["big.bin", "experiments", "latest", "log.txt"])
        self.stop(p)
        keys = self.objects()
        self.assertEqual(sorted(keys), ["share/big.bin", "share/experiments/",
                                        "share/experiments/r1/",
                                        "share/experiments/r1/metrics.json", "share/latest",
                                        "share/log.txt"])
        self.assertEqual(self.cat("share/big.bin"), big)
        self.assertEqual(self.cat("share/log.txt"), b"line 1\nline 2\n")
        self.assertEqual(self.cat("share/latest"), b"runs/r1/metrics.json")
        stat_out = self.ferry("stat", "s3://%s/share/experiments/r1/metrics.json"
                              % self.bucket).stdout.decode()
        self.assertIn("0100600", stat_out)
        self.assertIn("1600000000000000001ns",
                      self.ferry("stat", "s3://%s/share/big.bin" % self.bucket).stdout.decode())
        # A restart shows the same tree with the same inode numbers; a change in the middle of
        # the large file is uploaded (its unchanged parts copied in the bucket).
        p = self.start("--settle", "0.2s")
        ino = os.stat(os.path.join(self.mnt, "big.bin")).st_ino
        self.assertEqual(os.readlink(os.path.join(self.mnt, "latest")), "runs/r1/metrics.json")
        with open(os.path.join(self.mnt, "big.bin"), "r+b") as f:
            f.seek(20 << 20)
            f.write(b"PATCHED")
        self.stop(p)
        want = big[:20 << 20] + b"PATCHED" + big[(20 << 20) + 7:]
        self.assertEqual(self.cat("share/big.bin"), want)
        p = self.start()
        self.assertEqual(os.stat(os.path.join(self.mnt, "big.bin")).st_ino, ino)
        with open(os.path.join(self.mnt, "big.bin"), "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).digest(), hashlib.sha256(want).digest())
        self.stop(p)

    def test_objects_written_elsewhere_show_up_after_the_listing_ttl(self):
        self.ferry("cp", "-", "s3://%s/share/outside.txt" % self.bucket, check=False)
        src = os.path.join(self.tmp, "outside.txt")
        with open(src, "wb") as f:
            f.write(b"from the bucket")
        self.ferry("cp", src, "s3://%s/share/outside.txt" % self.bucket)
        events = os.path.join(self.tmp, "events.jsonl")
        p = self.start("--listing-ttl", "1s", "--events", events, "--settle", "1s")
        with open(os.path.join(self.mnt, "outside.txt"), "rb") as f:
            self.assertEqual(f.read(), b"from the bucket")
        # Replaced in the bucket by a longer version: the kernel, which keeps its own size of
        # a file it caches writes for, must take it for another file.
        longer = os.path.join(self.tmp, "longer.txt")
        with open(longer, "wb") as f:
            f.write(b"from the bucket, and longer now")
        self.ferry("cp", longer, "s3://%s/share/outside.txt" % self.bucket)

        def replaced():
            with open(os.path.join(self.mnt, "outside.txt"), "rb") as f:
                return f.read() == b"from the bucket, and longer now"
        self.wait_for(replaced, 10)
        self.ferry("cp", src, "s3://%s/share/later/new.txt" % self.bucket)
        self.wait_for(lambda: os.path.exists(os.path.join(self.mnt, "later/new.txt")), 10)
        # RefreshCache: with a long TTL, a directory shows the bucket's changes on demand.
        self.stop(p)
        metrics_port = free_port()
        p = self.start("--listing-ttl", "1h", "--events", events, "--settle", "1s",
                       "--metrics", "127.0.0.1:%d" % metrics_port)
        self.assertEqual(os.listdir(os.path.join(self.mnt, "later")), ["new.txt"])
        self.ferry("cp", src, "s3://%s/share/later/newer.txt" % self.bucket)
        time.sleep(1.5)
        self.assertEqual(os.listdir(os.path.join(self.mnt, "later")), ["new.txt"])
        out = self.ferry("gateway", "refresh", os.path.join(self.mnt, "later")).stdout.decode()
        self.assertIn("1 names changed", out)
        time.sleep(1.2)  # the kernel's entry cache
        self.assertEqual(sorted(os.listdir(os.path.join(self.mnt, "later"))),
                         ["new.txt", "newer.txt"])
        # Status, the cache report and a working-set notification.
        with open(os.path.join(self.mnt, "written.txt"), "w") as f:
            f.write("w")
        status = json.loads(self.ferry("gateway", "status", self.mnt, "--json").stdout)
        self.assertEqual(status["dirty_files"], 1)
        report = json.loads(self.ferry("gateway", "report", self.mnt, "--json").stdout)
        self.assertEqual([f["path"] for f in report["files"]], ["written.txt"])
        notification = self.ferry("gateway", "notify-when-uploaded",
                                  self.mnt).stdout.decode().strip()

        def notified():
            with open(events) as f:
                lines = [json.loads(line) for line in f]
            done = [e for e in lines if e["detail"].get("notification-id") == notification
                    and e["detail"]["event-type"] == "upload-complete"]
            return done and lines
        self.wait_for(notified, 30)
        lines = notified()
        kinds = [e["detail"]["event-type"] for e in lines]
        self.assertIn("refresh-complete", kinds)
        upload = [e for e in lines if e["detail"]["event-type"] == "object-upload-complete"]
        self.assertEqual(upload[-1]["detail"]["object-key"], "share/written.txt")
        self.assertEqual(upload[-1]["detail"]["bucket-name"], self.bucket)
        self.assertEqual(upload[-1]["detail-type"], "Storage Gateway Object Upload Event")
        self.assertLess(kinds.index("object-upload-complete"), kinds.index("upload-complete"))
        import urllib.request
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics_port) as r:
            text = r.read().decode()
        samples = dict(line.split() for line in text.splitlines() if not line.startswith("#"))
        self.assertEqual(samples["ferry_gateway_cloud_bytes_uploaded_total"], "1")
        self.assertEqual(samples["ferry_gateway_cache_percent_dirty"], "0")
        self.assertEqual(samples["ferry_gateway_files_failing_upload"], "0")
        self.assertIn("ferry_gateway_cache_hit_percent", samples)
        self.assertEqual(samples["ferry_gateway_upload_seconds_count"], "1")
        self.stop(p)


class FileHandle(ctypes.Structure):
    _fields_ = [("handle_bytes", ctypes.c_uint), ("handle_type", ctypes.c_int),
                ("f_handle", ctypes.c_ubyte * 128)]


LIBC = ctypes.CDLL(None, use_errno=True)


def name_to_handle(path):
    """The kernel's file handle for path, as an NFS server (nfs-ganesha's FSAL_VFS) takes it."""
    fh = FileHandle()
    fh.handle_bytes = 128
    mount_id = ctypes.c_int()
    if LIBC.name_to_handle_at(-100, path.encode(), ctypes.byref(fh), ctypes.byref(mount_id),
                              0) != 0:
        raise OSError(ctypes.get_errno(), "name_to_handle_at " + path)
    return fh


def open_by_handle(mount_path, fh, flags=os.O_RDONLY):
    mount_fd = os.open(mount_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd = LIBC.open_by_handle_at(mount_fd, ctypes.byref(fh), flags)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "open_by_handle_at")
        return fd
    finally:
        os.close(mount_fd)


def free_port():
    import socket  # noqa: E401
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AgainstFerryServe(GatewayCase, ServerFixture, unittest.TestCase):
    server_class = FerryServer

    def stop_by_signal(self, p):
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(timeout=120), 0, self.log())
        self.assertFalse(os.path.ismount(self.mnt))

    def test_events_are_posted_to_a_webhook_until_it_takes_them(self):
        import http.server
        import threading
        received, refused = [], []

        class Receiver(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not refused:  # the first delivery fails: it must be retried, not lost
                    refused.append(body)
                    self.send_response(503)
                else:
                    received.append((self.headers["Content-Type"], json.loads(body)))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            p = self.start("--settle", "0s", "--webhook",
                           "http://127.0.0.1:%d/hook" % server.server_address[1])
            for name in ("one.txt", "two.txt"):
                with open(os.path.join(self.mnt, name), "w") as f:
                    f.write(name)

            def both():
                keys = sorted(e["detail"].get("object-key", "") for _, e in received)
                return keys == ["share/one.txt", "share/two.txt"]
            self.wait_for(both, 30)
            self.assertEqual(len(refused), 1)
            content_type, event = received[0]
            self.assertEqual(content_type, "application/json")
            self.assertEqual(event["detail-type"], "Storage Gateway Object Upload Event")
            self.assertEqual(event["detail"]["bucket-name"], self.bucket)
            self.stop_by_signal(p)
        finally:
            server.shutdown()
            server.server_close()
        p = subprocess.run([FERRY_BIN, "gateway", "s3://%s/share" % self.bucket, self.mnt,
                            "--webhook", "ftp://example"], env=self.env(), capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("http:// or https://", p.stderr)

    @unittest.skipUnless(shutil.which("smbd") or os.path.exists("/usr/sbin/smbd"),
                         "samba is not installed")
    def test_smb_share(self):
        port = free_port()
        p = self.start("--settle", "0.2s", "--smb", "team-data", "--smb-port", str(port))
        self.wait_port(port)
        local = os.path.join(self.tmp, "local.bin")
        body = random_bytes(3 << 20, seed=21)
        with open(local, "wb") as f:
            f.write(body)

        def smb(commands):
            r = subprocess.run(["smbclient", "-p", str(port), "-N", "//127.0.0.1/team-data",
                                "-c", commands], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            return r.stdout

        smb("mkdir labels; put %s labels\\a.bin; put %s labels\\tmp.bin" % (local, local))
        smb("rename labels\\a.bin labels\\b.bin; del labels\\tmp.bin; mkdir gone; rmdir gone")
        self.assertIn("b.bin", smb("ls labels\\*"))
        back = os.path.join(self.tmp, "back.bin")
        smb("get labels\\b.bin %s" % back)
        with open(back, "rb") as f:
            self.assertEqual(f.read(), body)
        self.stop_by_signal(p)
        keys = self.objects()
        self.assertEqual(sorted(keys), ["share/labels/", "share/labels/b.bin"])
        self.assertEqual(self.cat("share/labels/b.bin"), body)

    @unittest.skipUnless(os.path.exists("/usr/bin/ganesha.nfsd") and shutil.which("nfs-cp"),
                         "nfs-ganesha or libnfs-utils is not installed")
    def test_nfs_export(self):
        port = free_port()
        p = self.start("--settle", "0.2s", "--nfs", "127.0.0.1:%d" % port)
        self.wait_port(port)
        big = random_bytes(2 << 20, seed=22)
        with open(os.path.join(self.mnt, "big.bin"), "wb") as f:
            f.write(big)
        url = "nfs://127.0.0.1/share/%s?version=4&nfsport=" + str(port)
        listed = subprocess.run(["nfs-ls", url % ""], capture_output=True, text=True,
                                timeout=60)
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertIn("big.bin", listed.stdout)
        got = subprocess.run(["nfs-cat", url % "big.bin"], capture_output=True, timeout=60)
        self.assertEqual(got.stdout, big)
        # libnfs 4.0's NFSv4 writes fail past 3,944 bytes (its bug, not the server's).
        small = os.path.join(self.tmp, "small.txt")
        with open(small, "wb") as f:
            f.write(b"written over NFS\n")
        put = subprocess.run(["nfs-cp", small, url % "nfs.txt"], capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(put.returncode, 0, put.stderr)
        self.stop_by_signal(p)
        self.assertEqual(self.cat("share/nfs.txt"), b"written over NFS\n")
        self.assertEqual(self.cat("share/big.bin"), big)

    def test_kill_9_at_random_points_loses_nothing_acknowledged(self):
        rng = random.Random(20261207)
        manifest = os.path.join(self.tmp, "manifest")
        for round_ in range(6):
            p = self.start("--settle", "0.1s")
            os.makedirs(os.path.join(self.mnt, "w"), exist_ok=True)
            writer = subprocess.Popen([sys.executable, "-c", WRITER, self.mnt, manifest,
                                       str(round_), os.path.dirname(os.path.abspath(__file__))])
            time.sleep(rng.uniform(0.3, 2.0))
            p.send_signal(signal.SIGKILL)
            p.wait()
            writer.wait(timeout=60)
            subprocess.run(["fusermount3", "-u", "-z", self.mnt], capture_output=True)
        p = self.start("--settle", "0s")
        self.stop(p)
        acknowledged = {}
        with open(manifest) as f:
            for line in f:
                name, size = line.split()
                acknowledged[name] = int(size)
        self.assertGreater(len(acknowledged), 10)
        keys = self.objects("share/w/")
        for name, size in acknowledged.items():
            self.assertEqual(keys.get("share/w/" + name), size, name)
        # No object is torn: each holds the whole of what its writer meant it to.
        for key, size in keys.items():
            name = key[len("share/w/"):]
            if not name or name.endswith("/"):
                continue
            base = name[:-4] if name.endswith(".tmp") else name
            body = self.cat(key)
            self.assertEqual(body, content(base, len(body)), key)
            if base in acknowledged:
                self.assertEqual(len(body), acknowledged[base], key)
        # A renamed file's temporary name is gone once the rename was acknowledged.
        for name in acknowledged:
            self.assertNotIn("share/w/%s.tmp" % name, keys)

    @unittest.skipUnless(os.path.exists("/usr/bin/ganesha.nfsd"), "nfs-ganesha is not installed")
    def test_an_nfs_file_handle_survives_a_restart(self):
        port = free_port()
        p = self.start("--nfs", "127.0.0.1:%d" % port)
        self.wait_port(port)
        body = random_bytes(300000, seed=23)
        with open(os.path.join(self.mnt, "keep.bin"), "wb") as f:
            f.write(body)
        device = os.stat(self.mnt).st_dev
        client = nfs4.Client("127.0.0.1", port)
        handle = client.handle_of("/share/keep.bin")
        self.assertEqual(client.read(handle, 0, 1 << 20), body)
        client.close()
        self.stop_by_signal(p)
        p = self.start("--nfs", "127.0.0.1:%d" % port)
        if os.stat(self.mnt).st_dev != device:
            self.stop_by_signal(p)
            self.skipTest("the kernel gave the new mount another device number, which "
                          "nfs-ganesha puts in its handles (nfs-ganesha#1359)")
        self.wait_port(port)
        client = nfs4.Client("127.0.0.1", port)
        try:
            self.assertEqual(client.read(handle, 0, 1 << 20), body)
        finally:
            client.close()
        self.stop_by_signal(p)

    @unittest.skipUnless(os.geteuid() == 0, "open_by_handle_at needs CAP_DAC_READ_SEARCH")
    def test_file_handles_survive_a_restart(self):
        p = self.start()
        os.makedirs(os.path.join(self.mnt, "d"))
        for name, body in (("kept.txt", b"kept"), ("d/deep.txt", b"deep"), ("gone.txt", b"x")):
            with open(os.path.join(self.mnt, name), "wb") as f:
                f.write(body)
        handles = {name: name_to_handle(os.path.join(self.mnt, name))
                   for name in ("kept.txt", "d/deep.txt", "d", "gone.txt")}
        os.unlink(os.path.join(self.mnt, "gone.txt"))
        self.stop(p)
        # A new process and a new mount: the kernel knows none of these inodes any more.
        p = self.start()
        for name, body in (("kept.txt", b"kept"), ("d/deep.txt", b"deep")):
            fd = open_by_handle(self.mnt, handles[name])
            try:
                self.assertEqual(os.read(fd, 100), body, name)
            finally:
                os.close(fd)
        fd = open_by_handle(self.mnt, handles["d"], os.O_RDONLY | os.O_DIRECTORY)
        os.close(fd)
        with self.assertRaises(OSError) as gone:
            open_by_handle(self.mnt, handles["gone.txt"])
        self.assertEqual(gone.exception.errno, errno.ESTALE)
        self.stop(p)

    def test_bad_arguments_fail_before_mounting(self):
        def run(*args):
            return subprocess.run([FERRY_BIN, "gateway"] + list(args), env=self.env(),
                                  capture_output=True, text=True, timeout=60)
        p = run("s3://no-such-bucket-here/x", self.mnt, "--cache-dir", self.cache)
        self.assertEqual(p.returncode, 1)
        self.assertIn("NoSuchBucket", p.stderr)
        p = run("s3://%s" % self.bucket, self.mnt, "--cache-dir", "/proc/ferry-cache")
        self.assertEqual(p.returncode, 1)
        self.assertIn("/proc/ferry-cache", p.stderr)
        p = run("s3://%s" % self.bucket, self.mnt, "--smb", "bad name;[x]")
        self.assertEqual(p.returncode, 2)
        self.assertIn("share name", p.stderr)
        p = run("s3://%s" % self.bucket, self.mnt, "--settle", "soon")
        self.assertEqual(p.returncode, 2)
        self.assertIn("not a duration", p.stderr)
        with open(os.path.join(self.tmp, "file"), "w") as f:
            f.write("x")
        p = run("s3://%s" % self.bucket, os.path.join(self.tmp, "file"))
        self.assertEqual(p.returncode, 2)
        # One gateway per cache directory.
        g = self.start()
        other = os.path.join(self.tmp, "mnt2")
        os.makedirs(other)
        p = run("s3://%s/share" % self.bucket, other, "--cache-dir", self.cache)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("another gateway uses this cache directory", p.stderr)
        self.stop(g)
        self.assertFalse(os.path.ismount(self.mnt))


@unittest.skipUnless(CephRgw.available(), "Ceph RGW is not installed")
class AgainstCephRgw(GatewayCase, ServerFixture, unittest.TestCase):
    server_class = CephRgw


if __name__ == "__main__":
    main()
