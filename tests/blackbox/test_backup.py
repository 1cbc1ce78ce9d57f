"""`sbapi backup` / `sbapi restore` (issue 16; src/adapters/local/backup.h, docs/operations.md).

A real `sbapi serve --auth local` takes concurrent writes (users POST/PUT, asset creates,
presigned uploads and re-uploads) while `sbapi backup` runs. The backup is restored into a fresh
data dir and a server started on it; the test checks:
- `PRAGMA integrity_check` of the restored sbapi.db is ok;
- every write acknowledged before the backup began is there (or a later write of the same key:
  each key is written by one thread, in order, so "later" is well defined);
- every `uploaded` asset's object downloads with its recorded size and ETag (objects and
  metadata agree), and none is uploaded without its file;
- the key files are 0600 and the same: a token minted before still verifies, a nextToken read
  before still continues its listing;
- restore refuses a live data dir (even with --force), a non-empty one without --force, and a
  backup with one flipped byte (the target stays empty); backup refuses a non-empty --to.
"""

import hashlib
import http.client
import os
import random
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

from sbapi_server import SbapiServer, request_on, sbapi_bin
from s3_helpers import url_request

THREADS = 4
LOAD_BEFORE_BACKUP = 2.5  # seconds of writes before the backup starts
LOAD_AFTER_BACKUP = 0.3
COMMAND_TIMEOUT = 60
KEYS_PER_THREAD = 100  # then only updates and re-uploads: the checks' cost stays bounded


def setUpModule():
    if os.environ.get("SBAPI_NO_DATA_DIR") == "1":
        raise unittest.SkipTest("the backend keeps no data dir: nothing to back up")


def run(*args):
    return subprocess.run([sbapi_bin()] + list(args), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=COMMAND_TIMEOUT)


def integrity_check(db_path):
    conn = sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(db_path), uri=True)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    finally:
        conn.close()


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


class Writer:
    """One load thread: its own users and assets, each written in order by this thread alone.

    history[key] = [(value, acknowledged_at), ...] in the order the writes were acknowledged;
    for a user the value is its department, for an asset None (created) or the upload's ETag.
    """

    def __init__(self, srv, token, index, stop):
        self.srv, self.token, self.index, self.stop = srv, token, index, stop
        self.history = {}
        self.upload_urls = {}  # assetId -> the uploadUrl of its creation (valid an hour)
        self.errors = []
        self.rng = random.Random(index)
        self.thread = threading.Thread(target=self.run, daemon=True)

    def ack(self, key, value):
        self.history.setdefault(key, []).append((value, time.monotonic()))

    def run(self):
        conn = self.srv.connection(timeout=15)
        auth = {"Authorization": "Bearer " + self.token}
        n = 0
        try:
            while not self.stop.is_set():
                n += 1
                users = [k for k in self.history if k.startswith("user:")]
                assets = list(self.upload_urls)
                choice = self.rng.random()
                full = len(self.history) >= KEYS_PER_THREAD
                if full and choice < 0.3 or full and 0.5 <= choice < 0.7:
                    choice = 0.4 if choice < 0.3 else 0.8  # an update or an upload instead
                if choice < 0.3 or not users:
                    uid = "bk-t%d-u%d" % (self.index, n)
                    status, _, body = request_on(conn, "POST", "/users", {
                        "userId": uid, "email": uid + "@example.com", "name": "N",
                        "department": "d0"}, auth)
                    if status != 201:
                        self.errors.append(("POST /users", status, body))
                        return
                    self.ack("user:" + uid, "d0")
                elif choice < 0.5:
                    key = self.rng.choice(users)
                    dept = "d%d" % n
                    status, _, body = request_on(conn, "PUT", "/users/" + key[5:],
                                                 {"department": dept}, auth)
                    if status != 200:
                        self.errors.append(("PUT /users", status, body))
                        return
                    self.ack(key, dept)
                elif choice < 0.7 or not assets:
                    aid = "bk-t%d-a%d" % (self.index, n)
                    status, _, body = request_on(conn, "POST", "/assets", {
                        "assetId": aid, "fileName": "f.bin",
                        "contentType": "application/octet-stream"}, auth)
                    if status != 201:
                        self.errors.append(("POST /assets", status, body))
                        return
                    self.upload_urls[aid] = body["uploadUrl"]
                    self.ack("asset:" + aid, None)
                else:
                    # An upload, or a re-upload of an asset uploaded already (a third of them).
                    aid = self.rng.choice(assets)
                    data = os.urandom(self.rng.randint(1, 48 * 1024))
                    status, headers, _ = url_request(
                        self.upload_urls[aid], "PUT", data,
                        {"Content-Type": "application/octet-stream"})
                    if status != 200:
                        self.errors.append(("PUT object", status))
                        return
                    etag = headers.get("etag", "").strip('"')
                    if etag != hashlib.md5(data).hexdigest():
                        self.errors.append(("PUT object etag", etag))
                        return
                    self.ack("asset:" + aid, etag)
        except (OSError, http.client.HTTPException) as exc:
            self.errors.append(("exception", repr(exc)))
        finally:
            conn.close()


class BackupRestoreTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="sbapi-bb-backup-")
        self.addCleanup(shutil.rmtree, self.root, True)
        self.data = os.path.join(self.root, "data")
        self.backup = os.path.join(self.root, "backup")
        self.restored = os.path.join(self.root, "restored")
        self.servers = []

    def tearDown(self):
        for srv in self.servers:
            srv.stop()

    def serve(self, data_dir):
        srv = SbapiServer(data_dir=data_dir, extra_args=["--auth", "local"])
        self.servers.append(srv)
        return srv

    def assert_refused(self, proc, words):
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn(words, proc.stderr)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)

    def test_backup_under_concurrent_writes_restores_every_acknowledged_write(self):
        live = self.serve(self.data)
        minted = run("token", "--data-dir", self.data, "--sub", "ops", "--group", "admin")
        self.assertEqual(minted.returncode, 0, minted.stderr)
        token = minted.stdout.strip()
        auth = {"Authorization": "Bearer " + token}
        for i in range(3):
            uid = "bk-first-%d" % i
            status, _, _ = live.request("POST", "/users", {"userId": uid,
                                                           "email": uid + "@example.com"}, auth)
            self.assertEqual(status, 201)
        status, _, page = live.request("GET", "/users?limit=2", headers=auth)
        self.assertEqual(status, 200)
        self.assertIsNotNone(page["nextToken"])

        # --- the load, and the backup in the middle of it
        stop = threading.Event()
        writers = [Writer(live, token, i, stop) for i in range(THREADS)]
        for w in writers:
            w.thread.start()
        time.sleep(LOAD_BEFORE_BACKUP)
        began = time.monotonic()
        made = run("backup", "--data-dir", self.data, "--to", self.backup)
        ended = time.monotonic()
        time.sleep(LOAD_AFTER_BACKUP)
        stop.set()
        for w in writers:
            w.thread.join(timeout=30)
        self.assertEqual(made.returncode, 0, made.stderr)
        self.assertIn("backup of", made.stdout)
        for w in writers:
            self.assertEqual(w.errors, [], "writer %d" % w.index)
        acked = [t for w in writers for h in w.history.values() for _, t in h]
        before = sum(1 for t in acked if t < began)
        during = sum(1 for t in acked if began <= t <= ended)
        sys.stderr.write("\n  %d writes acknowledged before the backup, %d during it (%.2f s): "
                         "%s ... " % (before, during, ended - began, made.stdout.strip()))
        self.assertGreater(before, 50, "too little load before the backup to test anything")

        # --- what a backup must not do
        occupied = run("backup", "--data-dir", self.data, "--to", self.backup)
        self.assert_refused(occupied, "not empty")
        for force in ([], ["--force"]):
            refused = run("restore", "--from", self.backup, "--data-dir", self.data, *force)
            self.assert_refused(refused, "in use")
        live.stop()

        # --- restore into a fresh dir, check it before any server touches it
        restored = run("restore", "--from", self.backup, "--data-dir", self.restored)
        self.assertEqual(restored.returncode, 0, restored.stderr)
        self.assertIn("integrity_check ok", restored.stdout)
        self.assertEqual(integrity_check(os.path.join(self.restored, "sbapi.db")), ["ok"])
        for name in ("page-token-secret", os.path.join("auth", "token-signing-key.pem")):
            path = os.path.join(self.restored, name)
            self.assertEqual(mode(path), 0o600, name)
            self.assertEqual(mode(os.path.join(self.backup, name)), 0o600, name)
            with open(path, "rb") as a, open(os.path.join(self.data, name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)
        self.assertFalse(os.path.exists(self.restored + ".restore-tmp"))

        # --- the restored server: the same secrets, every acknowledged write
        srv = self.serve(self.restored)
        status, _, _ = srv.request("GET", "/users/bk-first-0")
        self.assertEqual(status, 401)
        status, _, _ = srv.request("GET", "/users/bk-first-0", headers=auth)
        self.assertEqual(status, 200, "a token minted before the backup must still verify")
        status, _, rest = srv.request(
            "GET", "/users?limit=2&nextToken=" + urllib.parse.quote(page["nextToken"]),
            headers=auth)
        self.assertEqual(status, 200, rest)

        conn = srv.connection()
        self.addCleanup(conn.close)
        checked = uploads = 0
        downloaded = set()
        for w in writers:
            for key, history in w.history.items():
                kind, name = key.split(":", 1)
                acked_before = [i for i, (_, t) in enumerate(history) if t < began]
                status, _, item = request_on(conn, "GET", "/%ss/%s" % (kind, name),
                                             headers=auth)
                if not acked_before:
                    self.assertIn(status, (200, 404), (key, item))
                    if status == 404:
                        continue
                else:
                    self.assertEqual(status, 200, "%s was acknowledged before the backup" % key)
                    checked += 1
                first_allowed = acked_before[-1] if acked_before else 0
                allowed = [v for v, _ in history[first_allowed:]]
                if kind == "user":
                    self.assertIn(item["department"], allowed, key)
                    continue
                uploaded_values = [v for v in allowed if v is not None]
                if item["status"] != "uploaded":
                    self.assertIn(None, allowed, "%s: an acknowledged upload is missing" % key)
                    continue
                self.assertIn(item["etag"], uploaded_values, key)
                uploads += self.assert_downloads(srv, conn, auth, item)
                downloaded.add(name)
        self.assertGreater(checked, 20)
        self.assertGreater(uploads, 3)

        # Every uploaded asset of the restored database, whoever made it: its file agrees.
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.restored, "sbapi.db"),
                             uri=True)
        try:
            rows = db.execute("SELECT pk FROM assets WHERE json_extract(item, '$.status') = "
                              "'uploaded'").fetchall()
        finally:
            db.close()
        for (asset_id,) in rows:
            if asset_id in downloaded:
                continue
            status, _, item = request_on(conn, "GET", "/assets/" + asset_id, headers=auth)
            self.assertEqual(status, 200)
            self.assert_downloads(srv, conn, auth, item)

        # --- refusals: a non-empty data dir, a damaged backup
        other = os.path.join(self.root, "other")
        os.mkdir(other)
        with open(os.path.join(other, "keep-me"), "w") as f:
            f.write("x")
        self.assert_refused(run("restore", "--from", self.backup, "--data-dir", other),
                            "not empty")
        self.assertEqual(os.listdir(other), ["keep-me"])

        objects = [os.path.join(d, f) for d, _, fs in
                   os.walk(os.path.join(self.backup, "objects")) for f in fs]
        for victim in (os.path.join(self.backup, "sbapi.db"), random.choice(objects)):
            damaged = os.path.join(self.root, "damaged")
            shutil.copytree(self.backup, damaged)
            target = os.path.join(damaged, os.path.relpath(victim, self.backup))
            with open(target, "r+b") as f:
                f.seek(os.path.getsize(target) // 2)
                byte = f.read(1)
                f.seek(-1, os.SEEK_CUR)
                f.write(bytes([byte[0] ^ 0x40]))
            fresh = os.path.join(self.root, "fresh")
            self.assert_refused(run("restore", "--from", damaged, "--data-dir", fresh),
                                "damaged")
            self.assertFalse(os.path.exists(os.path.join(fresh, "sbapi.db")))
            self.assertFalse(os.path.exists(fresh + ".restore-tmp"))
            shutil.rmtree(damaged)
            shutil.rmtree(fresh, ignore_errors=True)

    def assert_downloads(self, srv, conn, auth, item):
        """The asset's object downloads with its recorded size and ETag -> 1."""
        status, _, info = request_on(conn, "GET", "/assets/%s/download" % item["assetId"],
                                     headers=auth)
        self.assertEqual(status, 200, info)
        status, headers, data = url_request(info["downloadUrl"])
        self.assertEqual(status, 200, (item, data[:200]))
        self.assertEqual(len(data), item["size"], item)
        self.assertEqual(hashlib.md5(data).hexdigest(), item["etag"], item)
        self.assertEqual(headers.get("etag", "").strip('"'), item["etag"], item)
        return 1


if __name__ == "__main__":
    unittest.main()
