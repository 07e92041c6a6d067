#!/usr/bin/env python3
"""ferry sync vs rclone sync vs aws s3 sync against one ferry serve, in one run.

Cases (each client syncs the same local tree to its own prefix):
  first     first sync of --first-files files of --first-size (10,000 × 64 KiB)
  noop      re-sync of an unchanged tree of --noop-files files (100,000 × 1 KiB)
  changed   re-sync of that tree after --changed-percent (1 %) of its files were rewritten

Before `noop`, every client's prefix is loaded untimed: ferry and rclone by their own sync
(so each finds the metadata it writes), the AWS CLI's by `ferry cp` (its sync compares size
and Last-Modified only, and uploading 100,000 files with it takes minutes).

With --scale N, only ferry runs: a first sync and a no-op re-sync of N empty files, with the
peak RSS of each (`make bench-scale`: N = 1,000,000).

Prints wall time, client CPU, peak RSS and the ratios; writes its section of RESULTS.md.
"""
import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from server_bench import (log, machine_description, machine_line, process_cpu_seconds,  # noqa: E402
                          source_description, start_ferry, wait_until_quiet, write_section)
from transfer_bench import (AWS_CLI, BUCKET, KIB, RCLONE, TRANSFERS, DeletionClock,  # noqa: E402
                            aws_version, clean_env, client_credentials, human, rclone_version,
                            settle, write_rclone_config)

SECTION_TITLE = "## Migration: ferry sync vs rclone sync vs aws s3 sync"
SCALE_TITLE = "## Migration at scale: ferry sync of a million files"
TARGETS = {"first": 2.0, "noop": 5.0, "changed": 3.0}


def make_tree(root, count, size, seed=1):
    """count files of size bytes, 100 per directory."""
    rng = random.Random(seed)
    block = rng.randbytes(max(size, 1) + 4096)
    for i in range(count):
        d = os.path.join(root, "d%04d" % (i // 100))
        if i % 100 == 0:
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "f%07d.bin" % i), "wb") as f:
            off = (i * 7919) % 4096
            f.write(block[off:off + size])


def change_files(root, count, percent, size, seed=2):
    """Rewrites percent % of the files (new bytes, same size, new mtime); returns how many."""
    rng = random.Random(seed)
    n = max(1, count * percent // 100)
    for i in rng.sample(range(count), n):
        path = os.path.join(root, "d%04d" % (i // 100), "f%07d.bin" % i)
        with open(path, "wb") as f:
            f.write(rng.randbytes(size))
        os.utime(path, ns=(time.time_ns() + 1_000_000_000,) * 2)
    return n


class Client:
    def __init__(self, name, env, argv, describe):
        self.name = name
        self.env = env
        self.argv = argv  # (src, prefix) → argv
        self.describe = describe


def make_clients(ferry, server, tmp):
    creds = client_credentials(server, tmp)
    state = os.path.join(tmp, "ferry-state")
    ferry_flags = ["--transfers", str(TRANSFERS), "--state-dir", state, "--json", "--delete"]
    clients = {"ferry": Client(
        "ferry", clean_env(tmp, dict(creds, AWS_ENDPOINT_URL=server.endpoint)),
        lambda src, prefix: [ferry, "sync", src, "s3://%s/%s" % (BUCKET, prefix)] + ferry_flags,
        "`ferry sync SRC DST %s`" % " ".join(ferry_flags))}
    rclone_conf = write_rclone_config(tmp, server)
    rclone_flags = ["--transfers", str(TRANSFERS), "--checkers", str(TRANSFERS),
                    "--s3-no-check-bucket", "--retries", "1"]
    clients["rclone"] = Client(
        "rclone", clean_env(tmp, {"RCLONE_CONFIG": rclone_conf}),
        lambda src, prefix: [RCLONE, "--config", rclone_conf, "sync", src,
                             "ferry:%s/%s" % (BUCKET, prefix.rstrip("/"))] + rclone_flags,
        "`rclone sync SRC DST %s` (%s)" % (" ".join(rclone_flags), rclone_version()))
    aws_conf = os.path.join(tmp, "aws-config")
    with open(aws_conf, "w") as f:
        f.write("[default]\nregion = us-east-1\ns3 =\n    max_concurrent_requests = %d\n"
                "    max_queue_size = 10000\n    addressing_style = path\n" % TRANSFERS)
    aws_flags = ["--endpoint-url", server.endpoint, "--only-show-errors", "--no-progress",
                 "--delete"]
    clients["aws"] = Client(
        "aws", clean_env(tmp, dict(creds, AWS_CONFIG_FILE=aws_conf)),
        lambda src, prefix: [AWS_CLI, "s3", "sync", src, "s3://%s/%s" % (BUCKET, prefix)] +
        aws_flags,
        "`aws s3 sync SRC DST %s` (AWS CLI %s, max_concurrent_requests = %d)" %
        (" ".join(aws_flags), aws_version(), TRANSFERS))
    return clients


def run(client, argv, server, label):
    """Runs one client; returns seconds, client CPU, peak RSS (MiB), server CPU, summary."""
    settle(2)
    server0 = process_cpu_seconds([server.proc.pid])
    t0 = time.monotonic()
    out_path = os.path.join(tempfile.gettempdir(), "ferry-sync-bench-%d.out" % os.getpid())
    with open(out_path, "w+") as out:
        proc = subprocess.Popen(argv, env=client.env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - t0
        out.seek(0)
        text = out.read()
    os.remove(out_path)
    server_cpu = process_cpu_seconds([server.proc.pid]) - server0
    if proc.returncode != 0:
        raise RuntimeError("%s failed (exit %d): %s\n%s" % (label, proc.returncode,
                                                              " ".join(argv), text[-3000:]))
    summary = None
    if client.name == "ferry":
        summary = json.loads(text.strip().splitlines()[-1])
    r = {"seconds": seconds, "client_cpu": usage.ru_utime + usage.ru_stime,
         "rss_mib": usage.ru_maxrss / 1024, "server_cpu": server_cpu, "summary": summary}
    log("  %-8s %-8s %8.2f s  client CPU %7.2f s  peak RSS %7.0f MiB  server CPU %6.2f s%s" % (
        client.name, label, seconds, r["client_cpu"], r["rss_mib"], server_cpu,
        "  (%d transferred, %d requests)" % (summary["transferred"], summary["requests"])
        if summary else ""))
    return r


def met(ok):
    return "met" if ok else "NOT met"


def scale_run(args, ferry, server, clients, tmp, machine):
    root = os.path.join(tmp, "scale")
    t0 = time.time()
    make_tree(root, args.scale, 0)
    log("generated %d empty files in %.0f s" % (args.scale, time.time() - t0))
    c = clients["ferry"]
    first = run(c, c.argv(root, "scale/"), server, "first")
    noop = run(c, c.argv(root, "scale/"), server, "no-op")
    body = [SCALE_TITLE + " (bench/sync_bench.py --scale)", "",
            machine_line(machine), "",
            "| case | files | seconds | client CPU s | peak RSS MiB |", "|---|---:|---:|---:|---:|",
            "| first sync | %d | %.1f | %.1f | %.0f |" % (args.scale, first["seconds"],
                                                        first["client_cpu"], first["rss_mib"]),
            "| no-op re-sync | %d | %.1f | %.1f | %.0f |" % (args.scale, noop["seconds"],
                                                           noop["client_cpu"], noop["rss_mib"]),
            "", "Targets: first sync <= 60 s — %s (%.1f s); client CPU <= 40 µs per file — %s "
                "(%.0f µs); no-op re-sync <= 5 s — %s (%.1f s); peak RSS under 1 GiB — %s." % (
                met(first["seconds"] <= 60), first["seconds"],
                met(first["client_cpu"] / args.scale <= 40e-6), first["client_cpu"] / args.scale * 1e6,
                met(noop["seconds"] <= 5), noop["seconds"],
                met(max(first["rss_mib"], noop["rss_mib"]) < 1024))]
    if args.results:
        write_section(args.results, SCALE_TITLE, "\n".join(body) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("ferry")
    p.add_argument("--clients", default="ferry,rclone,aws")
    p.add_argument("--first-files", type=int, default=10000)
    p.add_argument("--first-size", type=int, default=64 * KIB)
    p.add_argument("--first-runs", type=int, default=2,
                   help="first syncs per client (the AWS CLI's once: it takes minutes)")
    p.add_argument("--noop-files", type=int, default=100000)
    p.add_argument("--noop-size", type=int, default=KIB)
    p.add_argument("--changed-percent", type=int, default=1)
    p.add_argument("--scale", type=int, default=0, help="only ferry, N empty files")
    p.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    args = p.parse_args()
    ferry = os.path.abspath(args.ferry)
    names = [n for n in args.clients.split(",") if n]
    for tool in {"rclone": RCLONE, "aws": AWS_CLI}.items():
        if tool[0] in names and shutil.which(tool[1]) is None:
            sys.exit("sync_bench: %s not found; run scripts/install-deps.sh" % tool[1])
    machine = machine_description()
    machine["source"] = source_description(ferry)
    tmp = tempfile.mkdtemp(prefix="ferry-bench-sync-")
    server = None
    t_start = time.time()
    try:
        server = start_ferry(ferry, tmp, "server")
        log("ferry serve on %s (data in %s)" % (server.endpoint, tmp))
        clients = make_clients(ferry, server, tmp)
        subprocess.run([ferry, "mb", "s3://" + BUCKET], env=clients["ferry"].env, check=True,
                       capture_output=True)
        if args.scale:
            return scale_run(args, ferry, server, clients, tmp, machine)
        deletions = DeletionClock()
        first_root = os.path.join(tmp, "first")
        make_tree(first_root, args.first_files, args.first_size)
        noop_root = os.path.join(tmp, "noop")
        make_tree(noop_root, args.noop_files, args.noop_size, seed=3)
        log("generated %d × %s and %d × %s" % (args.first_files, human(args.first_size),
                                                args.noop_files, human(args.noop_size)))
        deletions.wait_quiet()
        busy = wait_until_quiet(0.25, 45)
        results = {}
        log("(a) first sync of %d × %s (best of %d, each into a new prefix)" %
            (args.first_files, human(args.first_size), args.first_runs))
        for n in names:
            c = clients[n]
            runs = [run(c, c.argv(first_root, "first-%s-%d/" % (n, i)), server, "first")
                    for i in range(args.first_runs if n != "aws" else 1)]
            results[(n, "first")] = min(runs, key=lambda r: r["seconds"])
        log("(b) no-op re-sync of %d files (after an untimed load)" % args.noop_files)
        for n in names:
            c = clients[n]
            prefix = "noop-%s/" % n
            if n == "aws":
                subprocess.run([ferry, "cp", "-r", noop_root, "s3://%s/%s" % (BUCKET, prefix),
                                "--quiet", "--no-preserve"], env=clients["ferry"].env,
                               check=True)
            else:
                run(c, c.argv(noop_root, prefix), server, "load")
        for n in names:
            c = clients[n]
            results[(n, "noop")] = run(c, c.argv(noop_root, "noop-%s/" % n), server, "no-op")
        changed = change_files(noop_root, args.noop_files, args.changed_percent, args.noop_size)
        log("(c) re-sync after %d files changed" % changed)
        for n in names:
            c = clients[n]
            results[(n, "changed")] = run(c, c.argv(noop_root, "noop-%s/" % n), server,
                                          "changed")
        lines = []
        for case in ("first", "noop", "changed"):
            if ("ferry", case) not in results:
                continue
            f = results[("ferry", case)]["seconds"]
            for n in names[1:]:
                ratio = results[(n, case)]["seconds"] / f
                target = TARGETS[case] if n == "rclone" else None
                verdict = (" (target ≥ %g×) — %s" % (target, "met" if ratio >= target
                                                      else "NOT met")) if target else \
                    " (for information)"
                lines.append("- %s: ferry is **%.2f×** %s%s" % (case, ratio, n, verdict))
        print()
        for line in lines:
            print(line)
        if args.results:
            body = [SECTION_TITLE + " (bench/sync_bench.py)", "",
                    "Against one `ferry serve` (fsync on) on the same machine. (a) first sync "
                    "of %d × %s files (best of %d runs, each into a new prefix; the AWS CLI "
                    "once); (b) no-op re-sync of %d × %s files; (c) re-sync after "
                    "%d %% of them were rewritten (same size, new mtime). Each client syncs to "
                    "its own prefix; before (b) ferry and rclone load theirs with their own "
                    "sync, the AWS CLI's is loaded by `ferry cp` (it compares size and "
                    "Last-Modified only)." % (args.first_files, human(args.first_size),
                                              args.first_runs,
                                              args.noop_files, human(args.noop_size),
                                              args.changed_percent), "",
                    "Clients: " + "; ".join(clients[n].describe for n in names) + ".", "",
                    machine_line(machine, busy), "",
                    "| case | client | seconds | client CPU s | peak RSS MiB | server CPU s |",
                    "|---|---|---:|---:|---:|---:|"]
            for (n, case), r in results.items():
                body.append("| %s | %s | %.2f | %.2f | %.0f | %.2f |" % (
                    case, n, r["seconds"], r["client_cpu"], r["rss_mib"], r["server_cpu"]))
            body += ["", "Ratios (wall time):", ""] + lines
            write_section(args.results, SECTION_TITLE, "\n".join(body) + "\n")
        log("sync benchmark took %.0f s" % (time.time() - t_start))
    finally:
        if server:
            server.proc.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
