#!/usr/bin/env python3
"""`cmake --install` and the Debian package ship everything `ferry` needs beside it: the
binary, libferry_isatty.so and ferry_prefetch.py where `ferry train` finds them, libferry.a
with its public headers (a program links against it), and man pages. A copied binary without
its helpers says what is missing."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from ferrytest import FERRY_BIN, FerryServer, ServerFixture, client_env, main

BUILD_DIR = os.environ.get("FERRY_BUILD_DIR", os.path.dirname(FERRY_BIN))
PYTHON = "/usr/bin/python3"

CHECK_HELPERS = r'''
import os, sys
import ferry_prefetch  # from share/ferry/python, on PYTHONPATH
print(os.environ.get("LD_PRELOAD", ""))
print(ferry_prefetch.__file__)
'''

LINKED = r'''
#include <ferry/result.h>
#include <ferry/status.h>
#include <cstdio>
int main() {
  ferry::Result<int> r = ferry::Status::NotFound("no such key");
  std::printf("%s\n", r.status().ToString().c_str());
  return r.ok() ? 1 : 0;
}
'''


def fuse_usable():
    return os.path.exists("/dev/fuse") and shutil.which("fusermount3") is not None


class InstallTest(ServerFixture, unittest.TestCase):
    server_class = FerryServer

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="ferry-install-")
        cls.prefix = os.path.join(cls.tmp, "usr")
        subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", cls.prefix],
                       check=True, capture_output=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    def env(self):
        return client_env(self.endpoint, self.access_key, self.secret_key)

    def test_the_tree_it_installs(self):
        for rel in ["bin/ferry", "lib/ferry/libferry_isatty.so",
                    "share/ferry/python/ferry_prefetch.py", "include/ferry/object_store.h",
                    "lib/libferry.a", "share/man/man1/ferry.1", "share/man/man1/ferry-train.1",
                    "share/man/man1/ferry-sync.1"]:
            self.assertTrue(os.path.exists(os.path.join(self.prefix, rel)), rel)
        with open(os.path.join(self.prefix, "share/man/man1/ferry-cp.1")) as f:
            page = f.read()
        self.assertIn(".TH", page)
        self.assertIn("--recursive", page.replace("\\-", "-"))
        self.assertIn("local→s3", page)
        out = subprocess.run([os.path.join(self.prefix, "bin/ferry"), "--version"],
                             capture_output=True, text=True, check=True).stdout
        self.assertIn("ferry", out)

    def test_a_program_links_against_libferry(self):
        src = os.path.join(self.tmp, "linked.cc")
        with open(src, "w") as f:
            f.write(LINKED)
        exe = os.path.join(self.tmp, "linked")
        subprocess.run(["g++", "-std=c++20", "-I", os.path.join(self.prefix, "include"), src,
                        os.path.join(self.prefix, "lib/libferry.a"), "-o", exe],
                       check=True, capture_output=True)
        out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
        self.assertIn("no such key", out)

    @unittest.skipUnless(fuse_usable(), "FUSE is not available")
    def test_installed_and_copied_binaries_train_in_fast_file_mode(self):
        subprocess.run([FERRY_BIN, "mb", "s3://install-data"], env=self.env(), check=True,
                       capture_output=True)
        data = os.path.join(self.tmp, "data")
        os.makedirs(data, exist_ok=True)
        with open(os.path.join(data, "a.txt"), "w") as f:
            f.write("a")
        subprocess.run([FERRY_BIN, "cp", "-r", data, "s3://install-data/d"], env=self.env(),
                       check=True, capture_output=True)
        script = os.path.join(self.tmp, "check_helpers.py")
        with open(script, "w") as f:
            f.write(CHECK_HELPERS)
        alone = os.path.join(self.tmp, "alone")
        os.makedirs(alone, exist_ok=True)
        shutil.copy(os.path.join(self.prefix, "bin/ferry"), alone)
        for name, binary in (("installed", os.path.join(self.prefix, "bin/ferry")),
                             ("copied", os.path.join(alone, "ferry"))):
            p = subprocess.run([binary, "train", "--job-name", "install-" + name, "--ml-root",
                                os.path.join(self.tmp, "ml-" + name), "--cache-dir",
                                os.path.join(self.tmp, "cache-" + name), "--input-mode",
                                "fastfile", "--channel", "training=s3://install-data/d", "--",
                                PYTHON, script], env=self.env(), capture_output=True, text=True,
                               timeout=300)
            if name == "installed":
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertNotIn("warning", p.stderr)
                lines = p.stdout.split("\n")
                self.assertIn(os.path.join(self.prefix, "lib/ferry/libferry_isatty.so"), lines[0])
                self.assertTrue(lines[1].startswith(os.path.join(self.prefix, "share/ferry")))
            else:
                # Without its helpers: said at once, naming each.
                self.assertIn("warning: libferry_isatty.so", p.stderr)
                self.assertIn("warning: ferry_prefetch.py", p.stderr)

    def test_the_debian_package(self):
        out = os.path.join(self.tmp, "deb")
        subprocess.run(["cpack", "-G", "DEB", "-B", out], cwd=BUILD_DIR, check=True,
                       capture_output=True, timeout=600)
        debs = [f for f in os.listdir(out) if f.endswith(".deb")]
        self.assertEqual(len(debs), 1, debs)
        deb = os.path.join(out, debs[0])
        listing = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True,
                                 check=True).stdout
        for path in ["./usr/bin/ferry", "./usr/lib/ferry/libferry_isatty.so",
                     "./usr/share/ferry/python/ferry_prefetch.py",
                     "./usr/share/man/man1/ferry.1"]:
            self.assertIn(path, listing)
        depends = subprocess.run(["dpkg-deb", "-f", deb, "Depends"], capture_output=True,
                                 text=True, check=True).stdout
        for package in ("fuse3", "libcurl4", "libsqlite3-0"):
            self.assertIn(package, depends)


if __name__ == "__main__":
    main()
