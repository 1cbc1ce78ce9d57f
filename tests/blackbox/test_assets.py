"""Black-box tests of the assets API and the local S3-compatible object endpoint.

SPEC.md §1 "Assets" and "Everywhere", §2 (local objects are durable), §4 (no keys or presigned
URLs in logs). Runs the real `sbapi serve` named by $SBAPI_BIN on 127.0.0.1; uploads and
downloads go through the `curl` program, error cases through http.client (s3_helpers).
Python 3 standard library only. Run from tests/blackbox:

    SBAPI_BIN=/path/to/sbapi python3 -m unittest -v test_assets
"""

import calendar
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid

from sbapi_server import SbapiServer, request_on
from s3_helpers import (amz_date, curl_get, curl_put, encode_key, md5_hex, presign_url,
                        query_params, replace_query_param, s3_error, url_request)

THIRTY_DAYS = 30 * 86400
DEFAULT_BUCKET = "sbapi-assets"
DEFAULT_REGION = "us-east-1"
DEFAULT_KEY_ID = "sbapi-local"
DEFAULT_SECRET = "sbapi-local-secret"
ASSET_FIELDS = {"assetId", "fileName", "contentType", "s3Key", "s3Bucket", "status",
                "createdAt", "ttl"}
UPLOADED_FIELDS = ASSET_FIELDS | {"size", "etag", "uploadedAt"}
OPTIONAL_UPLOADED_FIELDS = {"updatedAt"}
PRESIGN_PARAMS = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                  "X-Amz-SignedHeaders", "X-Amz-Signature"]
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"

# Bytes with NULs, CR/LF, every byte value, and no valid UTF-8 structure.
BINARY_WITH_NULS = (b"\x00\x00\x00" + bytes(range(256)) * 3 + b"\r\n\r\n\x00PK\x03\x04\xff\xfe"
                    + b"\x00" * 17)


def new_id(prefix="a"):
    return "%s-%s" % (prefix, uuid.uuid4().hex)


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def hours_ago(hours):
    return amz_date(time.time() - hours * 3600)


class AssetServerTestCase(unittest.TestCase):
    """One server per TestCase class (default object-store options); temp files per test."""

    srv = None
    server_kwargs = {}

    @classmethod
    def setUpClass(cls):
        cls.srv = SbapiServer(**cls.server_kwargs)

    @classmethod
    def tearDownClass(cls):
        if cls.srv is not None:
            cls.srv.stop()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sbapi-assets-bb-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def tearDown(self):
        if self.srv is not None and not self.srv.alive():
            self.fail("sbapi exited (code %s) during this test; stderr:\n%s"
                      % (self.srv.proc.returncode, self.srv.stderr_text()))

    # ----------------------------------------------------------------------------- API helpers

    def req(self, method, path, body=None, headers=None):
        return self.srv.request(method, path, body, headers)

    def assertJsonContentType(self, headers):
        ctype = headers.get("content-type", "")
        self.assertEqual(ctype.split(";")[0].strip().lower(), "application/json",
                         "Content-Type %r is not application/json" % ctype)

    def assertOk(self, resp, status=200):
        got, headers, body = resp
        self.assertEqual(got, status, "expected %d, got %d: %r" % (status, got, body))
        self.assertJsonContentType(headers)
        self.assertIsInstance(body, dict, "body is not a JSON object: %r" % (body,))
        return body

    def assertError(self, resp, status, contains=None):
        got, headers, body = resp
        self.assertEqual(got, status, "expected %d, got %d: %r" % (status, got, body))
        self.assertIsInstance(body, dict, "error body is not a JSON object: %r" % (body,))
        self.assertEqual(set(body), {"error"}, "error body must be exactly {\"error\": ...}: %r"
                         % body)
        self.assertIsInstance(body["error"], str)
        self.assertTrue(body["error"].strip())
        self.assertJsonContentType(headers)
        if contains is not None:
            self.assertIn(contains.lower(), body["error"].lower(),
                          "error message %r should mention %r" % (body["error"], contains))
        return body["error"]

    def create(self, asset_id=None, file_name="file.bin", content_type=None, status=201):
        """POST /assets -> the whole response body (asserted 201 by default)."""
        body = {"assetId": asset_id or new_id(), "fileName": file_name}
        if content_type is not None:
            body["contentType"] = content_type
        return self.assertOk(self.req("POST", "/assets", body), status)

    def get_asset(self, asset_id):
        return self.assertOk(self.req("GET", "/assets/" + asset_id))

    def get_download(self, asset_id):
        body = self.assertOk(self.req("GET", "/assets/%s/download" % asset_id))
        self.assertEqual(set(body), {"downloadUrl", "fileName", "contentType", "status"}, body)
        return body

    # ----------------------------------------------------------------------------- object helpers

    def write_file(self, data, name="upload.bin"):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def upload(self, url, data, content_type):
        """curl PUT -> asserts 200 with ETag "<md5>"; returns the response headers."""
        path = self.write_file(data, "put-%s.bin" % uuid.uuid4().hex)
        code, headers, body = curl_put(url, path, content_type, port=self.srv.port)
        self.assertEqual(code, 200, "upload answered %d: %r" % (code, body[:500]))
        self.assertEqual(headers.get("etag"), '"%s"' % md5_hex(data),
                         "upload ETag must be the quoted MD5 of the body: %r" % headers)
        return headers

    def download(self, url):
        """curl GET -> (status, headers, bytes)."""
        out = os.path.join(self.tmp, "get-%s.bin" % uuid.uuid4().hex)
        code, headers = curl_get(url, out, port=self.srv.port)
        with open(out, "rb") if os.path.exists(out) else open(os.devnull, "rb") as f:
            data = f.read()
        return code, headers, data

    def assertDownloads(self, asset_id, data, content_type):
        """GET /assets/{id}/download then the URL: identical bytes and headers."""
        info = self.get_download(asset_id)
        self.assertEqual(info["status"], "uploaded")
        self.assertEqual(info["contentType"], content_type)
        code, headers, got = self.download(info["downloadUrl"])
        self.assertEqual(code, 200, "download answered %d: %r" % (code, got[:300]))
        self.assertEqual(len(got), len(data), "downloaded %d bytes, uploaded %d"
                         % (len(got), len(data)))
        self.assertTrue(got == data, "downloaded bytes differ from the uploaded ones")
        self.assertEqual(headers.get("content-type"), content_type)
        self.assertEqual(headers.get("content-length"), str(len(data)))
        self.assertEqual(headers.get("etag"), '"%s"' % md5_hex(data))
        return headers

    def obj(self, url, method="GET", body=None, headers=None, chunked=False):
        """One request for a presigned URL on this server -> (status, headers, raw bytes)."""
        return url_request(url, method, body, headers, port=self.srv.port, chunked=chunked)

    def assertS3Error(self, resp, status, code, message=None):
        got, headers, body = resp
        allowed = status if isinstance(status, tuple) else (status,)
        self.assertIn(got, allowed, "expected %s %s, got %d: %r" % (status, code, got, body[:500]))
        self.assertIn("xml", headers.get("content-type", "").lower(),
                      "S3 error with Content-Type %r" % headers.get("content-type"))
        err = s3_error(body)
        for field in ("Code", "Message", "RequestId"):
            self.assertIn(field, err, "S3 error lacks <%s>: %r" % (field, body))
        if code is not None:
            self.assertEqual(err["Code"], code, body)
        self.assertTrue(err["Message"].strip(), body)
        self.assertTrue(err["RequestId"].strip(), body)
        if message is not None:
            self.assertEqual(err["Message"], message, body)
        return err

    def assertUploadUrl(self, url, s3_key, bucket=DEFAULT_BUCKET, region=DEFAULT_REGION,
                        key_id=DEFAULT_KEY_ID, public_url=None, signed_headers="content-type;host"):
        public_url = public_url or "http://localhost:%d" % self.srv.port
        parts = urllib.parse.urlsplit(url)
        self.assertEqual("%s://%s" % (parts.scheme, parts.netloc), public_url, url)
        self.assertEqual(parts.path, "/%s/%s" % (bucket, encode_key(s3_key)), url)
        self.assertEqual(urllib.parse.unquote(parts.path), "/%s/%s" % (bucket, s3_key))
        params = query_params(url)
        self.assertEqual(sorted(n for n, _ in params), sorted(PRESIGN_PARAMS), url)
        p = dict(params)
        self.assertEqual(p["X-Amz-Algorithm"], "AWS4-HMAC-SHA256")
        self.assertRegex(p["X-Amz-Date"], r"^\d{8}T\d{6}Z$")
        signed = calendar.timegm(time.strptime(p["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
        self.assertLess(abs(signed - time.time()), 60, "X-Amz-Date %s is not now" % p["X-Amz-Date"])
        self.assertEqual(p["X-Amz-Credential"], "%s/%s/%s/s3/aws4_request"
                         % (key_id, p["X-Amz-Date"][:8], region))
        self.assertEqual(p["X-Amz-Expires"], "3600")
        self.assertEqual(p["X-Amz-SignedHeaders"], signed_headers)
        self.assertRegex(p["X-Amz-Signature"], r"^[0-9a-f]{64}$")
        return p


# ================================================================================== create


class CreateAssetTest(AssetServerTestCase):

    def test_create_returns_201_with_pending_asset_and_upload_url(self):
        aid = new_id()
        before = int(time.time())
        body = self.create(aid, "report.pdf", "application/pdf")
        after = int(time.time())
        self.assertEqual(set(body), {"message", "asset", "uploadUrl"}, body)
        self.assertEqual(body["message"], "Asset metadata created")
        asset = body["asset"]
        self.assertEqual(set(asset), ASSET_FIELDS, asset)
        self.assertEqual(asset["assetId"], aid)
        self.assertEqual(asset["fileName"], "report.pdf")
        self.assertEqual(asset["contentType"], "application/pdf")
        self.assertEqual(asset["s3Key"], "assets/%s/report.pdf" % aid)
        self.assertEqual(asset["s3Bucket"], DEFAULT_BUCKET)
        self.assertEqual(asset["status"], "pending")
        self.assertTrue(is_int(asset["createdAt"]), asset)
        self.assertGreaterEqual(asset["createdAt"], before - 2)
        self.assertLessEqual(asset["createdAt"], after + 2)
        self.assertTrue(is_int(asset["ttl"]), asset)
        self.assertEqual(asset["ttl"], asset["createdAt"] + THIRTY_DAYS)
        self.assertUploadUrl(body["uploadUrl"], asset["s3Key"])
        self.assertEqual(self.get_asset(aid), asset)

    def test_default_content_type_is_octet_stream(self):
        body = self.create(file_name="blob")
        self.assertEqual(body["asset"]["contentType"], "application/octet-stream")
        self.assertEqual(self.get_asset(body["asset"]["assetId"])["contentType"],
                         "application/octet-stream")

    def test_content_type_with_parameters_is_kept(self):
        for ctype in ("text/plain; charset=utf-8", "application/vnd.ms-excel",
                      "image/svg+xml", "multipart/form-data; boundary=abc123"):
            with self.subTest(contentType=ctype):
                body = self.create(file_name="x.dat", content_type=ctype)
                self.assertEqual(body["asset"]["contentType"], ctype)

    def test_file_name_boundaries_accepted(self):
        cases = [
            "a" * 255,                      # 255 bytes
            "\u00e9" * 127 + "a",           # 255 bytes, 128 characters
            "x",
            ".hidden",
            "...",
            "my report \u00e9.pdf",
            "a+b=c&d~e(1)!'*;,@$.txt",
            "\u65e5\u672c\u8a9e \U0001F600.txt",
            "..x",
        ]
        for name in cases:
            with self.subTest(fileName=name[:40], bytes=len(name.encode("utf-8"))):
                body = self.create(file_name=name)
                asset = body["asset"]
                self.assertEqual(asset["fileName"], name)
                self.assertEqual(asset["s3Key"], "assets/%s/%s" % (asset["assetId"], name))
                self.assertUploadUrl(body["uploadUrl"], asset["s3Key"])
                self.assertEqual(self.get_asset(asset["assetId"])["fileName"], name)

    def test_asset_id_boundaries_accepted(self):
        for aid in ("b" * 128, "Az09._-" + uuid.uuid4().hex, "." + uuid.uuid4().hex,
                    "-" + uuid.uuid4().hex):
            with self.subTest(assetId=aid[:20]):
                status, _h, body = self.req("POST", "/assets", {"assetId": aid, "fileName": "f"})
                self.assertIn(status, (200, 201), body)
                self.assertEqual(body["asset"]["assetId"], aid)
                self.assertEqual(self.get_asset(aid)["assetId"], aid)

    def test_duplicate_while_pending_returns_200_stored_asset_and_fresh_upload_url(self):
        first = self.create(file_name="first.bin", content_type="text/csv")
        asset = first["asset"]
        time.sleep(1.1)  # signing time has a one-second granularity
        again = self.assertOk(self.req("POST", "/assets", {
            "assetId": asset["assetId"], "fileName": "second.bin", "contentType": "image/png"}), 200)
        self.assertEqual(set(again), {"message", "asset", "uploadUrl"}, again)
        self.assertEqual(again["message"], "Asset already exists")
        self.assertEqual(again["asset"], asset)
        self.assertUploadUrl(again["uploadUrl"], asset["s3Key"])
        self.assertNotEqual(again["uploadUrl"], first["uploadUrl"], "uploadUrl is not fresh")
        self.assertGreater(dict(query_params(again["uploadUrl"]))["X-Amz-Date"],
                           dict(query_params(first["uploadUrl"]))["X-Amz-Date"])
        self.assertEqual(self.get_asset(asset["assetId"]), asset)
        # The fresh URL works, for the stored fileName and contentType.
        data = b"a,b\n1,2\n"
        self.upload(again["uploadUrl"], data, "text/csv")
        uploaded = self.get_asset(asset["assetId"])
        self.assertEqual(uploaded["status"], "uploaded")
        # Once uploaded: 200, the stored asset, and no uploadUrl.
        third = self.assertOk(self.req("POST", "/assets", {
            "assetId": asset["assetId"], "fileName": "first.bin"}), 200)
        self.assertEqual(third, {"message": "Asset already exists", "asset": uploaded})
        self.assertNotIn("uploadUrl", third)

    def test_concurrent_duplicates_exactly_one_created(self):
        n = 12
        aid = new_id("race")
        barrier = threading.Barrier(n)
        results = [None] * n

        def worker(i):
            conn = self.srv.connection()
            try:
                conn.connect()
                barrier.wait(timeout=10)
                results[i] = request_on(conn, "POST", "/assets",
                                        {"assetId": aid, "fileName": "f%d.bin" % i})
            except Exception as exc:  # reported below
                results[i] = exc
            finally:
                conn.close()

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        for r in results:
            self.assertIsInstance(r, tuple, "request failed: %r" % (r,))
        statuses = sorted(r[0] for r in results)
        self.assertEqual(statuses.count(201), 1, statuses)
        self.assertEqual(statuses.count(200), n - 1, statuses)
        winner = next(r[2]["asset"] for r in results if r[0] == 201)
        for status, _h, body in results:
            if status == 200:
                self.assertEqual(body["asset"], winner)
                self.assertIn("uploadUrl", body)
        self.assertEqual(self.get_asset(aid), winner)


class ValidationTest(AssetServerTestCase):

    def assertRejected(self, body, contains=None):
        aid = body.get("assetId") if isinstance(body, dict) else None
        self.assertError(self.req("POST", "/assets", body), 400, contains)
        if isinstance(aid, str) and re.fullmatch(r"[A-Za-z0-9._-]{1,128}", aid):
            self.assertError(self.req("GET", "/assets/" + aid), 404, "not found")

    def test_missing_required_fields(self):
        for body in ({}, {"assetId": new_id()}, {"fileName": "x.bin"},
                     {"contentType": "text/plain"}):
            with self.subTest(body=body):
                self.assertRejected(body, "required")

    def test_bad_file_names(self):
        cases = {
            "dot-dot-slash": "../x",
            "slash": "a/b",
            "leading slash": "/x",
            "trailing slash": "x/",
            "backslash": "a\\b",
            "dot-dot-backslash": "..\\x",
            "control char": "a\u0001b",
            "NUL": "a\u0000b",
            "newline": "a\nb",
            "tab": "a\tb",
            "DEL": "a\u007fb",
            "dot": ".",
            "dot-dot": "..",
            "empty": "",
            "256 bytes": "a" * 256,
            "256 bytes, 128 characters": "\u00e9" * 128,
            "256 bytes, 255 characters": "\u00e9" + "a" * 254,
        }
        for label, name in cases.items():
            with self.subTest(label):
                self.assertRejected({"assetId": new_id(), "fileName": name})

    def test_bad_asset_ids(self):
        for aid in ("", "a" * 129, "a b", "a/b", "a\u00e9", "a:b", "a%2Fb", "a\u0000"):
            with self.subTest(assetId=aid[:20]):
                self.assertRejected({"assetId": aid, "fileName": "x.bin"})

    def test_bad_content_types(self):
        for ctype in ("", "text", "text/", "/plain", "text/plain/extra", "te xt/plain",
                      "text /plain", "text/pl ain", "\u00e9/plain", "text/plain\r\nX-Evil: 1",
                      "text/plain\u0000"):
            with self.subTest(contentType=ctype):
                self.assertRejected({"assetId": new_id(), "fileName": "x.bin",
                                     "contentType": ctype})

    def test_wrong_json_types(self):
        for field, value in (("assetId", 5), ("assetId", ["a"]), ("assetId", None),
                             ("assetId", True), ("fileName", 7), ("fileName", {"a": 1}),
                             ("fileName", None), ("contentType", 5), ("contentType", ["text/plain"]),
                             ("contentType", False)):
            with self.subTest(field=field, value=value):
                body = {"assetId": new_id(), "fileName": "x.bin"}
                body[field] = value
                self.assertRejected(body)

    def test_unknown_and_server_owned_fields(self):
        for field, value in (("status", "uploaded"), ("s3Key", "assets/x/y"),
                             ("s3Bucket", "other"), ("createdAt", 1), ("ttl", 1), ("size", 10),
                             ("etag", EMPTY_MD5), ("uploadedAt", 1), ("uploadUrl", "http://x/"),
                             ("owner", "me"), ("AssetId", "x")):
            with self.subTest(field=field):
                body = {"assetId": new_id(), "fileName": "x.bin", field: value}
                self.assertRejected(body)

    def test_invalid_json_and_non_object_bodies(self):
        for raw in (b"{bad", b"[]", b'"x"', b"42", b"null", b"", b'{"assetId": "a", }'):
            with self.subTest(body=raw):
                self.assertError(self.req("POST", "/assets", raw,
                                          {"Content-Type": "application/json"}), 400)

    def test_body_over_64_kib_is_413(self):
        body = ('{"assetId":"%s","fileName":"x","pad":"%s"}'
                % (new_id(), "x" * (64 * 1024))).encode()
        self.assertError(self.req("POST", "/assets", body), 413)

    def test_unknown_asset_is_404(self):
        aid = new_id("missing")
        self.assertEqual(self.assertError(self.req("GET", "/assets/" + aid), 404),
                         "Asset not found")
        self.assertEqual(self.assertError(self.req("GET", "/assets/%s/download" % aid), 404),
                         "Asset not found")

    def test_wrong_method_is_405_with_allow(self):
        aid = self.create()["asset"]["assetId"]
        for method, path, allowed in (("POST", "/assets/%s/download" % aid, "GET"),
                                      ("DELETE", "/assets/%s/download" % aid, "GET"),
                                      ("PUT", "/assets", "POST")):
            with self.subTest(method=method, path=path):
                resp = self.req(method, path, {} if method in ("POST", "PUT") else None)
                self.assertError(resp, 405)
                allow = {m.strip().upper() for m in resp[1].get("allow", "").split(",")}
                self.assertIn(allowed, allow, "Allow header %r" % resp[1].get("allow"))
        self.assertEqual(self.get_asset(aid)["status"], "pending")

    def test_responses_carry_request_id(self):
        aid = self.create()["asset"]["assetId"]
        for method, path in (("GET", "/assets/" + aid), ("GET", "/assets/%s/download" % aid),
                             ("GET", "/assets/" + new_id())):
            with self.subTest(path=path):
                _s, headers, _b = self.req(method, path)
                self.assertTrue(headers.get("x-request-id"))


# ================================================================================== upload


class UploadDownloadTest(AssetServerTestCase):

    def round_trip(self, data, file_name, content_type, head=True):
        body = self.create(file_name=file_name, content_type=content_type)
        asset = body["asset"]
        aid = asset["assetId"]
        # Pending: the download URL is issued already, its object does not exist yet.
        info = self.get_download(aid)
        self.assertEqual(info, {"downloadUrl": info["downloadUrl"], "fileName": file_name,
                                "contentType": content_type, "status": "pending"})
        self.assertUploadUrl(info["downloadUrl"], asset["s3Key"], signed_headers="host")
        self.assertS3Error(self.obj(info["downloadUrl"]), 404, "NoSuchKey")
        before = int(time.time())
        self.upload(body["uploadUrl"], data, content_type)
        after = int(time.time())
        stored = self.get_asset(aid)
        self.assertTrue(UPLOADED_FIELDS <= set(stored) <= UPLOADED_FIELDS | OPTIONAL_UPLOADED_FIELDS,
                        "uploaded asset fields: %s" % sorted(stored))
        for field in ASSET_FIELDS - {"status"}:
            self.assertEqual(stored[field], asset[field], field)
        self.assertEqual(stored["status"], "uploaded")
        self.assertTrue(is_int(stored["size"]), stored)
        self.assertEqual(stored["size"], len(data))
        self.assertEqual(stored["etag"], md5_hex(data))
        self.assertTrue(is_int(stored["uploadedAt"]), stored)
        self.assertGreaterEqual(stored["uploadedAt"], before - 2)
        self.assertLessEqual(stored["uploadedAt"], after + 2)
        self.assertDownloads(aid, data, content_type)
        if head:
            url = self.srv.presign("HEAD", asset["s3Key"])
            status, headers, raw = self.obj(url, "HEAD")
            self.assertEqual(status, 200, raw)
            self.assertEqual(raw, b"")
            self.assertEqual(headers.get("content-length"), str(len(data)))
            self.assertEqual(headers.get("content-type"), content_type)
            self.assertEqual(headers.get("etag"), '"%s"' % md5_hex(data))
            code, cheaders = curl_get(url, os.path.join(self.tmp, "head.txt"),
                                      port=self.srv.port, head=True)
            self.assertEqual(code, 200)
            self.assertEqual(cheaders.get("content-length"), str(len(data)))
        return stored

    def test_small_binary_file_with_nul_bytes(self):
        self.round_trip(BINARY_WITH_NULS, "blob.bin", "application/octet-stream")

    def test_5_mib_random_file(self):
        data = os.urandom(5 * 1024 * 1024)
        self.round_trip(data, "big.dat", "application/x-random")

    def test_file_name_with_spaces_and_unicode(self):
        data = b"%PDF-1.4\n\x00\xe9 fake pdf\n"
        stored = self.round_trip(data, "my report \u00e9.pdf", "application/pdf")
        self.assertEqual(stored["fileName"], "my report \u00e9.pdf")
        self.assertEqual(stored["s3Key"], "assets/%s/my report \u00e9.pdf" % stored["assetId"])

    def test_file_name_with_reserved_characters(self):
        self.round_trip(b"hello", "a+b=c&d~e(1)!'*;,@$ %.txt", "text/plain; charset=utf-8")

    def test_max_length_multibyte_file_name(self):
        self.round_trip(b"x" * 100, "\u00e9" * 127 + "a", "text/plain", head=False)

    def test_empty_file(self):
        stored = self.round_trip(b"", "empty.txt", "text/plain", head=False)
        self.assertEqual(stored["size"], 0)
        self.assertEqual(stored["etag"], EMPTY_MD5)

    def test_head_of_missing_object_is_404(self):
        asset = self.create()["asset"]
        status, _h, raw = self.obj(self.srv.presign("HEAD", asset["s3Key"]), "HEAD")
        self.assertEqual(status, 404)
        self.assertEqual(raw, b"")

    def test_download_url_of_uploaded_asset_is_fresh_each_time(self):
        body = self.create(file_name="f.txt", content_type="text/plain")
        self.upload(body["uploadUrl"], b"abc", "text/plain")
        first = self.get_download(body["asset"]["assetId"])
        self.assertUploadUrl(first["downloadUrl"], body["asset"]["s3Key"], signed_headers="host")
        time.sleep(1.1)
        second = self.get_download(body["asset"]["assetId"])
        self.assertNotEqual(first["downloadUrl"], second["downloadUrl"])
        for info in (first, second):
            code, _h, got = self.download(info["downloadUrl"])
            self.assertEqual((code, got), (200, b"abc"))


# ================================================================================== rejections


class RejectedRequestTest(AssetServerTestCase):
    """Every wrongly-signed request is refused with S3's XML error and changes nothing."""

    ORIGINAL = b"original \x00 bytes\n" * 50
    OTHER = b"OTHER bytes that must never be stored\n" * 40
    CTYPE = "text/plain"

    def uploaded_asset(self):
        body = self.create(file_name="doc %s.txt" % uuid.uuid4().hex[:6], content_type=self.CTYPE)
        self.upload(body["uploadUrl"], self.ORIGINAL, self.CTYPE)
        asset = self.get_asset(body["asset"]["assetId"])
        self.assertEqual(asset["status"], "uploaded")
        return body, asset

    def assertUnchanged(self, asset):
        self.assertEqual(self.get_asset(asset["assetId"]), asset)
        if asset["status"] == "uploaded":
            self.assertDownloads(asset["assetId"], self.ORIGINAL, self.CTYPE)
        else:
            info = self.get_download(asset["assetId"])
            self.assertS3Error(self.obj(info["downloadUrl"]), 404, "NoSuchKey")

    def tampered(self, url):
        sig = dict(query_params(url))["X-Amz-Signature"]
        flipped = sig[:-1] + ("0" if sig[-1] != "0" else "1")
        return replace_query_param(url, "X-Amz-Signature", flipped)

    def bad_puts(self, body, asset):
        """(label, url, headers, expected status, expected code, expected message)."""
        url = body["uploadUrl"]
        key = asset["s3Key"]
        other = self.create(file_name="other.txt", content_type=self.CTYPE)
        public = "http://localhost:%d" % self.srv.port
        ct = {"Content-Type": self.CTYPE}
        no_query = url.split("?", 1)[0]
        return [
            ("tampered signature", self.tampered(url), ct, 403, "SignatureDoesNotMatch", None),
            ("other content type", url, {"Content-Type": "text/html"}, 403,
             "SignatureDoesNotMatch", None),
            ("no content type", url, {}, 403, "SignatureDoesNotMatch", None),
            ("path of another asset",
             url.replace(encode_key(key), encode_key(other["asset"]["s3Key"])), ct, 403,
             "SignatureDoesNotMatch", None),
            ("path changed (file name)",
             url.replace(encode_key(key), encode_key(key + "x")), ct, 403,
             "SignatureDoesNotMatch", None),
            ("expires changed", replace_query_param(url, "X-Amz-Expires", "7200"), ct, 403,
             "SignatureDoesNotMatch", None),
            ("date changed", replace_query_param(
                url, "X-Amz-Date", amz_date(time.time() - 60)), ct, 403, None, None),
            ("GET URL used for PUT", self.srv.presign("GET", key), ct, 403,
             "SignatureDoesNotMatch", None),
            ("wrong secret", self.srv.presign("PUT", key, content_type=self.CTYPE,
                                              secret_access_key="not-the-secret"), ct, 403,
             "SignatureDoesNotMatch", None),
            ("expired", self.srv.presign("PUT", key, content_type=self.CTYPE,
                                         time=hours_ago(2), expires=60), ct, 403,
             "AccessDenied", "Request has expired"),
            ("unknown access key id", self.srv.presign("PUT", key, content_type=self.CTYPE,
                                                       access_key_id="AKIDUNKNOWN"), ct, 403,
             "InvalidAccessKeyId", None),
            ("wrong region", self.srv.presign("PUT", key, content_type=self.CTYPE,
                                              region="eu-west-1"), ct, 403, None, None),
            ("expires over 7 days", presign_url("PUT", key, public_url=public,
                                                content_type=self.CTYPE, expires=604801), ct, 400,
             "AuthorizationQueryParametersError", None),
            ("no signature at all", no_query, ct, 403, "AccessDenied", None),
            ("unsigned query parameter added", url + "&x-id=PutObject", ct, 403,
             "SignatureDoesNotMatch", None),
            ("other Host header", url, dict(ct, Host="127.0.0.1:%d" % self.srv.port), 403,
             "SignatureDoesNotMatch", None),
            # S3 answers 400 AuthorizationQueryParametersError for an incomplete set.
            ("signature parameter removed", url.replace(
                "&X-Amz-Signature=" + dict(query_params(url))["X-Amz-Signature"], ""), ct,
             (400, 403), None, None),
        ]

    def test_bad_puts_are_rejected_and_store_nothing_for_pending_asset(self):
        body = self.create(file_name="pending.txt", content_type=self.CTYPE)
        asset = body["asset"]
        for label, url, headers, status, code, message in self.bad_puts(body, asset):
            with self.subTest(label):
                self.assertS3Error(self.obj(url, "PUT", self.OTHER, headers), status, code, message)
                self.assertUnchanged(asset)
        # The original URL is still good afterwards.
        self.upload(body["uploadUrl"], self.ORIGINAL, self.CTYPE)
        self.assertEqual(self.get_asset(asset["assetId"])["status"], "uploaded")

    def test_bad_puts_leave_uploaded_object_unchanged(self):
        body, asset = self.uploaded_asset()
        for label, url, headers, status, code, message in self.bad_puts(body, asset):
            with self.subTest(label):
                self.assertS3Error(self.obj(url, "PUT", self.OTHER, headers), status, code, message)
                self.assertUnchanged(asset)

    def test_bad_puts_through_curl(self):
        body, asset = self.uploaded_asset()
        path = self.write_file(self.OTHER)
        for label, url, status, code in (
                ("tampered", self.tampered(body["uploadUrl"]), 403, "SignatureDoesNotMatch"),
                ("expired", self.srv.presign("PUT", asset["s3Key"], content_type=self.CTYPE,
                                             time=hours_ago(2), expires=60), 403, "AccessDenied")):
            with self.subTest(label):
                got, headers, raw = curl_put(url, path, self.CTYPE, port=self.srv.port)
                self.assertS3Error((got, headers, raw), status, code)
                self.assertUnchanged(asset)

    def test_chunked_put_without_content_length_is_411(self):
        for uploaded in (False, True):
            with self.subTest(uploaded=uploaded):
                if uploaded:
                    body, asset = self.uploaded_asset()
                else:
                    body = self.create(file_name="c.txt", content_type=self.CTYPE)
                    asset = body["asset"]
                resp = self.obj(body["uploadUrl"], "PUT", self.OTHER,
                                {"Content-Type": self.CTYPE}, chunked=True)
                self.assertS3Error(resp, 411, "MissingContentLength")
                self.assertUnchanged(asset)

    def test_truncated_upload_stores_nothing(self):
        # The client promises more bytes than it sends, then goes away: no object, no change.
        for uploaded in (False, True):
            with self.subTest(uploaded=uploaded):
                if uploaded:
                    body, asset = self.uploaded_asset()
                else:
                    body = self.create(file_name="t.txt", content_type=self.CTYPE)
                    asset = body["asset"]
                parts = urllib.parse.urlsplit(body["uploadUrl"])
                head = ("PUT %s?%s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n"
                        "Content-Length: %d\r\n\r\n"
                        % (parts.path, parts.query, parts.netloc, self.CTYPE, 300000))
                with socket.create_connection((self.srv.host, self.srv.port), timeout=5) as sock:
                    sock.sendall(head.encode("ascii") + self.OTHER * 100)
                    time.sleep(0.3)
                time.sleep(0.3)
                self.assertUnchanged(asset)
                self.assertTrue(self.srv.alive())

    def test_bad_gets_are_rejected(self):
        body, asset = self.uploaded_asset()
        url = self.get_download(asset["assetId"])["downloadUrl"]
        key = asset["s3Key"]
        cases = [
            ("tampered signature", self.tampered(url), 403, "SignatureDoesNotMatch", None),
            ("path changed", url.replace(encode_key(key), encode_key(key + "x")), 403,
             "SignatureDoesNotMatch", None),
            ("PUT URL used for GET", body["uploadUrl"], 403, "SignatureDoesNotMatch", None),
            ("HEAD URL used for GET", self.srv.presign("HEAD", key), 403,
             "SignatureDoesNotMatch", None),
            ("expired", self.srv.presign("GET", key, time=hours_ago(2), expires=60), 403,
             "AccessDenied", "Request has expired"),
            ("unknown access key id", self.srv.presign("GET", key, access_key_id="AKIDNOPE"),
             403, "InvalidAccessKeyId", None),
            ("wrong region", self.srv.presign("GET", key, region="ap-south-1"), 403, None, None),
            ("no signature at all", url.split("?", 1)[0], 403, "AccessDenied", None),
        ]
        for label, bad, status, code, message in cases:
            with self.subTest(label):
                self.assertS3Error(self.obj(bad), status, code, message)
                got, _h, data = self.download(bad)
                self.assertEqual(got, status)
                self.assertNotIn(self.ORIGINAL[:20], data)
        # A download URL used for PUT writes nothing either.
        resp = self.obj(url, "PUT", self.OTHER, {"Content-Type": self.CTYPE})
        self.assertS3Error(resp, 403, "SignatureDoesNotMatch")
        self.assertUnchanged(asset)

    def test_head_with_get_url_is_rejected(self):
        _body, asset = self.uploaded_asset()
        url = self.get_download(asset["assetId"])["downloadUrl"]
        status, _h, raw = self.obj(url, "HEAD")
        self.assertEqual(status, 403)
        self.assertEqual(raw, b"")

    def test_presigned_url_from_independent_signer_is_accepted(self):
        # A URL made by this suite's own SigV4 code (not the server's): proves the server
        # verifies signatures, not just compares with what it handed out.
        body = self.create(file_name="indep.txt", content_type=self.CTYPE)
        key = body["asset"]["s3Key"]
        public = "http://localhost:%d" % self.srv.port
        url = presign_url("PUT", key, public_url=public, content_type=self.CTYPE, expires=900)
        self.upload(url, self.ORIGINAL, self.CTYPE)
        get_url = presign_url("GET", key, public_url=public, time=amz_date(time.time() - 30),
                              expires=604800)
        code, _h, data = self.download(get_url)
        self.assertEqual((code, data), (200, self.ORIGINAL))
        # Signed 3 hours ago, valid for one: expired.
        self.assertEqual(self.obj(presign_url("GET", key, public_url=public,
                                              time=amz_date(time.time() - 3 * 3600),
                                              expires=3600))[0], 403)


# ================================================================================== logs


class ObjectLogTest(AssetServerTestCase):

    def test_object_requests_logged_without_key_or_signature(self):
        tag = uuid.uuid4().hex[:10]
        file_name = "secret-name-%s.txt" % tag
        body = self.create(file_name=file_name, content_type="text/plain")
        asset = body["asset"]
        key = asset["s3Key"]
        info = self.get_download(asset["assetId"])
        urls = [body["uploadUrl"], info["downloadUrl"]]
        responses = []
        responses.append(("GET", 404, self.obj(info["downloadUrl"])))  # before upload
        responses.append(("PUT", 403, self.obj(body["uploadUrl"], "PUT", b"x",
                                               {"Content-Type": "text/html"})))
        responses.append(("PUT", 200, self.obj(body["uploadUrl"], "PUT", b"data " + tag.encode(),
                                               {"Content-Type": "text/plain"})))
        responses.append(("GET", 200, self.obj(info["downloadUrl"])))
        head_url = self.srv.presign("HEAD", key)
        urls.append(head_url)
        responses.append(("HEAD", 200, self.obj(head_url, "HEAD")))
        expired = self.srv.presign("GET", key, time=hours_ago(2), expires=60)
        urls.append(expired)
        responses.append(("GET", 403, self.obj(expired)))
        for method, status, (got, headers, raw) in responses:
            with self.subTest(method=method, status=status):
                self.assertEqual(got, status, raw[:300])
                rid = headers.get("x-request-id")
                self.assertTrue(rid, "object response without X-Request-Id: %r" % headers)
                line = self.srv.request_log(rid, timeout=5)
                self.assertIsNotNone(line, "object request %s %d not logged" % (method, status))
                self.assertEqual(line.get("method"), method, line)
                self.assertEqual(line.get("status"), status, line)
        text = "\n".join(self.srv.raw_logs()) + "\n" + self.srv.stderr_text()
        secrets = [key, encode_key(key), file_name, "secret-name-" + tag,
                   urllib.parse.quote(key, safe=""), DEFAULT_SECRET]
        for url in urls:
            secrets.append(dict(query_params(url))["X-Amz-Signature"])
            secrets.append(url.split("?", 1)[1])
        for secret in secrets:
            with self.subTest(secret=secret[:40]):
                self.assertNotIn(secret, text, "the server's output contains %r" % secret)


# ================================================================================== durability


class RestartTest(unittest.TestCase):

    def setUp(self):
        self.data_dir = tempfile.mkdtemp(prefix="sbapi-assets-restart-")
        self.addCleanup(shutil.rmtree, self.data_dir, True)
        self.tmp = tempfile.mkdtemp(prefix="sbapi-assets-bb-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def start(self):
        srv = SbapiServer(data_dir=self.data_dir)
        self.addCleanup(srv.stop)
        return srv

    def upload_then_restart(self, stop):
        data = os.urandom(300 * 1024) + b"\x00end"
        srv = self.start()
        aid = new_id("restart")
        status, _h, body = srv.request("POST", "/assets", {
            "assetId": aid, "fileName": "keep me \u00e9.bin", "contentType": "application/zip"})
        self.assertEqual(status, 201, body)
        path = os.path.join(self.tmp, "up.bin")
        with open(path, "wb") as f:
            f.write(data)
        code, headers, raw = curl_put(body["uploadUrl"], path, "application/zip", port=srv.port)
        self.assertEqual(code, 200, raw)
        self.assertEqual(headers.get("etag"), '"%s"' % md5_hex(data))
        status, _h, before = srv.request("GET", "/assets/" + aid)
        self.assertEqual(status, 200)
        self.assertEqual(before["status"], "uploaded")
        stop(srv)

        srv2 = self.start()
        status, _h, after = srv2.request("GET", "/assets/" + aid)
        self.assertEqual(status, 200, after)
        self.assertEqual(after, before)
        status, _h, info = srv2.request("GET", "/assets/%s/download" % aid)
        self.assertEqual(status, 200, info)
        self.assertEqual(info["status"], "uploaded")
        out = os.path.join(self.tmp, "down.bin")
        code, headers = curl_get(info["downloadUrl"], out, port=srv2.port)
        self.assertEqual(code, 200)
        with open(out, "rb") as f:
            self.assertTrue(f.read() == data, "bytes differ after restart")
        self.assertEqual(headers.get("content-type"), "application/zip")
        self.assertEqual(headers.get("etag"), '"%s"' % md5_hex(data))
        # Still idempotent: the uploaded asset gets no upload URL.
        status, _h, again = srv2.request("POST", "/assets", {"assetId": aid, "fileName": "x"})
        self.assertEqual(status, 200, again)
        self.assertEqual(again, {"message": "Asset already exists", "asset": before})

    def test_upload_survives_graceful_restart(self):
        def graceful(srv):
            self.assertEqual(srv.stop(), 0)
        self.upload_then_restart(graceful)

    def test_acknowledged_upload_survives_kill_9(self):
        self.upload_then_restart(lambda srv: srv.stop(signal.SIGKILL))


if __name__ == "__main__":
    unittest.main()
