#!/usr/bin/env python3
"""A real browser against `ferry serve`: headless Chromium loads a page from another origin
(a small server of this test), uploads a file with a boto3-made POST policy form, reads it
back with a CORS GET of a presigned URL, writes with a presigned PUT that needs a preflight,
and reports what it saw to the page's server. A page from an origin the bucket's CORS rules do
not name is refused by the browser itself. Chromium is told to send nothing beyond loopback."""
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

from botocore.config import Config

from ferrytest import FerryServer, main

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

PAGE = """<!doctype html><html><body><script>
const cfg = %s;
async function run() {
  const out = {};
  try {
    const form = new FormData();
    for (const [k, v] of Object.entries(cfg.fields)) form.append(k, v);
    form.append('file', new Blob([cfg.content], {type: 'text/plain'}), 'hello.txt');
    const posted = await fetch(cfg.post_url, {method: 'POST', body: form});
    out.post_status = posted.status;
    out.post_etag = posted.headers.get('ETag');
    const got = await fetch(cfg.get_url);
    out.get_status = got.status;
    out.body = await got.text();
    const put = await fetch(cfg.put_url, {method: 'PUT', body: '{"from": "the browser"}',
                                          headers: {'Content-Type': 'application/json'}});
    out.put_status = put.status;
  } catch (e) {
    out.error = String(e);
  }
  await fetch('/report', {method: 'POST', body: JSON.stringify(out)});
}
run();
</script></body></html>"""


class PageServer:
    """Serves one page on 127.0.0.1 and keeps the first report it is sent."""

    def __init__(self, page):
        self.report = None
        self.reported = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                outer.report = json.loads(self.rfile.read(n))
                outer.reported.set()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self):
        return "http://127.0.0.1:%d" % self.httpd.server_address[1]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@unittest.skipUnless(os.path.exists(CHROMIUM), "chromium is not installed")
class Browser(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ferry-browser-")
        self.srv = FerryServer().start()
        self.s3 = self.srv.default_boto3_client()
        self.v4 = self.srv.boto3_client(config=Config(signature_version="s3v4"))
        self.s3.create_bucket(Bucket="web")

    def tearDown(self):
        self.srv.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)

    def visit(self, page_server):
        """Opens the page in headless Chromium until it reports; returns the report."""
        profile = tempfile.mkdtemp(dir=self.dir)
        argv = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--no-first-run",
                "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-default-apps",
                "--disable-domain-reliability", "--disable-client-side-phishing-detection",
                "--no-pings", "--metrics-recording-only", "--dns-prefetch-disable",
                # Anything not on loopback (which Chromium never proxies) goes to a proxy that
                # is not there.
                "--proxy-server=http://127.0.0.1:9",
                page_server.origin + "/"]
        log = open(os.path.join(self.dir, "chromium.log"), "w")
        proc = subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True)
        try:
            reported = page_server.reported.wait(90)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            log.close()
        if not reported:
            with open(os.path.join(self.dir, "chromium.log")) as f:
                self.fail("the page never reported; chromium said:\n" + f.read()[-3000:])
        return page_server.report

    def page_for(self, key):
        form = self.v4.generate_presigned_post(
            "web", "uploads/${filename}",
            Fields={"Content-Type": "text/plain", "x-amz-meta-tool": "labeller"},
            Conditions=[["starts-with", "$key", "uploads/"], {"Content-Type": "text/plain"},
                        {"x-amz-meta-tool": "labeller"}, ["content-length-range", 1, 1 << 20]])
        cfg = {"fields": form["fields"], "post_url": form["url"], "content": "hello from a tab",
               "get_url": self.v4.generate_presigned_url(
                   "get_object", Params={"Bucket": "web", "Key": key}),
               "put_url": self.v4.generate_presigned_url(
                   "put_object", Params={"Bucket": "web", "Key": "notes.json"})}
        return PAGE % json.dumps(cfg)

    def test_a_page_uploads_with_a_post_policy_and_reads_back_with_cors(self):
        page = PageServer(self.page_for("uploads/hello.txt"))
        self.addCleanup(page.stop)
        self.s3.put_bucket_cors(Bucket="web", CORSConfiguration={"CORSRules": [{
            "AllowedOrigins": [page.origin], "AllowedMethods": ["GET", "PUT", "POST"],
            "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 60}]})
        report = self.visit(page)
        self.assertNotIn("error", report, report)
        self.assertEqual(report["post_status"], 204, report)
        self.assertTrue(report["post_etag"], "ETag is exposed to the page: %s" % report)
        self.assertEqual((report["get_status"], report["body"]), (200, "hello from a tab"))
        self.assertEqual(report["put_status"], 200, report)
        stored = self.s3.get_object(Bucket="web", Key="uploads/hello.txt")
        self.assertEqual(stored["Body"].read(), b"hello from a tab")
        self.assertEqual(stored["Metadata"], {"tool": "labeller"})
        self.assertEqual(self.s3.get_object(Bucket="web", Key="notes.json")["Body"].read(),
                         b'{"from": "the browser"}')

    def test_a_page_from_an_origin_no_rule_names_is_refused_by_the_browser(self):
        page = PageServer(self.page_for("uploads/hello.txt"))
        self.addCleanup(page.stop)
        self.s3.put_bucket_cors(Bucket="web", CORSConfiguration={"CORSRules": [{
            "AllowedOrigins": ["http://labelling.example"], "AllowedMethods": ["GET", "POST"]}]})
        report = self.visit(page)
        # The form upload itself reaches the server (a simple request), but the browser hides
        # its answer from a page the rules do not name.
        self.assertIn("Failed to fetch", report.get("error", ""), report)


if __name__ == "__main__":
    main()
