#!/usr/bin/env python3
"""kill -9 of `ferry serve` in the middle of large PUTs, copies, multipart uploads and
deletes.

Several rounds: start the server on the same root, let boto3 threads write (each key is
owned by one thread, so its operations are ordered), kill -9 the server at a random moment,
restart it and check every key. An operation the server acknowledged must be there exactly;
one cut short may have happened or not, but never partly: the object is its previous
version, or the new one complete and byte-exact. The root must not accumulate leftovers of
interrupted writes from round to round.
"""
import concurrent.futures
import hashlib
import os
import random
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import unittest

import botocore.exceptions
from botocore.config import Config

from ferrytest import FerryServer, main

MiB = 1024 * 1024
ROUNDS = 5
PUT_THREADS, MP_THREADS, KEYS_PER_THREAD = 3, 2, 2
BUCKET = "crash"
ABSENT = ("absent", 0)


def make_body(seed, size):
    """A body unique to seed: a random 1 MiB block repeated, so versions never share bytes
    at the same offset and any mix of two of them has a digest of its own."""
    block = random.Random(seed).randbytes(MiB)
    return (block * (size // MiB + 1))[:size]


def version_of(data):
    return (hashlib.md5(data).hexdigest(), len(data))


def du(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_blocks * 512
            except FileNotFoundError:
                pass
    return total


class KeyLedger:
    """What the client knows about one key: the last acknowledged version, and the versions
    of operations started after it whose outcome is unknown."""

    def __init__(self):
        self.acked = ABSENT
        self.pending = []

    def allowed(self):
        return [self.acked] + self.pending


class CrashTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="ferry-crash-")
        self.rng = random.Random(int(os.environ.get("FERRY_CRASH_SEED", time.time())))
        self.ledger = {}
        self.lock = threading.Lock()
        self.seed = 0
        self.done = {"put": 0, "copy": 0, "delete": 0, "multipart": 0}  # acknowledged

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def next_seed(self):
        with self.lock:
            self.seed += 1
            return self.seed

    def client(self, srv):
        return srv.boto3_client(config=Config(
            s3={"addressing_style": "path"}, retries={"max_attempts": 1},
            connect_timeout=10, read_timeout=120, max_pool_connections=4))

    # Each worker runs until its stop event is set or the server goes away.
    def put_worker(self, srv, keys, stop, rng):
        s3 = self.client(srv)
        while not stop.is_set():
            key = rng.choice(keys)
            led = self.ledger[key]
            dice = rng.random()
            if dice < 0.1:
                led.pending.append(ABSENT)
                s3.delete_object(Bucket=BUCKET, Key=key)
                led.acked, led.pending = ABSENT, []
                self.done["delete"] += 1
                continue
            src = self.ledger[rng.choice(keys)]
            if dice < 0.25 and src is not led and src.acked != ABSENT and not src.pending:
                # A server-side copy from a key this thread owns, so its version is known.
                source_key = next(k for k in keys if self.ledger[k] is src)
                led.pending.append(src.acked)
                s3.copy_object(Bucket=BUCKET, Key=key,
                               CopySource={"Bucket": BUCKET, "Key": source_key})
                led.acked, led.pending = src.acked, []
                self.done["copy"] += 1
                continue
            data = make_body(self.next_seed(), rng.randint(8 * MiB, 64 * MiB))
            v = version_of(data)
            led.pending.append(v)
            s3.put_object(Bucket=BUCKET, Key=key, Body=data)
            led.acked, led.pending = v, []
            self.done["put"] += 1

    def multipart_worker(self, srv, keys, stop, rng):
        s3 = self.client(srv)
        while not stop.is_set():
            key = rng.choice(keys)
            led = self.ledger[key]
            nparts = rng.randint(2, 4)
            sizes = [5 * MiB] * (nparts - 1) + [rng.randint(1, 5 * MiB)]
            seed = self.next_seed()
            data = make_body(seed, sum(sizes))
            v = version_of(data)
            led.pending.append(v)
            up = s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
            parts, offset = [], 0
            for i, size in enumerate(sizes, 1):
                r = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up, PartNumber=i,
                                   Body=data[offset:offset + size])
                parts.append({"PartNumber": i, "ETag": r["ETag"]})
                offset += size
            s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up,
                                         MultipartUpload={"Parts": parts})
            led.acked, led.pending = v, []
            self.done["multipart"] += 1

    def run_round(self, srv, kill_after):
        stop = threading.Event()
        errors = []

        def guarded(fn, *args):
            try:
                fn(*args)
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
                if not stop.is_set():
                    errors.append(repr(e))  # failed while the server was still up

        workers = []
        for t in range(PUT_THREADS + MP_THREADS):
            mp = t >= PUT_THREADS
            keys = ["%s/t%d/k%d" % ("mp" if mp else "put", t, j) for j in range(KEYS_PER_THREAD)]
            for k in keys:
                self.ledger.setdefault(k, KeyLedger())
            fn = self.multipart_worker if mp else self.put_worker
            rng = random.Random(self.rng.random())
            workers.append(threading.Thread(target=guarded, args=(fn, srv, keys, stop, rng)))
        for w in workers:
            w.start()
        time.sleep(kill_after)
        stop.set()
        srv.kill9()
        for w in workers:
            w.join(timeout=180)
            self.assertFalse(w.is_alive(), "a client thread hung after the server was killed")
        self.assertEqual(errors, [], "operations failed while the server was up")
        return sum(len(led.pending) for led in self.ledger.values())

    def verify(self, srv):
        """Checks every key against the ledger and returns the bytes stored in live objects."""
        s3 = self.client(srv)
        live = 0
        listed = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            listed.update({o["Key"]: o["Size"] for o in page.get("Contents", [])})

        def check(key):
            try:
                data = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
                return version_of(data)
            except botocore.exceptions.ClientError as e:
                self.assertEqual(e.response["Error"]["Code"], "NoSuchKey")
                return ABSENT

        keys = sorted(self.ledger)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            got = dict(zip(keys, pool.map(check, keys)))
        for key in keys:
            led = self.ledger[key]
            self.assertIn(got[key], led.allowed(),
                          "%s: found %s; acknowledged %s, unacknowledged %s"
                          % (key, got[key], led.acked, led.pending))
            if got[key] == ABSENT:
                self.assertNotIn(key, listed)
            else:
                self.assertEqual(listed.get(key), got[key][1], key)
                live += got[key][1]
            led.acked, led.pending = got[key], []
        self.assertEqual(set(listed) - set(keys), set())
        # Uploads cut short are left for the client to abort, as with S3.
        for u in s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []):
            s3.abort_multipart_upload(Bucket=BUCKET, Key=u["Key"], UploadId=u["UploadId"])
        return live

    def test_kill9_during_large_writes(self):
        srv = FerryServer(root=self.root)
        srv.start()
        self.client(srv).create_bucket(Bucket=BUCKET)
        overheads = []
        cut_short = 0
        try:
            for r in range(ROUNDS):
                in_flight = self.run_round(srv, kill_after=self.rng.uniform(1.0, 4.0))
                cut_short += in_flight
                srv.start()
                live = self.verify(srv)
                # What the root holds beyond the live objects: index, journal and leftovers.
                overhead = du(os.path.join(self.root, "data")) - live
                overheads.append(overhead)
                print("round %d: %d operations cut short, %d keys present, live %.1f MiB, "
                      "overhead %.1f MiB" % (r, in_flight, sum(
                          1 for v in self.ledger.values() if v.acked != ABSENT), live / MiB,
                          overhead / MiB), file=sys.stderr)
            # A clean restart must leave the same state.
            srv.stop()
            srv.start()
            live = self.verify(srv)
            overhead = du(os.path.join(self.root, "data")) - live
            overheads.append(overhead)
            print("acknowledged: %s" % self.done, file=sys.stderr)
        finally:
            srv.stop()
        self.assertGreater(cut_short, 0, "the server was never killed in the middle of a write")
        # Leftovers of interrupted writes must not pile up: the root is the live data plus
        # a bounded overhead (SQLite files and journals), not one body per crash.
        self.assertLess(max(overheads), 64 * MiB, overheads)


if __name__ == "__main__":
    main()
