#!/usr/bin/env python3
"""ferry mount vs s3fs vs rclone mount (--vfs-cache-mode full) against one ferry serve.

Cases, all in one run on the same generated data:
  cold-seq    a 2 GiB file read sequentially through a fresh mount with an empty cache;
              also `ferry cat` (a raw parallel GET) as the network ceiling
  warm-seq    the same file again after a remount (ferry: from its block cache), vs the
              libfuse passthrough example over a local copy, and the local copy itself
  epoch-cold  10,000 × 100 KiB files listed (os.walk), then read whole by 4 threads in a
              shuffled order, through a fresh mount with an empty cache
  epoch-warm  the same epoch again after a remount

Cold cases run first, on fresh mounts and caches, each the best of --cold-runs runs (2) for
every reader alike, since runs on a small VM vary by a third; then, before every warm read, the
kernel's page cache is dropped (when the machine allows it), so local disks and cache files are read
from disk, not from memory. Before every timed read the server's files are read into memory, so the store answers as a remote store with its own disks would, and
the server's disk is not what every reader measures.

Each mount gets a new cache directory and none is deleted before the end: creating files
right after deleting many is slow on ext4 (it skips recently freed inodes), which would tax
whoever runs next.

ferry also runs the cold epoch with the shuffled order handed to the mount
first (`ferry cache prefetch --order`), as a training job's sampler would.

Targets: cold-seq ≥ 0.8× raw GET and ≥ 2× s3fs; warm-seq ≥ 0.8× FUSE passthrough; epoch-cold
≥ 3× s3fs. Prints the table and the ratios; writes its section of RESULTS.md.
"""
import argparse
import concurrent.futures
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from server_bench import (log, machine_description, machine_line, source_description,  # noqa: E402
                          start_ferry, wait_until_quiet, write_section)
from transfer_bench import (BUCKET, KIB, MIB, DeletionClock, clean_env,  # noqa: E402
                            client_credentials, human, rclone_version, write_rclone_config)

SECTION_TITLE = "## Mount: ferry mount vs s3fs vs rclone mount"
PASSTHROUGH_SOURCE = "/usr/share/doc/libfuse3-dev/examples/passthrough.c"
READ_CHUNK = MIB
EPOCH_THREADS = 4
EPOCH_SEED = 11


def free_memory_goes_back_to_host():
    """What `ferry mount --drop-behind auto` looks at (src/core/host_memory.h): a virtio
    balloon that reports free pages to the host."""
    root = "/sys/bus/virtio/devices"
    for dev in os.listdir(root) if os.path.isdir(root) else []:
        try:
            with open(os.path.join(root, dev, "device")) as f:
                if f.read().strip() != "0x0005":
                    continue
            with open(os.path.join(root, dev, "features")) as f:
                features = f.read().strip()
        except OSError:
            continue
        if len(features) > 5 and features[5] == "1":
            return True
    return False


def drop_page_cache():
    subprocess.run(["sync"], check=True)
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def read_file(path):
    """Reads path sequentially in READ_CHUNK pieces; returns the byte count."""
    total = 0
    buf = bytearray(READ_CHUNK)
    fd = os.open(path, os.O_RDONLY)
    try:
        view = memoryview(buf)
        while True:
            n = os.readv(fd, [view])
            if n == 0:
                return total
            total += n
    finally:
        os.close(fd)


def read_epoch(root, expected, before_reading=None):
    """One epoch as a data loader runs it over a tree: lists the dataset (os.walk, as
    torchvision's ImageFolder does), shuffles the list (sorted, then a fixed seed: every reader
    reads the same order), and reads every file whole with EPOCH_THREADS threads. The listing
    counts in the epoch's time. before_reading(order) runs between the two (ferry+prefetch
    hands the order to the mount there, as a training job's sampler would)."""
    names = sorted(os.path.relpath(os.path.join(d, f), root)
                   for d, _, fs in os.walk(os.path.join(root, "small")) for f in fs)
    if len(names) != expected:
        raise RuntimeError("%s lists %d files, not %d" % (root, len(names), expected))
    random.Random(EPOCH_SEED).shuffle(names)
    if before_reading:
        before_reading(names)
    with concurrent.futures.ThreadPoolExecutor(EPOCH_THREADS) as pool:
        return sum(pool.map(lambda n: read_file(os.path.join(root, n)), names))


def read_tree(root):
    for base, _, files in os.walk(root):
        for name in files:
            with open(os.path.join(base, name), "rb") as f:
                while f.read(16 * MIB):
                    pass


def timed(fn, server_root=None, drop=True):
    if drop:
        drop_page_cache()
    else:
        os.sync()
    if server_root:
        read_tree(server_root)
    t = time.monotonic()
    n = fn()
    return time.monotonic() - t, n


def wait_mounted(path, proc, what):
    deadline = time.time() + 60
    while not os.path.ismount(path):
        if proc.poll() is not None or time.time() > deadline:
            raise RuntimeError("%s did not mount %s" % (what, path))
        time.sleep(0.05)


class Mount:
    """One FUSE mount process, started in the foreground and ended by unmounting."""

    def __init__(self, argv, env, mountpoint, log_path, what):
        os.makedirs(mountpoint, exist_ok=True)
        self.mountpoint = mountpoint
        self.log = open(log_path, "a")
        self.proc = subprocess.Popen(argv, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_mounted(mountpoint, self.proc, what)

    def stop(self):
        subprocess.run(["fusermount3", "-u", self.mountpoint], capture_output=True)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Tools:
    def __init__(self, ferry, server, tmp):
        self.ferry = ferry
        self.tmp = tmp
        self.server = server
        self.env = clean_env(tmp, client_credentials(server, tmp))
        self.env["AWS_ENDPOINT_URL"] = server.endpoint
        self.rclone_config = write_rclone_config(tmp, server)
        self.s3fs_passwd = os.path.join(tmp, "s3fs.passwd")
        with open(self.s3fs_passwd, "w") as f:
            f.write("%s:%s\n" % (server.access_key, server.secret_key))
        os.chmod(self.s3fs_passwd, 0o600)
        self.passthrough = os.path.join(tmp, "passthrough")
        subprocess.run("cc -O2 -Wall %s -o %s $(pkg-config --cflags --libs fuse3)" %
                       (PASSTHROUGH_SOURCE, self.passthrough), shell=True, check=True)
        self.count = 0

    def fresh(self, name):
        self.count += 1
        base = os.path.join(self.tmp, "%s-%d" % (name, self.count))
        return base + "-mnt", base + "-cache"

    def mount(self, name, cache=None):
        mnt, new_cache = self.fresh(name)
        cache = cache or new_cache
        log_path = os.path.join(self.tmp, name + ".log")
        if name == "ferry":
            argv = [self.ferry, "mount", "s3://" + BUCKET, mnt, "--foreground", "--cache-dir",
                    cache, "--cache-size", "8G"]
        elif name == "s3fs":
            argv = ["s3fs", BUCKET, mnt, "-f", "-o",
                    "url=%s,use_path_request_style,passwd_file=%s,endpoint=us-east-1,"
                    "parallel_count=16,multireq_max=16,ro" % (self.server.endpoint,
                                                              self.s3fs_passwd)]
        elif name == "rclone":
            argv = ["rclone", "mount", "--config", self.rclone_config, "ferry:" + BUCKET, mnt,
                    "--vfs-cache-mode", "full", "--cache-dir", cache, "--read-only"]
        elif name == "passthrough":
            argv = [self.passthrough, mnt, "-f", "-o", "ro"]
        else:
            raise ValueError(name)
        return Mount(argv, self.env, mnt, log_path, name), cache


def generate(tmp, big_size, small_count, small_size):
    data = os.path.join(tmp, "data")
    os.makedirs(os.path.join(data, "small"))
    rng = random.Random(7)
    with open(os.path.join(data, "big.bin"), "wb") as f:
        block = os.urandom(16 * MIB)
        for i in range(big_size // len(block)):
            f.write(block[i % 7:] + block[:i % 7])  # distinct blocks, cheap to make
    names = []
    for i in range(small_count):
        name = "small/%02d/f%05d.bin" % (i % 50, i)
        os.makedirs(os.path.dirname(os.path.join(data, name)), exist_ok=True)
        with open(os.path.join(data, name), "wb") as f:
            f.write(rng.randbytes(small_size))
        names.append(name)
    return data, names


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("ferry")
    p.add_argument("--peers", default="s3fs,rclone")
    p.add_argument("--big-size", type=int, default=2048 * MIB)
    p.add_argument("--small-files", type=int, default=10000)
    p.add_argument("--small-size", type=int, default=100 * KIB)
    p.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    p.add_argument("--cold-runs", type=int, default=2,
                   help="cold cases: best of this many runs, each on a fresh mount and cache")
    args = p.parse_args()
    ferry = os.path.abspath(args.ferry)
    peers = [n for n in args.peers.split(",") if n]
    for tool in ["fusermount3", "cc"] + peers:
        if shutil.which(tool) is None:
            sys.exit("mount_bench: %s not found; run scripts/install-deps.sh" % tool)
    machine = machine_description()
    machine["source"] = source_description(ferry)
    tmp = tempfile.mkdtemp(prefix="ferry-bench-mount-")
    server = None
    mounts = []
    try:
        server = start_ferry(ferry, tmp, "server")
        tools = Tools(ferry, server, tmp)
        data, names = generate(tmp, args.big_size, args.small_files, args.small_size)
        log("generated %s and %d × %s" % (human(args.big_size), len(names),
                                          human(args.small_size)))
        subprocess.run([ferry, "mb", "s3://" + BUCKET], env=tools.env, check=True)
        subprocess.run([ferry, "cp", "-r", data, "s3://%s/" % BUCKET, "--quiet"],
                       env=tools.env, check=True)
        deletions = DeletionClock()  # the server deleted the parts of the multipart upload
        can_drop = drop_page_cache()
        busy = wait_until_quiet(0.25, 45)
        count = len(names)
        results = {}  # (case, tool) → (seconds, bytes)
        runs = {}  # (case, tool) → how many runs the best of was taken

        server_root = os.path.join(tmp, "server")

        def record(case, label, got):
            """Logs a run; results keep the best (shortest) run of each case and reader."""
            log("%-10s %-12s %6.2f s" % (case, label, got[0]))
            runs[(case, label)] = runs.get((case, label), 0) + 1
            if (case, label) not in results or got[0] < results[(case, label)][0]:
                results[(case, label)] = got

        def run_mounted(case, tool, fn, cache=None, label=None, drop=True, repeat=1):
            """Runs fn on a mount repeat times (each a fresh mount, and a fresh cache unless
            one is given). Returns the cache of the last run."""
            given = cache
            for _ in range(repeat):
                m, cache = tools.mount(tool, given)
                mounts.append(m)
                try:
                    got = timed(lambda: fn(m.mountpoint), server_root, drop)
                finally:
                    m.stop()
                    mounts.remove(m)
                record(case, label or tool, got)
            return cache

        big = "big.bin"

        def raw_get():
            subprocess.run([ferry, "cat", "s3://%s/%s" % (BUCKET, big)], env=tools.env,
                           check=True, stdout=subprocess.DEVNULL)
            return args.big_size

        order_file = os.path.join(tmp, "order.txt")

        def prefetched_epoch(mnt):
            def send(order):
                with open(order_file, "w") as f:
                    f.write("".join(n + "\n" for n in order))
                subprocess.run([ferry, "cache", "prefetch", "--order", order_file, mnt],
                               check=True, capture_output=True)
            return read_epoch(mnt, count, send)

        def read_big(mnt):
            return read_file(os.path.join(mnt, big))

        # Cold cases first, without dropping the page cache: a fresh mount with an empty
        # cache is cold already, and memory freed by a drop goes back to this VM's host, so
        # the cache files written next would pay a host page fault per page.
        deletions.wait_quiet()
        # Each cold case is the best of --cold-runs (this VM's timings vary by a third from
        # run to run), for every reader alike.
        cold = max(1, args.cold_runs)
        for _ in range(cold):
            record("cold-seq", "ferry cat", timed(raw_get, server_root, drop=False))
        caches = {}
        for tool in ["ferry"] + peers:
            caches[(tool, "seq")] = run_mounted("cold-seq", tool, read_big, drop=False,
                                                repeat=cold)
        for tool in ["ferry"] + peers:
            caches[(tool, "epoch")] = run_mounted("epoch-cold", tool,
                                                  lambda mnt: read_epoch(mnt, count),
                                                  drop=False, repeat=cold)
        run_mounted("epoch-cold", "ferry", prefetched_epoch, label="ferry+prefetch", drop=False,
                    repeat=cold)
        # Warm cases: the page cache dropped, so caches and local files come from the disk.
        for tool in ["ferry"] + peers:
            run_mounted("warm-seq", tool, read_big, caches[(tool, "seq")])
        run_mounted("warm-seq", "passthrough",
                    lambda mnt: read_file(mnt + os.path.join(data, big)))
        results[("warm-seq", "local disk")] = timed(lambda: read_file(os.path.join(data, big)))
        for tool in ["ferry"] + peers:
            run_mounted("epoch-warm", tool, lambda mnt: read_epoch(mnt, count),
                        caches[(tool, "epoch")])
        results[("epoch-warm", "local disk")] = timed(lambda: read_epoch(data, count))

        def rate(key):
            s, n = results[key]
            return n / s / MIB

        lines = []

        def check(text, ratio, target):
            verdict = "met" if ratio >= target else "NOT met"
            lines.append("- %s: **%.2f×** (target ≥ %g×) — %s" % (text, ratio, target, verdict))

        f = "ferry"
        check("cold sequential vs raw GET (`ferry cat`)",
              rate(("cold-seq", f)) / rate(("cold-seq", "ferry cat")), 0.8)
        if "s3fs" in peers:
            check("cold sequential vs s3fs",
                  rate(("cold-seq", f)) / rate(("cold-seq", "s3fs")), 2)
        check("warm sequential vs FUSE passthrough",
              rate(("warm-seq", f)) / rate(("warm-seq", "passthrough")), 0.8)
        if "s3fs" in peers:
            check("small-file cold epoch vs s3fs",
                  rate(("epoch-cold", f)) / rate(("epoch-cold", "s3fs")), 3)
        for peer in peers:
            for case in ("cold-seq", "warm-seq", "epoch-cold", "epoch-warm"):
                if peer == "s3fs" and case in ("cold-seq", "epoch-cold"):
                    continue
                lines.append("- %s vs %s: %.2f× (for information)" % (
                    case, peer, rate((case, f)) / rate((case, peer))))
        lines.append("- warm sequential vs local disk: %.2f× (for information)" %
                     (rate(("warm-seq", f)) / rate(("warm-seq", "local disk"))))
        lines.append("- cold epoch with the read order prefetched vs s3fs: %.2f× (for information)"
                     % (rate(("epoch-cold", "ferry+prefetch")) / rate(("epoch-cold", "s3fs")))
                     if "s3fs" in peers else "")
        lines.append("- warm epoch vs local disk: %.2f× (for information)" %
                     (rate(("epoch-warm", f)) / rate(("epoch-warm", "local disk"))))
        print()
        table = ["| case | reader | runs | seconds | MiB/s |", "|---|---|---:|---:|---:|"]
        for (case, tool), (s, n) in results.items():
            table.append("| %s | %s | %d | %.2f | %.0f |" % (case, tool, runs.get((case, tool), 1),
                                                          s, n / s / MIB))
        for line in table + [""] + lines:
            print(line)
        if args.results:
            body = [SECTION_TITLE + " (bench/mount_bench.py)", "",
                    "Against one `ferry serve` on the same machine: a %s file read "
                    "sequentially in 1 MiB reads, cold (fresh mount, empty cache) and warm "
                    "(after a remount); an epoch over %d × %s files, listed (os.walk, counted in "
                    "the time) and then read whole by %d threads in a shuffled order, as a data "
                    "loader does, cold and warm (ferry+prefetch: the order handed to the mount "
                    "after the listing with `ferry cache prefetch --order`). Cold cases run "
                    "first on fresh mounts and caches, each the best of %d runs (runs vary "
                    "by a third on this VM), for every reader alike; the page cache is dropped "
                    "before every warm read%s; the server's files are read into memory before every read "
                    "(a store with its own disks). ferry mount with its defaults (1 MiB blocks, "
                    "64 MiB read-ahead in 8 MiB GETs, --drop-behind auto: %s); s3fs %s without a local "
                    "cache (parallel_count=16); "
                    "rclone %s mount --vfs-cache-mode full; the libfuse passthrough example "
                    "over the local copy." % (
                        human(args.big_size), len(names), human(args.small_size),
                        EPOCH_THREADS, cold, "" if can_drop else " (NOT: not allowed here)",
                        "this VM hands free memory back to its host, so pages 256 MiB behind a "
                        "stream leave the page cache" if free_memory_goes_back_to_host()
                        else "off on this machine",
                        subprocess.run(["s3fs", "--version"], capture_output=True,
                                       text=True).stdout.split()[6] if "s3fs" in peers
                        else "-", rclone_version()), "",
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
