#!/usr/bin/env python3
"""Several users of one `ferry serve` (--users FILE): each owns the buckets it creates and
nobody else may list, read, write or delete them (AccessDenied); ListBuckets shows a user its
own; a name taken by another user is BucketAlreadyExists; ACLs name the owner. The file is read
again when it changes (a new user works at once), a broken or vanished version keeps the last
good set, and a bad line stops the start, naming the line."""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

import botocore.exceptions

from ferrytest import FERRY_BIN, FerryServer, assert_s3_error, main, wait_for

USERS = ("# access-key secret user-id display name\n"
         "AKIALABELS labels-secret labels Labelling team\n"
         "AKIAVISION vision-secret vision\n")


class Users(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ferry-users-")
        self.users = os.path.join(self.dir, "users")
        with open(self.users, "w") as f:
            f.write(USERS)
        self.srv = FerryServer(extra_args=["--users", self.users]).start()
        self.labels = self.srv.boto3_client(access_key="AKIALABELS", secret_key="labels-secret")
        self.vision = self.srv.boto3_client(access_key="AKIAVISION", secret_key="vision-secret")

    def tearDown(self):
        self.srv.cleanup()

    def denied(self, fn, code="AccessDenied", **kwargs):
        assert_s3_error(self, fn, code, **kwargs)

    def test_a_users_buckets_are_its_own(self):
        self.labels.create_bucket(Bucket="labels-data")
        self.labels.put_object(Bucket="labels-data", Key="a.json", Body=b"{}")
        self.vision.create_bucket(Bucket="vision-data")
        self.assertEqual([b["Name"] for b in self.labels.list_buckets()["Buckets"]],
                         ["labels-data"])
        listed = self.vision.list_buckets()
        self.assertEqual([b["Name"] for b in listed["Buckets"]], ["vision-data"])
        self.assertEqual(listed["Owner"]["ID"], "vision")
        # Everything on another user's bucket is refused.
        b = "labels-data"
        self.denied(self.vision.list_objects_v2, Bucket=b)
        self.denied(self.vision.get_object, Bucket=b, Key="a.json")
        self.denied(self.vision.head_object, Bucket=b, Key="a.json", code="403")
        self.denied(self.vision.put_object, Bucket=b, Key="b.json", Body=b"x")
        self.denied(self.vision.delete_object, Bucket=b, Key="a.json")
        self.denied(self.vision.delete_bucket, Bucket=b)
        self.denied(self.vision.get_bucket_acl, Bucket=b)
        self.denied(self.vision.put_bucket_cors, Bucket=b, CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]})
        self.denied(self.vision.create_bucket, Bucket=b, code="BucketAlreadyExists")
        self.assertEqual(self.labels.get_object(Bucket=b, Key="a.json")["Body"].read(), b"{}")
        acl = self.labels.get_bucket_acl(Bucket=b)
        self.assertEqual((acl["Owner"]["ID"], acl["Owner"]["DisplayName"]),
                         ("labels", "Labelling team"))
        # The server's own key keeps the buckets made before owners were recorded, not these.
        server = self.srv.default_boto3_client()
        self.denied(server.get_object, Bucket=b, Key="a.json")
        server.create_bucket(Bucket="operator")
        self.denied(self.labels.list_objects_v2, Bucket="operator")
        # A browser form signed by another user cannot write into the bucket.
        import requests
        from botocore.config import Config
        for key, secret, status in (("AKIAVISION", "vision-secret", 403),
                                    ("AKIALABELS", "labels-secret", 204)):
            signer = self.srv.boto3_client(access_key=key, secret_key=secret,
                                           config=Config(signature_version="s3v4"))
            form = signer.generate_presigned_post(b, "form.txt")
            r = requests.post(form["url"], data=form["fields"], files={"file": ("f", b"x")},
                              timeout=30)
            self.assertEqual(r.status_code, status, (key, r.text))
        # An unknown key is refused as before.
        stranger = self.srv.boto3_client(access_key="AKIANOBODY", secret_key="x")
        self.denied(stranger.list_buckets, code="InvalidAccessKeyId")

    def test_the_file_is_read_again_when_it_changes(self):
        newcomer = self.srv.boto3_client(access_key="AKIANEW", secret_key="new-secret")
        self.denied(newcomer.list_buckets, code="InvalidAccessKeyId")
        with open(self.users + ".tmp", "w") as f:
            f.write(USERS + "AKIANEW new-secret newcomer\n")
        os.replace(self.users + ".tmp", self.users)

        def works():
            try:
                newcomer.create_bucket(Bucket="newcomer-data")
                return True
            except botocore.exceptions.ClientError:
                return False
        wait_for(works, seconds=10, what="the new user")
        # A broken version, then none: the last good set stays (and the log says so).
        with open(self.users + ".tmp", "w") as f:
            f.write("AKIABROKEN\n")
        os.replace(self.users + ".tmp", self.users)
        wait_for(lambda: "cannot be read" in self.srv.stderr() or
                 "line 1" in self.srv.stderr(), seconds=10, what="the log line")
        os.remove(self.users)
        time.sleep(1.5)
        self.assertEqual([b["Name"] for b in newcomer.list_buckets()["Buckets"]],
                         ["newcomer-data"])
        self.labels.list_buckets()

    def test_a_bad_line_stops_the_start_naming_it(self):
        bad = os.path.join(self.dir, "bad-users")
        with open(bad, "w") as f:
            f.write("AKIAOK ok-secret ok\nAKIAHALF only-two\n")
        root = tempfile.mkdtemp(prefix="ferry-users-root-")
        r = subprocess.run([FERRY_BIN, "serve", "--root", root, "--listen", "127.0.0.1:0",
                            "--users", bad], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("line 2", r.stderr)
        self.assertIn("ACCESS_KEY SECRET_KEY USER_ID", r.stderr)


if __name__ == "__main__":
    main()
