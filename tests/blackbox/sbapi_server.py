"""Black-box test harness: runs a real `sbapi serve` process and talks HTTP to it.

Python 3 standard library only. Used by every tests/blackbox/test_*.py suite.

Configuration (environment):
  SBAPI_BIN         path to the sbapi binary (required).
  SBAPI_EXTRA_ARGS  extra arguments appended to every `serve` command line (shell-quoted),
                    e.g. "--backend aws" for a rerun against DynamoDB/S3-compatible engines.
  SBAPI_NO_DATA_DIR if set to 1, `--data-dir` is not passed (backends that keep no local files).
  SBAPI_RESPONSE_LOG a directory: every exchange with a server started here is recorded there
                    as JSON lines (response_log.py), for tests/openapi/validate_responses.mjs.

A suite that reruns other suites' test classes against another backend calls
`set_server_defaults(extra_args=[...], env={...})` once (e.g. in setUpModule): every SbapiServer
started afterwards in that process gets those arguments (after SBAPI_EXTRA_ARGS, before its own
extra_args) and environment (under its own env).

Typical use:

    with SbapiServer() as srv:
        status, headers, body = srv.request("POST", "/users", {"userId": "u1", "email": "a@b.c"})
"""

import atexit
import http.client
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import response_log

__all__ = ["SbapiServer", "ServerError", "send_raw", "parse_raw_response", "sbapi_bin",
           "run_presign", "free_port", "set_server_defaults"]

STARTUP_TIMEOUT = 10.0
REQUEST_TIMEOUT = 10.0
STOP_TIMEOUT = 15.0

_live_servers = set()
_live_lock = threading.Lock()

_default_extra_args = []
_default_env = {}


def set_server_defaults(extra_args=(), env=None):
    """Arguments and environment for every SbapiServer started from now on in this process."""
    global _default_extra_args, _default_env
    _default_extra_args = list(extra_args)
    _default_env = dict(env or {})


def _kill_leftovers():
    # Last resort if a test crashed without stopping its server: kill by PID, never by name.
    with _live_lock:
        servers = list(_live_servers)
    for srv in servers:
        try:
            srv.proc.kill()
            srv.proc.wait(timeout=5)
        except Exception:
            pass


atexit.register(_kill_leftovers)


class ServerError(RuntimeError):
    pass


def sbapi_bin():
    path = os.environ.get("SBAPI_BIN")
    if not path:
        raise ServerError("SBAPI_BIN is not set; point it at the built sbapi binary")
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise ServerError("SBAPI_BIN=%r is not an executable file" % path)
    return path


def free_port(host="127.0.0.1"):
    """A TCP port that was free a moment ago (for tests that must know the port up front)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def run_presign(method, key, content_type=None, expires=None, time=None, port=None,
                public_url=None, bucket=None, region=None, access_key_id=None,
                secret_access_key=None, env=None, check=True):
    """Runs `sbapi presign ...` and returns the printed URL (stripped).

    Options left as None are not passed (the binary's defaults / SBAPI_* environment apply).
    With check=False returns the CompletedProcess instead, for tests of the command itself.
    """
    cmd = [sbapi_bin(), "presign", "--method", method, "--key", key]
    for flag, value in (("--content-type", content_type), ("--expires", expires),
                        ("--time", time), ("--port", port), ("--public-url", public_url),
                        ("--bucket", bucket), ("--region", region),
                        ("--access-key-id", access_key_id),
                        ("--secret-access-key", secret_access_key)):
        if value is not None:
            cmd += [flag, str(value)]
    proc_env = dict(os.environ)
    proc_env.update(env or {})
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=proc_env, timeout=REQUEST_TIMEOUT)
    if not check:
        return proc
    if proc.returncode != 0:
        raise ServerError("%s exited with %d\nstdout:\n%s\nstderr:\n%s"
                          % (shlex.join(cmd), proc.returncode,
                             proc.stdout.decode("utf-8", "replace"),
                             proc.stderr.decode("utf-8", "replace")))
    lines = [ln for ln in proc.stdout.decode("utf-8").splitlines() if ln.strip()]
    if len(lines) != 1:
        raise ServerError("%s printed %d lines, expected one URL:\n%s"
                          % (shlex.join(cmd), len(lines), proc.stdout.decode("utf-8", "replace")))
    return lines[0].strip()


def _encode_body(body, headers):
    """Returns the body as bytes and sets Content-Type for dict/list bodies."""
    if body is None:
        return None
    if isinstance(body, (dict, list)):
        headers.setdefault("Content-Type", "application/json")
        return json.dumps(body).encode("utf-8")
    if isinstance(body, str):
        headers.setdefault("Content-Type", "application/json")
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray)):
        headers.setdefault("Content-Type", "application/json")
        return bytes(body)
    raise TypeError("body must be None, bytes, str, dict or list")


def _decode_body(raw):
    """Parsed JSON if the body is JSON, else the raw bytes (b"" for an empty body)."""
    if not raw:
        return raw
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return raw


def _lower_headers(pairs):
    out = {}
    for name, value in pairs:
        key = name.lower()
        out[key] = out[key] + ", " + value if key in out else value
    return out


def request_on(conn, method, path, body=None, headers=None):
    """One request on an existing http.client connection -> (status, headers, body).

    A server may answer (e.g. 413) and close before it has read the whole request body; a send
    error is therefore swallowed and the response is still read.
    """
    hdrs = dict(headers or {})
    data = _encode_body(body, hdrs)
    try:
        conn.request(method, path, body=data, headers=hdrs)
    except (BrokenPipeError, ConnectionResetError):
        pass
    resp = conn.getresponse()
    raw = resp.read()
    if not isinstance(conn, response_log.RecordingHTTPConnection):  # (else recorded already)
        response_log.record(conn.port, method, path, hdrs.items(), resp.status,
                            resp.getheaders(), raw)
    return resp.status, _lower_headers(resp.getheaders()), _decode_body(raw)


def send_raw(host, port, data, timeout=5.0, half_close=False):
    """Sends raw bytes and reads until the server closes the connection.

    Returns (raw_response_bytes, closed) where closed is True if the server closed the
    connection within `timeout` seconds, False if the read timed out with the connection open.
    """
    chunks = []
    closed = False
    with socket.create_connection((host, port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            chunks.append(chunk)
    response_log.record_raw(port, data, b"".join(chunks))  # SBAPI_RESPONSE_LOG
    return b"".join(chunks), closed


def parse_raw_response(raw):
    """Parses the first HTTP/1.x response in `raw` -> (status, headers, body) or None."""
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("iso-8859-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        return None
    status = int(parts[1])
    pairs = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        pairs.append((name.strip(), value.strip()))
    headers = _lower_headers(pairs)
    if "content-length" in headers:
        body = rest[: int(headers["content-length"])]
    else:
        body = rest
    return status, headers, _decode_body(body)


class SbapiServer:
    """A running `sbapi serve` on 127.0.0.1 with an OS-assigned port.

    data_dir:   directory for the server's storage; None makes a temporary one that is removed
                on stop(). Pass the same directory to a second server to test persistence.
    extra_args: more command-line arguments after the defaults (and after SBAPI_EXTRA_ARGS).
    env:        extra environment variables for the server process.
    threads:    value of --threads.
    port:       value of --port (0: an OS-assigned port, read from the "listening" line).
    pass_data_dir: None (default): `--data-dir` unless SBAPI_NO_DATA_DIR=1; True/False: always /
                never, whatever SBAPI_NO_DATA_DIR says.
    """

    def __init__(self, data_dir=None, extra_args=(), env=None, threads=2, port=0,
                 preexec_fn=None, pass_data_dir=None):
        self.binary = os.path.abspath(sbapi_bin())
        self.host = "127.0.0.1"
        self.port = None
        self._own_dir = data_dir is None
        self.data_dir = data_dir if data_dir is not None else tempfile.mkdtemp(prefix="sbapi-bb-")
        self.log_lines = []  # raw stdout lines (str), in order, including the "listening" one
        self._log_lock = threading.Lock()
        self._log_cond = threading.Condition(self._log_lock)
        self.exit_code = None

        cmd = [self.binary, "serve", "--port", str(port), "--host", self.host]
        if pass_data_dir is None:
            pass_data_dir = os.environ.get("SBAPI_NO_DATA_DIR") != "1"
        if pass_data_dir:
            cmd += ["--data-dir", self.data_dir]
        cmd += ["--threads", str(threads)]
        cmd += shlex.split(os.environ.get("SBAPI_EXTRA_ARGS", ""))
        cmd += _default_extra_args
        cmd += list(extra_args)
        self.cmd = cmd

        self.env = dict(_default_env)
        self.env.update(env or {})
        proc_env = dict(os.environ)
        proc_env.update(self.env)
        self._stderr_file = tempfile.TemporaryFile()
        self._stderr_cache = None
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr_file,
            env=proc_env,
            preexec_fn=preexec_fn,  # e.g. resource limits for the server alone
            # Without --data-dir the server's default ./.data (the aws backend keeps its
            # page-token secret there) lands in the temporary directory, not in the source tree.
            cwd=None if pass_data_dir else self.data_dir,
        )
        with _live_lock:
            _live_servers.add(self)
        try:
            self._wait_listening()
        except BaseException:
            self._force_kill()
            self._cleanup()
            raise
        self._drain = threading.Thread(target=self._drain_stdout, daemon=True)
        self._drain.start()

    # ----------------------------------------------------------------------------- lifecycle

    def _wait_listening(self):
        # Read stdout lines (from a helper thread, so the timeout holds even if the server
        # prints nothing) until the "listening" line.
        result = {}
        done = threading.Event()

        def reader():
            try:
                for raw in iter(self.proc.stdout.readline, b""):
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    with self._log_cond:
                        self.log_lines.append(line)
                        self._log_cond.notify_all()
                    try:
                        obj = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(obj, dict) and obj.get("msg") == "listening" and "port" in obj:
                        result["port"] = int(obj["port"])
                        return
            finally:
                done.set()

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        done.wait(STARTUP_TIMEOUT)
        if "port" in result:
            self.port = result["port"]
            response_log.register(self.port, *self._served_extras())  # SBAPI_RESPONSE_LOG
            return
        if done.is_set():  # stdout closed: the process is exiting; give it a moment
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        if self.proc.poll() is not None:
            raise ServerError(
                "sbapi exited with code %s before listening.\ncommand: %s\nstdout:\n%s\nstderr:\n%s"
                % (self.proc.returncode, shlex.join(self.cmd), "\n".join(self.log_lines),
                   self.stderr_text()))
        raise ServerError(
            "sbapi printed no 'listening' line within %.0f s.\ncommand: %s\nstdout:\n%s\nstderr:\n%s"
            % (STARTUP_TIMEOUT, shlex.join(self.cmd), "\n".join(self.log_lines), self.stderr_text()))

    def _served_extras(self):
        # (the local object endpoint's bucket, None on --backend aws which has none; the --auth
        # mode, which decides whether /.well-known/jwks.json is served) for response_log.
        env = dict(os.environ)
        env.update(self.env)
        found = {"--backend": env.get("SBAPI_BACKEND", "local"),
                 "--bucket": env.get("SBAPI_BUCKET"), "--auth": env.get("SBAPI_AUTH", "none")}
        for i, arg in enumerate(self.cmd):
            for flag in found:
                if arg == flag and i + 1 < len(self.cmd):
                    found[flag] = self.cmd[i + 1]
                elif arg.startswith(flag + "="):
                    found[flag] = arg[len(flag) + 1:]
        bucket = None if found["--backend"] == "aws" else (found["--bucket"] or "sbapi-assets")
        return bucket, found["--auth"]

    def _drain_stdout(self):
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self._log_cond:
                self.log_lines.append(line)
                self._log_cond.notify_all()

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Sends `sig`, waits for exit and returns the exit code (negative: killed by signal).

        If the process does not exit within `timeout` it is killed and ServerError is raised.
        """
        if self.exit_code is not None:
            return self.exit_code
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._force_kill()
                self._cleanup()
                raise ServerError("sbapi did not exit within %.0f s of signal %s"
                                  % (timeout, signal.Signals(sig).name))
        self.exit_code = self.proc.returncode
        self._drain.join(timeout=5)
        self._cleanup()
        return self.exit_code

    def _force_kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def _cleanup(self):
        with _live_lock:
            _live_servers.discard(self)
        if self.port is not None:
            response_log.unregister(self.port)
        if self._stderr_cache is None:
            self._stderr_cache = self.stderr_text()
            self._stderr_file.close()
        if self.proc.stdout:
            try:
                self.proc.stdout.close()
            except Exception:
                pass
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.exit_code is None:
            try:
                self.stop()
            except ServerError:
                pass
        return False

    def alive(self):
        return self.proc.poll() is None

    # ----------------------------------------------------------------------------- output

    def stderr_text(self):
        """Everything the server wrote to stderr so far (still available after stop())."""
        if self._stderr_cache is not None:
            return self._stderr_cache
        try:
            self._stderr_file.flush()
            pos = self._stderr_file.tell()
            self._stderr_file.seek(0)
            data = self._stderr_file.read()
            self._stderr_file.seek(pos)
            return data.decode("utf-8", "replace")
        except (ValueError, OSError):
            return ""

    def logs(self):
        """Every stdout line parsed as JSON (lines that are not JSON objects are skipped)."""
        with self._log_lock:
            lines = list(self.log_lines)
        out = []
        for line in lines:
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                out.append(obj)
        return out

    def raw_logs(self):
        with self._log_lock:
            return list(self.log_lines)

    def wait_for_log(self, predicate, timeout=5.0):
        """The first parsed stdout JSON object for which predicate(obj) is true, or None."""
        deadline = time.monotonic() + timeout
        with self._log_cond:
            while True:
                for line in self.log_lines:
                    try:
                        obj = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(obj, dict) and predicate(obj):
                        return obj
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._log_cond.wait(remaining)

    def request_log(self, request_id, timeout=5.0):
        """The access-log line whose requestId equals request_id, or None."""
        return self.wait_for_log(lambda o: o.get("requestId") == request_id, timeout)

    # ----------------------------------------------------------------------------- HTTP

    @property
    def base_url(self):
        return "http://%s:%d" % (self.host, self.port)

    def connection(self, timeout=REQUEST_TIMEOUT):
        """A new http.client connection to the server (use with request_on for keep-alive)."""
        # (records its exchanges when SBAPI_RESPONSE_LOG is set: response_log.py)
        return response_log.RecordingHTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None):
        """One request on a fresh connection -> (status, lower-cased headers, JSON or bytes).

        body: None, bytes, str (sent as-is) or dict/list (JSON-encoded). Content-Type defaults
        to application/json when there is a body.
        """
        conn = self.connection()
        try:
            return request_on(conn, method, path, body, headers)
        finally:
            conn.close()

    def send_raw(self, data, timeout=5.0, half_close=False):
        return send_raw(self.host, self.port, data, timeout, half_close)

    def presign(self, method, key, **options):
        """`sbapi presign` for this server: --port is its port, env as the server's env.

        Only the options given are passed (see run_presign); pass the same --bucket etc. as the
        server was started with, if any.
        """
        options.setdefault("port", self.port)
        env = dict(self.env)
        env.update(options.pop("env", None) or {})
        return run_presign(method, key, env=env, **options)


class RestartsOnOneDataDir:
    """unittest.TestCase mixin for servers started one after another on one data dir: setUp sets
    self.data_dir and self.servers = []; start() starts one there; tearDown SIGKILLs any still
    running."""

    def start(self):
        srv = SbapiServer(data_dir=self.data_dir)
        self.servers.append(srv)
        return srv

    def tearDown(self):
        for srv in self.servers:
            if srv.exit_code is None:
                try:
                    srv.stop(signal.SIGKILL)
                except Exception:  # noqa: BLE001 - best effort at the end of a test
                    pass
