#!/usr/bin/env python3
"""Every `sh` example in the README, run exactly as printed, in the order printed, against the
server the README starts (`ferry serve --root /srv/ferry`, its export lines pasted), with the
data each example assumes (an ./imagenet-subset, an NFS tree under /mnt/nfs, a second endpoint
at https://s3.lab.internal). It runs in a mount and network namespace of its own (root): /mnt,
/srv and /var/log are empty tmpfs there, s3.lab.internal is 127.0.0.1, and nothing reaches
the machine's own paths or network. The clock reads 2026-11-30 (libfaketime), so that the
README's `--version-at 2026-12-01T09:00:00Z` finds the dataset as uploaded. `make demo` and
`make test` (the first example) are what CI itself runs."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from ferrytest import FERRY_BIN, main

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "README.md")
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"
INSIDE = "FERRY_README_INSIDE"

TRAIN_PY = r'''
"""The train.py of the README: reads every file under --data (or the training channel)."""
import argparse, os
parser = argparse.ArgumentParser()
parser.add_argument("--data", default=os.environ.get("SM_CHANNEL_TRAINING"))
parser.add_argument("--epochs", type=int, default=1)
parser.add_argument("--lr", type=float, default=0.01)
args = parser.parse_args()
seen = 0
for epoch in range(args.epochs):
    for d, _, files in os.walk(args.data):
        for f in files:
            with open(os.path.join(d, f), "rb") as fh:
                seen += len(fh.read())
print("read %d bytes in %d epochs at lr %g" % (seen, args.epochs, args.lr))
if os.environ.get("SM_MODEL_DIR"):
    with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w") as out:
        out.write("%d\n" % seen)
'''


LABELS = "".join("img%d,%d\n" % (i, i) for i in range(300))


def sh_blocks(text):
    """The README's ```sh blocks: (first line number, [commands]), a command being a line
    with its backslash continuations."""
    blocks, current, start, pending = [], None, 0, ""
    for number, line in enumerate(text.splitlines(), 1):
        if current is None:
            if line.strip() == "```sh":
                current, start = [], number + 1
            continue
        if line.strip() == "```":
            blocks.append((start, current))
            current = None
            continue
        if pending or not line.lstrip().startswith("#"):
            pending += line
            if pending.endswith("\\"):
                pending = pending[:-1] + " "
                continue
            if pending.strip():
                current.append(pending.strip())
            pending = ""
    return blocks


def fuse_usable():
    return os.path.exists("/dev/fuse") and shutil.which("fusermount3") is not None


def exports(text):
    return dict(re.findall(r"^export (\w+)=(.*)$", text, re.M))


class ReadmeExamples(unittest.TestCase):
    """Runs inside the namespaces (see main below)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ferry-readme-")
        cls.work = os.path.join(cls.tmp, "work")
        os.makedirs(cls.work)
        bin_dir = os.path.join(cls.tmp, "bin")
        os.makedirs(bin_dir)
        os.symlink(FERRY_BIN, os.path.join(bin_dir, "ferry"))
        cls.env = {
            "PATH": bin_dir + ":/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "HOME": os.path.join(cls.tmp, "home"),
            "LANG": "C.UTF-8",
            "LD_PRELOAD": FAKETIME_LIB,
            "FAKETIME": "@2026-11-30 12:00:00",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        }
        os.makedirs(cls.env["HOME"])
        cls.servers = []

    @classmethod
    def tearDownClass(cls):
        for p in cls.servers:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=30)
        subprocess.run(["fusermount3", "-u", "-z", "/mnt/imagenet"], capture_output=True)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # --- helpers -----------------------------------------------------------------------
    @classmethod
    def start_server(cls, args, env=None):
        p = subprocess.Popen(args, env=env or cls.env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        cls.servers.append(p)
        lines = []
        deadline = time.time() + 30
        while time.time() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("export AWS_REGION"):
                return p, exports("".join(lines))
        raise AssertionError("server did not start: %s" % p.stderr.read())

    def run_line(self, line):
        print("  $ " + line, file=sys.stderr, flush=True)
        p = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", line], cwd=self.work,
                           env=self.env, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, "README: %s\nstdout: %s\nstderr: %s" % (
            line, p.stdout[-2000:], p.stderr[-2000:]))
        return p

    def run_long_running(self, line, seconds=3):
        """A command that runs until stopped (ferry agent, ferry serve): still running after
        a few seconds, and ending cleanly on SIGTERM."""
        print("  $ " + line + "   (stopped after %d s)" % seconds, file=sys.stderr, flush=True)
        p = subprocess.Popen(["bash", "-c", "exec " + line], cwd=self.work, env=self.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(seconds)
        if p.poll() is not None:
            self.fail("README: %s ended: %s" % (line, p.stderr.read()))
        p.send_signal(signal.SIGTERM)
        try:
            out, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            self.fail("README: %s did not stop on SIGTERM: %s" % (line, err[-3000:]))
        self.assertEqual(p.returncode, 0, "README: %s\n%s" % (line, err))
        return out

    def ferry(self, *args):
        subprocess.run(["ferry"] + list(args), cwd=self.work, env=self.env, check=True,
                       capture_output=True)

    def write(self, path, data=b"x"):
        path = os.path.join(self.work, path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return path

    def block(self, first_command):
        with open(README) as f:
            for start, commands in sh_blocks(f.read()):
                if commands and commands[0].startswith(first_command):
                    return commands
        self.fail("the README has no example starting with %r" % first_command)

    # --- the examples, in README order -------------------------------------------------
    def test_examples_in_order(self):
        with open(README) as f:
            firsts = [c[0] for _, c in sh_blocks(f.read()) if c]
        expected = ["make demo", "ferry mb s3://datasets", "ferry sync /mnt/nfs/datasets",
                    "ferry task create", "ferry mount", "ferry cache load", "ferry index build",
                    "ferry gateway",
                    "ferry train", "ferry ls s3://datasets/checkpoints/",
                    "ferry serve"]
        self.assertEqual([next((e for e in expected if c.startswith(e)), c) for c in firsts],
                         expected, "an example was added or moved: teach this test to run it")
        # "in another terminal: ferry serve --root /srv/ferry, then paste the export lines"
        # (Restores take seconds here, not AWS's hours.)
        _, printed = self.start_server(["ferry", "serve", "--root", "/srv/ferry",
                                        "--restore-time", "expedited=1s,standard=1s,bulk=2s"])
        self.env.update(printed)
        self.client_commands()
        self.sync_examples()
        self.task_examples()
        if fuse_usable():
            self.mount_examples()
            self.cache_examples()
            self.index_examples()
            self.gateway_example()
            self.train_example()
        self.archive_example()
        for p in self.servers:
            p.terminate()
            p.wait(timeout=30)
        self.serve_example()

    def client_commands(self):
        for i in range(3):
            self.write("imagenet-subset/train/n01/img%d.bin" % i, os.urandom(3000))
        self.write("imagenet-subset/labels.csv", LABELS)
        self.write("imagenet-subset/partial.tmp")
        hooks = {
            "ferry cp s3://datasets/model.bin": lambda: (
                self.ferry("cp", self.write("model.bin", os.urandom(5000)),
                           "s3://datasets/model.bin"),
                self.ferry("mb", "s3://archive")),
            "ferry rm --recursive s3://datasets/scratch/": lambda: self.ferry(
                "cp", self.write("scratch.bin"), "s3://datasets/scratch/a.bin"),
            "ferry rb --force s3://scratch": lambda: (
                self.ferry("mb", "s3://scratch"),
                self.ferry("cp", self.write("scratch.bin"), "s3://scratch/a.bin")),
        }
        for line in self.block("ferry mb s3://datasets"):
            for prefix, hook in hooks.items():
                if line.startswith(prefix):
                    hook()
            out = self.run_line(line)
            if line.startswith("ferry ls s3://datasets/imagenet/"):
                self.assertIn("PRE train/", out.stdout)
                self.assertNotIn("partial.tmp", out.stdout, "--exclude '*.tmp'")
        self.assertTrue(os.path.exists(os.path.join(self.work, "local-copy/labels.csv")))
        self.assertTrue(os.path.exists(os.path.join(self.work, "as-trained/labels.csv")),
                        "--version-at found the dataset as it was uploaded")

    def sync_examples(self):
        for rel in ("a/one.bin", "b.txt", "scratch.tmp", "a/.snapshot/old.bin"):
            self.write("/mnt/nfs/datasets/" + rel, os.urandom(100))
        os.makedirs("/var/log/ferry", exist_ok=True)
        self.ferry("cp", self.write("raw.bin"), "s3://datasets/raw/raw.bin")
        # https://s3.lab.internal: a second endpoint with its own keys, as profile "lab".
        ca = os.path.join(self.tmp, "ca")
        os.makedirs(ca)
        openssl_env = dict(self.env, FAKETIME="@2026-11-29 12:00:00")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                        "30", "-subj", "/CN=s3.lab.internal", "-addext",
                        "subjectAltName=DNS:s3.lab.internal", "-keyout", ca + "/key.pem",
                        "-out", ca + "/cert.pem"], env=openssl_env, check=True,
                       capture_output=True)
        _, lab = self.start_server(["ferry", "serve", "--root", "/srv/lab", "--listen",
                                    "127.0.0.1:443", "--tls-cert", ca + "/cert.pem",
                                    "--tls-key", ca + "/key.pem"])
        os.makedirs(os.path.join(self.env["HOME"], ".aws"))
        with open(os.path.join(self.env["HOME"], ".aws", "credentials"), "w") as f:
            f.write("[lab]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (
                lab["AWS_ACCESS_KEY_ID"], lab["AWS_SECRET_ACCESS_KEY"]))
        self.env["AWS_CA_BUNDLE"] = ca + "/cert.pem"
        lab_env = dict(self.env, AWS_ENDPOINT_URL="https://s3.lab.internal",
                       AWS_ACCESS_KEY_ID=lab["AWS_ACCESS_KEY_ID"],
                       AWS_SECRET_ACCESS_KEY=lab["AWS_SECRET_ACCESS_KEY"])
        for args in (["mb", "s3://lab"], ["cp", self.write("lab.bin", b"from the lab"),
                                          "s3://lab/raw/lab.bin"]):
            subprocess.run(["ferry"] + args, env=lab_env, check=True, capture_output=True)
        for line in self.block("ferry sync /mnt/nfs/datasets"):
            self.run_line(line)
        with open("/var/log/ferry/sync.json") as f:
            report = json.load(f)
        copied = sorted(e["path"] for e in report["entries"] if e["status"] == "transferred")
        self.assertIn("a/one.bin", copied)
        self.assertNotIn("scratch.tmp", copied)
        self.assertFalse(any(".snapshot" in p for p in copied), copied)
        self.assertTrue(os.path.exists(os.path.join(self.work, "restore/a/one.bin")))

    def task_examples(self):
        for line in self.block("ferry task create"):
            if line.startswith("ferry agent"):
                self.run_long_running(line)
            else:
                self.run_line(line)

    def mount_examples(self):
        os.makedirs("/mnt/imagenet")
        self.write("train.py", TRAIN_PY)
        for line in self.block("ferry mount"):
            out = self.run_line(line)
            if "train.py" in line:
                self.assertIn("read %d bytes" % (3 * 3000 + len(LABELS)), out.stdout)
        self.assertFalse(os.path.ismount("/mnt/imagenet"))

    def cache_examples(self):
        self.ferry("mount", "s3://datasets/imagenet", "/mnt/imagenet")
        self.write("epoch1.txt", "train/n01/img2.bin\ntrain/n01/img0.bin\n")
        try:
            for line in self.block("ferry cache load"):
                self.run_line(line)
        finally:
            subprocess.run(["fusermount3", "-u", "/mnt/imagenet"], check=True)

    def index_examples(self):
        for i in range(2):
            self.write("new-images/img%d.bin" % i, os.urandom(100))
        for line in self.block("ferry index build"):
            out = self.run_line(line)
            if line.startswith("ls /mnt/imagenet"):
                self.assertIn("img2.bin", out.stdout)
            if "python3 train.py" in line:
                self.assertIn("read %d bytes" % (3 * 3000 + len(LABELS)), out.stdout)
            if line.startswith("ferry index show"):
                self.assertIn("verified:  true", out.stdout)
        self.assertTrue(os.path.exists(os.path.join(self.work, "imagenet/labels.csv")))

    def gateway_example(self):
        os.makedirs("/srv/share")
        for i in range(3):
            self.write("run42/img%d.tif" % i, os.urandom(20000 + i))
        self.write("notes.txt", b"calibrated\n")
        self.ferry("mb", "s3://labs")
        for line in self.block("ferry gateway"):
            self.run_line(line)
        deadline = time.time() + 120
        while subprocess.run(["pgrep", "-f", "^ferry gateway s3://labs"],
                             capture_output=True).returncode == 0:
            self.assertLess(time.time(), deadline, "the gateway did not stop")
            time.sleep(0.1)
        self.assertFalse(os.path.ismount("/srv/share"))
        out = subprocess.run(["ferry", "ls", "--recursive", "s3://labs/instruments/"],
                             cwd=self.work, env=self.env, check=True, capture_output=True,
                             text=True).stdout
        for name in ("run42/img0.tif", "run42/img2.tif", "run42/notes.txt"):
            self.assertIn("instruments/" + name, out)
        with open("/var/log/ferry-gw.jsonl") as f:
            self.assertIn("object-upload-complete", f.read())

    def train_example(self):
        self.write("/mnt/nfs/imagenet/val/v.bin", b"val")
        self.ferry("mb", "s3://models")
        for line in self.block("ferry train"):
            out = self.run_line(line)
            self.assertIn("read %d bytes in 10 epochs at lr 0.1" % (10 * 3 * 3000), out.stdout)

    def archive_example(self):
        # Checkpoints written as GLACIER, by boto3 under the README's clock (the test's own
        # process runs on the real one, which the server would find skewed).
        put = (
            "import boto3, os\n"
            "s3 = boto3.client('s3', endpoint_url=os.environ['AWS_ENDPOINT_URL'],\n"
            "                  region_name='us-east-1')\n"
            "for run in ('run-6', 'run-7'):\n"
            "    for epoch in range(4):\n"
            "        s3.put_object(Bucket='datasets', Key='checkpoints/%s/epoch-%d.pt' %\n"
            "                      (run, epoch), Body=os.urandom(1000), StorageClass='GLACIER')\n")
        subprocess.run(["/usr/bin/python3", "-c", put], env=self.env, check=True,
                       capture_output=True)
        for line in self.block("ferry ls s3://datasets/checkpoints/"):
            out = self.run_line(line)
            if line.startswith("ferry ls"):
                self.assertIn("epoch-3.pt  [GLACIER]", out.stdout)
        for run in ("run-6", "run-7"):
            self.assertEqual(len(os.listdir(os.path.join(self.work, run))), 4)

    def serve_example(self):
        out = self.run_long_running(self.block("ferry serve")[0])
        self.assertIn("export AWS_ENDPOINT_URL=http://127.0.0.1:9000", out)


def enter_namespaces():
    """Re-runs this file as root in new mount and network namespaces; False when this
    machine cannot (not root, no unshare)."""
    if os.geteuid() != 0 or not shutil.which("unshare") or not os.path.exists(FAKETIME_LIB):
        return False
    script = r'''
set -e
mount --make-rprivate /
ip link set lo up
for d in /mnt /srv /var/log; do mount -t tmpfs tmpfs "$d"; done
hosts=$(mktemp)
printf '127.0.0.1 localhost s3.lab.internal\n' > "$hosts"
mount --bind "$hosts" /etc/hosts
exec "$@"
'''
    p = subprocess.run(["unshare", "--mount", "--net", "--fork", "bash", "-c", script, "inside",
                        sys.executable, os.path.abspath(__file__)] + sys.argv[1:],
                       env=dict(os.environ, **{INSIDE: "1"}))
    sys.exit(p.returncode)


if __name__ == "__main__":
    if os.environ.get(INSIDE) != "1" and enter_namespaces() is False:
        print("readme_test: skipped (needs root, unshare and libfaketime)")
        sys.exit(0)
    main()
