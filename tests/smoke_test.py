#!/usr/bin/env python3
"""A first end-to-end check: boto3 against a fresh `ferry serve`."""
import os
import re
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

from ferrytest import FerryServer, main, random_bytes
from peers import free_port


class Smoke(unittest.TestCase):
    def test_bucket_object_roundtrip(self):
        with FerryServer() as srv:
            s3 = srv.boto3_client()
            s3.create_bucket(Bucket="smoke")
            body = random_bytes(300 * 1024)
            s3.put_object(Bucket="smoke", Key="a/b c+d", Body=body, Metadata={"k": "v"})
            got = s3.get_object(Bucket="smoke", Key="a/b c+d")
            self.assertEqual(got["Body"].read(), body)
            self.assertEqual(got["Metadata"], {"k": "v"})
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket="smoke")["Contents"]]
            self.assertEqual(keys, ["a/b c+d"])

    def test_metrics_count_requests_errors_and_bytes(self):
        port = free_port()
        with FerryServer(extra_args=["--metrics", "127.0.0.1:%d" % port]) as srv:
            s3 = srv.boto3_client()
            s3.create_bucket(Bucket="metrics")
            s3.put_object(Bucket="metrics", Key="k", Body=b"x" * 1000)
            with self.assertRaises(Exception):
                s3.get_object(Bucket="metrics", Key="missing")
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port) as r:
                self.assertTrue(r.headers["Content-Type"].startswith("text/plain"))
                text = r.read().decode()

            def sample(pattern):
                m = re.search("^" + re.escape(pattern) + r" (\S+)$", text, re.M)
                self.assertIsNotNone(m, pattern + " in:\n" + text)
                return float(m.group(1))

            self.assertGreaterEqual(sample('ferry_server_requests_total{method="PUT"}'), 2)
            self.assertGreaterEqual(sample('ferry_server_requests_total{method="GET"}'), 1)
            self.assertGreaterEqual(sample('ferry_server_responses_total{outcome="client_error"}'),
                                    1)
            self.assertGreaterEqual(sample("ferry_server_bytes_received_total"), 1000)
            self.assertGreaterEqual(sample("ferry_server_request_seconds_count"), 3)
            self.assertIn("# TYPE ferry_server_requests_total counter", text)
            with self.assertRaises(urllib.error.HTTPError) as missing:
                urllib.request.urlopen("http://127.0.0.1:%d/other" % port)
            self.assertEqual(missing.exception.code, 404)
            missing.exception.close()

    def test_a_bad_metrics_address_is_a_usage_error(self):
        srv = FerryServer(extra_args=["--metrics", "nowhere"])
        with self.assertRaises(RuntimeError) as failed:
            srv.start()
        self.assertIn("HOST:PORT", str(failed.exception))
        srv.stop()


if __name__ == "__main__":
    main()
