"""Crash and fault tests of the local backend (GitHub issue 12): `kill -9` under write load and
during an object upload, and a full disk.

Runs the real `sbapi serve` named by $SBAPI_BIN on 127.0.0.1 (sbapi_server.py) and stops every
process it starts by its PID. Python 3 standard library only. Run from tests/blackbox:

    SBAPI_BIN=/path/to/sbapi python3 -m unittest -v test_crash_faults

- KillUnderLoadTest: 3 rounds of 8 threads POSTing unique users, SIGKILL mid-load, restart on
  the same data dir: every 201 is readable afterwards with the same fields, and
  `PRAGMA integrity_check` of sbapi.db says "ok" (on a copy after each kill, on the file itself
  after the final clean stop).
- KillDuringUploadTest: SIGKILL while a 20 MiB presigned PUT is half sent: after the restart the
  object answers 404 NoSuchKey, the asset is still "pending" and can be uploaded, and nothing is
  left in <data-dir>/objects-tmp/.
- DiskFullTest: the data dir is an 8 MiB tmpfs filled up to ENOSPC: POST /users answers 503 with
  Retry-After, reads go on, and writes succeed again once space is freed, without a restart.
  Needs root (mount); otherwise skipped with the reason. As root under CI=true a failing mount is
  a failure, not a skip.
"""

import http.client
import os
import random
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid

from sbapi_server import RestartsOnOneDataDir, SbapiServer, request_on
from s3_helpers import md5_hex, s3_error, url_request
from small_tmpfs import SmallTmpfsTestCase

BUCKET = "sbapi-assets"
SERVICE_UNAVAILABLE = {"error": "Service temporarily unavailable"}


def setUpModule():
    if os.environ.get("SBAPI_NO_DATA_DIR") == "1":
        raise unittest.SkipTest("the backend keeps no data dir: no local files to crash or fill")


def new_id(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex)


def integrity_check(db_path):
    """PRAGMA integrity_check of a database file (not in use by a server) -> list of lines."""
    conn = sqlite3.connect(db_path)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    finally:
        conn.close()


def integrity_check_copy(data_dir, scratch):
    """integrity_check of a copy of <data-dir>/sbapi.db and its WAL (the -shm is rebuilt)."""
    os.makedirs(scratch, exist_ok=True)
    for suffix in ("", "-wal"):
        src = os.path.join(data_dir, "sbapi.db" + suffix)
        dst = os.path.join(scratch, "sbapi.db" + suffix)
        if os.path.exists(dst):
            os.unlink(dst)
        if os.path.exists(src):
            shutil.copyfile(src, dst)
    return integrity_check(os.path.join(scratch, "sbapi.db"))


def dir_listing(path):
    """{name: size} of the regular files directly in `path` ({} if it does not exist)."""
    out = {}
    try:
        names = os.listdir(path)
    except FileNotFoundError:
        return out
    for name in names:
        full = os.path.join(path, name)
        try:
            out[name] = os.stat(full).st_size
        except FileNotFoundError:
            pass
    return out


def log_tail(srv, n=15):
    return "\n".join(srv.raw_logs()[-n:]) + "\nstderr:\n" + srv.stderr_text()[-2000:]


# ================================================================================== kill -9 under load


class KillUnderLoadTest(RestartsOnOneDataDir, unittest.TestCase):
    """SIGKILL while 8 clients POST unique users; restart; every acknowledged write is there."""

    ROUNDS = 3
    THREADS = 8
    MIN_LOAD_SECONDS = 0.8   # load runs this long at least before the kill ...
    MAX_EXTRA_SECONDS = 0.7  # ... plus a random part, so the kill lands at varying moments
    MIN_ACKED_PER_ROUND = 100

    def setUp(self):
        self.data_dir = tempfile.mkdtemp(prefix="sbapi-bb-crash-")
        self.addCleanup(shutil.rmtree, self.data_dir, True)
        self.scratch = tempfile.mkdtemp(prefix="sbapi-bb-crash-copy-")
        self.addCleanup(shutil.rmtree, self.scratch, True)
        self.servers = []

    def load_then_kill(self, srv, round_no):
        """8 threads POST unique users until the server is SIGKILLed -> [acknowledged users]."""
        stop = threading.Event()
        acked = [[] for _ in range(self.THREADS)]   # per thread: the "user" of every 201
        unexpected = []                             # non-201 answers before the kill
        ended_by = [None] * self.THREADS            # the exception that ended each thread
        counter = [0]
        counter_lock = threading.Lock()

        def worker(i):
            conn = srv.connection(timeout=10)
            n = 0
            try:
                while not stop.is_set():
                    n += 1
                    uid = "crash-r%d-t%d-%d-%s" % (round_no, i, n, uuid.uuid4().hex[:8])
                    body = {"userId": uid, "email": "%s@example.com" % uid,
                            "name": "Name %d/%d" % (i, n), "department": "Dept %d" % round_no}
                    status, _h, resp = request_on(conn, "POST", "/users", body)
                    if status == 201 and isinstance(resp, dict) and "user" in resp:
                        acked[i].append(resp["user"])
                        with counter_lock:
                            counter[0] += 1
                    else:
                        unexpected.append((status, resp))
                        return
            except (OSError, http.client.HTTPException) as exc:
                ended_by[i] = exc   # expected: the server was killed under this request
            finally:
                conn.close()

        threads = [threading.Thread(target=worker, args=(i,), daemon=True)
                   for i in range(self.THREADS)]
        started = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(self.MIN_LOAD_SECONDS + random.uniform(0, self.MAX_EXTRA_SECONDS))
        running = sum(1 for t in threads if t.is_alive())
        with counter_lock:
            acked_before_kill = counter[0]
        srv.stop(signal.SIGKILL)
        elapsed = time.monotonic() - started
        stop.set()
        for t in threads:
            t.join(timeout=15)
        self.assertFalse(any(t.is_alive() for t in threads), "a load thread hangs after the kill")
        self.assertEqual(unexpected, [], "round %d: non-201 answers under load before the kill"
                         % round_no)
        self.assertEqual(running, self.THREADS,
                         "round %d: only %d of %d load threads were still running at the kill"
                         % (round_no, running, self.THREADS))
        # The kill must have hit requests in flight. A thread that was between two requests when
        # `stop` was set ends without an error (None), which is fine.
        self.assertGreaterEqual(sum(1 for e in ended_by if e is not None), self.THREADS // 2,
                                "round %d: the kill should have cut most load threads' requests: %r"
                                % (round_no, ended_by))
        users = [u for per_thread in acked for u in per_thread]
        self.assertGreaterEqual(acked_before_kill, self.MIN_ACKED_PER_ROUND,
                                "round %d: only %d writes acknowledged in %.1f s; the load is too "
                                "light to test anything" % (round_no, acked_before_kill, elapsed))
        sys.stderr.write("\n  round %d: %d writes acknowledged in %.2f s before kill -9 ... "
                         % (round_no, len(users), elapsed))
        return users

    def verify(self, srv, users):
        """GET every user in parallel; each must be 200 with exactly the acknowledged body."""
        problems = []
        lock = threading.Lock()
        chunks = [users[i::4] for i in range(4)]

        def worker(chunk):
            conn = srv.connection()
            try:
                for user in chunk:
                    status, _h, body = request_on(conn, "GET", "/users/" + user["userId"])
                    if status != 200 or body != user:
                        with lock:
                            problems.append((user["userId"], status, body, user))
            except Exception as exc:
                with lock:
                    problems.append(("request failed", exc))
            finally:
                conn.close()

        threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in chunks]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        self.assertEqual(problems[:5], [], "%d of %d acknowledged users not read back intact "
                         "after kill -9 (first 5 shown)" % (len(problems), len(users)))

    def test_acknowledged_writes_survive_repeated_kill_9_under_load(self):
        all_users = []
        for round_no in range(1, self.ROUNDS + 1):
            srv = self.start()
            # Everything acknowledged in earlier rounds survived the kills since.
            self.verify(srv, all_users)
            users = self.load_then_kill(srv, round_no)
            self.assertLess(srv.exit_code, 0, "the server was not killed by a signal")
            self.assertEqual(integrity_check_copy(self.data_dir, self.scratch), ["ok"],
                             "integrity_check of sbapi.db after kill -9 in round %d" % round_no)
            all_users.extend(users)
        self.assertEqual(len({u["userId"] for u in all_users}), len(all_users))
        srv = self.start()
        self.verify(srv, all_users)
        self.assertEqual(srv.stop(signal.SIGTERM), 0, srv.stderr_text())
        self.assertEqual(integrity_check(os.path.join(self.data_dir, "sbapi.db")), ["ok"],
                         "integrity_check of sbapi.db after the final clean stop")


# ================================================================================== kill -9 mid-upload


class KillDuringUploadTest(RestartsOnOneDataDir, unittest.TestCase):
    """SIGKILL while a presigned PUT of 20 MiB is half sent; restart on the same data dir."""

    CTYPE = "application/octet-stream"
    TOTAL = 20 * 1024 * 1024
    SENT = 8 * 1024 * 1024

    def setUp(self):
        self.data_dir = tempfile.mkdtemp(prefix="sbapi-bb-upload-kill-")
        self.addCleanup(shutil.rmtree, self.data_dir, True)
        self.tmp_dir = os.path.join(self.data_dir, "objects-tmp")
        self.servers = []

    def kill_mid_upload(self):
        """Creates an asset, half-sends its upload, SIGKILLs, restarts -> (new server, asset)."""
        srv = self.start()
        aid = new_id("killed-upload")
        status, _h, created = srv.request("POST", "/assets", {
            "assetId": aid, "fileName": "big.bin", "contentType": self.CTYPE})
        self.assertEqual(status, 201, created)
        asset = created["asset"]
        parts = urllib.parse.urlsplit(created["uploadUrl"])
        head = ("PUT %s?%s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
                % (parts.path, parts.query, parts.netloc, self.CTYPE, self.TOTAL))
        sock = socket.create_connection((srv.host, srv.port), timeout=10)
        try:
            sock.sendall(head.encode("ascii"))
            block = os.urandom(1024 * 1024)
            for _ in range(self.SENT // len(block)):
                sock.sendall(block)
            # The server streams the body into a temp file: wait until it has most of it, so
            # the kill lands in the middle of a write in progress.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if sum(dir_listing(self.tmp_dir).values()) >= self.SENT // 2:
                    break
                time.sleep(0.02)
            before_kill = dir_listing(self.tmp_dir)
            self.assertGreaterEqual(sum(before_kill.values()), self.SENT // 2,
                                    "the upload never reached objects-tmp/: %r" % before_kill)
            # While the upload is in progress the object is not visible.
            status, _h, info = srv.request("GET", "/assets/%s/download" % aid)
            self.assertEqual(status, 200, info)
            code, _h, raw = url_request(info["downloadUrl"], port=srv.port)
            self.assertEqual(code, 404, "object visible during its upload: %r" % raw[:300])
            srv.stop(signal.SIGKILL)
        finally:
            sock.close()
        self.assertLess(srv.exit_code, 0, "the server was not killed by a signal")
        return self.start(), asset, before_kill

    def test_kill_9_during_upload_leaves_no_partial_object(self):
        srv, asset, _before = self.kill_mid_upload()
        aid = asset["assetId"]
        status, _h, after = srv.request("GET", "/assets/" + aid)
        self.assertEqual(status, 200, after)
        self.assertEqual(after, asset, "the asset changed by an upload that never completed")
        self.assertEqual(after["status"], "pending")
        status, _h, info = srv.request("GET", "/assets/%s/download" % aid)
        self.assertEqual(status, 200, info)
        self.assertEqual(info["status"], "pending")
        code, _h, raw = url_request(info["downloadUrl"], port=srv.port)
        self.assertEqual(code, 404, "GET of the killed upload's object answered %d with %d bytes "
                         "(a partial object?)" % (code, len(raw)))
        self.assertEqual(s3_error(raw).get("Code"), "NoSuchKey", raw[:500])
        code, _h, raw = url_request(srv.presign("HEAD", asset["s3Key"]), method="HEAD",
                                    port=srv.port)
        self.assertEqual(code, 404, "HEAD of the killed upload's object")
        obj_path = os.path.join(self.data_dir, "objects", BUCKET, asset["s3Key"])
        self.assertFalse(os.path.exists(obj_path), "a (partial) object file exists: %s (%d bytes)"
                         % (obj_path, os.path.getsize(obj_path) if os.path.isfile(obj_path) else -1))
        # The asset can still be uploaded normally.
        status, _h, again = srv.request("POST", "/assets", {
            "assetId": aid, "fileName": "big.bin", "contentType": self.CTYPE})
        self.assertEqual(status, 200, again)
        data = os.urandom(64 * 1024)
        code, headers, raw = url_request(again["uploadUrl"], "PUT", data,
                                         {"Content-Type": self.CTYPE}, port=srv.port)
        self.assertEqual(code, 200, raw[:500])
        self.assertEqual(headers.get("etag"), '"%s"' % md5_hex(data))
        status, _h, done = srv.request("GET", "/assets/" + aid)
        self.assertEqual((status, done.get("status"), done.get("size")), (200, "uploaded", len(data)))
        code, _h, raw = url_request(srv.request("GET", "/assets/%s/download" % aid)[2]["downloadUrl"],
                                    port=srv.port)
        self.assertEqual(code, 200)
        self.assertTrue(raw == data, "downloaded bytes differ from the re-upload")
        self.assertEqual(srv.stop(signal.SIGTERM), 0, srv.stderr_text())

    def test_kill_9_during_upload_leaves_no_temp_file_after_restart(self):
        # Issue 12: "a temp file of a killed upload stays in objects-tmp/ forever (clean it at
        # start)". The restarted server is the only process on the data dir (it holds the
        # lock), so nothing in objects-tmp/ can belong to an upload in progress.
        srv, _asset, before = self.kill_mid_upload()
        deadline = time.monotonic() + 2
        left = dir_listing(self.tmp_dir)
        while left and time.monotonic() < deadline:
            time.sleep(0.05)
            left = dir_listing(self.tmp_dir)
        self.assertEqual(left, {}, "after the restart, the temp file(s) of the upload killed by "
                         "kill -9 are still in %s (name: bytes) %r; before the kill: %r. The server "
                         "should delete stray files in objects-tmp/ at start."
                         % (self.tmp_dir, left, before))
        self.assertTrue(os.path.isdir(self.tmp_dir), "objects-tmp/ itself must remain")
        self.assertEqual(srv.stop(signal.SIGTERM), 0, srv.stderr_text())


# ================================================================================== disk full


class DiskFullTest(SmallTmpfsTestCase):
    """The data dir is a small tmpfs; the disk is filled up; then space is freed again."""

    def post_user(self, uid):
        return self.srv.request("POST", "/users", {"userId": uid, "email": "%s@example.com" % uid,
                                                    "name": "n" * 256, "department": "d" * 256})

    def assert503(self, resp, what):
        status, headers, body = resp
        self.assertEqual(status, 503, "%s on a full disk answered %d %r, expected 503; server log:"
                         "\n%s" % (what, status, body, log_tail(self.srv)))
        self.assertEqual(body, SERVICE_UNAVAILABLE)
        self.assertEqual(headers.get("content-type", "").split(";")[0], "application/json")
        retry = headers.get("retry-after")
        self.assertIsNotNone(retry, "503 without Retry-After: %r" % headers)
        self.assertTrue(retry.isdigit() and int(retry) >= 1, "Retry-After %r" % retry)

    def test_full_disk_gives_503_reads_go_on_and_writes_recover_without_restart(self):
        st = os.statvfs(self.mnt)
        self.assertLessEqual(st.f_blocks * st.f_frsize, self.SIZE_MIB * 1024 * 1024,
                             "the data dir is not the small tmpfs")
        self.srv = SbapiServer(data_dir=self.mnt)
        pid = self.srv.proc.pid
        kept = new_id("kept")
        status, _h, created = self.post_user(kept)
        self.assertEqual(status, 201, created)
        kept_user = created["user"]

        filler = os.path.join(self.mnt, "filler.bin")
        self.fill(filler)

        # SQLite may still have room in pages it already owns (its WAL): write until it has not.
        statuses = []
        rejected = None
        for i in range(200):
            uid = new_id("full%d" % i)
            resp = self.post_user(uid)
            statuses.append(resp[0])
            if resp[0] != 201:
                rejected = uid
                self.assert503(resp, "POST /users")
                break
        self.assertIsNotNone(rejected, "200 POSTs of 0.5 KiB users all succeeded on a full disk")
        self.assertEqual(set(statuses[:-1]), {201} if statuses[:-1] else set(), statuses)
        for i in range(3):  # it stays so while the disk is full
            self.assert503(self.post_user(new_id("full-again%d" % i)), "POST /users (again)")
        status, _h, body = self.srv.request("GET", "/users/" + rejected)
        self.assertEqual((status, body), (404, {"error": "User not found"}),
                         "a write answered 503 must not be visible")
        self.assertTrue(any(o.get("level") == "error" for o in self.srv.logs()),
                        "no error line logged for the storage failure:\n" + log_tail(self.srv))

        # Reads keep working.
        status, _h, body = self.srv.request("GET", "/users/" + kept)
        self.assertEqual((status, body), (200, kept_user), "GET of an existing user on a full disk")
        status, _h, body = self.srv.request("GET", "/health")
        self.assertEqual((status, body), (200, {"status": "ok"}), "GET /health on a full disk")

        # Free the space: writes succeed again, same process (no restart).
        os.unlink(filler)
        uid = new_id("after")
        deadline = time.monotonic() + 3
        while True:
            status, _h, body = self.post_user(uid)
            if status == 201 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(status, 201, "POST /users after freeing the disk answered %d %r; log:\n%s"
                         % (status, body, log_tail(self.srv)))
        after_user = body["user"]
        for i in range(5):
            status, _h, body = self.post_user(new_id("after%d" % i))
            self.assertEqual(status, 201, body)
        status, _h, body = self.srv.request("GET", "/users/" + uid)
        self.assertEqual((status, body), (200, after_user))
        self.assertTrue(self.srv.alive())
        self.assertEqual(self.srv.proc.pid, pid)
        self.assertEqual(self.srv.stop(signal.SIGTERM), 0, self.srv.stderr_text())
        self.assertEqual(integrity_check(os.path.join(self.mnt, "sbapi.db")), ["ok"],
                         "integrity_check of sbapi.db after the disk-full episode")


if __name__ == "__main__":
    unittest.main()
