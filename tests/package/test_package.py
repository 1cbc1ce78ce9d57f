"""Package test: the Lambda zip (`make package`) runs on its own, in an empty root.

The zip must hold `bootstrap` alone, an executable that needs nothing but glibc from the host,
and from glibc no symbol version newer than Amazon Linux 2023's (2.34): provided.al2023 runs it
with that glibc (BootstrapBinaryTest reads its ELF headers, no tool needed).

build/lambda/bootstrap.zip is unpacked into <empty dir>/var/task, where Lambda unpacks it, and
its `bootstrap` is run with that directory as the root file system (`unshare -r --mount
--root`: a user + mount namespace, no privileges needed). The root holds the package, an empty
/tmp and, as the provided.al2023 image does, glibc's loader, libc.so.6 and libm.so.6 in
/usr/lib64 (with /lib64 -> usr/lib64): they are copied from this machine, so Debian 12's glibc
2.36 stands in for Amazon Linux 2023's 2.34 (the version check above is what covers the
difference). Nothing else: no /etc (so no CA certificates, no nsswitch.conf, no ld.so.cache),
no /dev, no /proc, no shell, no other library.

The test serves the Lambda Runtime API (2018-06-01) itself on 127.0.0.1 and runs moto as the
DynamoDB peer (signature checking on); the normal build's `sbapi create-tables` makes the tables.
Through API Gateway REST (v1) and HTTP API (v2.0) events it drives the users lifecycle and
creates an asset, then an S3 ObjectCreated event marks it uploaded; it asserts every response
and error post, the init error, and that the runtime exits when `next` answers 500.

It also measures (printed, not asserted) exec -> first response posted for one GET event,
median of 20 runs, and the peak RSS (VmHWM) of the packaged bootstrap after that response.

Environment: SBAPI_PACKAGE (default <repo>/build/lambda/bootstrap.zip), SBAPI_BIN (the normal
build's sbapi, for create-tables). Without the zip, or where unprivileged user namespaces are
not available, the test is skipped with the reason; under CI=true that is a failure.
"""

import base64
import http.server
import json
import os
import queue
import shutil
import socket
import ssl
import stat
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "blackbox"))

from peers import Moto, require  # noqa: E402

PACKAGE = os.environ.get("SBAPI_PACKAGE") or os.path.join(REPO, "build", "lambda",
                                                          "bootstrap.zip")
TASK_ROOT = "/var/task"
API_PREFIX = "/2018-06-01/runtime"
# Amazon Linux 2023's glibc: the newest symbol version the bootstrap may need.
GLIBC_MAX = (2, 34)
# The only shared libraries it may need: glibc's (libpthread and libdl are stubs since 2.34).
GLIBC_LIBRARIES = {"libc.so.6", "libm.so.6", "ld-linux-x86-64.so.2", "libpthread.so.0",
                   "libdl.so.2"}
INTERPRETER = "/lib64/ld-linux-x86-64.so.2"
# Where this machine keeps glibc (copied into the test root in Amazon Linux's place for it).
HOST_LIBRARY_DIRS = ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64")
# What the Lambda service sets for provided.al2023.
LAMBDA_LD_LIBRARY_PATH = ("/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:"
                          "/var/task:/var/task/lib:/opt/lib")
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:sbapi-test"
EVENT_TIMEOUT = 20.0
EXIT_TIMEOUT = 10.0
TIMING_RUNS = 20


def isolation_unavailable():
    """None when `unshare -r --mount --root` works here, else the reason."""
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    probe_root = tempfile.mkdtemp(prefix="sbapi-userns-")
    try:
        probe = subprocess.run(["unshare", "-r", "--mount", "--root=" + probe_root, "/x"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=20)
        err = probe.stderr.decode("utf-8", "replace")
        # In the empty root /x does not exist: failing only at execvp() (exit 127) proves that
        # the user and mount namespaces and the root change all worked.
        if probe.returncode == 127 and "failed to execute" in err:
            return None
        return ("unprivileged user namespaces are not available (unshare -r --mount --root): "
                + err.strip()[-300:])
    finally:
        shutil.rmtree(probe_root, ignore_errors=True)


def peak_rss_kib(pid):
    """VmHWM of a live process: the peak RSS of its current program image. (wait4's ru_maxrss
    would also count the pages of the Python process forked to exec it.)"""
    with open("/proc/%d/status" % pid, encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM for pid %d" % pid)


# --- what an ELF executable needs from the dynamic loader -----------------------------------

class ElfNeeds:
    """The dynamic needs of an x86_64 ELF executable, from its section headers (strip keeps
    them): `interpreter` (PT_INTERP), `needed` (DT_NEEDED names), `dynamic_tags` (every d_tag),
    `versions` {library: {version name}} (.gnu.version_r) and `symbols` {version name:
    [imported symbol]} (.dynsym + .gnu.version)."""

    SHT_DYNAMIC, SHT_DYNSYM = 6, 11
    SHT_GNU_VERNEED, SHT_GNU_VERSYM = 0x6ffffffe, 0x6fffffff
    PT_INTERP = 3
    DT_NEEDED = 1

    def __init__(self, data):
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise AssertionError("not a little-endian ELF64 file")
        (phoff, shoff) = struct.unpack_from("<QQ", data, 0x20)
        (phentsize, phnum, shentsize, shnum) = struct.unpack_from("<HHHH", data, 0x36)
        self.interpreter = None
        for i in range(phnum):
            p_type, _, p_offset, _, _, p_filesz = struct.unpack_from(
                "<IIQQQQ", data, phoff + i * phentsize)
            if p_type == self.PT_INTERP:
                self.interpreter = data[p_offset:p_offset + p_filesz].rstrip(b"\0").decode()
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                    for i in range(shnum)]

        def string(section_index, offset):
            start = sections[section_index][4] + offset
            return data[start:data.index(b"\0", start)].decode()

        def of_type(sh_type):
            return [s for s in sections if s[1] == sh_type]

        self.needed, self.dynamic_tags = [], []
        for sec in of_type(self.SHT_DYNAMIC):
            for off in range(sec[4], sec[4] + sec[5], 16):
                tag, value = struct.unpack_from("<qQ", data, off)
                self.dynamic_tags.append(tag)
                if tag == self.DT_NEEDED:
                    self.needed.append(string(sec[6], value))
        self.versions, version_names = {}, {}  # version index -> name
        for sec in of_type(self.SHT_GNU_VERNEED):
            off = sec[4]
            while True:
                _, cnt, file_name, aux, next_need = struct.unpack_from("<HHIII", data, off)
                names = self.versions.setdefault(string(sec[6], file_name), set())
                aux_off = off + aux
                for _ in range(cnt):
                    _, _, other, name, next_aux = struct.unpack_from("<IHHII", data, aux_off)
                    names.add(string(sec[6], name))
                    version_names[other] = string(sec[6], name)
                    aux_off += next_aux
                if not next_need:
                    break
                off += next_need
        self.symbols = {}
        for dynsym in of_type(self.SHT_DYNSYM):
            versym = of_type(self.SHT_GNU_VERSYM)
            for i in range(dynsym[5] // 24):
                st_name, _, _, st_shndx = struct.unpack_from("<IBBH", data, dynsym[4] + i * 24)
                if st_shndx != 0 or not versym:  # defined here, or no versions at all
                    continue
                index = struct.unpack_from("<H", data, versym[0][4] + 2 * i)[0] & 0x7fff
                if index in version_names:
                    self.symbols.setdefault(version_names[index], []).append(
                        string(dynsym[6], st_name))


def glibc_version(name):
    """(2, 34) for "GLIBC_2.34"; None for anything else (GLIBC_PRIVATE, GLIBC_ABI_DT_RELR...)."""
    if not name.startswith("GLIBC_2."):
        return None
    try:
        return tuple(int(part) for part in name[len("GLIBC_"):].split("."))
    except ValueError:
        return None


def read_bootstrap(zip_path):
    with zipfile.ZipFile(zip_path) as archive:
        return archive.read("bootstrap")


def host_library(name):
    for directory in HOST_LIBRARY_DIRS:
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return os.path.realpath(path)
    raise AssertionError("%s is not in %s on this machine" % (name, ", ".join(HOST_LIBRARY_DIRS)))


# --- the fake Lambda Runtime API ------------------------------------------------------------

class FakeRuntimeApi:
    """Serves /2018-06-01/runtime/... on 127.0.0.1. `next` blocks until the test queues an
    event; queueing STOP makes it answer 500, after which the runtime must exit."""

    STOP = object()

    def __init__(self):
        self.events = queue.Queue()
        self.posts = queue.Queue()  # (kind, request id, status-less record dict)
        self.lock = threading.Lock()
        self.next_requests = 0
        self.first_next_at = None  # perf_counter() of the first GET next
        # Called with (kind, record) once a post has been read, before it is answered: a caller
        # can act while the runtime waits for the answer (bench/instructions.py stops it there).
        self.on_post = None
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, body=b"", headers=()):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    for name, value in headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the runtime was stopped while it waited (an on_post hook)

            def do_GET(self):
                if self.path != API_PREFIX + "/invocation/next":
                    self._send(404, b'{"errorMessage":"unknown path"}')
                    return
                with api.lock:
                    api.next_requests += 1
                    if api.first_next_at is None:
                        api.first_next_at = time.perf_counter()
                try:
                    item = api.events.get(timeout=60)
                except queue.Empty:
                    item = FakeRuntimeApi.STOP
                if item is FakeRuntimeApi.STOP:
                    self._send(500, b'{"errorMessage":"runtime api stopped",'
                                    b'"errorType":"Runtime.Stopped"}')
                    return
                request_id, payload = item
                deadline = int(time.time() * 1000) + 30_000
                self._send(200, payload, [
                    ("Lambda-Runtime-Aws-Request-Id", request_id),
                    ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                    ("Lambda-Runtime-Trace-Id",
                     "Root=1-5e1b4151-5ac6c58f5ad1d0f3e7c3a1b2;Parent=53995c3f42cd8ad8;Sampled=0"),
                    ("Lambda-Runtime-Invoked-Function-Arn", FUNCTION_ARN),
                ])

            def do_POST(self):
                at = time.perf_counter()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                record = {"path": self.path, "body": body, "at": at,
                          "content_type": self.headers.get("Content-Type"),
                          "error_type": self.headers.get("Lambda-Runtime-Function-Error-Type")}
                parts = self.path[len(API_PREFIX):].strip("/").split("/")
                if api.on_post is not None:
                    api.on_post(parts[-1] if len(parts) == 3 else parts[0], record)
                if self.path == API_PREFIX + "/init/error":
                    api.posts.put(("init-error", None, record))
                    self._send(202, b'{"status":"OK"}')
                elif (len(parts) == 3 and parts[0] == "invocation"
                      and parts[2] in ("response", "error")):
                    api.posts.put((parts[2], parts[1], record))
                    self._send(202, b'{"status":"OK"}')
                else:
                    api.posts.put(("unknown", None, record))
                    self._send(404, b'{"errorMessage":"unknown path"}')

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def close(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


# --- events ----------------------------------------------------------------------------------

def api_v1_event(method, path, body=None, headers=None, request_id=None, base64_body=False):
    headers = dict(headers or {})
    if body is not None and not isinstance(body, (str, bytes)):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    if base64_body and body is not None:
        body = base64.b64encode(body.encode("utf-8")).decode("ascii")
    request_id = request_id or str(uuid.uuid4())
    return {
        "resource": "/{proxy+}", "path": path, "httpMethod": method,
        "headers": headers or None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": method, "path": "/v1" + path,
                           "stage": "v1", "requestId": request_id,
                           "accountId": "123456789012", "apiId": "abcdef1234",
                           "identity": {"sourceIp": "127.0.0.1"}},
        "body": body, "isBase64Encoded": bool(base64_body and body is not None),
    }


def api_v2_event(method, path, body=None, headers=None, request_id=None, base64_body=False):
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    if body is not None and not isinstance(body, (str, bytes)):
        body = json.dumps(body)
        headers.setdefault("content-type", "application/json")
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    if base64_body and body is not None:
        body = base64.b64encode(body.encode("utf-8")).decode("ascii")
    request_id = request_id or str(uuid.uuid4())
    event = {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": headers,
        "requestContext": {"accountId": "123456789012", "apiId": "abcdef1234",
                           "domainName": "abcdef1234.execute-api.us-east-1.amazonaws.com",
                           "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                    "sourceIp": "127.0.0.1", "userAgent": "package-test"},
                           "requestId": request_id, "routeKey": "$default", "stage": "$default",
                           "time": "25/Nov/2026:10:00:00 +0000", "timeEpoch": 1795600000000},
        "isBase64Encoded": bool(base64_body and body is not None),
    }
    if body is not None:
        event["body"] = body
    return event


def s3_event(bucket, key, size, etag, event_name="ObjectCreated:Put"):
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-25T10:00:00.000Z", "eventName": event_name,
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "assets-uploaded",
               "bucket": {"name": bucket, "arn": "arn:aws:s3:::" + bucket},
               "object": {"key": key, "size": size, "eTag": etag, "sequencer": "0A1B2C3D4E5F"}},
    }]}


# --- the run ---------------------------------------------------------------------------------

def lambda_env(aws_env, function="all", **extra):
    """The environment the Lambda service gives a provided.al2023 function, plus `aws_env` (the
    peer's endpoint, credentials and table names) and SBAPI_FUNCTION."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
        "LD_LIBRARY_PATH": LAMBDA_LD_LIBRARY_PATH,
        "LAMBDA_TASK_ROOT": TASK_ROOT, "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "_HANDLER": "bootstrap", "TZ": ":UTC", "LANG": "en_US.UTF-8",
        "AWS_LAMBDA_FUNCTION_NAME": "sbapi-test", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/sbapi-test",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/25/[$LATEST]0123456789abcdef",
        "SBAPI_FUNCTION": function,
    }
    env.update(aws_env)
    env.update(extra)
    return env


def moto_with_tables(sbapi):
    """moto (signatures checked) with the users and assets tables made by `sbapi create-tables`:
    (the Moto peer, the AWS environment that points a bootstrap at it). Stop the peer after use."""
    moto = Moto.start(auth=True)
    try:
        key_id, secret = moto.credentials
        suffix = uuid.uuid4().hex[:8]
        aws_env = {
            "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": key_id,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_ENDPOINT_URL_DYNAMODB": moto.endpoint,
            "USERS_TABLE_NAME": "pkg-users-" + suffix, "ASSETS_TABLE_NAME": "pkg-assets-" + suffix,
            "ASSETS_BUCKET_NAME": "pkg-assets-" + suffix,
        }
        made = subprocess.run([sbapi, "create-tables", "--no-bucket"],
                              env=dict(os.environ, **aws_env), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        if made.returncode != 0:
            raise AssertionError("create-tables failed:\n" + made.stdout.decode())
        return moto, aws_env
    except BaseException:
        moto.stop()
        raise


class TlsProxy:
    """A TLS front for a plain-HTTP peer (127.0.0.1): terminates TLS with `cert`/`key` on a port
    of its own and pumps the bytes to `target` (host, port). Counts the handshakes it completed."""

    def __init__(self, cert, key, target, tls_version=None, ciphers=None):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        if tls_version is not None:  # this version only
            self.context.minimum_version = self.context.maximum_version = tls_version
        if ciphers is not None:  # TLS 1.2's suites
            self.context.set_ciphers(ciphers)
        self.versions = set()  # (protocol, cipher) of each completed handshake
        self.target = target
        self.handshakes = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            conn.close()  # e.g. a client that does not trust the certificate
            return
        self.handshakes += 1
        self.versions.add((tls.version(), tls.cipher()[0]))
        upstream = socket.create_connection(self.target)

        def pump(src, dst):
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for sock in (src, dst):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        threading.Thread(target=pump, args=(upstream, tls), daemon=True).start()
        pump(tls, upstream)

    def close(self):
        self.listener.close()


class Bootstrap:
    """One run of the packaged bootstrap in the empty root, against one FakeRuntimeApi."""

    def __init__(self, case, root, env):
        self.case = case
        self.api = FakeRuntimeApi()
        full_env = dict(env)
        full_env["AWS_LAMBDA_RUNTIME_API"] = self.api.address
        self.log = tempfile.TemporaryFile()
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            ["unshare", "-r", "--mount", "--root=" + root, "--wd=" + TASK_ROOT,
             TASK_ROOT + "/bootstrap"],
            env=full_env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        self.returncode = None

    def output(self):
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def invoke(self, event):
        """Queues one event; returns (kind, record) of the post that answers it."""
        request_id = str(uuid.uuid4())
        payload = event if isinstance(event, bytes) else json.dumps(event).encode("utf-8")
        self.api.events.put((request_id, payload))
        kind, posted_id, record = self.next_post()
        self.case.assertEqual(posted_id, request_id,
                              "post for another invocation: %s %s" % (kind, record["path"]))
        self.case.assertIn(kind, ("response", "error"), record["path"])
        return kind, record

    def next_post(self):
        deadline = time.monotonic() + EVENT_TIMEOUT
        while True:
            try:
                return self.api.posts.get(timeout=0.05)
            except queue.Empty:
                pass
            exited = self.proc.poll()
            if exited is not None and self.api.posts.empty():
                self.case.fail("the runtime exited (%s) without posting; output:\n%s"
                               % (exited, self.output()[-4000:]))
            if time.monotonic() > deadline:
                self.case.fail("the runtime posted nothing within %.0f s; output:\n%s"
                               % (EVENT_TIMEOUT, self.output()[-4000:]))

    def api_call(self, event):
        """An API Gateway event that must be answered with a response: (status, headers, body)."""
        kind, record = self.invoke(event)
        self.case.assertEqual(kind, "response", "error post %r; output:\n%s"
                              % (record["body"], self.output()[-3000:]))
        response = json.loads(record["body"])
        self.case.assertIsInstance(response.get("statusCode"), int, response)
        headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
        for name, values in (response.get("multiValueHeaders") or {}).items():
            headers.setdefault(name.lower(), ", ".join(values))
        body = response.get("body") or ""
        if response.get("isBase64Encoded"):
            body = base64.b64decode(body).decode("utf-8")
        parsed = json.loads(body) if body else None
        return response["statusCode"], headers, parsed

    def stop(self):
        """Answers `next` with 500 and waits for the exit; returns the exit code."""
        self.api.events.put(FakeRuntimeApi.STOP)
        return self.wait()

    def wait(self):
        try:
            self.returncode = self.proc.wait(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            output = self.output()
            self.kill()
            self.case.fail("the runtime did not exit within %.0f s after next answered 500;"
                           " output:\n%s" % (EXIT_TIMEOUT, output[-3000:]))
        self.api.close()
        return self.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.api.close()
        self.log.close()


class BootstrapBinaryTest(unittest.TestCase):
    """What the packaged bootstrap needs from the host: glibc <= 2.34 and nothing else."""

    @classmethod
    def setUpClass(cls):
        if not os.path.isfile(PACKAGE):
            require("no package at %s: run `make package` first" % PACKAGE)
        cls.elf = ElfNeeds(read_bootstrap(PACKAGE))

    def test_needs_only_glibc(self):
        self.assertEqual(self.elf.interpreter, INTERPRETER)
        self.assertTrue(self.elf.needed, "no DT_NEEDED: a static binary is not what is shipped")
        others = set(self.elf.needed) - GLIBC_LIBRARIES
        self.assertFalse(others, "shared libraries other than glibc's: %s" % sorted(others))
        self.assertLessEqual(set(self.elf.versions), GLIBC_LIBRARIES)

    def test_glibc_versions_at_most_amazon_linux_2023s(self):
        too_new = {}
        for library, names in sorted(self.elf.versions.items()):
            for name in sorted(names):
                version = glibc_version(name)
                if version is None or version > GLIBC_MAX:
                    too_new["%s %s" % (library, name)] = sorted(self.elf.symbols.get(name, []))
        if too_new:
            self.fail("the bootstrap needs symbol versions newer than GLIBC_%d.%d (Amazon Linux "
                      "2023's), so it would not load there: %s" % (GLIBC_MAX + (too_new,)))
        newest = max(glibc_version(n) for names in self.elf.versions.values() for n in names)
        print("\nbootstrap: needs %s; newest glibc symbol version GLIBC_%s"
              % (", ".join(sorted(self.elf.needed)), ".".join(map(str, newest))))

    def test_no_rpath_and_no_packed_relocations(self):
        # DT_RPATH 15, DT_RUNPATH 29: the host's loader finds glibc where it keeps it.
        # DT_RELR 36 (-z pack-relative-relocs): supported by glibc >= 2.36 only.
        found = [name for tag, name in ((15, "DT_RPATH"), (29, "DT_RUNPATH"), (36, "DT_RELR"))
                 if tag in self.elf.dynamic_tags]
        self.assertEqual(found, [])


class PackageTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not os.path.isfile(PACKAGE):
            require("no package at %s: run `make package` first" % PACKAGE)
        require(isolation_unavailable())
        cls.sbapi = os.environ.get("SBAPI_BIN") or os.path.join(REPO, "build", "sbapi")
        if not os.access(cls.sbapi, os.X_OK):
            raise AssertionError("SBAPI_BIN %s is not an executable" % cls.sbapi)
        cls.moto, cls.aws_env = moto_with_tables(cls.sbapi)
        cls.addClassCleanup(cls.moto.stop)
        cls.workdir = tempfile.mkdtemp(prefix="sbapi-package-")
        cls.addClassCleanup(shutil.rmtree, cls.workdir, True)
        cls.root = os.path.join(cls.workdir, "root")
        cls.members = cls.unpack(PACKAGE, cls.root)

    @staticmethod
    def unpack(zip_path, root):
        """Unpacks like Lambda: into root/var/task, with the modes stored in the zip."""
        task = os.path.join(root, TASK_ROOT.lstrip("/"))
        os.makedirs(task)
        members = {}
        with zipfile.ZipFile(zip_path) as archive:
            for info in archive.infolist():
                mode = (info.external_attr >> 16) & 0o7777
                members[info.filename] = (mode, info.file_size)
                target = os.path.join(task, info.filename)
                if info.is_dir():
                    os.makedirs(target, exist_ok=True)
                    continue
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with archive.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                os.chmod(target, mode or 0o644)
        tmp = os.path.join(root, "tmp")
        os.makedirs(tmp)
        os.chmod(tmp, 0o1777)
        # The runtime image's glibc, laid out as on Amazon Linux 2023 (/usr/lib64, /lib64 ->
        # usr/lib64; Lambda's LD_LIBRARY_PATH lists both). This machine's glibc stands in for
        # AL2023's 2.34: BootstrapBinaryTest checks that nothing newer than 2.34 is needed. The
        # multiarch directory is where this (Debian) loader looks by default.
        elf = ElfNeeds(read_bootstrap(zip_path))
        lib64 = os.path.join(root, "usr", "lib64")
        os.makedirs(lib64)
        os.symlink("usr/lib64", os.path.join(root, "lib64"))
        os.makedirs(os.path.join(root, "lib"))
        os.symlink("../usr/lib64", os.path.join(root, "lib", "x86_64-linux-gnu"))
        for name in set(elf.needed) | {os.path.basename(elf.interpreter)}:
            shutil.copy2(host_library(name), os.path.join(lib64, name))
        return members

    def env(self, function="all", **extra):
        return lambda_env(self.aws_env, function, **extra)

    def start(self, function="all", **extra):
        run = Bootstrap(self, self.root, self.env(function, **extra))
        self.addCleanup(run.kill)
        return run

    # --- the package itself ------------------------------------------------------------------

    def test_zip_layout(self):
        self.assertIn("bootstrap", self.members, "bootstrap must be at the zip's root")
        mode, _ = self.members["bootstrap"]
        self.assertEqual(mode & 0o777, 0o755, "bootstrap mode %o" % mode)
        self.assertEqual(sorted(self.members), ["bootstrap"],
                         "the zip holds the bootstrap alone (glibc is the runtime image's)")
        size = os.path.getsize(PACKAGE)
        print("\npackage: %s, %d bytes zipped; members: %s" % (
            PACKAGE, size, ", ".join("%s (%d)" % (n, s) for n, (m, s) in
                                     sorted(self.members.items()))))

    # --- users through v1 and v2, assets, S3 --------------------------------------------------

    def test_lifecycle(self):
        run = self.start("all")
        uid = "pkg-" + uuid.uuid4().hex[:10]
        user = {"userId": uid, "email": "pkg@example.com", "name": "Package Test",
                "department": "Build"}

        # REST API (v1): create, duplicate, read, update.
        status, headers, body = run.api_call(api_v1_event("POST", "/users", user,
                                                          request_id="req-create-1"))
        self.assertEqual(status, 201, body)
        self.assertEqual(body["message"], "User created")
        self.assertEqual(body["user"]["userId"], uid)
        self.assertEqual(body["user"]["ttl"], body["user"]["createdAt"] + 90 * 86400)
        self.assertEqual(headers.get("x-request-id"), "req-create-1")
        self.assertEqual(headers.get("access-control-allow-origin"), "*")
        self.assertIn("application/json", headers.get("content-type", ""))

        status, _, body = run.api_call(api_v1_event("POST", "/users", user))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["message"], "User already exists")

        status, _, body = run.api_call(api_v1_event("GET", "/users/" + uid))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["email"], "pkg@example.com")

        status, _, body = run.api_call(api_v1_event("PUT", "/users/" + uid,
                                                    {"department": "Research"},
                                                    base64_body=True))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["department"], "Research")
        self.assertIn("updatedAt", body)

        # HTTP API (v2.0): read, delete, read again.
        status, headers, body = run.api_call(api_v2_event("GET", "/users/" + uid,
                                                          request_id="req-v2-get"))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["department"], "Research")
        self.assertEqual(headers.get("x-request-id"), "req-v2-get")

        status, _, body = run.api_call(api_v2_event("DELETE", "/users/" + uid))
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"message": "User deleted successfully"})

        status, _, body = run.api_call(api_v2_event("GET", "/users/" + uid))
        self.assertEqual(status, 404, body)
        self.assertEqual(body, {"error": "User not found"})

        # Errors answered as responses.
        status, _, body = run.api_call(api_v1_event("POST", "/users", {"email": "x@example.com"}))
        self.assertEqual(status, 400, body)
        self.assertIn("required", body["error"])
        status, headers, body = run.api_call(api_v1_event("PATCH", "/users/" + uid))
        self.assertEqual(status, 405, body)
        self.assertIn("DELETE", headers.get("allow", ""))
        status, _, body = run.api_call(api_v2_event("GET", "/nowhere"))
        self.assertEqual(status, 404, body)
        status, _, body = run.api_call(api_v1_event("GET", "/health"))
        self.assertEqual(status, 200, body)

        # Assets: create (presigning needs no network), then the S3 notification.
        aid = "pkg-asset-" + uuid.uuid4().hex[:8]
        status, _, body = run.api_call(api_v1_event("POST", "/assets", {
            "assetId": aid, "fileName": "report final.pdf", "contentType": "application/pdf"}))
        self.assertEqual(status, 201, body)
        self.assertEqual(body["asset"]["status"], "pending")
        self.assertEqual(body["asset"]["s3Key"], "assets/%s/report final.pdf" % aid)
        self.assertIn("X-Amz-Signature=", body["uploadUrl"])

        etag = "838d3870873a75639041ff8940f397db"
        kind, record = run.invoke(s3_event(self.aws_env["ASSETS_BUCKET_NAME"],
                                           "assets/%s/report+final.pdf" % aid, 11, etag))
        self.assertEqual(kind, "response", record["body"])
        self.assertIn(b"uploaded", record["body"])

        status, _, body = run.api_call(api_v2_event("GET", "/assets/" + aid))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["status"], "uploaded")
        self.assertEqual(body["size"], 11)
        self.assertEqual(body["etag"], etag)

        status, _, body = run.api_call(api_v1_event("GET", "/assets/%s/download" % aid))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["status"], "uploaded")
        self.assertIn("X-Amz-Signature=", body["downloadUrl"])

        # An event that is neither API Gateway nor S3: an error post, and the loop goes on.
        kind, record = run.invoke({"detail-type": "Scheduled Event", "source": "aws.events"})
        self.assertEqual(kind, "error")
        error = json.loads(record["body"])
        self.assertTrue(error.get("errorMessage"), error)
        self.assertTrue(error.get("errorType"), error)
        status, _, body = run.api_call(api_v1_event("GET", "/health"))
        self.assertEqual(status, 200, body)

        self.assertIsNotNone(run.stop())
        output = run.output()
        self.assertNotIn("pkg@example.com", output, "an email in the logs")
        self.assertNotIn("error while loading shared libraries", output)

    def test_https_endpoint(self):
        """DynamoDB over TLS (the bootstrap's own OpenSSL and libcurl, as on AWS), trusting only
        the CA in AWS_CA_BUNDLE: the request works through a TLS front of moto (TLS 1.3 with a
        P-256 certificate; TLS 1.2 with a 2048-bit RSA one and each suite AWS endpoints offer),
        and fails when the bundle does not hold the server's certificate's issuer (500: a
        configuration fault, not retried; nothing stored; the log says why)."""
        openssl = shutil.which("openssl")
        if openssl is None:
            self.skipTest("needs the openssl program on PATH")
        certs = os.path.join(self.workdir, "tls")
        os.makedirs(certs, exist_ok=True)
        host, port = self.aws_env["AWS_ENDPOINT_URL_DYNAMODB"].split("//")[1].split(":")

        def certificate(name, key_args):
            cert, key = os.path.join(certs, name + ".pem"), os.path.join(certs, name + ".key")
            subprocess.run([openssl, "req", "-x509", "-newkey"] + key_args + [
                "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                check=True, capture_output=True, timeout=60)
            # Inside the bootstrap's empty root: /tmp is the only place besides the task.
            shutil.copy(cert, os.path.join(self.root, "tmp", name + ".pem"))
            return cert, key

        def round_trip(proxy, ca):
            uid = "tls-" + uuid.uuid4().hex[:10]
            run = self.start("users", AWS_ENDPOINT_URL_DYNAMODB="https://127.0.0.1:%d" % proxy.port,
                             AWS_CA_BUNDLE="/tmp/%s.pem" % ca)
            status, _, body = run.api_call(api_v1_event("POST", "/users", {
                "userId": uid, "email": "tls@example.com"}))
            self.assertEqual(status, 201, "%s; output:\n%s" % (body, run.output()[-3000:]))
            status, _, body = run.api_call(api_v1_event("GET", "/users/" + uid))
            self.assertEqual((status, body["userId"]), (200, uid))
            run.stop()

        ec = certificate("ec", ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
        rsa = certificate("rsa", ["rsa:2048"])
        proxy = TlsProxy(*ec, (host, int(port)), ssl.TLSVersion.TLSv1_3)
        self.addCleanup(proxy.close)
        round_trip(proxy, "ec")
        self.assertEqual({v for v, _ in proxy.versions}, {"TLSv1.3"})
        for suite in ("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                      "ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-RSA-AES128-SHA"):
            with self.subTest(suite=suite):
                tls12 = TlsProxy(*rsa, (host, int(port)), ssl.TLSVersion.TLSv1_2, suite)
                self.addCleanup(tls12.close)
                round_trip(tls12, "rsa")
                self.assertEqual(tls12.versions, {("TLSv1.2", suite)})

        # The system's CAs (none in the empty root) do not vouch for this certificate.
        handshakes = proxy.handshakes
        uid = "tls-" + uuid.uuid4().hex[:10]
        run = self.start("users", AWS_ENDPOINT_URL_DYNAMODB="https://127.0.0.1:%d" % proxy.port)
        status, _, body = run.api_call(api_v1_event("POST", "/users", {
            "userId": uid, "email": "tls@example.com"}))
        self.assertEqual(status, 500, body)
        self.assertEqual(proxy.handshakes, handshakes, "a handshake it should have refused")
        run.stop()
        self.assertIn("certificate", run.output())
        run = self.start("users")  # straight to moto: the refused user was never stored
        status, _, _ = run.api_call(api_v1_event("GET", "/users/" + uid))
        self.assertEqual(status, 404)
        run.stop()

    def test_functions_take_only_their_events(self):
        # users: API events for users only; an S3 event is an error post.
        run = self.start("users")
        status, _, body = run.api_call(api_v1_event("GET", "/users/nobody"))
        self.assertEqual(status, 404, body)
        kind, record = run.invoke(s3_event("b", "assets/a/f.txt", 1, "e"))
        self.assertEqual(kind, "error", record["body"])
        self.assertTrue(json.loads(record["body"]).get("errorType"))
        run.stop()

        # uploads: S3 events only; an API event is an error post. An object whose asset does
        # not exist is not an error (nothing to retry).
        run = self.start("uploads")
        kind, record = run.invoke(api_v1_event("GET", "/health"))
        self.assertEqual(kind, "error", record["body"])
        kind, record = run.invoke(s3_event("b", "assets/no-such-asset/f.txt", 1, "e"))
        self.assertEqual(kind, "response", record["body"])
        run.stop()

    def test_init_error(self):
        run = self.start("everything")
        kind, _, record = run.next_post()
        self.assertEqual(kind, "init-error", record["path"])
        error = json.loads(record["body"])
        self.assertIn("SBAPI_FUNCTION", error.get("errorMessage", ""))
        self.assertTrue(error.get("errorType"))
        self.assertNotEqual(run.wait(), 0)

    def test_exits_when_next_fails(self):
        run = self.start("all")
        code = run.stop()
        self.assertEqual(run.api.next_requests, 1, "exit code %s; output:\n%s"
                         % (code, run.output()[-3000:]))
        self.assertTrue(run.api.posts.empty())

    # --- measured, not asserted -----------------------------------------------------------

    def test_cold_start(self):
        uid = "pkg-timing-" + uuid.uuid4().hex[:6]
        run = self.start("users")
        status, _, body = run.api_call(api_v1_event("POST", "/users",
                                                    {"userId": uid, "email": "t@example.com"}))
        self.assertEqual(status, 201, body)
        run.stop()

        latencies, inits, rss = [], [], []
        for _ in range(TIMING_RUNS):
            run = self.start("users")
            request_id = str(uuid.uuid4())
            run.api.events.put((request_id, json.dumps(
                api_v1_event("GET", "/users/" + uid)).encode("utf-8")))
            kind, posted_id, record = run.next_post()
            self.assertEqual((kind, posted_id), ("response", request_id), record["body"])
            self.assertEqual(json.loads(record["body"])["statusCode"], 200)
            latencies.append((record["at"] - run.started) * 1000.0)
            inits.append((run.api.first_next_at - run.started) * 1000.0)
            rss.append(peak_rss_kib(run.proc.pid))
            run.stop()
        print("\ncold start (exec -> first response posted, GET /users/{id} on moto, %d runs): "
              "median %.1f ms, min %.1f ms, max %.1f ms (exec -> first `next`: median %.1f ms); "
              "peak RSS median %d KiB, max %d KiB"
              % (TIMING_RUNS, statistics.median(latencies), min(latencies), max(latencies),
                 statistics.median(inits), statistics.median(rss), max(rss)))
        report = os.environ.get("SBAPI_PACKAGE_REPORT")
        if report:
            with open(report, "w", encoding="utf-8") as f:
                json.dump({"runs": TIMING_RUNS, "exec_to_response_ms": latencies,
                           "median_ms": statistics.median(latencies),
                           "exec_to_first_next_ms": inits,
                           "peak_rss_kib": rss, "package_bytes": os.path.getsize(PACKAGE)}, f,
                          indent=2)


if __name__ == "__main__":
    unittest.main()
