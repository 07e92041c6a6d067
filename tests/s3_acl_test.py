#!/usr/bin/env python3
"""ACLs and public access in `ferry serve`, driven by boto3, the AWS CLI and plain unsigned
HTTP: two users against each other for every kind of grant (read, write, the ACL itself),
canned ACLs on buckets, objects, copies, multipart uploads and browser forms, anonymous
requests allowed exactly where AllUsers is granted, the public access block, the policy status,
and bad input (malformed ACL XML, unknown canned ACLs, unknown grantees, e-mail grantees)."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

import requests
from botocore import UNSIGNED
from botocore.config import Config

import s3raw
from ferrytest import AWS_BIN, FerryServer, assert_s3_error, client_env, error_code, main

USERS = ("AKIALABELS labels-secret labels Labelling team\n"
         "AKIAVISION vision-secret vision Vision team\n")
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


class Acls(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ferry-acl-")
        users = os.path.join(self.dir, "users")
        with open(users, "w") as f:
            f.write(USERS)
        self.srv = FerryServer(extra_args=["--users", users]).start()
        self.labels = self.srv.boto3_client(access_key="AKIALABELS", secret_key="labels-secret")
        self.vision = self.srv.boto3_client(access_key="AKIAVISION", secret_key="vision-secret")
        self.anonymous = self.srv.boto3_client(config=Config(signature_version=UNSIGNED))

    def tearDown(self):
        self.srv.cleanup()

    def denied(self, fn, code="AccessDenied", **kwargs):
        assert_s3_error(self, fn, code, **kwargs)

    def url(self, bucket, key=""):
        return "%s/%s/%s" % (self.srv.endpoint, bucket, key)

    def test_grants_let_another_user_do_exactly_what_they_name(self):
        b = "shared"
        self.labels.create_bucket(Bucket=b)
        self.labels.put_object(Bucket=b, Key="p.txt", Body=b"private")
        self.denied(self.vision.get_object, Bucket=b, Key="p.txt")

        # READ on one object: vision reads it, nothing more.
        self.labels.put_object_acl(Bucket=b, Key="p.txt", GrantRead='id="vision"')
        self.assertEqual(self.vision.get_object(Bucket=b, Key="p.txt")["Body"].read(), b"private")
        self.denied(self.vision.get_object_acl, Bucket=b, Key="p.txt")
        self.denied(self.vision.put_object_acl, Bucket=b, Key="p.txt", ACL="public-read")
        self.denied(self.vision.list_objects_v2, Bucket=b)
        self.denied(self.vision.put_object, Bucket=b, Key="q.txt", Body=b"x")
        self.denied(self.vision.delete_object, Bucket=b, Key="p.txt")
        self.denied(self.vision.put_object_tagging, Bucket=b, Key="p.txt",
                    Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
        acl = self.labels.get_object_acl(Bucket=b, Key="p.txt")
        self.assertEqual(acl["Owner"], {"ID": "labels", "DisplayName": "Labelling team"})
        self.assertIn({"Grantee": {"ID": "vision", "DisplayName": "Vision team",
                                   "Type": "CanonicalUser"}, "Permission": "READ"},
                      acl["Grants"])
        self.assertEqual(acl["Grants"][0]["Permission"], "FULL_CONTROL")

        # WRITE and READ on the bucket: vision lists, writes and deletes objects.
        self.labels.put_bucket_acl(Bucket=b, GrantWrite='id="vision"', GrantRead='id="vision"')
        listed = self.vision.list_objects_v2(Bucket=b, FetchOwner=True)["Contents"]
        self.assertEqual([(o["Key"], o["Owner"]["ID"]) for o in listed], [("p.txt", "labels")])
        self.vision.put_object(Bucket=b, Key="from-vision.txt", Body=b"v")
        # The bucket's owner owns what others write into it...
        self.assertEqual(self.labels.get_object(Bucket=b, Key="from-vision.txt")["Body"].read(),
                         b"v")
        self.assertEqual(self.labels.get_object_acl(Bucket=b, Key="from-vision.txt")["Owner"]["ID"],
                         "labels")
        # ...so the writer reads it back only if it granted itself READ.
        self.denied(self.vision.get_object, Bucket=b, Key="from-vision.txt")
        self.vision.put_object(Bucket=b, Key="kept.txt", Body=b"k", GrantRead='id="vision"')
        self.assertEqual(self.vision.get_object(Bucket=b, Key="kept.txt")["Body"].read(), b"k")
        self.vision.delete_object(Bucket=b, Key="from-vision.txt")
        self.denied(self.vision.delete_bucket, Bucket=b)
        self.denied(self.vision.get_bucket_acl, Bucket=b)
        self.denied(self.vision.put_bucket_cors, Bucket=b, CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]})
        self.denied(self.vision.put_public_access_block, Bucket=b,
                    PublicAccessBlockConfiguration={"BlockPublicAcls": False})

        # READ_ACP and WRITE_ACP on the bucket: its ACL, but still not its objects' or config.
        self.labels.put_bucket_acl(Bucket=b, GrantReadACP='id="vision"',
                                   GrantWriteACP='id="vision"')
        self.denied(self.vision.list_objects_v2, Bucket=b)  # the new ACL replaced the old
        grants = self.vision.get_bucket_acl(Bucket=b)["Grants"]
        self.assertEqual(sorted(g["Permission"] for g in grants),
                         ["FULL_CONTROL", "READ_ACP", "WRITE_ACP"])
        self.vision.put_bucket_acl(Bucket=b, AccessControlPolicy={
            "Owner": {"ID": "labels"},
            "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": "vision"},
                        "Permission": "FULL_CONTROL"}]})
        self.assertEqual([o["Key"] for o in self.vision.list_objects_v2(Bucket=b)["Contents"]],
                         ["kept.txt", "p.txt"])
        # A document naming another owner is refused.
        self.denied(self.vision.put_bucket_acl, Bucket=b, AccessControlPolicy={
            "Owner": {"ID": "vision"}, "Grants": []})
        # FULL_CONTROL of the ACL is still not ownership.
        self.denied(self.vision.delete_bucket, Bucket=b)
        self.denied(self.vision.get_bucket_lifecycle_configuration, Bucket=b)

        # A copy needs READ on its source.
        self.vision.create_bucket(Bucket="vision-own")
        self.labels.put_object(Bucket=b, Key="secret.txt", Body=b"s")
        self.denied(self.vision.copy_object, Bucket="vision-own", Key="stolen.txt",
                    CopySource={"Bucket": b, "Key": "secret.txt"})
        self.vision.copy_object(Bucket="vision-own", Key="copy.txt",
                                CopySource={"Bucket": b, "Key": "p.txt"})
        self.assertEqual(self.vision.get_object(Bucket="vision-own", Key="copy.txt")["Body"]
                         .read(), b"private")
        # The copy's ACL is its own: private unless the copy says otherwise.
        self.labels.put_object_acl(Bucket=b, Key="p.txt", ACL="public-read")
        self.labels.copy_object(Bucket=b, Key="p-copy.txt", CopySource={"Bucket": b, "Key": "p.txt"})
        self.assertEqual(len(self.labels.get_object_acl(Bucket=b, Key="p-copy.txt")["Grants"]), 1)

    def test_authenticated_read_is_for_signed_requests_only(self):
        self.labels.create_bucket(Bucket="team")
        self.labels.put_object(Bucket="team", Key="a", Body=b"a", ACL="authenticated-read")
        self.assertEqual(self.vision.get_object(Bucket="team", Key="a")["Body"].read(), b"a")
        self.assertEqual(requests.get(self.url("team", "a")).status_code, 403)

    def test_anonymous_requests_do_what_AllUsers_may_and_nothing_else(self):
        self.labels.create_bucket(Bucket="public", ACL="public-read")
        self.labels.put_object(Bucket="public", Key="open.txt", Body=b"open", ACL="public-read")
        self.labels.put_object(Bucket="public", Key="closed.txt", Body=b"closed")
        # Listing is granted by the bucket; each object by its own ACL.
        listed = self.anonymous.list_objects_v2(Bucket="public")
        self.assertEqual([o["Key"] for o in listed["Contents"]], ["closed.txt", "open.txt"])
        self.assertEqual(requests.get(self.url("public", "open.txt")).content, b"open")
        self.assertEqual(self.anonymous.get_object(Bucket="public", Key="open.txt")["Body"].read(),
                         b"open")
        r = requests.get(self.url("public", "closed.txt"))
        self.assertEqual((r.status_code, error_code(r.content)), (403, "AccessDenied"))
        # A missing key is NoSuchKey for whoever may list, as in S3.
        self.assertEqual(requests.get(self.url("public", "nothing")).status_code, 404)
        self.assertEqual(requests.put(self.url("public", "new.txt"), data=b"x").status_code, 403)
        self.assertEqual(requests.delete(self.url("public", "open.txt")).status_code, 403)
        self.assertEqual(requests.get(self.url("public") + "?acl").status_code, 403)
        self.assertEqual(requests.get(self.srv.endpoint + "/").status_code, 403)
        self.assertEqual(requests.put(self.srv.endpoint + "/anon-bucket").status_code, 403)
        # Another user's private bucket: nothing, not even whether a key exists.
        self.labels.create_bucket(Bucket="private")
        self.assertEqual(requests.get(self.url("private", "nothing")).status_code, 403)
        self.assertEqual(requests.get(self.url("private")).status_code, 403)

        # public-read-write: anyone writes and deletes; the bucket's owner owns what they write.
        self.labels.create_bucket(Bucket="inbox", ACL="public-read-write")
        self.assertEqual(requests.put(self.url("inbox", "drop.txt"), data=b"d").status_code, 200)
        self.assertEqual(self.labels.get_object(Bucket="inbox", Key="drop.txt")["Body"].read(),
                         b"d")
        self.assertEqual(requests.get(self.url("inbox", "drop.txt")).status_code, 403)
        self.assertEqual(requests.delete(self.url("inbox", "drop.txt")).status_code, 204)

        # Multipart uploads carry their ACL to the object they complete.
        up = self.labels.create_multipart_upload(Bucket="public", Key="big.bin", ACL="public-read")
        part = self.labels.upload_part(Bucket="public", Key="big.bin", UploadId=up["UploadId"],
                                       PartNumber=1, Body=b"m" * 100)
        self.labels.complete_multipart_upload(
            Bucket="public", Key="big.bin", UploadId=up["UploadId"],
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
        self.assertEqual(requests.get(self.url("public", "big.bin")).content, b"m" * 100)

    def test_the_public_access_block_refuses_and_ignores_public_acls(self):
        b = "data"
        self.labels.create_bucket(Bucket=b, ACL="public-read")
        self.labels.put_object(Bucket=b, Key="k", Body=b"v", ACL="public-read")
        status = self.labels.get_bucket_policy_status(Bucket=b)["PolicyStatus"]
        self.assertEqual(status, {"IsPublic": True})
        self.denied(self.labels.get_public_access_block, Bucket=b,
                    code="NoSuchPublicAccessBlockConfiguration")

        self.labels.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={
            "IgnorePublicAcls": True})
        self.assertEqual(requests.get(self.url(b, "k")).status_code, 403)
        self.assertEqual(requests.get(self.url(b)).status_code, 403)
        self.assertEqual(self.labels.get_bucket_policy_status(Bucket=b)["PolicyStatus"],
                         {"IsPublic": False})
        self.labels.put_object(Bucket=b, Key="k2", Body=b"v", ACL="public-read")  # allowed...
        self.assertEqual(requests.get(self.url(b, "k2")).status_code, 403)  # ...and ignored

        self.labels.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": False})
        got = self.labels.get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"]
        self.assertEqual(got, {"BlockPublicAcls": True, "IgnorePublicAcls": False,
                               "BlockPublicPolicy": True, "RestrictPublicBuckets": False})
        self.assertEqual(requests.get(self.url(b, "k")).status_code, 200)  # not ignored now
        self.denied(self.labels.put_object, Bucket=b, Key="k3", Body=b"v", ACL="public-read")
        self.denied(self.labels.put_object_acl, Bucket=b, Key="k", ACL="public-read-write")
        self.denied(self.labels.put_bucket_acl, Bucket=b, ACL="authenticated-read")
        self.denied(self.labels.put_bucket_acl, Bucket=b, GrantRead='uri="%s"' % ALL_USERS)
        self.labels.put_object_acl(Bucket=b, Key="k", GrantRead='id="vision"')  # not public
        self.labels.delete_public_access_block(Bucket=b)
        self.labels.put_object(Bucket=b, Key="k3", Body=b"v", ACL="public-read")
        self.assertEqual(requests.get(self.url(b, "k3")).status_code, 200)

    def test_bad_acls_are_refused_with_s3s_codes(self):
        self.labels.create_bucket(Bucket="bad")
        self.labels.put_object(Bucket="bad", Key="k", Body=b"v")
        self.denied(self.labels.put_object, Bucket="bad", Key="k2", Body=b"v", ACL="everyone",
                    code="InvalidArgument")
        self.denied(self.labels.put_object_acl, Bucket="bad", Key="k", GrantRead='id="nobody"',
                    code="InvalidArgument")
        self.denied(self.labels.put_bucket_acl, Bucket="bad", GrantRead='emailAddress="a@b.c"',
                    code="UnresolvableGrantByEmailAddress")
        self.denied(self.labels.put_bucket_acl, Bucket="bad", ACL="private",
                    GrantRead='id="vision"', code="InvalidRequest")
        self.denied(self.labels.create_bucket, Bucket="never", ACL="nonsense",
                    code="InvalidArgument")
        self.assertNotIn("never", [x["Name"] for x in self.labels.list_buckets()["Buckets"]])
        self.assertEqual(self.labels.list_objects_v2(Bucket="bad")["KeyCount"], 1)
        self.assertEqual(len(self.labels.get_object_acl(Bucket="bad", Key="k")["Grants"]), 1)

        # Malformed documents, signed by the server's own user on its own bucket.
        server = self.srv.default_boto3_client()
        server.create_bucket(Bucket="ops")
        for body in (b"<AccessControlPolicy>", b"not xml",
                     b"<AccessControlPolicy><Owner><ID>ferry</ID></Owner><AccessControlList>"
                     b"<Grant><Grantee xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' "
                     b"xsi:type='Alien'><ID>x</ID></Grantee><Permission>READ</Permission></Grant>"
                     b"</AccessControlList></AccessControlPolicy>",
                     b"<AccessControlPolicy><Owner><ID>ferry</ID></Owner><AccessControlList>"
                     b"<Grant><Grantee xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' "
                     b"xsi:type='CanonicalUser'><ID>labels</ID></Grantee>"
                     b"<Permission>EVERYTHING</Permission></Grant>"
                     b"</AccessControlList></AccessControlPolicy>"):
            status, _, reply = s3raw.signed_request(self.srv, "PUT", "/ops", query="acl=",
                                                    body=body)
            self.assertEqual((status, error_code(reply)), (400, "MalformedACLError"), body)
        status, _, reply = s3raw.signed_request(self.srv, "PUT", "/ops", query="acl=")
        self.assertEqual((status, error_code(reply)), (400, "MissingSecurityHeader"))
        status, _, reply = s3raw.signed_request(self.srv, "PUT", "/ops", query="publicAccessBlock=",
                                                body=b"<PublicAccessBlockConfiguration>"
                                                     b"<BlockPublicAcls>maybe</BlockPublicAcls>"
                                                     b"</PublicAccessBlockConfiguration>")
        self.assertEqual((status, error_code(reply)), (400, "MalformedXML"))

    def test_the_aws_cli_sets_and_reads_acls(self):
        env = client_env(self.srv.endpoint, "AKIALABELS", "labels-secret")

        def aws(*args):
            p = subprocess.run([AWS_BIN, "--endpoint-url", self.srv.endpoint] + list(args),
                               env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            return p.stdout

        aws("s3", "mb", "s3://cli")
        src = os.path.join(self.dir, "f.txt")
        with open(src, "w") as f:
            f.write("from the cli")
        aws("s3", "cp", src, "s3://cli/f.txt", "--acl", "public-read")
        self.assertEqual(requests.get(self.url("cli", "f.txt")).text, "from the cli")
        grants = json.loads(aws("s3api", "get-object-acl", "--bucket", "cli", "--key", "f.txt"))
        self.assertIn({"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
                      grants["Grants"])
        aws("s3api", "put-bucket-acl", "--bucket", "cli", "--acl", "public-read")
        self.assertEqual(requests.get(self.url("cli")).status_code, 200)
        aws("s3api", "put-bucket-acl", "--bucket", "cli", "--acl", "private")
        self.assertEqual(requests.get(self.url("cli")).status_code, 403)

    def test_browser_forms_set_a_canned_acl_and_unsigned_forms_need_AllUsers_write(self):
        self.labels.create_bucket(Bucket="uploads")
        signer = self.srv.boto3_client(access_key="AKIALABELS", secret_key="labels-secret",
                                       config=Config(signature_version="s3v4"))
        form = signer.generate_presigned_post("uploads", "shared.txt",
                                              Fields={"acl": "public-read"},
                                              Conditions=[{"acl": "public-read"}])
        r = requests.post(form["url"], data=form["fields"], files={"file": b"form data"})
        self.assertEqual(r.status_code, 204, r.text)
        self.assertEqual(requests.get(self.url("uploads", "shared.txt")).content, b"form data")
        # Unsigned forms: refused on a private bucket, taken on a public-read-write one.
        unsigned = {"key": "anon.txt"}
        r = requests.post(self.url("uploads"), data=unsigned, files={"file": b"x"})
        self.assertEqual((r.status_code, error_code(r.content)), (403, "AccessDenied"))
        self.labels.put_bucket_acl(Bucket="uploads", ACL="public-read-write")
        r = requests.post(self.url("uploads"), data=unsigned, files={"file": b"x"})
        self.assertEqual(r.status_code, 204, r.text)
        self.assertEqual(self.labels.get_object(Bucket="uploads", Key="anon.txt")["Body"].read(),
                         b"x")


class AllowAnonymous(unittest.TestCase):
    def test_allow_anonymous_grants_everyone_read_and_nothing_more(self):
        with FerryServer(extra_args=["--allow-anonymous"]) as srv:
            s3 = srv.default_boto3_client()
            s3.create_bucket(Bucket="open")
            s3.put_object(Bucket="open", Key="k", Body=b"v")
            base = srv.endpoint + "/open"
            self.assertEqual(requests.get(base + "/k").content, b"v")
            self.assertEqual(requests.get(base).status_code, 200)
            self.assertEqual(requests.put(base + "/k", data=b"overwritten").status_code, 403)
            self.assertEqual(requests.delete(base + "/k").status_code, 403)
            self.assertEqual(requests.get(base + "?acl").status_code, 403)
            self.assertEqual(s3.get_object(Bucket="open", Key="k")["Body"].read(), b"v")
            # A bucket can still opt out.
            s3.put_public_access_block(Bucket="open", PublicAccessBlockConfiguration={
                "IgnorePublicAcls": True})
            self.assertEqual(requests.get(base + "/k").status_code, 403)


if __name__ == "__main__":
    main()
