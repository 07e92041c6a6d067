#!/usr/bin/python3
"""Where ferry's CPU time goes: buckets the samples of a `perf record --call-graph dwarf` file.

Each sample of the given command (comm) is put in the first bucket whose pattern matches any
frame of its stack, so the order of BUCKETS decides ties (MD5 inside the store's commit counts
as MD5). Samples matching none are listed by their leaf symbol.

Usage: /usr/bin/python3 bench/perf_breakdown.py perf.data [--comm ferry | --pid PID] [--client]
(bench/server_bench.py --profile DIR runs it for every ferry case; bench/transfer_bench.py
--profile DIR for the client, `--client` buckets, and the server of every ferry case.)
"""
import argparse
import collections
import re
import subprocess
import sys

BUCKETS = [
    ("MD5 of the body (ETag)", r"MD5_Update|md5_block"),
    ("SHA-256 / CRC of the body", r"SHA256_Update|sha256_block|crc32"),
    ("SigV4 verification", r"S3Handler::Authenticate"),
    ("fsync / fdatasync", r"fdatasync|do_fsync|__x64_sys_fsync"),
    ("store: SQLite checkpoint", r"Checkpointer::Loop|WalCheckpoint"),
    ("store: pack file write", r"PackStore"),
    ("store: blob file write", r"BlobSink|BlobStore::Create"),
    ("store: index delete of the old version", r"index::DeleteObject"),
    ("store: index insert", r"index::PutObject"),
    ("store: SQLite WAL write", r"sqlite3WalFrames"),
    ("store: group commit (BEGIN/COMMIT, queue)", r"GroupCommitter::"),
    ("store: open object (index lookup, open fd)", r"OpenLocalReader|LocalStore::OpenObject|"
     r"LocalStore::HeadObject"),
    ("store: body staging copy", r"BodyStager::Append"),
    ("http: sendfile (kernel TCP send)", r"sendfile|SendFileZeroCopy"),
    ("http: receive body (kernel TCP receive)", r"Exchange<.*>::Read|ReadDirect|sync_recv|"
     r"__libc_recv"),
    ("http: read and parse request head", r"read_header"),
    ("http: write response head", r"SendEmpty|Respond|WriteHead|WriteRaw|WriteMore"),
    ("page faults", r"exc_page_fault"),
    ("memset (zeroing buffers)", r"__memset"),
    ("malloc / free", r"malloc|_int_free|cfree"),
    ("scheduler / futex", r"schedule|futex"),
]

# The same for a transfer client (ferry cp): where the CPU of moving files goes.
CLIENT_BUCKETS = [
    ("MD5 (ETag check)", r"MD5_Update|md5_block"),
    ("CRC32C / SHA-256 of the body", r"crc32|SHA256_Update|sha256_block"),
    ("SigV4 signing (HMAC, canonical request)", r"SigV4|Sign[A-Z]|HMAC"),
    ("curl: send body (read file, kernel TCP send)", r"OnRead|sendmsg|__send|tcp_sendmsg"),
    ("curl: receive (kernel TCP receive, copy to sink)", r"OnWrite|recvfrom|__recv|tcp_recvmsg"),
    ("write to local files (pwrite)", r"PwriteAll|__libc_pwrite|ksys_pwrite"),
    ("read local files (pread)", r"__libc_pread|ksys_pread"),
    ("open / create / rename / stat files", r"do_sys_open|do_filp_open|__x64_sys_rename|"
     r"do_renameat|statx|newfstat|__x64_sys_unlink|do_mkdirat|CreateTempBeside"),
    ("close / file attributes (chmod, utimes)", r"__x64_sys_close|fchmod|utimes"),
    ("directory walk", r"recursive_directory_iterator|getdents"),
    ("XML parsing (listings, errors)", r"pugi::"),
    ("curl: connection and request setup", r"curl_easy|Curl_|multi_runsingle|curl_multi"),
    ("thread pool / scheduler / futex", r"ThreadPool::|schedule|futex"),
    ("page faults", r"exc_page_fault"),
    ("memset (zeroing buffers)", r"__memset"),
    ("malloc / free", r"malloc|_int_free|cfree"),
]


def breakdown(lines, buckets=None):
    counts = collections.Counter()
    total = 0
    stack = []

    def flush():
        nonlocal total
        if not stack:
            return
        total += 1
        text = "\n".join(stack)
        for name, pattern in buckets or BUCKETS:
            if re.search(pattern, text):
                counts[name] += 1
                return
        counts["other: " + stack[0].split(None, 1)[-1][:60]] += 1

    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            flush()
            stack = []
        elif line[:1] in (" ", "\t"):
            stack.append(line.strip())
    flush()
    return counts, total


def report(perf_data, comm="ferry", min_share=0.01, pid=None, buckets=None):
    """The breakdown of the samples of comm, or of process pid when given."""
    select = ["--pid", str(pid)] if pid else ["--comm", comm]
    who = "pid %s" % pid if pid else comm
    out = subprocess.run(["perf", "script", "-i", perf_data] + select + ["-F", "comm,ip,sym"],
                         capture_output=True, text=True)
    counts, total = breakdown(out.stdout.splitlines(), buckets)
    if total == 0:
        return "no samples of %s in %s" % (who, perf_data)
    lines = ["%d samples of %s" % (total, who)]
    rest = 0
    for name, n in counts.most_common():
        if name.startswith("other:") and n / total < min_share:
            rest += n
            continue
        lines.append("%6.1f%%  %s" % (100 * n / total, name))
    lines.append("%6.1f%%  other (each < %.0f%%)" % (100 * rest / total, 100 * min_share))
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("perf_data")
    p.add_argument("--comm", default="ferry")
    p.add_argument("--pid", type=int, help="only this process (instead of --comm)")
    p.add_argument("--client", action="store_true",
                   help="buckets for a transfer client instead of the server")
    args = p.parse_args()
    print(report(args.perf_data, args.comm, pid=args.pid,
                 buckets=CLIENT_BUCKETS if args.client else None))


if __name__ == "__main__":
    sys.exit(main())
