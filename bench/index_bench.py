#!/usr/bin/env python3
"""Listings at scale: ferry serve's ListObjectsV2 rate as a bucket grows, and a mount of N
objects starting from its saved index vs from listings, in one run against one ferry serve.

Loads N empty files (100 per directory, as sync_bench.py --scale) with `ferry sync` in
--steps steps; after each, pages of ListObjectsV2 per second (1,000 keys each, and the
delimiter listing of the top, 10,000 common prefixes), the server's CPU per page and its peak
RSS. Then:
  build           `ferry index build` with POSIX metadata (a HEAD per object), and without
  mount usable    from the mount command to the root directory listed and a known file read
  every dir       os.listdir of every directory of the mount (a LIST each without the index)
Each mount case runs once from listings and once from the index, with a fresh cache.

Prints the times and ratios; writes its section of RESULTS.md (`make bench-scale`).
"""
import argparse
import json
import re
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
from server_bench import process_cpu_seconds  # noqa: E402
from transfer_bench import clean_env, client_credentials  # noqa: E402

import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.credentials  # noqa: E402
import urllib3  # noqa: E402

TITLE = "## Listings at scale: ferry serve's ListObjectsV2, and a mount from a saved index"
BUCKET = "indexbench"


def make_range(root, first, last):
    """Empty files first..last-1, 100 per directory, named as sync_bench.make_tree names them."""
    for i in range(first, last):
        d = os.path.join(root, "d%04d" % (i // 100))
        if i % 100 == 0 or i == first:
            os.makedirs(d, exist_ok=True)
        open(os.path.join(d, "f%07d.bin" % i), "wb").close()


def list_rate(server, prefix, delimiter="", max_pages=None):
    """(pages, seconds, server CPU seconds) of a ListObjectsV2 walk over raw signed requests:
    the client parses nothing but the continuation token."""
    creds = botocore.credentials.Credentials(server.access_key, server.secret_key)
    signer = botocore.auth.S3SigV4Auth(creds, "s3", "us-east-1")
    pool = urllib3.HTTPConnectionPool("127.0.0.1", server.port, maxsize=1)
    token, pages = None, 0
    cpu0, t0 = process_cpu_seconds(server.pids), time.time()
    while max_pages is None or pages < max_pages:
        params = {"list-type": "2", "prefix": prefix}
        if delimiter:
            params["delimiter"] = delimiter
        if token:
            params["continuation-token"] = token
        req = botocore.awsrequest.AWSRequest(method="GET", url="%s/%s" % (server.endpoint, BUCKET),
                                             params=params)
        signer.add_auth(req)
        prepared = req.prepare()
        r = pool.urlopen("GET", prepared.url[len(server.endpoint):], headers=dict(prepared.headers))
        if r.status != 200:
            raise RuntimeError("listing: %d %s" % (r.status, r.data[:300]))
        pages += 1
        m = re.search(rb"<NextContinuationToken>([^<]*)</NextContinuationToken>", r.data)
        if not m:
            break
        token = m.group(1).decode().replace("&amp;", "&")
    return pages, time.time() - t0, process_cpu_seconds(server.pids) - cpu0


def rss_mib(pid):
    """(peak RSS, anonymous RSS now, file-backed RSS now) in MiB: the bucket index's SQLite
    file is mapped (up to 256 MiB per reader), so RSS grows with the bucket in pages the kernel
    can drop; the anonymous part is what the server holds."""
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmHWM", "RssAnon", "RssFile"):
                fields[name] = int(value.split()[0]) / 1024
    return fields.get("VmHWM", 0), fields.get("RssAnon", 0), fields.get("RssFile", 0)


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
    p.add_argument("--steps", type=int, default=4, help="the bucket grows in this many steps")
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
        loaded = 0.0
        growth = []
        for step in range(args.steps):
            first, last = args.objects * step // args.steps, args.objects * (step + 1) // args.steps
            make_range(src, first, last)
            seconds, _ = timed([ferry, "sync", src, "s3://%s/data/" % BUCKET, "-q", "--state-dir",
                                "none"], env)
            loaded += seconds
            shutil.rmtree(src)
            flat = list_rate(server, "data/")
            top = list_rate(server, "data/", "/")
            growth.append((last, flat, top, rss_mib(server.proc.pid)))
            log("%d objects: %.0f pages/s (%.2f ms server CPU each); top with '/': %.0f pages/s; "
                "server RSS peak %.0f, anonymous %.0f, file %.0f MiB" % (
                    last, flat[0] / flat[1], flat[2] / flat[0] * 1e3, top[0] / top[1],
                    *growth[-1][3]))
        log("loaded by ferry sync in %.0f s" % loaded)
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
                "ListObjectsV2 of ferry serve as the bucket grows (raw signed requests; pages of "
                "1,000 keys; the top's delimiter listing holds one common prefix per 100 objects):",
                "", "| objects | pages/s | server CPU ms/page | top with `/`: pages/s | "
                "server RSS peak / anonymous / file MiB |", "|---:|---:|---:|---:|---:|"] + [
                "| %d | %.0f | %.2f | %.0f | %.0f / %.0f / %.0f |" % (
                    n, f[0] / f[1], f[2] / f[0] * 1e3, t[0] / t[1], *rss)
                for n, f, t, rss in growth] + ["",
                "File-backed RSS is the bucket index's SQLite file, mapped by each reader "
                "(at most 256 MiB each) and dropped by the kernel under pressure.", "",
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
