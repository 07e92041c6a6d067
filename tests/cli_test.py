#!/usr/bin/env python3
"""ferry's client commands (ls, cp, rm, stat, cat, mb, rb) against `ferry serve` and against
the npm s3rver: every command, ranges, multipart, server-side copy, batch delete over > 1000
keys, odd keys, metadata interop with the AWS CLI, and bad input."""
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

from ferrytest import AWS_BIN, FERRY_BIN, FerryServer, ServerFixture, client_env, main, random_bytes
from peers import CephRgw, S3rver

ODD_KEYS = ["sp ace.txt", "plus+sign", "per%cent", "uni/üñí©ødé", "dots/../x", "dbl//slash",
            "a", "a/b", "tab\tkey"]


class CliCase:
    """Tests shared by every backend. Subclasses set up self.endpoint and credentials."""
    odd_keys = ODD_KEYS
    many_keys = 1100
    extra_flags = []

    def ferry(self, *args, check=True, input=None, text=True):
        env = client_env(self.endpoint, self.access_key, self.secret_key)
        if args and args[0] in ("ls", "cp", "rm", "rb"):
            args = list(args) + self.extra_flags
        p = subprocess.run([FERRY_BIN] + list(args), env=env, capture_output=True, text=text,
                           input=input, timeout=600)
        if check and p.returncode != 0:
            raise AssertionError("ferry %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                               p.stderr))
        return p

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ferry-cli-")
        self.bucket = "cli-%s" % self._testMethodName.replace("_", "-")[:40].lower()
        self.ferry("mb", "s3://" + self.bucket)

    def tearDown(self):
        self.ferry("rb", "--force", "s3://" + self.bucket, check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, rel, data, mode=0o644):
        path = os.path.join(self.tmp, "src", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        return path

    def test_cp_recursive_roundtrip_with_filters_and_attributes(self):
        files = {"a.jpg": random_bytes(1000, 1), "b.png": random_bytes(2000, 2),
                 "d/c.jpg": random_bytes(70000, 3), "d/e/f.txt": b"", "g.jpg": random_bytes(5, 4)}
        for rel, data in files.items():
            self.write(rel, data, 0o640)
        os.utime(os.path.join(self.tmp, "src", "a.jpg"), ns=(1600000000123456789,) * 2)
        src = os.path.join(self.tmp, "src")
        p = self.ferry("cp", "-r", src, "s3://%s/ds" % self.bucket, "--json")
        summary = json.loads(p.stdout)
        self.assertEqual(summary["objects"], len(files))
        self.assertEqual(summary["failed"], 0)
        listed = self.ferry("ls", "-r", "s3://%s/ds/" % self.bucket, "--json").stdout.splitlines()
        self.assertEqual(sorted(json.loads(l)["key"] for l in listed),
                         sorted("ds/" + k for k in files))
        out = os.path.join(self.tmp, "out")
        self.ferry("cp", "-r", "s3://%s/ds" % self.bucket, out, "--exclude", "*",
                   "--include", "*.jpg")
        got = sorted(os.path.relpath(os.path.join(r, f), out)
                     for r, _, fs in os.walk(out) for f in fs)
        self.assertEqual(got, ["a.jpg", "d/c.jpg", "g.jpg"])
        for rel in got:
            with open(os.path.join(out, rel), "rb") as f:
                self.assertEqual(f.read(), files[rel])
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(out, rel)).st_mode), 0o640)
        self.assertEqual(os.stat(os.path.join(out, "a.jpg")).st_mtime_ns, 1600000000123456789)
        meta = json.loads(self.ferry("stat", "--json", "s3://%s/ds/a.jpg" % self.bucket).stdout)
        self.assertEqual(meta["posix"]["mode"], "0100640")
        self.assertEqual(meta["size"], 1000)

    def test_multipart_range_cat_and_server_side_copy(self):
        data = random_bytes(17 * 1024 * 1024 + 3, 5)
        path = self.write("big.bin", data)
        p = self.ferry("cp", path, "s3://%s/big.bin" % self.bucket, "--part-size", "5M",
                       "--json")
        self.assertEqual(json.loads(p.stdout)["bytes"], len(data))
        meta = json.loads(self.ferry("stat", "--json", "s3://%s/big.bin" % self.bucket).stdout)
        self.assertEqual(meta["size"], len(data))
        got = self.ferry("cat", "s3://%s/big.bin" % self.bucket, "--range", "100-199",
                         text=False).stdout
        self.assertEqual(got, data[100:200])
        got = self.ferry("cat", "s3://%s/big.bin" % self.bucket, "--range", "-10",
                         text=False).stdout
        self.assertEqual(got, data[-10:])
        other = self.bucket[:50] + "-dst"
        self.ferry("mb", "s3://" + other)
        try:
            self.ferry("cp", "s3://%s/big.bin" % self.bucket, "s3://%s/copied/" % other)
            out = os.path.join(self.tmp, "back.bin")
            self.ferry("cp", "s3://%s/copied/big.bin" % other, out, "--part-size", "5M")
            with open(out, "rb") as f:
                self.assertEqual(f.read(), data)
        finally:
            self.ferry("rb", "--force", "s3://" + other, check=False)

    def test_summary_counts_in_words(self):
        path = self.write("one.txt", b"one")
        p = self.ferry("cp", path, "s3://%s/one.txt" % self.bucket)
        self.assertIn("1 object, ", p.stderr)  # not "1 objects"
        self.assertIn("0 retries", p.stderr)
        # ls of a prefix that names nothing exits 1, as the AWS CLI; an existing one 0.
        self.assertEqual(self.ferry("ls", "s3://%s/missing/" % self.bucket, check=False)
                         .returncode, 1)
        self.assertEqual(self.ferry("ls", "s3://%s/one" % self.bucket).returncode, 0)

    def test_odd_keys(self):
        for i, key in enumerate(self.odd_keys):
            path = self.write("f%d" % i, random_bytes(100 + i, i))
            self.ferry("cp", path, "s3://%s/%s" % (self.bucket, key))
        listed = [json.loads(l)["key"] for l in
                  self.ferry("ls", "-r", "s3://%s" % self.bucket, "--json").stdout.splitlines()]
        self.assertEqual(sorted(listed), sorted(self.odd_keys))
        for i, key in enumerate(self.odd_keys):
            got = self.ferry("cat", "s3://%s/%s" % (self.bucket, key), text=False).stdout
            self.assertEqual(got, random_bytes(100 + i, i), key)
        # A key with ".." is never written outside the destination directory.
        out = os.path.join(self.tmp, "out")
        p = self.ferry("cp", "-r", "s3://%s/dots/" % self.bucket, out, check=False)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "x")))

    def test_rm_recursive_over_a_thousand_keys(self):
        src = os.path.join(self.tmp, "many")
        os.makedirs(src)
        for i in range(self.many_keys):
            with open(os.path.join(src, "k%04d" % i), "wb") as f:
                f.write(b"%d" % i)
        p = self.ferry("cp", "-r", src, "s3://%s/many" % self.bucket, "--json")
        self.assertEqual(json.loads(p.stdout)["objects"], self.many_keys)
        listed = self.ferry("ls", "-r", "s3://%s/many/" % self.bucket).stdout.splitlines()
        self.assertEqual(len(listed), self.many_keys)
        self.ferry("rm", "-r", "-q", "s3://%s/many/" % self.bucket)
        self.assertEqual(self.ferry("ls", "-r", "s3://%s" % self.bucket).stdout.strip(), "")

    def test_bad_input_gives_one_line_and_exit_codes(self):
        cases = [
            (["cp", "s3://", os.path.join(self.tmp, "x")], 2),
            (["cp", os.path.join(self.tmp, "nope"), "s3://%s/x" % self.bucket], 1),
            (["cp", "s3://%s/missing" % self.bucket, os.path.join(self.tmp, "m")], 1),
            (["cp", "s3://no-such-bucket-ferry/x", os.path.join(self.tmp, "m")], 1),
            (["ls", "s3://no-such-bucket-ferry"], 1),
            (["rb", "s3://no-such-bucket-ferry"], 1),
        ]
        for args, code in cases:
            p = self.ferry(*args, check=False)
            self.assertEqual(p.returncode, code, (args, p.stderr))
            lines = p.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, (args, p.stderr))
            self.assertTrue(lines[0].startswith("ferry "), lines[0])
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "m")))
        leftovers = [f for f in os.listdir(self.tmp) if "ferry-" in f]
        self.assertEqual(leftovers, [])
        # An unreadable file is named in the error (root reads anything, so skip then).
        if os.geteuid() != 0:
            path = self.write("secret", b"x", 0o000)
            p = self.ferry("cp", path, "s3://%s/secret" % self.bucket, check=False)
            self.assertEqual(p.returncode, 1)
            self.assertIn(path, p.stderr)


class AgainstFerryServe(CliCase, ServerFixture, unittest.TestCase):
    server_class = FerryServer

    def test_wrong_credentials_and_no_credentials(self):
        saved = self.secret_key
        try:
            self.secret_key = "wrong"
            p = self.ferry("ls", "s3://" + self.bucket, check=False)
            self.assertEqual(p.returncode, 1)
            self.assertIn("SignatureDoesNotMatch", p.stderr)
            self.access_key = "NOSUCHKEY"
            p = self.ferry("ls", "s3://" + self.bucket, check=False)
            self.assertIn("InvalidAccessKeyId", p.stderr)
            # No credentials at all: said at once, as the AWS CLI says it, not a bare 403.
            self.access_key = ""
            self.secret_key = ""
            p = self.ferry("ls", "s3://" + self.bucket, check=False)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("Unable to locate credentials", p.stderr)
            p = self.ferry("ls", "s3://" + self.bucket, "--no-sign-request", check=False)
            self.assertEqual(p.returncode, 1)
            self.assertIn("AccessDenied", p.stderr)
        finally:
            self.access_key = self.server.access_key
            self.secret_key = saved

    def test_usage_errors_name_the_mistake(self):
        cases = [
            (["lss"], 'unknown command "lss" (did you mean ls?)'),
            (["task", "crate"], 'ferry task: unknown command "crate" (did you mean create?)'),
            (["cp", "--recursiv", "a", "s3://%s/" % self.bucket],
             "ferry cp: unknown option --recursiv (did you mean --recursive?)"),
            (["train", "--chanel", "training=s3://%s/x" % self.bucket, "--", "/usr/bin/python3",
              "argv.py"], "ferry train: unknown option --chanel (did you mean --channel?)"),
            (["ls", "s3://%s/" % self.bucket, "--endpoint-url", "http://127.0.0.1:99999"],
             "Port number"),
            (["ls", "s3://%s/" % self.bucket, "--endpoint-url", "127.0.0.1:9000"],
             "expected http(s)://host[:port]"),
            (["ls", "s3://%s/" % self.bucket, "--endpoint-url", "http://[::1"], "IPv6"),
            (["cp", "a", "b"], "ferry cp: one of SRC and DST must be an s3:// URL"),
            (["sync", self.tmp, self.tmp + "-b"], "ferry sync: one side of a sync must be s3://"),
        ]
        for args, message in cases:
            started = time.time()
            p = self.ferry(*args, check=False)
            self.assertEqual(p.returncode, 2, (args, p.stderr))
            self.assertIn(message, p.stderr.splitlines()[0], args)
            self.assertLess(time.time() - started, 5, "no retries for a usage error")

    def interrupt(self, *args):
        """Runs ferry ARGS, sends Ctrl-C once something has been transferred, and returns
        the finished process (stdout and stderr read)."""
        env = client_env(self.endpoint, self.access_key, self.secret_key)
        p = subprocess.Popen([FERRY_BIN] + list(args), env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=120)
        return p.returncode, out, err

    def test_interrupted_sync_and_cp_still_report(self):
        for i in range(40):
            self.write("big/f%02d" % i, random_bytes(150000, i))
        os.mkfifo(os.path.join(self.tmp, "src", "big", "fifo"))
        src = os.path.join(self.tmp, "src", "big")
        report = os.path.join(self.tmp, "report.json")
        # A destination file the sync would delete: an interrupted sync deletes nothing.
        self.ferry("cp", self.write("extra", b"x"), "s3://%s/sync/zz-extra" % self.bucket)
        code, _, err = self.interrupt("sync", src, "s3://%s/sync" % self.bucket, "--delete",
                                      "--bwlimit", "1M", "--report", report)
        self.assertEqual(code, 130, err)
        self.assertIn("interrupted: ", err)
        self.assertIn("not done", err)
        with open(report) as f:
            summary = json.load(f)["summary"]
        self.assertTrue(summary["interrupted"])
        self.assertGreater(summary["interrupted_transfers"], 0)
        self.assertEqual(summary["deleted"], 0)
        self.assertIn("zz-extra", self.ferry("ls", "s3://%s/sync/" % self.bucket).stdout)
        # The next run finishes the job; the FIFO is not counted as unchanged.
        p = self.ferry("sync", src, "s3://%s/sync" % self.bucket, "--delete")
        self.assertIn("1 special files skipped", p.stderr)
        unchanged = int(p.stderr.split(" unchanged")[0].split(", ")[-1])
        self.assertEqual(unchanged + int(p.stderr.split(" transferred")[0]), 40)
        code, _, err = self.interrupt("cp", "-r", src, "s3://%s/cp" % self.bucket,
                                      "--bwlimit", "1M")
        self.assertEqual(code, 130, err)
        self.assertIn("interrupted: ", err)
        self.assertIn("failed", err.splitlines()[-1])

    def test_metadata_interop_with_aws_cli(self):
        path = self.write("by-aws.txt", b"hello from the aws cli")
        self.server.aws("s3", "cp", path, "s3://%s/by-aws.txt" % self.bucket,
                        "--metadata", "file-permissions=0100600,file-mtime=1700000000000ns,owner=ml")
        meta = json.loads(self.ferry("stat", "--json", "s3://%s/by-aws.txt" % self.bucket).stdout)
        self.assertEqual(meta["posix"]["mode"], "0100600")
        self.assertEqual(meta["metadata"]["owner"], "ml")
        out = os.path.join(self.tmp, "from-aws.txt")
        self.ferry("cp", "s3://%s/by-aws.txt" % self.bucket, out)
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o600)
        self.assertEqual(os.stat(out).st_mtime_ns, 1700000000000)
        path = self.write("by-ferry.txt", b"hello from ferry", 0o751)
        self.ferry("cp", path, "s3://%s/by-ferry.txt" % self.bucket)
        head = json.loads(self.server.aws("s3api", "head-object", "--bucket", self.bucket,
                                          "--key", "by-ferry.txt").stdout)
        self.assertEqual(head["Metadata"]["file-permissions"], "0100751")
        self.assertTrue(head["Metadata"]["file-mtime"].endswith("ns"))
        got = self.server.aws("s3", "cp", "s3://%s/by-ferry.txt" % self.bucket, "-").stdout
        self.assertEqual(got, "hello from ferry")


class AgainstPeer(CliCase, ServerFixture):
    """The shared tests against a third-party server (server_class)."""


@unittest.skipUnless(S3rver.available(), "npm is not installed")
class AgainstS3rver(AgainstPeer, unittest.TestCase):
    server_class = S3rver
    # s3rver 3.7's ListObjectsV2 continuation tokens need DES, which OpenSSL 3 lacks, so a
    # truncated V2 listing answers 500 (to the AWS CLI too): list with V1 there. It also
    # normalises keys containing "//" or "..".
    odd_keys = [k for k in ODD_KEYS if "//" not in k and ".." not in k]
    extra_flags = ["--list-version", "1"]


@unittest.skipUnless(CephRgw.available(), "Ceph RGW is not installed")
class AgainstCephRgw(AgainstPeer, unittest.TestCase):
    server_class = CephRgw


if __name__ == "__main__":
    main()
