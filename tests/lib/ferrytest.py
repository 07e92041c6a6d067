"""Shared fixtures for ferry's integration tests: start a real `ferry serve` on 127.0.0.1 on a
free port with a fresh root, hand out credentials and clients, and stop it again by pid.

Every test script is run by CTest with the path of the ferry binary in FERRY_BIN.
Use Debian's /usr/bin/python3, which has python3-boto3.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

FERRY_BIN = os.environ.get("FERRY_BIN", "ferry")
AWS_BIN = "/usr/bin/aws"  # Debian's AWS CLI v2; a pip-installed v1 may shadow it on PATH


class FerryServer:
    """A `ferry serve` process on its own temporary root. Use as a context manager."""

    def __init__(self, root=None, extra_args=(), env=None, listen="127.0.0.1:0"):
        self._own_root = root is None
        self.listen = listen
        self.root = root or tempfile.mkdtemp(prefix="ferry-test-")
        self.extra_args = list(extra_args)
        self.env = env
        self.proc = None
        self.port = None
        self.access_key = self.secret_key = None

    def start(self):
        port_file = os.path.join(self.root, ".port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self._stdout = open(os.path.join(self.root, ".stdout"), "w+")
        self._stderr = open(os.path.join(self.root, ".stderr"), "a+")
        self.proc = subprocess.Popen(
            [FERRY_BIN, "serve", "--root", os.path.join(self.root, "data"), "--listen",
             self.listen, "--port-file", port_file] + self.extra_args,
            stdout=self._stdout, stderr=self._stderr, env=self.env)
        deadline = time.time() + 30
        while not os.path.exists(port_file):
            if self.proc.poll() is not None:
                raise RuntimeError("ferry serve exited: " + self.stderr())
            if time.time() > deadline:
                raise RuntimeError("ferry serve did not start: " + self.stderr())
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read())
        self._stdout.seek(0)
        for line in self._stdout.read().splitlines():
            if line.startswith("export AWS_ACCESS_KEY_ID="):
                self.access_key = line.split("=", 1)[1]
            if line.startswith("export AWS_SECRET_ACCESS_KEY="):
                self.secret_key = line.split("=", 1)[1]
        if self.secret_key is None:
            # Printed only when it was created: a restart reads it where it is kept.
            creds = os.path.join(self.root, "data", ".ferry", "credentials.json")
            if os.path.exists(creds):
                import json
                with open(creds) as f:
                    self.secret_key = json.load(f)["secret_access_key"]
        return self

    def stderr(self):
        with open(os.path.join(self.root, ".stderr")) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        for f in (getattr(self, "_stdout", None), getattr(self, "_stderr", None)):
            if f:
                f.close()

    def kill9(self):
        self.stop(signal.SIGKILL)

    def cleanup(self):
        self.stop()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def client_env(self):
        """Environment for third-party CLI clients pointed at this server."""
        env = dict(os.environ)
        for k in ("AWS_PROFILE", "AWS_CA_BUNDLE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
            env.pop(k, None)
        env.update({
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        })
        return env

    def boto3_client(self, **kwargs):
        import boto3
        from botocore.config import Config
        config = kwargs.pop("config", None) or Config(
            s3={"addressing_style": "path"}, retries={"max_attempts": 1})
        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id=kwargs.pop("access_key", self.access_key),
            aws_secret_access_key=kwargs.pop("secret_key", self.secret_key),
            config=config, **kwargs)

    def default_boto3_client(self, region="us-east-1"):
        """boto3 as a user creates it: default configuration (retries, timeouts, keep-alive,
        Expect: 100-continue), only the endpoint, region and keys given."""
        import boto3
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=region,
                            aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key)

    def aws(self, *args, check=True, input=None):
        """Runs Debian's AWS CLI v2 against this server; returns CompletedProcess."""
        cmd = [AWS_BIN, "--endpoint-url", self.endpoint] + list(args)
        p = subprocess.run(cmd, env=self.client_env(), capture_output=True, text=True,
                           input=input, timeout=300)
        if check and p.returncode != 0:
            raise AssertionError("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr))
        return p


def client_env(endpoint, access_key, secret_key):
    """The environment of a client of one endpoint, free of the user's own AWS setup."""
    env = dict(os.environ)
    for k in ("AWS_PROFILE", "AWS_CA_BUNDLE", "AWS_SESSION_TOKEN"):
        env.pop(k, None)
    env.update({"AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key,
                "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1",
                "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                "AWS_EC2_METADATA_DISABLED": "true"})
    return env


class ServerFixture:
    """A test-class mixin: starts `server_class` (FerryServer or a peer) once for the class
    and exposes its endpoint and keys."""
    server_class = None

    @classmethod
    def setUpClass(cls):
        cls.server = cls.server_class().start()
        cls.endpoint = cls.server.endpoint
        cls.access_key = cls.server.access_key
        cls.secret_key = cls.server.secret_key

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls.server, "cleanup"):
            cls.server.cleanup()
        else:
            cls.server.stop()


def assert_s3_error(case, fn, code="AccessDenied", **kwargs):
    """fn(**kwargs), a boto3 call, fails with this S3 error code."""
    import botocore.exceptions
    with case.assertRaises(botocore.exceptions.ClientError) as cm:
        fn(**kwargs)
    case.assertEqual(cm.exception.response["Error"]["Code"], code, (fn, kwargs))


def wait_for(condition, seconds=30, what="condition"):
    """Polls condition() every 0.1 s until it holds; AssertionError after `seconds`."""
    deadline = time.time() + seconds
    while not condition():
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


def start_mount(case, argv, env, mnt, log_path):
    """Runs a FUSE mount (argv, in the foreground) on mnt until the test case ends (unmounted,
    then the process waited for or killed); returns its log, open. The case is skipped when
    this machine cannot mount."""
    os.makedirs(mnt, exist_ok=True)
    log = open(log_path, "w+")
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=log)

    def unmount():
        subprocess.run(["fusermount3", "-u", "-z", mnt], capture_output=True)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    case.addCleanup(unmount)
    deadline = time.time() + 30
    while not os.path.ismount(mnt):
        if proc.poll() is not None:
            log.seek(0)
            case.skipTest("cannot mount here: " + log.read())
        case.assertLess(time.time(), deadline)
        time.sleep(0.05)
    return log


def files_under(root):
    """{relative path: bytes} of every file under root."""
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, root)] = f.read()
    return out


def error_code(body):
    """The <Code> of an S3 XML error body (bytes), or None when it is not one."""
    import xml.etree.ElementTree as ET
    try:
        return ET.fromstring(body).findtext("Code")
    except ET.ParseError:
        return None


def random_bytes(n, seed=0):
    """Deterministic pseudo-random bytes (generated, never downloaded)."""
    import random
    return random.Random(seed).randbytes(n)


def main():
    unittest.main(verbosity=2)
