#!/usr/bin/python3
"""Versioning benchmark: what keeping versions costs `ferry serve`, in one run.

Cases (one ferry serve, fsync on, the same data in an unversioned and a versioned bucket):
  PUT 64 KiB (wrk, 16 connections, 10,000 keys rewritten over and over: in the versioned bucket
      every request makes a new version) and GET 1 MiB (256 objects), req/s; target: the
      versioned bucket within 10 % of the unversioned one.
  ListObjectVersions of 100,000 versions of 1,000 keys, every page of 1,000 in turn.
  ListObjectsV2 of 10,000 keys in a bucket with 10 versions per key vs one with 1; target: the
      listing of current objects takes at most 1.2x as long.

Prints the numbers and ratios and writes them, with the machine, into its section of
bench/RESULTS.md. Runs on 127.0.0.1 only; the server is started here and stopped by pid.

Usage: /usr/bin/python3 bench/versioning_bench.py path/to/ferry [--duration 10]
"""
import argparse
import concurrent.futures
import http.client
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import server_bench as sb  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SECTION_TITLE = "## Versioning: ferry serve with and without versions (bench/versioning_bench.py)"


def put_many(server, bucket, keys, body, threads=8):
    """PUTs every key (repeats make versions) on keep-alive connections, presigned."""
    client = server.client()
    urls = [client.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": k},
                                          ExpiresIn=3600) for k in keys]
    chunks = [urls[i::threads] for i in range(threads)]

    def run(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        for url in chunk:
            parsed = urllib.parse.urlsplit(url)
            conn.request("PUT", parsed.path + "?" + parsed.query, body=body)
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                raise RuntimeError("PUT %s: %d" % (parsed.path, r.status))
        conn.close()

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, chunks))


def time_listing(server, bucket, versions, repeats=5):
    """Median seconds to walk the whole listing (pages of 1,000); returns (seconds, entries)."""
    client = server.client()
    times, count = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        count = 0
        if versions:
            pages = client.get_paginator("list_object_versions").paginate(Bucket=bucket)
            for page in pages:
                count += len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))
        else:
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                count += page.get("KeyCount", 0)
        times.append(time.perf_counter() - started)
    return statistics.median(times), count


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("ferry")
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    args = p.parse_args()
    args.profile = None
    if shutil.which("wrk") is None:
        sys.exit("versioning_bench: wrk not found; run scripts/install-deps.sh")
    ferry = os.path.abspath(args.ferry)
    machine = sb.machine_description()
    machine["source"] = sb.source_description(ferry)
    tmp = tempfile.mkdtemp(prefix="ferry-bench-versions-")
    server = None
    t_start = time.time()
    try:
        server = sb.start_ferry(ferry, tmp, "ferry")
        client = server.client()
        results = {}
        # Request rates: the same workload in an unversioned and a versioned bucket.
        objects = []
        gdir = os.path.join(tmp, "get")
        os.makedirs(gdir)
        for i in range(256):
            path = os.path.join(gdir, "%d" % i)
            with open(path, "wb") as f:
                f.write(os.urandom(sb.MIB))
            objects.append((sb.get_key(i), path))
        for bucket, versioned in (("plain", False), ("versioned", True)):
            sb.BUCKET = bucket
            client.create_bucket(Bucket=bucket)
            if versioned:
                client.put_bucket_versioning(Bucket=bucket,
                                             VersioningConfiguration={"Status": "Enabled"})
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda kv: client.put_object(Bucket=bucket, Key=kv[0],
                                                           Body=open(kv[1], "rb").read()),
                              objects))
            for method, keys in (("GET", [k for k, _ in objects]),
                                 ("PUT", [sb.put_key(i) for i in range(10000)])):
                targets = sb.presign(server, method, keys)
                tfile = os.path.join(tmp, "%s-%s.targets" % (bucket, method))
                with open(tfile, "w") as f:
                    f.write("\n".join(targets) + "\n")
                sb.wait_until_quiet(0.25, 30)
                if method == "GET":
                    sb.check_request(server, targets[0], "GET", None, sb.MIB)
                    r = sb.measure(server, tfile, "GET", 0, sb.MIB, args, tmp, None)
                else:
                    sb.check_request(server, targets[0], "PUT", b"x" * 65536, None)
                    r = sb.measure(server, tfile, "PUT", 65536, 65536, args, tmp, None)
                label = "%s %s" % (bucket, method)
                results[label] = r
                sb.log("  %-16s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  %6.0f µs/req" %
                       (label, r["rps"], r["p50_ms"], r["p99_ms"], r["server_us_per_req"]))

        # Listings.
        sb.log("loading 100,000 versions of 1,000 keys")
        client.create_bucket(Bucket="history")
        client.put_bucket_versioning(Bucket="history",
                                     VersioningConfiguration={"Status": "Enabled"})
        put_many(server, "history", ["k%04d" % (i % 1000) for i in range(100000)], b"v")
        sb.log("loading 10,000 keys with 1 and with 10 versions each")
        client.create_bucket(Bucket="one")
        put_many(server, "one", ["k%05d" % i for i in range(10000)], b"v")
        client.create_bucket(Bucket="ten")
        client.put_bucket_versioning(Bucket="ten", VersioningConfiguration={"Status": "Enabled"})
        put_many(server, "ten", ["k%05d" % (i % 10000) for i in range(100000)], b"v")
        sb.wait_until_quiet(0.25, 30)
        versions_s, versions_n = time_listing(server, "history", versions=True)
        one_s, one_n = time_listing(server, "one", versions=False)
        ten_s, ten_n = time_listing(server, "ten", versions=False)
        if (versions_n, one_n, ten_n) != (100000, 10000, 10000):
            raise RuntimeError("listings returned %d, %d, %d entries" %
                               (versions_n, one_n, ten_n))

        put_ratio = results["versioned PUT"]["rps"] / results["plain PUT"]["rps"]
        get_ratio = results["versioned GET"]["rps"] / results["plain GET"]["rps"]
        list_ratio = ten_s / one_s
        lines = [
            "| case | unversioned | versioned | ratio | target |",
            "|---|---|---|---|---|",
            "| PUT 64 KiB, req/s | %.0f | %.0f | %.2f | >= 0.90 %s |" % (
                results["plain PUT"]["rps"], results["versioned PUT"]["rps"], put_ratio,
                "met" if put_ratio >= 0.9 else "NOT met"),
            "| GET 1 MiB, req/s | %.0f | %.0f | %.2f | >= 0.90 %s |" % (
                results["plain GET"]["rps"], results["versioned GET"]["rps"], get_ratio,
                "met" if get_ratio >= 0.9 else "NOT met"),
            "| ListObjectsV2 of 10,000 keys (1 vs 10 versions each), s | %.3f | %.3f | %.2f "
            "| <= 1.2 %s |" % (one_s, ten_s, list_ratio,
                               "met" if list_ratio <= 1.2 else "NOT met"),
            "",
            "ListObjectVersions of 100,000 versions of 1,000 keys (100 pages of 1,000 through "
            "boto3's paginator): %.2f s, %.0f versions/s." % (versions_s,
                                                               versions_n / versions_s),
        ]
        print()
        for line in lines:
            print(line)
        if args.results:
            body = [SECTION_TITLE, "",
                    "Run with `make bench` (or `/usr/bin/python3 bench/versioning_bench.py "
                    "build/ferry`). One `ferry serve` (fsync on); wrk, %d connections, %d s per "
                    "case after a %d s warm-up, presigned SigV4 URLs; listings through boto3, "
                    "median of 5 walks. In the versioned bucket each PUT makes a new version "
                    "(10,000 keys rewritten for the whole case)." %
                    (args.connections, args.duration, args.warmup), "",
                    sb.machine_line(machine), ""] + lines
            sb.write_section(args.results, SECTION_TITLE, "\n".join(body) + "\n")
            print("\nwritten to %s" % args.results)
        print("versioning benchmark took %.0f s" % (time.time() - t_start))
        return 0
    finally:
        if server:
            server.proc.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
