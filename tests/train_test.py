#!/usr/bin/env python3
"""`ferry train` against `ferry serve` and Ceph RGW: a real PyTorch script (Debian's python3-torch, CPU)
trains in File, Fast File and Pipe mode and leaves model.tar.gz in the bucket; the SM_*
contract; sharding over 3 hosts covers every object once; Pipe mode with gzip + RecordIO is
byte-exact; a failing script leaves its reason in the bucket and ferry's exit code is the
script's; bad arguments fail before anything starts; SIGTERM leaves nothing behind."""
import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from ferrytest import FERRY_BIN, FerryServer, ServerFixture, client_env, main, random_bytes
from peers import CephRgw

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN_SCRIPT = os.path.join(HERE, "train", "train_model.py")
CONTRACT_SCRIPT = os.path.join(HERE, "train", "check_contract.py")
ISATTY_SCRIPT = os.path.join(HERE, "train", "check_isatty.py")
PYTHON = "/usr/bin/python3"  # Debian's, with python3-torch


def have_torch():
    return subprocess.run([PYTHON, "-c", "import torch"], capture_output=True).returncode == 0


def fuse_usable():
    return os.path.exists("/dev/fuse") and shutil.which("fusermount3") is not None


def sample(i):
    xs = [((i * 7 + k * 3) % 11) / 10.0 for k in range(8)]
    y = sum((k + 1) * 0.1 * x for k, x in enumerate(xs)) + 0.5
    return struct.pack("<9f", *xs, y)


def recordio_records(data):
    out, pos, pending = [], 0, None
    while pos < len(data):
        magic, word = struct.unpack_from("<II", data, pos)
        assert magic == 0xced7230a
        flag, length = word >> 29, word & ((1 << 29) - 1)
        part = data[pos + 8:pos + 8 + length]
        pos += 8 + (length + 3) // 4 * 4
        if flag == 0:
            out.append(part)
        elif flag == 1:
            pending = part
        else:
            pending += struct.pack("<I", magic) + part
            if flag == 3:
                out.append(pending)
    return out


class TrainCase:
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ferry-train-")
        self.bucket = "train-" + self._testMethodName.replace("_", "-")[5:40].strip("-")
        self.ferry("mb", "s3://" + self.bucket)

    def tearDown(self):
        self.ferry("rb", "--force", "s3://" + self.bucket, check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def env(self):
        return client_env(self.endpoint, self.access_key, self.secret_key)

    def ferry(self, *args, check=True, timeout=600):
        p = subprocess.run([FERRY_BIN] + list(args), env=self.env(), capture_output=True,
                           text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("ferry %s: %s" % (" ".join(args[:3]), p.stderr))
        return p

    def put_tree(self, prefix, files):
        root = os.path.join(self.tmp, "src-" + prefix.strip("/").replace("/", "-"))
        for name, body in files.items():
            path = os.path.join(root, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(body)
        self.ferry("cp", "-r", root, "s3://%s/%s" % (self.bucket, prefix), "--quiet")
        return root

    def get(self, key):
        return subprocess.run([FERRY_BIN, "cat", "s3://%s/%s" % (self.bucket, key)],
                              env=self.env(), capture_output=True, check=True).stdout

    def train(self, job, *args, command, check=True):
        ml = os.path.join(self.tmp, "ml-" + job)
        p = self.ferry("train", "--job-name", job, "--ml-root", ml, "--cache-dir",
                       os.path.join(self.tmp, "cache"),
                       "--output", "s3://%s/out" % self.bucket, *args, "--", *command,
                       check=check)
        return p, ml

    @unittest.skipUnless(have_torch(), "python3-torch is not installed")
    def test_pytorch_trains_in_every_mode(self):
        self.put_tree("data/", {"s%03d.bin" % i: sample(i) for i in range(96)})
        self.put_tree("framed/", {"s%03d.bin" % i: sample(i) for i in range(96)})
        modes = ["file", "pipe"] + (["fastfile"] if fuse_usable() else [])
        for mode in modes:
            extra = ["--channel", "training=s3://%s/data" % self.bucket]
            if mode == "pipe":
                extra = ["--channel", "training=s3://%s/framed" % self.bucket,
                         "--record-wrapper", "recordio", "--pipe-epochs", "2"]
            p, ml = self.train("torch-" + mode, "--input-mode", mode, "--hp", "epochs=2", *extra,
                               command=[PYTHON, TRAIN_SCRIPT])
            self.assertIn("Completed", p.stderr, p.stderr)
            archive = self.get("out/torch-%s/output/model.tar.gz" % mode)
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                self.assertIn("model.pt", tar.getnames())
            with tarfile.open(fileobj=io.BytesIO(
                    self.get("out/torch-%s/output/output.tar.gz" % mode))) as tar:
                metrics = json.load(tar.extractfile("metrics.json"))
            self.assertEqual(metrics["samples_seen"], 2 * 96, mode)
            record = json.loads(self.get("out/torch-%s/job.json" % mode))
            self.assertEqual(record["status"], "Completed")
            self.assertEqual([ph["phase"] for ph in record["phases"]],
                             ["Starting", "Downloading", "Training", "Uploading", "Completed"])
            if mode == "fastfile":
                out = subprocess.run(["mount"], capture_output=True, text=True).stdout
                self.assertNotIn(ml, out, "unmounted when the job ended")
                self.assertIn("control_socket", json.dumps(record["channels"]))

    def test_contract_seen_by_the_script(self):
        self.put_tree("data/", {"a.txt": b"a"})
        local = os.path.join(self.tmp, "local-test")
        os.makedirs(local)
        with open(os.path.join(local, "t.txt"), "w") as f:
            f.write("t")
        hps = os.path.join(self.tmp, "hps.json")
        with open(hps, "w") as f:
            json.dump({"batch-size": 32, "optimizer": "adam"}, f)
        p, _ = self.train("contract-job", "--channel", "training=s3://%s/data" % self.bucket,
                          "--channel", "test=" + local, "--hyperparameters", hps,
                          "--hp", "lr=0.1", "--hosts", "algo-1,algo-2", "--current-host",
                          "algo-2", command=[PYTHON, CONTRACT_SCRIPT], check=False)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_sharding_covers_every_object_once(self):
        names = ["k%02d" % i for i in range(20)]
        self.put_tree("data/", {n: n.encode() for n in names})
        seen = []
        for host in ("algo-1", "algo-2", "algo-3"):
            _, ml = self.train("shard-" + host, "--channel", "training=s3://%s/data" % self.bucket,
                               "--distribution", "sharded-by-key", "--hosts",
                               "algo-1,algo-2,algo-3", "--current-host", host,
                               command=["true"])
            mine = sorted(os.listdir(os.path.join(ml, "input", "data", "training")))
            self.assertIn(len(mine), (6, 7))
            seen += mine
        self.assertEqual(sorted(seen), names)
        if fuse_usable():
            # In Fast File mode each host's mount shows its shard only.
            seen = []
            for host in ("algo-1", "algo-2", "algo-3"):
                listing = os.path.join(self.tmp, "ls-" + host)
                self.train("shardff-" + host, "--input-mode", "fastfile", "--channel",
                           "training=s3://%s/data" % self.bucket, "--distribution",
                           "sharded-by-key", "--hosts", "algo-1,algo-2,algo-3",
                           "--current-host", host,
                           command=["sh", "-c", 'ls "$SM_CHANNEL_TRAINING" > ' + listing])
                with open(listing) as f:
                    seen += f.read().split()
            self.assertEqual(sorted(seen), names)
        # The launcher's rank and world size work the same way.
        env = dict(self.env(), RANK="1", WORLD_SIZE="3")
        ml = os.path.join(self.tmp, "ml-torchrun")
        subprocess.run([FERRY_BIN, "train", "--job-name", "shard-torchrun", "--ml-root", ml,
                        "--channel", "training=s3://%s/data" % self.bucket, "--distribution",
                        "sharded-by-key", "--", "true"], env=env, check=True,
                       capture_output=True)
        self.assertEqual(sorted(os.listdir(os.path.join(ml, "input", "data", "training"))),
                         names[1::3])

    def test_pipe_gzip_recordio_is_byte_exact(self):
        bodies = {"r%02d.gz" % i: random_bytes(1000 * i + 3, seed=i) for i in range(12)}
        # One record holds the RecordIO magic at an aligned offset: it must be split and
        # rebuilt exactly.
        bodies["r99.gz"] = b"abcd" + struct.pack("<I", 0xced7230a) + b"efgh"
        self.put_tree("gz/", {k: gzip.compress(v) for k, v in bodies.items()})
        out = os.path.join(self.tmp, "stream.bin")
        _, ml = self.train("pipe-gz", "--input-mode", "pipe", "--channel",
                           "training=s3://%s/gz" % self.bucket, "--compression", "gzip",
                           "--record-wrapper", "recordio", "--pipe-epochs", "1",
                           command=["sh", "-c", 'cat "$SM_CHANNEL_TRAINING"_0 > ' + out])
        with open(out, "rb") as f:
            records = recordio_records(f.read())
        self.assertEqual(records, [bodies[k] for k in sorted(bodies)])
        # A shuffle seed reorders each epoch, the same way every time.
        orders = []
        for run in range(2):
            _, ml = self.train("pipe-seed-%d" % run, "--input-mode", "pipe", "--channel",
                               "training=s3://%s/gz" % self.bucket, "--compression", "gzip",
                               "--shuffle-seed", "5", "--pipe-epochs", "2",
                               command=["sh", "-c", 'cat "$SM_CHANNEL_TRAINING"_0 > %s/e0; '
                                        'cat "$SM_CHANNEL_TRAINING"_1 > %s/e1' % (self.tmp, self.tmp)])
            with open(os.path.join(self.tmp, "e0"), "rb") as f0, \
                    open(os.path.join(self.tmp, "e1"), "rb") as f1:
                orders.append((f0.read(), f1.read()))
        self.assertEqual(orders[0], orders[1])
        self.assertNotEqual(orders[0][0], orders[0][1])
        self.assertEqual(sorted(orders[0][0]), sorted(b"".join(bodies.values())))

        # An augmented manifest: each line's attributes, in the order named, one record each.
        images = {"img/%d.bin" % i: random_bytes(500 + i, seed=100 + i) for i in range(4)}
        self.put_tree("aug/", images)
        lines = [json.dumps({"source-ref": "s3://%s/aug/img/%d.bin" % (self.bucket, i),
                             "class": i % 2, "note": "n%d" % i}) for i in range(4)]
        manifest = os.path.join(self.tmp, "train.manifest")
        with open(manifest, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.ferry("cp", manifest, "s3://%s/train.manifest" % self.bucket)
        out = os.path.join(self.tmp, "aug.bin")
        self.train("pipe-aug", "--input-mode", "pipe", "--channel",
                   "training=s3://%s/aug" % self.bucket, "--manifest",
                   "training=s3://%s/train.manifest" % self.bucket, "--attribute-names",
                   "training=source-ref,class", "--record-wrapper", "recordio",
                   "--pipe-epochs", "1",
                   command=["sh", "-c", 'cat "$SM_CHANNEL_TRAINING"_0 > ' + out])
        with open(out, "rb") as f:
            records = recordio_records(f.read())
        expected = []
        for i in range(4):
            expected += [images["img/%d.bin" % i], str(i % 2).encode()]
        self.assertEqual(records, expected)

    def test_command_after_dashes_is_the_commands_and_hp_repeats(self):
        # --hp used to take one value only, and ferry parsed the command's own flags (-u, --help).
        # Hyperparameters follow the command's own arguments as --key value, as SageMaker's
        # toolkit passes them (train_model.py's argparse takes them in every mode above).
        self.put_tree("data/", {"a.txt": b"a"})
        script = os.path.join(self.tmp, "args.py")
        with open(script, "w") as f:
            f.write("import json, os, sys\n"
                    "out = sys.argv[sys.argv.index('--out') + 1]\n"
                    "json.dump({'argv': sys.argv[1:], 'hps': json.loads(os.environ['SM_HPS']),"
                    " 'user_args': json.loads(os.environ['SM_USER_ARGS'])}, open(out, 'w'))\n")
        out = os.path.join(self.tmp, "seen.json")
        p, _ = self.train("dashes", "--channel", "training=s3://%s/data" % self.bucket,
                          "--hp", "epochs=10", "--hp", "lr=0.1", "--hp", "name=\"resnet\"",
                          command=[PYTHON, "-u", script, "--out", out, "--help", "-x"],
                          check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out) as f:
            seen = json.load(f)
        hp_args = ["--epochs", "10", "--lr", "0.1", "--name", "resnet"]
        self.assertEqual(seen["argv"], ["--out", out, "--help", "-x"] + hp_args)
        self.assertEqual(seen["user_args"], hp_args)
        self.assertEqual(str(seen["hps"].get("epochs")), "10")
        self.assertEqual(str(seen["hps"].get("lr")), "0.1")
        p, _ = self.train("no-hp-args", "--channel", "training=s3://%s/data" % self.bucket,
                          "--hp", "epochs=10", "--no-hp-args",
                          command=[PYTHON, script, "--out", out], check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out) as f:
            self.assertEqual(json.load(f)["argv"], ["--out", out])

    def test_a_job_name_is_not_reused_silently(self):
        # The second job on dog/ used to see cat/ too, and ship the first job's model file.
        self.put_tree("cat/", {"cat-%d.jpg" % i: b"cat" for i in range(3)})
        self.put_tree("dog/", {"dog-%d.jpg" % i: b"dog" for i in range(2)})
        script = ('ls "$SM_CHANNEL_TRAINING" > "$SM_MODEL_DIR/seen.txt"; '
                  'touch "$SM_MODEL_DIR/$(ls "$SM_CHANNEL_TRAINING" | head -c 3).pt"')
        self.train("pets", "--channel", "training=s3://%s/cat" % self.bucket,
                   command=["sh", "-c", script])
        again, ml = self.train("pets", "--channel", "training=s3://%s/dog" % self.bucket,
                               command=["sh", "-c", script], check=False)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("--overwrite", again.stderr)
        self.assertTrue(os.path.exists(os.path.join(ml, "model", "cat.pt")), "left as it was")
        # Another machine (another --ml-root) finds the job's outputs in the bucket.
        elsewhere = self.ferry("train", "--job-name", "pets", "--ml-root",
                               os.path.join(self.tmp, "other-machine"), "--channel",
                               "training=s3://%s/dog" % self.bucket, "--output",
                               "s3://%s/out" % self.bucket, "--", "true", check=False)
        self.assertNotEqual(elsewhere.returncode, 0)
        self.assertIn("already has outputs", elsewhere.stderr)
        self.train("pets", "--channel", "training=s3://%s/dog" % self.bucket, "--overwrite",
                   command=["sh", "-c", script])
        with tarfile.open(fileobj=io.BytesIO(self.get("out/pets/output/model.tar.gz"))) as tar:
            self.assertEqual(sorted(n for n in tar.getnames() if n not in (".", "")),
                             ["dog.pt", "seen.txt"])
            self.assertEqual(tar.extractfile("seen.txt").read().split(),
                             [b"dog-0.jpg", b"dog-1.jpg"])

    def test_ranks_on_one_machine_each_get_their_own_tree_and_keys(self):
        names = ["k%02d" % i for i in range(10)]
        self.put_tree("data/", {n: n.encode() for n in names})
        mode = "fastfile" if fuse_usable() else "file"
        env = dict(self.env(), HOME=os.path.join(self.tmp, "home"), WORLD_SIZE="2")
        env.pop("XDG_CACHE_HOME", None)
        script = 'ls "$SM_CHANNEL_TRAINING" > "$SM_MODEL_DIR/seen.txt"; sleep 1'
        ranks = []
        for rank in (0, 1):
            ranks.append(subprocess.Popen(
                [FERRY_BIN, "train", "--job-name", "j", "--input-mode", mode,
                 "--distribution", "sharded-by-key", "--channel",
                 "training=s3://%s/data" % self.bucket, "--output", "s3://%s/out" % self.bucket,
                 "--", "sh", "-c", script], env=dict(env, RANK=str(rank)),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        for p in ranks:
            _, err = p.communicate(timeout=300)
            self.assertEqual(p.returncode, 0, err)
        seen = []
        for key in ("out/j/output/model.tar.gz", "out/j/hosts/algo-2/output/model.tar.gz"):
            with tarfile.open(fileobj=io.BytesIO(self.get(key))) as tar:
                seen.append(tar.extractfile("seen.txt").read().decode().split())
        self.assertEqual(seen, [names[0::2], names[1::2]], "each rank its own shard")
        self.assertEqual(json.loads(self.get("out/j/hosts/algo-2/job.json"))["current_host"],
                         "algo-2")
        self.assertEqual(json.loads(self.get("out/j/job.json"))["current_host"], "algo-1")
        # Two ranks given one tree: the second is refused while the first runs.
        ml = os.path.join(self.tmp, "shared-ml")
        first = subprocess.Popen(
            [FERRY_BIN, "train", "--job-name", "k", "--ml-root", ml, "--channel",
             "training=s3://%s/data" % self.bucket, "--", "sleep", "3"], env=env,
            stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        while not os.path.exists(os.path.join(ml, "input")) and time.time() < deadline:
            time.sleep(0.05)
        second = self.ferry("train", "--job-name", "k", "--ml-root", ml, "--channel",
                            "training=s3://%s/data" % self.bucket, "--", "true", check=False)
        self.assertNotEqual(second.returncode, 0)
        self.assertIn("in use by a running job", second.stderr)
        self.assertEqual(first.wait(timeout=60), 0, first.stderr.read())
        first.stderr.close()

    @unittest.skipUnless(fuse_usable(), "FUSE is not available")
    def test_fastfile_jobs_and_a_users_mount_share_the_prefix_cache(self):
        # A job while a user had the prefix mounted, or two jobs at once, failed with "cache
        # directory in use". They share the prefix's cache, within one size limit.
        files = {"f%02d.bin" % i: os.urandom(200_000) for i in range(12)}
        self.put_tree("data/", files)
        want = hashlib.sha256(b"".join(files[n] for n in sorted(files))).hexdigest()
        env = dict(self.env(), HOME=os.path.join(self.tmp, "home"))
        env.pop("XDG_CACHE_HOME", None)
        cache = os.path.join(self.tmp, "home", ".cache", "ferry", "cache", self.bucket + "-data")
        mnt = os.path.join(self.tmp, "user-mnt")
        os.makedirs(mnt)
        subprocess.run([FERRY_BIN, "mount", "s3://%s/data" % self.bucket, mnt, "--cache-size",
                        "1M"], env=env, check=True, capture_output=True, timeout=60)
        try:
            with open(os.path.join(mnt, "f00.bin"), "rb") as f:
                self.assertEqual(f.read(), files["f00.bin"])
            script = 'cat "$SM_CHANNEL_TRAINING"/* | sha256sum > "$SM_MODEL_DIR/sum"'
            jobs = [subprocess.Popen(
                [FERRY_BIN, "train", "--job-name", "shared%d" % n, "--ml-root",
                 os.path.join(self.tmp, "ml-shared%d" % n), "--input-mode", "fastfile",
                 "--cache-size", "1M", "--channel", "training=s3://%s/data" % self.bucket,
                 "--output", "s3://%s/out" % self.bucket, "--", "sh", "-c", script],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for n in range(2)]
            for n, p in enumerate(jobs):
                _, err = p.communicate(timeout=300)
                self.assertEqual(p.returncode, 0, err)
                with tarfile.open(fileobj=io.BytesIO(
                        self.get("out/shared%d/output/model.tar.gz" % n))) as tar:
                    self.assertEqual(tar.extractfile("sum").read().split()[0].decode(), want)
            used = sum(os.stat(os.path.join(r, f)).st_blocks * 512
                       for r, _, fs in os.walk(cache) for f in fs)
            self.assertLessEqual(used, 1 << 20)
            with open(os.path.join(mnt, "f11.bin"), "rb") as f:
                self.assertEqual(f.read(), files["f11.bin"])
        finally:
            subprocess.run(["fusermount3", "-u", mnt], capture_output=True)

    @unittest.skipUnless(fuse_usable(), "FUSE is not available")
    def test_a_failed_mount_fails_the_job(self):
        self.put_tree("data/", {"a": b"a"})
        marker = os.path.join(self.tmp, "ran")
        p, _ = self.train("bad-mount", "--input-mode", "fastfile", "--channel",
                          "training=s3://%s/data" % self.bucket, "--cache-size", "nonsense",
                          command=["touch", marker], check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertFalse(os.path.exists(marker), "the command never ran")
        self.assertIn("Failed", p.stderr)

    def test_json_output_and_failure_reason(self):
        self.put_tree("data/", {"a": b"a"})
        p, _ = self.train("json-out", "--channel", "training=s3://%s/data" % self.bucket,
                          "--json",
                          command=["sh", "-c", "echo printed by the script; echo step 1 >&2; "
                                   "echo 'ValueError: lr must be positive' >&2; exit 3"],
                          check=False)
        self.assertEqual(p.returncode, 3)
        record = json.loads(p.stdout)  # the script's stdout is not mixed in
        self.assertIn("printed by the script", p.stderr)
        self.assertIn("ValueError: lr must be positive", p.stderr, "stderr still shown")
        self.assertIn("exit status 3", record["failure_reason"])
        self.assertTrue(record["failure_reason"].endswith("ValueError: lr must be positive"),
                        record["failure_reason"])
        self.assertIn(b"ValueError: lr must be positive", self.get("out/json-out/output/failure"))

    def test_failing_script_reports_its_reason(self):
        self.put_tree("data/", {"a": b"a"})
        p, _ = self.train("fails", "--channel", "training=s3://%s/data" % self.bucket,
                          command=["sh", "-c", 'echo "bad learning rate" > '
                                   '"$SM_OUTPUT_DATA_DIR/../failure"; exit 7'], check=False)
        self.assertEqual(p.returncode, 7, p.stderr)
        self.assertEqual(self.get("out/fails/output/failure"), b"bad learning rate\n")
        record = json.loads(self.get("out/fails/job.json"))
        self.assertEqual(record["status"], "Failed")
        p, _ = self.train("killed", "--channel", "training=s3://%s/data" % self.bucket,
                          command=["sh", "-c", "kill -9 $$"], check=False)
        self.assertEqual(p.returncode, 128 + 9)
        self.assertIn(b"signal 9", self.get("out/killed/output/failure"))

    def test_checkpoints_go_up_while_training_and_come_back(self):
        self.put_tree("data/", {"a": b"a"})
        ckpt = ["--checkpoint", "s3://%s/ckpt" % self.bucket, "--checkpoint-interval", "1"]
        listing = os.path.join(self.tmp, "listing.txt")
        # The job writes a checkpoint, then looks for it in the bucket while still running,
        # then is killed: what it saved must already be up.
        script = ('echo step-1 > "$SM_CHECKPOINT_DIR/step.txt"; '
                  'for i in $(seq 50); do %s ls s3://%s/ckpt/ > %s 2>/dev/null; '
                  'grep -q step.txt %s && break; sleep 0.2; done; kill -9 $$'
                  % (FERRY_BIN, self.bucket, listing, listing))
        p, _ = self.train("ckpt-1", "--channel", "training=s3://%s/data" % self.bucket, *ckpt,
                          command=["sh", "-c", script], check=False)
        self.assertEqual(p.returncode, 137, p.stderr)
        with open(listing) as f:
            self.assertIn("step.txt", f.read(), "uploaded while the job ran")
        # A restarted job finds the checkpoint where it left it.
        out = os.path.join(self.tmp, "restored.txt")
        self.train("ckpt-2", "--channel", "training=s3://%s/data" % self.bucket, *ckpt,
                   command=["sh", "-c", 'cp "$SM_CHECKPOINT_DIR/step.txt" ' + out])
        with open(out) as f:
            self.assertEqual(f.read(), "step-1\n")

    def test_bad_arguments_fail_before_anything_starts(self):
        self.put_tree("data/", {"a": b"a"})
        ok = ["--channel", "training=s3://%s/data" % self.bucket]
        cases = [
            (ok + ["--channel-mode", "nope=pipe"], ["true"], "unknown channel \"nope\""),
            (["--channel", "training=s3://%s/missing" % self.bucket], ["true"], "no objects"),
            (ok, [], "no command"),
            (ok + ["--input-mode", "stream"], ["true"], "not one of file, fastfile, pipe"),
            (["--channel", "training=/no/such/dir"], ["true"], "not a directory"),
        ]
        for i, (args, command, message) in enumerate(cases):
            p, ml = self.train("bad-%d" % i, *args, command=command, check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(message, p.stderr)
            self.assertFalse(os.path.exists(ml), "nothing started")

    @unittest.skipUnless(fuse_usable(), "FUSE is not available")
    def test_fastfile_command_gets_isatty_answered_without_the_mount(self):
        self.put_tree("data/", {"a.txt": b"hello"})
        for shortcut in (True, False):
            result = os.path.join(self.tmp, "isatty-%s.json" % shortcut)
            self.train("isatty-%s" % shortcut, "--input-mode", "fastfile", "--channel",
                       "training=s3://%s/data" % self.bucket,
                       *([] if shortcut else ["--no-isatty-shortcut"]),
                       command=[PYTHON, ISATTY_SCRIPT, result])
            with open(result) as f:
                seen = json.load(f)
            self.assertEqual(seen["data"], "hello")
            self.assertEqual((seen["file"], seen["terminal"], seen["devnull"], seen["pipe"]),
                             (False, True, False, False), seen)
            if shortcut:
                self.assertIn("libferry_isatty.so", seen["preload"])
                self.assertTrue(seen["isatty_from"].endswith("/libferry_isatty.so"), seen)
            else:
                self.assertNotIn("libferry_isatty.so", seen["preload"])
                self.assertFalse(seen["isatty_from"].endswith("/libferry_isatty.so"), seen)

    @unittest.skipUnless(fuse_usable(), "FUSE is not available")
    def test_sigterm_stops_the_command_and_unmounts(self):
        self.put_tree("data/", {"a": b"a"})
        ml = os.path.join(self.tmp, "ml-stop")
        marker = os.path.join(self.tmp, "started")
        p = subprocess.Popen([FERRY_BIN, "train", "--job-name", "stop", "--ml-root", ml,
                              "--cache-dir", os.path.join(self.tmp, "cache"),
                              "--input-mode", "fastfile", "--channel",
                              "training=s3://%s/data" % self.bucket, "--output",
                              "s3://%s/out" % self.bucket, "--", "sh", "-c",
                              "echo $$ > %s.tmp; mv %s.tmp %s; exec sleep 300" % (
                                  marker, marker, marker)],
                             env=self.env(), stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while not os.path.exists(marker) and time.time() < deadline:
            time.sleep(0.05)
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(timeout=60), 128 + signal.SIGTERM)
        self.assertIn("Stopped", p.stderr.read())
        p.stderr.close()
        out = subprocess.run(["mount"], capture_output=True, text=True).stdout
        self.assertNotIn(ml, out)
        # The command (its shell exec'd sleep, same pid) is gone, not only ferry.
        with open(marker) as f:
            command_pid = int(f.read())
        try:
            with open("/proc/%d/cmdline" % command_pid, "rb") as f:
                still = f.read().startswith(b"sleep")
        except FileNotFoundError:
            still = False
        self.assertFalse(still, "the command (pid %d) still runs" % command_pid)

    def test_a_local_job_needs_no_credentials(self):
        data = os.path.join(self.tmp, "local-data")
        os.makedirs(data)
        with open(os.path.join(data, "a.txt"), "w") as f:
            f.write("local")
        env = {k: v for k, v in self.env().items() if not k.startswith("AWS_")}
        p = subprocess.run([FERRY_BIN, "train", "--ml-root", os.path.join(self.tmp, "ml-local"),
                            "--channel", "training=" + data, "--", "sh", "-c",
                            'cat "$SM_CHANNEL_TRAINING/a.txt"'], env=env, capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "local")
        # With the bucket involved, the missing credentials are said at once.
        p = subprocess.run([FERRY_BIN, "train", "--ml-root", os.path.join(self.tmp, "ml-nokeys"),
                            "--channel", "training=s3://%s/data" % self.bucket, "--", "true"],
                           env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 2)
        self.assertIn("Unable to locate credentials", p.stderr)

    def start_sleeping_job(self, job, ml, *extra):
        marker = os.path.join(self.tmp, job + ".pid")
        p = subprocess.Popen([FERRY_BIN, "train", "--job-name", job, "--ml-root", ml,
                              "--cache-dir", os.path.join(self.tmp, "cache-" + job),
                              "--channel", "training=s3://%s/data" % self.bucket, *extra,
                              "--", "sh", "-c", "echo $$ > %s.tmp; mv %s.tmp %s; exec sleep 300"
                              % (marker, marker, marker)],
                             env=self.env(), stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while not os.path.exists(marker) and time.time() < deadline:
            time.sleep(0.05)
        with open(marker) as f:
            return p, int(f.read())

    def test_sigint_ends_the_job_with_130(self):
        self.put_tree("data/", {"a": b"a"})
        p, _ = self.start_sleeping_job("int", os.path.join(self.tmp, "ml-int"))
        p.send_signal(signal.SIGINT)
        self.assertEqual(p.wait(timeout=60), 130)
        self.assertIn("Stopped", p.stderr.read())
        p.stderr.close()

    def test_kill_9_takes_the_command_and_mount_along(self):
        self.put_tree("data/", {"a": b"a"})
        ml = os.path.join(self.tmp, "ml-k9")
        fuse = fuse_usable()
        extra = ["--input-mode", "fastfile"] if fuse else []
        p, command_pid = self.start_sleeping_job("k9", ml, *extra)
        p.kill()
        p.wait()
        p.stderr.close()
        deadline = time.time() + 20
        while (alive(command_pid) or ml in mounts()) and time.time() < deadline:
            time.sleep(0.05)
        self.assertFalse(alive(command_pid), "the command outlived ferry")
        self.assertNotIn(ml, mounts(), "the mount outlived ferry")
        if not fuse:
            return
        # A mount process killed too leaves a dead FUSE mount: the next start (of the same job,
        # with --overwrite) unmounts it.
        p, command_pid = self.start_sleeping_job("k9b", ml + "b", *extra)
        mounter = [pid for pid in pids() if ml + "b" in cmdline(pid) and pid != p.pid]
        self.assertTrue(mounter)
        for pid in mounter:  # first: killed after ferry, it would unmount on ferry's death
            os.kill(pid, signal.SIGKILL)
        p.kill()
        p.wait()
        p.stderr.close()
        self.assertIn(ml + "b", mounts())
        again = self.ferry("train", "--job-name", "k9b", "--ml-root", ml + "b", "--input-mode",
                           "fastfile", "--cache-dir", os.path.join(self.tmp, "cache-k9b"),
                           "--channel", "training=s3://%s/data" % self.bucket, "--", "true",
                           check=False)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("--overwrite", again.stderr)
        self.assertNotIn(ml + "b", mounts(), "the stale mount is cleared even when refused")
        again = self.ferry("train", "--job-name", "k9b", "--ml-root", ml + "b", "--input-mode",
                           "fastfile", "--cache-dir", os.path.join(self.tmp, "cache-k9b"),
                           "--channel", "training=s3://%s/data" % self.bucket, "--overwrite",
                           "--", "sh", "-c", 'cat "$SM_CHANNEL_TRAINING/a"', check=False)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual(again.stdout, "a")
        self.assertNotIn(ml + "b", mounts())


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def mounts():
    with open("/proc/self/mountinfo") as f:
        return f.read()


def pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class AgainstFerryServe(TrainCase, ServerFixture, unittest.TestCase):
    server_class = FerryServer


@unittest.skipUnless(CephRgw.available(), "Ceph RGW is not installed")
class AgainstCephRgw(TrainCase, ServerFixture, unittest.TestCase):
    server_class = CephRgw


if __name__ == "__main__":
    main()
