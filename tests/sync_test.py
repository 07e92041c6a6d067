#!/usr/bin/env python3
"""`ferry sync` against `ferry serve` and Ceph RGW: first sync and re-syncs after adds, changes,
deletes, chmod and touch; filters; --delete withheld after a failure; checksum mode; resume
after kill -9; the metadata, symlink and empty-directory round trip; interop with a tree
written by `aws s3 sync`; bad input."""
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

from ferrytest import FERRY_BIN, FerryServer, ServerFixture, client_env, main, random_bytes
from peers import CephRgw


class SyncCase:
    """Tests shared by every backend. Subclasses set up self.endpoint and credentials."""

    def env(self):
        return client_env(self.endpoint, self.access_key, self.secret_key)

    def ferry(self, *args, check=True, text=True):
        p = subprocess.run([FERRY_BIN] + list(args), env=self.env(), capture_output=True,
                           text=text, timeout=600)
        if check and p.returncode != 0:
            raise AssertionError("ferry %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                               p.stderr))
        return p

    def sync(self, src, dst, *flags, check=True):
        """Runs ferry sync with --json; returns (summary, process)."""
        p = self.ferry("sync", src, dst, "--json", "--state-dir", self.state, *flags,
                       check=check)
        return (json.loads(p.stdout) if p.stdout.strip() else None), p

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ferry-sync-")
        self.src = os.path.join(self.tmp, "src")
        self.state = os.path.join(self.tmp, "state")
        os.makedirs(self.src)
        self.bucket = ("sync-%s" % self._testMethodName.replace("_", "-")[5:40].lower()).strip("-")
        self.ferry("mb", "s3://" + self.bucket)
        self.url = "s3://%s/tree" % self.bucket

    def tearDown(self):
        self.ferry("rb", "--force", "s3://" + self.bucket, check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, rel, data, mode=0o644, root=None):
        path = os.path.join(root or self.src, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        return path

    def make_tree(self):
        self.write("a/one.bin", random_bytes(1000))
        self.write("a/two.bin", random_bytes(2000), 0o600)
        self.write("a/deep/three.txt", b"three")
        self.write("b.txt", b"bee")
        self.write("c.tmp", b"scratch")
        os.makedirs(os.path.join(self.src, "empty"))
        os.symlink("a/one.bin", os.path.join(self.src, "link"))
        os.utime(os.path.join(self.src, "a/one.bin"), ns=(1_600_000_000_123_456_789,) * 2)

    def keys(self):
        # ls of an empty prefix exits 1, as the AWS CLI's.
        p = self.ferry("ls", "--recursive", "--json", self.url + "/", check=False)
        self.assertIn(p.returncode, (0, 1), p.stderr)
        out = p.stdout
        return sorted(json.loads(line)["key"] for line in out.splitlines() if line.strip())

    def test_first_sync_resync_and_changes(self):
        self.make_tree()
        os.mkfifo(os.path.join(self.src, "fifo"))
        s, _ = self.sync(self.src, self.url)
        # a/, a/deep/, empty/ markers; 4 files + c.tmp; the link; not the FIFO.
        self.assertEqual(s["transferred"], 9, s)
        self.assertEqual(s["failed"], 0)
        self.assertNotIn("tree/fifo", self.keys())
        self.assertIn("tree/empty/", self.keys())

        s, _ = self.sync(self.src, self.url)
        self.assertEqual((s["transferred"], s["updated"]), (0, 0), s)
        # The state answers for every object: one listing, no HEAD per object.
        self.assertLessEqual(s["requests"], 4, s)

        self.write("new.txt", b"new")                                  # add
        self.write("b.txt", b"bee, longer")                            # change
        os.utime(os.path.join(self.src, "a/deep/three.txt"), ns=(1, 2_000_000_000))  # touch
        os.chmod(os.path.join(self.src, "a/two.bin"), 0o640)           # chmod
        os.remove(os.path.join(self.src, "c.tmp"))                      # delete
        report = os.path.join(self.tmp, "report.json")
        s, _ = self.sync(self.src, self.url, "--delete", "--report", report)
        self.assertEqual((s["transferred"], s["updated"], s["deleted"]), (3, 1, 1), s)
        with open(report) as f:
            rep = json.load(f)
        by_path = {e["path"]: e for e in rep["entries"]}
        self.assertEqual(by_path["a/two.bin"]["status"], "updated")
        self.assertEqual(by_path["c.tmp"]["status"], "deleted")
        self.assertEqual(by_path["b.txt"]["detail"], "size changed")
        self.assertEqual(by_path["fifo"]["status"], "skipped")
        self.assertIn("preparing_seconds", rep["summary"]["phases"])
        self.assertNotIn("tree/c.tmp", self.keys())
        meta = json.loads(self.ferry("stat", "--json", self.url + "/a/two.bin").stdout)
        self.assertEqual(meta["posix"]["mode"], "0100640")

        s, _ = self.sync(self.src, self.url, "--delete")
        self.assertEqual((s["transferred"], s["updated"], s["deleted"]), (0, 0, 0), s)

    def test_round_trip_keeps_metadata_links_and_empty_dirs(self):
        self.make_tree()
        self.sync(self.src, self.url)
        dst = os.path.join(self.tmp, "dst")
        s, _ = self.sync(self.url, dst, "--verify", "all")
        self.assertEqual(s["failed"] + s["verify_failed"], 0, s)
        for rel in ("a/one.bin", "a/two.bin", "a/deep/three.txt", "b.txt"):
            a, b = os.path.join(self.src, rel), os.path.join(dst, rel)
            with open(a, "rb") as fa, open(b, "rb") as fb:
                self.assertEqual(fa.read(), fb.read(), rel)
            self.assertEqual(os.stat(a).st_mtime_ns, os.stat(b).st_mtime_ns, rel)
            self.assertEqual(stat.S_IMODE(os.stat(a).st_mode), stat.S_IMODE(os.stat(b).st_mode))
        self.assertEqual(os.readlink(os.path.join(dst, "link")), "a/one.bin")
        self.assertTrue(os.path.isdir(os.path.join(dst, "empty")))
        s, _ = self.sync(self.url, dst)
        self.assertEqual((s["transferred"], s["updated"]), (0, 0), s)
        # s3 → local --delete removes what the bucket no longer has, nothing else.
        self.write("stray.txt", b"x", root=dst)
        s, _ = self.sync(self.url, dst, "--delete")
        self.assertEqual(s["deleted"], 1, s)
        self.assertFalse(os.path.exists(os.path.join(dst, "stray.txt")))
        self.assertTrue(os.path.exists(os.path.join(dst, "a/deep/three.txt")))

    def test_filters_and_dry_run(self):
        self.make_tree()
        s, _ = self.sync(self.src, self.url, "--dry-run")
        self.assertGreater(s["transferred"], 0)
        self.assertEqual(self.keys(), [])
        exclude_file = os.path.join(self.tmp, "exclude")
        with open(exclude_file, "w") as f:
            f.write("# scratch files\n*.tmp\n")
        self.sync(self.src, self.url, "--include", "/a|/b.txt", "--exclude", "/a/deep",
                  "--exclude-from", exclude_file)
        self.assertEqual(self.keys(), ["tree/a/", "tree/a/one.bin", "tree/a/two.bin",
                                       "tree/b.txt"])
        manifest = os.path.join(self.tmp, "manifest")
        with open(manifest, "w") as f:
            f.write("c.tmp\n/a/deep/three.txt\n")
        s, _ = self.sync(self.src, self.url, "--manifest", manifest)
        self.assertEqual(s["transferred"], 2, s)
        # Excluded entries at the destination are left alone by --delete.
        s, _ = self.sync(self.src, self.url, "--delete", "--exclude", "*.tmp")
        self.assertIn("tree/c.tmp", self.keys())

    def test_both_filter_forms_in_sync_and_cp(self):
        # The AWS CLI's idiom in sync used to copy nothing (read as DataSync's, the exclude won),
        # and DataSync's patterns in cp matched nothing, so cp copied everything.
        self.make_tree()
        self.sync(self.src, self.url, "--exclude", "*", "--include", "*.txt")
        self.assertEqual(self.keys(), ["tree/a/deep/three.txt", "tree/b.txt"])
        dst = "s3://%s/cp" % self.bucket
        self.ferry("cp", "-r", self.src, dst, "--include", "/a/deep|/b.txt")
        listed = self.ferry("ls", "-r", dst + "/").stdout
        self.assertEqual(sorted(line.split()[-1] for line in listed.splitlines()),
                         ["cp/a/deep/three.txt", "cp/b.txt"])
        # The AWS CLI's own form in cp still reads as it does there.
        self.ferry("cp", "-r", self.src, dst + "2", "--exclude", "*", "--include", "a/*",
                   "--exclude", "*.bin")
        listed = self.ferry("ls", "-r", dst + "2/").stdout
        self.assertEqual([line.split()[-1] for line in listed.splitlines()],
                         ["cp2/a/deep/three.txt"])

    def test_delete_is_withheld_after_a_failure(self):
        self.make_tree()
        self.sync(self.src, self.url)
        os.remove(os.path.join(self.src, "b.txt"))
        # A key longer than S3's 1024 bytes cannot be stored: that upload fails.
        deep = "/".join(["d" * 200] * 6)
        self.write(deep + "/too-long", b"x")
        s, p = self.sync(self.src, self.url, "--delete", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(s["deletions_withheld"], s)
        self.assertEqual(s["deleted"], 0)
        self.assertIn("tree/b.txt", self.keys())
        self.assertIn("nothing was deleted", p.stderr)

    def test_delete_refuses_a_source_that_is_empty_or_missing(self):
        # A typo in the source prefix used to empty the destination and exit 0.
        self.write("a.txt", b"a")
        self.write("d/b.txt", b"b")
        self.sync(self.src, self.url)
        restore = os.path.join(self.tmp, "restore")
        self.sync(self.url, restore)
        typo = "s3://%s/tre" % self.bucket
        s, p = self.sync(typo, restore, "--delete", check=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("empty or does not exist", p.stderr)
        self.assertIn("--allow-empty-source", p.stderr)
        # A missing local directory is an error of its own (as rclone's "directory not found").
        s, p = self.sync(os.path.join(self.tmp, "no-such-dir"), self.url, "--delete", check=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("No such file or directory", p.stderr)
        self.assertEqual(sorted(os.listdir(restore)), ["a.txt", "d"])
        self.assertEqual(self.keys(), ["tree/a.txt", "tree/d/", "tree/d/b.txt"])
        # Without --delete an empty source is no error; with --allow-empty-source it empties.
        s, p = self.sync(typo, restore)
        self.assertEqual((s["transferred"], s["deleted"]), (0, 0), s)
        s, _ = self.sync(typo, restore, "--delete", "--allow-empty-source")
        self.assertEqual(s["deleted"], 3, s)
        self.assertEqual(os.listdir(restore), [])

    def test_max_delete_refuses_the_whole_deletion_phase(self):
        for name in ("a", "b", "c", "keep"):
            self.write(name, name.encode())
        self.sync(self.src, self.url)
        for name in ("a", "b", "c"):
            os.remove(os.path.join(self.src, name))
        s, p = self.sync(self.src, self.url, "--delete", "--max-delete", "2", check=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("exceeds --max-delete 2", p.stderr)
        self.assertEqual(s["deleted"], 0, s)
        self.assertEqual(len(self.keys()), 4)
        s, _ = self.sync(self.src, self.url, "--delete", "--max-delete", "3")
        self.assertEqual(s["deleted"], 3, s)
        self.assertEqual(self.keys(), ["tree/keep"])

    def test_dry_run_prints_each_path_with_its_action(self):
        self.write("old", b"old")
        self.sync(self.src, self.url)
        os.remove(os.path.join(self.src, "old"))
        self.write("new", b"new")
        p = self.ferry("sync", self.src, self.url, "--dry-run", "--delete", "--state-dir",
                       self.state)
        self.assertIn("(dry run) copy: %s" % os.path.join(self.src, "new"), p.stdout)
        self.assertIn("(dry run) delete: %s/old" % self.url, p.stdout)
        self.assertEqual(self.keys(), ["tree/old"])  # nothing changed

    def test_checksum_mode_sees_same_size_same_mtime_changes(self):
        path = self.write("data.bin", b"A" * 4096)
        os.utime(path, ns=(1_700_000_000_000_000_000,) * 2)
        self.sync(self.src, self.url)
        with open(path, "r+b") as f:
            f.write(b"B")
        os.utime(path, ns=(1_700_000_000_000_000_000,) * 2)
        s, _ = self.sync(self.src, self.url)
        self.assertEqual(s["transferred"], 0, s)  # size and mtime cannot tell
        s, _ = self.sync(self.src, self.url, "--compare", "checksum", "--verify", "transferred")
        self.assertEqual((s["transferred"], s["verified"]), (1, 1), s)
        s, _ = self.sync(self.src, self.url, "--compare", "checksum")
        self.assertEqual(s["transferred"], 0, s)
        got = self.ferry("cat", self.url + "/data.bin").stdout
        self.assertTrue(got.startswith("BAAA"))

    def test_resume_after_kill_copies_only_what_is_missing(self):
        count = 120
        for i in range(count):
            self.write("f%03d" % i, random_bytes(16384))
        proc = subprocess.Popen([FERRY_BIN, "sync", self.src, self.url, "--state-dir", self.state,
                                 "--transfers", "1", "--bwlimit", "200K", "--quiet"],
                                env=self.env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline and len(self.keys()) < 10:
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        done = len(self.keys())
        self.assertGreater(done, 0)
        self.assertLess(done, count)
        s, _ = self.sync(self.src, self.url)
        self.assertEqual(s["transferred"], count - done, s)
        self.assertEqual(len(self.keys()), count)

    def test_resume_reuses_the_parts_of_a_large_file(self):
        data = random_bytes(48 << 20)
        self.write("big.bin", data)
        argv = [FERRY_BIN, "sync", self.src, self.url, "--state-dir", self.state,
                "--part-size", "5M", "--transfers", "2", "--bwlimit", "6M", "--quiet"]
        proc = subprocess.Popen(argv, env=self.env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(4)  # about four of the ten parts stored
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self.assertEqual(self.keys(), [])
        s, _ = self.sync(self.src, self.url, "--part-size", "5M")
        self.assertEqual(s["transferred"], 1, s)
        self.assertGreaterEqual(s["resumed_bytes"], 10 << 20, s)
        self.assertLess(s["resumed_bytes"], len(data), s)
        got = self.ferry("cat", self.url + "/big.bin", text=False).stdout
        self.assertEqual(got, data)

    def test_bad_input(self):
        s, p = self.sync(os.path.join(self.tmp, "missing"), self.url, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("missing", p.stderr)
        blocker = self.write("plain", b"x", root=self.tmp)
        self.write("f", b"x")
        self.sync(self.src, self.url)
        s, p = self.sync(self.url, os.path.join(blocker, "sub"), check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("plain", p.stderr)
        s, p = self.sync(self.src, self.url, "--include", "/a||/b", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("empty pattern", p.stderr)
        s, p = self.sync(self.src, "s3://no-such-bucket-here/x", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no-such-bucket-here", p.stderr)


class AgainstFerryServe(SyncCase, ServerFixture, unittest.TestCase):
    server_class = FerryServer

    def test_interop_with_aws_s3_sync(self):
        self.make_tree()
        os.remove(os.path.join(self.src, "link"))
        self.server.aws("s3", "sync", self.src, self.url)
        # Objects without ferry's metadata: unchanged when not older than the files (only
        # the directory markers the AWS CLI does not write are added).
        s, _ = self.sync(self.src, self.url)
        self.assertEqual((s["bytes"], s["transferred"]), (0, 3), s)
        dst = os.path.join(self.tmp, "dst")
        s, _ = self.sync(self.url, dst)
        self.assertEqual(s["failed"], 0, s)
        with open(os.path.join(dst, "a/deep/three.txt"), "rb") as f:
            self.assertEqual(f.read(), b"three")
        # And a tree ferry wrote reads back through the AWS CLI.
        out = os.path.join(self.tmp, "by-aws")
        self.server.aws("s3", "sync", self.url, out)
        with open(os.path.join(out, "b.txt"), "rb") as f:
            self.assertEqual(f.read(), b"bee")

    def test_tasks_and_agent(self):
        tasks = os.path.join(self.tmp, "tasks")
        self.make_tree()
        self.ferry("task", "create", "mirror", self.src, self.url, "--delete", "--exclude",
                   "*.tmp", "--state-dir", self.state, "--schedule", "rate(1 hour)",
                   "--task-dir", tasks)
        p = self.ferry("task", "create", "mirror", self.src, self.url, "--task-dir", tasks,
                       check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("already exists", p.stderr)
        p = self.ferry("task", "create", "x", self.src, self.url, "--schedule", "rate(1 week)",
                       "--task-dir", tasks, check=False)
        self.assertEqual(p.returncode, 2)
        # The agent runs the due task once, then waits for the next slot.
        agent = subprocess.Popen([FERRY_BIN, "agent", "--task-dir", tasks, "--poll", "0.2"],
                                 env=self.env(), stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        history = []
        while time.time() < deadline and not history:
            time.sleep(0.3)
            out = self.ferry("task", "history", "mirror", "--json", "--task-dir", tasks).stdout
            history = [json.loads(l) for l in out.splitlines() if l.strip()]
            history = [h for h in history if h["status"] != "RUNNING"]
        time.sleep(1)
        agent.send_signal(signal.SIGTERM)
        _, log = agent.communicate(timeout=30)
        self.assertEqual(agent.returncode, 0, log)
        self.assertEqual(len(history), 1, log)
        self.assertEqual(history[0]["status"], "SUCCESS", history)
        self.assertGreater(history[0]["transferred"], 0)
        self.assertIn("preparing_seconds", history[0]["phases"])
        with open(history[0]["report"]) as f:
            self.assertIn("entries", json.load(f))
        self.assertNotIn("tree/c.tmp", self.keys())
        # By hand: a task failing the same way three times in a row is disabled.
        self.ferry("task", "create", "broken", os.path.join(self.tmp, "gone"), self.url,
                   "--task-dir", tasks)
        for _ in range(3):
            p = self.ferry("task", "run", "broken", "--task-dir", tasks, check=False)
            self.assertEqual(p.returncode, 1)
        listed = {json.loads(l)["name"]: json.loads(l) for l in self.ferry(
            "task", "list", "--json", "--task-dir", tasks).stdout.splitlines()}
        self.assertFalse(listed["broken"]["enabled"])
        self.assertIn("3 executions in a row", listed["broken"]["disabled_reason"])
        self.assertTrue(listed["mirror"]["enabled"])

    def test_between_two_endpoints(self):
        """A source bucket behind another server with other keys streams through ferry."""
        other = FerryServer().start()
        try:
            creds = os.path.join(self.tmp, "credentials")
            with open(creds, "w") as f:
                f.write("[elsewhere]\naws_access_key_id = %s\naws_secret_access_key = %s\n" %
                        (other.access_key, other.secret_key))
            self.make_tree()
            big = random_bytes(12 << 20, seed=5)
            self.write("big.bin", big)
            env = client_env(other.endpoint, other.access_key, other.secret_key)
            subprocess.run([FERRY_BIN, "mb", "s3://remote"], env=env, check=True)
            subprocess.run([FERRY_BIN, "sync", self.src, "s3://remote/data", "--state-dir",
                            "none", "--quiet"], env=env, check=True)
            env = dict(self.env(), AWS_SHARED_CREDENTIALS_FILE=creds)
            argv = [FERRY_BIN, "sync", "s3://remote/data", self.url, "--json", "--state-dir",
                    self.state, "--source-endpoint-url", other.endpoint, "--source-profile",
                    "elsewhere", "--part-size", "5M"]
            p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr)
            s = json.loads(p.stdout)
            self.assertEqual(s["failed"], 0, s)
            got = self.ferry("cat", self.url + "/big.bin", text=False).stdout
            self.assertEqual(got, big)
            meta = json.loads(self.ferry("stat", "--json", self.url + "/a/two.bin").stdout)
            self.assertEqual(meta["posix"]["mode"], "0100600")  # metadata came along
            p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
            self.assertEqual(json.loads(p.stdout)["transferred"], 0, p.stdout)
        finally:
            other.cleanup()

    def test_bucket_to_bucket(self):
        self.make_tree()
        self.sync(self.src, self.url)
        other = "s3://%s/copy" % self.bucket
        s, _ = self.sync(self.url, other)
        self.assertEqual(s["failed"], 0, s)
        self.assertEqual(s["transferred"], len(self.keys()), s)
        s, _ = self.sync(self.url, other)
        self.assertEqual(s["transferred"], 0, s)


@unittest.skipUnless(CephRgw.available(), "Ceph RGW is not installed")
class AgainstCephRgw(SyncCase, ServerFixture, unittest.TestCase):
    server_class = CephRgw


if __name__ == "__main__":
    main()
