#!/usr/bin/env python3
"""The saved listing index at scale: a mount of N objects starting from its index vs from
listings, in one run against one ferry serve.

Loads N empty files (100 per directory, as sync_bench.py --scale) with `ferry sync`, then:
  build           `ferry index build` with POSIX metadata (a HEAD per object), and without
  mount usable    from the mount command to the root directory listed and a known file read
  every dir       os.listdir of every directory of the mount (a LIST each without the index)
Each mount case runs once from listings and once from the index, with a fresh cache.

Prints the times and ratios; writes its section of RESULTS.md (`make bench-scale`).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from server_bench import (log, machine_description, machine_line, source_description,  # noqa: E402
                          start_ferry, write_section)
from latency_proxy import LatencyProxy  # noqa: E402
from sync_bench import make_tree  # noqa: E402
from transfer_bench import clean_env, client_credentials  # noqa: E402

TITLE = "## Listing index: mount start-up of a million objects from an index vs from listings"
BUCKET = "indexbench"


def timed(argv, env):
    t0 = time.time()
    p = subprocess.run(argv, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(argv), p.stderr))
    return time.time() - t0, p


def mount_case(ferry, env, tmp, name, extra, known, dirs):
    """Seconds until the root is listed and the known file read; then to list `dirs`
    directories (all: None)."""
    mnt = os.path.join(tmp, "mnt-" + name)
    cache = os.path.join(tmp, "cache-" + name)
    os.makedirs(mnt)
    t0 = time.time()
    proc = subprocess.Popen([ferry, "mount", "s3://%s/data" % BUCKET, mnt, "--foreground",
                             "--cache-dir", cache, "--metadata-ttl", "3600"] + extra,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while not os.path.ismount(mnt):
            if proc.poll() is not None:
                raise RuntimeError("mount failed: " + proc.stderr.read().decode())
            time.sleep(0.005)
        roots = os.listdir(mnt)
        with open(os.path.join(mnt, known), "rb") as f:
            f.read()
        usable = time.time() - t0
        t1 = time.time()
        names = 0
        for d in sorted(roots)[:dirs]:
            names += len(os.listdir(os.path.join(mnt, d)))
        walk = time.time() - t1
        return usable, walk, names
    finally:
        subprocess.run(["fusermount3", "-u", mnt], capture_output=True)
        proc.wait(timeout=60)
        shutil.rmtree(cache, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("ferry")
    p.add_argument("--objects", type=int, default=1_000_000)
    p.add_argument("--latency-ms", type=float, default=20,
                   help="round trip emulated for the remote-endpoint cases")
    p.add_argument("--remote-dirs", type=int, default=200,
                   help="directories listed in the remote-endpoint cases")
    p.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    args = p.parse_args()
    ferry = os.path.abspath(args.ferry)
    machine = machine_description()
    machine["source"] = source_description(ferry)
    tmp = tempfile.mkdtemp(prefix="ferry-index-bench-")
    server = start_ferry(ferry, tmp, "serve")
    try:
        env = clean_env(tmp, dict(client_credentials(server, tmp),
                                  AWS_ENDPOINT_URL=server.endpoint))
        subprocess.run([ferry, "mb", "s3://" + BUCKET], env=env, check=True, capture_output=True)
        src = os.path.join(tmp, "src")
        t0 = time.time()
        make_tree(src, args.objects, 0)
        log("generated %d empty files in %.0f s" % (args.objects, time.time() - t0))
        loaded, _ = timed([ferry, "sync", src, "s3://%s/data/" % BUCKET, "-q", "--state-dir",
                           "none"], env)
        log("loaded by ferry sync in %.0f s" % loaded)
        shutil.rmtree(src)
        build, out = timed([ferry, "index", "build", "s3://%s/data" % BUCKET, "--json"], env)
        built = json.loads(out.stdout)
        quick, _ = timed([ferry, "index", "build", "s3://%s/data" % BUCKET, "--no-metadata",
                          "--out", "s3://%s/quick.ferry-index" % BUCKET], env)
        size = int(server.client().head_object(Bucket=BUCKET, Key="data.ferry-index")["ContentLength"])
        log("index: %d objects, %.1f MiB; built in %.1f s (%.1f s without metadata)" % (
            built["objects"], size / 2**20, build, quick))
        last = args.objects - 1
        known = "d%04d/f%07d.bin" % (last // 100, last)
        index_flag = ["--index", "s3://%s/data.ferry-index" % BUCKET]
        listed = mount_case(ferry, env, tmp, "listed", [], known, None)
        indexed = mount_case(ferry, env, tmp, "indexed", index_flag, known, None)
        log("mount usable: %.2f s from listings, %.2f s from the index" % (listed[0], indexed[0]))
        log("every directory: %.1f s from listings, %.1f s from the index (%d names)" % (
            listed[1], indexed[1], indexed[2]))
        # The same through a proxy that adds a round trip to every request.
        proxy = LatencyProxy(server.port, args.latency_ms)
        try:
            remote_env = dict(env, AWS_ENDPOINT_URL="http://127.0.0.1:%d" % proxy.port)
            r_listed = mount_case(ferry, remote_env, tmp, "r-listed", [], known, args.remote_dirs)
            r_indexed = mount_case(ferry, remote_env, tmp, "r-indexed", index_flag, known,
                                   args.remote_dirs)
        finally:
            proxy.stop()
        log("at %.0f ms: usable %.2f s / %.2f s; %d directories %.1f s / %.1f s" % (
            args.latency_ms, r_listed[0], r_indexed[0], args.remote_dirs, r_listed[1],
            r_indexed[1]))
        body = [TITLE + " (bench/index_bench.py)", "", machine_line(machine), "",
                "%d objects (empty, 100 per directory) loaded by `ferry sync` in %.0f s; their index "
                "holds %d entries in %.1f MiB." % (args.objects, loaded, built["objects"],
                                                   size / 2**20), "",
                "| case | from listings s | from the index s | ratio |", "|---|---:|---:|---:|",
                "| mount usable (root listed, a known file read) | %.2f | %.2f | %.1f× |" % (
                    listed[0], indexed[0], listed[0] / max(indexed[0], 1e-9)),
                "| every directory listed (%d names) | %.1f | %.1f | %.1f× |" % (
                    indexed[2], listed[1], indexed[1], listed[1] / max(indexed[1], 1e-9)),
                "| %.0f ms round trips: mount usable | %.2f | %.2f | %.1f× |" % (
                    args.latency_ms, r_listed[0], r_indexed[0],
                    r_listed[0] / max(r_indexed[0], 1e-9)),
                "| %.0f ms round trips: %d directories listed | %.1f | %.1f | %.1f× |" % (
                    args.latency_ms, args.remote_dirs, r_listed[1], r_indexed[1],
                    r_listed[1] / max(r_indexed[1], 1e-9)),
                "", "The round trips are added by a proxy (bench/latency_proxy.py) holding each "
                "request for that long, as a remote endpoint would; on loopback a listing "
                "costs ferry serve less than fetching and decoding the index does.",
                "", "`ferry index build`: %.1f s with POSIX metadata (%d HEADs), %.1f s without." % (
                    build, built["heads"], quick),
                "", "Target: a mount of 1 M objects usable in < 5 s from its index — %s (%.2f s)." % (
                    "met" if indexed[0] < 5 else "not met", indexed[0])]
        print("\n".join(body))
        if args.results:
            write_section(args.results, TITLE, "\n".join(body) + "\n")
    finally:
        server.proc.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
