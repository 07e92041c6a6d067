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


    def test_silent_client_after_connection_close_does_not_hold_the_server(self):
        # A client that reads its "Connection: close" answer and then goes silent, never sending
        # its close_notify: the server used to wait for it forever, one thread per such client,
        # until the connection limit answered everyone 503.
        srv = FerryServer()
        cert = os.path.join(srv.root, "cert.pem")
        key = os.path.join(srv.root, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert], check=True,
                       capture_output=True)
        srv.extra_args = ["--tls-cert", cert, "--tls-key", key, "--max-connections", "3",
                          "--idle-timeout", "30"]
        with srv:
            silent = [self.silent_client(srv.port) for _ in range(3)]
            for raw in silent:
                # The server sends its close_notify and then closes the TCP connection at once.
                raw.settimeout(5)
                while raw.recv(4096):
                    pass
                raw.close()
            # The limit is free again for a real client.
            import ssl
            import urllib.error
            import urllib.request
            ctx = ssl.create_default_context(cafile=cert)
            ctx.check_hostname = False
            with self.assertRaises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen("https://127.0.0.1:%d/" % srv.port, context=ctx, timeout=5)
            self.assertEqual(refused.exception.code, 403)  # unsigned; not 503

    @staticmethod
    def silent_client(port):
        """Sends one request with Connection: close over TLS, reads the whole answer, and
        returns the raw TCP socket, on which it will never send anything again."""
        import socket, ssl
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = ctx.wrap_bio(incoming, outgoing, server_side=False)

        def pump(step):
            while True:
                try:
                    result = step()
                    raw.sendall(outgoing.read())
                    return result
                except ssl.SSLWantReadError:
                    raw.sendall(outgoing.read())
                    data = raw.recv(65536)
                    if not data:
                        incoming.write_eof()
                    incoming.write(data)

        pump(tls.do_handshake)
        pump(lambda: tls.write(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"))
        answer = b""
        while b"</Error>" not in answer:
            answer += pump(lambda: tls.read(65536))
        assert answer.startswith(b"HTTP/1.1 403"), answer[:100]
        return raw


if __name__ == "__main__":
    main()
