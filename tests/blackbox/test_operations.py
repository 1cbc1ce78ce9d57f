"""Operations (issue 16): GET /metrics, the health probes and --metrics-listen, end to end.

  - PromtoolTest: Prometheus' own linter, `promtool check metrics`, accepts a scrape taken after
    traffic on every kind of route (users, assets, an upload, 404s, refused tokens): no parse
    error and no lint warning; the Content-Type is the text format 0.0.4.
  - PrometheusScrapeTest: a real Prometheus server (temporary config: one job, 1 s interval,
    scraping the --metrics-listen address) scrapes sbapi; after a known mix of requests its
    HTTP API (PromQL `sum by (route, method, status) (sbapi_http_requests_total)`, the latency
    histograms' counts by route) gives exactly the numbers sent, by route template; the target
    is up with no scrape error.
  - MetricsSemanticsTest (`--auth local`): /metrics on the API port 401 / 403 / 200 (no token,
    a user's, an admin's); the --metrics-listen port serves /metrics and the probes without a
    token and nothing else; token rejections counted by reason (malformed, signature,
    too_large, expired); route labels are the route table's templates (= openapi.yaml's paths,
    plus "-"), never a raw path; in-flight / open-connection gauges after concurrent load and
    with idle keep-alive connections; SQLite group-commit histograms move by exactly the writes;
    item-cache hits; an object upload moves the upload bytes by exactly its size (a refused one
    by nothing); process_* values.
  - ProbesTest: /health/live and /health/ready (checks storage + disk, + token_keys with auth)
    on both ports; `--ready-min-free-mb` beyond the disk → 503 "disk: ..." + Retry-After: 5,
    while liveness and the API go on.
  - ReadinessDiskFullTest: the data dir is an 8 MiB tmpfs (as in test_crash_faults'
    DiskFullTest): filled to ENOSPC → /health/ready 503 with the disk reason; the file removed →
    200 again, same process. Needs root to mount: skipped otherwise; as root under CI=true a
    failing mount fails.

promtool and prometheus come from Debian's `prometheus` package (scripts/setup.sh --test; its
service is not started). Without them those two classes skip with the reason, and fail when
CI=true (peers.require). The expired-token case signs with the local issuer's key through the
`cryptography` package (jwt_tools.py); without it only that case skips (fails under CI=true).
Run from tests/blackbox:

    SBAPI_BIN=/path/to/sbapi python3 -m unittest -v test_operations
"""

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid

import jwt_tools as jt
from peers import require, running_in_ci
import response_log
from s3_helpers import url_request
from sbapi_server import SbapiServer, free_port, request_on, sbapi_bin
from small_tmpfs import SmallTmpfsTestCase

HERE = os.path.dirname(os.path.abspath(__file__))
OPENAPI = os.path.normpath(os.path.join(HERE, "..", "..", "openapi.yaml"))

EXPOSITION_TYPE = "text/plain; version=0.0.4; charset=utf-8"
AUTH_REQUIRED = "Authentication required: send Authorization: Bearer <token>"
REJECTION_REASONS = ("too_large", "malformed", "algorithm", "unknown_kid", "signature", "issuer",
                     "audience", "expired", "not_yet_valid", "subject", "other")
PROM_START_TIMEOUT = 20.0


def new_id(prefix="ops"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


# ===================================================================================== helpers

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$')
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)')


class Exposition:
    """The samples of one text-format scrape: value(name, **labels), series(name)."""

    def __init__(self, text):
        self.text = text
        self.samples = {}
        for line in text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            m = _SAMPLE.match(line)
            if m is None:
                raise AssertionError("not a sample line of the text format: %r" % line)
            labels = m.group(2) or ""
            pairs = _LABEL.findall(labels)
            if "".join('%s="%s",' % p for p in pairs).rstrip(",") != labels.rstrip(","):
                raise AssertionError("labels not parsed: %r" % line)
            key = (m.group(1), tuple(sorted(pairs)))
            if key in self.samples:
                raise AssertionError("sample repeated: %r" % line)
            self.samples[key] = float(m.group(3))

    def value(self, name, **labels):
        """The sample's value, None when there is no such series."""
        return self.samples.get((name, tuple(sorted(labels.items()))))

    def get(self, name, **labels):
        """As value(), a missing series reads 0 (a counter not yet moved)."""
        v = self.value(name, **labels)
        return 0.0 if v is None else v

    def series(self, name):
        return [(dict(labels), v) for (n, labels), v in self.samples.items() if n == name]

    def requests(self, exclude_route=None):
        """{(route, method, status): count} of sbapi_http_requests_total."""
        out = {}
        for labels, v in self.series("sbapi_http_requests_total"):
            if labels.get("route") == exclude_route:
                continue
            out[(labels["route"], labels["method"], labels["status"])] = v
        return out


def get(port, path, token=None, headers=None):
    """GET on 127.0.0.1:port -> (status, lower-cased headers, raw body bytes)."""
    hdrs = dict(headers or {})
    if token is not None:
        hdrs["Authorization"] = "Bearer " + token
    # (recorded for tests/openapi/validate_responses.mjs when it is a black-box sbapi's port)
    conn = response_log.RecordingHTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=hdrs)
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def get_json(port, path, token=None):
    status, headers, body = get(port, path, token)
    return status, headers, json.loads(body.decode("utf-8")) if body else None


def scrape(port, token=None):
    """GET /metrics -> Exposition (asserts 200 and the exposition's media type)."""
    status, headers, body = get(port, "/metrics", token)
    if status != 200:
        raise AssertionError("GET /metrics on port %d answered %d: %r" % (port, status, body[:300]))
    if headers.get("content-type") != EXPOSITION_TYPE:
        raise AssertionError("GET /metrics Content-Type %r" % headers.get("content-type"))
    return Exposition(body.decode("utf-8"))


def metrics_port(srv):
    line = srv.wait_for_log(lambda o: o.get("msg") == "listening", timeout=1)
    if line is None or "metricsPort" not in line:
        raise AssertionError("no metricsPort in the listening line: %r" % line)
    return int(line["metricsPort"])


def run_sbapi(args):
    proc = subprocess.run([sbapi_bin()] + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise AssertionError("sbapi %s exited with %d: %s" % (" ".join(args), proc.returncode,
                                                            proc.stderr))
    return proc.stdout.strip()


def local_token(data_dir, sub, groups=()):
    args = ["token", "--sub", sub, "--data-dir", data_dir]
    for group in groups:
        args += ["--group", group]
    return run_sbapi(args)


def openapi_paths():
    with open(OPENAPI, "r", encoding="utf-8") as f:
        text = f.read()
    start = text.index("\npaths:\n")
    paths = set()
    for line in text[start:].splitlines()[2:]:
        if line and not line.startswith(" "):
            break  # the next top-level key
        m = re.match(r"^  (/\S*):\s*$", line)
        if m:
            paths.add(m.group(1))
    return paths


def need(reason):
    """peers.require, printing the reason: a skip (a failure under CI=true) when one is given."""
    if reason is not None and not running_in_ci():
        sys.stderr.write("\n  skipping: %s\n" % reason)
    require(reason)


def promtool_unavailable():
    if shutil.which("promtool") is None:
        return ("promtool is not installed (Debian package `prometheus`; scripts/setup.sh --test "
                "installs it)")
    return None


def prometheus_unavailable():
    if shutil.which("prometheus") is None:
        return ("the prometheus server is not installed (Debian package `prometheus`; "
                "scripts/setup.sh --test installs it)")
    return None


def log_tail(srv, n=30):
    return "\n".join(srv.raw_logs()[-n:]) + "\nstderr:\n" + srv.stderr_text()[-2000:]


class Prometheus:
    """A prometheus server on 127.0.0.1:<free port> scraping one target every second.

    Started from a temporary config and TSDB directory, stopped by its PID (SIGTERM, then
    SIGKILL); both removed on stop().
    """

    def __init__(self, target):
        self.dir = tempfile.mkdtemp(prefix="sbapi-bb-prom-")
        self.port = free_port()
        config = os.path.join(self.dir, "prometheus.yml")
        with open(config, "w", encoding="utf-8") as f:
            f.write("global:\n"
                    "  scrape_interval: 1s\n"
                    "  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "scrape_configs:\n"
                    "  - job_name: sbapi\n"
                    "    static_configs:\n"
                    "      - targets: ['%s']\n" % target)
        self.log_path = os.path.join(self.dir, "prometheus.log")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [shutil.which("prometheus"), "--config.file=" + config,
                 "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
                 "--web.listen-address=127.0.0.1:%d" % self.port,
                 "--web.console.templates=" + os.path.join(self.dir, "none"),
                 "--web.console.libraries=" + os.path.join(self.dir, "none")],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=self.dir)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self):
        deadline = time.monotonic() + PROM_START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("prometheus exited with %s:\n%s"
                                     % (self.proc.returncode, self.log_text()))
            try:
                status, _h, _b = get(self.port, "/-/ready")
                if status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("prometheus not ready within %.0f s:\n%s"
                                     % (PROM_START_TIMEOUT, self.log_text()))
            time.sleep(0.1)

    def log_text(self):
        try:
            with open(self.log_path, "r", encoding="utf-8", errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def api(self, path, **params):
        status, _h, body = get(self.port, path + "?" + urllib.parse.urlencode(params))
        data = json.loads(body.decode("utf-8"))
        if status != 200 or data.get("status") != "success":
            raise AssertionError("prometheus %s %r answered %d: %r" % (path, params, status, data))
        return data["data"]

    def query(self, promql):
        """An instant query -> [(labels dict, float value)]."""
        data = self.api("/api/v1/query", query=promql)
        if data["resultType"] != "vector":
            raise AssertionError("%s gave a %s" % (promql, data["resultType"]))
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def last_scrape_time(self):
        """Unix time of the latest scrape of the sbapi job (None before the first)."""
        got = self.query('timestamp(up{job="sbapi"})')
        return got[0][1] if got else None

    def wait_scraped_after(self, when, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            last = self.last_scrape_time()
            if last is not None and last > when:
                return last
            if time.monotonic() > deadline:
                raise AssertionError("prometheus did not scrape after %.3f within %.0f s (last: %r)"
                                     ":\n%s" % (when, timeout, last, self.log_text()))
            time.sleep(0.2)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)


class ApiClient:
    """Requests to the API port, with a bearer token or none."""

    def __init__(self, srv, token=None):
        self.srv = srv
        self.token = token

    def __call__(self, method, path, body=None, token=None):
        headers = {}
        tok = token if token is not None else self.token
        if tok is not None:
            headers["Authorization"] = "Bearer " + tok
        return self.srv.request(method, path, body, headers)


def make_traffic(case, api, srv):
    """Users, a 404 of each kind, an asset uploaded: traffic on most families."""
    uid = new_id("u")
    status, _h, body = api("POST", "/users", {"userId": uid, "email": uid + "@example.com"})
    case.assertEqual(status, 201, body)
    case.assertEqual(api("GET", "/users/" + uid)[0], 200)
    case.assertEqual(api("GET", "/users/" + new_id("missing"))[0], 404)
    case.assertEqual(api("GET", "/nope/" + new_id("x"))[0], 404)
    aid = new_id("a")
    status, _h, body = api("POST", "/assets", {"assetId": aid, "fileName": "f.bin"})
    case.assertEqual(status, 201, body)
    status, _h, raw = url_request(body["uploadUrl"], "PUT", b"x" * 1000,
                                  {"Content-Type": "application/octet-stream"}, port=srv.port)
    case.assertEqual(status, 200, raw[:300])
    return uid, aid


# ===================================================================================== promtool


class PromtoolTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        need(promtool_unavailable())
        cls.data_dir = tempfile.mkdtemp(prefix="sbapi-bb-ops-")
        cls.admin = local_token(cls.data_dir, "root-1", groups=["admin"])
        cls.srv = SbapiServer(data_dir=cls.data_dir,
                              extra_args=["--auth", "local", "--metrics-listen", "127.0.0.1:0"])

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        shutil.rmtree(cls.data_dir, ignore_errors=True)

    def promtool(self, text):
        proc = subprocess.run(["promtool", "check", "metrics"], input=text.encode("utf-8"),
                              capture_output=True, timeout=30)
        return proc.returncode, (proc.stdout + proc.stderr).decode("utf-8", "replace")

    def test_promtool_check_metrics_passes_after_traffic(self):
        api = ApiClient(self.srv, self.admin)
        make_traffic(self, api, self.srv)
        self.assertEqual(api("GET", "/users", token="garbage")[0], 401)  # a rejection counted
        mport = metrics_port(self.srv)
        for port, token in ((mport, None), (self.srv.port, self.admin)):
            exp = scrape(port, token)
            self.assertGreater(exp.get("sbapi_object_upload_bytes_total"), 0)
            self.assertGreater(exp.get("sbapi_token_rejections_total", reason="malformed"), 0)
            code, out = self.promtool(exp.text)
            sys.stderr.write("\n  promtool check metrics (port %d): exit %d, output %r\n"
                             % (port, code, out.strip()))
            # Exit 0 and no output: no parse error (exit 1) and no lint problem (exit 3).
            self.assertEqual((code, out.strip()), (0, ""),
                             "promtool check metrics found problems:\n" + out)

    def test_promtool_rejects_a_broken_exposition(self):
        # The control: the check above can fail.
        code, out = self.promtool("# TYPE x_total counter\nx_total{a=\"b} 1\n")
        self.assertNotEqual(code, 0, out)
        code, out = self.promtool("# HELP bad_metric x\n# TYPE bad_metric counter\nbad_metric 1\n")
        self.assertNotEqual(code, 0, "a counter without _total passed the lint: " + out)


# =================================================================================== prometheus


class PrometheusScrapeTest(unittest.TestCase):

    def setUp(self):
        need(prometheus_unavailable())
        self.prom = None
        self.srv = SbapiServer(extra_args=["--metrics-listen", "127.0.0.1:0"])
        self.mport = metrics_port(self.srv)

    def tearDown(self):
        if self.prom is not None:
            self.prom.stop()
        self.srv.stop()

    def test_prometheus_counts_what_was_sent_by_route(self):
        started = time.monotonic()
        self.prom = Prometheus("127.0.0.1:%d" % self.mport)
        self.prom.wait_scraped_after(0)  # the target was scraped once before the traffic

        api = ApiClient(self.srv)
        expected = {}

        def send(n, method, path_of, route, status, body_of=None):
            for i in range(n):
                got, _h, resp = api(method, path_of(i), body_of(i) if body_of else None)
                self.assertEqual(got, status, "%s %s: %r" % (method, path_of(i), resp))
            key = (route, method, str(status))
            expected[key] = expected.get(key, 0) + n

        ids = [new_id("p%d" % i) for i in range(7)]
        user = lambda i: {"userId": ids[i], "email": "%s@example.com" % ids[i]}
        send(7, "POST", lambda i: "/users", "/users", 201, user)
        send(2, "POST", lambda i: "/users", "/users", 200, user)  # the same userId again
        send(3, "POST", lambda i: "/users", "/users", 400, lambda i: {"email": "no-id"})
        send(5, "GET", lambda i: "/users/" + ids[i], "/users/{id}", 200)
        send(3, "GET", lambda i: "/users/" + new_id("missing"), "/users/{id}", 404)
        send(4, "GET", lambda i: "/nope/%d/%s" % (i, new_id()), "-", 404)
        send(1, "DELETE", lambda i: "/users/" + ids[6], "/users/{id}", 200)
        send(2, "GET", lambda i: "/users", "/users", 200)
        send(1, "GET", lambda i: "/health/live", "/health/live", 200)

        # sbapi's own count first (a request is counted as its access-log line is written,
        # which may be just after the client has its answer), then a Prometheus scrape after.
        deadline = time.monotonic() + 5
        while scrape(self.mport).requests(exclude_route="/metrics") != expected:
            if time.monotonic() > deadline:
                self.assertEqual(scrape(self.mport).requests(exclude_route="/metrics"), expected)
            time.sleep(0.05)
        self.prom.wait_scraped_after(time.time())

        got = {}
        for labels, v in self.prom.query("sum by (route, method, status) (sbapi_http_requests_total)"):
            got[(labels["route"], labels["method"], labels["status"])] = v
        scrapes = got.pop(("/metrics", "GET", "200"), 0)
        self.assertEqual(got, {k: float(v) for k, v in expected.items()},
                         "Prometheus' counts by route differ from the requests sent")
        self.assertGreaterEqual(scrapes, 2, "Prometheus' own scrapes are counted on /metrics")

        by_route = {}
        for (route, _m, _s), n in expected.items():
            by_route[route] = by_route.get(route, 0) + n
        latency = {labels["route"]: v for labels, v in self.prom.query(
            'sum by (route) (sbapi_http_request_duration_seconds_count{route!="/metrics"}) > 0')}
        self.assertEqual(latency, {k: float(v) for k, v in by_route.items()})
        buckets = self.prom.query('sbapi_http_request_duration_seconds_bucket{route="/users",'
                                  'le="+Inf"}')
        self.assertEqual([v for _l, v in buckets], [float(by_route["/users"])])

        self.assertEqual(self.prom.query('up{job="sbapi"}')[0][1], 1.0)
        targets = self.prom.api("/api/v1/targets", state="active")["activeTargets"]
        self.assertEqual(len(targets), 1, targets)
        self.assertEqual((targets[0]["health"], targets[0]["lastError"]), ("up", ""), targets)
        self.assertEqual(targets[0]["scrapeUrl"], "http://127.0.0.1:%d/metrics" % self.mport)
        # Every sample of the exposition was ingested.
        self.assertEqual(self.prom.query('scrape_samples_scraped{job="sbapi"}')[0][1],
                         float(len(scrape(self.mport).samples)))
        self.assertLess(time.monotonic() - started, 30, "the Prometheus test took over 30 s")


# ============================================================================ metrics semantics


class MetricsSemanticsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.data_dir = tempfile.mkdtemp(prefix="sbapi-bb-ops-")
        cls.user = local_token(cls.data_dir, "alice-1")
        cls.admin = local_token(cls.data_dir, "root-1", groups=["admin"])
        # No TTL sweep during the test (its deletions would be commits of their own).
        cls.started_at = time.time()
        cls.srv = SbapiServer(data_dir=cls.data_dir, threads=2,
                              extra_args=["--auth", "local", "--metrics-listen", "127.0.0.1:0",
                                          "--ttl-sweep-seconds", "86400"])
        cls.listening_at = time.time()
        cls.mport = metrics_port(cls.srv)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        shutil.rmtree(cls.data_dir, ignore_errors=True)

    def api(self, method, path, body=None, token=None):
        return ApiClient(self.srv, self.admin)(method, path, body, token)

    def m(self):
        return scrape(self.mport)

    def wait_for(self, what, predicate, timeout=5.0):
        """Scrapes until predicate(exposition) holds; returns that exposition."""
        deadline = time.monotonic() + timeout
        while True:
            exp = self.m()
            if predicate(exp):
                return exp
            if time.monotonic() > deadline:
                self.fail("%s: not so within %.0f s; exposition:\n%s" % (what, timeout, exp.text))
            time.sleep(0.05)

    # ------------------------------------------------------------------------ who may scrape

    def test_metrics_on_the_api_port_is_for_admins(self):
        status, headers, body = get(self.srv.port, "/metrics")
        self.assertEqual(status, 401, body)
        self.assertEqual(json.loads(body), {"error": AUTH_REQUIRED})
        self.assertEqual(headers.get("www-authenticate"), 'Bearer realm="sbapi"')
        self.assertNotIn(b"sbapi_", body)

        status, _h, body = get(self.srv.port, "/metrics", self.user)
        self.assertEqual(status, 403, body)
        self.assertIn("error", json.loads(body))
        self.assertNotIn(b"sbapi_", body)

        status, _h, body = get(self.srv.port, "/metrics", "garbage")
        self.assertEqual(status, 401, body)

        exp = scrape(self.srv.port, self.admin)
        self.assertIsNotNone(exp.value("sbapi_http_requests_in_flight"))
        status, headers, _b = get(self.srv.port, "/metrics", self.admin)
        self.assertEqual(headers.get("cache-control"), "no-store")

    def test_metrics_port_needs_no_token_and_serves_nothing_else(self):
        exp = scrape(self.mport)
        self.assertIsNotNone(exp.value("sbapi_http_connections_open"))
        scrape(self.mport, "garbage")  # a token there is not looked at
        for path in ("/health", "/health/live", "/health/ready"):
            self.assertEqual(get(self.mport, path)[0], 200, path)
        for path in ("/users", "/users/x", "/assets", "/openapi.yaml", "/docs",
                     "/.well-known/jwks.json", "/sbapi-assets/assets/x"):
            status, _h, body = get(self.mport, path, self.admin)
            self.assertEqual(status, 404, "%s on the metrics port: %d %r" % (path, status, body))
        conn = http.client.HTTPConnection("127.0.0.1", self.mport, timeout=10)
        try:
            conn.request("POST", "/users", body=b"{}", headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            self.assertIn(resp.status, (404, 405), "POST /users on the metrics port")
        finally:
            conn.close()

    # ----------------------------------------------------------------------- token rejections

    def assert_rejection_counted(self, token, reason):
        before = self.m()
        status, _h, body = self.api("GET", "/users", token=token)
        self.assertEqual(status, 401, "%s token: %d %r" % (reason, status, body))
        after = self.wait_for("rejection %s counted" % reason, lambda e: e.get(
            "sbapi_token_rejections_total", reason=reason) > before.get(
            "sbapi_token_rejections_total", reason=reason))
        for r in REJECTION_REASONS:
            self.assertEqual(after.get("sbapi_token_rejections_total", reason=r)
                             - before.get("sbapi_token_rejections_total", reason=r),
                             1.0 if r == reason else 0.0,
                             "sbapi_token_rejections_total{reason=%r} after a %s token" % (r, reason))
        self.assertNotIn(token[:40], after.text)

    def test_token_rejections_by_reason(self):
        exp = self.m()
        self.assertEqual(sorted(l["reason"] for l, _v in exp.series("sbapi_token_rejections_total")),
                         sorted(REJECTION_REASONS))
        self.assert_rejection_counted("garbage", "malformed")
        head, payload, sig = self.user.split(".")
        flipped = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
        self.assert_rejection_counted("%s.%s.%s" % (head, payload, flipped), "signature")
        self.assert_rejection_counted("%s.%s.%s" % (head, "e" * 9000, sig), "too_large")
        # Accepted tokens are no rejection.
        before = self.m()
        self.assertEqual(self.api("GET", "/users/alice-1", token=self.user)[0], 404)
        after = self.m()
        self.assertEqual(sum(v for _l, v in after.series("sbapi_token_rejections_total")),
                         sum(v for _l, v in before.series("sbapi_token_rejections_total")))

    def test_expired_token_counted_as_expired(self):
        need(jt.unavailable())
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
        with open(os.path.join(self.data_dir, "auth", "token-signing-key.pem"), "rb") as f:
            key = load_pem_private_key(f.read(), password=None)
        header, claims = jt.decode(self.user)
        now = int(time.time())
        claims = dict(claims, iat=now - 7200, exp=now - 3600)
        if "nbf" in claims:
            claims["nbf"] = now - 7200
        token = jt.sign_es256(header, claims, key)
        # The control: the same key signs a token that is accepted.
        fresh = jt.sign_es256(header, dict(claims, exp=now + 600), key)
        self.assertEqual(self.api("GET", "/users/alice-1", token=fresh)[0], 404)
        self.assert_rejection_counted(token, "expired")

    # --------------------------------------------------------------------------- route labels

    def test_route_labels_are_templates_never_raw_paths(self):
        raw = ["some-id-123", "nope", "xyz", "raw-asset-77", "deep-key-55", "qparam99"]
        self.api("GET", "/users/some-id-123")
        self.api("PUT", "/users/some-id-123", {"name": "n"})
        self.api("GET", "/nope/xyz")
        self.api("GET", "/users/some-id-123?qparam99=1")
        self.api("GET", "/assets/raw-asset-77/download")
        get(self.mport, "/nope/xyz")
        url_request("http://localhost:%d/sbapi-assets/assets/raw-asset-77/deep-key-55"
                    % self.srv.port, "GET", port=self.srv.port)
        for exp in (self.m(), scrape(self.srv.port, self.admin)):
            for word in raw:
                self.assertNotIn(word, exp.text, "a raw path piece is in the exposition")
            templates = openapi_paths() | {"-"}
            latency_routes = {l["route"] for l, _v in
                              exp.series("sbapi_http_request_duration_seconds_count")}
            self.assertEqual(latency_routes, templates,
                             "the latency histograms are not one per route template")
            request_routes = {l["route"] for l, _v in exp.series("sbapi_http_requests_total")}
            self.assertLessEqual(request_routes, templates)
            for route in ("/users/{id}", "-", "/assets/{id}/download", "/{bucket}/{key}"):
                self.assertIn(route, request_routes)
            for name in {n for n, _l in exp.samples}:
                for labels, _v in exp.series(name):
                    self.assertLessEqual(set(labels), {"route", "method", "status", "le",
                                                       "reason", "result"}, name)
            self.assertGreaterEqual(exp.get("sbapi_http_requests_total", route="/users/{id}",
                                            method="PUT", status="404"), 1)

    # --------------------------------------------------------------------------------- gauges

    def test_in_flight_and_open_connections_after_load(self):
        errors = []

        def worker(n):
            try:
                conn = self.srv.connection()
                try:
                    for i in range(25):
                        uid = new_id("load%d" % n)
                        status, _h, body = request_on(conn, "POST", "/users", {
                            "userId": uid, "email": uid + "@example.com"},
                            {"Authorization": "Bearer " + self.admin})
                        if status != 201:
                            errors.append((status, body))
                        request_on(conn, "GET", "/users/" + uid,
                                   headers={"Authorization": "Bearer " + self.admin})
                finally:
                    conn.close()
            except Exception as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        mid = self.m()  # while the load runs: plausible values
        self.assertGreaterEqual(mid.get("sbapi_http_requests_in_flight"), 0)
        self.assertLessEqual(mid.get("sbapi_http_connections_open"), 6)
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        self.wait_for("in-flight 0 and no connection open after the load",
                      lambda e: (e.get("sbapi_http_requests_in_flight"),
                                 e.get("sbapi_http_connections_open")) == (0, 0))

        # Idle keep-alive connections are counted open, not in flight.
        conns = [self.srv.connection() for _ in range(4)]
        try:
            for conn in conns:
                self.assertEqual(request_on(conn, "GET", "/health/live")[0], 200)
            exp = self.wait_for("4 idle connections open",
                                lambda e: e.get("sbapi_http_connections_open") == 4)
            self.assertEqual(exp.get("sbapi_http_requests_in_flight"), 0)
            # A scrape on the API port is itself one open connection and one request under way.
            exp = scrape(self.srv.port, self.admin)
            self.assertEqual((exp.get("sbapi_http_requests_in_flight"),
                              exp.get("sbapi_http_connections_open")), (1, 5))
        finally:
            for conn in conns:
                conn.close()
        self.wait_for("connections closed", lambda e: e.get("sbapi_http_connections_open") == 0)
        exp = self.m()
        self.assertEqual(exp.get("sbapi_http_connections_refused_total"), 0)
        self.assertEqual(exp.get("sbapi_http_idle_connections_shed_total"), 0)

    # ---------------------------------------------------------------------------- storage

    def test_sqlite_commits_count_the_writes(self):
        before = self.m()
        ids = [new_id("c") for _ in range(9)]
        for uid in ids:
            self.assertEqual(self.api("POST", "/users", {"userId": uid,
                                                         "email": uid + "@example.com"})[0], 201)
        self.assertEqual(self.api("GET", "/users/" + ids[0])[0], 200)
        self.assertEqual(self.api("GET", "/users/" + ids[0])[0], 200)
        after = self.m()

        def d(name, **labels):
            return after.get(name, **labels) - before.get(name, **labels)

        self.assertEqual(d("sbapi_sqlite_commit_writes_sum"), 9.0,
                         "9 new users are 9 writes in the group commits")
        commits = d("sbapi_sqlite_commit_writes_count")
        self.assertGreaterEqual(commits, 1)
        self.assertLessEqual(commits, 9)
        self.assertEqual(d("sbapi_sqlite_commit_duration_seconds_count"), commits)
        self.assertEqual(d("sbapi_sqlite_commit_writes_bucket", le="+Inf"), commits)
        self.assertGreater(d("sbapi_sqlite_commit_duration_seconds_sum"), 0)
        self.assertGreater(after.get("sbapi_sqlite_commit_writes_count"), 0)
        self.assertGreaterEqual(d("sbapi_item_cache_lookups_total", result="hit"), 1,
                                "reading one user twice gave no item-cache hit")

    def test_object_upload_counts_its_bytes(self):
        aid = new_id("a")
        status, _h, body = self.api("POST", "/assets", {"assetId": aid, "fileName": "f.bin"})
        self.assertEqual(status, 201, body)
        url = body["uploadUrl"]
        before = self.m()
        # A refused upload (its signature changed) stores nothing and counts nothing.
        bad = re.sub(r"(X-Amz-Signature=)([0-9a-f])",
                     lambda m: m.group(1) + ("0" if m.group(2) != "0" else "1"), url)
        ctype = {"Content-Type": "application/octet-stream"}  # (a signed header)
        status, _h, raw = url_request(bad, "PUT", b"y" * 500, ctype, port=self.srv.port)
        self.assertEqual(status, 403, raw[:300])
        data = os.urandom(123457)
        status, _h, raw = url_request(url, "PUT", data, ctype, port=self.srv.port)
        self.assertEqual(status, 200, raw[:300])
        after = self.wait_for("the upload counted", lambda e: e.get(
            "sbapi_object_upload_duration_seconds_count") > before.get(
            "sbapi_object_upload_duration_seconds_count"))
        self.assertEqual(after.get("sbapi_object_upload_bytes_total")
                         - before.get("sbapi_object_upload_bytes_total"), float(len(data)))
        self.assertEqual(after.get("sbapi_object_upload_duration_seconds_count")
                         - before.get("sbapi_object_upload_duration_seconds_count"), 1.0)
        self.assertEqual(self.api("GET", "/assets/" + aid)[2]["status"], "uploaded")

    # ---------------------------------------------------------------------------- process

    def test_process_metrics(self):
        exp = self.m()
        listening = self.srv.wait_for_log(lambda o: o.get("msg") == "listening", timeout=1)
        self.assertEqual(exp.get("process_max_fds"), float(listening["fdLimit"]))
        self.assertGreater(exp.get("process_open_fds"), 3)
        with open("/proc/%d/status" % self.srv.proc.pid) as f:
            rss_kib = int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))
        rss = exp.get("process_resident_memory_bytes")
        self.assertGreater(rss, 0)
        self.assertLess(abs(rss - rss_kib * 1024), 64 * 1024 * 1024, "RSS far from /proc's")
        self.assertGreaterEqual(exp.get("process_virtual_memory_bytes"), rss)
        start = exp.get("process_start_time_seconds")
        # (from /proc: whole-second boot time plus clock ticks)
        self.assertGreaterEqual(start, self.started_at - 2)
        self.assertLessEqual(start, self.listening_at + 2)
        self.assertGreaterEqual(exp.get("process_cpu_seconds_total"), 0)


# ================================================================================== probes


class ProbesTest(unittest.TestCase):

    def assertReady(self, port, checks):
        status, headers, body = get_json(port, "/health/ready")
        self.assertEqual((status, body), (200, {"status": "ready",
                                                "checks": {c: "ok" for c in checks}}))
        self.assertNotIn("retry-after", headers)

    def test_live_and_ready_without_auth(self):
        with SbapiServer(extra_args=["--metrics-listen", "127.0.0.1:0"]) as srv:
            for port in (srv.port, metrics_port(srv)):
                self.assertEqual(get_json(port, "/health/live")[::2], (200, {"status": "ok"}))
                self.assertReady(port, ("storage", "disk"))
            self.assertEqual(srv.request("GET", "/health")[::2], (200, {"status": "ok"}))

    def test_ready_with_auth_checks_the_token_keys_and_needs_no_token(self):
        data_dir = tempfile.mkdtemp(prefix="sbapi-bb-ops-")
        try:
            with SbapiServer(data_dir=data_dir,
                             extra_args=["--auth", "local", "--metrics-listen", "0"]) as srv:
                for port in (srv.port, metrics_port(srv)):
                    self.assertEqual(get_json(port, "/health/live")[::2], (200, {"status": "ok"}))
                    self.assertReady(port, ("storage", "disk", "token_keys"))
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)

    def test_min_free_beyond_the_disk_is_not_ready(self):
        huge = 4000000000  # MiB: ~3.7 PiB
        with SbapiServer(extra_args=["--metrics-listen", "127.0.0.1:0",
                                     "--ready-min-free-mb", str(huge)]) as srv:
            why = "less than %d MiB free in the data directory" % huge
            for port in (srv.port, metrics_port(srv)):
                status, headers, body = get_json(port, "/health/ready")
                self.assertEqual(status, 503, body)
                self.assertTrue(body["reason"].startswith("disk:"), body)
                self.assertEqual(body, {"status": "not ready", "reason": "disk: " + why,
                                        "checks": {"storage": "ok", "disk": why}})
                self.assertEqual(headers.get("retry-after"), "5")
                self.assertNotIn(srv.data_dir, json.dumps(body), "a path in the probe's answer")
                self.assertEqual(get_json(port, "/health/live")[::2], (200, {"status": "ok"}))
            # Readiness is for the load balancer: the API itself goes on.
            uid = new_id()
            self.assertEqual(srv.request("POST", "/users", {"userId": uid,
                                                            "email": "a@b.c"})[0], 201)
            exp = scrape(metrics_port(srv))
            self.assertEqual(exp.get("sbapi_http_requests_total", route="/health/ready",
                                     method="GET", status="503"), 2)

    def test_min_free_zero_is_always_ready(self):
        with SbapiServer(extra_args=["--ready-min-free-mb", "0"]) as srv:
            self.assertReady(srv.port, ("storage", "disk"))


class ReadinessDiskFullTest(SmallTmpfsTestCase):
    """The data dir is an 8 MiB tmpfs (small_tmpfs.py, as test_crash_faults.DiskFullTest)."""

    WHAT = "the readiness disk-full test"
    PREFIX = "sbapi-bb-readyfull-"

    def test_ready_flips_with_a_full_disk_and_back(self):
        st = os.statvfs(self.mnt)
        self.assertLessEqual(st.f_blocks * st.f_frsize, self.SIZE_MIB * 1024 * 1024,
                             "the data dir is not the small tmpfs")
        self.srv = SbapiServer(data_dir=self.mnt,
                               extra_args=["--ready-min-free-mb", "1",
                                           "--metrics-listen", "127.0.0.1:0"])
        mport = metrics_port(self.srv)
        uid = new_id()
        self.assertEqual(self.srv.request("POST", "/users", {"userId": uid,
                                                             "email": "a@b.c"})[0], 201)
        ready = {"status": "ready", "checks": {"storage": "ok", "disk": "ok"}}
        self.assertEqual(get_json(mport, "/health/ready")[::2], (200, ready))

        filler = os.path.join(self.mnt, "filler.bin")
        self.fill(filler)
        why = "less than 1 MiB free in the data directory"
        for port in (self.srv.port, mport):
            status, headers, body = get_json(port, "/health/ready")
            self.assertEqual((status, body), (503, {"status": "not ready", "reason": "disk: " + why,
                                                    "checks": {"storage": "ok", "disk": why}}),
                             log_tail(self.srv))
            self.assertEqual(headers.get("retry-after"), "5")
            self.assertEqual(get_json(port, "/health/live")[::2], (200, {"status": "ok"}))
        # Reads still work; so does the scrape.
        self.assertEqual(self.srv.request("GET", "/users/" + uid)[0], 200)
        self.assertEqual(scrape(mport).get("sbapi_http_requests_total", route="/health/ready",
                                           method="GET", status="503"), 2)

        os.unlink(filler)
        self.assertEqual(get_json(mport, "/health/ready")[::2], (200, ready))
        self.assertEqual(get_json(self.srv.port, "/health/ready")[::2], (200, ready))
        self.assertTrue(self.srv.alive())


if __name__ == "__main__":
    unittest.main()
