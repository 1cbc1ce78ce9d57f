"""sbapi as a systemd service: readiness through sd_notify, `make install`, and the unit file.

- NotifyTest: with $NOTIFY_SOCKET naming a datagram socket the test binds (what systemd does for
  a Type=notify service), `sbapi serve` sends READY=1 once it answers requests, and STOPPING=1
  when SIGTERM starts a graceful stop; without $NOTIFY_SOCKET it runs as before.
- InstallTest: `make install DESTDIR=… PREFIX=…` puts bin/sbapi and lib/systemd/system/
  sbapi.service there, the unit's ExecStart naming $(PREFIX)/bin/sbapi; `systemd-analyze verify`
  (when systemd is installed; skipped with the reason otherwise) finds nothing to say about the
  installed unit, hardening directives included.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import unittest

from sbapi_server import SbapiServer, sbapi_bin

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class NotifyTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sbapi-notify-")
        self.socket_path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.socket_path)
        self.sock.settimeout(10)

    def tearDown(self):
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_ready_once_serving_and_stopping_on_sigterm(self):
        srv = SbapiServer(env={"NOTIFY_SOCKET": self.socket_path})
        try:
            message = self.sock.recv(4096).decode()
            self.assertEqual(message, "READY=1")
            # READY=1 is sent after the port is bound: the server answers now.
            status, _headers, _body = srv.request("GET", "/health/ready")
            self.assertEqual(status, 200)
        finally:
            srv.stop(signal.SIGTERM)
        self.assertEqual(self.sock.recv(4096).decode(), "STOPPING=1")
        self.assertEqual(srv.exit_code, 0)

    def test_without_a_manager_nothing_is_sent(self):
        srv = SbapiServer(env={"NOTIFY_SOCKET": ""})
        try:
            status, _headers, _body = srv.request("GET", "/health/live")
            self.assertEqual(status, 200)
        finally:
            srv.stop(signal.SIGTERM)
        self.assertEqual(srv.exit_code, 0)
        self.sock.settimeout(0.3)
        with self.assertRaises(socket.timeout):
            self.sock.recv(4096)  # the bound socket got nothing: it was not named


class InstallTest(unittest.TestCase):

    def test_make_install_and_the_unit_verifies_clean(self):
        build_dir = os.path.dirname(os.path.abspath(sbapi_bin()))
        with tempfile.TemporaryDirectory(prefix="sbapi-install-") as dest:
            # -o build: the binary under test is the one installed (no rebuild in a test).
            proc = subprocess.run(["make", "-s", "-C", REPO, "-o", "build", "install",
                                   "BUILD_DIR=" + build_dir, "DESTDIR=" + dest,
                                   "PREFIX=/opt/sbapi"],
                                  capture_output=True, text=True, timeout=120)
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
            binary = os.path.join(dest, "opt/sbapi/bin/sbapi")
            unit = os.path.join(dest, "opt/sbapi/lib/systemd/system/sbapi.service")
            self.assertTrue(os.access(binary, os.X_OK))
            self.assertEqual(os.stat(unit).st_mode & 0o777, 0o644)
            with open(unit) as f:
                text = f.read()
            self.assertIn("ExecStart=/opt/sbapi/bin/sbapi serve --data-dir ${STATE_DIRECTORY}\n",
                          text)
            self.assertNotIn("@BINDIR@", text)
            for directive in ("Type=notify", "DynamicUser=yes", "ProtectSystem=strict",
                              "StateDirectory=sbapi", "ReadWritePaths=/var/lib/sbapi",
                              "LimitNOFILE=", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n"):
                self.assertIn(directive, text)

            analyze = shutil.which("systemd-analyze")
            if analyze is None:
                self.skipTest("systemd-analyze is not installed: the unit is not verified")
            # verify checks that ExecStart's program exists: point it at the installed copy.
            checked = os.path.join(dest, "sbapi.service")
            with open(checked, "w") as f:
                f.write(text.replace("/opt/sbapi/bin/", os.path.dirname(binary) + "/"))
            proc = subprocess.run([analyze, "verify", checked], capture_output=True, text=True,
                                  timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(proc.stderr.strip(), "", "systemd-analyze verify: " + proc.stderr)


if __name__ == "__main__":
    unittest.main()
