"""Protocol peers for black-box tests of the aws backend: moto (DynamoDB) and s3rver (S3).

Python 3 standard library only. Each peer runs as a child process on a free 127.0.0.1 port, is
waited for, and is stopped by PID (SIGTERM, then SIGKILL). A peer that this machine cannot run
(no node / tests/peers/node_modules for s3rver, no python3 moto) raises unittest.SkipTest with
the reason, except under CI=true, where that is a failure (PeerUnavailable).

    s3 = S3rver.start(access_key_id="k", secret_access_key="s", buckets=["b"])
    s3.endpoint  # "http://127.0.0.1:<port>"
    s3.stop()
"""

import atexit
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

from sbapi_server import free_port

__all__ = ["PeerUnavailable", "S3rver", "Moto", "Dynalite", "require", "running_in_ci",
           "PEERS_DIR"]

PEERS_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                          "..", "peers"))
S3RVER_LAUNCHER = os.path.join(PEERS_DIR, "s3rver_launcher.js")
START_TIMEOUT = 20.0

_live = set()
_live_lock = threading.Lock()


def _kill_leftovers():
    with _live_lock:
        peers = list(_live)
    for peer in peers:
        peer.stop()


atexit.register(_kill_leftovers)


class PeerUnavailable(AssertionError):
    """A peer is missing under CI=true (a failure, not a skip)."""


def running_in_ci():
    return os.environ.get("CI", "").lower() in ("true", "1")


def require(reason_or_none):
    """Skips (or, under CI=true, fails) when `reason_or_none` is a reason."""
    if reason_or_none is None:
        return
    if running_in_ci():
        raise PeerUnavailable("CI=true and a test peer is missing: " + reason_or_none)
    raise unittest.SkipTest(reason_or_none)


class _Peer:
    name = "peer"

    def __init__(self, proc, port, log_path):
        self.proc = proc
        self.port = port
        self.log_path = log_path
        with _live_lock:
            _live.add(self)

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def log_text(self):
        try:
            with open(self.log_path, "r", encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        with _live_lock:
            _live.discard(self)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream:
                try:
                    stream.close()
                except OSError:
                    pass
        try:
            os.unlink(self.log_path)
        except OSError:
            pass

    @classmethod
    def _fail(cls, proc, log_path, why):
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        try:
            with open(log_path, "r", encoding="utf-8", errors="replace") as f:
                log = f.read()
        except OSError:
            log = ""
        raise RuntimeError("%s %s\nlog:\n%s" % (cls.name, why, log[-4000:]))


class S3rver(_Peer):
    """@20minutes/s3rver via tests/peers/s3rver_launcher.js (verifies SigV4 signatures)."""

    name = "s3rver"

    @staticmethod
    def unavailable():
        """None when s3rver can run here, else the reason."""
        if shutil.which("node") is None:
            return "s3rver needs node, which is not installed (make setup installs it)"
        module = os.path.join(PEERS_DIR, "node_modules", "@20minutes", "s3rver", "package.json")
        if not os.path.isfile(module):
            return ("s3rver is not installed: run `npm ci` in tests/peers (make setup does): "
                    "%s is missing" % module)
        return None

    @classmethod
    def start(cls, access_key_id, secret_access_key, buckets=()):
        require(cls.unavailable())
        fd, log_path = tempfile.mkstemp(prefix="sbapi-s3rver-", suffix=".log")
        os.close(fd)
        cmd = ["node", S3RVER_LAUNCHER, "--port", "0", "--access-key-id", access_key_id,
               "--secret-access-key", secret_access_key]
        for bucket in buckets:
            cmd += ["--bucket", bucket]
        with open(log_path, "wb") as log:
            # stdin is a pipe: the launcher exits when this process goes away.
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=log, cwd=PEERS_DIR)
        ready = _read_ready_line(proc, START_TIMEOUT)
        if ready.get("msg") != "ready":
            cls._fail(proc, log_path, "printed no ready line within %.0f s" % START_TIMEOUT)
        return cls(proc, int(ready["port"]), log_path)


def _read_ready_line(proc, timeout):
    """The JSON object of the first stdout line, or {} if none came within `timeout`."""
    ready = {}

    def read_ready():
        line = proc.stdout.readline()
        try:
            ready.update(json.loads(line.decode("utf-8")))
        except ValueError:
            pass

    reader = threading.Thread(target=read_ready, daemon=True)
    reader.start()
    reader.join(timeout)
    return ready


# dynalite's own CLI listens on every interface; this listens on 127.0.0.1 only, and exits with
# its parent (stdin closed).
_DYNALITE_SCRIPT = r"""
const server = require('dynalite')({createTableMs: 0, deleteTableMs: 0, updateTableMs: 0});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({msg: 'ready', port: server.address().port}) + '\n');
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
"""


class Dynalite(_Peer):
    """dynalite (npm, pinned in tests/peers): in-memory DynamoDB; no UpdateTimeToLive."""

    name = "dynalite"

    @staticmethod
    def unavailable():
        if shutil.which("node") is None:
            return "dynalite needs node, which is not installed (make setup installs it)"
        module = os.path.join(PEERS_DIR, "node_modules", "dynalite", "package.json")
        if not os.path.isfile(module):
            return ("dynalite is not installed: run `npm ci` in tests/peers (make setup does): "
                    "%s is missing" % module)
        return None

    @classmethod
    def start(cls):
        require(cls.unavailable())
        fd, log_path = tempfile.mkstemp(prefix="sbapi-dynalite-", suffix=".log")
        os.close(fd)
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(["node", "-e", _DYNALITE_SCRIPT], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=log, cwd=PEERS_DIR)
        ready = _read_ready_line(proc, START_TIMEOUT)
        if ready.get("msg") != "ready":
            cls._fail(proc, log_path, "printed no ready line within %.0f s" % START_TIMEOUT)
        return cls(proc, int(ready["port"]), log_path)


# moto's server, serving one request at a time. `python -m moto.server` runs every request on its
# own thread and its DynamoDB checks a ConditionExpression and writes without a lock, so two
# concurrent conditional puts of one key can both succeed (seen in CI: two 201s for one assetId),
# which DynamoDB never allows. Served one at a time, a conditional put is atomic as on DynamoDB,
# and a test of "exactly one of N concurrent creates wins" tests sbapi, not moto's threads
# (werkzeug then answers HTTP/1.0, one request per connection, so no client holds it).
MOTO_ONE_REQUEST_AT_A_TIME = """
import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
run_simple(sys.argv[1], int(sys.argv[2]), DomainDispatcherApplication(create_backend_app),
           threaded=False)
"""


class Moto(_Peer):
    """moto's server (python3 -m moto.server): DynamoDB (and IAM) on one port.

    With auth=True (Moto.start(auth=True)) an IAM user allowed dynamodb:* is made and moto's
    authentication switched on: from then on it verifies SigV4 signatures and accepts only that
    user's key pair, `moto.credentials` = (access key id, secret). `allow` names the IAM actions
    that user is allowed (default dynamodb:* only; e.g. add "secretsmanager:*").
    """

    name = "moto"
    credentials = None

    @staticmethod
    def unavailable():
        probe = subprocess.run([sys.executable, "-c", "import moto.server"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=60)
        if probe.returncode != 0:
            return ("moto is not importable by %s (pip package moto[server] 5): %s"
                    % (sys.executable, probe.stderr.decode("utf-8", "replace").strip()[-300:]))
        return None

    @classmethod
    def start(cls, auth=False, allow=("dynamodb:*",)):
        require(cls.unavailable())
        port = free_port()
        fd, log_path = tempfile.mkstemp(prefix="sbapi-moto-", suffix=".log")
        os.close(fd)
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([sys.executable, "-c", MOTO_ONE_REQUEST_AT_A_TIME,
                                     "127.0.0.1", str(port)],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                cls._fail(proc, log_path, "exited with %s" % proc.returncode)
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    cls._fail(proc, log_path, "did not listen within %.0f s" % START_TIMEOUT)
                time.sleep(0.1)
        peer = cls(proc, port, log_path)
        if auth:
            try:
                peer.credentials = peer._enable_auth(allow)
            except BaseException:
                peer.stop()
                raise
        return peer

    def _iam(self, **fields):
        # While auth is off moto does not check signatures; it routes the query-API call to IAM
        # by the credential scope of the Authorization header.
        fields["Version"] = "2010-05-08"
        body = urllib.parse.urlencode(fields).encode("utf-8")
        date = time.strftime("%Y%m%d", time.gmtime())
        headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/%s/us-east-1/iam/"
                             "aws4_request, SignedHeaders=host, Signature=00" % date,
        }
        return self._post("/", body, headers)

    def _post(self, path, body, headers):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read().decode("utf-8", "replace")
        finally:
            conn.close()
        if resp.status != 200:
            raise RuntimeError("moto %s answered %d: %s" % (path, resp.status, data[:500]))
        return data

    def _enable_auth(self, allow=("dynamodb:*",)):
        self._iam(Action="CreateUser", UserName="sbapi")
        key = self._iam(Action="CreateAccessKey", UserName="sbapi")
        policy = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": list(allow) if len(allow) > 1 else allow[0],
             "Resource": "*"}]})
        self._iam(Action="PutUserPolicy", UserName="sbapi", PolicyName="dynamodb-all",
                  PolicyDocument=policy)
        root = ET.fromstring(key)
        texts = {el.tag.split("}", 1)[-1]: el.text for el in root.iter()}
        # Authentication applies from now on (0 requests left unauthenticated).
        self._post("/moto-api/reset-auth", b"0", {})
        return texts["AccessKeyId"], texts["SecretAccessKey"]
