#!/usr/bin/env python3
"""ferry train input modes vs local disk vs s3fs: epoch times of a PyTorch DataLoader.

A DataLoader with 4 workers (bench/train_loader.py) reads 10,000 × 100 KiB files for two
epochs, in a shuffled order per epoch, from: the local disk; `ferry train` in File mode (the
first epoch counted with the download), Fast File mode cold then warm, with and without the
sampler's order sent to the mount (ferry_prefetch), and Pipe mode; and an s3fs mount of the
same bucket. All against one `ferry serve` on this machine, in one run.

The cases that start cold (Fast File, s3fs) are each the best of --cold-runs runs (2).
Nothing is dropped from the page cache (on this VM, memory freed by a drop goes back to the
host and the next reads pay a host page fault per page): the local disk's files and the
server's are in memory, as a store on its own machine would have them. Every case starts after
a sync and a settle, so that none pays for the write-back of the one before.

Targets: Fast File cold ≥ 3× s3fs; Fast File with ordered prefetch, second epoch ≥ 0.8× the
local disk's second epoch. Prints the table and ratios; writes its section of RESULTS.md.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from mount_bench import Mount  # noqa: E402
from server_bench import (log, machine_description, machine_line, source_description,  # noqa: E402
                          start_ferry, wait_until_quiet, write_section)
from transfer_bench import (BUCKET, KIB, MIB, DeletionClock, clean_env,  # noqa: E402
                            client_credentials, human)

SECTION_TITLE = "## Training input: ferry train modes vs local disk vs s3fs"
LOADER = os.path.join(HERE, "train_loader.py")
PYTHON = "/usr/bin/python3"


def generate(root, count, size):
    rng = random.Random(3)
    for i in range(count):
        path = os.path.join(root, "%02d" % (i % 50), "s%05d.bin" % i)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(rng.randbytes(size))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("ferry")
    p.add_argument("--files", type=int, default=10000)
    p.add_argument("--size", type=int, default=100 * KIB)
    p.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    p.add_argument("--cold-runs", type=int, default=2,
                   help="Fast File and s3fs cases: best of this many runs, each from cold")
    args = p.parse_args()
    ferry = os.path.abspath(args.ferry)
    for tool in ("s3fs", "fusermount3"):
        if shutil.which(tool) is None:
            sys.exit("train_bench: %s not found; run scripts/install-deps.sh" % tool)
    if subprocess.run([PYTHON, "-c", "import torch"], capture_output=True).returncode != 0:
        sys.exit("train_bench: python3-torch not found; run scripts/install-deps.sh")
    machine = machine_description()
    machine["source"] = source_description(ferry)
    tmp = tempfile.mkdtemp(prefix="ferry-bench-train-")
    server = None
    mounts = []
    try:
        server = start_ferry(ferry, tmp, "server")
        env = clean_env(tmp, client_credentials(server, tmp))
        env["AWS_ENDPOINT_URL"] = server.endpoint
        local = os.path.join(tmp, "local")
        generate(local, args.files, args.size)
        subprocess.run([ferry, "mb", "s3://" + BUCKET], env=env, check=True)
        subprocess.run([ferry, "cp", "-r", local, "s3://%s/data/" % BUCKET, "--quiet"], env=env,
                       check=True)
        log("generated and uploaded %d × %s" % (args.files, human(args.size)))
        deletions = DeletionClock()
        deletions.wait_quiet()
        busy = wait_until_quiet(0.25, 45)
        results = {}  # case → (epoch seconds list, bytes)

        def settle():
            # Each case starts with the disk idle: dirty pages of the case before (File mode
            # writes the dataset) would otherwise be written back during the next one.
            os.sync()
            wait_until_quiet(0.25, 20)

        def loader(directory, out, *flags, run_env=None):
            settle()
            subprocess.run([PYTHON, LOADER, directory, out] + list(flags), check=True,
                           env=run_env or env)
            with open(out) as f:
                return json.load(f)

        runs = {}  # case → how many runs the best of was taken

        def keep_best(case, got):
            """Results keep the run with the shortest first epoch of each case."""
            runs[case] = runs.get(case, 0) + 1
            if case not in results or got["epochs"][0] < results[case]["epochs"][0]:
                results[case] = got

        def train(case, mode, *flags, loader_flags=(), repeat=1):
            for run in range(repeat):
                train_once(case, "%s-%d" % (case.replace("+", "-"), run), mode, *flags,
                           loader_flags=loader_flags)

        def train_once(case, job, mode, *flags, loader_flags=()):
            ml = os.path.join(tmp, "ml-" + job)
            out = os.path.join(tmp, job + ".json")
            channel = "$SM_CHANNEL_TRAINING"
            cmd = [ferry, "train", "--job-name", job, "--ml-root", ml, "--input-mode", mode,
                   "--channel", "training=s3://%s/data" % BUCKET, "--cache-dir",
                   os.path.join(tmp, "cache-" + job), "--pipe-epochs", "2"] + list(flags) + \
                  ["--", "sh", "-c", "exec %s %s %s %s %s" % (PYTHON, LOADER, channel, out,
                                                            " ".join(loader_flags))]
            settle()
            t = time.monotonic()
            subprocess.run(cmd, env=env, check=True, capture_output=True)
            wall = time.monotonic() - t
            with open(out) as f:
                got = json.load(f)
            with open(os.path.join(ml, "job.json")) as f:
                record = json.load(f)
            phases = {ph["phase"]: ph["seconds"] for ph in record["phases"]}
            got["download"] = phases.get("Downloading", 0.0)
            got["wall"] = wall
            keep_best(case, got)
            log("%-22s epochs %s (download %.2f s)" % (
                case, " ".join("%.2f" % e for e in got["epochs"]), got["download"]))

        # The cases that start cold are the best of --cold-runs runs, for every reader alike:
        # on this VM the first case to fill a gigabyte of fresh page cache pays the host for
        # every page (memory idle for a while goes back to it), which can add a second and a
        # half to whichever case that is.
        cold = max(1, args.cold_runs)
        train("file", "file")
        train("fastfile", "fastfile", repeat=cold)
        train("fastfile+prefetch", "fastfile", loader_flags=["--prefetch"], repeat=cold)
        train("pipe", "pipe", loader_flags=["--pipe"])
        passwd = os.path.join(tmp, "s3fs.passwd")
        with open(passwd, "w") as f:
            f.write("%s:%s\n" % (server.access_key, server.secret_key))
        os.chmod(passwd, 0o600)
        for run in range(cold):
            mnt = os.path.join(tmp, "s3fs-mnt-%d" % run)
            m = Mount(["s3fs", BUCKET, mnt, "-f", "-o",
                       "url=%s,use_path_request_style,passwd_file=%s,endpoint=us-east-1,"
                       "parallel_count=16,multireq_max=16,ro" % (server.endpoint, passwd)],
                      env, mnt, os.path.join(tmp, "s3fs.log"), "s3fs")
            mounts.append(m)
            got = loader(os.path.join(mnt, "data"), os.path.join(tmp, "s3fs-%d.json" % run))
            keep_best("s3fs", got)
            log("%-22s epochs %s" % ("s3fs", " ".join("%.2f" % e for e in got["epochs"])))
            m.stop()
            mounts.remove(m)
        results["local disk"] = loader(local, os.path.join(tmp, "local.json"))
        log("%-22s epochs %s" % ("local disk", " ".join(
            "%.2f" % e for e in results["local disk"]["epochs"])))

        total = args.files * args.size
        table = ["| input | runs | epoch 1 s | epoch 2 s | epoch 1 MiB/s | epoch 2 MiB/s |",
                 "|---|---:|---:|---:|---:|---:|"]
        for case, r in results.items():
            e1 = r["epochs"][0] + r.get("download", 0.0)
            e2 = r["epochs"][1]
            label = case + (" (epoch 1 with the download)" if case == "file" else "")
            table.append("| %s | %d | %.2f | %.2f | %.0f | %.0f |" % (
                label, runs.get(case, 1), e1, e2, total / e1 / MIB, total / e2 / MIB))
        lines = []

        def check(text, ratio, target):
            lines.append("- %s: **%.2f×** (target ≥ %g×) — %s" % (
                text, ratio, target, "met" if ratio >= target else "NOT met"))

        s3fs_e1 = results["s3fs"]["epochs"][0]
        check("Fast File cold epoch vs s3fs", s3fs_e1 / results["fastfile"]["epochs"][0], 3)
        check("Fast File + ordered prefetch, second epoch vs local disk",
              results["local disk"]["epochs"][1] / results["fastfile+prefetch"]["epochs"][1],
              0.8)
        lines.append("- Fast File + ordered prefetch, cold epoch vs s3fs: %.2f× (for information)"
                     % (s3fs_e1 / results["fastfile+prefetch"]["epochs"][0]))
        lines.append("- File mode, download + first epoch vs s3fs: %.2f× (for information)" % (
            s3fs_e1 / (results["file"]["epochs"][0] + results["file"]["download"])))
        lines.append("- Pipe mode, first epoch vs s3fs: %.2f× (for information)" % (
            s3fs_e1 / results["pipe"]["epochs"][0]))
        print()
        for line in table + [""] + lines:
            print(line)
        if args.results:
            body = [SECTION_TITLE + " (bench/train_bench.py)", "",
                    "A PyTorch DataLoader (4 workers, batches of 64, a shuffled order per "
                    "epoch) reads %d × %s files for two epochs (bench/train_loader.py), "
                    "through `ferry train` against one `ferry serve` on this machine, an s3fs "
                    "mount of the same bucket, and the local disk. Fast File cases start with "
                    "an empty cache; `+prefetch` sends each epoch's order to the mount "
                    "(ferry_prefetch). Pipe mode streams the objects through the FIFO "
                    "(no DataLoader). Fast File and s3fs cases are the best of %d runs, each "
                    "from cold (runs: how many). "
                    "Nothing is dropped from the page cache; every case starts "
                    "after a sync and a settle (no write-back of the case before)." % (
                        args.files, human(args.size), cold), "",
                    machine_line(machine, busy), ""] + table + [""] + lines
            write_section(args.results, SECTION_TITLE, "\n".join(body) + "\n")
    finally:
        for m in mounts:
            m.stop()
        if server:
            server.proc.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
