"""`sbapi token`: bearer tokens from the local development issuer (src/auth/local_issuer.h).

  - prints one line: a compact ES256 JWT {alg, typ, kid} / {iss, aud, sub, cognito:groups, iat,
    exp}, with exp - iat = --ttl (default 1h);
  - the signature verifies with the key in <data-dir>/auth/token-signing-key.pem, checked by the
    `openssl` program (not our code), and kid is the key's RFC 7638 thumbprint;
  - the key file is 0600 in a 0700 directory, created once: later runs, and runs started at the
    same moment on a fresh data dir, all use the same key;
  - --data-dir defaults as `serve`'s does (./.data, or SBAPI_DATA_DIR);
  - a bad --sub / --ttl / --group is a usage error (exit 2, one stderr line, nothing created); a
    key file that is not a key is exit 1 with one line.

The signature check needs `openssl` on PATH (skipped without it).

    SBAPI_BIN=/path/to/sbapi python3 -m unittest -v test_token_cli
"""

import base64
import hashlib
import json
import os
import shutil
import stat
import subprocess
import tempfile
import time
import unittest

from sbapi_server import sbapi_bin


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def run_token(args, cwd=None, env=None):
    """sbapi token <args> -> (code, stdout, stderr); SBAPI_DATA_DIR only when `env` sets it."""
    proc_env = {k: v for k, v in os.environ.items() if k != "SBAPI_DATA_DIR"}
    proc_env.update(env or {})
    proc = subprocess.run([sbapi_bin(), "token"] + list(args), cwd=cwd, env=proc_env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def decode(token):
    header, payload, signature = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload)), signature


def der_integer(value):
    data = value.lstrip(b"\x00") or b"\x00"
    if data[0] & 0x80:
        data = b"\x00" + data
    return b"\x02" + bytes([len(data)]) + data


class TokenCommandTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sbapi-token-")
        self.data = os.path.join(self.tmp, "data")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def token(self, *args, data_dir=None):
        code, out, err = run_token(["--data-dir", data_dir or self.data] + list(args))
        self.assertEqual(code, 0, err)
        self.assertEqual(err, "")
        self.assertTrue(out.endswith("\n"), out)
        self.assertEqual(len(out.splitlines()), 1, out)
        return out.strip()

    def key_path(self, data_dir=None):
        return os.path.join(data_dir or self.data, "auth", "token-signing-key.pem")

    def test_prints_an_es256_token_with_the_claims(self):
        before = int(time.time())
        header, claims, signature = decode(
            self.token("--sub", "alice", "--group", "admin", "--group", "staff", "--ttl", "15m"))
        self.assertEqual(set(header), {"alg", "typ", "kid"})
        self.assertEqual((header["alg"], header["typ"]), ("ES256", "JWT"))
        self.assertEqual(claims["iss"], "sbapi-local")
        self.assertEqual(claims["aud"], "sbapi-local")
        self.assertEqual(claims["sub"], "alice")
        self.assertEqual(claims["cognito:groups"], ["admin", "staff"])
        self.assertEqual(claims["exp"] - claims["iat"], 15 * 60)
        self.assertTrue(before <= claims["iat"] <= int(time.time()) + 1, claims)
        self.assertEqual(len(b64url_decode(signature)), 64)

    def test_defaults_one_hour_and_no_groups(self):
        _header, claims, _ = decode(self.token("--sub", "bob"))
        self.assertEqual(claims["exp"] - claims["iat"], 3600)
        self.assertNotIn("cognito:groups", claims)
        for ttl, seconds in (("30s", 30), ("7d", 7 * 86400), ("30d", 30 * 86400)):
            _header, claims, _ = decode(self.token("--sub", "bob", "--ttl", ttl))
            self.assertEqual(claims["exp"] - claims["iat"], seconds, ttl)

    def test_signature_verifies_with_the_key_file_and_kid_is_its_thumbprint(self):
        openssl = shutil.which("openssl")
        if openssl is None:
            self.skipTest("needs the openssl program on PATH")
        token = self.token("--sub", "alice", "--group", "admin")
        header, _claims, signature = decode(token)
        public_der = subprocess.run(
            [openssl, "pkey", "-in", self.key_path(), "-pubout", "-outform", "DER"],
            check=True, stdout=subprocess.PIPE).stdout
        point = public_der[-65:]  # SubjectPublicKeyInfo ends with the uncompressed point
        self.assertEqual(point[0], 4)
        canonical = '{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}' % (b64url(point[1:33]),
                                                                      b64url(point[33:]))
        self.assertEqual(header["kid"], b64url(hashlib.sha256(canonical.encode()).digest()))

        raw = b64url_decode(signature)
        body = der_integer(raw[:32]) + der_integer(raw[32:])
        der_signature = b"\x30" + bytes([len(body)]) + body
        signing_input = token.rsplit(".", 1)[0]
        paths = {}
        for name, data in (("pub.der", public_der), ("sig.der", der_signature),
                           ("input", signing_input.encode())):
            paths[name] = os.path.join(self.tmp, name)
            with open(paths[name], "wb") as f:
                f.write(data)

        def verify(input_path):
            return subprocess.run(
                [openssl, "dgst", "-sha256", "-keyform", "DER", "-verify", paths["pub.der"],
                 "-signature", paths["sig.der"], input_path],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE).returncode

        self.assertEqual(verify(paths["input"]), 0)
        with open(paths["input"], "ab") as f:
            f.write(b"x")
        self.assertNotEqual(verify(paths["input"]), 0)

    def test_key_file_is_private_and_reused(self):
        first, _, _ = decode(self.token("--sub", "alice"))
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(self.key_path())).st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(self.key_path()).st_mode), 0o600)
        with open(self.key_path()) as f:
            pem = f.read()
        self.assertTrue(pem.startswith("-----BEGIN PRIVATE KEY-----\n"), pem)
        second, _, _ = decode(self.token("--sub", "bob"))
        self.assertEqual(first["kid"], second["kid"])
        other, _, _ = decode(self.token("--sub", "alice",
                                        data_dir=os.path.join(self.tmp, "other")))
        self.assertNotEqual(other["kid"], first["kid"])

    def test_runs_starting_together_on_a_fresh_data_dir_share_one_key(self):
        procs = [subprocess.Popen([sbapi_bin(), "token", "--sub", "u%d" % i, "--data-dir",
                                   self.data], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for i in range(6)]
        kids = set()
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, 0, err)
            kids.add(decode(out.decode().strip())[0]["kid"])
        self.assertEqual(len(kids), 1, kids)
        self.assertEqual(os.listdir(os.path.dirname(self.key_path())),
                         ["token-signing-key.pem"])
        self.assertEqual(decode(self.token("--sub", "later"))[0]["kid"], kids.pop())

    def test_data_dir_defaults_as_serve_does(self):
        code, out, err = run_token(["--sub", "alice"], cwd=self.tmp)
        self.assertEqual(code, 0, err)
        self.assertTrue(os.path.isfile(self.key_path(os.path.join(self.tmp, ".data"))))
        from_env = os.path.join(self.tmp, "from-env")
        code, out, err = run_token(["--sub", "alice"], cwd=self.tmp,
                                   env={"SBAPI_DATA_DIR": from_env})
        self.assertEqual(code, 0, err)
        self.assertTrue(os.path.isfile(self.key_path(from_env)))

    def test_usage_errors_exit_2_with_one_line(self):
        cases = [
            (["--sub", "bad id!"], "--sub must be a valid userId"),
            (["--sub", ""], "--sub must be a valid userId"),
            (["--sub", "a" * 129], "--sub must be a valid userId"),
            (["--sub", "alice", "--ttl", "31d"], "--ttl must look like"),
            (["--sub", "alice", "--ttl", "0s"], "--ttl must look like"),
            (["--sub", "alice", "--ttl", "1h30m"], "--ttl must look like"),
            (["--sub", "alice", "--ttl", "90"], "--ttl must look like"),
            (["--sub", "alice", "--group", ""], "--group must be"),
            (["--sub", "alice", "--group", "a\tb"], "--group must be"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                code, out, err = run_token(["--data-dir", self.data] + args)
                self.assertEqual(code, 2, err)
                self.assertEqual(out, "")
                self.assertIn(message, err)
                self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertFalse(os.path.exists(self.data))  # refused before any key was made
        code, out, err = run_token(["--data-dir", self.data])
        self.assertEqual(code, 2)
        self.assertIn("--sub is required", err)

    def test_a_key_file_that_is_not_a_key_is_exit_1(self):
        os.makedirs(os.path.dirname(self.key_path()), mode=0o700)
        with open(self.key_path(), "w") as f:
            f.write("not a key\n")
        code, out, err = run_token(["--data-dir", self.data, "--sub", "alice"])
        self.assertEqual(code, 1, err)
        self.assertEqual(out, "")
        self.assertEqual(err.strip(), "sbapi: %s does not hold a PEM private key" % self.key_path())


if __name__ == "__main__":
    unittest.main()
