"""Black-box tests of the listing endpoints (issue 14): GET /users[?email=], GET /assets[?status=].

Runs the real `sbapi serve` ($SBAPI_BIN) on 127.0.0.1 and talks HTTP to it; the aws classes run
`serve --backend aws` with DynamoDB on moto (IAM auth on: every signature checked), and the Lambda
class drives `sbapi invoke --backend aws` with API Gateway v1/v2 events on moto, page tokens signed
with a Secrets Manager secret of moto.

  - LocalOrderTest / LocalWalkTest / LocalSearchTest (auth off, one fresh server per test): order
    newest first by createdAt, ties by id descending in byte order; every page of a walk with
    limits 7/13/100 (and 1) is full but the last, every item exactly once, no token leading to an
    empty page; walks while items are created and deleted; exactly `limit` items end with a null
    token; default 25, bounds 1 and 100; email search (ASCII case folded, '+' literal, non-ASCII
    letters not folded); status filter (pending/uploaded after a real upload); items equal
    GET /{id}.
  - LocalErrorTest: every 400 of the query string, limit, status, email and nextToken (forged,
    truncated, flipped, padded, re-encoded, other route/email/status, other secret).
  - LocalTokenSecretTest: the 0600 <data-dir>/page-token-secret made at start; tokens valid after a
    restart; --page-token-secret-file / SBAPI_PAGE_TOKEN_SECRET_FILE (good, missing, too short).
  - LocalAuthTest (`--auth local`): 401 without a token; non-admin GET /users → 403; non-admin email
    search → at most their own user; assets: own only on every page, admins everyone's (records made
    while auth was off included); tokens bound to the caller and to auth on/off.
  - AwsOrderTest / AwsWalkTest / AwsSearchTest, AwsAuthTest: the same semantics on `--backend aws`.
  - LambdaListingTest: v1 (`multiValueQueryStringParameters`) and v2 (`rawQueryString`) events for
    GET /users and GET /assets with authorizer claims, walks across processes, owner isolation.

Without moto the aws and Lambda classes skip (fail under CI=true). Run from tests/blackbox:

    SBAPI_BIN=/path/to/sbapi python3 -m unittest -v test_listing
"""

import base64
import concurrent.futures
import copy
import json
import os
import random
import shutil
import stat
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid

from peers import Moto, require
import response_log
from s3_helpers import url_request
from sbapi_server import SbapiServer, free_port, sbapi_bin

EVENTS_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                           "..", "..", "events"))

LIMIT_RULE = "limit must be a whole number from 1 to 100"
UNKNOWN = "Unknown query parameter"
BAD_QUERY = "Malformed percent-encoding in the query string"
EMPTY_NAME = "Empty query parameter name"
STATUS_RULE = "status must be pending or uploaded"
EMAIL_RULE = "email must be a valid address of 3 to 254 characters"
BAD_TOKEN = "Invalid nextToken"
ONLY_ADMINS = "Only admins may list every user"
AUTH_REQUIRED = "Authentication required: send Authorization: Bearer <token>"

ID_FIELD = {"/users": "userId", "/assets": "assetId"}
SECRET_FILE = "page-token-secret"
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

# Ids whose byte order matters: '-' < '.' < digits < upper case < '_' < lower case, and a prefix
# sorts before its extensions.
TIE_SUFFIXES = ["", "-", ".", "0", "9", "A", "Z", "_", "a", "a0", "a_", "z", "zz"]


def uid(prefix="u"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


def email(tag="user"):
    return "%s.%s@example.com" % (tag, uuid.uuid4().hex[:10])


def q(*pairs, **params):
    """A query string: pairs (name, value) in order, then params; values %-encoded (not '@')."""
    items = list(pairs) + list(params.items())
    return "&".join("%s=%s" % (n, urllib.parse.quote(str(v), safe="@")) for n, v in items)


def newest_first(items, id_field):
    """The order the listings promise: createdAt descending, then id descending (bytes)."""
    return sorted(items, key=lambda it: (it["createdAt"], it[id_field].encode("utf-8")),
                  reverse=True)


def wait_next_second():
    """Sleeps until the wall clock's second changes (the server stamps createdAt in seconds)."""
    now = time.time()
    time.sleep(max(0.0, int(now) + 1 - now) + 0.02)


def parallel(fn, args, workers=8):
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, args))


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "SBAPI_", "USERS_", "ASSETS_"))}
    env.update(extra or {})
    return env


def run_sbapi(args, env=None, stdin=None, timeout=120):
    proc = subprocess.run([sbapi_bin()] + list(args), input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=clean_env(env), timeout=timeout)
    return (proc.returncode, proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace"))


def local_token(data_dir, sub, groups=()):
    args = ["token", "--sub", sub, "--data-dir", data_dir]
    for group in groups:
        args += ["--group", group]
    code, out, err = run_sbapi(args, timeout=30)
    if code != 0:
        raise AssertionError("sbapi %s exited %d: %s" % (" ".join(args), code, err))
    return out.strip()


def serve_refusal(args, env=None, timeout=15.0):
    """`sbapi serve ARGS` expected to exit before serving -> (code, stdout, stderr)."""
    cmd = [sbapi_bin(), "serve", "--port", str(free_port())] + list(args)
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=clean_env(env), timeout=timeout)
    except subprocess.TimeoutExpired as e:  # subprocess.run killed it (by its PID)
        raise AssertionError("`%s` was still serving after %.0f s" % (" ".join(cmd), timeout)) from e
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), \
        proc.stderr.decode("utf-8", "replace")


# ----------------------------------------------------------------------------- token tampering


def b64url_decode(token):
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def flipped(token, index=None):
    """The token with one character replaced (by another base64url character)."""
    i = len(token) // 2 if index is None else index
    c = token[i]
    other = B64URL[(B64URL.index(c) + 17) % 64]
    return token[:i] + other + token[i + 1:]


def trailing_bits_variant(token):
    """Another spelling of the same bytes (non-zero unused bits in the last character), if the
    token's length leaves unused bits; else None."""
    if len(token) % 4 == 0:
        return None
    raw = b64url_decode(token)
    for c in B64URL:
        if c != token[-1]:
            alt = token[:-1] + c
            try:
                if b64url_decode(alt) == raw:
                    return alt
            except ValueError:
                continue
    return None


def with_bytes_changed(token, offset, delta=1):
    raw = bytearray(b64url_decode(token))
    raw[offset] = (raw[offset] + delta) % 256
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


# ============================================================================== backends


class LocalBackend:
    """`sbapi serve` on the local backend, a temporary data dir per server."""

    name = "local"

    def __init__(self, case):
        self.case = case

    def server(self, data_dir=None, extra_args=(), env=None):
        srv = SbapiServer(data_dir=data_dir, extra_args=list(extra_args), env=env,
                          pass_data_dir=True)
        self.case.addCleanup(srv.stop)
        return srv

    def mark_uploaded(self, srv, created):
        """Uploads to the asset's presigned URL (the local object endpoint marks it)."""
        status, _h, raw = url_request(created["uploadUrl"], "PUT", b"listing bytes",
                                      {"Content-Type": created["asset"].get("contentType",
                                                                            "application/octet-stream")},
                                      port=srv.port)
        self.case.assertEqual(status, 200, raw[:300])


_moto = None


def module_moto():
    """moto (IAM auth on: DynamoDB and Secrets Manager allowed), started once for the module."""
    global _moto
    require(Moto.unavailable())
    if _moto is None:
        _moto = Moto.start(auth=True, allow=("dynamodb:*", "secretsmanager:*"))
    return _moto


def tearDownModule():
    global _moto
    if _moto is not None:
        _moto.stop()
        _moto = None


def aws_env(moto, suffix):
    return {
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": moto.credentials[0],
        "AWS_SECRET_ACCESS_KEY": moto.credentials[1],
        "AWS_ENDPOINT_URL_DYNAMODB": moto.endpoint,
        # Presigning contacts nothing; no S3 peer is needed for listings.
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9",
        "USERS_TABLE_NAME": "list-users-" + suffix,
        "ASSETS_TABLE_NAME": "list-assets-" + suffix,
        "ASSETS_BUCKET_NAME": "sbapi-assets",
    }


def create_tables(env):
    code, out, err = run_sbapi(["create-tables", "--no-bucket"], env, timeout=180)
    if code != 0:
        raise AssertionError("create-tables exited %d:\n%s\n%s" % (code, out, err))


def s3_event(bucket, key, size=13, etag="0123456789abcdef0123456789abcdef"):
    with open(os.path.join(EVENTS_DIR, "s3-object-created.json"), encoding="utf-8") as f:
        event = json.load(f)
    obj = event["Records"][0]["s3"]
    obj["bucket"]["name"] = bucket
    obj["bucket"]["arn"] = "arn:aws:s3:::" + bucket
    obj["object"].update(key=urllib.parse.quote_plus(key, safe="/"), size=size, eTag=etag)
    return event


class AwsBackend:
    """`sbapi serve --backend aws` on moto: fresh tables per server unless `env` names some."""

    name = "aws"

    def __init__(self, case):
        self.case = case
        self.moto = module_moto()

    def new_env(self):
        env = aws_env(self.moto, uuid.uuid4().hex[:8])
        create_tables(env)
        return env

    def server(self, data_dir=None, extra_args=(), env=None):
        env = dict(env) if env else self.new_env()
        srv = SbapiServer(data_dir=data_dir, extra_args=["--backend", "aws"] + list(extra_args),
                          env=clean_aws(env), pass_data_dir=True)
        srv.aws_env = env
        self.case.addCleanup(srv.stop)
        return srv

    def mark_uploaded(self, srv, created):
        """The uploads function's S3 ObjectCreated event (what marks an asset on AWS)."""
        asset = created["asset"]
        code, out, err = run_sbapi(["invoke", "--backend", "aws", "--function", "uploads",
                                    "--event", "-"], srv.aws_env,
                                   stdin=json.dumps(s3_event(asset["s3Bucket"],
                                                             asset["s3Key"])).encode())
        self.case.assertEqual(code, 0, out + err)
        self.case.assertEqual(json.loads(out)["records"][0]["result"], "uploaded", out)


def clean_aws(env):
    """`env` plus blanks for the AWS_* variables of this process it does not set (so that a
    developer's own AWS configuration cannot leak into the server)."""
    out = {k: "" for k in os.environ if k.startswith("AWS_") and k not in env}
    out.update(env)
    return out


# ============================================================================== base


class ListingCase(unittest.TestCase):
    backend_class = LocalBackend

    def setUp(self):
        self.backend = self.backend_class(self)

    # ------------------------------------------------------------------ HTTP

    def call(self, srv, path, query="", token=None):
        headers = {"Authorization": "Bearer " + token} if token else None
        return srv.request("GET", path + ("?" + query if query else ""), None, headers)

    def page(self, srv, path, query="", token=None):
        """A 200 listing answer -> (items, nextToken), its shape checked."""
        status, headers, body = self.call(srv, path, query, token)
        self.assertEqual(status, 200, "GET %s?%s: %d %r" % (path, query, status, body))
        self.assertEqual(headers.get("content-type", "").split(";")[0], "application/json")
        self.assertIsInstance(body, dict, body)
        self.assertEqual(set(body), {"items", "nextToken"}, body)
        self.assertIsInstance(body["items"], list)
        token_ = body["nextToken"]
        self.assertTrue(token_ is None or (isinstance(token_, str) and token_), body)
        return body["items"], token_

    def expect_error(self, srv, path, query, status, message, token=None):
        got, headers, body = self.call(srv, path, query, token)
        what = "GET %s?%s" % (path, query)
        self.assertEqual(got, status, "%s: expected %d, got %d: %r" % (what, status, got, body))
        self.assertEqual(body, {"error": message}, what)
        self.assertEqual(headers.get("content-type", "").split(";")[0], "application/json", what)

    def walk(self, srv, path, query="", limits=(25,), token=None, between=None, start=None):
        """Every page of a listing, limits taken in turn, from the first page (or from the
        nextToken `start`) -> (items, pages). `token` is the caller's bearer token.

        Asserts: a page with a nextToken has exactly `limit` items (so no page ends with a token
        leading to an empty page); a page is never longer than its limit; the last page's
        nextToken is null. `between(page_number, items_so_far)` runs after each page that has a
        successor."""
        items, pages = [], []
        next_token, n = start, 0
        while True:
            limit = limits[n % len(limits)]
            parts = [query] if query else []
            parts.append(q(limit=limit))
            if next_token is not None:
                parts.append("nextToken=" + next_token)
            got, next_token = self.page(srv, path, "&".join(parts), token)
            self.assertLessEqual(len(got), limit)
            if next_token is not None:
                self.assertEqual(len(got), limit, "page %d of %s?%s ends with a token but has %d "
                                 "of %d items" % (n, path, query, len(got), limit))
            elif n > 0:
                self.assertGreater(len(got), 0, "page %d of %s?%s is empty: the previous page's "
                                   "token led to an empty page" % (n, path, query))
            items += got
            pages.append(got)
            n += 1
            if next_token is None:
                return items, pages
            self.assertLess(n, 10000, "the walk does not end")
            if between is not None:
                between(n, items)

    def ids(self, items, path):
        return [it[ID_FIELD[path]] for it in items]

    def assertListing(self, got, expected, path, what=""):
        """`got` is exactly `expected` (stored items) in newest-first order."""
        field = ID_FIELD[path]
        want = newest_first(expected, field)
        self.assertEqual(self.ids(got, path), self.ids(want, path), what)
        self.assertEqual(got, want, what)

    # ------------------------------------------------------------------ records

    def create_user(self, srv, user_id, address=None, token=None, **fields):
        body = {"userId": user_id, "email": address or email()}
        body.update(fields)
        headers = {"Authorization": "Bearer " + token} if token else None
        status, _h, answer = srv.request("POST", "/users", body, headers)
        self.assertEqual(status, 201, answer)
        return answer["user"]

    def create_asset(self, srv, asset_id, token=None, content_type="text/plain"):
        headers = {"Authorization": "Bearer " + token} if token else None
        status, _h, answer = srv.request("POST", "/assets", {
            "assetId": asset_id, "fileName": "f %s.txt" % asset_id,
            "contentType": content_type}, headers)
        self.assertEqual(status, 201, answer)
        self.assertEqual(answer["asset"]["status"], "pending")
        return answer

    def create_users(self, srv, ids, token=None):
        return parallel(lambda i: self.create_user(srv, i, token=token), ids)

    def create_assets(self, srv, ids, token=None):
        return [a["asset"] for a in parallel(lambda i: self.create_asset(srv, i, token), ids)]

    def delete(self, srv, path, item_id, token=None):
        headers = {"Authorization": "Bearer " + token} if token else None
        status, _h, body = srv.request("DELETE", "%s/%s" % (path, item_id), None, headers)
        self.assertEqual(status, 200, body)

    def get_item(self, srv, path, item_id, token=None):
        headers = {"Authorization": "Bearer " + token} if token else None
        status, _h, body = srv.request("GET", "%s/%s" % (path, item_id), None, headers)
        self.assertEqual(status, 200, body)
        return body


# ============================================================================== semantics
# Run on every backend (the Local* and Aws* classes below).


class OrderTests:

    def tie_group(self, srv, path, create_many):
        """Items of one second created in shuffled order around an older and a newer one."""
        prefix = "t%s" % uuid.uuid4().hex[:6]
        # The greatest id of all, yet the oldest: it is listed last.
        oldest = ["z" + prefix + "-oldest"]
        create_many(srv, oldest)
        wait_next_second()
        tied = [prefix + "-" + s for s in TIE_SUFFIXES] + [prefix + "." + s for s in
                                                          TIE_SUFFIXES]
        random.shuffle(tied)
        created = create_many(srv, tied)
        wait_next_second()
        # The smallest id of all, yet the newest: createdAt orders before the id does.
        newest = [prefix[:1] + "-newest"]
        return oldest, created, newest

    def check_order(self, path, create_many):
        srv = self.backend.server()
        oldest, _, newest = self.tie_group(srv, path, create_many)
        stored_oldest = self.get_item(srv, path, oldest[0])
        create_many(srv, newest)
        items, _ = self.page(srv, path, q(limit=100))
        self.assertEqual(len(items), 2 + 2 * len(TIE_SUFFIXES))
        self.assertEqual(items[0][ID_FIELD[path]], newest[0])
        self.assertEqual(items[-1], stored_oldest)
        stamps = [it["createdAt"] for it in items]
        self.assertEqual(stamps, sorted(stamps, reverse=True), "not newest first")
        # The tie-break is visible: at least three items share a second.
        self.assertGreaterEqual(max(stamps.count(s) for s in set(stamps)), 3, stamps)
        self.assertListing(items, items, path, "ties are not ordered by id descending (bytes)")
        # Every listed item is the stored one.
        for item in items:
            self.assertEqual(item, self.get_item(srv, path, item[ID_FIELD[path]]))
        # The same order one item per page (the tie-break holds across pages).
        walked, pages = self.walk(srv, path, limits=(1,))
        self.assertEqual(walked, items)
        self.assertEqual(len(pages), len(items))
        return srv, items

    def test_users_newest_first_ties_by_id_descending(self):
        self.check_order("/users", self.create_users)

    def test_assets_newest_first_ties_by_id_descending(self):
        self.check_order("/assets", self.create_assets)


class WalkTests:
    walk_size = 120
    churn_size = 40

    def test_walk_with_changing_limits_returns_every_user_once_in_order(self):
        srv = self.backend.server()
        created = self.create_users(srv, [uid("w") for _ in range(self.walk_size)])
        for limits in ((7, 13, 100), (100, 7), (13,), (1, 100)):
            items, pages = self.walk(srv, "/users", limits=limits)
            self.assertListing(items, created, "/users", "limits %r" % (limits,))
        # No limit: 25.
        items, token = self.page(srv, "/users")
        self.assertEqual(len(items), 25)
        self.assertIsNotNone(token)
        self.assertListing(items, newest_first(created, "userId")[:25], "/users")
        rest, _ = self.walk(srv, "/users", limits=(100,), start=token)
        self.assertListing(items + rest, created, "/users")

    def test_exactly_limit_items_end_with_a_null_token(self):
        srv = self.backend.server()
        created = self.create_users(srv, [uid("x") for _ in range(14)])
        assets = self.create_assets(srv, [uid("xa") for _ in range(6)])
        items, token = self.page(srv, "/users", q(limit=14))
        self.assertIsNone(token)
        self.assertListing(items, created, "/users")
        items, token = self.page(srv, "/users", q(limit=13))
        self.assertIsNotNone(token)
        last, token2 = self.page(srv, "/users", q(limit=13) + "&nextToken=" + token)
        self.assertEqual((len(last), token2), (1, None))
        # 14 = 7 + 7: the second page is full and the last.
        items, pages = self.walk(srv, "/users", limits=(7,))
        self.assertEqual([len(p) for p in pages], [7, 7])
        items, pages = self.walk(srv, "/assets", limits=(3,))
        self.assertEqual([len(p) for p in pages], [3, 3])
        self.assertListing(items, assets, "/assets")
        items, pages = self.walk(srv, "/assets", q(status="pending"), limits=(2,))
        self.assertEqual([len(p) for p in pages], [2, 2, 2])
        self.assertListing(items, assets, "/assets")
        items, token = self.page(srv, "/assets", q(status="uploaded", limit=100))
        self.assertEqual((items, token), ([], None))
        # limit bounds: 1 and 100 are accepted, 100 takes everything here.
        self.assertEqual(len(self.page(srv, "/users", q(limit=1))[0]), 1)
        self.assertEqual(len(self.page(srv, "/users", q(limit=100))[0]), 14)

    def test_empty_listings(self):
        srv = self.backend.server()
        for path, query in (("/users", ""), ("/users", q(email="nobody@example.com")),
                            ("/assets", ""), ("/assets", q(status="pending")),
                            ("/assets", q(status="uploaded", limit=1))):
            self.assertEqual(self.page(srv, path, query), ([], None), path + "?" + query)

    def test_walk_while_items_are_created_and_deleted(self):
        """Every item that exists during the whole walk is listed exactly once, in order; items
        deleted before the walk reaches them are not listed; items created during the walk are
        newer than the cursor and never listed; nothing twice."""
        srv = self.backend.server()
        initial = self.create_users(srv, [uid("c") for _ in range(self.churn_size)])
        order = newest_first(initial, "userId")
        wait_next_second()  # what is created from now on is strictly newer than `initial`
        rng = random.Random(14)
        doomed = set(rng.sample([u["userId"] for u in order], self.churn_size // 4))
        inserted = []
        stop = threading.Event()
        errors = []

        def churn():
            try:
                pending = sorted(doomed)
                while not stop.is_set():
                    inserted.append(self.create_user(srv, uid("new"))["userId"])
                    if pending:
                        self.delete(srv, "/users", pending.pop())
                    time.sleep(0.005)
            except BaseException as e:  # noqa: BLE001 - reported by the main thread
                errors.append(e)

        thread = threading.Thread(target=churn, daemon=True)

        def between(n, _items):
            # The churn starts once the first page is out: what it creates is newer than every
            # cursor of the walk (items created before the first page are simply part of it).
            if n == 1:
                thread.start()
            time.sleep(0.01)  # let the churn thread interleave

        try:
            items, _ = self.walk(srv, "/users", limits=(3, 5, 2), between=between)
        finally:
            stop.set()
            if thread.is_alive():
                thread.join(30)
        self.assertFalse(errors, errors)
        got = self.ids(items, "/users")
        self.assertEqual(len(got), len(set(got)), "an item was listed twice")
        newer = [(n, it["userId"], it["createdAt"]) for n, it in enumerate(items)
                 if it["userId"] in set(inserted)]
        self.assertFalse(newer, "items created during the walk (newer than the cursor) were "
                         "listed: (position, id, createdAt) %r; newest initial createdAt %d; "
                         "listed: %r" % (newer, order[0]["createdAt"],
                                         [(it["userId"], it["createdAt"]) for it in items]))
        survivors = [u["userId"] for u in order if u["userId"] not in doomed]
        listed_survivors = [i for i in got if i not in doomed]
        self.assertEqual(listed_survivors, survivors, "a survivor was skipped or misordered")
        # The deleted ones that were listed are in their place.
        self.assertEqual(got, [u["userId"] for u in order if u["userId"] in set(got)])
        self.assertTrue(inserted, "the churn thread inserted nothing")
        # Deterministic: delete the not-yet-seen items between pages; none of them is listed.
        srv2 = self.backend.server()
        made = self.create_users(srv2, [uid("d") for _ in range(12)])
        order2 = [u["userId"] for u in newest_first(made, "userId")]
        wait_next_second()
        gone = set()

        def delete_ahead(n, so_far):
            # After each page: delete the second item not listed yet, and create one.
            seen = set(self.ids(so_far, "/users"))
            unseen = [i for i in order2 if i not in seen and i not in gone]
            if len(unseen) > 1:
                self.delete(srv2, "/users", unseen[1])
                gone.add(unseen[1])
            self.create_user(srv2, uid("late"))

        items2, _ = self.walk(srv2, "/users", limits=(3,), between=delete_ahead)
        self.assertEqual(self.ids(items2, "/users"), [i for i in order2 if i not in gone])


class SearchTests:

    def test_email_search_folds_ascii_case_only(self):
        srv = self.backend.server()
        tag = uuid.uuid4().hex[:8]
        base = "Ada.%s@Example.com" % tag
        variants = [base, base.lower(), base.upper(), "ada.%s@EXAMPLE.com" % tag]
        same = parallel(lambda v: self.create_user(srv, uid("e"), v), variants * 2)
        others = [self.create_user(srv, uid("o"), a) for a in (
            "ada.%s@example.co" % tag, "xada.%s@example.com" % tag, "ada.%s@example.com.x" % tag,
            "ada_%s@example.com" % tag)]
        # Non-ASCII letters are not folded: É and é are different.
        acute_upper = self.create_user(srv, uid("n"), "Émile.%s@exämple.com" % tag)
        acute_lower = self.create_user(srv, uid("n"), "émile.%s@exämple.com" % tag)
        for probe in variants + ["aDA.%s@eXample.COM" % tag]:
            items, token = self.page(srv, "/users", q(email=probe))
            self.assertIsNone(token)
            self.assertListing(items, same, "/users", probe)
        # Paged, limit 3 over 8 matches.
        items, pages = self.walk(srv, "/users", q(email=base.lower()), limits=(3,))
        self.assertEqual([len(p) for p in pages], [3, 3, 2])
        self.assertListing(items, same, "/users")
        items, pages = self.walk(srv, "/users", q(email=base), limits=(4,))
        self.assertEqual([len(p) for p in pages], [4, 4])
        for other in others:
            self.assertEqual(self.page(srv, "/users", q(email=other["email"]))[0], [other])
        self.assertEqual(self.page(srv, "/users", q(email="Émile.%s@exämple.com" % tag))[0],
                         [acute_upper])
        self.assertEqual(self.page(srv, "/users", q(email="émile.%s@exämple.com" % tag))[0],
                         [acute_lower])
        self.assertEqual(self.page(srv, "/users", q(email="émile.%s@EXäMPLE.com" % tag))[0],
                         [acute_lower])
        self.assertEqual(self.page(srv, "/users", q(email="nobody.%s@example.com" % tag)),
                         ([], None))

    def test_plus_in_a_query_value_is_a_plus(self):
        srv = self.backend.server()
        tag = uuid.uuid4().hex[:8]
        plus = self.create_user(srv, uid("p"), "a+%s@x.co" % tag)
        space = self.create_user(srv, uid("p"), "a%s@x.co" % tag)  # what '+'-as-space would mean
        for query in ("email=a+%s@x.co" % tag, "email=a%%2B%s@x.co" % tag,
                      "email=a%%2b%s%%40x.co" % tag, "email=A+%s@X.CO" % tag):
            self.assertEqual(self.page(srv, "/users", query), ([plus], None), query)
        self.assertEqual(self.page(srv, "/users", "email=a%s@x.co" % tag), ([space], None))
        # A space is %20, and is no valid email character.
        self.expect_error(srv, "/users", "email=a%%20%s@x.co" % tag, 400, EMAIL_RULE)

    def test_status_filter(self):
        srv = self.backend.server()
        made = parallel(lambda i: self.create_asset(srv, uid("s")), range(9))
        done = made[::3]
        for created in done:
            self.backend.mark_uploaded(srv, created)
        stored = {c["asset"]["assetId"]: self.get_item(srv, "/assets", c["asset"]["assetId"])
                  for c in made}
        uploaded = [stored[c["asset"]["assetId"]] for c in done]
        pending = [a for i, a in stored.items() if a not in uploaded]
        self.assertTrue(all(a["status"] == "uploaded" for a in uploaded), uploaded)
        self.assertTrue(all(a["status"] == "pending" for a in pending))
        items, pages = self.walk(srv, "/assets", q(status="uploaded"), limits=(2,))
        self.assertEqual([len(p) for p in pages], [2, 1])
        self.assertListing(items, uploaded, "/assets")
        items, pages = self.walk(srv, "/assets", q(status="pending"), limits=(4, 1))
        self.assertListing(items, pending, "/assets")
        items, _ = self.walk(srv, "/assets", limits=(5,))
        self.assertListing(items, list(stored.values()), "/assets")


# ============================================================================== local


class LocalOrderTest(ListingCase, OrderTests):
    pass


class LocalWalkTest(ListingCase, WalkTests):

    def test_restart_keeps_tokens_valid(self):
        data_dir = tempfile.mkdtemp(prefix="sbapi-list-restart-")
        self.addCleanup(shutil.rmtree, data_dir, True)
        srv = self.backend.server(data_dir=data_dir)
        created = self.create_users(srv, [uid("r") for _ in range(9)])
        assets = self.create_assets(srv, [uid("ra") for _ in range(5)])
        first, token = self.page(srv, "/users", q(limit=4))
        afirst, atoken = self.page(srv, "/assets", q(limit=2, status="pending"))
        self.assertEqual(srv.stop(), 0)
        srv = self.backend.server(data_dir=data_dir)
        rest, _ = self.walk(srv, "/users", limits=(4,), start=token)
        self.assertListing(first + rest, created, "/users")
        arest, _ = self.walk(srv, "/assets", q(status="pending"), limits=(2,), start=atoken)
        self.assertListing(afirst + arest, assets, "/assets")


class LocalSearchTest(ListingCase, SearchTests):
    pass


class LocalErrorTest(ListingCase):
    """Every 400 of the listings (one server for the class)."""

    @classmethod
    def setUpClass(cls):
        cls.srv = SbapiServer(pass_data_dir=True)
        srv = cls.srv
        try:
            for i in range(6):
                for body, path in (({"userId": "err-%d" % i, "email": "err@example.com"}, "/users"),
                                   ({"assetId": "erra-%d" % i, "fileName": "x.txt"}, "/assets")):
                    status, _h, answer = srv.request("POST", path, body)
                    assert status == 201, answer
        except BaseException:
            srv.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def tearDown(self):
        self.assertTrue(self.srv.alive(), self.srv.stderr_text())

    def tokens(self, path, query="", limit=1):
        """The nextTokens of a walk with `limit` (every page's)."""
        out, token = [], None
        while True:
            parts = [p for p in (query, q(limit=limit),
                                 "nextToken=" + token if token else "") if p]
            _items, token = self.page(self.srv, path, "&".join(parts))
            if token is None:
                return out
            out.append(token)

    def test_limit_rule(self):
        for path in ("/users", "/assets"):
            for value in ("0", "101", "-1", "1.5", "", "%205", "5%20", "+5", "%2B5", "abc",
                          "1e1", "0x10", "99999999999999999999", "١"):
                self.expect_error(self.srv, path, "limit=" + urllib.parse.quote(value, safe="%+"),
                                  400, LIMIT_RULE)
            self.expect_error(self.srv, path, "limit", 400, LIMIT_RULE)
            self.expect_error(self.srv, path, "limit=+5", 400, LIMIT_RULE)
            self.expect_error(self.srv, path, "limit= 5".replace(" ", "%20"), 400, LIMIT_RULE)
            for value, count in (("1", 1), ("100", 6), ("007", 6), ("6", 6), ("5", 5)):
                self.assertEqual(len(self.page(self.srv, path, "limit=" + value)[0]), count,
                                 value)

    def test_unknown_repeated_and_malformed_parameters(self):
        for path in ("/users", "/assets"):
            self.expect_error(self.srv, path, "foo=1", 400, UNKNOWN + ": foo")
            self.expect_error(self.srv, path, "limit=1&foo", 400, UNKNOWN + ": foo")
            self.expect_error(self.srv, path, "Limit=1", 400, UNKNOWN + ": Limit")
            self.expect_error(self.srv, path, "n" * 64 + "=1", 400, UNKNOWN + ": " + "n" * 64)
            self.expect_error(self.srv, path, "n" * 65 + "=1", 400, UNKNOWN)
            self.expect_error(self.srv, path, "a%22b=1", 400, UNKNOWN)      # '"'
            self.expect_error(self.srv, path, "a%20b=1", 400, UNKNOWN)      # space
            self.expect_error(self.srv, path, "%C3%A9=1", 400, UNKNOWN)     # é
            self.expect_error(self.srv, path, "a%0Ab=1", 400, UNKNOWN)      # LF
            self.expect_error(self.srv, path, "limit=1&limit=2", 400,
                              "Repeated query parameter: limit")
            self.expect_error(self.srv, path, "limit=1&%6Cimit=1", 400,
                              "Repeated query parameter: limit")
            self.expect_error(self.srv, path, "limit=%zz", 400, BAD_QUERY)
            self.expect_error(self.srv, path, "limit=1%4", 400, BAD_QUERY)
            self.expect_error(self.srv, path, "limit=%4", 400, BAD_QUERY)
            self.expect_error(self.srv, path, "lim%it=1", 400, BAD_QUERY)
            self.expect_error(self.srv, path, "=x", 400, EMPTY_NAME)
            self.expect_error(self.srv, path, "limit=1&&nextToken=x", 400, EMPTY_NAME)
            self.expect_error(self.srv, path, "limit=1&", 400, EMPTY_NAME)
            self.expect_error(self.srv, path, "&", 400, EMPTY_NAME)
        self.expect_error(self.srv, "/users", "email=%s" % ("%41" * 2049), 400,
                          "Query parameter email is too long")
        self.expect_error(self.srv, "/users", "email=" + "e" * 2049, 400,
                          "Query parameter email is too long")
        # 2,048 bytes is not too long for the query, but too long for an address.
        self.expect_error(self.srv, "/users", "email=" + "e" * 2036 + "@example.com", 400,
                          EMAIL_RULE)
        self.expect_error(self.srv, "/users", "status=pending", 400, UNKNOWN + ": status")
        self.expect_error(self.srv, "/assets", "email=a@b.co", 400, UNKNOWN + ": email")

    def test_status_and_email_rules(self):
        for value in ("PENDING", "Uploaded", "", "pending ", "deleted", "pending,uploaded",
                      "uploaded%00"):
            self.expect_error(self.srv, "/assets", "status=" + value.replace(" ", "%20"), 400,
                              STATUS_RULE)
        self.expect_error(self.srv, "/assets", "status", 400, STATUS_RULE)
        self.expect_error(self.srv, "/assets", "status=pending&status=pending", 400,
                          "Repeated query parameter: status")
        for value in ("", "nope", "a@b", "@b.co", "a@b@c.co", "a@.b.co", "a@b..co", "a@b.co.",
                      "a%00b@c.co", "a%20b@c.co", "ab", "x" * 243 + "@example.com"):
            self.expect_error(self.srv, "/users", "email=" + value, 400, EMAIL_RULE)
        self.expect_error(self.srv, "/users", "email", 400, EMAIL_RULE)
        # Shortest and longest addresses are fine (nothing matches them).
        for value in ("a@b.c", "x" * 242 + "@example.com"):
            self.assertEqual(self.page(self.srv, "/users", "email=" + value), ([], None))

    def test_tampered_tokens(self):
        for path, query in (("/users", ""), ("/assets", ""), ("/users", q(email="err@example.com")),
                            ("/assets", q(status="pending"))):
            tokens = self.tokens(path, query)
            self.assertEqual(len(tokens), 5)
            base = (query + "&") if query else ""
            for good in tokens:  # controls
                self.page(self.srv, path, base + "nextToken=" + good)
            t = tokens[2]
            bad = {
                "empty": "",
                "garbage": "garbage",
                "random of the same length": "".join(random.choice(B64URL) for _ in t),
                "truncated by one": t[:-1],
                "truncated by four": t[:-4],
                "first char only": t[:1],
                "one char flipped": flipped(t),
                "first char flipped": flipped(t, 0),
                "last char flipped": flipped(t, len(t) - 1),
                "a char appended": t + "A",
                "padded with =": t + "=",
                "padded with %3D%3D": t + "%3D%3D",
                "created changed": with_bytes_changed(t, 3),
                "version byte changed": with_bytes_changed(t, 0),
                "MAC byte changed": with_bytes_changed(t, len(b64url_decode(t)) - 1),
                "two tokens joined": t + tokens[1],
                "with a space": t[:5] + "%20" + t[5:],
                "leading space": "%20" + t,
            }
            alt = trailing_bits_variant(t)
            if alt is not None:
                bad["non-zero trailing bits"] = alt
            # Re-encoded in standard base64 ('+' '/'): find a token that has '-' or '_'.
            dashed = [tok for tok in tokens if "-" in tok or "_" in tok]
            for tok in dashed[:2]:
                std = tok.replace("-", "+").replace("_", "/")
                bad["standard base64 (%s)" % tok[:6]] = urllib.parse.quote(std, safe="")
                bad["standard base64 raw (%s)" % tok[:6]] = std.replace("/", "%2F")
                bad["standard base64 padded (%s)" % tok[:6]] = urllib.parse.quote(
                    base64.b64encode(b64url_decode(tok)).decode(), safe="")
            for name, value in bad.items():
                with self.subTest(path=path, query=query, token=name):
                    self.expect_error(self.srv, path, base + "nextToken=" + value, 400, BAD_TOKEN)
            # A token still works after all that.
            self.page(self.srv, path, base + "nextToken=" + t)

    def test_token_of_another_query_is_refused(self):
        users = self.tokens("/users")[1]
        assets = self.tokens("/assets")[1]
        by_email = self.tokens("/users", q(email="err@example.com"))[1]
        pending = self.tokens("/assets", q(status="pending"))[1]
        srv = self.srv
        self.expect_error(srv, "/assets", "nextToken=" + users, 400, BAD_TOKEN)
        self.expect_error(srv, "/users", "nextToken=" + assets, 400, BAD_TOKEN)
        self.expect_error(srv, "/users", q(email="other@example.com") + "&nextToken=" + by_email,
                          400, BAD_TOKEN)
        self.expect_error(srv, "/users", "nextToken=" + by_email, 400, BAD_TOKEN)
        self.expect_error(srv, "/users", q(email="err@example.com") + "&nextToken=" + users, 400,
                          BAD_TOKEN)
        self.expect_error(srv, "/assets", q(status="uploaded") + "&nextToken=" + pending, 400,
                          BAD_TOKEN)
        self.expect_error(srv, "/assets", "nextToken=" + pending, 400, BAD_TOKEN)
        self.expect_error(srv, "/assets", q(status="pending") + "&nextToken=" + assets, 400,
                          BAD_TOKEN)
        # The same query with another limit is the same query.
        self.page(srv, "/users", q(limit=3) + "&nextToken=" + users)
        self.page(srv, "/assets", q(status="pending", limit=50) + "&nextToken=" + pending)
        self.page(srv, "/users", q(email="err@example.com", limit=2) + "&nextToken=" + by_email)

    def test_token_of_a_server_with_another_secret_is_refused(self):
        token = self.tokens("/users")[0]
        other = self.backend.server()
        self.create_users(other, ["err-x", "err-y"])
        self.expect_error(other, "/users", "nextToken=" + token, 400, BAD_TOKEN)
        other_token = self.page(other, "/users", q(limit=1))[1]
        self.expect_error(self.srv, "/users", "nextToken=" + other_token, 400, BAD_TOKEN)


class LocalTokenSecretTest(ListingCase):

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="sbapi-list-secret-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def secret_file(self, text, name="operator-secret", mode=0o600):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def test_secret_file_is_made_at_start_with_mode_0600_and_kept(self):
        data_dir = os.path.join(self.tmp, "data")
        srv = self.backend.server(data_dir=data_dir)
        path = os.path.join(data_dir, SECRET_FILE)
        # Made at start, before any listing.
        self.assertTrue(os.path.isfile(path), os.listdir(data_dir))
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path, "rb") as f:
            secret = f.read()
        self.assertGreaterEqual(len(secret.rstrip(b"\r\n")), 32)
        self.create_users(srv, ["s1", "s2", "s3"])
        token = self.page(srv, "/users", q(limit=1))[1]
        srv.stop()
        srv = self.backend.server(data_dir=data_dir)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), secret, "the secret changed across a restart")
        self.assertEqual(self.ids(self.page(srv, "/users", "nextToken=" + token)[0], "/users"),
                         ["s2", "s1"])
        srv.stop()
        # Another data dir makes another secret: the token is not valid there.
        other = self.backend.server(data_dir=os.path.join(self.tmp, "other"))
        with open(os.path.join(other.data_dir, SECRET_FILE), "rb") as f:
            self.assertNotEqual(f.read(), secret)
        self.expect_error(other, "/users", "nextToken=" + token, 400, BAD_TOKEN)

    def test_operator_secret_file(self):
        data_dir = os.path.join(self.tmp, "data")
        os.makedirs(data_dir)
        key = self.secret_file("k" * 40 + "\n")
        srv = self.backend.server(data_dir=data_dir, extra_args=["--page-token-secret-file", key])
        self.assertFalse(os.path.exists(os.path.join(data_dir, SECRET_FILE)),
                         "the data dir's secret was made although an operator file is given")
        self.create_users(srv, ["o1", "o2", "o3"])
        token = self.page(srv, "/users", q(limit=1))[1]
        srv.stop()
        # The same file through the environment: the token is valid.
        srv = self.backend.server(data_dir=data_dir, env={"SBAPI_PAGE_TOKEN_SECRET_FILE": key})
        self.assertEqual(self.ids(self.page(srv, "/users", "nextToken=" + token)[0], "/users"),
                         ["o2", "o1"])
        srv.stop()
        # The flag wins over the variable.
        srv = self.backend.server(data_dir=data_dir, extra_args=["--page-token-secret-file", key],
                                  env={"SBAPI_PAGE_TOKEN_SECRET_FILE": self.secret_file(
                                      "z" * 40, "other-secret")})
        self.assertEqual(len(self.page(srv, "/users", "nextToken=" + token)[0]), 2)
        srv.stop()
        # Without the file: the data dir's own secret, another one: 400.
        srv = self.backend.server(data_dir=data_dir)
        self.expect_error(srv, "/users", "nextToken=" + token, 400, BAD_TOKEN)
        srv.stop()
        # Exactly 32 bytes is enough.
        srv = self.backend.server(data_dir=data_dir, extra_args=[
            "--page-token-secret-file", self.secret_file("s" * 32, "exact")])
        self.assertEqual(len(self.page(srv, "/users")[0]), 3)

    def assertRefused(self, args, env=None, mention=None):
        code, out, err = serve_refusal(["--data-dir", os.path.join(self.tmp, "d")] + args, env)
        self.assertEqual(code, 1, "stdout:\n%s\nstderr:\n%s" % (out, err))
        self.assertNotIn('"listening"', out)
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, "expected one stderr line: %r" % err)
        if mention:
            self.assertIn(mention, lines[0])
        return lines[0]

    def test_bad_operator_secret_files_stop_the_start(self):
        missing = os.path.join(self.tmp, "missing")
        self.assertRefused(["--page-token-secret-file", missing], mention=missing)
        self.assertRefused([], {"SBAPI_PAGE_TOKEN_SECRET_FILE": missing}, mention=missing)
        short = self.secret_file("s" * 31, "short")
        self.assertRefused(["--page-token-secret-file", short], mention=short)
        short_nl = self.secret_file("s" * 31 + "\n\n", "short-nl")
        self.assertRefused(["--page-token-secret-file", short_nl], mention=short_nl)
        empty = self.secret_file("", "empty")
        self.assertRefused(["--page-token-secret-file", empty], mention=empty)
        self.assertRefused(["--page-token-secret-file", self.tmp], mention=self.tmp)
        self.assertFalse(os.path.exists(missing), "the operator's missing file was created")


class LocalAuthTest(ListingCase):
    """`serve --auth local`: owners, admins, 401/403, tokens bound to the caller."""

    owners = ("alice-1", "bob-1")

    @classmethod
    def setUpClass(cls):
        cls.data_dir = tempfile.mkdtemp(prefix="sbapi-list-auth-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.data_dir, ignore_errors=True)

    def start_auth(self, data_dir=None, extra_args=(), env=None):
        data_dir = data_dir or tempfile.mkdtemp(prefix="sbapi-list-auth-", dir=self.data_dir)
        self.alice = local_token(data_dir, "alice-1")
        self.bob = local_token(data_dir, "bob-1")
        self.admin = local_token(data_dir, "root-1", groups=["admin"])
        self.admin2 = local_token(data_dir, "root-2", groups=["admin"])
        return self.backend.server(data_dir=data_dir, extra_args=["--auth", "local"] +
                                   list(extra_args), env=env)

    def test_no_token_is_401(self):
        srv = self.start_auth()
        for path, query in (("/users", ""), ("/users", q(email="a@b.co")), ("/assets", ""),
                            ("/assets", q(status="pending", limit=1)),
                            ("/users", "limit=0"), ("/assets", "foo=1")):
            status, headers, body = self.call(srv, path, query)
            self.assertEqual((status, body), (401, {"error": AUTH_REQUIRED}), path + query)
            self.assertTrue(headers.get("www-authenticate", "").startswith("Bearer"))

    def test_users_listing_rules(self):
        srv = self.start_auth()
        alice = self.create_user(srv, "alice-1", "Alice@Example.com", self.alice)
        bob = self.create_user(srv, "bob-1", "bob@example.com", self.bob)
        twin = self.create_user(srv, "twin-1", "alice@example.com", self.admin)
        # A non-admin may not list every user.
        for query in ("", q(limit=5), "nextToken=x"):
            self.expect_error(srv, "/users", query, 403, ONLY_ADMINS, self.alice)
        # Email search: at most their own user, whatever the case; never someone else's.
        for probe in ("alice@example.com", "ALICE@example.COM", "Alice@Example.com"):
            self.assertEqual(self.page(srv, "/users", q(email=probe), self.alice), ([alice], None))
            self.assertEqual(self.page(srv, "/users", q(email=probe, limit=1), self.alice),
                             ([alice], None))
        self.assertEqual(self.page(srv, "/users", q(email="bob@example.com"), self.alice),
                         ([], None))
        self.assertEqual(self.page(srv, "/users", q(email="alice@example.com"), self.bob),
                         ([], None))
        # Any nextToken from a non-admin's email search is refused, even an admin's real one.
        admin_token = self.page(srv, "/users", q(email="alice@example.com", limit=1),
                                self.admin)[1]
        self.assertIsNotNone(admin_token)
        for tok in ("x", admin_token):
            self.expect_error(srv, "/users", q(email="alice@example.com") + "&nextToken=" + tok,
                              400, BAD_TOKEN, self.alice)
        # Validation still applies to a non-admin.
        self.expect_error(srv, "/users", q(email="nope"), 400, EMAIL_RULE, self.alice)
        self.expect_error(srv, "/users", q(email="a@b.co", limit=0), 400, LIMIT_RULE, self.alice)
        self.expect_error(srv, "/users", "foo=1", 400, UNKNOWN + ": foo", self.bob)
        # A caller without a user gets nothing.
        carl = local_token(srv.data_dir, "carl-1")
        self.assertEqual(self.page(srv, "/users", q(email="carl@example.com"), carl), ([], None))
        # Admins see everyone.
        items, _ = self.walk(srv, "/users", limits=(1,), token=self.admin)
        self.assertListing(items, [alice, bob, twin], "/users")
        items, _ = self.walk(srv, "/users", q(email="ALICE@example.com"), limits=(1,),
                             token=self.admin)
        self.assertListing(items, [alice, twin], "/users")
        # Tokens are bound to the caller: another admin, or a non-admin, cannot use them.
        token = self.page(srv, "/users", q(limit=1), self.admin)[1]
        self.expect_error(srv, "/users", "nextToken=" + token, 400, BAD_TOKEN, self.admin2)
        self.expect_error(srv, "/users", "nextToken=" + token, 403, ONLY_ADMINS, self.alice)
        self.expect_error(srv, "/users", q(email="alice@example.com") + "&nextToken=" +
                          admin_token, 400, BAD_TOKEN, self.admin2)
        self.page(srv, "/users", q(email="alice@example.com") + "&nextToken=" + admin_token,
                  self.admin)
        # 401 before anything.
        self.expect_error(srv, "/users", "limit=0", 401, AUTH_REQUIRED)

    def test_assets_owner_isolation_on_every_page(self):
        srv = self.start_auth()
        mine = {}
        for owner, token, count in (("alice-1", self.alice, 7), ("bob-1", self.bob, 6),
                                    ("root-1", self.admin, 2)):
            made = parallel(lambda i, t=token: self.create_asset(srv, uid(owner[:1]), t),
                            range(count))
            for created in made[::3]:
                self.backend.mark_uploaded(srv, created)
            mine[owner] = [self.get_item(srv, "/assets", c["asset"]["assetId"], self.admin)
                           for c in made]
            self.assertTrue(all(a["ownerId"] == owner for a in mine[owner]))
        everyone = [a for owner in mine for a in mine[owner]]
        for owner, token in (("alice-1", self.alice), ("bob-1", self.bob)):
            for limits in ((1,), (2, 3), (100,)):
                items, _ = self.walk(srv, "/assets", limits=limits, token=token)
                self.assertListing(items, mine[owner], "/assets", owner)
            for status in ("pending", "uploaded"):
                items, _ = self.walk(srv, "/assets", q(status=status), limits=(1, 2), token=token)
                self.assertListing(items, [a for a in mine[owner] if a["status"] == status],
                                   "/assets", "%s %s" % (owner, status))
        # An admin sees everyone's, as a whole and by status.
        items, _ = self.walk(srv, "/assets", limits=(4,), token=self.admin)
        self.assertListing(items, everyone, "/assets")
        for status in ("pending", "uploaded"):
            items, _ = self.walk(srv, "/assets", q(status=status), limits=(2,), token=self.admin)
            self.assertListing(items, [a for a in everyone if a["status"] == status], "/assets")
        # Tokens are bound to the caller.
        alice_token = self.page(srv, "/assets", q(limit=2), self.alice)[1]
        bob_token = self.page(srv, "/assets", q(limit=2), self.bob)[1]
        admin_token = self.page(srv, "/assets", q(limit=2), self.admin)[1]
        alice_pending = self.page(srv, "/assets", q(limit=1, status="pending"), self.alice)[1]
        for tok, caller in ((alice_token, self.bob), (alice_token, self.admin),
                            (bob_token, self.alice), (admin_token, self.alice),
                            (admin_token, self.admin2), (alice_pending, self.bob),
                            (alice_pending, self.admin)):
            self.expect_error(srv, "/assets", "nextToken=" + tok, 400, BAD_TOKEN, caller)
        self.expect_error(srv, "/assets", q(status="pending") + "&nextToken=" + alice_pending,
                          400, BAD_TOKEN, self.bob)
        self.expect_error(srv, "/assets", "nextToken=" + alice_pending, 400, BAD_TOKEN,
                          self.alice)
        self.expect_error(srv, "/assets", q(status="uploaded") + "&nextToken=" + alice_pending,
                          400, BAD_TOKEN, self.alice)
        rest, _ = self.walk(srv, "/assets", limits=(2,), token=self.alice, start=alice_token)
        self.assertListing(rest, newest_first(mine["alice-1"], "assetId")[2:], "/assets")

    def test_records_made_with_auth_off_and_tokens_of_auth_off(self):
        data_dir = tempfile.mkdtemp(prefix="sbapi-list-off-", dir=self.data_dir)
        open_srv = self.backend.server(data_dir=data_dir, extra_args=["--auth", "none"])
        old = self.create_assets(open_srv, [uid("old") for _ in range(3)])
        old_users = self.create_users(open_srv, [uid("oldu") for _ in range(3)])
        self.assertTrue(all("ownerId" not in a for a in old))
        open_token = self.page(open_srv, "/assets", q(limit=1))[1]
        open_users_token = self.page(open_srv, "/users", q(limit=1))[1]
        open_srv.stop()
        srv = self.start_auth(data_dir=data_dir)
        new = self.create_assets(srv, [uid("new") for _ in range(2)], token=self.alice)
        self.assertListing(self.walk(srv, "/assets", limits=(2,), token=self.admin)[0],
                           old + new, "/assets")
        self.assertListing(self.walk(srv, "/assets", limits=(1,), token=self.alice)[0], new,
                           "/assets")
        self.assertEqual(self.page(srv, "/assets", "", self.bob), ([], None))
        self.assertListing(self.page(srv, "/users", "", self.admin)[0], old_users, "/users")
        # A token made with authentication off is not one of any authenticated caller.
        for tok in (self.admin, self.alice):
            self.expect_error(srv, "/assets", "nextToken=" + open_token, 400, BAD_TOKEN, tok)
        self.expect_error(srv, "/users", "nextToken=" + open_users_token, 400, BAD_TOKEN,
                          self.admin)
        # And one made with it on is not valid with it off.
        admin_token = self.page(srv, "/assets", q(limit=1), self.admin)[1]
        srv.stop()
        open_srv = self.backend.server(data_dir=data_dir, extra_args=["--auth", "none"])
        self.expect_error(open_srv, "/assets", "nextToken=" + admin_token, 400, BAD_TOKEN)
        self.page(open_srv, "/assets", "nextToken=" + open_token)


# ============================================================================== aws


class AwsOrderTest(ListingCase, OrderTests):
    backend_class = AwsBackend


class AwsWalkTest(ListingCase, WalkTests):
    backend_class = AwsBackend
    walk_size = 45
    churn_size = 24

    def test_restart_keeps_tokens_valid(self):
        data_dir = tempfile.mkdtemp(prefix="sbapi-list-aws-restart-")
        self.addCleanup(shutil.rmtree, data_dir, True)
        srv = self.backend.server(data_dir=data_dir)
        env = srv.aws_env
        created = self.create_users(srv, [uid("r") for _ in range(7)])
        first, token = self.page(srv, "/users", q(limit=3))
        srv.stop()
        srv = self.backend.server(data_dir=data_dir, env=env)
        rest, _ = self.walk(srv, "/users", limits=(3,), start=token)
        self.assertListing(first + rest, created, "/users")


class AwsSearchTest(ListingCase, SearchTests):
    backend_class = AwsBackend


class AwsAuthTest(LocalAuthTest):
    backend_class = AwsBackend

    def test_records_made_with_auth_off_and_tokens_of_auth_off(self):
        data_dir = tempfile.mkdtemp(prefix="sbapi-list-off-", dir=self.data_dir)
        env = self.backend.new_env()
        open_srv = self.backend.server(data_dir=data_dir, extra_args=["--auth", "none"], env=env)
        old = self.create_assets(open_srv, [uid("old") for _ in range(2)])
        open_token = self.page(open_srv, "/assets", q(limit=1))[1]
        open_srv.stop()
        srv = self.start_auth(data_dir=data_dir, env=env)
        new = self.create_assets(srv, [uid("new") for _ in range(2)], token=self.alice)
        self.assertListing(self.walk(srv, "/assets", limits=(1,), token=self.admin)[0],
                           old + new, "/assets")
        self.assertListing(self.walk(srv, "/assets", limits=(1,), token=self.alice)[0], new,
                           "/assets")
        self.expect_error(srv, "/assets", "nextToken=" + open_token, 400, BAD_TOKEN, self.admin)


# ============================================================================== Lambda


def _load_event(name):
    with open(os.path.join(EVENTS_DIR, name), encoding="utf-8") as f:
        return json.load(f)


class LambdaListingTest(ListingCase):
    """`sbapi invoke --backend aws --function users|assets` with SBAPI_AUTH=gateway on moto; page
    tokens signed with a Secrets Manager secret (SBAPI_PAGE_TOKEN_SECRET_ARN on moto): every
    invocation is a new process, so a walk proves the secret is the shared one."""

    @classmethod
    def setUpClass(cls):
        cls.moto = module_moto()
        cls.env = aws_env(cls.moto, uuid.uuid4().hex[:8])
        create_tables(cls.env)
        cls.secret_arn = cls.create_secret("sbapi-page-tokens-" + uuid.uuid4().hex[:6],
                                           "L" * 48)
        cls.env.update(SBAPI_AUTH="gateway", SBAPI_PAGE_TOKEN_SECRET_ARN=cls.secret_arn,
                       AWS_ENDPOINT_URL_SECRETS_MANAGER=cls.moto.endpoint)
        cls.v1 = _load_event("api-v1-get-user.json")
        cls.v2 = _load_event("api-v2-get-user.json")
        cls.tmp = tempfile.mkdtemp(prefix="sbapi-list-lambda-")
        cls.alice = {"sub": "alice-gw", "cognito:username": "alice"}
        cls.bob = {"sub": "bob-gw"}
        cls.admin_v1 = {"sub": "root-gw", "cognito:groups": "staff,admin"}
        cls.admin_v2 = {"sub": "root-gw", "cognito:groups": "[staff admin]"}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def create_secret(cls, name, value):
        try:
            import boto3  # comes with moto
        except ImportError as e:
            raise unittest.SkipTest("boto3 is needed to make a Secrets Manager secret: %s" % e)
        client = boto3.client("secretsmanager", region_name="us-east-1",
                              endpoint_url=cls.moto.endpoint,
                              aws_access_key_id=cls.moto.credentials[0],
                              aws_secret_access_key=cls.moto.credentials[1])
        return client.create_secret(Name=name, SecretString=value)["ARN"]

    # ------------------------------------------------------------------ events

    def v1_event(self, method, path, query=None, body=None, claims=None):
        """query: list of (name, value) pairs, decoded (as API Gateway hands them over)."""
        event = copy.deepcopy(self.v1)
        parts = path.strip("/").split("/")
        resource = "/" + parts[0] + ("/{%s}" % ID_FIELD["/" + parts[0]] if len(parts) > 1 else "")
        params = {ID_FIELD["/" + parts[0]]: parts[1]} if len(parts) > 1 else None
        event.update(httpMethod=method, path=path, resource=resource, pathParameters=params,
                     body=None if body is None else json.dumps(body))
        event["requestContext"].update(httpMethod=method, resourcePath=resource,
                                       path="/v1" + path, requestId=str(uuid.uuid4()))
        if body is not None:
            event["headers"]["Content-Type"] = "application/json"
            event["multiValueHeaders"]["Content-Type"] = ["application/json"]
        if query:
            multi, single = {}, {}
            for name, value in query:
                multi.setdefault(name, []).append(value)
                single[name] = value
            event["multiValueQueryStringParameters"] = multi
            event["queryStringParameters"] = single
        if claims is not None:
            event["requestContext"]["authorizer"] = {"claims": claims}
        return event

    def v2_event(self, method, path, raw_query="", body=None, claims=None):
        event = copy.deepcopy(self.v2)
        parts = path.strip("/").split("/")
        resource = "/" + parts[0] + ("/{%s}" % ID_FIELD["/" + parts[0]] if len(parts) > 1 else "")
        event.update(routeKey="%s %s" % (method, resource), rawPath=path, rawQueryString=raw_query)
        if len(parts) > 1:
            event["pathParameters"] = {ID_FIELD["/" + parts[0]]: parts[1]}
        else:
            event.pop("pathParameters", None)
        if raw_query:
            single = {}
            for pair in raw_query.split("&"):
                name, _, value = pair.partition("=")
                name, value = urllib.parse.unquote(name), urllib.parse.unquote(value)
                single[name] = single[name] + "," + value if name in single else value
            event["queryStringParameters"] = single
        ctx = event["requestContext"]
        ctx.update(routeKey=event["routeKey"], stage="$default", requestId=uuid.uuid4().hex[:16])
        ctx["http"].update(method=method, path=path)
        if body is not None:
            event["body"] = json.dumps(body)
            event["headers"]["content-type"] = "application/json"
        if claims is not None:
            ctx["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
        return event

    def invoke(self, function, event, env=None):
        code, out, err = run_sbapi(["invoke", "--backend", "aws", "--function", function,
                                    "--event", "-"], dict(self.env, **(env or {})),
                                   stdin=json.dumps(event).encode())
        self.assertEqual(code, 0, "sbapi invoke exited %d\nstdout:%s\nstderr:\n%s"
                         % (code, out, err))
        result = json.loads(out)
        response_log.record_invoke(result, event)  # SBAPI_RESPONSE_LOG: marked lambda-invoke
        body = json.loads(result["body"]) if result.get("body") else None
        return result["statusCode"], body

    def expect(self, function, event, status, error=None, env=None):
        got, body = self.invoke(function, event, env)
        self.assertEqual(got, status, "expected %d, got %d: %r" % (status, got, body))
        if error is not None:
            self.assertEqual(body, {"error": error})
        return body

    def list_page(self, version, path, pairs, claims):
        function = path.strip("/")
        if version == 1:
            event = self.v1_event("GET", path, pairs, claims=claims)
        else:
            event = self.v2_event("GET", path, q(*pairs), claims=claims)
        body = self.expect(function, event, 200)
        self.assertEqual(set(body), {"items", "nextToken"}, body)
        return body["items"], body["nextToken"]

    def lambda_walk(self, version, path, pairs, claims, limit):
        items, pages, token = [], [], None
        while True:
            extra = [("limit", str(limit))] + ([("nextToken", token)] if token else [])
            got, token = self.list_page(version, path, list(pairs) + extra, claims)
            if token is not None:
                self.assertEqual(len(got), limit)
            items += got
            pages.append(got)
            if token is None:
                return items, pages

    # ------------------------------------------------------------------ tests

    def test_users_and_assets_listings_v1_and_v2(self):
        tag = uuid.uuid4().hex[:6]
        users = [
            self.expect("users", self.v1_event("POST", "/users", None, {
                "userId": "alice-gw", "email": "Alice+%s@Example.com" % tag}, self.alice),
                201)["user"],
            self.expect("users", self.v2_event("POST", "/users", "", {
                "userId": "bob-gw", "email": "bob.%s@example.com" % tag}, self.bob), 201)["user"],
            self.expect("users", self.v1_event("POST", "/users", None, {
                "userId": "twin-" + tag, "email": "alice+%s@example.com" % tag}, self.admin_v1),
                201)["user"]]
        alice_user, bob_user, twin = users
        assets = {"alice-gw": [], "bob-gw": []}
        for owner, claims, count in (("alice-gw", self.alice, 4), ("bob-gw", self.bob, 3)):
            for i in range(count):
                aid = uid("la")
                event = self.v2_event("POST", "/assets", "", {"assetId": aid, "fileName": "x.txt"},
                                      claims) if i % 2 else \
                    self.v1_event("POST", "/assets", None, {"assetId": aid, "fileName": "x.txt"},
                                  claims)
                assets[owner].append(self.expect("assets", event, 201)["asset"])
        # One of alice's uploaded (the uploads function, S3 event).
        up = assets["alice-gw"][1]
        code, out, err = run_sbapi(["invoke", "--backend", "aws", "--function", "uploads",
                                    "--event", "-"], self.env,
                                   stdin=json.dumps(s3_event(up["s3Bucket"], up["s3Key"])).encode())
        self.assertEqual(code, 0, out + err)
        self.assertEqual(json.loads(out)["records"][0]["result"], "uploaded", out)
        assets["alice-gw"][1] = self.expect("assets", self.v1_event(
            "GET", "/assets/" + up["assetId"], claims=self.alice), 200)
        self.assertEqual(assets["alice-gw"][1]["status"], "uploaded")

        for version, admin in ((1, self.admin_v1), (2, self.admin_v2)):
            with self.subTest(version=version):
                # Assets: own only, on every page (limit 1: each page its own process).
                for owner, claims in (("alice-gw", self.alice), ("bob-gw", self.bob)):
                    items, _ = self.lambda_walk(version, "/assets", [], claims, 1)
                    self.assertListing(items, assets[owner], "/assets", owner)
                    items, _ = self.lambda_walk(version, "/assets", [("status", "pending")],
                                                claims, 2)
                    self.assertListing(items, [a for a in assets[owner]
                                               if a["status"] == "pending"], "/assets")
                items, _ = self.lambda_walk(version, "/assets", [("status", "uploaded")],
                                            self.alice, 1)
                self.assertListing(items, [assets["alice-gw"][1]], "/assets")
                self.assertEqual(self.lambda_walk(version, "/assets", [("status", "uploaded")],
                                                  self.bob, 1)[0], [])
                items, _ = self.lambda_walk(version, "/assets", [], admin, 3)
                self.assertListing(items, assets["alice-gw"] + assets["bob-gw"], "/assets")
                # Users: admins list every user and search; a non-admin gets 403 / own only.
                items, _ = self.lambda_walk(version, "/users", [], admin, 2)
                self.assertListing(items, users, "/users")
                items, _ = self.lambda_walk(version, "/users",
                                            [("email", "ALICE+%s@example.com" % tag)], admin, 1)
                self.assertListing(items, [alice_user, twin], "/users")
                self.assertEqual(self.list_page(version, "/users",
                                                [("email", "alice+%s@EXAMPLE.com" % tag)],
                                                self.alice), ([alice_user], None))
                self.assertEqual(self.list_page(version, "/users",
                                                [("email", "alice+%s@example.com" % tag)],
                                                self.bob), ([], None))
                mk = (lambda pairs, claims: self.v1_event("GET", "/users", pairs, claims=claims)) \
                    if version == 1 else \
                    (lambda pairs, claims: self.v2_event("GET", "/users", q(*pairs), claims=claims))
                self.expect("users", mk([], self.alice), 403, ONLY_ADMINS)
                self.expect("users", mk([("limit", "2")], self.bob), 403, ONLY_ADMINS)
                # Tokens are bound to the caller.
                alice_token = self.list_page(version, "/assets", [("limit", "1")], self.alice)[1]
                mka = (lambda pairs, claims: self.v1_event("GET", "/assets", pairs,
                                                           claims=claims)) if version == 1 else \
                    (lambda pairs, claims: self.v2_event("GET", "/assets", q(*pairs),
                                                         claims=claims))
                self.expect("assets", mka([("nextToken", alice_token)], self.bob), 400, BAD_TOKEN)
                self.expect("assets", mka([("nextToken", alice_token)], admin), 400, BAD_TOKEN)
                self.expect("assets", mka([("nextToken", alice_token + "A")], self.alice), 400,
                            BAD_TOKEN)
                # Errors through the event.
                self.expect("assets", mka([("limit", "0")], self.alice), 400, LIMIT_RULE)
                self.expect("assets", mka([("status", "done")], self.alice), 400, STATUS_RULE)
                self.expect("assets", mka([("foo", "1")], self.alice), 400, UNKNOWN + ": foo")
                # No claims: 401.
                got, body = self.invoke("assets", mka([], None))
                self.assertEqual(got, 401, body)
                got, body = self.invoke("users", mk([("email", "a@b.co")], None))
                self.assertEqual(got, 401, body)

        # v1: a parameter repeated in multiValueQueryStringParameters is refused; v2 likewise in
        # the raw query; '+' in a v2 raw query is a plus.
        self.expect("assets", self.v1_event("GET", "/assets", [("limit", "1"), ("limit", "2")],
                                            claims=self.alice), 400,
                    "Repeated query parameter: limit")
        self.expect("assets", self.v2_event("GET", "/assets", "limit=1&limit=2",
                                            claims=self.alice), 400,
                    "Repeated query parameter: limit")
        self.expect("users", self.v2_event("GET", "/users", "email=%zz", claims=self.admin_v2),
                    400, BAD_QUERY)
        body = self.expect("users", self.v2_event("GET", "/users",
                                                  "email=alice+%s@example.com" % tag,
                                                  claims=self.admin_v2), 200)
        self.assertListing(body["items"], [alice_user, twin], "/users")
        # v1 hands over decoded values: a '+' there is a plus too.
        body = self.expect("users", self.v1_event("GET", "/users",
                                                  [("email", "alice+%s@example.com" % tag)],
                                                  claims=self.admin_v1), 200)
        self.assertListing(body["items"], [alice_user, twin], "/users")
        # A v1 token continues in v2 and back (the same query, caller and secret).
        t1 = self.list_page(1, "/assets", [("limit", "1")], self.alice)[1]
        items2, t2 = self.list_page(2, "/assets", [("limit", "1"), ("nextToken", t1)], self.alice)
        items3, _ = self.list_page(1, "/assets", [("limit", "1"), ("nextToken", t2)], self.alice)
        order = newest_first(assets["alice-gw"], "assetId")
        self.assertEqual(items2 + items3, order[1:3])

    def test_secret_file_and_other_secrets(self):
        # The same walk signed with SBAPI_PAGE_TOKEN_SECRET_FILE (0600) instead of the ARN.
        secret = os.path.join(self.tmp, "secret-" + uuid.uuid4().hex[:6])
        with open(secret, "w") as f:
            f.write("F" * 40 + "\n")
        os.chmod(secret, 0o600)
        # Tables of its own: the other test lists every asset as an admin.
        tables = aws_env(self.moto, uuid.uuid4().hex[:8])
        create_tables(tables)
        tables = {k: v for k, v in tables.items() if k.endswith("_TABLE_NAME")}
        env = dict(tables, SBAPI_PAGE_TOKEN_SECRET_ARN="", SBAPI_PAGE_TOKEN_SECRET_FILE=secret)
        sub = {"sub": "carol-" + uuid.uuid4().hex[:6]}
        made = []
        for _ in range(3):
            aid = uid("lf")
            made.append(self.expect("assets", self.v2_event("POST", "/assets", "", {
                "assetId": aid, "fileName": "y.txt"}, sub), 201, env=env)["asset"])
        got, body = self.invoke("assets", self.v2_event("GET", "/assets", "limit=1", claims=sub),
                                env)
        self.assertEqual(got, 200, body)
        token = body["nextToken"]
        items = body["items"]
        while token:
            got, body = self.invoke("assets", self.v2_event(
                "GET", "/assets", "limit=1&nextToken=" + token, claims=sub), env)
            self.assertEqual(got, 200, body)
            items += body["items"]
            token = body["nextToken"]
        self.assertListing(items, made, "/assets")
        # A token of the file's secret is refused under the ARN's secret, and the other way.
        file_token = self.invoke("assets", self.v2_event("GET", "/assets", "limit=1",
                                                         claims=sub), env)[1]["nextToken"]
        arn_token = self.invoke("assets", self.v2_event("GET", "/assets", "limit=1",
                                                        claims=sub), tables)[1]["nextToken"]
        self.assertNotEqual(file_token, arn_token)
        self.expect("assets", self.v2_event("GET", "/assets", "nextToken=" + file_token,
                                            claims=sub), 400, BAD_TOKEN, env=tables)
        self.expect("assets", self.v2_event("GET", "/assets", "nextToken=" + arn_token,
                                            claims=sub), 400, BAD_TOKEN, env=env)
        # Neither variable: a secret of the process, so another process refuses its token.
        none = dict(tables, SBAPI_PAGE_TOKEN_SECRET_ARN="")
        ephemeral = self.invoke("assets", self.v2_event("GET", "/assets", "limit=1", claims=sub),
                                none)[1]["nextToken"]
        self.expect("assets", self.v2_event("GET", "/assets", "nextToken=" + ephemeral,
                                            claims=sub), 400, BAD_TOKEN, env=none)


if __name__ == "__main__":
    unittest.main()
