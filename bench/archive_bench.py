#!/usr/bin/python3
"""Archive tier benchmark: what the archive tier costs `ferry serve` and its clients, in one run.

Cases (one ferry serve, fsync on, --archive on a directory, a day of 2 s):
  Lifecycle transition of 100,000 objects: a rule moves them all to GLACIER; objects/s from the
      first transition to the last (counted in --events), the server's peak RSS meanwhile, and
      how long the archive mover then takes to move their bytes to the archive directory.
  `ferry restore` of 10,000 GLACIER objects: restore requests per second.
  Listing (`ferry ls --recursive`, which asks for RestoreStatus) of 50,000 objects, half of
      them archived, against 50,000 none archived; target: within 1.2x.

Prints the numbers and writes them, with the machine, into its section of bench/RESULTS.md.
Runs on 127.0.0.1 only; the server is started here and stopped by pid.

Usage: /usr/bin/python3 bench/archive_bench.py path/to/ferry [--objects 100000]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import server_bench as sb  # noqa: E402
import versioning_bench as vb  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SECTION_TITLE = "## Archive tier: lifecycle transitions, restores, listings (bench/archive_bench.py)"


def rss_kib(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def count_events(path, name):
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return sum(1 for line in f if '"eventName":"%s"' % name in line)


def archived_files(directory):
    return sum(len(files) for _, _, files in os.walk(directory))


def ferry_env(server):
    env = dict(os.environ)
    env.update({"AWS_ENDPOINT_URL": server.endpoint, "AWS_ACCESS_KEY_ID": server.access_key,
                "AWS_SECRET_ACCESS_KEY": server.secret_key, "AWS_REGION": "us-east-1"})
    for k in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        env.pop(k, None)
    return env


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("ferry")
    p.add_argument("--objects", type=int, default=100000)
    p.add_argument("--restores", type=int, default=10000)
    p.add_argument("--listed", type=int, default=50000)
    p.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    args = p.parse_args()
    ferry = os.path.abspath(args.ferry)
    machine = sb.machine_description()
    machine["source"] = sb.source_description(ferry)
    tmp = tempfile.mkdtemp(prefix="ferry-bench-archive-")
    cold = os.path.join(tmp, "cold")
    os.makedirs(cold)
    events = os.path.join(tmp, "events.jsonl")
    server = None
    t_start = time.time()
    try:
        server = sb.start_ferry(ferry, tmp, "ferry", [
            "--lifecycle-day", "2s", "--restore-time", "expedited=1s,standard=2s",
            "--events", events, "--archive", cold])
        pid = server.proc.proc.pid
        client = server.client()
        env = ferry_env(server)
        body = b"x" * 1024

        # Lifecycle transition of N objects.
        client.create_bucket(Bucket="lifecycle")
        keys = ["obj/%07d" % i for i in range(args.objects)]
        loaded = time.perf_counter()
        vb.put_many(server, "lifecycle", keys, body, threads=16)
        load_s = time.perf_counter() - loaded
        sb.log("loaded %d objects in %.1f s" % (len(keys), load_s))
        rss_before = rss_kib(pid)
        peak = [rss_before]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_kib(pid))
                time.sleep(0.1)
        sampler = threading.Thread(target=sample)
        sampler.start()
        client.put_bucket_lifecycle_configuration(Bucket="lifecycle", LifecycleConfiguration={
            "Rules": [{"ID": "all", "Status": "Enabled",
                       "Filter": {"And": {"Prefix": "obj/", "ObjectSizeGreaterThan": 0}},
                       "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]}]})
        first = last = None
        deadline = time.time() + 3600
        while True:
            n = count_events(events, "LifecycleTransition")
            now = time.perf_counter()
            if n > 0 and first is None:
                first = now
            if n >= args.objects:
                last = now
                break
            if time.time() > deadline:
                raise RuntimeError("only %d transitions" % n)
            time.sleep(0.05)
        moved_at = None
        while archived_files(cold) < args.objects:
            if time.time() > deadline:
                raise RuntimeError("only %d moved" % archived_files(cold))
            time.sleep(0.1)
        moved_at = time.perf_counter()
        stop.set()
        sampler.join()
        transition_s = last - first
        move_s = moved_at - last
        sb.log("transitions: %.1f s, moves after them: %.1f s" % (transition_s, move_s))

        # Restore requests.
        client.create_bucket(Bucket="restores")
        vb.put_many(server, "restores", ["r/%06d" % i for i in range(args.restores)], body,
                    threads=16)
        # Written as GLACIER through the rule-free path: a copy in place per object is slow;
        # a second rule with Days=1 does it in one pass.
        client.put_bucket_lifecycle_configuration(Bucket="restores", LifecycleConfiguration={
            "Rules": [{"ID": "all", "Status": "Enabled",
                       "Filter": {"ObjectSizeGreaterThan": 0},
                       "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]}]})
        while count_events(events, "LifecycleTransition") < args.objects + args.restores:
            time.sleep(0.1)
        client.delete_bucket_lifecycle(Bucket="restores")
        started = time.perf_counter()
        out = subprocess.run([ferry, "restore", "s3://restores/", "--tier", "expedited", "--json"],
                             env=env, capture_output=True, text=True, check=True)
        restore_s = time.perf_counter() - started
        summary = json.loads(out.stdout)
        if summary["requested"] != args.restores:
            raise RuntimeError("restore: %s" % out.stdout)

        # Listing half archived against none archived.
        half = args.listed // 2
        for bucket in ("none", "half"):
            client.create_bucket(Bucket=bucket)
            # Every other key starts "k/a": the rule below archives those.
            vb.put_many(server, bucket, ["k/%s%06d" % ("ab"[i % 2], i)
                                         for i in range(args.listed)], body, threads=16)
        client.put_bucket_lifecycle_configuration(Bucket="half", LifecycleConfiguration={
            "Rules": [{"ID": "half", "Status": "Enabled",
                       "Filter": {"And": {"Prefix": "k/a", "ObjectSizeGreaterThan": 0}},
                       "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]}]})
        want = half
        while count_events(events, "LifecycleTransition") < (args.objects + args.restores +
                                                                 want):
            time.sleep(0.1)
        # The mover done too: nothing else runs while the listings are timed.
        while archived_files(cold) < args.objects + args.restores + want:
            time.sleep(0.1)

        def time_ls(bucket):
            times = []
            for _ in range(5):
                started = time.perf_counter()
                r = subprocess.run([ferry, "ls", "--recursive", "--json", "s3://%s/" % bucket],
                                   env=env, capture_output=True, text=True, check=True)
                times.append(time.perf_counter() - started)
                if r.stdout.count("\n") != args.listed:
                    raise RuntimeError("ls %s: %d lines" % (bucket, r.stdout.count("\n")))
            return statistics.median(times)
        none_s = time_ls("none")
        half_s = time_ls("half")
        list_ratio = half_s / none_s

        lines = [
            "| case | result |",
            "|---|---|",
            "| lifecycle transition of %d objects (1 KiB) to GLACIER | %.1f s, %.0f objects/s |"
            % (args.objects, transition_s, args.objects / transition_s),
            "| server RSS before / peak during the transitions | %.0f / %.0f MiB |" % (
                rss_before / 1024, peak[0] / 1024),
            "| bytes of those %d objects moved to the --archive directory after | %.1f s, %.0f "
            "objects/s |" % (args.objects, move_s, args.objects / move_s),
            "| `ferry restore` of %d GLACIER objects (Expedited) | %.2f s, %.0f requests/s |" % (
                args.restores, restore_s, args.restores / restore_s),
            "| `ferry ls --recursive` of %d objects: none archived / %d archived | %.2f s / "
            "%.2f s, ratio %.2f (target <= 1.2 %s) |" % (
                args.listed, want, none_s, half_s, list_ratio,
                "met" if list_ratio <= 1.2 else "NOT met"),
        ]
        print()
        for line in lines:
            print(line)
        if args.results:
            body_lines = [SECTION_TITLE, "",
                          "Run with `make bench` (or `/usr/bin/python3 bench/archive_bench.py "
                          "build/ferry`). One `ferry serve` (fsync on, --lifecycle-day 2s, "
                          "--archive on a directory of the same disk); objects PUT with 16 "
                          "keep-alive connections; transitions counted in the --events file; "
                          "listings: median of 5 runs of `ferry ls --recursive --json` (which "
                          "asks for RestoreStatus).", "",
                          sb.machine_line(machine), ""] + lines
            sb.write_section(args.results, SECTION_TITLE, "\n".join(body_lines) + "\n")
            print("\nwritten to %s" % args.results)
        print("archive benchmark took %.0f s" % (time.time() - t_start))
        return 0
    finally:
        if server:
            server.proc.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
