"""Third-party S3 servers for client tests, started on 127.0.0.1 free ports and stopped by
pid: the npm s3rver (fast to start) and Ceph RGW (a real distributed store, ~15 s to start).
The start scripts live in shared/peers/ beside the project checkout."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "peers"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Peer:
    """A third-party S3 server started by a test: endpoint, credentials, context manager."""
    access_key = secret_key = ""
    port = 0

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class S3rver(Peer):
    """The npm s3rver on a free port; credentials S3RVER/S3RVER."""
    access_key = secret_key = "S3RVER"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ferry-s3rver-")
        self.port = free_port()
        self.pid = None

    @staticmethod
    def available():
        return shutil.which("npm") is not None and os.path.exists(
            os.path.join(PEERS, "start-s3rver.sh"))

    def start(self):
        # npm installs s3rver once into a cache dir shared by runs; each instance gets its own
        # data dir (the start script keeps data under $D/data and the package under
        # $D/node_modules).
        cache = os.environ.get("FERRY_S3RVER_DIR", "/tmp/ferry-peers/s3rver-npm")
        os.makedirs(cache, exist_ok=True)
        if not os.path.exists(os.path.join(cache, "node_modules", "s3rver")):
            subprocess.run("npm init -y >/dev/null && npm install --silent s3rver@3.7.1 >/dev/null",
                           shell=True, cwd=cache, check=True, timeout=600)
        os.symlink(os.path.join(cache, "node_modules"), os.path.join(self.dir, "node_modules"))
        env = dict(os.environ, PORT=str(self.port), D=self.dir)
        out = subprocess.run(["bash", os.path.join(PEERS, "start-s3rver.sh")], env=env,
                             capture_output=True, text=True, timeout=600, check=True)
        self.pid = int(out.stdout.strip().splitlines()[-1])
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("s3rver did not start")

    def stop(self):
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            self.pid = None
        shutil.rmtree(self.dir, ignore_errors=True)


class CephRgw(Peer):
    """A single-node Ceph cluster with RGW on a free port (memstore: nothing on disk but the
    monitor's small database); credentials AKIAPEERTEST / peersecretpeersecret. Takes ~15 s
    to start. The monitor listens on 127.0.0.1:3300, so one instance runs at a time."""
    access_key = "AKIAPEERTEST"
    secret_key = "peersecretpeersecret"

    def __init__(self, store="memstore"):
        """store: memstore (in memory; fast to start, for tests) or bluestore (a sparse file,
        written and synced as a real OSD does; for benchmarks)."""
        self.dir = tempfile.mkdtemp(prefix="ferry-rgw-")
        self.port = free_port()
        self.store = store

    @staticmethod
    def available():
        return (shutil.which("radosgw") is not None and shutil.which("ceph-mon") is not None
                and os.path.exists(os.path.join(PEERS, "start-ceph-rgw.sh")))

    def start(self):
        env = dict(os.environ, D=self.dir, RGW_PORT=str(self.port), STORE=self.store)
        p = subprocess.run(["bash", os.path.join(PEERS, "start-ceph-rgw.sh")], env=env,
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0 or "RGW up" not in p.stdout:
            self.stop()
            raise RuntimeError("Ceph RGW did not start: %s %s" % (p.stdout[-2000:],
                                                                  p.stderr[-2000:]))
        return self

    def pids(self):
        """The pids of this instance's daemons (monitor, OSD, RGW)."""
        run = os.path.join(self.dir, "run")
        pids = []
        for name in sorted(os.listdir(run)) if os.path.isdir(run) else []:
            if name.endswith(".pid"):
                with open(os.path.join(run, name)) as f:
                    pids.append(int(f.read().strip() or 0))
        return [p for p in pids if p > 0]

    def stop(self):
        # The stop script kills exactly the daemons whose pid files this instance wrote.
        subprocess.run(["bash", os.path.join(PEERS, "stop-ceph-rgw.sh")],
                       env=dict(os.environ, D=self.dir, WIPE="1"), capture_output=True,
                       timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)
