"""Authentication end to end (docs/api.md "Authentication"), with tokens from an issuer nobody
here wrote: moto's Cognito (cognito.py) makes the user pool, app client, users and `admin`
group and signs real ID and access tokens; `sbapi serve --auth jwt` is given its JWKS URL.

  - JwtUsersTest / JwtAssetsTest: alice, bob and carol (admin) through every users and assets
    route on the local backend: own user only (403 else), admins everything; assets with an
    ownerId, 404 to others, 409 for a taken id, 400 for a body naming ownerId; presigned URLs
    work without a token; ID and access tokens both accepted; 401/400 challenges.
  - ForgedTokenTest: tokens that must not verify (alg none, HS256 keyed with the public key,
    another RSA key, expired, nbf ahead, wrong iss/aud/client_id, unknown kid, jku/jwk headers,
    tampered bytes, malformed shapes, too large) → 401 with the reason, nothing written; and
    the controls that must verify (within the 60 s leeway, exactly 8 KiB).
  - JwksTest: a JWKS that cannot be had at start → exit 1 with one line; --jwks-file; moto
    stopped after start → existing tokens go on working; unknown-kid refetches rate-limited.
  - ClaimOptionsTest: the SBAPI_* environment and the claim/group options.
  - LocalModeTest: `sbapi token` + `serve --auth local`: roles, the public JWKS (its key
    verifies the token, checked with `cryptography`), key file 0600, another data dir's token.
  - RefusalTest: `serve --host 0.0.0.0` without --auth exits 1 and never binds.
  - AwsBackendTest: `--backend aws --auth jwt` on moto's DynamoDB + s3rver.
  - LambdaGatewayTest: `sbapi invoke` with SBAPI_AUTH=gateway on v1/v2 authorizer claims.

moto signs with a key it ships (moto/cognitoidp/resources/jwks-private.json): tokens with
chosen claims are signed with it (jwt_tools.py), i.e. exactly as the real peer signs. Needs moto
(pip moto[server] 5, with boto3 and cryptography); the aws class needs node + s3rver too. Missing
peers skip with the reason (fail under CI=true). Run from tests/blackbox:

    SBAPI_BIN=/path/to/sbapi python3 -m unittest -v test_auth
"""

import copy
import http.server
import json
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

import cognito
import jwt_tools as jt
from cognito import MOTO_KID, CognitoPool, moto_public_jwks, moto_signing_key
from peers import Moto, S3rver, require
import response_log
from s3_helpers import md5_hex, url_request
from sbapi_server import SbapiServer, free_port, parse_raw_response, sbapi_bin, send_raw

EVENTS_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                           "..", "..", "events"))

# docs/api.md "Authentication".
AUTH_REQUIRED = "Authentication required: send Authorization: Bearer <token>"
MALFORMED_BEARER = "Malformed bearer token"
REPEATED = "Repeated Authorization header"
CHALLENGE = 'Bearer realm="sbapi"'
INVALID_REQUEST_CHALLENGE = 'Bearer realm="sbapi", error="invalid_request"'
NOT_YOUR_USER = "You may only act on your own user"
SUBJECT_NOT_USER_ID = "Your token's subject is not a valid userId, so it owns no user"
TAKEN = "assetId is already taken"
USER_NOT_FOUND = "User not found"
ASSET_NOT_FOUND = "Asset not found"

# The rejection reasons. docs/api.md names "The token has expired" ("…" for the rest); the others
# are the fixed texts of src/auth/jwt.cc, one per reason.
EXPIRED = "The token has expired"
NOT_YET_VALID = "The token is not valid yet"
MALFORMED = "The token is malformed"
TOO_LARGE = "The token is too large"
ALGORITHM = "The token's algorithm is not accepted"
UNKNOWN_KEY = "The token is signed by an unknown key"
SIGNATURE = "The token's signature is invalid"
ISSUER = "The token's issuer is not accepted"
AUDIENCE = "The token is not meant for this API"
NO_SUBJECT = "The token has no subject"

LEEWAY = 60
MAX_TOKEN = 8 * 1024


def new_id(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex)


def new_email():
    return "u.%s@example.com" % uuid.uuid4().hex[:10]


def invalid_token_challenge(message):
    return 'Bearer realm="sbapi", error="invalid_token", error_description="%s"' % message


def clean_env(extra=None):
    """This process's environment without AWS_* / SBAPI_* / *_TABLE_NAME, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "SBAPI_", "USERS_", "ASSETS_"))}
    env.update(extra or {})
    return env


def bearer(token):
    return {"Authorization": "Bearer " + token}


# ----------------------------------------------------------------------------- shared peers

_moto = None
_pool = None


def module_pool():
    """moto (started once for the module, no IAM auth) and a pool: alice, bob, carol (admin)."""
    global _moto, _pool
    require(Moto.unavailable() or cognito.unavailable() or jt.unavailable())
    if _moto is None:
        _moto = Moto.start()
    if _pool is None:
        _pool = CognitoPool.create(_moto, users=["alice", "bob"], admins=["carol"])
    return _moto, _pool


def tearDownModule():
    for peer in (_moto,):
        if peer is not None:
            peer.stop()


def run_sbapi(args, env=None, stdin=None, timeout=30):
    proc = subprocess.run([sbapi_bin()] + list(args), input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=clean_env(env), timeout=timeout)
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), \
        proc.stderr.decode("utf-8", "replace")


def local_token(data_dir, sub, groups=(), ttl=None):
    """`sbapi token --sub … [--group …] [--ttl …] --data-dir D` -> the printed token."""
    args = ["token", "--sub", sub, "--data-dir", data_dir]
    for group in groups:
        args += ["--group", group]
    if ttl is not None:
        args += ["--ttl", ttl]
    code, out, err = run_sbapi(args)
    if code != 0:
        raise AssertionError("sbapi %s exited with %d: %s" % (" ".join(args), code, err))
    lines = [ln for ln in out.splitlines() if ln.strip()]
    if len(lines) != 1:
        raise AssertionError("sbapi token printed %r, expected one token line" % out)
    return lines[0].strip()


def serve_until_exit(args, env=None, timeout=15.0):
    """Runs `sbapi serve --port <free> ARGS` that is expected to refuse to start.

    Returns (exit code, stdout, stderr, bound): bound is True if the port accepted a connection
    while the process ran. A server still running after `timeout` is killed (by its PID) and the
    call fails.
    """
    port = free_port()
    cmd = [sbapi_bin(), "serve", "--port", str(port)] + list(args)
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=clean_env(env))
    bound = False
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    bound = True
            except OSError:
                pass
            time.sleep(0.02)
        if proc.poll() is None:
            proc.kill()
            out, err = proc.communicate(timeout=5)
            raise AssertionError("`%s` was still running after %.0f s (killed); stdout:\n%s\n"
                                 "stderr:\n%s" % (" ".join(cmd), timeout, out.decode(),
                                                  err.decode()))
        out, err = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), bound


class FakeJwksServer:
    """A stdlib HTTP server on 127.0.0.1 answering every GET with (status, body); records paths."""

    def __init__(self, status=200, body=b""):
        self.status = status
        self.body = body
        self.paths = []
        self.lock = threading.Lock()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                with fake.lock:
                    fake.paths.append(self.path)
                    status, body = fake.status, fake.body
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/pool/.well-known/jwks.json"):
        return "http://127.0.0.1:%d%s" % (self.server.server_address[1], path)

    def fetches(self):
        with self.lock:
            return list(self.paths)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# ================================================================================== base


class AuthCase(unittest.TestCase):
    """Helpers for a server with authentication on: `self.srv`, `self.admin` (an admin token)."""

    srv = None
    admin = None

    def tearDown(self):
        if self.srv is not None and not self.srv.alive():
            self.fail("sbapi exited (code %s) during this test; stderr:\n%s"
                      % (self.srv.proc.returncode, self.srv.stderr_text()))

    def call(self, method, path, token=None, body=None, headers=None):
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        return self.srv.request(method, path, body, hdrs)

    def expect(self, resp, status, error=None, what=""):
        got, headers, body = resp
        self.assertEqual(got, status, "%s: expected %d, got %d: %r" % (what, status, got, body))
        if error is not None:
            self.assertEqual(body, {"error": error}, what)
        if status >= 400:
            self.assertEqual(headers.get("content-type", "").split(";")[0], "application/json",
                             what)
        return body

    def expect401(self, resp, message, token_sent=True, what=""):
        got, headers, body = resp
        self.assertEqual(got, 401, "%s: expected 401, got %d: %r" % (what, got, body))
        self.assertEqual(body, {"error": message}, what)
        challenge = invalid_token_challenge(message) if token_sent else CHALLENGE
        self.assertEqual(headers.get("www-authenticate"), challenge, what)
        exposed = {h.strip().lower() for h in
                   headers.get("access-control-expose-headers", "").split(",")}
        self.assertIn("www-authenticate", exposed, what)
        self.assertEqual(headers.get("access-control-allow-origin"), "*", what)
        self.assertTrue(headers.get("x-request-id"), what)

    def user_as_admin(self, user_id):
        """The stored user (dict), or None when it does not exist (read with the admin token)."""
        status, _h, body = self.call("GET", "/users/" + user_id, self.admin)
        if status == 404:
            self.assertEqual(body, {"error": USER_NOT_FOUND})
            return None
        self.assertEqual(status, 200, body)
        return body

    def asset_as_admin(self, asset_id):
        status, _h, body = self.call("GET", "/assets/" + asset_id, self.admin)
        if status == 404:
            self.assertEqual(body, {"error": ASSET_NOT_FOUND})
            return None
        self.assertEqual(status, 200, body)
        return body

    def assertNoUser(self, user_id, what=""):
        self.assertIsNone(self.user_as_admin(user_id), "%s: user %s was written" % (what, user_id))

    def assertNoAsset(self, asset_id, what=""):
        self.assertIsNone(self.asset_as_admin(asset_id),
                          "%s: asset %s was written" % (what, asset_id))

    def delete_as_admin(self, user_id):
        status, _h, body = self.call("DELETE", "/users/" + user_id, self.admin)
        self.assertIn(status, (200, 404), body)

    def create_user(self, token, user_id, status=201, **fields):
        body = {"userId": user_id, "email": new_email()}
        body.update(fields)
        return self.expect(self.call("POST", "/users", token, body), status, what="POST /users")


class CognitoServerCase(AuthCase):
    """One `serve --auth jwt` per class, trusting the module's moto pool; alice, bob, carol."""

    extra_args = ()

    @classmethod
    def setUpClass(cls):
        _moto, cls.pool = module_pool()
        cls.srv = SbapiServer(extra_args=cls.pool.serve_args() + list(cls.extra_args))
        cls.alice = cls.pool.tokens["alice"]
        cls.bob = cls.pool.tokens["bob"]
        cls.carol = cls.pool.tokens["carol"]
        cls.admin = cls.carol.id_token

    @classmethod
    def tearDownClass(cls):
        if cls.srv is not None:
            cls.srv.stop()

    def setUp(self):
        # Each test starts without alice's and bob's users (their ids are their subjects).
        for who in (self.alice, self.bob):
            self.delete_as_admin(who.sub)


# ================================================================================== users


class JwtUsersTest(CognitoServerCase):

    def test_no_token_is_401_with_the_bare_challenge_and_writes_nothing(self):
        uid = new_id("u")
        aid = new_id("a")
        for method, path, body in (("POST", "/users", {"userId": uid, "email": new_email()}),
                                   ("GET", "/users/" + uid, None),
                                   ("PUT", "/users/" + uid, {"name": "x"}),
                                   ("DELETE", "/users/" + uid, None),
                                   ("POST", "/assets", {"assetId": aid, "fileName": "f.txt"}),
                                   ("GET", "/assets/" + aid, None),
                                   ("GET", "/assets/%s/download" % aid, None)):
            what = "%s %s without a token" % (method, path)
            self.expect401(self.call(method, path, body=body), AUTH_REQUIRED, False, what)
            # Another scheme is no bearer token: the same answer.
            self.expect401(self.call(method, path, body=body,
                                     headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"}),
                           AUTH_REQUIRED, False, what + " (Basic)")
        # A token in the query or the body is not one.
        self.expect401(self.call("POST", "/users?access_token=" + self.alice.id_token,
                                 body={"userId": self.alice.sub, "email": new_email()}),
                       AUTH_REQUIRED, False, "token in the query")
        self.expect401(self.call("POST", "/users", body={
            "userId": self.alice.sub, "email": new_email(),
            "access_token": self.alice.id_token}), AUTH_REQUIRED, False, "token in the body")
        self.assertNoUser(uid)
        self.assertNoUser(self.alice.sub)
        self.assertNoAsset(aid)

    def test_public_routes_and_routing_errors_need_no_token(self):
        for path in ("/users", "/users/x1", "/assets", "/assets/a1", "/assets/a1/download"):
            status, headers, _ = self.call("OPTIONS", path)
            self.assertEqual(status, 204, "OPTIONS %s" % path)
            self.assertEqual(headers.get("access-control-max-age"), "600")
        self.assertEqual(self.call("GET", "/health")[0::2], (200, {"status": "ok"}))
        for token in (None, "not-a-valid-token"):
            self.expect(self.call("GET", "/nope", token), 404, "Not found", "unknown path")
            self.expect(self.call("PATCH", "/users/x1", token), 405, "Method not allowed",
                        "wrong method")

    def test_malformed_bearer_credentials(self):
        for value in ("Bearer", "Bearer  ", "Bearer a b", "Bearer @@@", "Bearer a=b",
                      "Bearer ====", "Bearer " + self.alice.id_token + " x"):
            with self.subTest(value=value):
                self.expect401(self.call("POST", "/users", body={
                    "userId": self.alice.sub, "email": new_email()},
                    headers={"Authorization": value}), MALFORMED_BEARER, True, repr(value))
        self.assertNoUser(self.alice.sub)

    def test_scheme_name_is_case_insensitive(self):
        for scheme in ("bearer", "BEARER", "BeArEr"):
            status, _h, body = self.srv.request(
                "GET", "/users/" + self.alice.sub, None,
                {"Authorization": "%s %s" % (scheme, self.alice.id_token)})
            self.assertEqual((status, body), (404, {"error": USER_NOT_FOUND}), scheme)

    def test_two_authorization_headers_are_400(self):
        body = json.dumps({"userId": self.alice.sub, "email": new_email()}).encode()
        for second in (self.alice.id_token, self.bob.id_token):
            raw = (b"POST /users HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                   b"Authorization: Bearer %s\r\nAuthorization: Bearer %s\r\n"
                   b"Content-Type: application/json\r\nContent-Length: %d\r\n"
                   b"Connection: close\r\n\r\n%s"
                   % (self.srv.port, self.alice.id_token.encode(), second.encode(), len(body),
                      body))
            resp = parse_raw_response(self.srv.send_raw(raw)[0])
            self.assertIsNotNone(resp)
            status, headers, answer = resp
            self.assertEqual((status, answer), (400, {"error": REPEATED}))
            self.assertEqual(headers.get("www-authenticate"), INVALID_REQUEST_CHALLENGE)
        self.assertNoUser(self.alice.sub)

    def test_tokens_and_claims_are_never_logged(self):
        alice = self.alice
        h, p, s = alice.id_token.split(".")
        bad_sig = "%s.%s.%s" % (h, p, s[:-8] + ("A" * 8 if s[-8:] != "A" * 8 else "B" * 8))
        ids = []
        for token in (alice.id_token, alice.access_token, bad_sig, None):
            _s, headers, _b = self.call("GET", "/users/" + alice.sub, token)
            ids.append(headers.get("x-request-id"))
        for rid in ids:
            self.assertIsNotNone(self.srv.request_log(rid), "no access-log line for %s" % rid)
        logged = "\n".join(self.srv.raw_logs()) + "\n" + self.srv.stderr_text()
        secrets = [alice.sub]
        for token in (alice.id_token, alice.access_token, bad_sig):
            secrets += token.split(".")[1:]
        for secret in secrets:
            self.assertNotIn(secret, logged, "a token part or claim is in the logs")

    def test_own_user_lifecycle_with_id_and_access_tokens(self):
        me = self.alice
        created = self.create_user(me.id_token, me.sub, name="Alice")
        self.assertEqual(created["message"], "User created")
        self.assertEqual(created["user"]["userId"], me.sub)
        for token in (me.id_token, me.access_token):
            got = self.expect(self.call("GET", "/users/" + me.sub, token), 200)
            self.assertEqual(got, created["user"])
        # Creating again is still idempotent for the owner.
        again = self.create_user(me.access_token, me.sub, status=200)
        self.assertEqual(again["message"], "User already exists")
        updated = self.expect(self.call("PUT", "/users/" + me.sub, me.access_token,
                                        {"department": "Research"}), 200)
        self.assertEqual(updated["department"], "Research")
        self.assertEqual(self.expect(self.call("GET", "/users/" + me.sub, me.id_token), 200),
                         updated)
        self.expect(self.call("DELETE", "/users/" + me.sub, me.id_token), 200)
        self.expect(self.call("GET", "/users/" + me.sub, me.access_token), 404, USER_NOT_FOUND)

    def test_other_users_record_is_403_and_untouched(self):
        alice, bob = self.alice, self.bob
        stored = self.create_user(alice.id_token, alice.sub, name="Alice")["user"]
        for token in (bob.id_token, bob.access_token):
            self.expect(self.call("GET", "/users/" + alice.sub, token), 403, NOT_YOUR_USER)
            self.expect(self.call("PUT", "/users/" + alice.sub, token, {"name": "Mallory"}), 403,
                        NOT_YOUR_USER)
            self.expect(self.call("DELETE", "/users/" + alice.sub, token), 403, NOT_YOUR_USER)
            # Creating someone else's user, existing or not: 403, nothing stored.
            self.expect(self.call("POST", "/users", token, {"userId": alice.sub,
                                                             "email": new_email()}),
                        403, NOT_YOUR_USER)
            other = new_id("u")
            self.expect(self.call("POST", "/users", token, {"userId": other,
                                                             "email": new_email()}),
                        403, NOT_YOUR_USER)
            self.assertNoUser(other)
            # A missing user is still 403 to a non-owner (reveals nothing).
            self.expect(self.call("GET", "/users/" + other, token), 403, NOT_YOUR_USER)
        self.assertEqual(self.user_as_admin(alice.sub), stored)
        # Validation comes first: a bad body is a 400 whoever sends it.
        self.expect(self.call("POST", "/users", bob.id_token, {"userId": alice.sub}), 400,
                    "userId and email are required")
        self.expect(self.call("PUT", "/users/" + alice.sub, bob.id_token, {"ttl": 1}), 400,
                    "ttl cannot be updated")
        self.assertEqual(self.user_as_admin(alice.sub), stored)

    def test_admin_acts_on_every_user(self):
        alice = self.alice
        stored = self.create_user(alice.id_token, alice.sub)["user"]
        for token in (self.carol.id_token, self.carol.access_token):
            self.assertEqual(self.expect(self.call("GET", "/users/" + alice.sub, token), 200),
                             stored)
        updated = self.expect(self.call("PUT", "/users/" + alice.sub, self.carol.access_token,
                                        {"name": "Renamed by admin"}), 200)
        self.assertEqual(updated["name"], "Renamed by admin")
        other = new_id("u")
        self.assertEqual(self.create_user(self.carol.id_token, other)["user"]["userId"], other)
        self.expect(self.call("DELETE", "/users/" + other, self.carol.access_token), 200)
        self.expect(self.call("DELETE", "/users/" + alice.sub, self.carol.id_token), 200)
        self.expect(self.call("GET", "/users/" + alice.sub, alice.id_token), 404, USER_NOT_FOUND)

    def test_subject_that_is_not_a_user_id_owns_no_user(self):
        # Signed with moto's key, as moto signs: only the subject is unusual.
        claims = jt.decode(self.alice.id_token)[1]
        claims["sub"] = "alice@example.com"
        token = jt.sign_rs256({"kid": MOTO_KID, "typ": "JWT"}, claims, moto_signing_key())
        victim = new_id("u")
        self.expect(self.call("POST", "/users", token, {"userId": victim, "email": new_email()}),
                    403, SUBJECT_NOT_USER_ID)
        self.expect(self.call("GET", "/users/" + victim, token), 403, SUBJECT_NOT_USER_ID)
        self.assertNoUser(victim)


# ================================================================================== assets


class JwtAssetsTest(CognitoServerCase):

    def create_asset(self, token, asset_id=None, file_name="report.txt",
                     content_type="text/plain", status=201):
        body = {"assetId": asset_id or new_id("a"), "fileName": file_name,
                "contentType": content_type}
        return self.expect(self.call("POST", "/assets", token, body), status, what="POST /assets")

    def test_owner_creates_reads_uploads_and_downloads(self):
        alice = self.alice
        created = self.create_asset(alice.id_token)
        asset = created["asset"]
        self.assertEqual(created["message"], "Asset metadata created")
        self.assertEqual(asset["ownerId"], alice.sub)
        for token in (alice.id_token, alice.access_token):
            self.assertEqual(self.expect(self.call("GET", "/assets/" + asset["assetId"], token),
                                         200), asset)
        # The presigned upload needs no token: its signature authorizes it.
        data = b"hello\x00world"
        status, headers, raw = url_request(created["uploadUrl"], "PUT", data,
                                           {"Content-Type": "text/plain"}, port=self.srv.port)
        self.assertEqual(status, 200, raw[:300])
        self.assertEqual(headers.get("etag"), '"%s"' % md5_hex(data))
        got = self.expect(self.call("GET", "/assets/" + asset["assetId"], alice.access_token), 200)
        self.assertEqual((got["status"], got["size"], got["ownerId"]),
                         ("uploaded", len(data), alice.sub))
        info = self.expect(self.call("GET", "/assets/%s/download" % asset["assetId"],
                                     alice.id_token), 200)
        status, _h, raw = url_request(info["downloadUrl"], port=self.srv.port)
        self.assertEqual((status, raw), (200, data))
        # Again while uploaded: 200 without uploadUrl, still alice's.
        again = self.create_asset(alice.id_token, asset["assetId"], status=200)
        self.assertEqual(again["message"], "Asset already exists")
        self.assertNotIn("uploadUrl", again)

    def test_others_get_the_same_404_as_for_a_missing_asset(self):
        asset = self.create_asset(self.alice.id_token)["asset"]
        missing = new_id("a")
        for token in (self.bob.id_token, self.bob.access_token):
            for suffix in ("", "/download"):
                theirs = self.call("GET", "/assets/%s%s" % (asset["assetId"], suffix), token)
                nothing = self.call("GET", "/assets/%s%s" % (missing, suffix), token)
                self.expect(theirs, 404, ASSET_NOT_FOUND, "another's asset" + suffix)
                self.expect(nothing, 404, ASSET_NOT_FOUND, "a missing asset" + suffix)
                self.assertEqual(theirs[1].get("content-type"), nothing[1].get("content-type"))
                self.assertEqual(theirs[1].get("content-length"),
                                 nothing[1].get("content-length"))
        self.assertEqual(self.asset_as_admin(asset["assetId"]), asset)

    def test_taken_asset_id_is_409_and_unchanged(self):
        created = self.create_asset(self.alice.id_token, file_name="a.txt")
        asset = created["asset"]
        for token in (self.bob.id_token, self.bob.access_token):
            self.expect(self.call("POST", "/assets", token, {
                "assetId": asset["assetId"], "fileName": "evil.html", "contentType": "text/html"}),
                409, TAKEN)
        self.assertEqual(self.asset_as_admin(asset["assetId"]), asset)
        # The owner asking again: 200 with a fresh uploadUrl (still pending).
        again = self.create_asset(self.alice.access_token, asset["assetId"], status=200)
        self.assertEqual((again["message"], again["asset"]), ("Asset already exists", asset))
        self.assertIn("uploadUrl", again)
        # An admin may too, and does not become the owner.
        by_admin = self.create_asset(self.admin, asset["assetId"], status=200)
        self.assertEqual(by_admin["asset"]["ownerId"], self.alice.sub)

    def test_body_naming_owner_id_is_400_and_writes_nothing(self):
        for owner in (self.alice.sub, self.bob.sub, ""):
            aid = new_id("a")
            status, _h, body = self.call("POST", "/assets", self.alice.id_token, {
                "assetId": aid, "fileName": "x.txt", "ownerId": owner})
            self.assertEqual(status, 400, body)
            self.assertIn("ownerId", body["error"])
            self.assertNoAsset(aid)

    def test_admin_reads_every_asset_and_owns_what_it_creates(self):
        asset = self.create_asset(self.alice.id_token)["asset"]
        for token in (self.carol.id_token, self.carol.access_token):
            self.assertEqual(self.expect(self.call("GET", "/assets/" + asset["assetId"], token),
                                         200), asset)
            info = self.expect(self.call("GET", "/assets/%s/download" % asset["assetId"],
                                         token), 200)
            self.assertEqual(info["status"], "pending")
        own = self.create_asset(self.carol.access_token)["asset"]
        self.assertEqual(own["ownerId"], self.carol.sub)
        self.expect(self.call("GET", "/assets/" + own["assetId"], self.alice.id_token), 404,
                    ASSET_NOT_FOUND)


# ================================================================================== forged


class ForgedTokenTest(CognitoServerCase):
    """Each case: 401 with its reason and the invalid_token challenge; nothing written."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = moto_signing_key()
        cls.other_rsa = jt.new_rsa_key()
        cls.ec = jt.new_ec_key()
        # Real tokens for the wrong audience / issuer: moto made them, only the target differs.
        cls.other_client = cls.pool.add_client()
        cls.alice_other_client = cls.pool.sign_in("alice", cls.other_client)
        cls.other_pool = CognitoPool.create(cls.pool.moto, users=["mallory"])
        cls.jku = FakeJwksServer(200, json.dumps(
            {"keys": [jt.rsa_public_jwk(cls.other_rsa, "attacker")]}).encode())

    @classmethod
    def tearDownClass(cls):
        cls.jku.close()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.victim = self.create_user(self.admin, new_id("victim"))["user"]

    # ------------------------------------------------------------------ token makers

    def claims(self, kind="id", **changes):
        """Claims as moto makes them for alice (fresh exp), with a fresh `sub` and `changes`."""
        source = self.alice.id_token if kind == "id" else self.alice.access_token
        claims = jt.decode(source)[1]
        now = int(time.time())
        claims.update(sub=new_id("forged"), iat=now, auth_time=now, exp=now + 3600)
        for name, value in changes.items():
            if value is _DROP:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def moto_signed(self, claims, **header):
        return jt.sign_rs256(dict({"kid": MOTO_KID, "typ": "JWT"}, **header), claims, self.key)

    # ------------------------------------------------------------------ assertions

    def assertRefused(self, token, message, sub=None, what=""):
        """401 on writes and a read, nothing written. `message`: the reason; a tuple of the
        acceptable ones; None for any non-empty one. `sub`: the user id a wrongly accepted
        token would own (the test checks that it was not created)."""
        uid = sub or new_id("u")
        aid = new_id("a")
        headers = {"Authorization": "Bearer " + token}
        answers = [
            self.srv.request("POST", "/users", {"userId": uid, "email": new_email()}, headers),
            self.srv.request("POST", "/assets", {"assetId": aid, "fileName": "f.bin"}, headers),
            self.srv.request("PUT", "/users/" + self.victim["userId"], {"name": "pwned"}, headers),
            self.srv.request("DELETE", "/users/" + self.victim["userId"], None, headers),
            self.srv.request("GET", "/users/" + self.victim["userId"], None, headers),
        ]
        for status, hdrs, body in answers:
            self.assertEqual(status, 401, "%s: expected 401, got %d: %r" % (what, status, body))
            self.assertIsInstance(body, dict, what)
            got = body.get("error")
            if message is None:
                self.assertTrue(isinstance(got, str) and got.strip(), what)
            elif isinstance(message, tuple):
                self.assertIn(got, message, what)
            else:
                self.assertEqual(got, message, what)
            self.assertEqual(hdrs.get("www-authenticate"), invalid_token_challenge(got), what)
            # The reason never echoes the token.
            self.assertNotIn(token[-20:], json.dumps(body), what)
        self.assertNoUser(uid, what)
        self.assertNoAsset(aid, what)
        self.assertEqual(self.user_as_admin(self.victim["userId"]), self.victim, what)

    def assertAccepted(self, token, sub, what=""):
        status, _h, body = self.srv.request("POST", "/users", {"userId": sub,
                                                               "email": new_email()},
                                            bearer(token))
        self.assertEqual(status, 201, "%s: expected 201, got %d: %r" % (what, status, body))
        self.delete_as_admin(sub)

    # ------------------------------------------------------------------ controls

    def test_controls_tokens_made_here_verify(self):
        """The forging machinery is right: the same recipe with nothing wrong is accepted."""
        for what, claims in (
                ("id token", self.claims()),
                ("access token", self.claims("access")),
                ("exp 30 s ago (within the 60 s leeway)", self.claims(exp=int(time.time()) - 30)),
                ("nbf in 30 s (within the leeway)", self.claims(nbf=int(time.time()) + 30)),
                ("aud an array naming the client", self.claims(aud=["x", self.pool.client_id]))):
            with self.subTest(what):
                self.assertAccepted(self.moto_signed(claims), claims["sub"], what)

    def test_exactly_8_kib_is_accepted(self):
        claims = self.claims()
        token = jt.token_of_length(MAX_TOKEN, {"kid": MOTO_KID, "typ": "JWT"}, claims,
                                   lambda h, c: jt.sign_rs256(h, c, self.key))
        self.assertEqual(len(token), MAX_TOKEN)
        self.assertAccepted(token, claims["sub"], "8192-byte token")

    # ------------------------------------------------------------------ algorithm and key

    def test_alg_none(self):
        claims = self.claims()
        real_sig = jt.b64url_decode(self.alice.id_token.split(".")[2])
        for alg in ("none", "None", "NONE"):
            for header in ({"alg": alg, "kid": MOTO_KID, "typ": "JWT"}, {"alg": alg, "kid": ""}):
                # "header.payload." (empty signature) and with a real signature kept.
                for sig in (b"", real_sig):
                    with self.subTest(alg=alg, kid=header["kid"], signed=bool(sig)):
                        token = jt.encode_unsigned(header, claims, sig)
                        self.assertRefused(token, (ALGORITHM, MALFORMED), claims["sub"],
                                           "alg %s" % alg)

    def test_hs256_keyed_with_the_public_key(self):
        claims = self.claims()
        jwk = moto_public_jwks()["keys"][0]
        secrets = {
            "PEM SubjectPublicKeyInfo": jt.rsa_public_pem(self.key),
            "PEM PKCS#1": jt.rsa_public_pem(self.key, pkcs1=True),
            "PEM without the last newline": jt.rsa_public_pem(self.key).rstrip(b"\n"),
            "JWK n (base64url text)": jwk["n"].encode(),
            "JWK n (bytes)": jt.b64url_decode(jwk["n"]),
            "the JWK as JSON": json.dumps(jwk).encode(),
            "the JWKS document": json.dumps(moto_public_jwks()).encode(),
        }
        for name, secret in secrets.items():
            for alg in ("HS256", "HS384", "HS512"):
                with self.subTest(secret=name, alg=alg):
                    token = jt.sign_hs256({"alg": alg, "kid": MOTO_KID, "typ": "JWT"}, claims,
                                          secret)
                    self.assertRefused(token, ALGORITHM, claims["sub"], name)

    def test_another_rsa_key_claiming_kid_dummy(self):
        claims = self.claims()
        token = jt.sign_rs256({"kid": MOTO_KID, "typ": "JWT"}, claims, self.other_rsa)
        self.assertRefused(token, SIGNATURE, claims["sub"])

    def test_es256_signature_under_the_rsa_kid(self):
        claims = self.claims()
        token = jt.sign_es256({"kid": MOTO_KID, "typ": "JWT"}, claims, self.ec)
        self.assertRefused(token, ALGORITHM, claims["sub"])

    def test_unknown_kid(self):
        claims = self.claims()
        self.assertRefused(self.moto_signed(claims, kid="rotated-away"), UNKNOWN_KEY,
                           claims["sub"])

    def test_jku_and_embedded_jwk_headers_are_not_trusted(self):
        claims = self.claims()
        token = jt.sign_rs256({"kid": "attacker", "jku": self.jku.url("/jwks.json")}, claims,
                              self.other_rsa)
        self.assertRefused(token, UNKNOWN_KEY, claims["sub"], "jku")
        self.assertEqual(self.jku.fetches(), [], "the server fetched the token's jku")
        token = jt.sign_rs256({"kid": MOTO_KID, "jwk": jt.rsa_public_jwk(self.other_rsa,
                                                                            MOTO_KID)},
                              claims, self.other_rsa)
        self.assertRefused(token, SIGNATURE, claims["sub"], "embedded jwk")
        token = jt.sign_rs256({"kid": MOTO_KID, "x5u": self.jku.url("/cert.pem")}, claims,
                              self.other_rsa)
        self.assertRefused(token, SIGNATURE, claims["sub"], "x5u")
        self.assertEqual(self.jku.fetches(), [], "the server fetched the token's x5u")

    # ------------------------------------------------------------------ claims

    def test_expired_beyond_the_leeway(self):
        now = int(time.time())
        for exp in (now - LEEWAY - 30, now - 86400, 0):
            with self.subTest(exp=exp):
                claims = self.claims(exp=exp, iat=min(exp, now) - 3600)
                self.assertRefused(self.moto_signed(claims), EXPIRED, claims["sub"])

    def test_not_before_beyond_the_leeway(self):
        now = int(time.time())
        for nbf in (now + LEEWAY + 30, now + 86400):
            with self.subTest(nbf=nbf):
                claims = self.claims(nbf=nbf)
                self.assertRefused(self.moto_signed(claims), NOT_YET_VALID, claims["sub"])

    def test_wrong_issuer(self):
        for iss in (self.pool.issuer + "/", self.pool.issuer.replace("us-east-1", "eu-west-1"),
                    "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other",
                    self.pool.moto.endpoint + "/" + self.pool.pool_id, _DROP):
            with self.subTest(iss=iss):
                claims = self.claims(iss=iss)
                self.assertRefused(self.moto_signed(claims), ISSUER, claims["sub"])
        # A real token of another pool of the same moto (same key, another iss).
        mallory = self.other_pool.tokens["mallory"]
        self.assertRefused(mallory.id_token, ISSUER, mallory.sub, "another pool's ID token")
        self.assertRefused(mallory.access_token, ISSUER, mallory.sub,
                           "another pool's access token")

    def test_wrong_audience(self):
        for what, claims in (
                ("aud of another client", self.claims(aud="another-client")),
                ("aud array without the client", self.claims(aud=["a", "b"])),
                ("wrong aud, right client_id", self.claims(aud="x",
                                                           client_id=self.pool.client_id)),
                ("neither aud nor client_id", self.claims(aud=_DROP)),
                ("access token of another client", self.claims("access",
                                                               client_id="another-client")),
                ("access token without client_id", self.claims("access", client_id=_DROP))):
            with self.subTest(what):
                self.assertRefused(self.moto_signed(claims), AUDIENCE, claims["sub"], what)
        # Real tokens from another app client of the same pool.
        self.assertRefused(self.alice_other_client.id_token, AUDIENCE, self.alice.sub,
                           "ID token of another app client")
        self.assertRefused(self.alice_other_client.access_token, AUDIENCE, self.alice.sub,
                           "access token of another app client")

    def test_missing_or_bad_claims(self):
        for what, claims, reason in (
                ("no exp", self.claims(exp=_DROP), MALFORMED),
                ("exp a string", self.claims(exp=str(int(time.time()) + 3600)), MALFORMED),
                ("nbf a string", self.claims(nbf="0"), MALFORMED),
                ("no sub", self.claims(sub=_DROP), NO_SUBJECT),
                ("empty sub", self.claims(sub=""), NO_SUBJECT),
                ("sub a number", self.claims(sub=42), NO_SUBJECT)):
            with self.subTest(what):
                self.assertRefused(self.moto_signed(claims), reason, None, what)

    # ------------------------------------------------------------------ bytes and shapes

    def test_flipped_bytes(self):
        token = self.alice.id_token
        header, payload, sig = token.split(".")

        def flip(segment, at):
            c = segment[at]
            return segment[:at] + ("B" if c != "B" else "C") + segment[at + 1:]

        for what, forged, reason in (
                ("payload byte", "%s.%s.%s" % (header, flip(payload, len(payload) // 2), sig),
                 SIGNATURE),
                ("first payload byte", "%s.%s.%s" % (header, flip(payload, 0), sig), None),
                ("signature byte", "%s.%s.%s" % (header, payload, flip(sig, len(sig) // 2)),
                 SIGNATURE),
                ("truncated signature", "%s.%s.%s" % (header, payload, sig[:-4]), None),
                ("header byte", "%s.%s.%s" % (flip(header, len(header) // 2), payload, sig),
                 None)):
            with self.subTest(what):
                self.assertRefused(forged, reason, self.alice.sub, what)

    def test_not_three_segments(self):
        h, p, s = self.alice.id_token.split(".")
        for what, forged in (("one", h + p + s), ("two", h + "." + p), ("four", "%s.%s.%s.%s"
                                                                          % (h, p, s, s)),
                             ("five (JWE shape)", ".".join([h, p, "", p, s])),
                             ("empty segments", ".."), ("dots", "...")):
            with self.subTest(what):
                self.assertRefused(forged, MALFORMED, self.alice.sub, what)

    def test_bad_base64(self):
        h, p, s = self.alice.id_token.split(".")

        def one_mod_four(seg):
            return seg + "A" * ((1 - len(seg)) % 4 or 4)

        # The payload is signed as text: a bad payload segment fails the signature (checked
        # before any claim is decoded) or is called malformed; either way 401.
        payload_reasons = (MALFORMED, SIGNATURE)
        for what, forged, reason in (
                ("standard alphabet in the payload",
                 "%s.%s.%s" % (h, p[:10] + "+/" + p[12:], s), payload_reasons),
                ("standard alphabet in the header", "%s.%s.%s" % (h[:4] + "+/" + h[6:], p, s),
                 MALFORMED),
                ("standard alphabet in the signature",
                 "%s.%s.%s" % (h, p, s[:8] + "+/" + s[10:]), MALFORMED),
                ("a padded signature", "%s.%s.%s=" % (h, p, s), MALFORMED),
                ("a padded header", "%s==.%s.%s" % (h, p, s), MALFORMED_BEARER),
                ("payload of length 1 mod 4", "%s.%s.%s" % (h, one_mod_four(p), s),
                 payload_reasons),
                ("header of length 1 mod 4", "%s.%s.%s" % (one_mod_four(h), p, s), MALFORMED),
                ("signature of length 1 mod 4", "%s.%s.%s" % (h, p, one_mod_four(s)),
                 MALFORMED),
                ("tilde in the payload", "%s.%s.%s" % (h, "~" + p[1:], s), payload_reasons),
                ("tilde in the header", "%s.%s.%s" % ("~" + h[1:], p, s), MALFORMED)):
            with self.subTest(what):
                self.assertRefused(forged, reason, self.alice.sub, what)

    def test_header_shapes(self):
        claims = self.claims()
        for what, header in (("not JSON", b"not json"), ("an array", b"[]"),
                             ("no kid", {"alg": "RS256"}), ("kid a number", {"alg": "RS256",
                                                                              "kid": 1}),
                             ("no alg", {"kid": MOTO_KID}),
                             ("crit", {"alg": "RS256", "kid": MOTO_KID, "crit": ["exp"]}),
                             ("repeated kid", b'{"alg":"RS256","kid":"x","kid":"dummy"}')):
            with self.subTest(what):
                if isinstance(header, bytes):
                    signing_input = "%s.%s" % (jt.b64url(header),
                                               jt.b64url(json.dumps(claims)))
                    from cryptography.hazmat.primitives import hashes
                    from cryptography.hazmat.primitives.asymmetric import padding
                    sig = self.key.sign(signing_input.encode(), padding.PKCS1v15(),
                                        hashes.SHA256())
                    token = signing_input + "." + jt.b64url(sig)
                else:
                    token = jt.sign_rs256(header, claims, self.key) if "alg" in header else \
                        jt.encode_unsigned(header, claims, b"x" * 256)
                self.assertRefused(token, MALFORMED, claims["sub"], what)

    def test_too_large(self):
        claims = self.claims()
        for length in (MAX_TOKEN + 1, 16000):
            with self.subTest(length=length):
                token = jt.token_of_length(length, {"kid": MOTO_KID, "typ": "JWT"}, claims,
                                           lambda h, c: jt.sign_rs256(h, c, self.key))
                self.assertRefused(token, TOO_LARGE, claims["sub"], "%d bytes" % length)


class _Drop:
    def __repr__(self):
        return "<absent>"


_DROP = _Drop()


# ================================================================================== JWKS


class JwksTest(AuthCase):

    @classmethod
    def setUpClass(cls):
        _moto, cls.pool = module_pool()
        cls.tmp = tempfile.mkdtemp(prefix="sbapi-jwks-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def assertRefusesToStart(self, args, needle=None):
        code, out, err, bound = serve_until_exit(
            ["--data-dir", os.path.join(self.tmp, uuid.uuid4().hex)] + list(args))
        self.assertEqual(code, 1, "stdout:\n%s\nstderr:\n%s" % (out, err))
        self.assertFalse(bound, "it listened before giving up")
        self.assertNotIn('"listening"', out)
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, "expected one stderr line: %r" % err)
        self.assertGreater(len(lines[0].strip()), 10, err)
        if needle:
            self.assertIn(needle.lower(), err.lower())
        return lines[0]

    def jwt_args(self, **changes):
        args = {"--jwt-issuer": self.pool.issuer, "--jwt-audience": self.pool.client_id,
                "--jwks-url": self.pool.jwks_url}
        args.update(changes)
        out = ["--auth", "jwt"]
        for name, value in args.items():
            if value is not None:
                out += [name, value]
        return out

    def test_unreachable_jwks_at_start_exits_1_with_one_line(self):
        url = "http://127.0.0.1:%d/%s/.well-known/jwks.json" % (free_port(), self.pool.pool_id)
        line = self.assertRefusesToStart(self.jwt_args(**{"--jwks-url": url}))
        self.assertIn("jwks", line.lower())

    def test_jwks_that_is_not_a_key_set_exits_1(self):
        for status, body in ((404, b'{"message":"not here"}'), (500, b"oops"),
                             (200, b"<html>not json</html>"), (200, b'{"keys":"nope"}')):
            with self.subTest(status=status, body=body):
                fake = FakeJwksServer(status, body)
                try:
                    self.assertRefusesToStart(self.jwt_args(**{"--jwks-url": fake.url()}))
                    self.assertGreaterEqual(len(fake.fetches()), 1)
                finally:
                    fake.close()

    def test_missing_jwks_file_exits_1(self):
        self.assertRefusesToStart(self.jwt_args(**{
            "--jwks-url": None, "--jwks-file": os.path.join(self.tmp, "missing.json")}))

    def test_missing_issuer_exits_1(self):
        self.assertRefusesToStart(self.jwt_args(**{"--jwt-issuer": None}), "--jwt-issuer")

    def test_jwks_file_instead_of_url(self):
        path = os.path.join(self.tmp, "jwks.json")
        with open(path, "w") as f:
            json.dump(moto_public_jwks(), f)
        alice = self.pool.tokens["alice"]
        with SbapiServer(extra_args=self.jwt_args(**{"--jwks-url": None,
                                                     "--jwks-file": path})) as srv:
            self.srv = srv
            try:
                self.expect(self.call("POST", "/users", alice.id_token,
                                      {"userId": alice.sub, "email": new_email()}), 201)
                self.expect(self.call("GET", "/users/" + alice.sub, alice.access_token), 200)
                self.expect401(self.call("GET", "/users/" + alice.sub,
                                         jt.sign_rs256({"kid": "other"}, jt.decode(
                                             alice.id_token)[1], moto_signing_key())),
                               UNKNOWN_KEY)
            finally:
                self.srv = None

    def test_stopping_the_issuer_keeps_existing_tokens_working(self):
        moto = Moto.start()
        try:
            pool = CognitoPool.create(moto, users=["dora"], admins=["eve"])
            dora, eve = pool.tokens["dora"], pool.tokens["eve"]
            self.srv = SbapiServer(extra_args=pool.serve_args())
            self.admin = eve.id_token
            self.expect(self.call("POST", "/users", dora.id_token,
                                  {"userId": dora.sub, "email": new_email()}), 201)
        finally:
            moto.stop()
        try:
            self.assertFalse(moto.alive())
            for token in (dora.id_token, dora.access_token):
                self.expect(self.call("GET", "/users/" + dora.sub, token), 200)
            # An unknown kid makes the server try the (now unreachable) JWKS again: 401, and
            # the keys it has keep working.
            forged = jt.sign_rs256({"kid": "rotated"}, jt.decode(dora.id_token)[1],
                                   moto_signing_key())
            for _ in range(3):
                self.expect401(self.call("GET", "/users/" + dora.sub, forged), UNKNOWN_KEY)
            self.assertTrue(self.srv.alive())
            self.expect(self.call("PUT", "/users/" + dora.sub, dora.access_token,
                                  {"name": "Dora"}), 200)
            self.expect(self.call("GET", "/users/" + dora.sub, eve.access_token), 200)
            self.expect(self.call("DELETE", "/users/" + dora.sub, eve.id_token), 200)
        finally:
            self.srv.stop()
            self.srv = None

    def test_unknown_kid_refetches_at_most_once_a_minute(self):
        fake = FakeJwksServer(200, json.dumps(moto_public_jwks()).encode())
        alice = self.pool.tokens["alice"]
        try:
            self.srv = SbapiServer(extra_args=self.jwt_args(**{"--jwks-url": fake.url()}))
            try:
                at_start = len(fake.fetches())
                self.assertGreaterEqual(at_start, 1, "the JWKS was not fetched at start")
                claims = jt.decode(alice.id_token)[1]
                for i in range(8):
                    forged = jt.sign_rs256({"kid": "unknown-%d" % i}, claims, moto_signing_key())
                    self.expect401(self.call("GET", "/users/" + alice.sub, forged), UNKNOWN_KEY)
                self.assertLessEqual(len(fake.fetches()), at_start + 1,
                                     "unknown kids made the server fetch %d times"
                                     % (len(fake.fetches()) - at_start))
                self.expect(self.call("GET", "/users/" + alice.sub, alice.id_token), 404,
                            USER_NOT_FOUND)
            finally:
                self.srv.stop()
                self.srv = None
        finally:
            fake.close()


# ================================================================================== options


class ClaimOptionsTest(AuthCase):
    """Configured through the SBAPI_* environment alone: issuer, two audiences, a JWKS file, a
    subject claim `uid`, a groups claim `roles` and admin group `ops`."""

    ISSUER = "https://issuer.example.test/pool"

    @classmethod
    def setUpClass(cls):
        require(jt.unavailable() or cognito.unavailable())
        cls.tmp = tempfile.mkdtemp(prefix="sbapi-claims-")
        path = os.path.join(cls.tmp, "jwks.json")
        with open(path, "w") as f:
            json.dump(moto_public_jwks(), f)
        cls.key = moto_signing_key()
        cls.srv = SbapiServer(env={
            "SBAPI_AUTH": "jwt", "SBAPI_JWT_ISSUER": cls.ISSUER,
            "SBAPI_JWT_AUDIENCE": "app-one,app-two", "SBAPI_JWKS_FILE": path,
            "SBAPI_ADMIN_GROUP": "ops", "SBAPI_JWT_GROUPS_CLAIM": "roles",
            "SBAPI_JWT_SUBJECT_CLAIM": "uid"})
        cls.admin = cls.token(uid="root-1", roles=["ops"])

    @classmethod
    def tearDownClass(cls):
        if cls.srv is not None:
            cls.srv.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def token(cls, aud="app-one", **claims):
        now = int(time.time())
        body = {"iss": cls.ISSUER, "aud": aud, "iat": now, "exp": now + 600}
        body.update(claims)
        return jt.sign_rs256({"kid": MOTO_KID}, body, cls.key)

    def test_subject_claim_and_both_audiences(self):
        for aud in ("app-one", "app-two"):
            uid = new_id("u")
            self.create_user(self.token(aud=aud, uid=uid, sub="someone-else"), uid)
            self.expect(self.call("GET", "/users/" + uid, self.token(aud=aud, uid=uid)), 200)
        # `sub` alone is no subject any more.
        uid = new_id("u")
        self.expect401(self.call("POST", "/users", self.token(sub=uid),
                                 {"userId": uid, "email": new_email()}), NO_SUBJECT)
        self.assertNoUser(uid)
        self.expect401(self.call("GET", "/users/x", self.token(aud="app-three", uid="x")),
                       AUDIENCE)

    def test_admin_group_and_groups_claim(self):
        owner = new_id("u")
        self.create_user(self.token(uid=owner), owner)
        for what, token, status in (
                ("roles [ops]", self.token(uid="o1", roles=["ops"]), 200),
                ("roles [x, ops]", self.token(uid="o2", roles=["x", "ops"]), 200),
                ("cognito:groups [admin] is not read",
                 self.token(uid="o3", **{"cognito:groups": ["admin", "ops"]}), 403),
                ("roles [admin]", self.token(uid="o4", roles=["admin"]), 403),
                ("roles [Ops]", self.token(uid="o5", roles=["Ops"]), 403)):
            with self.subTest(what):
                self.expect(self.call("GET", "/users/" + owner, token), status,
                            None if status == 200 else NOT_YOUR_USER, what)


# ================================================================================== local


class LocalModeTest(AuthCase):

    @classmethod
    def setUpClass(cls):
        cls.data_dir = tempfile.mkdtemp(prefix="sbapi-local-auth-")
        cls.alice = local_token(cls.data_dir, "alice-1")
        cls.bob = local_token(cls.data_dir, "bob-1", ttl="15m")
        cls.admin = local_token(cls.data_dir, "root-1", groups=["admin"])
        cls.srv = SbapiServer(data_dir=cls.data_dir, extra_args=["--auth", "local"])

    @classmethod
    def tearDownClass(cls):
        if cls.srv is not None:
            cls.srv.stop()
        shutil.rmtree(cls.data_dir, ignore_errors=True)

    def test_tokens_act_as_their_subject_and_admin_group(self):
        self.delete_as_admin("alice-1")
        stored = self.create_user(self.alice, "alice-1")["user"]
        self.expect(self.call("GET", "/users/alice-1", self.alice), 200)
        self.expect(self.call("GET", "/users/alice-1", self.bob), 403, NOT_YOUR_USER)
        self.expect(self.call("PUT", "/users/alice-1", self.bob, {"name": "x"}), 403,
                    NOT_YOUR_USER)
        self.assertEqual(self.user_as_admin("alice-1"), stored)
        self.expect(self.call("POST", "/users", self.bob, {"userId": "carl-1",
                                                            "email": new_email()}),
                    403, NOT_YOUR_USER)
        self.assertNoUser("carl-1")
        asset = self.expect(self.call("POST", "/assets", self.alice, {
            "assetId": new_id("a"), "fileName": "n.txt"}), 201)["asset"]
        self.assertEqual(asset["ownerId"], "alice-1")
        self.expect(self.call("GET", "/assets/" + asset["assetId"], self.bob), 404,
                    ASSET_NOT_FOUND)
        self.assertEqual(self.asset_as_admin(asset["assetId"]), asset)
        self.expect(self.call("DELETE", "/users/alice-1", self.admin), 200)
        self.expect401(self.call("GET", "/users/alice-1"), AUTH_REQUIRED, False)

    def test_token_shape(self):
        header, claims = jt.decode(self.bob)
        self.assertEqual(header.get("alg"), "ES256")
        self.assertTrue(header.get("kid"))
        self.assertEqual(claims["sub"], "bob-1")
        self.assertEqual(claims["exp"] - claims["iat"], 15 * 60)
        self.assertLessEqual(abs(claims["iat"] - time.time()), 60)
        self.assertEqual(jt.decode(self.admin)[1].get("cognito:groups"), ["admin"])

    def test_jwks_endpoint_is_public_and_its_key_verifies_the_tokens(self):
        require(jt.unavailable())
        status, headers, jwks = self.call("GET", "/.well-known/jwks.json")
        self.assertEqual(status, 200, jwks)
        self.assertEqual(headers.get("content-type", "").split(";")[0], "application/json")
        self.assertEqual(len(jwks["keys"]), 1, jwks)
        key = jwks["keys"][0]
        self.assertEqual((key["kty"], key["crv"]), ("EC", "P-256"))
        self.assertNotIn("d", key, "the JWKS publishes the private key")
        for token in (self.alice, self.bob, self.admin):
            self.assertEqual(jt.decode(token)[0]["kid"], key["kid"])
            self.assertTrue(jt.verify_es256(token, key), "the published key does not verify")
        h, p, s = self.alice.split(".")
        forged_payload = jt.b64url(json.dumps(dict(jt.decode(self.alice)[1], sub="bob-1")))
        self.assertFalse(jt.verify_es256("%s.%s.%s" % (h, forged_payload, s), key))
        # With a (bad) token too, it stays public.
        self.assertEqual(self.call("GET", "/.well-known/jwks.json", "garbage")[0], 200)

    def test_key_file_is_private(self):
        path = os.path.join(self.data_dir, "auth", "token-signing-key.pem")
        self.assertTrue(os.path.isfile(path), os.listdir(self.data_dir))
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) & 0o077, 0)

    def test_token_of_another_data_dir_is_401(self):
        other = tempfile.mkdtemp(prefix="sbapi-local-other-")
        try:
            token = local_token(other, "alice-1", groups=["admin"])
        finally:
            shutil.rmtree(other, ignore_errors=True)
        self.assertNotEqual(jt.decode(token)[0]["kid"], jt.decode(self.alice)[0]["kid"])
        self.expect401(self.call("POST", "/users", token, {"userId": "alice-1",
                                                          "email": new_email()}), UNKNOWN_KEY)
        self.assertNoUser("alice-1")

    def test_cognito_shaped_token_is_401(self):
        require(jt.unavailable() or cognito.unavailable())
        now = int(time.time())
        token = jt.sign_rs256({"kid": MOTO_KID}, {
            "iss": "sbapi-local", "aud": "sbapi-local", "sub": "alice-1", "exp": now + 600,
            "cognito:groups": ["admin"]}, moto_signing_key())
        self.expect401(self.call("GET", "/users/alice-1", token), UNKNOWN_KEY)
        # The local issuer's own claims, signed by another EC key under its kid.
        kid = jt.decode(self.alice)[0]["kid"]
        forged = jt.sign_es256({"kid": kid, "typ": "JWT"}, dict(jt.decode(self.alice)[1],
                                                                **{"cognito:groups": ["admin"]}),
                               jt.new_ec_key())
        self.expect401(self.call("GET", "/users/alice-1", forged), SIGNATURE)

    def test_records_made_with_auth_off_are_seen_by_admins_only(self):
        data_dir = tempfile.mkdtemp(prefix="sbapi-local-off-")
        try:
            aid = new_id("a")
            with SbapiServer(data_dir=data_dir, extra_args=["--auth", "none"]) as open_srv:
                status, _h, body = open_srv.request("POST", "/assets",
                                                    {"assetId": aid, "fileName": "old.txt"})
                self.assertEqual(status, 201, body)
                self.assertNotIn("ownerId", body["asset"])
            alice = local_token(data_dir, "alice-1")
            admin = local_token(data_dir, "root-1", groups=["admin"])
            with SbapiServer(data_dir=data_dir, extra_args=["--auth", "local"]) as srv:
                self.srv, saved_admin = srv, self.admin
                self.admin = admin
                try:
                    self.expect(self.call("GET", "/assets/" + aid, alice), 404, ASSET_NOT_FOUND)
                    self.expect(self.call("POST", "/assets", alice, {
                        "assetId": aid, "fileName": "mine.txt"}), 409, TAKEN)
                    stored = self.asset_as_admin(aid)
                    self.assertEqual(stored["fileName"], "old.txt")
                    self.assertNotIn("ownerId", stored)
                finally:
                    self.srv, self.admin = type(self).srv, saved_admin
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)


# ================================================================================== refusal


class RefusalTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sbapi-refusal-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def assertRefused(self, args, env=None):
        code, out, err, bound = serve_until_exit(["--data-dir", self.tmp] + list(args), env)
        self.assertEqual(code, 1, "stdout:\n%s\nstderr:\n%s" % (out, err))
        self.assertFalse(bound, "it listened on the port before refusing")
        self.assertNotIn('"listening"', out)
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, "expected one stderr line: %r" % err)
        self.assertIn("--auth", lines[0], "the line should say what to choose: %r" % lines[0])
        self.assertIn("0.0.0.0", lines[0])

    def test_non_loopback_host_without_auth_refuses_to_start(self):
        self.assertRefused(["--host", "0.0.0.0"])

    def test_non_loopback_host_from_the_environment(self):
        self.assertRefused([], {"SBAPI_HOST": "0.0.0.0"})

    def test_loopback_without_auth_is_open(self):
        with SbapiServer() as srv:
            status, _h, body = srv.request("POST", "/users", {"userId": new_id("u"),
                                                             "email": new_email()})
            self.assertEqual(status, 201, body)
            self.assertNotIn("ownerId", srv.request("POST", "/assets", {
                "assetId": new_id("a"), "fileName": "x"})[2]["asset"])


# ================================================================================== aws


class AwsBackendTest(AuthCase):
    """`serve --backend aws --auth jwt`: DynamoDB on moto (the module's, which also hosts the
    pool), S3 on s3rver."""

    @classmethod
    def setUpClass(cls):
        moto, cls.pool = module_pool()
        require(S3rver.unavailable())
        cls.s3 = S3rver.start("sbapi-auth-key", "sbapi-auth-secret")
        try:
            suffix = uuid.uuid4().hex[:8]
            cls.env = {
                "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "sbapi-auth-key",
                "AWS_SECRET_ACCESS_KEY": "sbapi-auth-secret",
                "AWS_ENDPOINT_URL_DYNAMODB": moto.endpoint, "AWS_ENDPOINT_URL_S3": cls.s3.endpoint,
                "USERS_TABLE_NAME": "auth-users-" + suffix,
                "ASSETS_TABLE_NAME": "auth-assets-" + suffix, "ASSETS_BUCKET_NAME": "sbapi-assets"}
            code, out, err = run_sbapi(["create-tables"], cls.env, timeout=120)
            if code != 0:
                raise AssertionError("create-tables exited %d:\n%s\n%s" % (code, out, err))
            saved = os.environ.get("SBAPI_NO_DATA_DIR")
            os.environ["SBAPI_NO_DATA_DIR"] = "1"
            try:
                cls.srv = SbapiServer(extra_args=["--backend", "aws"] + cls.pool.serve_args(),
                                      env=cls.env)
            finally:
                if saved is None:
                    os.environ.pop("SBAPI_NO_DATA_DIR", None)
                else:
                    os.environ["SBAPI_NO_DATA_DIR"] = saved
        except BaseException:
            cls.s3.stop()
            raise
        cls.alice = cls.pool.tokens["alice"]
        cls.bob = cls.pool.tokens["bob"]
        cls.admin = cls.pool.tokens["carol"].id_token

    @classmethod
    def tearDownClass(cls):
        if cls.srv is not None:
            cls.srv.stop()
        cls.s3.stop()

    def test_owner_other_admin_flow(self):
        alice, bob = self.alice, self.bob
        self.expect401(self.call("GET", "/users/" + alice.sub), AUTH_REQUIRED, False)
        stored = self.create_user(alice.id_token, alice.sub)["user"]
        self.expect(self.call("GET", "/users/" + alice.sub, alice.access_token), 200)
        self.expect(self.call("GET", "/users/" + alice.sub, bob.id_token), 403, NOT_YOUR_USER)
        self.expect(self.call("PUT", "/users/" + alice.sub, bob.access_token, {"name": "x"}), 403,
                    NOT_YOUR_USER)
        self.expect(self.call("DELETE", "/users/" + alice.sub, bob.id_token), 403, NOT_YOUR_USER)
        self.assertEqual(self.user_as_admin(alice.sub), stored)
        other = new_id("u")
        self.expect(self.call("POST", "/users", bob.id_token, {"userId": other,
                                                                "email": new_email()}),
                    403, NOT_YOUR_USER)
        self.assertNoUser(other)
        self.expect401(self.call("POST", "/users", jt.sign_rs256(
            {"kid": MOTO_KID}, dict(jt.decode(bob.id_token)[1], exp=int(time.time()) - 600),
            moto_signing_key()), {"userId": bob.sub, "email": new_email()}), EXPIRED)
        self.assertNoUser(bob.sub)

        created = self.expect(self.call("POST", "/assets", alice.id_token, {
            "assetId": new_id("a"), "fileName": "r.txt", "contentType": "text/plain"}), 201)
        asset = created["asset"]
        self.assertEqual(asset["ownerId"], alice.sub)
        self.expect(self.call("GET", "/assets/" + asset["assetId"], bob.id_token), 404,
                    ASSET_NOT_FOUND)
        self.expect(self.call("GET", "/assets/%s/download" % asset["assetId"], bob.id_token),
                    404, ASSET_NOT_FOUND)
        self.expect(self.call("POST", "/assets", bob.id_token, {
            "assetId": asset["assetId"], "fileName": "evil.txt"}), 409, TAKEN)
        aid = new_id("a")
        self.expect(self.call("POST", "/assets", alice.id_token, {
            "assetId": aid, "fileName": "o.txt", "ownerId": bob.sub}), 400)
        self.assertNoAsset(aid)
        self.assertEqual(self.asset_as_admin(asset["assetId"]), asset)
        # Upload to s3rver with the presigned URL, no token; download likewise.
        data = b"owned bytes\x00"
        status, _h, raw = url_request(created["uploadUrl"], "PUT", data,
                                      {"Content-Type": "text/plain"})
        self.assertEqual(status, 200, raw[:300])
        info = self.expect(self.call("GET", "/assets/%s/download" % asset["assetId"],
                                     self.admin), 200)
        status, _h, raw = url_request(info["downloadUrl"])
        self.assertEqual((status, raw), (200, data))
        self.expect(self.call("DELETE", "/users/" + alice.sub, self.admin), 200)
        self.assertNoUser(alice.sub)


# ================================================================================== Lambda


def _load_event(name):
    with open(os.path.join(EVENTS_DIR, name), encoding="utf-8") as f:
        return json.load(f)


class LambdaGatewayTest(unittest.TestCase):
    """`sbapi invoke --event FILE` with SBAPI_AUTH=gateway (local backend): the caller is API
    Gateway's authorizer claims, v1 `requestContext.authorizer.claims` (groups "a,b"), v2
    `requestContext.authorizer.jwt.claims` (groups "[a b]")."""

    @classmethod
    def setUpClass(cls):
        cls.data_dir = tempfile.mkdtemp(prefix="sbapi-gateway-")
        cls.v1 = _load_event("api-v1-get-user.json")
        cls.v2 = _load_event("api-v2-get-user.json")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.data_dir, ignore_errors=True)

    # ------------------------------------------------------------------ events

    @staticmethod
    def _resource(path):
        parts = path.strip("/").split("/")
        params = None
        if parts[0] == "users":
            resource = "/users" if len(parts) == 1 else "/users/{userId}"
            if len(parts) > 1:
                params = {"userId": parts[1]}
        elif parts[0] == "assets":
            resource = "/assets" + ("/{assetId}" if len(parts) > 1 else "") + \
                ("/download" if len(parts) > 2 else "")
            if len(parts) > 1:
                params = {"assetId": parts[1]}
        else:
            resource = path
        return resource, params

    def v1_event(self, method, path, body=None, claims=None, headers=None):
        event = copy.deepcopy(self.v1)
        resource, params = self._resource(path)
        event.update(httpMethod=method, path=path, resource=resource, pathParameters=params,
                     body=None if body is None else json.dumps(body))
        event["requestContext"].update(httpMethod=method, resourcePath=resource,
                                       path="/v1" + path, requestId=str(uuid.uuid4()))
        if body is not None:
            event["headers"]["Content-Type"] = "application/json"
            event["multiValueHeaders"]["Content-Type"] = ["application/json"]
        for name, value in (headers or {}).items():
            event["headers"][name] = value
            event["multiValueHeaders"][name] = [value]
        if claims is not None:
            event["requestContext"]["authorizer"] = {"claims": claims}
        return event

    def v2_event(self, method, path, body=None, claims=None, headers=None):
        event = copy.deepcopy(self.v2)
        resource, params = self._resource(path)
        event.update(routeKey="%s %s" % (method, resource), rawPath=path, pathParameters=params)
        if params is None:
            event.pop("pathParameters")
        ctx = event["requestContext"]
        ctx.update(routeKey=event["routeKey"], stage="$default", requestId=uuid.uuid4().hex[:16])
        ctx["http"].update(method=method, path=path)
        if body is not None:
            event["body"] = json.dumps(body)
            event["headers"]["content-type"] = "application/json"
        for name, value in (headers or {}).items():
            event["headers"][name.lower()] = value
        if claims is not None:
            ctx["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
        return event

    def invoke(self, event, env=None):
        """(statusCode, parsed body) of `sbapi invoke --event FILE` with SBAPI_AUTH=gateway."""
        fd, path = tempfile.mkstemp(prefix="event-", suffix=".json", dir=self.data_dir)
        with os.fdopen(fd, "w") as f:
            json.dump(event, f)
        try:
            code, out, err = run_sbapi(["invoke", "--event", path, "--data-dir", self.data_dir],
                                       dict({"SBAPI_AUTH": "gateway"}, **(env or {})))
        finally:
            os.unlink(path)
        self.assertEqual(code, 0, "sbapi invoke exited %d\nstdout:%s\nstderr:\n%s"
                         % (code, out, err))
        result = json.loads(out)
        response_log.record_invoke(result, event)  # SBAPI_RESPONSE_LOG: marked lambda-invoke
        body = json.loads(result["body"]) if result.get("body") else None
        return result["statusCode"], body, result

    def expect(self, event, status, error=None, env=None):
        got, body, result = self.invoke(event, env)
        self.assertEqual(got, status, "expected %d, got %d: %r" % (status, got, body))
        if error is not None:
            self.assertEqual(body, {"error": error})
        return body

    # ------------------------------------------------------------------ tests

    def test_users_owner_other_admin_v1_and_v2(self):
        alice = {"sub": "alice-gw", "cognito:username": "alice", "email": "a@example.com"}
        bob = {"sub": "bob-gw", "cognito:groups": "staff,users"}
        admin_v1 = {"sub": "root-gw", "cognito:groups": "staff,admin"}
        admin_v2 = {"sub": "root-gw", "cognito:groups": "[staff admin]"}
        not_admin_v2 = {"sub": "bob-gw", "cognito:groups": "[administrators]"}
        user = {"userId": "alice-gw", "email": "alice@example.com"}
        for mk in (self.v1_event, self.v2_event):
            with self.subTest(mk.__name__):
                created = self.expect(mk("POST", "/users", user, alice), 201)["user"]
                self.assertEqual(self.expect(mk("GET", "/users/alice-gw", claims=alice), 200),
                                 created)
                self.expect(mk("GET", "/users/alice-gw", claims=bob), 403, NOT_YOUR_USER)
                self.expect(mk("PUT", "/users/alice-gw", {"name": "x"}, bob), 403, NOT_YOUR_USER)
                self.expect(mk("DELETE", "/users/alice-gw", claims=bob), 403, NOT_YOUR_USER)
                self.expect(mk("POST", "/users", {"userId": "carl-gw", "email": "c@example.com"},
                               bob), 403, NOT_YOUR_USER)
                self.expect(mk("GET", "/users/carl-gw", claims=admin_v1), 404, USER_NOT_FOUND)
                self.expect(mk("GET", "/users/alice-gw", claims=not_admin_v2), 403,
                            NOT_YOUR_USER)
                for admin in (admin_v1, admin_v2):
                    self.assertEqual(self.expect(mk("GET", "/users/alice-gw", claims=admin),
                                                 200), created)
                self.expect(mk("PUT", "/users/alice-gw", {"name": "By admin"}, admin_v2), 200)
                self.expect(mk("DELETE", "/users/alice-gw", claims=admin_v1), 200)
                self.expect(mk("GET", "/users/alice-gw", claims=alice), 404, USER_NOT_FOUND)

    def test_groups_as_a_json_array_of_strings(self):
        admin = {"sub": "root-gw", "cognito:groups": ["staff", "admin"]}
        self.expect(self.v2_event("GET", "/users/nobody-gw", claims=admin), 404, USER_NOT_FOUND)

    def test_assets_owner_other_admin(self):
        alice = {"sub": "alice-gw2"}
        bob = {"sub": "bob-gw2"}
        admin = {"sub": "root-gw", "cognito:groups": "admin"}
        aid = new_id("a")
        asset = self.expect(self.v1_event("POST", "/assets", {"assetId": aid,
                                                               "fileName": "x.pdf"}, alice),
                            201)["asset"]
        self.assertEqual(asset["ownerId"], "alice-gw2")
        self.expect(self.v2_event("GET", "/assets/" + aid, claims=bob), 404, ASSET_NOT_FOUND)
        self.expect(self.v1_event("GET", "/assets/%s/download" % aid, claims=bob), 404,
                    ASSET_NOT_FOUND)
        self.expect(self.v2_event("POST", "/assets", {"assetId": aid, "fileName": "y.pdf"}, bob),
                    409, TAKEN)
        other = new_id("a")
        got, body, _ = self.invoke(self.v1_event("POST", "/assets", {
            "assetId": other, "fileName": "y.pdf", "ownerId": "bob-gw2"}, bob))
        self.assertEqual(got, 400, body)
        self.expect(self.v2_event("GET", "/assets/" + other, claims=admin), 404, ASSET_NOT_FOUND)
        self.assertEqual(self.expect(self.v2_event("GET", "/assets/" + aid, claims=admin), 200),
                         asset)
        self.expect(self.v1_event("GET", "/assets/%s/download" % aid, claims=alice), 200)

    def test_no_claims_on_a_protected_route_is_401(self):
        target = {"userId": "nobody-gw", "email": "n@example.com"}
        local_dir = tempfile.mkdtemp(prefix="sbapi-gw-token-")
        try:
            token = local_token(local_dir, "nobody-gw", groups=["admin"])
        finally:
            shutil.rmtree(local_dir, ignore_errors=True)
        for mk in (self.v1_event, self.v2_event):
            with self.subTest(mk.__name__):
                for event in (mk("POST", "/users", target),
                              mk("GET", "/users/nobody-gw"),
                              mk("POST", "/assets", {"assetId": "gw-a", "fileName": "f"}),
                              # A bearer token in the headers is not the authorizer's word.
                              mk("POST", "/users", target, headers=bearer(token)),
                              # Claims without a subject are no caller.
                              mk("POST", "/users", target, claims={"cognito:groups": "admin"}),
                              mk("POST", "/users", target, claims={"sub": ""})):
                    got, body, _ = self.invoke(event)
                    self.assertEqual(got, 401, body)
                    self.assertEqual(set(body), {"error"})
        admin = {"sub": "root-gw", "cognito:groups": "admin"}
        self.expect(self.v1_event("GET", "/users/nobody-gw", claims=admin), 404, USER_NOT_FOUND)
        self.expect(self.v1_event("GET", "/assets/gw-a", claims=admin), 404, ASSET_NOT_FOUND)

    def test_public_routes_need_no_claims(self):
        got, body, _ = self.invoke(self.v1_event("GET", "/health"))
        self.assertEqual((got, body), (200, {"status": "ok"}))
        got, _b, _ = self.invoke(self.v2_event("OPTIONS", "/users"))
        self.assertEqual(got, 204)

    def test_s3_event_needs_no_claims(self):
        # The uploads function is fed by S3, not API Gateway: no authorizer is involved.
        alice = {"sub": "alice-gw3"}
        self.expect(self.v1_event("POST", "/assets", {
            "assetId": "a1", "fileName": "Quarterly report (2026) été.pdf",
            "contentType": "application/pdf"}, alice), 201)
        fd, path = tempfile.mkstemp(prefix="s3-", suffix=".json", dir=self.data_dir)
        os.close(fd)
        shutil.copy(os.path.join(EVENTS_DIR, "s3-object-created.json"), path)
        try:
            code, out, err = run_sbapi(["invoke", "--event", path, "--data-dir", self.data_dir],
                                       {"SBAPI_AUTH": "gateway"})
        finally:
            os.unlink(path)
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["records"][0]["result"], "uploaded")
        asset = self.expect(self.v2_event("GET", "/assets/a1", claims=alice), 200)
        self.assertEqual((asset["status"], asset["ownerId"]), ("uploaded", "alice-gw3"))


if __name__ == "__main__":
    unittest.main()
