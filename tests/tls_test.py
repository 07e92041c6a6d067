#!/usr/bin/env python3
"""`ferry serve --tls-cert/--tls-key`: HTTPS with a generated self-signed certificate."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

from ferrytest import FerryServer, main, random_bytes


class Tls(unittest.TestCase):
    def test_https_roundtrip_with_boto3_and_aws_cli(self):
        srv = FerryServer()
        cert = os.path.join(srv.root, "cert.pem")
        key = os.path.join(srv.root, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        srv.extra_args = ["--tls-cert", cert, "--tls-key", key]
        with srv:
            endpoint = "https://127.0.0.1:%d" % srv.port
            import boto3
            from botocore.config import Config
            s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id=srv.access_key,
                              aws_secret_access_key=srv.secret_key, verify=cert,
                              config=Config(s3={"addressing_style": "path"}))
            s3.create_bucket(Bucket="tls")
            body = random_bytes(3 * 1024 * 1024 + 17, seed=7)
            s3.put_object(Bucket="tls", Key="big", Body=body)
            self.assertEqual(s3.get_object(Bucket="tls", Key="big")["Body"].read(), body)
            got = s3.get_object(Bucket="tls", Key="big", Range="bytes=1000-1999")["Body"].read()
            self.assertEqual(got, body[1000:2000])
            env = srv.client_env()
            env["AWS_CA_BUNDLE"] = cert
            p = subprocess.run(["/usr/bin/aws", "--endpoint-url", endpoint, "s3", "ls", "s3://tls"],
                               env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("big", p.stdout)
            # Plain HTTP to the TLS port is refused without disturbing the server.
            import urllib.request
            with self.assertRaises(Exception):
                urllib.request.urlopen("http://127.0.0.1:%d/" % srv.port, timeout=5).read()
            self.assertEqual(s3.head_object(Bucket="tls", Key="big")["ContentLength"], len(body))
            # TLS 1.2 only with forward secrecy and AEAD: static-RSA and CBC suites are refused.
            for cipher, ok in (("AES128-GCM-SHA256", False), ("ECDHE-RSA-AES128-SHA", False),
                               ("ECDHE-RSA-AES256-SHA384", False),
                               ("ECDHE-RSA-AES128-GCM-SHA256", True),
                               ("ECDHE-RSA-CHACHA20-POLY1305", True)):
                p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % srv.port,
                                    "-tls1_2", "-cipher", cipher],
                                   input="", capture_output=True, text=True, timeout=30)
                with self.subTest(cipher=cipher):
                    self.assertEqual("Cipher is " + cipher in p.stdout, ok, p.stdout[-600:])


if __name__ == "__main__":
    main()
