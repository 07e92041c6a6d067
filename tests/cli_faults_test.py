#!/usr/bin/env python3
"""`ferry cp` through a fault-injecting proxy: dropped connections mid-body, 503 SlowDown,
500s, resets and stalls. 200 files and one 256 MiB file go up and come back byte-exact, and the
summary counts the retries."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

from ferrytest import FERRY_BIN, FerryServer, main, random_bytes
from faultproxy import FaultProxy

class CpThroughFaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = FerryServer().start()
        cls.tmp = tempfile.mkdtemp(prefix="ferry-faults-")
        cls.s3 = cls.server.boto3_client()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def ferry(self, port, *args):
        env = dict(os.environ)
        env.update({"AWS_ACCESS_KEY_ID": self.server.access_key,
                    "AWS_SECRET_ACCESS_KEY": self.server.secret_key,
                    "AWS_ENDPOINT_URL": "http://127.0.0.1:%d" % port, "AWS_REGION": "us-east-1",
                    "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"})
        return subprocess.run([FERRY_BIN] + list(args) + ["--json", "--timeout", "2"], env=env,
                              capture_output=True, text=True, timeout=600)

    def run_through(self, rules, *args):
        proxy = FaultProxy(self.server.port, rules, self.tmp)
        try:
            p = self.ferry(proxy.port, *args)
        finally:
            injected = proxy.stop()
        self.assertEqual(p.returncode, 0, p.stderr)
        summary = json.loads(p.stdout)
        self.assertEqual(summary["failed"], 0)
        self.assertGreater(injected, 0)
        self.assertGreater(summary["retries"], 0, "faults were injected but no retry counted")
        return summary

    def test_200_files_up_and_down(self):
        bucket = "faults-small"
        self.s3.create_bucket(Bucket=bucket)
        src = os.path.join(self.tmp, "small")
        os.makedirs(src)
        files = {}
        for i in range(200):
            files["f%03d" % i] = random_bytes(1000 + i * 997, seed=i)
            with open(os.path.join(src, "f%03d" % i), "wb") as f:
                f.write(files["f%03d" % i])
        up = self.run_through(["slowdown:PUT::0:8", "reset:PUT::0:4", "internal:PUT::0:3",
                               "error200:PUT::0:2"],
                              "cp", "-r", src, "s3://%s/d" % bucket)
        self.assertEqual(up["objects"], 200)
        for name, data in files.items():
            self.assertEqual(self.s3.get_object(Bucket=bucket, Key="d/" + name)["Body"].read(),
                             data, name)
        dst = os.path.join(self.tmp, "small-back")
        # Object reads only (the listing is a GET too): the rules take consecutive requests.
        down = self.run_through(["cut:GET:/d/f:500:6", "slowdown:GET:/d/f:0:5",
                                 "reset:GET:/d/f:0:3", "stall:GET:/d/f:100:2:4000"],
                                "cp", "-r", "s3://%s/d" % bucket, dst)
        self.assertEqual(down["objects"], 200)
        for name, data in files.items():
            with open(os.path.join(dst, name), "rb") as f:
                self.assertEqual(f.read(), data, name)
        self.assertEqual(sorted(os.listdir(dst)), sorted(files))  # no temp files left

    def test_256_mib_file_up_and_down(self):
        bucket = "faults-large"
        self.s3.create_bucket(Bucket=bucket)
        data = os.urandom(256 * 1024 * 1024)
        path = os.path.join(self.tmp, "big.bin")
        with open(path, "wb") as f:
            f.write(data)
        up = self.run_through(["reset:PUT:partNumber=3:0:1", "slowdown:PUT:partNumber:0:3",
                               "cut:PUT:partNumber=7:0:1", "internal:POST:uploadId:0:1"],
                              "cp", path, "s3://%s/big.bin" % bucket, "--part-size", "16M")
        self.assertEqual(up["bytes"], len(data))
        head = self.s3.head_object(Bucket=bucket, Key="big.bin")
        self.assertEqual(head["ContentLength"], len(data))
        back = os.path.join(self.tmp, "big.back")
        down = self.run_through(["cut:GET:big.bin:3000000:4", "slowdown:GET:big.bin:0:2",
                                 "stall:GET:big.bin:1000000:1:4000"],
                                "cp", "s3://%s/big.bin" % bucket, back, "--part-size", "16M")
        self.assertEqual(down["bytes"], len(data))
        with open(back, "rb") as f:
            self.assertTrue(f.read() == data, "downloaded bytes differ")
        os.unlink(back)
        os.unlink(path)


if __name__ == "__main__":
    main()
