"""Our S3 presigned URLs (aws backend) against @20minutes/s3rver, an S3 server nobody here wrote.

The URLs come from `sbapi presign --backend aws`, the code path `serve --backend aws` uses
(S3ObjectStore: path-style on a custom endpoint, configured by AWS_* / ASSETS_BUCKET_NAME).
s3rver is started by tests/peers/s3rver_launcher.js on a free 127.0.0.1 port with its own
credentials (its built-in S3RVER/S3RVER pair revoked) and verifies SigV4 query signatures:
  - PUT then GET → 200 and identical bytes (binary, odd keys);
  - a tampered signature, a changed X-Amz-Expires, another Content-Type than the signed one, the
    wrong method, an expired URL, a wrong secret, an unknown key id → 403, nothing written;
  - under temporary credentials the X-Amz-Security-Token is signed (tampering with it → 403).

Skipped with the reason when node or tests/peers/node_modules is missing; a failure when CI=true.

    SBAPI_BIN=/path/to/sbapi python3 -m unittest -v test_s3rver_conformance
"""

import hashlib
import json
import os
import signal
import subprocess
import time
import unittest
import uuid

from peers import S3RVER_LAUNCHER, PEERS_DIR, S3rver
from s3_helpers import amz_date, query_params, replace_query_param, s3_error, url_request
from sbapi_server import ServerError, sbapi_bin

ACCESS_KEY_ID = "sbapi-conformance"
SECRET_ACCESS_KEY = "s3rver-conformance-secret/+="
BUCKET = "sbapi-conformance"
REGION = "eu-west-1"
BINARY = b"\x00\x01\x02\r\n\x00" + bytes(range(256)) * 4 + b"\xff\xfe\x00"

_s3 = None


def setUpModule():
    global _s3
    _s3 = S3rver.start(ACCESS_KEY_ID, SECRET_ACCESS_KEY, buckets=[BUCKET])


def tearDownModule():
    if _s3 is not None:
        _s3.stop()


def aws_env(**overrides):
    env = {
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_ENDPOINT_URL_S3": _s3.endpoint,
        "ASSETS_BUCKET_NAME": BUCKET,
    }
    env.update(overrides)
    return env


def presign(method, key, content_type=None, expires=None, time_=None, **env_overrides):
    """`sbapi presign --backend aws …` with the AWS_* environment -> the URL."""
    cmd = [sbapi_bin(), "presign", "--backend", "aws", "--method", method, "--key", key]
    if content_type is not None:
        cmd += ["--content-type", content_type]
    if expires is not None:
        cmd += ["--expires", str(expires)]
    if time_ is not None:
        cmd += ["--time", time_]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(aws_env(**env_overrides))
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, timeout=30)
    if proc.returncode != 0:
        raise ServerError("%s exited with %d: %s" % (cmd, proc.returncode,
                                                     proc.stderr.decode("utf-8", "replace")))
    return proc.stdout.decode("utf-8").strip()


def new_key(name="file.bin"):
    return "assets/%s/%s" % (uuid.uuid4().hex, name)


class S3rverConformanceTest(unittest.TestCase):

    def put(self, url, data, content_type):
        headers = {} if content_type is None else {"Content-Type": content_type}
        return url_request(url, "PUT", data, headers)

    def get(self, key):
        return url_request(presign("GET", key))

    def assertS3Error(self, resp, status, code):
        got, _headers, body = resp
        self.assertEqual(got, status, "expected %d %s, got %d: %r" % (status, code, got, body[:400]))
        self.assertEqual(s3_error(body)["Code"], code, body[:400])

    def assertNotStored(self, key):
        self.assertS3Error(self.get(key), 404, "NoSuchKey")

    def assertRoundTrip(self, key, data, content_type):
        url = presign("PUT", key, content_type)
        status, headers, body = self.put(url, data, content_type)
        self.assertEqual(status, 200, body[:400])
        self.assertEqual(headers.get("etag"), '"%s"' % hashlib.md5(data).hexdigest())
        status, headers, body = self.get(key)
        self.assertEqual(status, 200, body[:400])
        self.assertEqual(len(body), len(data))
        self.assertTrue(body == data, "downloaded bytes differ from the uploaded ones")
        self.assertEqual(headers.get("content-type"), content_type)

    # ------------------------------------------------------------------------- accepted

    def test_urls_are_path_style_on_the_custom_endpoint(self):
        key = new_key("x.bin")
        url = presign("PUT", key, "application/octet-stream")
        self.assertTrue(url.startswith("%s/%s/%s?" % (_s3.endpoint, BUCKET, key)), url)
        params = dict(query_params(url))
        self.assertEqual(params["X-Amz-SignedHeaders"], "content-type;host")
        self.assertEqual(params["X-Amz-Credential"].split("/")[0], ACCESS_KEY_ID)
        self.assertEqual(params["X-Amz-Credential"].split("/")[2], REGION)

    def test_put_then_get_binary_bytes(self):
        self.assertRoundTrip(new_key("blob.bin"), BINARY, "application/octet-stream")

    def test_put_then_get_larger_random_file(self):
        self.assertRoundTrip(new_key("random.dat"), os.urandom(512 * 1024), "application/zip")

    def test_put_then_get_key_with_spaces_unicode_and_reserved_characters(self):
        for name in ("my report \u00e9 (1).pdf", "a+b=c&d~e!'*;,@$.txt", "\u65e5\u672c.txt"):
            with self.subTest(name=name):
                self.assertRoundTrip(new_key(name), b"%PDF-1.4 " + name.encode("utf-8"),
                                     "text/plain; charset=utf-8")

    def test_put_then_get_empty_object(self):
        self.assertRoundTrip(new_key("empty"), b"", "text/plain")

    def test_temporary_credentials_sign_the_session_token(self):
        key = new_key()
        token = "IQoJb3JpZ2luX2VjE//token+with/special=chars"
        url = presign("PUT", key, "text/plain", AWS_SESSION_TOKEN=token)
        self.assertEqual(dict(query_params(url))["X-Amz-Security-Token"], token)
        # A changed token no longer matches the signature…
        tampered = replace_query_param(url, "X-Amz-Security-Token", "IQoJb3JpZ2luX2VjEother")
        self.assertS3Error(self.put(tampered, b"x", "text/plain"), 403, "SignatureDoesNotMatch")
        self.assertNotStored(key)
        # …while the URL as made is accepted (s3rver checks the signature, not the token).
        status, _h, body = self.put(url, b"with token", "text/plain")
        self.assertEqual(status, 200, body[:400])
        self.assertEqual(self.get(key)[2], b"with token")

    # ------------------------------------------------------------------------- refused

    def test_tampered_signature_is_403_and_nothing_written(self):
        key = new_key()
        url = presign("PUT", key, "text/plain")
        sig = dict(query_params(url))["X-Amz-Signature"]
        flipped = sig[:-1] + ("0" if sig[-1] != "0" else "1")
        self.assertS3Error(self.put(replace_query_param(url, "X-Amz-Signature", flipped),
                                    b"evil", "text/plain"), 403, "SignatureDoesNotMatch")
        self.assertNotStored(key)
        # The untampered URL works: the refusal was about the signature.
        self.assertEqual(self.put(url, b"good", "text/plain")[0], 200)

    def test_changed_expiry_is_403(self):
        key = new_key()
        url = presign("PUT", key, "text/plain")
        self.assertEqual(dict(query_params(url))["X-Amz-Expires"], "3600")
        for expires in ("7200", "3599", "604800"):
            with self.subTest(expires=expires):
                self.assertS3Error(self.put(replace_query_param(url, "X-Amz-Expires", expires),
                                            b"evil", "text/plain"), 403, "SignatureDoesNotMatch")
        self.assertNotStored(key)

    def test_other_content_type_than_signed_is_403(self):
        key = new_key("doc.pdf")
        url = presign("PUT", key, "application/pdf")
        for ctype in ("text/html", "application/pdf; charset=utf-8", "application/PDF", None):
            with self.subTest(content_type=ctype):
                self.assertS3Error(self.put(url, b"evil", ctype), 403, "SignatureDoesNotMatch")
        self.assertNotStored(key)
        self.assertEqual(self.put(url, b"%PDF", "application/pdf")[0], 200)

    def test_url_for_one_method_does_not_allow_another(self):
        key = new_key()
        get_url = presign("GET", key)
        self.assertS3Error(url_request(get_url, "PUT", b"evil", {"Content-Type": "text/plain"}),
                           403, "SignatureDoesNotMatch")
        self.assertNotStored(key)

    def test_expired_url_is_403(self):
        key = new_key()
        url = presign("PUT", key, "text/plain", expires=60, time_=amz_date(time.time() - 7200))
        self.assertS3Error(self.put(url, b"late", "text/plain"), 403, "AccessDenied")
        self.assertNotStored(key)

    def test_wrong_secret_or_unknown_key_is_403(self):
        key = new_key()
        wrong_secret = presign("PUT", key, "text/plain", AWS_SECRET_ACCESS_KEY="not-the-secret")
        self.assertS3Error(self.put(wrong_secret, b"evil", "text/plain"), 403,
                           "SignatureDoesNotMatch")
        unknown = presign("PUT", key, "text/plain", AWS_ACCESS_KEY_ID="AKIDUNKNOWN")
        self.assertS3Error(self.put(unknown, b"evil", "text/plain"), 403, "InvalidAccessKeyId")
        # s3rver's built-in pair is revoked by the launcher: only our configured pair works.
        builtin = presign("PUT", key, "text/plain", AWS_ACCESS_KEY_ID="S3RVER",
                          AWS_SECRET_ACCESS_KEY="S3RVER")
        self.assertS3Error(self.put(builtin, b"evil", "text/plain"), 403, "InvalidAccessKeyId")
        self.assertNotStored(key)

    def test_signature_scoped_to_another_region_is_403(self):
        # The region is part of the signing key and of the credential scope: changing the
        # scope's region breaks the signature.
        key = new_key()
        url = presign("PUT", key, "text/plain")
        credential = dict(query_params(url))["X-Amz-Credential"]
        other = credential.replace("/" + REGION + "/", "/us-west-2/")
        self.assertNotEqual(other, credential)
        tampered = replace_query_param(url, "X-Amz-Credential", other.replace("/", "%2F"))
        self.assertS3Error(self.put(tampered, b"evil", "text/plain"), 403,
                           "SignatureDoesNotMatch")
        self.assertNotStored(key)


class LauncherTest(unittest.TestCase):
    """tests/peers/s3rver_launcher.js itself: ready line, clean exits, usage errors."""

    def launch(self, *args):
        proc = subprocess.Popen(["node", S3RVER_LAUNCHER] + list(args), cwd=PEERS_DIR,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        ready = json.loads(proc.stdout.readline().decode("utf-8"))
        self.assertEqual(ready["msg"], "ready", ready)
        self.assertEqual(ready["address"], "127.0.0.1")
        self.assertGreater(ready["port"], 0)
        self.assertTrue(os.path.isdir(ready["directory"]))
        return proc, ready

    def test_sigterm_stops_it_and_removes_its_temporary_directory(self):
        proc, ready = self.launch("--bucket", "b-one", "--bucket", "b-two")
        self.assertEqual(ready["buckets"], ["b-one", "b-two"])
        # The buckets exist: an anonymous list of one answers (not NoSuchBucket).
        status, _h, body = url_request("http://127.0.0.1:%d/b-two" % ready["port"])
        self.assertEqual(status, 200, body[:300])
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=10), 0)
        self.assertFalse(os.path.exists(ready["directory"]))

    def test_closing_stdin_stops_it(self):
        proc, ready = self.launch()
        proc.stdin.close()
        self.assertEqual(proc.wait(timeout=10), 0)
        self.assertFalse(os.path.exists(ready["directory"]))

    def test_usage_errors(self):
        for args in (["--port", "x"], ["--access-key-id", "only-id"], ["--nope"]):
            with self.subTest(args=args):
                proc = subprocess.run(["node", S3RVER_LAUNCHER] + args, cwd=PEERS_DIR,
                                      stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn(b"s3rver_launcher:", proc.stderr)
                self.assertEqual(proc.stdout, b"")


if __name__ == "__main__":
    unittest.main()
