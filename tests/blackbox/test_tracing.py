"""Request tracing (issue 16; docs/api.md "Everywhere", docs/operations.md "Tracing").

  - a W3C `traceparent` is continued: the response's traceparent has the same trace id and flags
    and a span id of the server's own, and the access-log line says "traceId" (also on the
    asynchronous POST /users path and on the local object endpoint);
  - without one, or with an invalid one (upper-case hex, version ff, too long, all zeros, a huge
    value, the header twice), the request is served as usual (never a 400) in a new trace;
  - on the aws backend the DynamoDB calls a request makes carry a traceparent of the same trace
    (and its tracestate), outside SigV4's SignedHeaders: a recording stand-in for DynamoDB
    answers every call with `{}` (GetItem: no such item).

    SBAPI_BIN=/path/to/sbapi python3 -m unittest -v test_tracing
"""

import http.server
import json
import re
import threading
import unittest

from s3_helpers import url_request
from sbapi_server import SbapiServer, parse_raw_response

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = "00-%s-00f067aa0ba902b7-01" % TRACE_ID
TRACEPARENT_RE = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def parse_traceparent(value):
    """(trace id, span id, flags) of a version-00 traceparent; fails on anything else."""
    match = TRACEPARENT_RE.match(value or "")
    if not match or set(match.group(1)) == {"0"} or set(match.group(2)) == {"0"}:
        raise AssertionError("not a valid traceparent: %r" % (value,))
    return match.groups()


class TracingTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = SbapiServer()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def log_line(self, headers):
        line = self.srv.request_log(headers["x-request-id"])
        self.assertIsNotNone(line, "no access-log line for %s" % headers["x-request-id"])
        return line

    def test_traceparent_round_trip_and_log_line(self):
        for method, path, body in (("GET", "/health", None),
                                   ("GET", "/users/nobody", None),
                                   ("POST", "/users", {"userId": "traced", "email": "t@e.co"})):
            with self.subTest(method=method, path=path):
                status, headers, got = self.srv.request(
                    method, path, body,
                    {"traceparent": TRACEPARENT, "tracestate": "rojo=00f067aa0ba902b7"})
                self.assertIn(status, (200, 201, 404), got)
                trace_id, span_id, flags = parse_traceparent(headers.get("traceparent"))
                self.assertEqual(trace_id, TRACE_ID)
                self.assertNotEqual(span_id, "00f067aa0ba902b7")  # the server's own span
                self.assertEqual(flags, "01")
                self.assertEqual(self.log_line(headers).get("traceId"), TRACE_ID)

    def test_absent_or_invalid_traceparent_starts_a_new_trace(self):
        for value in (None,
                      TRACEPARENT.upper(),
                      "ff" + TRACEPARENT[2:],
                      TRACEPARENT + "-00",
                      TRACEPARENT[:-1],
                      "00-%s-00f067aa0ba902b7-01" % ("0" * 32),
                      "00-%s-0000000000000000-01" % TRACE_ID,
                      "x" * 8000):
            with self.subTest(value=(value or "")[:60]):
                status, headers, got = self.srv.request(
                    "GET", "/health", headers={} if value is None else {"traceparent": value})
                self.assertEqual(status, 200, got)
                trace_id, _span, flags = parse_traceparent(headers.get("traceparent"))
                self.assertNotEqual(trace_id, TRACE_ID)
                self.assertEqual(flags, "00")
                self.assertEqual(self.log_line(headers).get("traceId"), trace_id)

    def test_a_repeated_traceparent_is_ignored(self):
        raw, _closed = self.srv.send_raw(
            ("GET /health HTTP/1.1\r\nHost: x\r\ntraceparent: %s\r\ntraceparent: %s\r\n"
             "Connection: close\r\n\r\n" % (TRACEPARENT, TRACEPARENT)).encode())
        status, headers, _body = parse_raw_response(raw)
        self.assertEqual(status, 200)
        trace_id, _span, _flags = parse_traceparent(headers.get("traceparent"))
        self.assertNotEqual(trace_id, TRACE_ID)

    def test_object_requests_are_traced_too(self):
        url = self.srv.presign("GET", "assets/none/missing.txt")
        status, headers, body = url_request(url, headers={"traceparent": TRACEPARENT},
                                            port=self.srv.port)
        self.assertEqual(status, 404, body)
        trace_id, _span, _flags = parse_traceparent(headers.get("traceparent"))
        self.assertEqual(trace_id, TRACE_ID)
        self.assertEqual(self.log_line(headers).get("traceId"), TRACE_ID)


class _Recorder(http.server.BaseHTTPRequestHandler):
    """A DynamoDB that knows no item: every call is recorded and answered `{}`."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.calls.append({k.lower(): v for k, v in self.headers.items()})
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


class AwsBackendTracingTest(unittest.TestCase):

    def setUp(self):
        self.recorder = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
        self.recorder.calls = []
        threading.Thread(target=self.recorder.serve_forever, daemon=True).start()
        self.addCleanup(self.recorder.server_close)
        self.addCleanup(self.recorder.shutdown)
        env = {
            "AWS_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "tracing-test-secret",
            "AWS_SESSION_TOKEN": "",
            "USERS_TABLE_NAME": "users-t",
            "ASSETS_TABLE_NAME": "assets-t",
            "ASSETS_BUCKET_NAME": "assets-b",
            "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:%d" % self.recorder.server_port,
        }
        self.srv = SbapiServer(extra_args=["--backend", "aws"], env=env)
        self.addCleanup(self.srv.stop)

    def test_dynamodb_calls_carry_the_trace_unsigned(self):
        status, headers, got = self.srv.request(
            "GET", "/users/u1", headers={"traceparent": TRACEPARENT, "tracestate": "rojo=1"})
        self.assertEqual(status, 404, got)
        _trace, server_span, _flags = parse_traceparent(headers.get("traceparent"))
        calls = [c for c in self.recorder.calls if c.get("x-amz-target", "").endswith("GetItem")]
        self.assertEqual(len(calls), 1, json.dumps(self.recorder.calls, indent=1))
        trace_id, span_id, flags = parse_traceparent(calls[0].get("traceparent"))
        self.assertEqual((trace_id, flags), (TRACE_ID, "01"))
        self.assertNotIn(span_id, ("00f067aa0ba902b7", server_span))  # the call's own span
        self.assertEqual(calls[0].get("tracestate"), "rojo=1")
        signed = re.search(r"SignedHeaders=([^,]+)", calls[0].get("authorization", ""))
        self.assertIsNotNone(signed, calls[0])
        self.assertNotIn("trace", signed.group(1))

    def test_a_request_without_traceparent_passes_its_new_trace_on(self):
        status, headers, _got = self.srv.request("GET", "/users/u2")
        self.assertEqual(status, 404)
        trace_id, _span, _flags = parse_traceparent(headers.get("traceparent"))
        self.assertEqual(len(self.recorder.calls), 1, self.recorder.calls)
        self.assertEqual(parse_traceparent(self.recorder.calls[0].get("traceparent"))[0],
                         trace_id)
        self.assertNotIn("tracestate", self.recorder.calls[0])


if __name__ == "__main__":
    unittest.main()
