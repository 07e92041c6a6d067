#!/usr/bin/env python3
"""A first end-to-end check: boto3 against a fresh `ferry serve`."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

from ferrytest import FerryServer, main, random_bytes


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


if __name__ == "__main__":
    main()
