#!/usr/bin/env python3
"""ferry gateway vs rclone mount (--vfs-cache-mode writes) vs s3fs, writing into one ferry serve.

Each case times until the data is in the bucket (polled with ListObjectsV2 or HeadObject), not
until the writer returns: that is when a file share's job is done.
  (a) tarball  extract a tarball of --files files of 4–200 KiB into the mount (tar -x)
  (b) seq      write --seq-size sequentially (dd, 1 MiB blocks), vs `ferry cp` of the same file
  (c) patch    change 1 MiB in the middle of a --patch-size file that is already in the bucket
  (d) smb      (a) through the gateway's SMB export (smbclient -Tx), ferry only

All three upload a file as soon as it is closed: ferry with --settle 0s, rclone with
--vfs-write-back 0s (the defaults, 5s each, only add the same wait to both), s3fs always does.
Targets: (a) ≥ 3× rclone; (b) ≥ 0.8× ferry cp; (c) ≥ 10× rclone. Prints the table and the
ratios; writes its section of RESULTS.md.
"""
import argparse
import io
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from server_bench import (free_port, log, machine_description, machine_line,  # noqa: E402
                          source_description, start_ferry, write_section)
from transfer_bench import (BUCKET, KIB, MIB, clean_env, client_credentials, human,  # noqa: E402
                            parse_size, rclone_version, write_rclone_config)
from mount_bench import Mount  # noqa: E402

SECTION_TITLE = "## Gateway: ferry gateway vs rclone mount vs s3fs (writes until in the bucket)"


class Writer(Mount):
    """One writable mount of the bucket's prefix; the gateway stops on SIGTERM (its exports
    first), the others by unmounting."""

    def __init__(self, name, argv, env, mnt, log_path):
        self.name = name
        self.mnt = mnt
        super().__init__(argv, env, mnt, log_path, name)

    def stop(self):
        if self.name == "ferry":
            self.proc.terminate()
        else:
            subprocess.run(["fusermount3", "-u", "-z", self.mnt], capture_output=True)
        try:
            self.proc.wait(timeout=600)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        subprocess.run(["fusermount3", "-u", "-z", self.mnt], capture_output=True)
        self.log.close()


class Bench:
    def __init__(self, ferry, server, tmp):
        self.ferry = ferry
        self.server = server
        self.tmp = tmp
        self.env = clean_env(tmp, client_credentials(server, tmp))
        self.env["AWS_ENDPOINT_URL"] = server.endpoint
        self.rclone_config = write_rclone_config(tmp, server)
        self.s3fs_passwd = os.path.join(tmp, "s3fs.passwd")
        with open(self.s3fs_passwd, "w") as f:
            f.write("%s:%s\n" % (server.access_key, server.secret_key))
        os.chmod(self.s3fs_passwd, 0o600)
        self.s3 = server.client()
        self.count = 0

    def writer(self, name, prefix, smb_port=None):
        self.count += 1
        base = os.path.join(self.tmp, "%s-%d" % (name, self.count))
        mnt, cache = base + "-mnt", base + "-cache"
        if name == "ferry":
            argv = [self.ferry, "gateway", "s3://%s/%s" % (BUCKET, prefix), mnt, "--foreground",
                    "--cache-dir", cache, "--cache-size", "8G", "--settle", "0s",
                    "--max-dirty", "6G"]
            if smb_port:
                argv += ["--smb", "bench", "--smb-port", str(smb_port)]
        elif name == "rclone":
            argv = ["rclone", "mount", "--config", self.rclone_config,
                    "ferry:%s/%s" % (BUCKET, prefix), mnt, "--vfs-cache-mode", "writes",
                    "--vfs-write-back", "0s", "--cache-dir", cache, "--transfers", "8"]
        elif name == "s3fs":
            argv = ["s3fs", "%s:/%s" % (BUCKET, prefix.rstrip("/")), mnt, "-f", "-o",
                    "url=%s,use_path_request_style,passwd_file=%s,endpoint=us-east-1,"
                    "parallel_count=16,multipart_size=16" % (self.server.endpoint,
                                                              self.s3fs_passwd)]
        else:
            raise ValueError(name)
        w = Writer(name, argv, self.env, mnt, base + ".log")
        if smb_port:
            deadline = time.time() + 30
            while subprocess.run(["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/%d" % smb_port],
                                 capture_output=True).returncode != 0:
                if time.time() > deadline:
                    raise RuntimeError("smbd did not listen")
                time.sleep(0.1)
        return w

    def listed(self, prefix):
        """(count, bytes) of the objects under prefix (directory markers not counted)."""
        count = total = 0
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET,
                                                                      Prefix=prefix):
            for o in page.get("Contents", []):
                if not o["Key"].endswith("/"):
                    count += 1
                    total += o["Size"]
        return count, total

    def wait_listed(self, prefix, count, total, start, timeout=1800):
        while True:
            if self.listed(prefix) == (count, total):
                return time.time() - start
            if time.time() - start > timeout:
                raise RuntimeError("%s: not all in the bucket after %d s" % (prefix, timeout))
            time.sleep(0.1)

    def wait_etag_changes(self, key, old, start, timeout=1800):
        while True:
            try:
                etag = self.s3.head_object(Bucket=BUCKET, Key=key)["ETag"]
                if etag != old:
                    return time.time() - start
            except Exception:  # noqa: BLE001 (the key may be missing a moment)
                pass
            if time.time() - start > timeout:
                raise RuntimeError("%s did not change in %d s" % (key, timeout))
            time.sleep(0.1)


def make_tarball(path, files, seed):
    rng = random.Random(seed)
    total = 0
    with tarfile.open(path, "w") as tar:
        for i in range(files):
            size = rng.randint(4 * KIB, 200 * KIB)
            total += size
            info = tarfile.TarInfo("d%02d/f%05d.bin" % (i % 50, i))
            info.size = size
            tar.addfile(info, io.BytesIO(os.urandom(size)))
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ferry")
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--seq-size", default="2G")
    ap.add_argument("--patch-size", default="1G")
    ap.add_argument("--tools", default="ferry,rclone,s3fs")
    ap.add_argument("--cases", default="abcd", help="which cases to run (default: abcd)")
    ap.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    args = ap.parse_args()
    tools = args.tools.split(",")
    seq_size = parse_size(args.seq_size)
    patch_size = parse_size(args.patch_size)
    tmp = tempfile.mkdtemp(prefix="ferry-gw-bench-")
    server = start_ferry(args.ferry, tmp, "serve")
    results = {}
    try:
        bench = Bench(args.ferry, server, tmp)
        bench.s3.create_bucket(Bucket=BUCKET)
        tarball = os.path.join(tmp, "files.tar")
        tar_bytes = make_tarball(tarball, args.files, 7)
        big = os.path.join(tmp, "seq.bin")
        subprocess.run(["dd", "if=/dev/urandom", "of=" + big, "bs=1M",
                        "count=%d" % (seq_size // MIB), "status=none"], check=True)
        patch_src = os.path.join(tmp, "patch.bin")
        subprocess.run(["dd", "if=/dev/urandom", "of=" + patch_src, "bs=1M",
                        "count=%d" % (patch_size // MIB), "status=none"], check=True)
        log("tarball: %d files, %s; sequential file %s" % (args.files, human(tar_bytes),
                                                            human(seq_size)))
        for tool in tools:
            if "a" not in args.cases:
                break
            # (a) the tarball
            prefix = "a-%s/" % tool
            w = bench.writer(tool, prefix)
            os.sync()  # what earlier cases left to write back is not this one's cost
            start = time.time()
            subprocess.run(["tar", "-xf", tarball, "-C", w.mnt], check=True)
            results[("a", tool)] = bench.wait_listed(prefix, args.files, tar_bytes, start)
            w.stop()
            log("(a) %s: %.1f s" % (tool, results[("a", tool)]))
        for tool in tools:
            if "b" not in args.cases:
                break
            # (b) sequential
            prefix = "b-%s/" % tool
            w = bench.writer(tool, prefix)
            os.sync()  # what earlier cases left to write back is not this one's cost
            start = time.time()
            subprocess.run(["dd", "if=" + big, "of=" + os.path.join(w.mnt, "seq.bin"), "bs=1M",
                            "status=none"], check=True)
            results[("b", tool)] = bench.wait_listed(prefix, 1, seq_size, start)
            w.stop()
            log("(b) %s: %.1f s" % (tool, results[("b", tool)]))
        os.sync()
        start = time.time()
        if "b" in args.cases:
            subprocess.run([args.ferry, "cp", big, "s3://%s/b-cp/seq.bin" % BUCKET], env=bench.env,
                           check=True, capture_output=True)
            results[("b", "ferry cp")] = time.time() - start
        # (c) a 1 MiB change in the middle of a large object
        for tool in tools:
            if "c" not in args.cases:
                break
            prefix = "c-%s/" % tool
            subprocess.run([args.ferry, "cp", patch_src,
                            "s3://%s/%spatched.bin" % (BUCKET, prefix)], env=bench.env,
                           check=True, capture_output=True)
            key = prefix + "patched.bin"
            old = bench.s3.head_object(Bucket=BUCKET, Key=key)["ETag"]
            w = bench.writer(tool, prefix)
            os.sync()  # what earlier cases left to write back is not this one's cost
            start = time.time()
            with open(os.path.join(w.mnt, "patched.bin"), "r+b") as f:
                f.seek(patch_size // 2)
                f.write(os.urandom(MIB))
            results[("c", tool)] = bench.wait_etag_changes(key, old, start)
            w.stop()
            log("(c) %s: %.1f s" % (tool, results[("c", tool)]))
        # (d) the tarball through SMB
        if "d" in args.cases and "ferry" in tools and shutil.which("smbclient"):
            port = free_port()
            w = bench.writer("ferry", "d-ferry/", smb_port=port)
            os.sync()  # what earlier cases left to write back is not this one's cost
            start = time.time()
            subprocess.run(["smbclient", "-p", str(port), "-N", "//127.0.0.1/bench", "-Tx",
                            tarball], check=True, capture_output=True)
            results[("d", "ferry")] = bench.wait_listed("d-ferry/", args.files, tar_bytes, start)
            w.stop()
            log("(d) ferry via smb: %.1f s" % results[("d", "ferry")])
    finally:
        server.proc.stop()

    lines = ["| case | %s |" % " | ".join(tools + ["ferry cp"]),
             "|---|" + "---|" * (len(tools) + 1)]
    names = {"a": "(a) %d files of 4–200 KiB (%s), tar -x" % (args.files, human(tar_bytes)),
             "b": "(b) %s written sequentially" % human(seq_size),
             "c": "(c) 1 MiB changed in a %s file" % human(patch_size),
             "d": "(d) (a) through SMB (smbclient -Tx)"}
    for case in "abcd":
        cells = []
        for tool in tools + ["ferry cp"]:
            t = results.get((case, tool))
            cells.append("%.1f s" % t if t is not None else "–")
        lines.append("| %s | %s |" % (names[case], " | ".join(cells)))
    ratios = []
    if ("a", "rclone") in results:
        ratios.append("(a) ferry vs rclone: %.1f× (target ≥ 3×)" %
                      (results[("a", "rclone")] / results[("a", "ferry")]))
    if ("a", "s3fs") in results:
        ratios.append("(a) ferry vs s3fs: %.1f×" % (results[("a", "s3fs")] / results[("a", "ferry")]))
    if ("b", "ferry cp") in results and ("b", "ferry") in results:
        ratios.append("(b) ferry gateway vs ferry cp: %.2f× of cp's rate (target ≥ 0.8×)" %
                      (results[("b", "ferry cp")] / results[("b", "ferry")]))
    if ("c", "rclone") in results:
        ratios.append("(c) ferry vs rclone: %.1f× (target ≥ 10×)" %
                      (results[("c", "rclone")] / results[("c", "ferry")]))
    text = "\n".join(lines) + "\n\n" + "\n".join("- " + r for r in ratios)
    print(text)
    machine = machine_description()
    machine["source"] = source_description(args.ferry)
    section = (SECTION_TITLE + "\n\n" + machine_line(machine) + " rclone " + rclone_version() +
               ", s3fs 1.90, Samba 4.17.\n\n" +
               "`/usr/bin/python3 bench/gateway_bench.py build/ferry` (" + __doc__.strip().split(
                   "\n")[0] + ")\n\n" + text + "\n")
    write_section(args.results, SECTION_TITLE, section)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
