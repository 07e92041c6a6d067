#!/usr/bin/env python3
"""`ferry serve` on a full disk: a clean S3 error without internal names, reads keep working,
no partial object is left, and writes work again once space returns. The root lives on a
small tmpfs mounted for the test (needs root; skipped otherwise)."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

from botocore.exceptions import ClientError
from ferrytest import FerryServer, main, random_bytes

DISK_MIB = 24


class FullDisk(unittest.TestCase):
    def setUp(self):
        self.mnt = tempfile.mkdtemp(prefix="ferry-fulldisk-")
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm,mode=0700" % DISK_MIB,
                            "tmpfs", self.mnt], capture_output=True, text=True)
        if p.returncode != 0:
            os.rmdir(self.mnt)
            self.skipTest("cannot mount a tmpfs here: " + p.stderr.strip())
        self.addCleanup(self.unmount)
        self.srv = FerryServer(root=self.mnt)
        self.srv.start()
        self.addCleanup(self.srv.stop)
        self.s3 = self.srv.default_boto3_client()
        self.s3.create_bucket(Bucket="full")

    def unmount(self):
        subprocess.run(["umount", "-l", self.mnt], check=False)
        os.rmdir(self.mnt)

    def fill(self, body, prefix):
        """PUTs body under new keys until the disk refuses one; returns (stored keys, error)."""
        stored = []
        for i in range(10 * DISK_MIB * 1024 * 1024 // max(len(body), 1) + 10):
            key = "%s%05d" % (prefix, i)
            try:
                self.s3.put_object(Bucket="full", Key=key, Body=body)
            except ClientError as e:
                return stored, key, e.response
            stored.append(key)
        self.fail("the disk never filled")

    def assert_clean_full_error(self, response):
        err = response["Error"]
        status = response["ResponseMetadata"]["HTTPStatusCode"]
        self.assertEqual((status, err["Code"]), (507, "InsufficientStorage"), response)
        # No internal names: no file ids, paths, or errno text from the engine.
        message = err.get("Message", "")
        for leak in (self.mnt, "/", ".ferry", "blob", "pack", "errno", "No space left"):
            self.assertNotIn(leak, message, message)

    def test_full_disk_answers_cleanly_keeps_reading_and_recovers(self):
        small = random_bytes(4096, seed=1)
        self.s3.put_object(Bucket="full", Key="before", Body=small)
        body = random_bytes(1024 * 1024, seed=2)
        stored, refused_key, response = self.fill(body, "big")
        self.assertGreater(len(stored), 5)
        self.assert_clean_full_error(response)
        # Nothing partial: the refused key does not exist, in a listing or a HEAD.
        with self.assertRaises(ClientError) as missing:
            self.s3.head_object(Bucket="full", Key=refused_key)
        self.assertEqual(missing.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket="full", MaxKeys=1000)
                .get("Contents", [])]
        self.assertNotIn(refused_key, keys)
        # Reads keep working on the full disk.
        self.assertEqual(self.s3.get_object(Bucket="full", Key="before")["Body"].read(), small)
        self.assertEqual(self.s3.get_object(Bucket="full", Key=stored[-1])["Body"].read(), body)
        # Small writes and multipart uploads are refused cleanly too, until space returns.
        _, _, response = self.fill(small, "small")
        self.assert_clean_full_error(response)
        self.upload_id = self.s3.create_multipart_upload(Bucket="full", Key="mp")["UploadId"]
        with self.assertRaises(ClientError) as mp:
            self.s3.upload_part(Bucket="full", Key="mp", UploadId=self.upload_id, PartNumber=1,
                                Body=body)
        self.assert_clean_full_error(mp.exception.response)
        # Space returns: delete half of what was stored; writes work again, without a restart.
        for key in stored[: len(stored) // 2]:
            self.s3.delete_object(Bucket="full", Key=key)
        self.s3.put_object(Bucket="full", Key="after", Body=body)
        self.assertEqual(self.s3.get_object(Bucket="full", Key="after")["Body"].read(), body)
        # And everything acknowledged survives a restart.
        self.srv.stop()
        self.srv.start()
        s3 = self.srv.default_boto3_client()
        self.assertEqual(s3.get_object(Bucket="full", Key="before")["Body"].read(), small)
        self.assertEqual(s3.get_object(Bucket="full", Key=stored[-1])["Body"].read(), body)
        self.assertEqual(s3.get_object(Bucket="full", Key="after")["Body"].read(), body)
        # No partial data stayed behind from the refused writes: with every object deleted,
        # the disk is about as empty as it was at the start.
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="full"):
            for o in page.get("Contents", []):
                s3.delete_object(Bucket="full", Key=o["Key"])
        s3.abort_multipart_upload(Bucket="full", Key="mp", UploadId=self.upload_id)
        used = subprocess.run(["du", "-sk", self.mnt], capture_output=True, text=True,
                              check=True).stdout.split()[0]
        print("after deleting everything:", used, "KiB used", file=sys.stderr)
        self.assertLess(int(used), 2048)


if __name__ == "__main__":
    main()
