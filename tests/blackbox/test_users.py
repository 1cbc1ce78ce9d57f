"""Black-box tests of the users API (SPEC.md §1 "Users" and "Everywhere", §4 logs, §2 durability).

Runs the real `sbapi serve` binary named by $SBAPI_BIN on 127.0.0.1 and talks HTTP to it.
Python 3 standard library only. Run from tests/blackbox:

    SBAPI_BIN=/path/to/sbapi python3 -m unittest -v test_users
"""

import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

from sbapi_server import (RestartsOnOneDataDir, SbapiServer, parse_raw_response, request_on,
                          sbapi_bin)

NINETY_DAYS = 90 * 86400
MAX_BODY = 64 * 1024
CORS_METHODS = ["GET", "POST", "PUT", "DELETE", "OPTIONS"]
CORS_HEADERS = ["Content-Type", "X-Amz-Date", "Authorization", "X-Api-Key", "X-Amz-Security-Token"]


def new_id(prefix="u"):
    return "%s-%s" % (prefix, uuid.uuid4().hex)


def new_email(tag="user"):
    return "%s.%s@example.com" % (tag, uuid.uuid4().hex[:12])


def csv_set(value):
    return {part.strip() for part in (value or "").split(",") if part.strip()}


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


class ServerTestCase(unittest.TestCase):
    """One server per TestCase class; fails the test if the server died during it."""

    srv = None

    @classmethod
    def setUpClass(cls):
        cls.srv = SbapiServer()

    @classmethod
    def tearDownClass(cls):
        if cls.srv is not None:
            cls.srv.stop()

    def tearDown(self):
        if self.srv is not None and not self.srv.alive():
            self.fail("sbapi exited (code %s) during this test; stderr:\n%s"
                      % (self.srv.proc.returncode, self.srv.stderr_text()))

    # ----------------------------------------------------------------------------- helpers

    def req(self, method, path, body=None, headers=None):
        return self.srv.request(method, path, body, headers)

    def assertJsonContentType(self, headers):
        ctype = headers.get("content-type", "")
        self.assertTrue(ctype.split(";")[0].strip().lower() == "application/json",
                        "Content-Type %r is not application/json" % ctype)

    def assertError(self, resp, status, contains=None):
        """resp is a 400-599 JSON error {"error": "..."} with the given status."""
        got_status, headers, body = resp
        self.assertEqual(got_status, status, "expected %d, got %d: %r" % (status, got_status, body))
        self.assertIsInstance(body, dict, "error body is not a JSON object: %r" % (body,))
        self.assertEqual(set(body), {"error"}, "error body must be exactly {\"error\": ...}: %r" % body)
        self.assertIsInstance(body["error"], str)
        self.assertTrue(body["error"].strip(), "empty error message")
        self.assertJsonContentType(headers)
        if contains is not None:
            self.assertIn(contains.lower(), body["error"].lower(),
                          "error message %r should mention %r" % (body["error"], contains))
        return body["error"]

    def assertOk(self, resp, status=200):
        got_status, headers, body = resp
        self.assertEqual(got_status, status, "expected %d, got %d: %r" % (status, got_status, body))
        self.assertJsonContentType(headers)
        self.assertIsInstance(body, dict, "body is not a JSON object: %r" % (body,))
        return body

    def create(self, user_id=None, email=None, **extra):
        user_id = user_id or new_id()
        body = {"userId": user_id, "email": email or new_email()}
        body.update(extra)
        created = self.assertOk(self.req("POST", "/users", body), 201)
        return created["user"]

    def get(self, user_id):
        return self.req("GET", "/users/" + user_id)

    def assertAbsent(self, user_id):
        self.assertError(self.get(user_id), 404, None)


# ================================================================================== create


class CreateUserTest(ServerTestCase):

    def test_create_returns_201_with_user_timestamps_and_ttl(self):
        uid = new_id()
        email = new_email()
        before = int(time.time())
        body = self.assertOk(self.req("POST", "/users", {
            "userId": uid, "email": email, "name": "Ada Lovelace", "department": "Engineering"}), 201)
        after = int(time.time())
        self.assertEqual(set(body), {"message", "user"})
        self.assertEqual(body["message"], "User created")
        user = body["user"]
        self.assertEqual(set(user), {"userId", "email", "name", "department", "createdAt", "ttl"})
        self.assertEqual(user["userId"], uid)
        self.assertEqual(user["email"], email)
        self.assertEqual(user["name"], "Ada Lovelace")
        self.assertEqual(user["department"], "Engineering")
        self.assertTrue(is_int(user["createdAt"]), "createdAt %r is not an integer" % user["createdAt"])
        self.assertGreaterEqual(user["createdAt"], before - 2)
        self.assertLessEqual(user["createdAt"], after + 2)
        self.assertTrue(is_int(user["ttl"]), "ttl %r is not an integer" % user["ttl"])
        self.assertEqual(user["ttl"], user["createdAt"] + NINETY_DAYS)

    def test_create_minimal_user_has_no_optional_fields(self):
        uid = new_id()
        email = new_email()
        body = self.assertOk(self.req("POST", "/users", {"userId": uid, "email": email}), 201)
        self.assertEqual(body["message"], "User created")
        self.assertEqual(set(body["user"]), {"userId", "email", "createdAt", "ttl"})
        self.assertEqual(self.assertOk(self.get(uid)), body["user"])

    def test_get_returns_stored_user(self):
        user = self.create(name="Grace Hopper", department="Navy")
        self.assertEqual(self.assertOk(self.get(user["userId"])), user)

    def test_duplicate_user_id_returns_200_with_stored_user_unchanged(self):
        user = self.create(name="First", department="A")
        for body in (
            {"userId": user["userId"], "email": user["email"]},
            {"userId": user["userId"], "email": new_email("other"), "name": "Second", "department": "B"},
        ):
            with self.subTest(body=body):
                again = self.assertOk(self.req("POST", "/users", body), 200)
                self.assertEqual(again, {"message": "User already exists", "user": user})
        self.assertEqual(self.assertOk(self.get(user["userId"])), user)

    def test_concurrent_duplicates_exactly_one_created(self):
        n = 16
        for _round in range(3):
            uid = new_id("race")
            barrier = threading.Barrier(n)
            results = [None] * n

            def worker(i):
                conn = self.srv.connection()
                try:
                    conn.connect()
                    barrier.wait(timeout=10)
                    results[i] = request_on(conn, "POST", "/users",
                                            {"userId": uid, "email": new_email("race%d" % i)})
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
            self.assertEqual(statuses.count(201), 1, "statuses: %s" % statuses)
            self.assertEqual(statuses.count(200), n - 1, "statuses: %s" % statuses)
            winner = next(r[2]["user"] for r in results if r[0] == 201)
            for status, _h, body in results:
                if status == 200:
                    self.assertEqual(body, {"message": "User already exists", "user": winner})
            self.assertEqual(self.assertOk(self.get(uid)), winner)

    def test_user_id_boundaries_and_allowed_characters(self):
        for uid in ("a" * 128, "x", "Az09._-" + uuid.uuid4().hex, "." + uuid.uuid4().hex,
                    "-" + uuid.uuid4().hex, "_" + uuid.uuid4().hex):
            with self.subTest(userId=uid[:20]):
                # "a"*128 and "x" may exist from an earlier run on a reused data dir: 201 or 200.
                status, _h, body = self.req("POST", "/users", {"userId": uid, "email": new_email()})
                self.assertIn(status, (200, 201), body)
                self.assertEqual(body["user"]["userId"], uid)
                self.assertEqual(self.assertOk(self.get(uid))["userId"], uid)

    def test_email_valid_forms(self):
        local = "a"
        domain = ".".join(["x" * 60] * 4) + ".abcdefgh"  # 252 chars
        email_254 = local + "@" + domain
        self.assertEqual(len(email_254), 254)
        for email in ("a@b.c", email_254, "first.last+tag@sub.example.co.uk"):
            with self.subTest(email=email[:30]):
                user = self.create(email=email)
                self.assertEqual(user["email"], email)
                self.assertEqual(self.assertOk(self.get(user["userId"]))["email"], email)

    def test_name_and_department_at_256_characters(self):
        for value in ("n" * 256, "\u00e9" * 256, "\u6f22" * 256):
            with self.subTest(value=value[:3] + "...", length=len(value)):
                user = self.create(name=value, department=value)
                self.assertEqual(user["name"], value)
                self.assertEqual(user["department"], value)
                self.assertEqual(self.assertOk(self.get(user["userId"])), user)

    def test_unicode_values_round_trip(self):
        name = "Jos\u00e9 \u00d8ster\u00e5s \U0001F600 \"quoted\" \\ back"
        user = self.create(name=name, department="R&D / \u6f22\u5b57")
        got = self.assertOk(self.get(user["userId"]))
        self.assertEqual(got["name"], name)
        self.assertEqual(got["department"], "R&D / \u6f22\u5b57")


# ================================================================================== validation


class CreateValidationTest(ServerTestCase):

    def post_invalid(self, body, contains=None):
        msg = self.assertError(self.req("POST", "/users", body), 400, contains)
        uid = body.get("userId") if isinstance(body, dict) else None
        if isinstance(uid, str) and uid and all(c.isalnum() or c in "._-" for c in uid) \
                and len(uid) <= 128 and uid.isascii():
            self.assertAbsent(uid)
        return msg

    def test_missing_required_fields(self):
        for body in ({"email": new_email()}, {"userId": new_id()}, {},
                     {"name": "n", "department": "d"}):
            with self.subTest(body=body):
                self.post_invalid(body, "required")

    def test_invalid_user_ids(self):
        for uid in ("a" * 129, "a b", "a/b", "", "caf\u00e9", "a\tb", "a%2Fb", "a:b", "a@b",
                    "a\u0000b"):
            with self.subTest(userId=uid[:20]):
                self.post_invalid({"userId": uid, "email": new_email()})

    def test_invalid_emails(self):
        local = "aa"
        domain = ".".join(["x" * 60] * 4) + ".abcdefgh"
        email_255 = local + "@" + domain
        self.assertEqual(len(email_255), 255)
        for email in ("ab.c", "a@@b.c", "@b.c", "a@b", "a b@c.d", "a@b c.d", "a\t@b.c",
                      " a@b.c", "a@b.c ", "a@b@c.d", "", "a@", email_255):
            with self.subTest(email=email[:30]):
                self.post_invalid({"userId": new_id(), "email": email})

    def test_name_and_department_too_long(self):
        for field in ("name", "department"):
            for value in ("n" * 257, "\u00e9" * 257):
                with self.subTest(field=field, length=len(value)):
                    self.post_invalid({"userId": new_id(), "email": new_email(), field: value})

    def test_wrong_json_types_name_the_field(self):
        cases = [
            ("email", {"userId": new_id(), "email": 5}),
            ("email", {"userId": new_id(), "email": ["a@b.c"]}),
            ("userId", {"userId": 5, "email": new_email()}),
            ("userId", {"userId": {"id": "x"}, "email": new_email()}),
            ("name", {"userId": new_id(), "email": new_email(), "name": 5}),
            ("name", {"userId": new_id(), "email": new_email(), "name": True}),
            ("department", {"userId": new_id(), "email": new_email(), "department": ["x"]}),
        ]
        for field, body in cases:
            with self.subTest(field=field, body=body):
                self.post_invalid(body, field)

    def test_unknown_field_rejected(self):
        for extra in ({"role": "admin"}, {"createdAt": 1}, {"ttl": 1}, {"updatedAt": 1},
                      {"Email": "x@y.z"}):
            with self.subTest(extra=extra):
                body = {"userId": new_id(), "email": new_email()}
                body.update(extra)
                self.post_invalid(body)

    def test_invalid_json_bodies(self):
        for raw in (b'{"userId":', b"not json", b"", b"{'userId': 'x'}", b'{"userId":"x",}',
                    b"\xff\xfe{}", b'{"userId":"u","email":"a@b.c"} trailing'):
            with self.subTest(raw=raw):
                self.assertError(self.req("POST", "/users", raw), 400)

    def test_non_object_json_bodies(self):
        for raw in (b"[]", b'[{"userId":"u","email":"a@b.c"}]', b'"text"', b"42", b"null", b"true"):
            with self.subTest(raw=raw):
                self.assertError(self.req("POST", "/users", raw), 400)


# ================================================================================== update / delete


class UpdateDeleteTest(ServerTestCase):

    def put(self, user_id, body):
        return self.req("PUT", "/users/" + user_id, body)

    def test_update_email_only_keeps_other_fields(self):
        user = self.create(name="Old Name", department="Old Dept")
        new = new_email("changed")
        before = int(time.time())
        updated = self.assertOk(self.put(user["userId"], {"email": new}))
        after = int(time.time())
        self.assertEqual(updated["email"], new)
        for key in ("userId", "name", "department", "createdAt", "ttl"):
            self.assertEqual(updated[key], user[key], key)
        self.assertTrue(is_int(updated.get("updatedAt")), "updatedAt %r" % updated.get("updatedAt"))
        self.assertGreaterEqual(updated["updatedAt"], before - 2)
        self.assertLessEqual(updated["updatedAt"], after + 2)
        self.assertGreaterEqual(updated["updatedAt"], user["createdAt"])
        self.assertEqual(set(updated), set(user) | {"updatedAt"})
        self.assertEqual(self.assertOk(self.get(user["userId"])), updated)

    def test_update_name_and_department_round_trip(self):
        # `name` is a DynamoDB reserved word; the seed's handler failed on it.
        user = self.create()
        updated = self.assertOk(self.put(user["userId"], {"name": "New Name", "department": "Ops"}))
        self.assertEqual(updated["name"], "New Name")
        self.assertEqual(updated["department"], "Ops")
        self.assertEqual(updated["email"], user["email"])
        self.assertTrue(is_int(updated.get("updatedAt")))
        self.assertEqual(self.assertOk(self.get(user["userId"])), updated)
        # Only name now; department stays.
        again = self.assertOk(self.put(user["userId"], {"name": "Newer"}))
        self.assertEqual(again["name"], "Newer")
        self.assertEqual(again["department"], "Ops")
        self.assertGreaterEqual(again["updatedAt"], updated["updatedAt"])
        self.assertEqual(self.assertOk(self.get(user["userId"])), again)

    def test_update_all_fields(self):
        user = self.create(name="A", department="B")
        change = {"email": new_email("all"), "name": "C", "department": "D"}
        updated = self.assertOk(self.put(user["userId"], change))
        for key, value in change.items():
            self.assertEqual(updated[key], value)
        self.assertEqual(updated["createdAt"], user["createdAt"])
        self.assertEqual(updated["ttl"], user["ttl"])

    def test_update_immutable_fields_rejected(self):
        user = self.create(name="Keep")
        for body in ({"userId": new_id()}, {"userId": user["userId"]},
                     {"createdAt": 1}, {"ttl": 1}, {"updatedAt": 1},
                     {"name": "Changed", "ttl": user["ttl"]}):
            with self.subTest(body=body):
                self.assertError(self.put(user["userId"], body), 400)
        self.assertEqual(self.assertOk(self.get(user["userId"])), user)

    def test_update_unknown_field_rejected(self):
        user = self.create()
        for body in ({"role": "admin"}, {"name": "x", "role": "admin"}, {"Email": new_email()}):
            with self.subTest(body=body):
                self.assertError(self.put(user["userId"], body), 400)
        self.assertEqual(self.assertOk(self.get(user["userId"])), user)

    def test_update_empty_body_object_rejected(self):
        user = self.create()
        self.assertError(self.put(user["userId"], {}), 400)
        self.assertEqual(self.assertOk(self.get(user["userId"])), user)

    def test_update_validation(self):
        user = self.create(name="Keep", department="Keep")
        cases = [
            ({"email": "ab.c"}, None), ({"email": "a@b"}, None), ({"email": "a b@c.d"}, None),
            ({"name": "n" * 257}, None), ({"department": "d" * 257}, None),
            ({"email": 5}, "email"), ({"name": True}, "name"), ({"department": 3}, "department"),
        ]
        for body, contains in cases:
            with self.subTest(body=str(body)[:40]):
                self.assertError(self.put(user["userId"], body), 400, contains)
        for raw in (b"{bad", b"[]", b'"x"', b""):
            with self.subTest(raw=raw):
                self.assertError(self.put(user["userId"], raw), 400)
        self.assertEqual(self.assertOk(self.get(user["userId"])), user)

    def test_update_boundary_lengths_accepted(self):
        user = self.create()
        updated = self.assertOk(self.put(user["userId"], {"name": "n" * 256, "department": "d" * 256,
                                                         "email": "a@b.c"}))
        self.assertEqual(updated["name"], "n" * 256)
        self.assertEqual(updated["department"], "d" * 256)
        self.assertEqual(updated["email"], "a@b.c")

    def test_update_missing_user_is_404_and_creates_nothing(self):
        uid = new_id("ghost")
        self.assertError(self.put(uid, {"name": "Nobody"}), 404, None)
        status, _h, body = self.put(uid, {"email": new_email()})
        self.assertEqual(body, {"error": "User not found"})
        self.assertEqual(status, 404)
        self.assertAbsent(uid)
        self.assertEqual(self.get(uid)[2], {"error": "User not found"})

    def test_get_unknown_user(self):
        status, headers, body = self.get(new_id("nobody"))
        self.assertError((status, headers, body), 404)
        self.assertEqual(body, {"error": "User not found"})

    def test_delete_lifecycle(self):
        user = self.create(name="To Delete")
        body = self.assertOk(self.req("DELETE", "/users/" + user["userId"]))
        self.assertEqual(body, {"message": "User deleted successfully"})
        status, headers, body = self.get(user["userId"])
        self.assertError((status, headers, body), 404)
        self.assertEqual(body, {"error": "User not found"})
        status, headers, body = self.req("DELETE", "/users/" + user["userId"])
        self.assertError((status, headers, body), 404)
        self.assertEqual(body, {"error": "User not found"})
        # PUT after delete does not resurrect.
        self.assertError(self.put(user["userId"], {"name": "Back"}), 404)
        self.assertAbsent(user["userId"])

    def test_recreate_after_delete_is_201(self):
        user = self.create(name="One")
        self.assertOk(self.req("DELETE", "/users/" + user["userId"]))
        again = self.assertOk(self.req("POST", "/users", {"userId": user["userId"],
                                                          "email": new_email("again")}), 201)
        self.assertEqual(again["message"], "User created")
        self.assertNotIn("name", again["user"])

    def test_concurrent_update_and_delete_never_resurrects(self):
        for _ in range(20):
            user = self.create(name="Racer")
            uid = user["userId"]
            barrier = threading.Barrier(2)
            results = {}

            def run(kind, method, body):
                conn = self.srv.connection()
                try:
                    conn.connect()
                    barrier.wait(timeout=10)
                    results[kind] = request_on(conn, method, "/users/" + uid, body)
                except Exception as exc:
                    results[kind] = exc
                finally:
                    conn.close()

            threads = [threading.Thread(target=run, args=("put", "PUT", {"name": "Updated"})),
                       threading.Thread(target=run, args=("delete", "DELETE", None))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
            self.assertIsInstance(results.get("put"), tuple, results)
            self.assertIsInstance(results.get("delete"), tuple, results)
            self.assertEqual(results["delete"][0], 200, results["delete"])
            self.assertIn(results["put"][0], (200, 404), results["put"])
            if results["put"][0] == 200:
                self.assertEqual(results["put"][2]["name"], "Updated")
                self.assertEqual(results["put"][2]["createdAt"], user["createdAt"])
            self.assertAbsent(uid)


# ================================================================================== everywhere


class HttpBehaviourTest(ServerTestCase):

    def test_unknown_paths_are_404_json(self):
        for method, path in (("GET", "/nope"), ("GET", "/users/a/b"), ("GET", "/"),
                             ("POST", "/nope"), ("DELETE", "/users/a/b/c"), ("GET", "/usersx"),
                             ("PUT", "/users/a/b")):
            with self.subTest(method=method, path=path):
                self.assertError(self.req(method, path), 404)

    def test_wrong_method_on_user_item_is_405_with_allow(self):
        for method in ("PATCH", "POST"):
            with self.subTest(method=method):
                status, headers, body = self.req(method, "/users/x", {"name": "n"})
                self.assertError((status, headers, body), 405)
                allow = csv_set(headers.get("allow"))
                self.assertTrue({"GET", "PUT", "DELETE", "OPTIONS"} <= allow, "Allow: %r" % allow)
                self.assertNotIn("POST", allow)
                self.assertNotIn("PATCH", allow)

    def test_wrong_method_on_users_collection_is_405_with_allow(self):
        for method in ("DELETE", "PUT", "PATCH"):
            with self.subTest(method=method):
                status, headers, body = self.req(method, "/users")
                self.assertError((status, headers, body), 405)
                allow = csv_set(headers.get("allow"))
                self.assertTrue({"POST", "OPTIONS"} <= allow, "Allow: %r" % allow)
                self.assertNotIn(method, allow)

    def test_options_preflight(self):
        for path in ("/users", "/users/" + new_id()):
            with self.subTest(path=path):
                status, headers, body = self.req("OPTIONS", path, headers={
                    "Origin": "https://example.org",
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "Content-Type"})
                self.assertEqual(status, 204)
                self.assertEqual(body, b"")
                self.assertEqual(headers.get("access-control-allow-origin"), "*")
                methods = {m.upper() for m in csv_set(headers.get("access-control-allow-methods"))}
                self.assertTrue(set(CORS_METHODS) <= methods, "Allow-Methods: %r" % methods)
                allowed = {h.lower() for h in csv_set(headers.get("access-control-allow-headers"))}
                self.assertTrue({h.lower() for h in CORS_HEADERS} <= allowed,
                                "Allow-Headers: %r" % allowed)
                self.assertTrue(headers.get("x-request-id"))

    def test_every_response_has_cors_and_unique_request_id(self):
        user = self.create()
        uid = user["userId"]
        catalogue = [
            ("POST", "/users", {"userId": new_id(), "email": new_email()}),
            ("POST", "/users", {"userId": uid, "email": user["email"]}),
            ("GET", "/users/" + uid, None),
            ("PUT", "/users/" + uid, {"name": "x"}),
            ("GET", "/users/" + new_id(), None),
            ("PUT", "/users/" + new_id(), {"name": "x"}),
            ("POST", "/users", b"{bad json"),
            ("POST", "/users", {"userId": "a b", "email": new_email()}),
            ("PUT", "/users/" + uid, {"ttl": 1}),
            ("GET", "/nope", None),
            ("PATCH", "/users/" + uid, None),
            ("DELETE", "/users", None),
            ("OPTIONS", "/users", None),
            ("POST", "/users", b"x" * (MAX_BODY + 1)),
            ("DELETE", "/users/" + uid, None),
            ("DELETE", "/users/" + uid, None),
        ]
        ids = []
        for method, path, body in catalogue:
            with self.subTest(method=method, path=path):
                status, headers, resp_body = self.req(method, path, body)
                self.assertEqual(headers.get("access-control-allow-origin"), "*",
                                 "%s %s -> %d" % (method, path, status))
                rid = headers.get("x-request-id", "")
                self.assertTrue(rid.strip(), "%s %s -> %d has no X-Request-Id" % (method, path, status))
                ids.append(rid)
                if status >= 400:
                    self.assertIsInstance(resp_body, dict, resp_body)
                    self.assertEqual(set(resp_body), {"error"})
                    self.assertJsonContentType(headers)
        self.assertEqual(len(ids), len(set(ids)), "request ids repeat: %r" % ids)

    def test_body_over_64k_is_413(self):
        big_json = {"userId": new_id(), "email": new_email(), "name": "x" * (MAX_BODY + 10)}
        self.assertError(self.req("POST", "/users", big_json), 413)
        self.assertAbsent(big_json["userId"])
        self.assertError(self.req("POST", "/users", b" " * (MAX_BODY + 1)), 413)
        user = self.create()
        self.assertError(self.req("PUT", "/users/" + user["userId"],
                                  {"name": "y" * (MAX_BODY + 10)}), 413)
        self.assertEqual(self.assertOk(self.get(user["userId"])), user)
        # The server keeps serving.
        self.assertOk(self.get(user["userId"]))

    def test_body_of_exactly_64k_is_not_413(self):
        uid = new_id()
        body = {"userId": uid, "email": new_email(), "name": ""}
        pad = MAX_BODY - len(json.dumps(body).encode())
        body["name"] = "x" * pad
        raw = json.dumps(body).encode()
        self.assertEqual(len(raw), MAX_BODY)
        # name is far too long, so this is a validation error, not a size error.
        self.assertError(self.req("POST", "/users", raw), 400)
        # Whitespace padding up to exactly 64 KiB around a valid object is accepted.
        valid = json.dumps({"userId": uid, "email": new_email()}).encode()
        padded = valid + b" " * (MAX_BODY - len(valid))
        self.assertEqual(len(padded), MAX_BODY)
        self.assertOk(self.req("POST", "/users", padded), 201)

    def test_chunked_body_over_64k_is_413(self):
        conn = self.srv.connection()
        try:
            chunks = [b'{"userId":"' + new_id().encode() + b'","email":"a@b.c","name":"']
            chunks += [b"z" * 8192] * 9
            chunks += [b'"}']
            try:
                conn.request("POST", "/users", body=iter(chunks),
                             headers={"Content-Type": "application/json"}, encode_chunked=True)
            except (BrokenPipeError, ConnectionResetError):
                pass
            resp = conn.getresponse()
            raw = resp.read()
            self.assertEqual(resp.status, 413, raw)
        finally:
            conn.close()

    def test_chunked_body_small_is_accepted(self):
        uid = new_id()
        payload = json.dumps({"userId": uid, "email": new_email()}).encode()
        conn = self.srv.connection()
        try:
            conn.request("POST", "/users", body=iter([payload[:10], payload[10:]]),
                         headers={"Content-Type": "application/json"}, encode_chunked=True)
            resp = conn.getresponse()
            raw = resp.read()
            self.assertEqual(resp.status, 201, raw)
        finally:
            conn.close()
        self.assertOk(self.get(uid))

    def test_malformed_http_gets_400_and_close(self):
        for raw in (b"GARBAGE\r\n\r\n",
                    b"GET /users/x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
                    b"GET /users/x HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n"):
            with self.subTest(raw=raw):
                data, closed = self.srv.send_raw(raw, timeout=5)
                parsed = parse_raw_response(data)
                self.assertIsNotNone(parsed, "no HTTP response to %r: %r" % (raw, data))
                self.assertEqual(parsed[0], 400, data)
                self.assertTrue(closed, "server did not close the connection after %r" % raw)
                # Still serving.
                self.assertError(self.get(new_id()), 404)

    def test_malformed_http_error_is_json_with_cors_and_request_id(self):
        data, _closed = self.srv.send_raw(b"GARBAGE\r\n\r\n", timeout=5)
        parsed = parse_raw_response(data)
        self.assertIsNotNone(parsed, data)
        status, headers, body = parsed
        self.assertEqual(status, 400)
        self.assertIsInstance(body, dict, data)
        self.assertEqual(set(body), {"error"})
        self.assertJsonContentType(headers)
        self.assertEqual(headers.get("access-control-allow-origin"), "*", data)
        self.assertTrue(headers.get("x-request-id"), data)

    def test_keep_alive_two_requests_one_connection(self):
        uid = new_id()
        conn = self.srv.connection()
        try:
            status, headers, body = request_on(conn, "POST", "/users",
                                               {"userId": uid, "email": new_email()})
            self.assertEqual(status, 201, body)
            self.assertNotEqual(headers.get("connection", "").lower(), "close")
            sock = conn.sock
            self.assertIsNotNone(sock, "client closed the connection: server asked to close")
            status, headers, body = request_on(conn, "GET", "/users/" + uid)
            self.assertEqual(status, 200, body)
            self.assertEqual(body["userId"], uid)
            self.assertIs(conn.sock, sock, "second request used a new connection")
            # An application error (404) keeps the connection too.
            status, _h, _b = request_on(conn, "GET", "/users/" + new_id())
            self.assertEqual(status, 404)
            self.assertIs(conn.sock, sock, "connection closed after a 404")
            status, _h, _b = request_on(conn, "DELETE", "/users/" + uid)
            self.assertEqual(status, 200)
            self.assertIs(conn.sock, sock)
        finally:
            conn.close()

    def test_percent_encoded_id_is_decoded(self):
        uid = "pct." + uuid.uuid4().hex
        self.create(user_id=uid)
        self.assertEqual(self.assertOk(self.req("GET", "/users/" + uid.replace(".", "%2E")))["userId"],
                         uid)


# ================================================================================== logs


class AccessLogTest(ServerTestCase):

    LOG_FIELDS = ("time", "level", "requestId", "method", "route", "status", "latencyUs")

    def log_for(self, headers):
        rid = headers.get("x-request-id")
        self.assertTrue(rid)
        line = self.srv.request_log(rid, timeout=5)
        self.assertIsNotNone(line, "no log line with requestId %r; stdout:\n%s"
                             % (rid, "\n".join(self.srv.raw_logs()[-20:])))
        return line

    def assertLogLine(self, line, method, route, status):
        for field in self.LOG_FIELDS:
            self.assertIn(field, line, "log line lacks %r: %r" % (field, line))
        self.assertIsInstance(line["time"], str)
        self.assertTrue(line["time"])
        self.assertIsInstance(line["level"], str)
        self.assertEqual(line["method"], method)
        self.assertEqual(line["route"], route)
        self.assertEqual(line["status"], status)
        self.assertTrue(is_int(line["latencyUs"]), line)
        self.assertGreaterEqual(line["latencyUs"], 0)

    def test_one_log_line_per_request_with_route_template(self):
        uid = new_id()
        cases = []
        resp = self.req("POST", "/users", {"userId": uid, "email": new_email()})
        cases.append((resp, "POST", "/users", 201))
        resp = self.req("GET", "/users/" + uid)
        cases.append((resp, "GET", "/users/{id}", 200))
        resp = self.req("PUT", "/users/" + uid, {"name": "x"})
        cases.append((resp, "PUT", "/users/{id}", 200))
        resp = self.req("GET", "/users/" + new_id())
        cases.append((resp, "GET", "/users/{id}", 404))
        resp = self.req("PATCH", "/users/" + uid)
        cases.append((resp, "PATCH", "/users/{id}", 405))
        resp = self.req("POST", "/users", b"{bad")
        cases.append((resp, "POST", "/users", 400))
        resp = self.req("DELETE", "/users/" + uid)
        cases.append((resp, "DELETE", "/users/{id}", 200))
        for (status, headers, _body), method, route, expected in cases:
            with self.subTest(method=method, route=route, status=expected):
                self.assertEqual(status, expected)
                line = self.log_for(headers)
                self.assertLogLine(line, method, route, expected)
                self.assertNotIn(uid, line["route"])
        time.sleep(0.2)
        logs = self.srv.logs()
        for (_s, headers, _b), _m, _r, _e in cases:
            rid = headers["x-request-id"]
            self.assertEqual(sum(1 for o in logs if o.get("requestId") == rid), 1,
                             "requestId %s logged other than once" % rid)

    def test_unknown_path_is_logged(self):
        status, headers, _ = self.req("GET", "/nope")
        self.assertEqual(status, 404)
        line = self.log_for(headers)
        self.assertEqual(line["status"], 404)
        self.assertEqual(line["method"], "GET")

    def test_oversized_body_is_logged(self):
        # A request rejected for its size is still a request: one log line with status 413.
        status, headers, _ = self.req("POST", "/users", b"x" * (MAX_BODY + 1))
        self.assertEqual(status, 413)
        line = self.log_for(headers)
        self.assertEqual(line["status"], 413)
        self.assertEqual(line["method"], "POST")
        for field in self.LOG_FIELDS:
            self.assertIn(field, line)

    def test_no_personal_data_in_logs(self):
        tag = uuid.uuid4().hex[:10]
        email1 = "pii.%s@privacy-test.example" % tag
        email2 = "pii2.%s@privacy-test.example" % tag
        name1 = "Zebulon Quixote %s" % tag
        name2 = "Xanthippe Vorhees %s" % tag
        dept = "Secret Dept %s" % tag
        uid = new_id()
        self.assertOk(self.req("POST", "/users", {"userId": uid, "email": email1, "name": name1,
                                                  "department": dept}), 201)
        self.assertOk(self.req("POST", "/users", {"userId": uid, "email": email2, "name": name2}))
        self.assertOk(self.req("PUT", "/users/" + uid, {"email": email2, "name": name2}))
        self.assertOk(self.req("GET", "/users/" + uid))
        self.assertError(self.req("POST", "/users", {"userId": new_id(), "email": email1,
                                                     "name": name1 + "x" * 300}), 400)
        self.assertError(self.req("POST", "/users", {"userId": new_id(), "email": "bad " + email1}),
                         400)
        status, headers, _ = self.req("DELETE", "/users/" + uid)
        self.assertEqual(status, 200)
        self.log_for(headers)  # everything before it has been logged
        text = "\n".join(self.srv.raw_logs()) + "\n" + self.srv.stderr_text()
        for secret in (email1, email2, name1, name2, dept, "pii.%s" % tag, "Zebulon", "Xanthippe",
                       "privacy-test.example"):
            self.assertNotIn(secret, text, "personal data %r appears in the server output" % secret)


# ================================================================================== persistence


class PersistenceTest(RestartsOnOneDataDir, unittest.TestCase):

    def setUp(self):
        self.data_dir = tempfile.mkdtemp(prefix="sbapi-bb-persist-")
        self.addCleanup(shutil.rmtree, self.data_dir, True)
        self.servers = []

    def populate(self, srv):
        def ok(resp, status=200):
            self.assertEqual(resp[0], status, resp[2])
            return resp[2]
        u1, u2, u3 = new_id("p1"), new_id("p2"), new_id("p3")
        ok(srv.request("POST", "/users", {"userId": u1, "email": new_email(), "name": "Ada",
                                          "department": "Math"}), 201)
        ok(srv.request("POST", "/users", {"userId": u2, "email": new_email()}), 201)
        ok(srv.request("POST", "/users", {"userId": u3, "email": new_email()}), 201)
        ok(srv.request("PUT", "/users/" + u1, {"name": "Ada King", "email": new_email("upd")}))
        ok(srv.request("DELETE", "/users/" + u3))
        expected = {u1: ok(srv.request("GET", "/users/" + u1)),
                    u2: ok(srv.request("GET", "/users/" + u2))}
        self.assertIn("updatedAt", expected[u1])
        return expected, u3

    def check(self, srv, expected, deleted):
        for uid, user in expected.items():
            status, _h, body = srv.request("GET", "/users/" + uid)
            self.assertEqual(status, 200, body)
            self.assertEqual(body, user)
            status, _h, body = srv.request("POST", "/users", {"userId": uid, "email": new_email()})
            self.assertEqual((status, body), (200, {"message": "User already exists", "user": user}))
        status, _h, body = srv.request("GET", "/users/" + deleted)
        self.assertEqual((status, body), (404, {"error": "User not found"}))

    def test_data_survives_sigterm_restart(self):
        srv = self.start()
        expected, deleted = self.populate(srv)
        code = srv.stop(signal.SIGTERM)
        self.assertEqual(code, 0, "exit code after SIGTERM; stderr:\n%s" % srv.stderr_text())
        srv2 = self.start()
        self.check(srv2, expected, deleted)
        self.assertEqual(srv2.stop(signal.SIGTERM), 0, srv2.stderr_text())

    def test_acknowledged_writes_survive_sigkill(self):
        srv = self.start()
        expected, deleted = self.populate(srv)
        srv.stop(signal.SIGKILL)
        srv2 = self.start()
        self.check(srv2, expected, deleted)
        self.assertEqual(srv2.stop(signal.SIGTERM), 0, srv2.stderr_text())

    def test_a_second_process_on_the_same_data_dir_is_refused(self):
        # The server caches items in memory, so a second writer of the same file must not start.
        if os.environ.get("SBAPI_NO_DATA_DIR") == "1":
            self.skipTest("the backend keeps no data dir (the rerun on aws)")
        srv = self.start()
        expected, deleted = self.populate(srv)
        second = subprocess.run([sbapi_bin(), "serve", "--port", "0", "--data-dir", self.data_dir],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(second.returncode, 1, second.stdout + second.stderr)
        self.assertIn("in use by another sbapi process", second.stderr)
        self.check(srv, expected, deleted)  # the first one serves on, its data intact
        self.assertEqual(srv.stop(signal.SIGTERM), 0, srv.stderr_text())

    def test_sigterm_on_idle_server_exits_zero(self):
        srv = self.start()
        self.assertEqual(srv.stop(signal.SIGTERM), 0, srv.stderr_text())


if __name__ == "__main__":
    unittest.main()
