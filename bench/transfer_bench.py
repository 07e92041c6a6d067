#!/usr/bin/python3
"""Client transfer benchmark: `ferry cp -r` against rclone and the AWS CLI, on the same data, in one run.

One `ferry serve` (defaults, fsync on) on 127.0.0.1 is the endpoint for every client. Workloads,
generated once into a temporary directory on the local disk:
  small  10,000 files of 64 KiB in 100 directories     upload and download, files/s
  large  4 files of 1 GiB                               upload and download, MB/s
Each tool uploads into an empty prefix (its objects are deleted after it ran); every tool
downloads the same objects (those ferry uploaded) into a fresh directory that is removed
afterwards. Page caches are not dropped. Each upload is checked by listing (count and bytes),
each download by sizes and a sample of byte ranges compared with the source.

The server's own rate for the request shapes the clients send is measured in the same run with
wrk and presigned URLs: ranged GETs of 16 MiB from the 1 GiB objects and UploadPart PUTs of
16 MiB, 16 connections. Targets: small files ferry ≥ 2× rclone and ≥ 5× AWS CLI (files/s);
large files ferry within 10 % of the server's own rate (MB/s).

Prints seconds, files/s, MB/s, client and server CPU, the ratios and which targets are met,
and writes them with a description of the machine into its own section of bench/RESULTS.md.

No client may contact anything outside 127.0.0.0/8: every AWS_* variable of the caller is
dropped, proxies are unset, AWS_EC2_METADATA_DISABLED=true, and configs are temporary files.

Usage: /usr/bin/python3 bench/transfer_bench.py path/to/ferry [--tools ferry,rclone,aws]
       [--workloads small-up,small-down,large-up,large-down] [--small-files 10000]
       [--large-files 4] [--large-size 1G] [--small-runs 2] [--profile DIR]
Needs: rclone, Debian's AWS CLI v2 (/usr/bin/aws), wrk, openssl, python3-boto3, perf for
--profile.
"""
import argparse
import concurrent.futures
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
import botocore.config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import perf_breakdown  # noqa: E402
from server_bench import (log, machine_cpu_seconds, machine_description, machine_line,  # noqa: E402
                          process_cpu_seconds, source_description, start_ferry, write_section,
                          wait_until_quiet)

HERE = os.path.dirname(os.path.abspath(__file__))
SECTION_TITLE = "## Client transfers: ferry cp vs rclone vs AWS CLI"
BUCKET = "bench"
KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
PART = 16 * MIB  # part size / ranged-read size every client is configured with
TRANSFERS = 16  # requests in flight for every client
NOISY = 0.15
AWS_CLI = "/usr/bin/aws"
RCLONE = "rclone"
TOOL_NAMES = {"ferry": "ferry cp", "rclone": "rclone", "aws": "AWS CLI"}

# Never let the clients (or boto3 here) reach for an instance-metadata endpoint.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def parse_size(text):
    m = re.fullmatch(r"(\d+)([KMG]?)", text.strip().upper())
    if not m:
        raise argparse.ArgumentTypeError("size like 64K, 16M, 1G: " + text)
    return int(m.group(1)) * {"": 1, "K": KIB, "M": MIB, "G": GIB}[m.group(2)]


def human(n):
    for unit, size in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if n >= size and n % size == 0:
            return "%d %s" % (n // size, unit)
    return "%d B" % n


# ---------------------------------------------------------------------------------------------
# Data


class Dataset:
    """Files under root: relative path → size."""

    def __init__(self, name, root, files):
        self.name = name
        self.root = root
        self.files = files  # {relative: size}

    @property
    def count(self):
        return len(self.files)

    @property
    def bytes(self):
        return sum(self.files.values())


def make_small(root, count, size):
    files = {}
    per_dir = 100
    for i in range(count):
        rel = "d%02d/f%05d.bin" % (i // per_dir, i)
        path = os.path.join(root, rel)
        if i % per_dir == 0:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(os.urandom(size))
        files[rel] = size
    return Dataset("small", root, files)


def make_large(root, count, size):
    """AES-128-CTR keystream with a random key: a fast PRNG (about 1 GB/s)."""
    os.makedirs(root)
    files = {}
    for i in range(count):
        rel = "big-%d.bin" % i
        path = os.path.join(root, rel)
        key, iv = os.urandom(16).hex(), os.urandom(16).hex()
        with open(path, "wb") as out:
            head = subprocess.Popen(["head", "-c", str(size), "/dev/zero"],
                                    stdout=subprocess.PIPE)
            subprocess.run(["openssl", "enc", "-aes-128-ctr", "-K", key, "-iv", iv],
                           stdin=head.stdout, stdout=out, check=True)
            head.stdout.close()
            head.wait()
        if os.path.getsize(path) != size:
            raise RuntimeError("%s: generated %d bytes, wanted %d" %
                               (path, os.path.getsize(path), size))
        files[rel] = size
    return Dataset("large", root, files)


def verify_download(data, dest, rng):
    """Same set of files with the same sizes; a sample of files or ranges equal to the source."""
    found = {}
    for dirpath, _, names in os.walk(dest):
        for n in names:
            p = os.path.join(dirpath, n)
            found[os.path.relpath(p, dest)] = os.path.getsize(p)
    if found != data.files:
        missing = sorted(set(data.files) - set(found))[:5]
        extra = sorted(set(found) - set(data.files))[:5]
        wrong = sorted(k for k in set(found) & set(data.files) if found[k] != data.files[k])[:5]
        raise RuntimeError("download into %s differs: %d files (want %d); missing %s, "
                           "unexpected %s, wrong size %s" % (dest, len(found), data.count,
                                                              missing, extra, wrong))
    checked = 0
    names = sorted(data.files)
    if data.count > 16:  # many small files: compare 200 whole files
        for rel in rng.sample(names, min(200, data.count)):
            with open(os.path.join(data.root, rel), "rb") as a, \
                    open(os.path.join(dest, rel), "rb") as b:
                if a.read() != b.read():
                    raise RuntimeError("%s: content differs from the source" % rel)
            checked += data.files[rel]
    else:  # few large files: first and last MiB and 32 random MiB ranges of each
        for rel in names:
            size = data.files[rel]
            offsets = {0, max(size - MIB, 0)} | {rng.randrange(0, max(size - MIB, 1))
                                                 for _ in range(32)}
            with open(os.path.join(data.root, rel), "rb") as a, \
                    open(os.path.join(dest, rel), "rb") as b:
                for off in sorted(offsets):
                    a.seek(off)
                    b.seek(off)
                    if a.read(MIB) != b.read(MIB):
                        raise RuntimeError("%s: bytes at %d differ from the source" % (rel, off))
                    checked += MIB
    return checked


# ---------------------------------------------------------------------------------------------
# The clients


def clean_env(tmp, extra):
    """The caller's environment without AWS_* and proxy variables, plus extra."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k.lower() not in ("http_proxy", "https_proxy",
                                                              "all_proxy", "no_proxy")}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["AWS_CONFIG_FILE"] = os.path.join(tmp, "empty-aws-config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(tmp, "empty-aws-credentials")
    env.update(extra)
    return env


class Tool:
    """How one client uploads a local directory to a prefix and downloads a prefix."""

    def __init__(self, name, env, upload, download, flags):
        self.name = name
        self.env = env
        self.upload = upload  # (src_dir, prefix) → argv
        self.download = download  # (prefix, dst_dir) → argv
        self.flags = flags  # what to report


def client_credentials(server, tmp):
    """The AWS_* variables of a client of server; creates the empty AWS files clean_env uses."""
    for name in ("empty-aws-config", "empty-aws-credentials"):
        open(os.path.join(tmp, name), "w").close()
    return {"AWS_ACCESS_KEY_ID": server.access_key, "AWS_SECRET_ACCESS_KEY": server.secret_key,
            "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}


def write_rclone_config(tmp, server):
    """An rclone config with a remote "ferry" for server; returns its path."""
    path = os.path.join(tmp, "rclone.conf")
    with open(path, "w") as f:
        f.write("[ferry]\ntype = s3\nprovider = Other\nenv_auth = false\n"
                "access_key_id = %s\nsecret_access_key = %s\nregion = us-east-1\n"
                "endpoint = %s\nforce_path_style = true\n" %
                (server.access_key, server.secret_key, server.endpoint))
    return path


def make_tools(ferry, server, tmp):
    creds = client_credentials(server, tmp)
    tools = {}

    ferry_flags = ["--transfers", str(TRANSFERS), "--part-size", "16M", "--json"]
    tools["ferry"] = Tool(
        "ferry", clean_env(tmp, dict(creds, AWS_ENDPOINT_URL=server.endpoint)),
        lambda src, prefix: [ferry, "cp", "-r", src, "s3://%s/%s" % (BUCKET, prefix)] +
        ferry_flags,
        lambda prefix, dst: [ferry, "cp", "-r", "s3://%s/%s" % (BUCKET, prefix), dst] +
        ferry_flags,
        "`ferry cp -r SRC DST %s` (AWS_ENDPOINT_URL and keys in the environment)" %
        " ".join(ferry_flags))

    rclone_conf = write_rclone_config(tmp, server)
    rclone_flags = ["--transfers", str(TRANSFERS), "--checkers", str(TRANSFERS),
                    "--s3-upload-concurrency", "4", "--s3-chunk-size", "16M",
                    "--multi-thread-streams", "4", "--s3-no-check-bucket", "--retries", "1"]
    rclone_env = clean_env(tmp, {"RCLONE_CONFIG": rclone_conf})
    tools["rclone"] = Tool(
        "rclone", rclone_env,
        lambda src, prefix: [RCLONE, "--config", rclone_conf, "copy", src,
                             "ferry:%s/%s" % (BUCKET, prefix.rstrip("/"))] + rclone_flags,
        lambda prefix, dst: [RCLONE, "--config", rclone_conf, "copy",
                             "ferry:%s/%s" % (BUCKET, prefix.rstrip("/")), dst] + rclone_flags,
        "`rclone copy %s` (1.60; config: type s3, provider Other, endpoint, keys, "
        "force_path_style; 4 files × 4 upload parts or download streams = 16 requests for "
        "large files)" % " ".join(rclone_flags))

    aws_conf = os.path.join(tmp, "aws-config")
    aws_s3 = ("max_concurrent_requests = %d\nmax_queue_size = 10000\n"
              "multipart_threshold = 32MB\nmultipart_chunksize = 16MB\naddressing_style = path"
              % TRANSFERS)
    with open(aws_conf, "w") as f:
        f.write("[default]\nregion = us-east-1\ns3 =\n" +
                "".join("    %s\n" % line for line in aws_s3.split("\n")))
    aws_flags = ["--endpoint-url", server.endpoint, "--only-show-errors", "--no-progress"]
    tools["aws"] = Tool(
        "aws", clean_env(tmp, dict(creds, AWS_CONFIG_FILE=aws_conf)),
        lambda src, prefix: [AWS_CLI, "s3", "cp", "--recursive", src,
                             "s3://%s/%s" % (BUCKET, prefix)] + aws_flags,
        lambda prefix, dst: [AWS_CLI, "s3", "cp", "--recursive",
                             "s3://%s/%s" % (BUCKET, prefix), dst] + aws_flags,
        "`aws s3 cp --recursive SRC DST --endpoint-url URL --only-show-errors --no-progress` "
        "(AWS CLI %s) with `s3 = %s`" % (aws_version(),
                                        ", ".join(aws_s3.split("\n"))))
    return tools


def aws_version():
    out = subprocess.run([AWS_CLI, "--version"], capture_output=True, text=True,
                         env=clean_env(tempfile.gettempdir(), {}))
    m = re.search(r"aws-cli/(\S+)", out.stdout + out.stderr)
    return m.group(1) if m else "?"


def rclone_version():
    out = subprocess.run([RCLONE, "version"], capture_output=True, text=True)
    m = re.search(r"rclone (v\S+)", out.stdout)
    return m.group(1) if m else "?"


# ---------------------------------------------------------------------------------------------
# Measuring


class Perf:
    """perf record of the whole machine while one client runs (client and server are split by
    pid afterwards: both are called ferry)."""

    def __init__(self, path, callgraph):
        self.path = path
        self.proc = subprocess.Popen(
            ["perf", "record", "-F", "499" if callgraph == "dwarf" else "999", "--call-graph",
             callgraph, "-a", "-o", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # perf needs a moment before it records

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def settle(seconds):
    """Flushes what earlier cases wrote (so it is not charged to the next one) and waits until
    the memory they freed has gone back to the host: every case starts from the same state.

    This VM's balloon driver reports freed memory to the host about a second after it is freed
    (free page reporting); writing into such memory (new page-cache pages, above all the large
    folios of big writes) then costs a host page fault per page: about 0.5 GB/s instead of
    4 GB/s. Without a settle the case that runs right after another one freed gigabytes would
    write into warm memory and the first case of a workload into cold memory."""
    os.sync()
    time.sleep(seconds)


# ext4 without a journal (as on the machines of RESULTS.md) skips inodes freed in the last
# minute (the last 6 while their inode-table block is unwritten) when it allocates new ones,
# looking each candidate up in the buffer cache: right after a mass deletion, creating many
# small files costs 2-3× the CPU in the kernel, for every client alike. Small-file downloads
# therefore start at least this long after the last deletion of local files, made durable.
INODE_QUIET_SECONDS = int(os.environ.get("FERRY_BENCH_INODE_QUIET", "65"))


class DeletionClock:
    """When local files were last deleted (by this benchmark or, for all it knows, just before
    it started)."""

    def __init__(self):
        os.sync()
        self.last = time.monotonic()

    def deleted(self):
        self.last = time.monotonic()

    def wait_quiet(self):
        os.sync()
        wait = INODE_QUIET_SECONDS - (time.monotonic() - self.last)
        if wait > 0:
            log("  waiting %.0f s for recently freed inodes to age (see INODE_QUIET_SECONDS)"
                % wait)
            time.sleep(wait)


def run_client(tool, argv, server, label, settle_seconds):
    """Runs one client to completion; returns wall seconds, CPU and machine noise."""
    settle(settle_seconds)
    busy0, total0 = machine_cpu_seconds()
    server0 = process_cpu_seconds([server.proc.pid])
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, env=tool.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    client_pid = proc.pid
    out, err = proc.communicate()
    seconds = time.monotonic() - t0
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    server1 = process_cpu_seconds([server.proc.pid])
    busy1, total1 = machine_cpu_seconds()
    if proc.returncode != 0:
        raise RuntimeError("%s failed (exit %d): %s\n%s%s" % (label, proc.returncode,
                                                                " ".join(argv), out[-2000:],
                                                                err[-2000:]))
    if tool.name == "ferry":
        summary = json.loads(out.strip().splitlines()[-1])
        if summary["failed"] or summary["retries"]:
            raise RuntimeError("%s: %d failed, %d retries: %s" % (
                label, summary["failed"], summary["retries"], summary["errors"][:3]))
    elif err.strip():
        log("  %s wrote to stderr: %s" % (label, err.strip()[-500:]))
    client_cpu = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime +
                                                              children0.ru_stime)
    server_cpu = server1 - server0
    return {
        "seconds": seconds,
        "client_cpu": client_cpu,
        "server_cpu": server_cpu,
        "other_load": max(0.0, (busy1 - busy0) - client_cpu - server_cpu) /
        max(total1 - total0, 1e-9),
        "client_pid": client_pid,
    }


class Bucket:
    def __init__(self, server):
        self.c = boto3.client(
            "s3", endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
            aws_secret_access_key=server.secret_key, region_name="us-east-1",
            config=botocore.config.Config(signature_version="s3v4",
                                          s3={"addressing_style": "path"},
                                          retries={"max_attempts": 2},
                                          max_pool_connections=16))

    def listing(self, prefix):
        out = {}
        for page in self.c.get_paginator("list_objects_v2").paginate(Bucket=BUCKET,
                                                                     Prefix=prefix):
            for o in page.get("Contents", []):
                out[o["Key"][len(prefix):]] = o["Size"]
        return out

    def delete_prefix(self, prefix):
        keys = list(self.listing(prefix))
        batches = [keys[i:i + 1000] for i in range(0, len(keys), 1000)]

        def delete(batch):
            r = self.c.delete_objects(Bucket=BUCKET, Delete={
                "Objects": [{"Key": prefix + k} for k in batch], "Quiet": True})
            if r.get("Errors"):
                raise RuntimeError("delete %s: %s" % (prefix, r["Errors"][:3]))

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(delete, batches))
        for u in self.c.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Uploads", []):
            self.c.abort_multipart_upload(Bucket=BUCKET, Key=u["Key"], UploadId=u["UploadId"])


def run_wrk(server, tmp, method, targets, threads, connections, duration, settle_seconds,
            body_bytes=0):
    path = os.path.join(tmp, "wrk-%s.targets" % method)
    with open(path, "w") as f:
        f.write("\n".join(targets) + "\n")
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", "%ds" % duration,
            "--timeout", "60s", "-s", os.path.join(HERE, "wrk_transfer.lua"), server.endpoint,
            "--", method, path, str(threads), str(body_bytes)]
    env = dict(os.environ)
    if method == "PUT":
        env["WRK_TRANSFER_PUT"] = "1"
    settle(settle_seconds)
    busy0, total0 = machine_cpu_seconds()
    server0 = process_cpu_seconds([server.proc.pid])
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 120, env=env)
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    server1 = process_cpu_seconds([server.proc.pid])
    busy1, total1 = machine_cpu_seconds()
    with open(os.path.join(tmp, "wrk.log"), "a") as f:
        f.write(" ".join(argv) + "\n" + out.stdout + out.stderr + "\n")
    m = re.search(r"WRKJSON (\{.*\})", out.stdout)
    if out.returncode != 0 or not m:
        raise RuntimeError("wrk failed:\n" + out.stdout + out.stderr)
    w = json.loads(m.group(1))
    errors = sum(w[k] for k in ("err_status", "err_connect", "err_read", "err_write"))
    if errors:
        raise RuntimeError("wrk %s: %d errors:\n%s" % (method, errors, out.stdout))
    seconds = w["duration_us"] / 1e6
    payload = w["bytes"] if method == "GET" else w["requests"] * body_bytes
    client_cpu = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime +
                                                              children0.ru_stime)
    server_cpu = server1 - server0
    return {
        "seconds": seconds,
        "requests": w["requests"],
        "mbps": payload / seconds / 1e6,
        "client_cpu": client_cpu,
        "server_cpu": server_cpu,
        "other_load": max(0.0, (busy1 - busy0) - client_cpu - server_cpu) /
        max(total1 - total0, 1e-9),
    }


WRITE_PIECE = 128 * KIB  # what ferry's downloads write at once (src/transfer/download.cc)


def local_write_rate(tmp, data, settle_seconds):
    """How fast new files of the large workload's sizes can be written here at all (page cache,
    no fsync), one thread per file, 128 KiB writes from one 16 MiB buffer: the ceiling of a
    download (with 16 MiB writes it is several times lower on these VMs)."""
    d = os.path.join(tmp, "write-ceiling")
    os.makedirs(d)
    source = memoryview(os.urandom(PART))

    def write(item):
        i, size = item
        fd = os.open(os.path.join(d, "f%d" % i), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            done = 0
            while done < size:
                at = done % PART
                done += os.write(fd, source[at:at + min(WRITE_PIECE, size - done)])
        finally:
            os.close(fd)

    settle(settle_seconds)
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(data.count) as pool:
        list(pool.map(write, enumerate(sorted(data.files.values()))))
    seconds = time.monotonic() - t0
    shutil.rmtree(d)
    return {"seconds": seconds, "mbps": data.bytes / seconds / 1e6}


def server_rates(server, bucket, tmp, prefix, data, duration, settle_seconds):
    """The server's own GET and PUT rate for 16 MiB ranges and parts of the large objects."""
    c = bucket.c
    rates = {}
    targets = []
    for rel, size in sorted(data.files.items()):
        url = c.generate_presigned_url("get_object", Params={"Bucket": BUCKET,
                                                             "Key": prefix + rel},
                                       ExpiresIn=3600)[len(server.endpoint):]
        for off in range(0, size, PART):
            targets.append("%s %d-%d" % (url, off, min(off + PART, size) - 1))
    random.Random(1).shuffle(targets)
    first = targets[0].split()
    req = urllib.request.Request(server.endpoint + first[0], headers={
        "Range": "bytes=" + first[1]})
    with urllib.request.urlopen(req, timeout=60) as r:
        if r.status != 206 or len(r.read()) != PART:
            raise RuntimeError("ranged GET of a presigned URL failed")
    log("  server GET, 16 MiB ranges of the %s objects, %d connections, %d s" %
        (human(max(data.files.values())), TRANSFERS, duration))
    rates["get"] = run_wrk(server, tmp, "GET", targets, 2, TRANSFERS, duration,
                           settle_seconds)
    log("    %.0f MB/s, server %.2f cores" % (rates["get"]["mbps"],
                                             rates["get"]["server_cpu"] /
                                             rates["get"]["seconds"]))
    key = "rate-put/object"
    upload_id = c.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    try:
        urls = [c.generate_presigned_url(
            "upload_part", Params={"Bucket": BUCKET, "Key": key, "UploadId": upload_id,
                                   "PartNumber": i + 1}, ExpiresIn=3600)[len(server.endpoint):]
            for i in range(TRANSFERS)]
        log("  server PUT, UploadPart of 16 MiB, %d connections, %d s" % (TRANSFERS, duration))
        rates["put"] = run_wrk(server, tmp, "PUT", urls, TRANSFERS, TRANSFERS, duration,
                               settle_seconds, PART)
        log("    %.0f MB/s, server %.2f cores" % (rates["put"]["mbps"],
                                                 rates["put"]["server_cpu"] /
                                                 rates["put"]["seconds"]))
    finally:
        c.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload_id)
    return rates


# ---------------------------------------------------------------------------------------------
# Report


def fmt_row(case, tool, r, data):
    return ("| %-10s | %-8s | %4d | %8.2f | %8.0f | %7.0f | %8.2f | %8.2f | %4.0f%% |" %
            (case, TOOL_NAMES[tool], r["runs"], r["seconds"], data.count / r["seconds"],
             data.bytes / r["seconds"] / 1e6, r["client_cpu"], r["server_cpu"],
             r["other_load"] * 100))


TABLE_HEAD = (
    "| case       | client   | runs |  seconds |  files/s |    MB/s | client CPU s | "
    "server CPU s | other |\n"
    "|------------|----------|-----:|---------:|---------:|--------:|---------:|---------:|"
    "------:|")


def ratio_lines(results, rates, datasets):
    """(markdown lines, all targets met)."""
    lines = []
    met_all = True

    def check(text, ratio, target):
        nonlocal met_all
        met = ratio >= target
        met_all = met_all and met
        lines.append("- %s: **%.2f×** (target ≥ %g×) — %s" % (text, ratio, target,
                                                               "met" if met else "NOT met"))

    for case in ("small-up", "small-down"):
        if ("ferry", case) not in results:
            continue
        n = datasets["small"].count
        what = "%s %d × %s files/s" % ("upload" if case.endswith("up") else "download", n,
                                       human(next(iter(datasets["small"].files.values()))))
        f = n / results[("ferry", case)]["seconds"]
        for peer, target in (("rclone", 2.0), ("aws", 5.0)):
            if (peer, case) in results:
                check("%s ferry / %s" % (what, TOOL_NAMES[peer]),
                      f / (n / results[(peer, case)]["seconds"]), target)
    for case, rate in (("large-up", "put"), ("large-down", "get")):
        if ("ferry", case) not in results:
            continue
        data = datasets["large"]
        what = "%s %d × %s MB/s" % ("upload" if case.endswith("up") else "download", data.count,
                                    human(max(data.files.values())))
        f = data.bytes / results[("ferry", case)]["seconds"] / 1e6
        if rate in rates:
            check("%s ferry / server's own %s rate (%.0f MB/s)" % (what, rate.upper(),
                                                                  rates[rate]["mbps"]),
                  f / rates[rate]["mbps"], 0.9)
        if rate == "put" and rate in rates:
            r = rates["put"]
            lines.append("- %s: server CPU per GB stored %.2f s during ferry's upload, %.2f s "
                         "during wrk's (which rewrites the same 16 parts, so the server writes "
                         "into memory it has just freed: see below)" % (
                             what, results[("ferry", case)]["server_cpu"] / (data.bytes / 1e9),
                             r["server_cpu"] / (r["mbps"] * r["seconds"] / 1e3)))
        if rate == "get" and "write" in rates:
            lines.append("- %s ferry / local buffered-write ceiling (%.0f MB/s): %.2f× (for information)"
                         % (what, rates["write"]["mbps"], f / rates["write"]["mbps"]))
        for peer in ("rclone", "aws"):
            if (peer, case) in results:
                lines.append("- %s ferry / %s: %.2f× (for information)" % (
                    what, TOOL_NAMES[peer],
                    results[(peer, case)]["seconds"] / results[("ferry", case)]["seconds"]))
    return lines, met_all


def write_results(path, machine, args, tools, datasets, results, rates, notes):
    lines, _ = ratio_lines(results, rates, datasets)
    desc = []
    if "small" in datasets:
        d = datasets["small"]
        desc.append("%d files of %s in %d directories" %
                    (d.count, human(next(iter(d.files.values()))), (d.count + 99) // 100))
    if "large" in datasets:
        d = datasets["large"]
        desc.append("%d files of %s" % (d.count, human(max(d.files.values()))))
    body = [SECTION_TITLE + " (bench/transfer_bench.py)", "",
            "Run with `make bench` (or `/usr/bin/python3 bench/transfer_bench.py build/ferry`). "
            "Every client talks to one `ferry serve` (defaults, fsync on) on 127.0.0.1; client "
            "and server share the machine's cores, and the data, generated once, sits on the "
            "same disk. Workloads: %s, uploaded (each client into an empty prefix) and "
            "downloaded (every client the same objects, into a fresh directory). Page caches "
            "are not dropped; every case starts after a %g s settle (see below). Small-file "
            "cases are the best of %d runs, large-file cases one run (a case during which other "
            "processes were busy is run again when it is short and time allows). Every upload is checked "
            "by listing, every download by sizes and sampled contents." %
            ("; ".join(desc), args.settle, args.small_runs), "",
            "Clients, each with %d requests in flight and 16 MiB parts:" % TRANSFERS, ""]
    for name in args.tools:
        body.append("- %s: %s" % (TOOL_NAMES[name], tools[name].flags))
    body += ["", machine_line(machine), "", TABLE_HEAD]
    for (tool, case), r in results.items():
        body.append(fmt_row(case, tool, r, datasets[case.split("-")[0]]))
    body += ["", "seconds: wall time of the whole command (start-up and listing included); "
             "MB/s counts payload bytes (10^6 B/s); client/server CPU s: CPU time of the client "
             "process and of `ferry serve` during the case; other: CPU used by processes "
             "outside the benchmark, as a share of the machine (noise)."]
    if rates:
        body += ["", "The server's own rate (wrk, presigned URLs, %d connections, %d s each, "
                 "same server and objects):" % (TRANSFERS, args.rate_seconds), ""]
        if "get" in rates:
            r = rates["get"]
            body.append("- GET, 16 MiB ranges of the large objects: **%.0f MB/s** (server %.2f "
                        "cores, wrk %.2f cores)" % (r["mbps"], r["server_cpu"] / r["seconds"],
                                                    r["client_cpu"] / r["seconds"]))
        if "put" in rates:
            r = rates["put"]
            body.append("- PUT, UploadPart of 16 MiB: **%.0f MB/s** (server %.2f cores, wrk "
                        "%.2f cores)" % (r["mbps"], r["server_cpu"] / r["seconds"],
                                         r["client_cpu"] / r["seconds"]))
        if "write" in rates:
            body.append("- for comparison, the local buffered-write ceiling: new files of the "
                        "large workload written with 128 KiB writes, one thread per file, no "
                        "fsync: **%.0f MB/s**" % rates["write"]["mbps"])
    body += ["", "Two properties of these VMs shape the numbers. Memory freed for about a second "
             "goes back to the host (virtio-balloon free page reporting), and writing new "
             "page-cache pages into it runs at about 0.5 GB/s instead of 4 GB/s (`dd bs=16M` of "
             "1 GiB: 2.3 s after a pause, 0.29 s right after another such write; 128 KiB writes "
             "suffer much less). So every case starts after the same settle; clients that write "
             "large downloads through the page cache are bounded by the buffered-write ceiling "
             "above (ferry cp writes the parts of large downloads with direct I/O, and ferry "
             "serve the full buffers of large blobs, which run at the disk's speed); and a "
             "server storing new data pays more per byte than under wrk's rewrites of the same "
             "parts. And the root ext4 has no journal, so creating a file "
             "shortly after thousands were deleted scans for inodes not freed recently; "
             "downloaded small-file trees are therefore deleted only after all clients ran.",
             "", "Ratios:", ""] + lines
    if notes:
        body += [""] + notes
    section = "\n".join(body) + "\n"

    write_section(path, SECTION_TITLE, section)


def profile_report(perf_data, pid, label, out_dir):
    """Breakdown and top symbols of one process in a system-wide perf file."""
    text = perf_breakdown.report(perf_data, pid=pid, buckets=perf_breakdown.CLIENT_BUCKETS
                                 if label == "client" else perf_breakdown.BUCKETS)
    top = subprocess.run(["perf", "report", "-i", perf_data, "--pid", str(pid), "--no-children",
                          "--percentage", "relative", "--stdio", "--percent-limit", "1.5", "-g",
                          "none", "--sort", "sym"],
                         capture_output=True, text=True).stdout
    top = "\n".join(line for line in top.splitlines() if line and not line.startswith("#"))
    return text + "\n\ntop symbols (self):\n" + top


# ---------------------------------------------------------------------------------------------


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("ferry", help="path to the ferry binary")
    p.add_argument("--tools", default="ferry,rclone,aws",
                   help="comma-separated clients; the first one's upload is what all download")
    p.add_argument("--workloads", default="small-up,small-down,large-up,large-down")
    p.add_argument("--small-files", type=int, default=10000)
    p.add_argument("--small-size", type=parse_size, default=64 * KIB)
    p.add_argument("--large-files", type=int, default=4)
    p.add_argument("--large-size", type=parse_size, default=GIB)
    p.add_argument("--small-runs", type=int, default=2,
                   help="small-file cases keep the best of this many runs (a run longer than "
                   "60 s is not repeated)")
    p.add_argument("--settle", type=float, default=3,
                   help="seconds to wait before each case (see settle())")
    p.add_argument("--noise-budget", type=float, default=420,
                   help="a case during which other processes used more than 15%% of the "
                   "machine is measured again (up to twice, if it took at most 30 s) while the "
                   "run has taken less than this many seconds")
    p.add_argument("--rate-seconds", type=int, default=8,
                   help="seconds per wrk case of the server's own rate (0: skip)")
    p.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"),
                   help="file to write the section into ('' to skip)")
    p.add_argument("--profile", metavar="DIR",
                   help="perf record (system-wide) during ferry's cases, split into client and "
                   "server reports in DIR; numbers are then perturbed and RESULTS.md is not "
                   "written")
    p.add_argument("--perf-callgraph", default="dwarf", choices=["fp", "dwarf", "lbr"])
    p.add_argument("--keep-server", action="store_true",
                   help="debugging: print the endpoint and wait for Enter before stopping")
    args = p.parse_args()
    ferry = os.path.abspath(args.ferry)
    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    for t in args.tools:
        if t not in TOOL_NAMES:
            sys.exit("transfer_bench: unknown tool %s" % t)
    for w in workloads:
        if w not in ("small-up", "small-down", "large-up", "large-down"):
            sys.exit("transfer_bench: unknown workload %s" % w)
    needed = {"ferry": [], "rclone": [RCLONE], "aws": [AWS_CLI]}
    for tool in ["wrk", "openssl"] + sum((needed[t] for t in args.tools), []):
        if shutil.which(tool) is None:
            sys.exit("transfer_bench: %s not found; run scripts/install-deps.sh" % tool)
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)
        args.profile = os.path.abspath(args.profile)

    machine = machine_description()
    machine["source"] = source_description(ferry)
    log("transfer benchmark: %d cores, %s" % (machine["nproc"], machine["cpu"]))
    tmp = tempfile.mkdtemp(prefix="ferry-bench-transfer-")
    started = []
    old_term = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    t_start = time.time()
    deletions = DeletionClock()
    rng = random.Random(int.from_bytes(os.urandom(8), "little"))
    try:
        server = start_ferry(ferry, tmp, "server")
        started.append(server.proc)
        log("ferry serve on %s (data in %s)" % (server.endpoint, tmp))
        bucket = Bucket(server)
        bucket.c.create_bucket(Bucket=BUCKET)
        tools = make_tools(ferry, server, tmp)

        datasets = {}
        kinds = sorted({w.split("-")[0] for w in workloads}, reverse=True)  # small first
        for kind in kinds:
            t0 = time.time()
            if kind == "small":
                datasets[kind] = make_small(os.path.join(tmp, "data", "small"),
                                            args.small_files, args.small_size)
            else:
                datasets[kind] = make_large(os.path.join(tmp, "data", "large"),
                                            args.large_files, args.large_size)
            d = datasets[kind]
            log("generated %d × %s in %.1f s" % (d.count, human(max(d.files.values())),
                                                  time.time() - t0))

        busy = wait_until_quiet(0.25, 45)
        log("machine use by others before the run: %.0f%%" % (busy * 100))
        notes = []
        if busy >= 0.25:
            notes.append("Warning: the machine was busy before the run (%.0f%% used by other "
                         "processes)." % (busy * 100))
        results = {}
        rates = {}
        profiles = []

        def measure(tool, kind, direction, argv_for, after):
            """Runs a case (best of n for small files, once more when other processes were
            busy during it and time allows); after(run, last) checks and cleans up."""
            label = "%s %s-%s" % (tool.name, kind, direction)
            runs = args.small_runs if kind == "small" else 1
            best = None
            i = 0
            while True:
                argv = argv_for(i)
                perf = None
                if args.profile and tool.name == "ferry" and i == 0:
                    perf = Perf(os.path.join(args.profile, "%s-%s.data" % (kind, direction)),
                                args.perf_callgraph)
                try:
                    r = run_client(tool, argv, server, label, args.settle)
                finally:
                    if perf:
                        perf.stop()
                if perf:
                    profiles.append((perf.path, r["client_pid"], "%s-%s" % (kind, direction)))
                if best is None or r["seconds"] < best["seconds"]:
                    best = r
                planned = i + 1 < runs and r["seconds"] <= 60
                again = (not planned and best["other_load"] > NOISY and i + 1 < runs + 2 and
                         r["seconds"] <= 30 and not args.profile and
                         time.time() - t_start < args.noise_budget)
                last = not (planned or again)
                after(i, last)
                d = datasets[kind]
                log("  %-22s %7.2f s %8.0f files/s %7.0f MB/s  client CPU %6.2f s  server CPU "
                    "%6.2f s  other %2.0f%%" % (label, r["seconds"], d.count / r["seconds"],
                                                d.bytes / r["seconds"] / 1e6, r["client_cpu"],
                                                r["server_cpu"], r["other_load"] * 100))
                if last:
                    break
                if again:
                    log("  %s: other processes used %.0f%% of the machine; measuring again" %
                        (label, best["other_load"] * 100))
                    wait_until_quiet(0.25, 15)
                i += 1
            best["runs"] = i + 1
            results[(tool.name, "%s-%s" % (kind, direction))] = best
            if best["other_load"] > NOISY:
                notes.append("Warning: other processes used %.0f%% of the machine during %s; "
                             "rerun on a quiet machine." % (best["other_load"] * 100, label))

        for kind in kinds:
            data = datasets[kind]
            source = "%s/%s/" % (kind, args.tools[0])  # what every client downloads
            log("%s files: %d × %s" % (kind, data.count, human(max(data.files.values()))))
            if "%s-up" % kind in workloads or "%s-down" % kind in workloads:
                for name in args.tools:
                    tool = tools[name]
                    prefix = "%s/%s/" % (kind, name)
                    if "%s-up" % kind not in workloads and name != args.tools[0]:
                        continue

                    def check_upload(i, last, prefix=prefix, name=name):
                        listed = bucket.listing(prefix)
                        if listed != data.files:
                            raise RuntimeError("%s uploaded %d objects, %d bytes under %s; want "
                                               "%d, %d" % (name, len(listed),
                                                           sum(listed.values()), prefix,
                                                           data.count, data.bytes))
                        if prefix != source or not last:
                            bucket.delete_prefix(prefix)

                    if "%s-up" % kind in workloads:
                        measure(tool, kind, "up",
                                lambda i, tool=tool, prefix=prefix: tool.upload(data.root,
                                                                                prefix),
                                check_upload)
                    else:  # only downloads asked for: load the source untimed
                        run_client(tool, tool.upload(data.root, prefix), server, "load", 0)
            if kind == "large" and args.rate_seconds > 0 and not args.profile:
                rates = server_rates(server, bucket, tmp, source, data, args.rate_seconds,
                                     args.settle)
                rates["write"] = local_write_rate(tmp, data, args.settle)
                log("  local writes of %d new files in 128 KiB pieces, one thread each: %.0f MB/s"
                    % (data.count, rates["write"]["mbps"]))
            if "%s-down" % kind in workloads:
                if kind == "small":
                    deletions.wait_quiet()
                for name in args.tools:
                    tool = tools[name]
                    dest = {}

                    def argv_for(i, tool=tool, name=name, dest=dest):
                        dest["path"] = os.path.join(tmp, "download-%s-%s-%d" % (kind, name, i))
                        os.makedirs(dest["path"])
                        return tool.download(source, dest["path"])

                    def check_download(i, last, dest=dest):
                        if i == 0:
                            verify_download(data, dest["path"], rng)
                        # Many small files stay until the workload ends: this ext4 has no
                        # journal, and without one it skips inodes freed in the last minutes
                        # when it allocates new ones, reading the inode table for each; a
                        # client that ran after another one's tree was deleted would pay that.
                        if kind != "small":
                            shutil.rmtree(dest["path"])
                            deletions.deleted()

                    measure(tool, kind, "down", argv_for, check_download)
            bucket.delete_prefix("%s/" % kind)
            for name in os.listdir(tmp):
                if name.startswith("download-%s-" % kind):
                    shutil.rmtree(os.path.join(tmp, name))
            shutil.rmtree(data.root)  # frees the disk before the next workload
            deletions.deleted()

        print()
        print(TABLE_HEAD)
        for (tool, case), r in results.items():
            print(fmt_row(case, tool, r, datasets[case.split("-")[0]]))
        lines, met_all = ratio_lines(results, rates, datasets)
        print()
        for name, r in sorted(rates.items()):
            print("%s: %.0f MB/s" % ("local write ceiling" if name == "write" else
                                     "server's own %s rate" % name.upper(), r["mbps"]))
        for line in lines:
            print(line.replace("**", ""))
        for n in notes:
            print(n)
        if args.profile:
            for path, pid, case in profiles:
                for who, who_pid in (("client", pid), ("server", server.proc.pid)):
                    text = profile_report(path, who_pid, who, args.profile)
                    with open(os.path.join(args.profile, "%s-%s.txt" % (case, who)), "w") as f:
                        f.write(text + "\n")
                    log("\nwhere ferry %s spends its CPU in %s:\n    %s" %
                        (who, case, text.replace("\n", "\n    ")))
            print("\nperf data in %s (perf report -i FILE --pid PID --no-children)" %
                  args.profile)
        elif args.results:
            rclone_v = rclone_version()
            for t in tools.values():
                if t.name == "rclone":
                    t.flags = t.flags.replace("(1.60;", "(%s;" % rclone_v)
            write_results(args.results, machine, args, tools, datasets, results, rates, notes)
            print("\nwritten to %s" % args.results)
        if args.keep_server:
            input("server at %s; Enter to stop " % server.endpoint)
        print("transfer benchmark took %.0f s" % (time.time() - t_start))
        return 0
    finally:
        for proc in reversed(started):
            proc.stop()
        signal.signal(signal.SIGTERM, old_term)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
