"""A data dir on a small tmpfs of its own, for the tests that fill the disk up.

`SmallTmpfsTestCase.setUp` mounts a `SIZE_MIB` tmpfs (root only: skipped otherwise, and
failed under CI=true when root cannot mount it), `tearDown` kills a server still running
(`self.srv`) and unmounts, and `fill(path)` writes until ENOSPC and checks that no block is
left. Subclasses set `WHAT` (named in the skip message) and `PREFIX` (the mount point's)."""

import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

from peers import running_in_ci


class SmallTmpfsTestCase(unittest.TestCase):
    SIZE_MIB = 8
    WHAT = "the disk-full test"
    PREFIX = "sbapi-bb-diskfull-"

    def setUp(self):
        self.srv = None
        self.mnt = None
        reason = None
        if not hasattr(os, "geteuid") or os.geteuid() != 0:
            self.skipTest("mounting a tmpfs for the disk-full test needs root (euid %s)"
                          % (os.geteuid() if hasattr(os, "geteuid") else "?"))
        mount = shutil.which("mount")
        mnt = tempfile.mkdtemp(prefix=self.PREFIX)
        if mount is None:
            reason = "the `mount` program is not installed"
        else:
            proc = subprocess.run([mount, "-t", "tmpfs", "-o", "size=%dm,mode=0700" % self.SIZE_MIB,
                                   "tmpfs", mnt], capture_output=True, text=True, timeout=30)
            if proc.returncode != 0:
                reason = "mount -t tmpfs failed (exit %d): %s" % (
                    proc.returncode, (proc.stderr or proc.stdout).strip())
        if reason is not None:
            os.rmdir(mnt)
            if running_in_ci():
                self.fail("CI=true and running as root, but the disk-full test cannot run: "
                          + reason)
            sys.stderr.write("\n  skipping %s: %s\n" % (self.WHAT, reason))
            self.skipTest(reason)
        self.mnt = mnt

    def tearDown(self):
        if self.srv is not None and self.srv.exit_code is None:
            try:
                self.srv.stop(signal.SIGKILL)
            except Exception:
                pass
        if self.mnt is not None:
            subprocess.run(["umount", "-l", self.mnt], capture_output=True, timeout=30)
            try:
                os.rmdir(self.mnt)
            except OSError:
                pass

    def fill(self, path):
        """Writes `path` until ENOSPC; asserts that the file system then has no space left."""
        hit = None
        with open(path, "wb", buffering=0) as f:
            for size in (1024 * 1024, 4096, 1):
                block = b"\0" * size
                try:
                    while True:
                        f.write(block)
                except OSError as exc:
                    hit = exc
                    if exc.errno != errno.ENOSPC:
                        raise
        self.assertIsNotNone(hit)
        st = os.statvfs(self.mnt)
        self.assertEqual(st.f_bavail, 0, "the tmpfs still has %d free blocks after the filling"
                         % st.f_bavail)
