"""Interoperability of the local object endpoint with boto3, an S3 client nobody here wrote.

SPEC.md §1 "Assets": standard S3 tools produce URLs the local endpoint accepts when given the
local credentials, and the server's presigned URLs are SigV4 exactly as S3's.
  - boto3's presigned PUT/GET/HEAD URLs are accepted by `sbapi serve` (uploads via http.client);
  - for a frozen clock, boto3's X-Amz-Signature equals the one printed by `sbapi presign`;
  - boto3 URLs with wrong credentials are refused with 403;
  - custom --bucket/--region/--access-key-id/--secret-access-key/--public-url (and SBAPI_*
    environment variables) are honoured.

Needs boto3/botocore (the machine's installation; nothing is installed). Without boto3 the
suite is skipped, except with CI=true, where it fails.

    SBAPI_BIN=/path/to/sbapi python3 -m unittest -v test_s3_interop
"""

import contextlib
import datetime
import os
import shutil
import tempfile
import time
import unittest
import urllib.parse
import uuid
from unittest import mock

from sbapi_server import SbapiServer, ServerError, free_port, run_presign
from s3_helpers import (curl_get, encode_key, md5_hex, presign_url, query_params, s3_error,
                        url_request)

try:
    import boto3
    import botocore
    import botocore.auth
    import botocore.config
    BOTO_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the machine
    boto3 = botocore = None
    BOTO_IMPORT_ERROR = exc

DEFAULTS = {"bucket": "sbapi-assets", "region": "us-east-1", "access_key_id": "sbapi-local",
            "secret_access_key": "sbapi-local-secret"}


def require_boto3():
    """Skips (or, with CI=true, fails) when boto3 cannot be imported."""
    if BOTO_IMPORT_ERROR is None:
        return
    reason = ("boto3/botocore cannot be imported (%s); the S3 interoperability tests need the "
              "machine's boto3" % BOTO_IMPORT_ERROR)
    if os.environ.get("CI", "").lower() == "true":
        raise AssertionError(reason + " and CI=true, so this is a failure, not a skip")
    raise unittest.SkipTest(reason)


def s3_client(endpoint_url, region="us-east-1", access_key_id="sbapi-local",
              secret_access_key="sbapi-local-secret"):
    session = boto3.session.Session(aws_access_key_id=access_key_id,
                                    aws_secret_access_key=secret_access_key,
                                    region_name=region)
    return session.client(
        "s3", endpoint_url=endpoint_url, region_name=region,
        config=botocore.config.Config(signature_version="s3v4",
                                      s3={"addressing_style": "path"}))


@contextlib.contextmanager
def frozen_botocore_clock(when):
    """Makes botocore sign as if the time were `when` (a naive UTC datetime).

    botocore >= 1.33 gets the time from botocore.auth.get_current_datetime (imported from
    botocore.compat); older versions call botocore.auth.datetime.datetime.utcnow().
    """
    if hasattr(botocore.auth, "get_current_datetime"):
        def fake_now(remove_tzinfo=True):
            return when if remove_tzinfo else when.replace(tzinfo=datetime.timezone.utc)
        with mock.patch.object(botocore.auth, "get_current_datetime", fake_now):
            yield
    else:
        real = datetime.datetime

        class FrozenDatetime(real):
            @classmethod
            def utcnow(cls):
                return when

            @classmethod
            def now(cls, tz=None):
                return when if tz is None else when.replace(tzinfo=datetime.timezone.utc)

        fake_module = mock.Mock(wraps=datetime)
        fake_module.datetime = FrozenDatetime
        with mock.patch.object(botocore.auth, "datetime", fake_module):
            yield


def boto_presign(client, method, bucket, key, expires=3600, content_type=None):
    operation = {"PUT": "put_object", "GET": "get_object", "HEAD": "head_object"}[method]
    params = {"Bucket": bucket, "Key": key}
    if content_type is not None:
        params["ContentType"] = content_type
    return client.generate_presigned_url(operation, Params=params, ExpiresIn=expires,
                                         HttpMethod=method)


class Boto3TestCase(unittest.TestCase):
    srv = None
    server_kwargs = {}

    @classmethod
    def setUpClass(cls):
        require_boto3()
        cls.srv = SbapiServer(**cls.server_kwargs)

    @classmethod
    def tearDownClass(cls):
        if cls.srv is not None:
            cls.srv.stop()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sbapi-s3-bb-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def tearDown(self):
        if self.srv is not None and not self.srv.alive():
            self.fail("sbapi exited (code %s) during this test; stderr:\n%s"
                      % (self.srv.proc.returncode, self.srv.stderr_text()))

    @property
    def public_url(self):
        return "http://localhost:%d" % self.srv.port

    def client(self, **kwargs):
        return s3_client(kwargs.pop("endpoint_url", self.public_url), **kwargs)

    def create_asset(self, file_name, content_type):
        aid = "s3-" + uuid.uuid4().hex
        status, _h, body = self.srv.request("POST", "/assets", {
            "assetId": aid, "fileName": file_name, "contentType": content_type})
        self.assertEqual(status, 201, body)
        return body["asset"]

    def obj(self, url, method="GET", body=None, headers=None):
        return url_request(url, method, body, headers, port=self.srv.port)

    def assertS3Error(self, resp, status, code=None):
        got, _headers, body = resp
        self.assertEqual(got, status, body[:500])
        err = s3_error(body)
        if code is not None:
            self.assertEqual(err.get("Code"), code, body)
        return err


# ================================================================================== round trip


class Boto3PresignedRoundTripTest(Boto3TestCase):

    def round_trip(self, file_name, content_type, data):
        asset = self.create_asset(file_name, content_type)
        bucket, key = asset["s3Bucket"], asset["s3Key"]
        self.assertEqual(bucket, DEFAULTS["bucket"])
        client = self.client()
        put_url = boto_presign(client, "PUT", bucket, key, content_type=content_type)
        self.assertEqual(dict(query_params(put_url))["X-Amz-SignedHeaders"], "content-type;host")
        status, headers, raw = self.obj(put_url, "PUT", data, {"Content-Type": content_type})
        self.assertEqual(status, 200, raw[:500])
        self.assertEqual(headers.get("etag"), '"%s"' % md5_hex(data))

        status, _h, stored = self.srv.request("GET", "/assets/" + asset["assetId"])
        self.assertEqual(status, 200)
        self.assertEqual(stored["status"], "uploaded")
        self.assertEqual(stored["size"], len(data))
        self.assertEqual(stored["etag"], md5_hex(data))

        get_url = boto_presign(client, "GET", bucket, key)
        status, headers, raw = self.obj(get_url)
        self.assertEqual(status, 200, raw[:500])
        self.assertTrue(raw == data, "downloaded bytes differ")
        self.assertEqual(headers.get("content-type"), content_type)
        self.assertEqual(headers.get("content-length"), str(len(data)))
        self.assertEqual(headers.get("etag"), '"%s"' % md5_hex(data))
        # The same URL through curl.
        out = os.path.join(self.tmp, "down.bin")
        code, _h = curl_get(get_url, out, port=self.srv.port)
        self.assertEqual(code, 200)
        with open(out, "rb") as f:
            self.assertTrue(f.read() == data)

        head_url = boto_presign(client, "HEAD", bucket, key)
        status, headers, raw = self.obj(head_url, "HEAD")
        self.assertEqual(status, 200)
        self.assertEqual(raw, b"")
        self.assertEqual(headers.get("content-length"), str(len(data)))
        self.assertEqual(headers.get("etag"), '"%s"' % md5_hex(data))
        return asset

    def test_put_then_get_binary(self):
        self.round_trip("data.bin", "application/octet-stream",
                        b"\x00\x01binary\x00\xff" * 1000 + os.urandom(4096))

    def test_put_then_get_unicode_name_with_spaces(self):
        self.round_trip("my report \u00e9.pdf", "application/pdf", b"%PDF-1.7 \x00\xe9")

    def test_put_then_get_reserved_characters_and_parameters(self):
        self.round_trip("a+b=c&d~e(1)!'*;,@$ %.txt", "text/plain; charset=utf-8",
                        "h\u00e9llo\n".encode("utf-8"))

    def test_put_1_mib(self):
        self.round_trip("big.dat", "application/x-random", os.urandom(1024 * 1024))

    def test_server_upload_url_and_boto3_download_url_interoperate(self):
        asset = self.create_asset("mixed.txt", "text/plain")
        status, _h, body = self.srv.request("POST", "/assets", {
            "assetId": asset["assetId"], "fileName": "mixed.txt"})
        self.assertEqual(status, 200, body)
        data = b"uploaded with the server's URL"
        status, _h, raw = self.obj(body["uploadUrl"], "PUT", data, {"Content-Type": "text/plain"})
        self.assertEqual(status, 200, raw)
        status, _h, raw = self.obj(boto_presign(self.client(), "GET", asset["s3Bucket"],
                                                asset["s3Key"]))
        self.assertEqual((status, raw), (200, data))

    def test_boto3_get_of_missing_key_is_404_no_such_key(self):
        asset = self.create_asset("never.txt", "text/plain")
        self.assertS3Error(self.obj(boto_presign(self.client(), "GET", asset["s3Bucket"],
                                                 asset["s3Key"])), 404, "NoSuchKey")


class Boto3WrongCredentialsTest(Boto3TestCase):

    CTYPE = "text/plain"

    def assertStillPending(self, asset):
        status, _h, stored = self.srv.request("GET", "/assets/" + asset["assetId"])
        self.assertEqual(status, 200)
        self.assertEqual(stored, asset)
        self.assertS3Error(self.obj(boto_presign(self.client(), "GET", asset["s3Bucket"],
                                                 asset["s3Key"])), 404, "NoSuchKey")

    def test_wrong_credentials_are_rejected(self):
        asset = self.create_asset("creds.txt", self.CTYPE)
        cases = [
            ("wrong secret", {"secret_access_key": "wrong-secret"}, "SignatureDoesNotMatch"),
            ("unknown access key id", {"access_key_id": "AKIAIOSFODNN7EXAMPLE"},
             "InvalidAccessKeyId"),
            ("both wrong", {"access_key_id": "AKIAIOSFODNN7EXAMPLE",
                            "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, None),
            ("wrong region", {"region": "eu-central-1"}, None),
        ]
        for label, kwargs, code in cases:
            with self.subTest(label):
                client = self.client(**kwargs)
                put_url = boto_presign(client, "PUT", asset["s3Bucket"], asset["s3Key"],
                                       content_type=self.CTYPE)
                self.assertS3Error(self.obj(put_url, "PUT", b"intruder", {"Content-Type": self.CTYPE}),
                                   403, code)
                self.assertStillPending(asset)
        # Now upload properly; wrong-credential GETs are refused too.
        data = b"the real content"
        status, _h, raw = self.obj(boto_presign(self.client(), "PUT", asset["s3Bucket"],
                                                asset["s3Key"], content_type=self.CTYPE),
                                   "PUT", data, {"Content-Type": self.CTYPE})
        self.assertEqual(status, 200, raw)
        for label, kwargs, code in cases:
            with self.subTest("GET, " + label):
                get_url = boto_presign(self.client(**kwargs), "GET", asset["s3Bucket"],
                                       asset["s3Key"])
                status, _h, raw = self.obj(get_url)
                self.assertS3Error((status, _h, raw), 403, code)
                self.assertNotIn(data, raw)

    def test_boto3_put_url_with_other_content_type_is_rejected(self):
        asset = self.create_asset("ct.txt", self.CTYPE)
        put_url = boto_presign(self.client(), "PUT", asset["s3Bucket"], asset["s3Key"],
                               content_type=self.CTYPE)
        self.assertS3Error(self.obj(put_url, "PUT", b"x", {"Content-Type": "application/json"}),
                           403, "SignatureDoesNotMatch")
        self.assertStillPending(asset)


# ================================================================================== signatures


class SignatureEqualityTest(unittest.TestCase):
    """boto3 and `sbapi presign` compute the same signature for the same inputs (no server)."""

    @classmethod
    def setUpClass(cls):
        require_boto3()

    CASES = [
        # (label, method, key, content type, time, expires, public url, store options)
        ("PUT defaults", "PUT", "assets/a1/report.pdf", "application/pdf",
         "20240102T030405Z", 3600, "http://localhost:3000", DEFAULTS),
        ("GET defaults", "GET", "assets/a1/report.pdf", None,
         "20240102T030405Z", 3600, "http://localhost:3000", DEFAULTS),
        ("HEAD defaults", "HEAD", "assets/a1/report.pdf", None,
         "20240102T030405Z", 3600, "http://localhost:3000", DEFAULTS),
        ("PUT unicode and spaces", "PUT", "assets/x-1/my report \u00e9.pdf", "application/pdf",
         "20250615T235959Z", 3600, "http://localhost:3000", DEFAULTS),
        ("GET unicode and spaces", "GET", "assets/x-1/my report \u00e9.pdf", None,
         "20250615T235959Z", 3600, "http://localhost:3000", DEFAULTS),
        ("PUT reserved characters", "PUT", "assets/Az09._-/a+b=c&d~e(1)!'*;,@$ %.txt",
         "text/plain; charset=utf-8", "20231231T235959Z", 60, "http://127.0.0.1:8080", DEFAULTS),
        ("GET reserved characters", "GET", "assets/Az09._-/a+b=c&d~e(1)!'*;,@$ %.txt", None,
         "20231231T235959Z", 604800, "http://127.0.0.1:8080", DEFAULTS),
        ("PUT emoji and CJK", "PUT", "assets/e/\u65e5\u672c\u8a9e \U0001F600.txt",
         "text/plain", "20240229T120000Z", 900, "http://localhost:3000", DEFAULTS),
        ("PUT custom store", "PUT", "assets/c/file.bin", "application/octet-stream",
         "20240310T101010Z", 3600, "https://files.example.test",
         {"bucket": "my.bucket-1", "region": "eu-central-1", "access_key_id": "AKIDEXAMPLE",
          "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}),
        ("GET custom store", "GET", "assets/c/file.bin", None,
         "20240310T101010Z", 7200, "http://objects.internal:9000",
         {"bucket": "my.bucket-1", "region": "ap-southeast-2", "access_key_id": "AKIDEXAMPLE",
          "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}),
    ]

    def boto3_url(self, method, key, ctype, when, expires, public_url, store):
        client = s3_client(public_url, region=store["region"],
                           access_key_id=store["access_key_id"],
                           secret_access_key=store["secret_access_key"])
        frozen = datetime.datetime.strptime(when, "%Y%m%dT%H%M%SZ")
        with frozen_botocore_clock(frozen):
            url = boto_presign(client, method, store["bucket"], key, expires, ctype)
        got_date = dict(query_params(url)).get("X-Amz-Date")
        self.assertEqual(got_date, when,
                         "could not freeze botocore's clock (botocore %s): URL signed at %s"
                         % (botocore.__version__, got_date))
        return url

    def test_signatures_equal_byte_for_byte(self):
        for label, method, key, ctype, when, expires, public_url, store in self.CASES:
            with self.subTest(label):
                ours = run_presign(method, key, content_type=ctype, expires=expires, time=when,
                                   public_url=public_url, port=3000, **store)
                theirs = self.boto3_url(method, key, ctype, when, expires, public_url, store)
                ours_p, theirs_p = dict(query_params(ours)), dict(query_params(theirs))
                self.assertEqual(ours_p.get("X-Amz-Signature"), theirs_p["X-Amz-Signature"],
                                 "signatures differ\n sbapi: %s\n boto3: %s" % (ours, theirs))
                for name in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                             "X-Amz-Expires", "X-Amz-SignedHeaders"):
                    self.assertEqual(ours_p.get(name), theirs_p[name], name)
                self.assertEqual(sorted(ours_p), sorted(theirs_p))
                o, t = urllib.parse.urlsplit(ours), urllib.parse.urlsplit(theirs)
                self.assertEqual((o.scheme, o.netloc, o.path), (t.scheme, t.netloc, t.path))
                self.assertEqual(o.path, "/%s/%s" % (store["bucket"], encode_key(key)))
                # And this suite's own signer agrees (it builds URLs for other tests).
                mine = presign_url(method, key, public_url=public_url, time=when,
                                   expires=expires, content_type=ctype, **store)
                self.assertEqual(mine, theirs)

    def test_signature_changes_with_every_input(self):
        base = dict(method="PUT", key="assets/a/b.txt", content_type="text/plain",
                    time="20240102T030405Z", expires=3600, public_url="http://localhost:3000",
                    port=3000, **DEFAULTS)
        sig = lambda **kw: dict(query_params(run_presign(**dict(base, **kw))))["X-Amz-Signature"]
        reference = sig()
        self.assertEqual(sig(), reference, "presign is not deterministic for a fixed --time")
        for change in ({"method": "GET", "content_type": None}, {"key": "assets/a/c.txt"},
                       {"content_type": "text/html"}, {"time": "20240102T030406Z"},
                       {"expires": 3601}, {"public_url": "http://localhost:3001"},
                       {"bucket": "other-bucket"}, {"region": "us-west-2"},
                       {"access_key_id": "other"}, {"secret_access_key": "other"}):
            with self.subTest(change=change):
                self.assertNotEqual(sig(**change), reference)


# ================================================================================== options


class CustomStoreOptionsTest(unittest.TestCase):
    """A server with non-default object-store options, set by flags or by SBAPI_* variables."""

    STORE = {"bucket": "team-files.test", "region": "eu-west-3", "access_key_id": "AKIDCUSTOM",
             "secret_access_key": "custom/secret+KEY"}

    @classmethod
    def setUpClass(cls):
        require_boto3()

    def check_server(self, srv, public_url):
        status, _h, body = srv.request("POST", "/assets", {
            "assetId": "opt-" + uuid.uuid4().hex, "fileName": "o.txt", "contentType": "text/plain"})
        self.assertEqual(status, 201, body)
        asset = body["asset"]
        self.assertEqual(asset["s3Bucket"], self.STORE["bucket"])
        url = body["uploadUrl"]
        self.assertTrue(url.startswith("%s/%s/assets/" % (public_url, self.STORE["bucket"])), url)
        cred = dict(query_params(url))["X-Amz-Credential"].split("/")
        self.assertEqual((cred[0], cred[2], cred[3], cred[4]),
                         (self.STORE["access_key_id"], self.STORE["region"], "s3", "aws4_request"))
        data = b"custom options"
        status, _h, raw = url_request(url, "PUT", data, {"Content-Type": "text/plain"},
                                      port=srv.port)
        self.assertEqual(status, 200, raw)

        good = s3_client(public_url, region=self.STORE["region"],
                         access_key_id=self.STORE["access_key_id"],
                         secret_access_key=self.STORE["secret_access_key"])
        get_url = boto_presign(good, "GET", self.STORE["bucket"], asset["s3Key"])
        self.assertEqual(url_request(get_url, port=srv.port)[::2], (200, data))

        # The defaults no longer work.
        default = s3_client(public_url)
        status, _h, raw = url_request(boto_presign(default, "GET", self.STORE["bucket"],
                                                   asset["s3Key"]), port=srv.port)
        self.assertEqual(status, 403, raw)
        self.assertEqual(s3_error(raw).get("Code"), "InvalidAccessKeyId", raw)
        # The default bucket is not the object endpoint's any more.
        status, _h, raw = url_request(boto_presign(good, "GET", DEFAULTS["bucket"],
                                                   asset["s3Key"]), port=srv.port)
        self.assertNotEqual(status, 200)

        # `sbapi presign` with the same options makes URLs this server accepts.
        presigned = run_presign("GET", asset["s3Key"], public_url=public_url, **self.STORE)
        self.assertEqual(url_request(presigned, port=srv.port)[::2], (200, data))

    def test_flags(self):
        port = free_port()
        public_url = "http://127.0.0.1:%d" % port
        args = ["--bucket", self.STORE["bucket"], "--region", self.STORE["region"],
                "--access-key-id", self.STORE["access_key_id"],
                "--secret-access-key", self.STORE["secret_access_key"],
                "--public-url", public_url]
        with SbapiServer(extra_args=args, port=port) as srv:
            self.check_server(srv, public_url)

    def test_environment_variables(self):
        public_url = "http://objects.localtest.example:8443"  # a reverse proxy's address
        env = {"SBAPI_BUCKET": self.STORE["bucket"], "SBAPI_REGION": self.STORE["region"],
               "SBAPI_ACCESS_KEY_ID": self.STORE["access_key_id"],
               "SBAPI_SECRET_ACCESS_KEY": self.STORE["secret_access_key"],
               "SBAPI_PUBLIC_URL": public_url}
        with SbapiServer(env=env) as srv:
            self.check_server(srv, public_url)

    def test_public_url_with_path_is_refused(self):
        with self.assertRaises(ServerError):
            srv = SbapiServer(extra_args=["--public-url", "http://localhost:3000/prefix"])
            srv.stop()
        proc = run_presign("GET", "assets/a/b", public_url="http://localhost:3000/prefix",
                           check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertEqual(proc.stdout.strip(), b"")


class DefaultPublicUrlTest(Boto3TestCase):

    def test_default_public_url_is_localhost_and_bound_port(self):
        asset = self.create_asset("p.txt", "text/plain")
        status, _h, body = self.srv.request("GET", "/assets/%s/download" % asset["assetId"])
        self.assertEqual(status, 200)
        self.assertTrue(body["downloadUrl"].startswith(
            "http://localhost:%d/%s/%s?" % (self.srv.port, DEFAULTS["bucket"],
                                            encode_key(asset["s3Key"]))), body["downloadUrl"])
        # `sbapi presign --port` makes the same kind of URL, with the same signature when signed
        # in the same second.
        now = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        a = self.srv.presign("GET", asset["s3Key"], time=now)
        b = presign_url("GET", asset["s3Key"], public_url=self.public_url, time=now)
        self.assertEqual(a, b)


if __name__ == "__main__":
    unittest.main()
