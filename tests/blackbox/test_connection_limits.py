"""Connection limits: a server whose file-descriptor limit is systemd's default (1,024, soft and
hard) keeps answering new clients while more idle connections are open than it has descriptors.

Issue 12 found 1,100 idle connections leaving a new client unanswered for ~30 s while `accept
failed` was logged every 100 ms. Now the server caps its connections ((fd limit - 64) / 2 = 480
here) and closes an idle one to make room for a new one.
"""

import json
import resource
import socket
import time
import unittest

from sbapi_server import SbapiServer

FD_LIMIT = 1024
IDLE = 1100


def limit_fds():
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


class ConnectionLimitTest(unittest.TestCase):

    def setUp(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and hard < IDLE + 100:
            self.skipTest("this test needs %d file descriptors; the hard limit is %d"
                          % (IDLE + 100, hard))
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, IDLE + 100), hard))
        self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
        self.server = SbapiServer(preexec_fn=limit_fds)
        self.addCleanup(self.server.stop)
        self.sockets = []
        self.addCleanup(self.close_all)

    def close_all(self):
        for s in self.sockets:
            s.close()

    def test_the_cap_is_derived_from_the_fd_limit(self):
        listening = next(json.loads(line) for line in self.server.log_lines
                         if '"listening"' in line)
        self.assertEqual(listening["fdLimit"], FD_LIMIT)
        self.assertEqual(listening["maxConnections"], (FD_LIMIT - 64) // 2)

    def test_a_new_client_is_answered_past_more_idle_connections_than_descriptors(self):
        for _ in range(IDLE):
            s = socket.create_connection((self.server.host, self.server.port), timeout=5)
            self.sockets.append(s)
        started = time.monotonic()
        status, _, body = self.server.request("GET", "/health")
        elapsed = time.monotonic() - started
        self.assertEqual(status, 200, body)
        self.assertLess(elapsed, 5.0, "a new client waited %.1f s" % elapsed)
        self.assertTrue(self.server.alive())
        # No accept loop spinning on EMFILE: at most a few "accept failed" lines.
        failures = [line for line in self.server.log_lines if "accept failed" in line]
        self.assertLessEqual(len(failures), 3, failures[:3])


if __name__ == "__main__":
    unittest.main()
