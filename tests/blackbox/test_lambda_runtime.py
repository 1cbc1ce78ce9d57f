"""The Lambda entry points of the real binary: `sbapi invoke`, and the Runtime API loop started
as `bootstrap` (a symlink named so), by `sbapi lambda`, or by AWS_LAMBDA_RUNTIME_API alone.

The Runtime API is a fake served by this test (FakeRuntimeApi, 2018-06-01 paths, on 127.0.0.1):
it hands out the queued events, records every request, and answers 500 once the queue is empty
(what Lambda does when it shuts the environment down), so the runtime must exit. With moto
available, the three functions of the SAM template (users / assets / uploads) run against moto's
DynamoDB (SigV4 checked) through sample events; without it those tests skip (fail under CI=true).
"""

import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

from peers import Moto, require
from sbapi_server import sbapi_bin

EVENTS_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                           "..", "..", "events"))
RUNTIME_PREFIX = "/2018-06-01/runtime"


def load_event(name):
    with open(os.path.join(EVENTS_DIR, name), encoding="utf-8") as f:
        return json.load(f)


class FakeRuntimeApi:
    """A Lambda Runtime API (2018-06-01) on 127.0.0.1 serving queued events."""

    def __init__(self, events=()):
        self.queue = list(events)  # (request id, payload dict or str)
        self.requests = []         # (method, path, headers dict lower-case, body str)
        self.lock = threading.Lock()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else ""
                headers = {k.lower(): v for k, v in self.headers.items()}
                with fake.lock:
                    fake.requests.append((self.command, self.path, headers, body))

            def _send(self, status, body, headers=()):
                data = body.encode("utf-8")
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._record()
                if self.path != RUNTIME_PREFIX + "/invocation/next":
                    self._send(404, "{}")
                    return
                with fake.lock:
                    item = fake.queue.pop(0) if fake.queue else None
                if item is None:
                    self._send(500, '{"errorMessage":"shutting down","errorType":"Runtime.ExitError"}')
                    return
                request_id, payload = item
                deadline = int(time.time() * 1000) + 30000
                self._send(200, payload if isinstance(payload, str) else json.dumps(payload),
                           [("Lambda-Runtime-Aws-Request-Id", request_id),
                            ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                            ("Lambda-Runtime-Invoked-Function-Arn",
                             "arn:aws:lambda:us-east-1:123456789012:function:sbapi"),
                            ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000001")])

            def do_POST(self):
                self._record()
                self._send(202, '{"status":"OK"}')

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self):
        return "127.0.0.1:%d" % self.server.server_address[1]

    def posts(self):
        with self.lock:
            return [r for r in self.requests if r[0] == "POST"]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def clean_env(extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "SBAPI_", "USERS_", "ASSETS_"))}
    env.update(extra)
    return env


class BootstrapDir:
    """A directory holding `bootstrap`, a symlink to the sbapi binary (as a package would)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="sbapi-bootstrap-")
        self.path = os.path.join(self.dir, "bootstrap")
        os.symlink(os.path.abspath(sbapi_bin()), self.path)

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def run_runtime(argv, events, env, timeout=60):
    """Runs the runtime against a fake Runtime API until it exits; returns (code, posts, out)."""
    api = FakeRuntimeApi(events)
    try:
        proc = subprocess.run(argv, env=clean_env(dict(env, AWS_LAMBDA_RUNTIME_API=api.endpoint)),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout)
        return proc.returncode, api.posts(), api.requests, proc.stdout.decode() + proc.stderr.decode()
    finally:
        api.close()


class InvokeTest(unittest.TestCase):
    """`sbapi invoke --event FILE` on the sample events, local backend."""

    def setUp(self):
        self.data_dir = tempfile.mkdtemp(prefix="sbapi-invoke-")

    def tearDown(self):
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def invoke(self, event_name, *extra, event_text=None):
        args = [sbapi_bin(), "invoke", "--data-dir", self.data_dir] + list(extra)
        if event_text is None:
            args += ["--event", os.path.join(EVENTS_DIR, event_name)]
        else:
            args += ["--event", "-"]
        proc = subprocess.run(args, input=(event_text or "").encode(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=clean_env({}), timeout=60)
        out = proc.stdout.decode()
        self.assertEqual(out.count("\n"), 1, "stdout is exactly the result: %r" % out)
        return proc.returncode, json.loads(out), proc.stderr.decode()

    def test_sample_events_round_trip(self):
        code, created, logs = self.invoke("api-v1-post-user.json")
        self.assertEqual(code, 0)
        self.assertEqual(created["statusCode"], 201)
        self.assertEqual(json.loads(created["body"])["user"]["email"], "ada@example.com")
        self.assertEqual(created["multiValueHeaders"]["x-request-id"],
                         ["5b1c3e2a-9d4f-4c1e-8a7b-1f2e3d4c5b6a"])
        self.assertIs(created["isBase64Encoded"], False)
        # Logs on stderr: the access line (cold start) and the EMF line.
        lines = [json.loads(l) for l in logs.splitlines() if l.startswith("{")]
        access = [l for l in lines if l.get("route") == "/users"]
        self.assertEqual(len(access), 1, logs)
        self.assertIs(access[0]["coldStart"], True)
        emf = [l for l in lines if "_aws" in l]
        self.assertEqual(len(emf), 1, logs)
        self.assertEqual(emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"],
                         "ServerlessBackendApi")
        self.assertEqual(emf[0]["Route"], "POST /users")
        self.assertNotIn("ada@example.com", logs)

        code, got, _ = self.invoke("api-v1-get-user.json")
        self.assertEqual((code, got["statusCode"]), (0, 200))
        self.assertEqual(json.loads(got["body"])["name"], "Ada")
        code, got2, _ = self.invoke("api-v2-get-user.json")
        self.assertEqual((code, got2["statusCode"]), (0, 200))
        self.assertNotIn("multiValueHeaders", got2)
        self.assertEqual(got2["headers"]["x-request-id"], "JKJaXmPLvHcESHA=")
        code, created2, _ = self.invoke("api-v2-post-user-base64.json")
        self.assertEqual((code, created2["statusCode"]), (0, 201))
        self.assertEqual(json.loads(created2["body"])["user"]["userId"], "u2")
        code, null_body, _ = self.invoke("api-v1-null-body.json")
        self.assertEqual((code, null_body["statusCode"]), (0, 400))

    def test_s3_event_marks_the_asset_uploaded(self):
        code, created, _ = self.invoke("api-v1-post-asset.json")
        self.assertEqual((code, created["statusCode"]), (0, 201))
        code, result, logs = self.invoke("s3-object-created.json")
        self.assertEqual(code, 0)
        self.assertEqual(result, {"records": [{"key": "assets/a1/Quarterly report (2026) été.pdf",
                                               "result": "uploaded"}]})
        self.assertNotIn("Quarterly", logs)
        get = load_event("api-v1-get-user.json")
        get["path"] = "/assets/a1"
        code, asset, _ = self.invoke(None, event_text=json.dumps(get))
        body = json.loads(asset["body"])
        self.assertEqual((body["status"], body["size"], body["etag"]),
                         ("uploaded", 1024, "0123456789abcdef0123456789abcdef"))

    def test_unsupported_event_prints_the_error_document(self):
        code, result, _ = self.invoke(None, event_text='{"source":"aws.events"}')
        self.assertEqual(code, 1)
        self.assertEqual(result, {"errorMessage": "Unsupported event",
                                  "errorType": "Function.UnsupportedEvent"})

    def test_function_selection(self):
        code, result, _ = self.invoke("s3-object-created.json", "--function", "users")
        self.assertEqual(code, 1)
        self.assertEqual(result["errorType"], "Function.UnsupportedEvent")


class RuntimeStartTest(unittest.TestCase):
    """How the loop starts, and init errors (no storage peer needed)."""

    def setUp(self):
        self.bootstrap = BootstrapDir()

    def tearDown(self):
        self.bootstrap.close()

    def assert_init_error(self, code, posts, requests, needle):
        self.assertEqual(code, 1)
        self.assertEqual(len(requests), 1, requests)
        method, path, headers, body = posts[0]
        self.assertEqual((method, path), ("POST", RUNTIME_PREFIX + "/init/error"))
        self.assertEqual(headers["lambda-runtime-function-error-type"], "Runtime.ConfigInvalid")
        doc = json.loads(body)
        self.assertEqual(doc["errorType"], "Runtime.ConfigInvalid")
        self.assertIn(needle, doc["errorMessage"])

    def test_bootstrap_posts_an_init_error_without_configuration(self):
        code, posts, requests, _ = run_runtime([self.bootstrap.path], [("x", {})],
                                               {"SBAPI_FUNCTION": "users"})
        self.assert_init_error(code, posts, requests, "AWS_REGION")

    def test_users_function_asks_for_its_table_only(self):
        env = {"SBAPI_FUNCTION": "users", "AWS_REGION": "us-east-1",
               "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}
        code, posts, requests, _ = run_runtime([self.bootstrap.path], [], env)
        self.assert_init_error(code, posts, requests, "USERS_TABLE_NAME")
        self.assertNotIn("ASSETS", posts[0][3])

    def test_runtime_api_variable_alone_starts_the_loop(self):
        code, posts, requests, _ = run_runtime([sbapi_bin()], [], {"SBAPI_FUNCTION": "uploads"})
        self.assert_init_error(code, posts, requests, "AWS_REGION")

    def test_lambda_subcommand_starts_the_loop(self):
        code, posts, requests, _ = run_runtime([sbapi_bin(), "lambda"], [],
                                               {"SBAPI_FUNCTION": "nope"})
        self.assert_init_error(code, posts, requests, "SBAPI_FUNCTION must be")

    def test_lambda_help(self):
        proc = subprocess.run([sbapi_bin(), "lambda", "--help"], stdout=subprocess.PIPE,
                              env=clean_env({}), timeout=30)
        self.assertEqual(proc.returncode, 0)
        for word in (b"AWS_LAMBDA_RUNTIME_API", b"SBAPI_FUNCTION", b"bootstrap"):
            self.assertIn(word, proc.stdout)


_moto = None


def moto_env(moto, suffix):
    return {
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": moto.credentials[0],
        "AWS_SECRET_ACCESS_KEY": moto.credentials[1],
        "AWS_ENDPOINT_URL_DYNAMODB": moto.endpoint,
        "USERS_TABLE_NAME": "lambda-users-" + suffix,
        "ASSETS_TABLE_NAME": "lambda-assets-" + suffix,
        "ASSETS_BUCKET_NAME": "sbapi-assets",
    }


class FunctionsOnMotoTest(unittest.TestCase):
    """The three deployed functions as `bootstrap`, DynamoDB on moto (SigV4 verified)."""

    @classmethod
    def setUpClass(cls):
        global _moto
        require(Moto.unavailable())
        if _moto is None:
            _moto = Moto.start(auth=True)
        cls.env = moto_env(_moto, uuid.uuid4().hex[:8])
        proc = subprocess.run([sbapi_bin(), "create-tables", "--no-bucket"],
                              env=clean_env(cls.env), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=120)
        if proc.returncode != 0:
            raise AssertionError("create-tables: %s %s" % (proc.stdout, proc.stderr))

    def setUp(self):
        self.bootstrap = BootstrapDir()

    def tearDown(self):
        self.bootstrap.close()

    def run_function(self, function, events):
        env = dict(self.env, SBAPI_FUNCTION=function)
        if function == "users":  # a users function is given nothing of the assets side
            for name in ("ASSETS_TABLE_NAME", "ASSETS_BUCKET_NAME"):
                env.pop(name)
        code, posts, requests, output = run_runtime([self.bootstrap.path], events, env)
        self.assertEqual(code, 1, "exits when next answers 500\n" + output)
        nexts = [r for r in requests if r[0] == "GET"]
        self.assertEqual(len(nexts), len(events) + 1)
        self.assertEqual(len(posts), len(events), output)
        results = {}
        for (request_id, _), (method, path, headers, body) in zip(events, posts):
            self.assertTrue(path.startswith(RUNTIME_PREFIX + "/invocation/" + request_id + "/"),
                            path)
            results[request_id] = (path.rsplit("/", 1)[1], json.loads(body))
        return results, output

    def test_users_lifecycle_through_v1_and_v2_events(self):
        post = load_event("api-v1-post-user.json")
        get_v2 = load_event("api-v2-get-user.json")
        put = load_event("api-v1-get-user.json")
        put.update(httpMethod="PUT", body='{"department":"Research"}')
        delete_v2 = json.loads(json.dumps(get_v2))
        delete_v2["requestContext"]["http"]["method"] = "DELETE"
        b64 = load_event("api-v2-post-user-base64.json")
        results, output = self.run_function("users", [
            ("r1", post), ("r2", get_v2), ("r3", put), ("r4", delete_v2), ("r5", get_v2),
            ("r6", b64), ("r7", {"unsupported": True})])
        self.assertEqual(results["r1"][0], "response")
        self.assertEqual(results["r1"][1]["statusCode"], 201)
        self.assertEqual(results["r2"][1]["statusCode"], 200)
        self.assertEqual(json.loads(results["r2"][1]["body"])["email"], "ada@example.com")
        self.assertEqual(results["r3"][1]["statusCode"], 200)
        self.assertEqual(json.loads(results["r3"][1]["body"])["department"], "Research")
        self.assertEqual(results["r4"][1]["statusCode"], 200)
        self.assertEqual(results["r5"][1]["statusCode"], 404)
        self.assertEqual(results["r6"][1]["statusCode"], 201)
        self.assertEqual(results["r7"], ("error", {"errorMessage": "Unsupported event",
                                                   "errorType": "Function.UnsupportedEvent"}))
        access = [json.loads(l) for l in output.splitlines()
                  if l.startswith("{") and '"route"' in l]
        self.assertEqual([a["coldStart"] for a in access], [True] + [False] * 5, output)
        self.assertNotIn("ada@example.com", output)

    def test_assets_then_uploads_function_marks_the_asset_uploaded(self):
        suffix = uuid.uuid4().hex[:6]
        create = load_event("api-v1-post-asset.json")
        create["body"] = json.dumps({"assetId": "a-" + suffix, "fileName": "my file+1.bin"})
        results, _ = self.run_function("assets", [("c1", create)])
        created = json.loads(results["c1"][1]["body"])
        self.assertEqual(created["asset"]["status"], "pending")
        self.assertIn("X-Amz-Signature=", created["uploadUrl"])

        s3 = load_event("s3-object-created.json")
        # S3's notification encoding of "assets/a-…/my file+1.bin": space → '+', '+' → %2B.
        s3["Records"][0]["s3"]["object"]["key"] = "assets/a-%s/my+file%%2B1.bin" % suffix
        results, output = self.run_function("uploads", [("u1", s3)])
        self.assertEqual(results["u1"][0], "response", output)
        self.assertEqual(results["u1"][1]["records"][0]["result"], "uploaded")

        get = load_event("api-v1-get-user.json")
        get["path"] = "/assets/a-" + suffix
        results, _ = self.run_function("assets", [("g1", get)])
        asset = json.loads(results["g1"][1]["body"])
        self.assertEqual((asset["status"], asset["size"]), ("uploaded", 1024))


def tearDownModule():
    if _moto is not None:
        _moto.stop()


if __name__ == "__main__":
    unittest.main()
