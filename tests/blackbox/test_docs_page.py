"""The docs page (GET /docs, Swagger UI) in a real browser: Debian's Chromium driven by
playwright-core (tests/openapi/docs_page.test.mjs, run here with node against a real
`sbapi serve` on a free 127.0.0.1 port).

The browser script loads /docs, holds the operations on the page to `sbapi routes --json`
(every route, nothing else; deduped by operationId), fails on any console error, page error,
CSP violation or request leaving the server, and uses the page's own "Try it out" / "Execute"
to create a user and read it back (and, with `--auth local`, first gets 401, then pastes a
`sbapi token` into the "Authorize" dialog). This side then checks over plain HTTP that the
user is on the server and that the page's answers are this server's (access-log lines by
X-Request-Id). Screenshots go to $SBAPI_DOCS_SCREENSHOTS, else <dir of SBAPI_BIN>/docs-screenshots
(the build tree under ctest); their paths are printed.

Needs /usr/bin/chromium (or $CHROMIUM), node and tests/openapi/node_modules/playwright-core
(scripts/setup.sh): without one of them the tests skip with the reason; under CI=true that fails.

    SBAPI_BIN=/path/to/sbapi python3 -m unittest -v test_docs_page
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest
import uuid

from peers import require
from sbapi_server import SbapiServer, sbapi_bin

OPENAPI_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            "..", "openapi"))
SCRIPT = os.path.join(OPENAPI_DIR, "docs_page.test.mjs")
BROWSER_TIMEOUT = 120.0
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def chromium_path():
    return os.environ.get("CHROMIUM", "/usr/bin/chromium")


def missing_tool():
    """Why the browser tests cannot run on this machine, or None."""
    chromium = chromium_path()
    if not (os.path.isfile(chromium) and os.access(chromium, os.X_OK)):
        return "no Chromium at %s (Debian package chromium; or set CHROMIUM)" % chromium
    if shutil.which("node") is None:
        return "no node on PATH"
    if not os.path.isfile(os.path.join(OPENAPI_DIR, "node_modules", "playwright-core",
                                       "package.json")):
        return "no tests/openapi/node_modules/playwright-core (run scripts/setup.sh: npm ci)"
    return None


def screenshot_dir():
    explicit = os.environ.get("SBAPI_DOCS_SCREENSHOTS")
    if explicit:
        return os.path.abspath(explicit)
    return os.path.join(os.path.dirname(os.path.abspath(sbapi_bin())), "docs-screenshots")


def setUpModule():
    reason = missing_tool()
    if reason:
        print("\ntest_docs_page: skipped: " + reason, file=sys.stderr, flush=True)
    require(reason)  # SkipTest, or a failure under CI=true


class DocsPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sbapi-docs-page-")
        cls.routes_file = os.path.join(cls.tmp, "routes.json")
        with open(cls.routes_file, "wb") as f:
            f.write(subprocess.run([sbapi_bin(), "routes", "--json"], check=True,
                                   capture_output=True, timeout=30).stdout)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_browser(self, srv, case, user_id, email, token=None):
        """Runs docs_page.test.mjs against srv; returns what the page showed (its result file)."""
        result_file = os.path.join(self.tmp, "result-%s.json" % case)
        env = dict(os.environ)
        env.update({
            "SBAPI_DOCS_URL": srv.base_url,
            "SBAPI_DOCS_ROUTES": self.routes_file,
            "SBAPI_DOCS_CASE": case,
            "SBAPI_DOCS_USER_ID": user_id,
            "SBAPI_DOCS_EMAIL": email,
            "SBAPI_DOCS_TOKEN": token or "",
            "SBAPI_DOCS_SCREENSHOTS": screenshot_dir(),
            "SBAPI_DOCS_RESULT": result_file,
            "CHROMIUM": chromium_path(),
        })
        cmd = ["node", "--test-reporter=spec", SCRIPT]
        proc = subprocess.Popen(cmd, cwd=OPENAPI_DIR, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            out, _ = proc.communicate(timeout=BROWSER_TIMEOUT)
        except subprocess.TimeoutExpired:
            # SIGTERM first: playwright-core then closes the browser it started.
            proc.send_signal(signal.SIGTERM)
            try:
                out, _ = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate()
            self.fail("the browser test took over %.0f s:\n%s"
                      % (BROWSER_TIMEOUT, out.decode("utf-8", "replace")))
        text = out.decode("utf-8", "replace")
        if proc.returncode != 0:
            self.fail("the browser test failed (exit %d) against %s:\n%s\nserver stderr:\n%s"
                      % (proc.returncode, srv.base_url, text, srv.stderr_text()))
        with open(result_file, encoding="utf-8") as f:
            result = json.load(f)
        for path in result["screenshots"]:
            with open(path, "rb") as f:
                self.assertEqual(f.read(8), PNG_MAGIC, path)
            self.assertGreater(os.path.getsize(path), 1000, path)
            print("\nscreenshot: " + path, file=sys.stderr, flush=True)
        self.assertEqual(len(result["screenshots"]), 3, result["screenshots"])
        return result

    def check_answers_came_from(self, srv, shown, method, route, status):
        """The page's answer (its X-Request-Id) is an access-log line of this server."""
        self.assertTrue(shown.get("requestId"), shown)
        line = srv.request_log(shown["requestId"])
        self.assertIsNotNone(line, "no access-log line for the page's %s %s" % (method, route))
        self.assertEqual((line.get("method"), line.get("route"), line.get("status")),
                         (method, route, status), line)

    def check_user(self, srv, result, user_id, email, headers=None):
        self.assertEqual(result["created"]["body"]["user"]["userId"], user_id)
        self.assertEqual(result["read"]["body"]["userId"], user_id)
        self.assertEqual(result["read"]["body"]["email"], email)
        self.check_answers_came_from(srv, result["created"], "POST", "/users", 201)
        self.check_answers_came_from(srv, result["read"], "GET", "/users/{id}", 200)
        # Over plain HTTP: the user the page created is on the server, as the page showed it.
        status, _, body = srv.request("GET", "/users/" + user_id, headers=headers)
        self.assertEqual(status, 200, body)
        self.assertEqual(body, result["read"]["body"])

    def test_try_it_out_creates_and_reads_a_user(self):
        user_id = "docs-" + uuid.uuid4().hex[:12]
        email = user_id + "@example.com"
        with SbapiServer() as srv:
            result = self.run_browser(srv, "open", user_id, email)
            self.check_user(srv, result, user_id, email)

    def test_authorize_takes_a_local_token(self):
        user_id = "docs-" + uuid.uuid4().hex[:12]
        email = user_id + "@example.com"
        data_dir = tempfile.mkdtemp(prefix="sbapi-docs-auth-")
        try:
            with SbapiServer(data_dir=data_dir, extra_args=["--auth", "local"]) as srv:
                token = subprocess.run(
                    [sbapi_bin(), "token", "--data-dir", data_dir, "--sub", user_id],
                    check=True, capture_output=True, timeout=30).stdout.decode().strip()
                result = self.run_browser(srv, "auth", user_id, email, token)
                self.assertEqual(result["unauthorized"]["status"], 401)
                self.check_answers_came_from(srv, result["unauthorized"], "POST", "/users", 401)
                status, _, _ = srv.request("GET", "/users/" + user_id)
                self.assertEqual(status, 401)  # still needs the token
                self.check_user(srv, result, user_id, email,
                                headers={"Authorization": "Bearer " + token})
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
