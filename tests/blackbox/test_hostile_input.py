"""Hostile-input matrix (GitHub issue 12): malformed and adversarial requests on raw sockets.

Runs the real `sbapi serve` named by $SBAPI_BIN on 127.0.0.1 with a temporary data dir
(sbapi_server.py) and stops it by its PID. Python 3 standard library only. Run from
tests/blackbox:

    SBAPI_BIN=/path/to/sbapi python3 -m unittest -v test_hostile_input

Every request is sent byte for byte on a fresh socket (nothing normalises it). One server
serves the whole matrix; it first gets a known user "victim" and an uploaded asset "va"
(plus the stored objects "a/b" and "d/e/f" for key conflicts). Each case of CASES then asserts:
  - the exact status, and the exact error (JSON `error` text, or the S3 XML `Code` on the
    object endpoint, whose every error must be XML) where one is given;
  - that the server closed the connection where a framing error must close it, with no second
    response after the first (a smuggled request is never answered);
  - that nothing was written: GET /users/victim and GET /assets/va answer what they answered
    just before the case, every user/asset the request tried to create is still 404, and no
    file below the data dir's parent changed (the database files aside), so no object was
    stored, replaced, or written outside the store;
  - that the access-log line of the request (stdout, JSON lines) is shorter than 1 KiB, and
    says "OTHER" for an unknown method;
  - that GET /health on a new connection answers 200 (the server keeps serving).
The concurrency test PUTs 8 bodies of different sizes at once to one presigned URL, 5 rounds:
afterwards the asset's size and etag describe exactly the file the download URL returns.
The matrix includes the listings' query strings (GET /users, GET /assets; issue 14): repeated,
empty, unknown and control-byte names, bad escapes, limits that are not 1-100 in digits, values
over 2048 bytes and heads over 16 KiB, and nextTokens re-spelled, truncated, forged or from
another query (the fixture gets one real token per route). With `--auth local`, a page token
of one caller is refused for another caller, an admin and another filter.
"""

import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

import response_log
from sbapi_server import SbapiServer
from s3_helpers import md5_hex, presign_url, s3_error, url_request

BUCKET = "sbapi-assets"
MAX_BODY = 64 * 1024
LOG_LINE_LIMIT = 1024
RECV_TIMEOUT = 5.0

USER_ID_RULE = "userId must be 1-128 characters of A-Z a-z 0-9 . _ -"
ASSET_ID_RULE = "assetId must be 1-128 characters of A-Z a-z 0-9 . _ -"
EMAIL_RULE = "email must be a valid address of 3 to 254 characters"
FILE_NAME_RULE = ("fileName must be 1-255 bytes without '/', '\\' or control characters, "
                  "and not '.' or '..'")
CONTENT_TYPE_RULE = "contentType must be a media type such as application/pdf"
MALFORMED = "Malformed HTTP request"
INVALID_JSON = "Invalid JSON in request body"
NOT_OBJECT = "Request body must be a JSON object"
TOO_LARGE = "Request body too large"
BAD_TE = "Unsupported Transfer-Encoding (only chunked is accepted)"
TE_AND_CL = "Both Transfer-Encoding and Content-Length"
TE_IN_10 = "Transfer-Encoding is not allowed in HTTP/1.0"
TRAILER = "Trailer fields are not accepted"
HEADERS_TOO_LARGE = "Request header fields too large"
BAD_HOST = "Missing or repeated Host header"
BAD_PERCENT = "Malformed percent-encoding in the path"
BAD_QUERY = "Malformed percent-encoding in the query string"
EMPTY_NAME = "Empty query parameter name"
UNKNOWN_PARAM = "Unknown query parameter"
LIMIT_RULE = "limit must be a whole number from 1 to 100"
STATUS_RULE = "status must be pending or uploaded"
BAD_TOKEN = "Invalid nextToken"
USER_ALLOW = "GET, PUT, DELETE, OPTIONS"
OBJECT_ALLOW = "GET, HEAD, PUT, OPTIONS"

ANY = object()  # any non-empty error text / S3 code

VICTIM = {"userId": "victim", "email": "victim@example.com", "name": "Vic Tim",
          "department": "Targets"}
VA_KEY = "assets/va/f.txt"
VA_TYPE = "text/plain"
VA_BYTES = b"the victim asset, version 1\n"


class Case:
    """One hostile request.

    status:   the exact status (an int), or a set of acceptable ones.
    error:    the JSON `error` text (API) or S3 `Code` (object endpoint), or a set of acceptable
              ones; ANY: any; None: no check.
    closed:   True: the server must close the connection after its (single) response.
    xml:      an object-endpoint answer: S3 XML error document with application/xml.
    users / assets: ids the request tried to create; they must still be 404 afterwards.
    allow:    the expected Allow header of a 405.
    other_method: the access-log line must say "OTHER".
    """

    def __init__(self, name, data, status, error=None, closed=None, xml=False, users=(),
                 assets=(), allow=None, other_method=False):
        self.name = name
        self.data = data
        self.status = status
        self.error = error
        self.closed = closed
        self.xml = xml
        self.users = tuple(users)
        self.assets = tuple(assets)
        self.allow = allow
        self.other_method = other_method


# ------------------------------------------------------------------------------ request builders


def req(method, target, headers=(), body=b"", version=b"HTTP/1.1", host=b"x", length=True):
    """Raw request bytes. headers: (name, value) byte pairs, sent as given after Host."""
    out = b"%s %s %s\r\n" % (method, target, version)
    if host is not None:
        out += b"Host: " + host + b"\r\n"
    for name, value in headers:
        out += name + b": " + value + b"\r\n"
    if length and body:
        out += b"Content-Length: %d\r\n" % len(body)
    return out + b"\r\n" + body


def post_json(path, body, content_type=b"application/json", extra=()):
    return req(b"POST", path, [(b"Content-Type", content_type)] + list(extra), body)


def put_json(path, body):
    return req(b"PUT", path, [(b"Content-Type", b"application/json")], body)


def jbytes(obj):
    return json.dumps(obj).encode("utf-8")


def chunked(body, step=4096):
    out = b""
    for i in range(0, len(body), step):
        piece = body[i:i + step]
        out += b"%x\r\n%s\r\n" % (len(piece), piece)
    return out + b"0\r\n\r\n"


def url_parts(url):
    """(target bytes, Host bytes) of a presigned URL."""
    parts = urllib.parse.urlsplit(url)
    target = parts.path + ("?" + parts.query if parts.query else "")
    return target.encode("ascii"), parts.netloc.encode("ascii")


def url_req(method, url, headers=(), body=b"", length=True, target=None):
    t, host = url_parts(url)
    return req(method, target if target is not None else t, headers, body, host=host,
               length=length)


def tamper_signature(url):
    head, sep, sig = url.rpartition("X-Amz-Signature=")
    assert sep and len(sig) == 64, url
    return head + sep + ("0" if sig[0] != "0" else "1") + sig[1:]


# ------------------------------------------------------------------------------ raw exchange


class Exchange:
    def __init__(self):
        self.raw = b""
        self.version = None
        self.status = None
        self.headers = {}
        self.body = b""
        self.interim = []      # 1xx statuses before the final response
        self.closed = None     # True: EOF (or reset) after the response; False: still open
        self.extra = b""       # bytes after the first final response (a second response!)


def _parse_head(head):
    lines = head.decode("iso-8859-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    version, status = parts[0], int(parts[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = headers[key] + ", " + value.strip() if key in headers else value.strip()
    return version, status, headers


def exchange(port, data, wait_close, timeout=RECV_TIMEOUT):
    """Sends `data` on a new connection; reads the first final response, then (wait_close)
    reads on until the server closes the connection or `timeout` passes."""
    ex = Exchange()
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer (413, 400) and close before reading everything
        buf = b""
        deadline = time.monotonic() + timeout

        def recv_more():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            sock.settimeout(remaining)
            try:
                return sock.recv(65536)
            except socket.timeout:
                return None
            except ConnectionResetError:
                return b""

        eof = False
        while ex.status is None:
            head, sep, rest = buf.partition(b"\r\n\r\n")
            if sep:
                version, status, headers = _parse_head(head)
                if 100 <= status < 200:
                    ex.interim.append(status)
                    buf = rest
                    continue
                length = int(headers.get("content-length", "0"))
                while len(rest) < length and not eof:
                    chunk = recv_more()
                    if not chunk:
                        eof = chunk == b""
                        break
                    buf += chunk
                    rest += chunk
                ex.version, ex.status, ex.headers = version, status, headers
                ex.body = rest[:length]
                ex.extra = rest[length:]
                break
            chunk = recv_more()
            if not chunk:
                eof = chunk == b""
                break
            buf += chunk
        ex.raw = buf
        if ex.status is not None and wait_close:
            while not eof:
                chunk = recv_more()
                if chunk is None:
                    break
                if chunk == b"":
                    eof = True
                    break
                ex.extra += chunk
            ex.closed = eof
    finally:
        sock.close()
    response_log.record_parsed(port, data, ex.status, ex.headers, ex.body)  # SBAPI_RESPONSE_LOG
    return ex


# ------------------------------------------------------------------------------ the matrix


def build_cases(urls):
    """The hostile requests; `urls` holds presigned URLs made for this server."""
    C = []
    add = C.append
    victim_del = b"DELETE /users/victim HTTP/1.1\r\nHost: x\r\n\r\n"
    smuggle_body = jbytes({"userId": "smug1", "email": "s@example.com"})

    # --- Request smuggling / Transfer-Encoding ------------------------------------------------
    add(Case("TE gzip + smuggled DELETE",
             req(b"POST", b"/users", [(b"Content-Type", b"application/json"),
                                      (b"Transfer-Encoding", b"gzip")], length=False)
             + smuggle_body + b"\r\n" + victim_del,
             400, BAD_TE, closed=True, users=["smug1"]))
    add(Case("TE 'chunked, gzip' + smuggled DELETE",
             req(b"POST", b"/users", [(b"Transfer-Encoding", b"chunked, gzip")], length=False)
             + chunked(smuggle_body) + victim_del,
             400, BAD_TE, closed=True, users=["smug1"]))
    add(Case("TE 'gzip, chunked' + smuggled DELETE",
             req(b"POST", b"/users", [(b"Transfer-Encoding", b"gzip, chunked")], length=False)
             + chunked(smuggle_body) + victim_del,
             400, BAD_TE, closed=True, users=["smug1"]))
    add(Case("TE identity + Content-Length",
             req(b"POST", b"/users", [(b"Transfer-Encoding", b"identity")], smuggle_body)
             + victim_del,
             400, TE_AND_CL, closed=True, users=["smug1"]))
    add(Case("TE chunked then Content-Length (CL.TE)",
             req(b"POST", b"/users", [(b"Transfer-Encoding", b"chunked"),
                                      (b"Content-Length", b"%d" % len(smuggle_body))],
                 length=False) + smuggle_body + victim_del,
             400, {TE_AND_CL, MALFORMED}, closed=True, users=["smug1"]))
    add(Case("Content-Length then TE chunked (TE.CL)",
             req(b"POST", b"/users", [(b"Content-Length", b"4"),
                                      (b"Transfer-Encoding", b"chunked")], length=False)
             + b"5c\r\n" + chunked(smuggle_body) + victim_del,
             400, {TE_AND_CL, MALFORMED}, closed=True, users=["smug1"]))
    add(Case("two TE fields: chunked, chunked",
             req(b"POST", b"/users", [(b"Transfer-Encoding", b"chunked"),
                                      (b"Transfer-Encoding", b"chunked")], length=False)
             + chunked(smuggle_body) + victim_del,
             400, {BAD_TE, MALFORMED}, closed=True, users=["smug1"]))
    add(Case("two TE fields: gzip, chunked",
             req(b"POST", b"/users", [(b"Transfer-Encoding", b"gzip"),
                                      (b"Transfer-Encoding", b"chunked")], length=False)
             + chunked(smuggle_body) + victim_del,
             400, BAD_TE, closed=True, users=["smug1"]))
    add(Case("HTTP/1.0 with TE chunked",
             req(b"POST", b"/users", [(b"Transfer-Encoding", b"chunked")], version=b"HTTP/1.0",
                 length=False) + chunked(smuggle_body) + victim_del,
             400, TE_IN_10, closed=True, users=["smug1"]))
    add(Case("TE 'xchunked'",
             req(b"POST", b"/users", [(b"Transfer-Encoding", b"xchunked")], length=False)
             + chunked(smuggle_body) + victim_del,
             400, BAD_TE, closed=True, users=["smug1"]))
    add(Case("chunked body with a trailer field (Host)",
             req(b"POST", b"/users", [(b"Content-Type", b"application/json"),
                                      (b"Transfer-Encoding", b"chunked")], length=False)
             + chunked(smuggle_body)[:-2] + b"Host: elsewhere\r\n\r\n" + victim_del,
             400, TRAILER, closed=True, users=["smug1"]))
    add(Case("chunked body with a trailer section over the read buffer",
             req(b"POST", b"/users", [(b"Content-Type", b"application/json"),
                                      (b"Transfer-Encoding", b"chunked")], length=False)
             + chunked(smuggle_body)[:-2] + b"X-Pad: " + b"a" * (200 * 1024),
             431, HEADERS_TOO_LARGE, closed=True, users=["smug1"]))
    add(Case("object path: TE gzip on PUT",
             url_req(b"PUT", urls["put_va"], [(b"Content-Type", VA_TYPE.encode()),
                                               (b"Transfer-Encoding", b"gzip")], length=False)
             + b"EVIL" + b"\r\n" + victim_del,
             400, "MalformedHTTPRequest", closed=True, xml=True))
    add(Case("object path: TE chunked + Content-Length on PUT",
             url_req(b"PUT", urls["put_va"], [(b"Content-Type", VA_TYPE.encode()),
                                               (b"Transfer-Encoding", b"chunked"),
                                               (b"Content-Length", b"4")], length=False)
             + chunked(b"EVIL") + victim_del,
             400, "MalformedHTTPRequest", closed=True, xml=True))

    # --- Content-Length -----------------------------------------------------------------------
    body = jbytes({"userId": "cl1", "email": "c@example.com"})
    for name, value in (("abc", b"abc"), ("-1", b"-1"), ("1.5", b"1.5"), ("+5", b"+5"),
                        ("huge", b"99999999999999999999"), ("list 5, 6", b"5, 6")):
        add(Case("Content-Length %s" % name,
                 req(b"POST", b"/users", [(b"Content-Type", b"application/json"),
                                          (b"Content-Length", value)], body, length=False)
                 + victim_del,
                 400, MALFORMED, closed=True, users=["cl1"]))
    add(Case("two different Content-Length fields",
             req(b"POST", b"/users", [(b"Content-Length", b"%d" % len(body)),
                                      (b"Content-Length", b"%d" % (len(body) + 1))],
                 body, length=False) + victim_del,
             400, MALFORMED, closed=True, users=["cl1"]))
    add(Case("announced body over 64 KiB (head only)",
             req(b"POST", b"/users", [(b"Content-Type", b"application/json"),
                                      (b"Content-Length", b"%d" % (MAX_BODY + 1))],
                 length=False),
             413, TOO_LARGE, closed=True))
    add(Case("announced 1 GiB with Expect: 100-continue (no 100)",
             req(b"PUT", b"/users/victim", [(b"Content-Type", b"application/json"),
                                            (b"Expect", b"100-continue"),
                                            (b"Content-Length", b"1073741824")], length=False),
             413, TOO_LARGE, closed=True))
    big = b'{"userId":"big1","email":"b@example.com","name":"' + b"n" * (MAX_BODY + 10) + b'"}'
    add(Case("chunked body over 64 KiB",
             req(b"POST", b"/users", [(b"Content-Type", b"application/json"),
                                      (b"Transfer-Encoding", b"chunked")], length=False)
             + chunked(big),
             413, TOO_LARGE, closed=True, users=["big1"]))
    add(Case("chunk size not hex",
             req(b"POST", b"/users", [(b"Transfer-Encoding", b"chunked")], length=False)
             + b"zz\r\n" + body + b"\r\n0\r\n\r\n",
             400, MALFORMED, closed=True, users=["cl1"]))
    add(Case("chunk size overflowing 64 bits",
             req(b"POST", b"/users", [(b"Transfer-Encoding", b"chunked")], length=False)
             + b"fffffffffffffffffffff\r\n" + body + b"\r\n0\r\n\r\n",
             {400, 413}, ANY, closed=True, users=["cl1"]))

    # --- Host -----------------------------------------------------------------------------------
    add(Case("HTTP/1.1 without Host",
             req(b"DELETE", b"/users/victim", host=None), 400, BAD_HOST, closed=True))
    add(Case("HTTP/1.1 with two Host fields",
             req(b"DELETE", b"/users/victim", [(b"Host", b"y")]), 400, BAD_HOST, closed=True))
    add(Case("HTTP/1.0 without Host is fine",
             req(b"GET", b"/health", version=b"HTTP/1.0", host=None), 200, None, closed=True))

    # --- Methods --------------------------------------------------------------------------------
    add(Case("lower-case delete", req(b"delete", b"/users/victim"), 405, "Method not allowed",
             allow=USER_ALLOW, other_method=True))
    add(Case("lower-case get", req(b"get", b"/users/victim"), 405, "Method not allowed",
             allow=USER_ALLOW, other_method=True))
    add(Case("mixed-case Delete", req(b"Delete", b"/users/victim"), 405, "Method not allowed",
             allow=USER_ALLOW, other_method=True))
    add(Case("unknown method FOO", req(b"FOO", b"/users/victim"), 405, "Method not allowed",
             allow=USER_ALLOW, other_method=True))
    add(Case("PATCH on a user", req(b"PATCH", b"/users/victim", [(b"Content-Type",
                                                                  b"application/json")],
                                    b'{"email":"p@example.com"}'),
             405, "Method not allowed", allow=USER_ALLOW))
    add(Case("DELETE /users (collection)", req(b"DELETE", b"/users"), 405, "Method not allowed",
             allow="GET, POST, OPTIONS"))
    add(Case("method with a space", b"DEL ETE /users/victim HTTP/1.1\r\nHost: x\r\n\r\n",
             400, MALFORMED, closed=True))
    add(Case("method with a control character", req(b"DE\x01ETE", b"/users/victim"),
             400, MALFORMED, closed=True))
    add(Case("15 KB method token", req(b"D" * 15000, b"/users/victim"), {400, 405, 431}, ANY,
             other_method=True))
    add(Case("15 KB method token on the object path",
             req(b"P" * 15000, b"/" + BUCKET.encode() + b"/" + VA_KEY.encode()),
             {400, 405, 431}, {"MalformedHTTPRequest", "MethodNotAllowed",
                               "RequestHeaderSectionTooLarge"}, xml=True, other_method=True))

    # --- Paths ----------------------------------------------------------------------------------
    add(Case("GET /users/%zz", req(b"GET", b"/users/%zz"), 400, BAD_PERCENT))
    add(Case("DELETE /users/%zz", req(b"DELETE", b"/users/%zz"), 400, BAD_PERCENT))
    add(Case("DELETE /users/victim%", req(b"DELETE", b"/users/victim%"), 400, BAD_PERCENT))
    add(Case("GET /users/.", req(b"GET", b"/users/."), 400, USER_ID_RULE))
    add(Case("DELETE /users/..", req(b"DELETE", b"/users/.."), 400, USER_ID_RULE))
    add(Case("PUT /users/%2e%2e", put_json(b"/users/%2e%2e", b'{"name":"x"}'), 400,
             USER_ID_RULE))
    add(Case("DELETE /users/victim%00", req(b"DELETE", b"/users/victim%00"), 400, USER_ID_RULE))
    add(Case("DELETE /users/%2fvictim", req(b"DELETE", b"/users/%2fvictim"), 400, USER_ID_RULE))
    add(Case("GET /users/", req(b"GET", b"/users/"), 404, "Not found"))
    add(Case("DELETE /users/victim/", req(b"DELETE", b"/users/victim/"), 404, "Not found"))
    add(Case("DELETE /users/a/b", req(b"DELETE", b"/users/a/b"), 404, "Not found"))
    add(Case("DELETE /users/../users/victim", req(b"DELETE", b"/users/../users/victim"),
             404, "Not found"))
    add(Case("absolute-form target", req(b"GET", b"http://x/users/victim"), 200, None))
    add(Case("over-long path (9,000 bytes)", req(b"DELETE", b"/users/" + b"a" * 9000),
             400, USER_ID_RULE))
    add(Case("NUL byte in the path", req(b"DELETE", b"/users/vic\x00tim"), 400, MALFORMED,
             closed=True))
    add(Case("request line without version", b"DELETE /users/victim\r\nHost: x\r\n\r\n",
             400, MALFORMED, closed=True))
    add(Case("HTTP/2.0 version", req(b"DELETE", b"/users/victim", version=b"HTTP/2.0"),
             set(range(400, 500)) | {505}, ANY, closed=True))
    add(Case("HTTP/1.2 version", req(b"DELETE", b"/users/victim", version=b"HTTP/1.2"),
             set(range(400, 500)) | {505}, ANY, closed=True))
    add(Case("HTTP/2 connection preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
             set(range(400, 500)) | {505}, ANY, closed=True))

    # --- Headers --------------------------------------------------------------------------------
    add(Case("header section over 16 KiB", req(b"DELETE", b"/users/victim",
                                              [(b"X-Big", b"b" * (17 * 1024))]),
             431, HEADERS_TOO_LARGE, closed=True))
    add(Case("header section over 16 KiB on the object path",
             url_req(b"PUT", urls["put_va"], [(b"Content-Type", VA_TYPE.encode()),
                                               (b"X-Big", b"b" * (17 * 1024))], b"EVIL"),
             431, "RequestHeaderSectionTooLarge", closed=True, xml=True))
    add(Case("header line without colon", req(b"DELETE", b"/users/victim", [(b"NoColon", b"")])
             .replace(b"NoColon: \r\n", b"NoColon\r\n"), 400, MALFORMED, closed=True))
    # RFC 9112 §5.2 lets a server join obsolete line folding with a space (Beast does) instead
    # of refusing it: the request is read as one header line, nothing else (docs/operations.md).
    add(Case("obs-fold continuation line, joined with a space",
             req(b"GET", b"/users/victim", [(b"X-A", b"1\r\n  folded")]), 200))
    add(Case("space before the colon", req(b"DELETE", b"/users/victim", [(b"X-A ", b"1")]),
             400, MALFORMED, closed=True))
    add(Case("NUL in a header value", req(b"DELETE", b"/users/victim", [(b"X-A", b"a\x00b")]),
             400, MALFORMED, closed=True))
    # Trace headers (issue 16): an invalid traceparent or tracestate is ignored, never a 400
    # (test_tracing checks the new trace the response then names).
    good_tp = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    for name, headers in (
            ("traceparent of 12 KB", [(b"traceparent", b"0" * (12 * 1024))]),
            ("traceparent twice", [(b"traceparent", good_tp), (b"Traceparent", good_tp)]),
            ("traceparent in upper-case hex", [(b"traceparent", good_tp.upper())]),
            ("traceparent version ff", [(b"traceparent", b"ff" + good_tp[2:])]),
            ("traceparent 00 with extra fields", [(b"traceparent", good_tp + b"-01")]),
            ("traceparent with all-zero ids",
             [(b"traceparent", b"00-" + b"0" * 32 + b"-" + b"0" * 16 + b"-01")]),
            ("traceparent of obs-text bytes", [(b"traceparent", b"\xff\x80" * 28)]),
            ("tracestate of 12 KB, 600 members",
             [(b"traceparent", good_tp), (b"tracestate", b",".join([b"k=v"] * 600)
                                          + b"x" * 10000)]),
            ("tracestate with bad keys", [(b"traceparent", good_tp),
                                          (b"tracestate", b"UPPER=1,=2,a==3")]),
            ("X-Amzn-Trace-Id forged (not Lambda: ignored)",
             [(b"X-Amzn-Trace-Id", b"Root=1-" + b"f" * 8 + b"-" + b"z" * 24)])):
        add(Case(name, req(b"GET", b"/users/victim", headers), 200))

    # --- Bodies: POST /users ----------------------------------------------------------------------
    add(Case("invalid JSON", post_json(b"/users", b'{"userId":"bj1","email":'), 400,
             INVALID_JSON, users=["bj1"]))
    add(Case("empty body", req(b"POST", b"/users", [(b"Content-Type", b"application/json"),
                                                   (b"Content-Length", b"0")]),
             400, INVALID_JSON))
    add(Case("JSON array", post_json(b"/users", b'[{"userId":"bj2","email":"a@example.com"}]'),
             400, NOT_OBJECT, users=["bj2"]))
    add(Case("JSON string", post_json(b"/users", b'"victim"'), 400, NOT_OBJECT))
    add(Case("2,000 nested arrays",
             post_json(b"/users", b'{"userId":"bj3","email":"a@example.com","name":'
                       + b"[" * 2000 + b"]" * 2000 + b"}"),
             400, INVALID_JSON, users=["bj3"]))
    add(Case("number overflow in a string field",
             post_json(b"/users", b'{"userId":"bj4","email":"a@example.com","name":1e999}'),
             400, "name must be a string", users=["bj4"]))
    add(Case("number overflow as userId",
             post_json(b"/users", b'{"userId":123456789012345678901234567890,'
                                  b'"email":"a@example.com"}'),
             400, "userId must be a string"))
    add(Case("duplicate key email",
             post_json(b"/users", b'{"userId":"bj5","email":"a@example.com",'
                                  b'"email":"b@example.com"}'),
             400, "Duplicate key in request body", users=["bj5"]))
    add(Case("duplicate key userId",
             post_json(b"/users", b'{"userId":"bj6","userId":"victim","email":"a@example.com"}'),
             400, "Duplicate key in request body", users=["bj6"]))
    add(Case("unknown field",
             post_json(b"/users", b'{"userId":"bj7","email":"a@example.com","role":"admin"}'),
             400, "Unknown field: role", users=["bj7"]))
    add(Case("server-owned field",
             post_json(b"/users", b'{"userId":"bj8","email":"a@example.com","createdAt":1}'),
             400, "createdAt is set by the server", users=["bj8"]))
    add(Case("userId ..", post_json(b"/users", b'{"userId":"..","email":"a@example.com"}'),
             400, USER_ID_RULE))
    add(Case("email of 10 KB",
             post_json(b"/users", b'{"userId":"bj9","email":"' + b"e" * 10000
                       + b'@example.com"}'),
             400, EMAIL_RULE, users=["bj9"]))
    add(Case("invalid UTF-8 in a string",
             post_json(b"/users", b'{"userId":"bj10","email":"a@example.com","name":"\xff\xfe"}'),
             400, INVALID_JSON, users=["bj10"]))
    add(Case("body with a UTF-8 BOM",
             post_json(b"/users", b'\xef\xbb\xbf{"userId":"bj11","email":"a@example.com"}'),
             400, INVALID_JSON, users=["bj11"]))
    # The body is read as JSON whatever its Content-Type says (docs/api.md): a JSON body labelled
    # text/plain is a valid create; a non-JSON one is refused by the JSON rules above.
    add(Case("JSON body labelled text/plain",
             post_json(b"/users", b'{"userId":"bj12","email":"a@example.com"}',
                       content_type=b"text/plain"), 201))
    add(Case("form body labelled as a form",
             post_json(b"/users", b'userId=bj13&email=a%40example.com',
                       content_type=b"application/x-www-form-urlencoded"),
             400, INVALID_JSON, users=["bj13"]))

    # --- Bodies: PUT /users/victim ------------------------------------------------------------------
    add(Case("PUT userId", put_json(b"/users/victim", b'{"userId":"other"}'), 400,
             "userId cannot be updated"))
    add(Case("PUT ttl", put_json(b"/users/victim", b'{"ttl":1}'), 400, "ttl cannot be updated"))
    add(Case("PUT empty object", put_json(b"/users/victim", b"{}"), 400,
             "At least one of email, name, department is required"))
    add(Case("PUT invalid email", put_json(b"/users/victim", b'{"email":"nope"}'), 400,
             EMAIL_RULE))
    add(Case("PUT null department", put_json(b"/users/victim", b'{"department":null}'), 400,
             "department must be a string"))
    add(Case("PUT control character in name",
             put_json(b"/users/victim", b'{"name":"a\\u0000b"}'), 400, ANY))
    add(Case("PUT valid field + unknown field",
             put_json(b"/users/victim", b'{"name":"Mallory","isAdmin":true}'), 400,
             "Unknown field: isAdmin"))
    add(Case("PUT JSON array", put_json(b"/users/victim", b'[{"name":"Mallory"}]'), 400,
             NOT_OBJECT))
    add(Case("PUT duplicate key email",
             put_json(b"/users/victim", b'{"email":"m@example.com","email":"victim@example.com"}'),
             400, "Duplicate key in request body"))

    # --- Bodies: POST /assets -------------------------------------------------------------------------
    def asset(obj):
        return post_json(b"/assets", jbytes(obj))

    add(Case("fileName ..", asset({"assetId": "ba1", "fileName": ".."}), 400, FILE_NAME_RULE,
             assets=["ba1"]))
    add(Case("fileName a/b", asset({"assetId": "ba2", "fileName": "a/b"}), 400, FILE_NAME_RULE,
             assets=["ba2"]))
    add(Case("fileName with a backslash", asset({"assetId": "ba3", "fileName": "..\\x"}), 400,
             FILE_NAME_RULE, assets=["ba3"]))
    add(Case("fileName of 300 bytes", asset({"assetId": "ba4", "fileName": "f" * 300}), 400,
             FILE_NAME_RULE, assets=["ba4"]))
    add(Case("fileName with a newline", asset({"assetId": "ba5", "fileName": "a\nb"}), 400,
             FILE_NAME_RULE, assets=["ba5"]))
    add(Case("contentType invalid",
             asset({"assetId": "ba6", "fileName": "f.txt", "contentType": "text plain"}), 400,
             CONTENT_TYPE_RULE, assets=["ba6"]))
    add(Case("contentType with CRLF",
             asset({"assetId": "ba7", "fileName": "f.txt",
                    "contentType": "text/plain\r\nX-Evil: 1"}),
             400, CONTENT_TYPE_RULE, assets=["ba7"]))
    add(Case("assetId ..", asset({"assetId": "..", "fileName": "f.txt"}), 400, ASSET_ID_RULE))
    add(Case("server-owned status", asset({"assetId": "ba8", "fileName": "f.txt",
                                           "status": "uploaded"}),
             400, "status is set by the server", assets=["ba8"]))
    add(Case("fileName not a string", asset({"assetId": "ba9", "fileName": ["f.txt"]}), 400,
             "fileName must be a string", assets=["ba9"]))
    add(Case("re-POST of va with another fileName", asset({"assetId": "va",
                                                           "fileName": "evil.sh"}),
             200, None))

    # --- Object endpoint ----------------------------------------------------------------------------
    va_path = ("/%s/%s" % (BUCKET, VA_KEY)).encode()
    ct = [(b"Content-Type", VA_TYPE.encode())]
    add(Case("object GET without signature", req(b"GET", va_path), 403, "AccessDenied",
             xml=True))
    add(Case("object PUT without signature", req(b"PUT", va_path, ct, b"EVIL"), 403,
             "AccessDenied", closed=True, xml=True))
    add(Case("object PUT with tampered signature",
             url_req(b"PUT", tamper_signature(urls["put_va"]), ct, b"EVIL"), 403,
             "SignatureDoesNotMatch", closed=True, xml=True))
    add(Case("object PUT with another Content-Type than signed",
             url_req(b"PUT", urls["put_va"], [(b"Content-Type", b"text/html")], b"EVIL"), 403,
             "SignatureDoesNotMatch", closed=True, xml=True))
    add(Case("object PUT to another key with va's signature",
             url_req(b"PUT", urls["put_va"], ct, b"EVIL",
                     target=url_parts(urls["put_va"])[0].replace(b"/f.txt?", b"/g.txt?")),
             403, "SignatureDoesNotMatch", closed=True, xml=True))
    add(Case("object PUT expired", url_req(b"PUT", urls["expired_put"], ct, b"EVIL"), 403,
             "AccessDenied", closed=True, xml=True))
    add(Case("object GET expired", url_req(b"GET", urls["expired_get"]), 403, "AccessDenied",
             xml=True))
    add(Case("object PUT X-Amz-Expires over 7 days",
             url_req(b"PUT", urls["too_long_put"], ct, b"EVIL"), 400,
             "AuthorizationQueryParametersError", closed=True, xml=True))
    add(Case("object PUT with an unknown access key",
             url_req(b"PUT", urls["unknown_key_put"], ct, b"EVIL"), 403, "InvalidAccessKeyId",
             closed=True, xml=True))
    add(Case("object PUT signed payload hash",
             url_req(b"PUT", urls["put_va"], ct + [(b"x-amz-content-sha256",
                                                   hashlib.sha256(b"EVIL").hexdigest().encode())],
                     b"EVIL"),
             501, "NotImplemented", closed=True, xml=True))
    add(Case("object PUT path traversal /sbapi-assets/../x (signed)",
             url_req(b"PUT", urls["traversal_put"], [], b"EVIL"), {400, 403}, ANY, closed=True,
             xml=True))
    add(Case("object PUT path traversal /sbapi-assets/../x (unsigned)",
             req(b"PUT", b"/sbapi-assets/../x", [], b"EVIL"), {400, 403}, ANY, closed=True,
             xml=True))
    add(Case("object PUT path traversal %2e%2e (signed for ../x)",
             url_req(b"PUT", urls["traversal_put"], [], b"EVIL",
                     target=url_parts(urls["traversal_put"])[0].replace(b"/../", b"/%2e%2e/")),
             {400, 403}, ANY, closed=True, xml=True))
    add(Case("object PUT path traversal assets/va/../../../x (signed)",
             url_req(b"PUT", urls["deep_traversal_put"], [], b"EVIL"), {400, 403}, ANY,
             closed=True, xml=True))
    add(Case("object PUT path traversal ..%2f..%2f..%2fx (signed for ../../../x)",
             url_req(b"PUT", urls["deep_traversal_put"], [], b"EVIL",
                     target=url_parts(urls["deep_traversal_put"])[0].replace(
                         b"/../../../x?", b"/..%2f..%2f..%2fx?")),
             {400, 403}, ANY, closed=True, xml=True))
    add(Case("object PUT chunked (no Content-Length)",
             url_req(b"PUT", urls["put_va"], ct + [(b"Transfer-Encoding", b"chunked")],
                     length=False) + chunked(b"EVIL"),
             411, "MissingContentLength", closed=True, xml=True))
    add(Case("object PUT over 5 GiB announced",
             url_req(b"PUT", urls["put_va"], ct + [(b"Content-Length", b"5368709121")],
                     length=False),
             400, "EntityTooLarge", closed=True, xml=True))
    add(Case("object PUT key segment over 255 bytes",
             url_req(b"PUT", urls["long_key_put"], [], b"EVIL"), 400, "KeyTooLongError",
             closed=True, xml=True))
    add(Case("object PUT a/b/c below the stored object a/b",
             url_req(b"PUT", urls["conflict_file_put"], [], b"EVIL"), 409, "KeyConflict",
             closed=True, xml=True))
    add(Case("object PUT d/e above the stored object d/e/f",
             url_req(b"PUT", urls["conflict_dir_put"], [], b"EVIL"), 409, "KeyConflict",
             closed=True, xml=True))
    add(Case("object DELETE (signed GET URL)", url_req(b"DELETE", urls["get_va"]), 405,
             "MethodNotAllowed", xml=True, allow=OBJECT_ALLOW))
    add(Case("object POST", req(b"POST", va_path, ct, b"EVIL"), 405, "MethodNotAllowed",
             closed=True, xml=True, allow=OBJECT_ALLOW))
    add(Case("object Content-Length abc",
             url_req(b"PUT", urls["put_va"], ct + [(b"Content-Length", b"abc")], b"EVIL",
                     length=False),
             400, "MalformedHTTPRequest", closed=True, xml=True))

    # --- Query strings of the listings (GET /users, GET /assets; issue 14) ---------------------
    # core/query_params.h: strict %HH, no empty, unknown or repeated name, values up to 2048
    # bytes; core/listing.h: limit 1-100 in digits, nextToken bound to its query. Each is a 400
    # with its message (the head limit, 16 KiB, is a 431), nothing is stored, and the secret
    # file of the page tokens was made by the fixture's listings before the first snapshot.
    def get(target):
        return req(b"GET", target)

    ut, at = urls["users_token"].encode(), urls["assets_token"].encode()
    for path, token in ((b"/users", ut), (b"/assets", at)):
        n = path.decode()
        add(Case("GET %s?limit=2&nextToken=<its token> (control)" % n,
                 get(path + b"?limit=2&nextToken=" + token), 200))
        add(Case("GET %s?limit twice" % n, get(path + b"?limit=1&limit=2"), 400,
                 "Repeated query parameter: limit"))
        add(Case("GET %s?limit twice, once as %%6cimit" % n, get(path + b"?limit=1&%6cimit=1"),
                 400, "Repeated query parameter: limit"))
        add(Case("GET %s?nextToken twice" % n,
                 get(path + b"?nextToken=" + token + b"&nextToken=" + token), 400,
                 "Repeated query parameter: nextToken"))
        add(Case("GET %s?limit=%%zz" % n, get(path + b"?limit=%zz"), 400, BAD_QUERY))
        add(Case("GET %s?limit=%%4" % n, get(path + b"?limit=%4"), 400, BAD_QUERY))
        add(Case("GET %s?limit=5%%" % n, get(path + b"?limit=5%"), 400, BAD_QUERY))
        add(Case("GET %s?%%" % n, get(path + b"?%"), 400, BAD_QUERY))
        add(Case("GET %s?li%%6=5 (bad escape in a name)" % n, get(path + b"?li%6=5"), 400,
                 BAD_QUERY))
        add(Case("GET %s?li%%00mit=5 (NUL in a name)" % n, get(path + b"?li%00mit=5"), 400,
                 UNKNOWN_PARAM))
        add(Case("GET %s?%%0d%%0a=1 (CR LF as a name)" % n, get(path + b"?%0d%0a=1"), 400,
                 UNKNOWN_PARAM))
        add(Case("GET %s?%%ff%%fe=1 (not UTF-8 as a name)" % n, get(path + b"?%ff%fe=1"), 400,
                 UNKNOWN_PARAM))
        add(Case("GET %s?%%22%%3e=1 (a quote in a name is not echoed)" % n,
                 get(path + b"?%22%3e=1"), 400, UNKNOWN_PARAM))
        add(Case("GET %s?a%%5cb=1 (a backslash in a name, echoed as JSON)" % n,
                 get(path + b"?a%5cb=1"), 400, UNKNOWN_PARAM + ": a\\b"))
        add(Case("GET %s?<64-byte name>=1 (echoed)" % n, get(path + b"?" + b"n" * 64 + b"=1"),
                 400, UNKNOWN_PARAM + ": " + "n" * 64))
        add(Case("GET %s?<65-byte name>=1 (not echoed)" % n,
                 get(path + b"?" + b"n" * 65 + b"=1"), 400, UNKNOWN_PARAM))
        add(Case("GET %s?LIMIT=5 (names are case-sensitive)" % n, get(path + b"?LIMIT=5"), 400,
                 UNKNOWN_PARAM + ": LIMIT"))
        add(Case("GET %s?=1" % n, get(path + b"?=1"), 400, EMPTY_NAME))
        add(Case("GET %s?&" % n, get(path + b"?&"), 400, EMPTY_NAME))
        add(Case("GET %s?==" % n, get(path + b"?=="), 400, EMPTY_NAME))
        add(Case("GET %s?a=1&&b=2" % n, get(path + b"?a=1&&b=2"), 400, UNKNOWN_PARAM + ": a"))
        add(Case("GET %s?limit=1&&nextToken=x" % n, get(path + b"?limit=1&&nextToken=x"), 400,
                 EMPTY_NAME))
        add(Case("GET %s?limit=5& (trailing &)" % n, get(path + b"?limit=5&"), 400, EMPTY_NAME))
        add(Case("GET %s?&limit=5 (leading &)" % n, get(path + b"?&limit=5"), 400, EMPTY_NAME))
        add(Case("GET %s?%%00=1 (NUL as a name)" % n, get(path + b"?%00=1"), 400, UNKNOWN_PARAM))
        for value in (b"99999999999999999999", b"-0", b"0x10", b"0", b"101", b"-1", b"+5",
                      b"%2b5", b"%205", b"5%20", b"1e2", b"5.0", b"", b"%00", b"5%00",
                      b"%ff%fe"):
            add(Case("GET %s?limit=%s" % (n, value.decode()), get(path + b"?limit=" + value),
                     400, LIMIT_RULE))
        add(Case("GET %s?limit (no '=')" % n, get(path + b"?limit"), 400, LIMIT_RULE))
        add(Case("GET %s?nextToken of 3 KB" % n, get(path + b"?nextToken=" + b"A" * 3072), 400,
                 "Query parameter nextToken is too long"))
        add(Case("GET %s?nextToken of 2,048 bytes, version byte 1 (forged)" % n,
                 get(path + b"?nextToken=AQ" + b"A" * 2046), 400, BAD_TOKEN))
        add(Case("GET %s?nextToken=<token>= (raw '=' padding)" % n,
                 get(path + b"?nextToken=" + token + b"="), 400, BAD_TOKEN))
        add(Case("GET %s?nextToken=<token>%%3d%%3d (padding)" % n,
                 get(path + b"?nextToken=" + token + b"%3d%3d"), 400, BAD_TOKEN))
        add(Case("GET %s?nextToken with %%20 inside" % n,
                 get(path + b"?nextToken=" + token[:10] + b"%20" + token[10:]), 400, BAD_TOKEN))
        add(Case("GET %s?nextToken=%%20<token>" % n,
                 get(path + b"?nextToken=%20" + token), 400, BAD_TOKEN))
        add(Case("GET %s?nextToken truncated by one character" % n,
                 get(path + b"?nextToken=" + token[:-1]), 400, BAD_TOKEN))
        add(Case("GET %s?nextToken with a NUL appended" % n,
                 get(path + b"?nextToken=" + token + b"%00"), 400, BAD_TOKEN))
        add(Case("GET %s?nextToken=%%ff%%fe" % n, get(path + b"?nextToken=%ff%fe"), 400,
                 BAD_TOKEN))
        add(Case("GET %s?nextToken= (empty)" % n, get(path + b"?nextToken="), 400, BAD_TOKEN))
        add(Case("GET %s?nextToken (no '=')" % n, get(path + b"?nextToken"), 400, BAD_TOKEN))
        add(Case("GET %s?<15 KB query> (within the head limit)" % n,
                 get(path + b"?limit=" + b"1" * 15000), 400, "Query parameter limit is too long"))
        add(Case("GET %s?<100 KB query> (over the head limit)" % n,
                 get(path + b"?limit=" + b"1" * 100000), 431, HEADERS_TOO_LARGE, closed=True))
        add(Case("GET %s?<7,000 empty pairs>" % n, get(path + b"?" + b"&" * 7000), 400,
                 EMPTY_NAME))
        add(Case("GET %s?limit=1 x 1,500" % n, get(path + b"?" + b"&".join([b"limit=1"] * 1500)),
                 400, "Repeated query parameter: limit"))
    # A token is bound to its query: route, filters and caller.
    add(Case("GET /assets?nextToken=<a users token>", get(b"/assets?nextToken=" + ut), 400,
             BAD_TOKEN))
    add(Case("GET /users?nextToken=<an assets token>", get(b"/users?nextToken=" + at), 400,
             BAD_TOKEN))
    add(Case("GET /assets?status=pending&nextToken=<an unfiltered token>",
             get(b"/assets?status=pending&nextToken=" + at), 400, BAD_TOKEN))
    add(Case("GET /users?email=victim@example.com&nextToken=<an unfiltered token>",
             get(b"/users?email=victim%40example.com&nextToken=" + ut), 400, BAD_TOKEN))
    add(Case("GET /users?email=<10 KB>", get(b"/users?email=" + b"e" * 10000 + b"%40example.com"),
             400, "Query parameter email is too long"))
    add(Case("GET /users?email=<2,049 bytes>",
             get(b"/users?email=" + b"e" * 2037 + b"%40example.com"), 400,
             "Query parameter email is too long"))
    add(Case("GET /users?email=<255 bytes>", get(b"/users?email=" + b"e" * 243 + b"@example.com"),
             400, EMAIL_RULE))
    add(Case("GET /users?email twice", get(b"/users?email=victim%40example.com&email=x%40y.z"),
             400, "Repeated query parameter: email"))
    add(Case("GET /users?email=%zz@example.com", get(b"/users?email=%zz@example.com"), 400,
             BAD_QUERY))
    add(Case("GET /users?email=%ff%fe (not UTF-8)", get(b"/users?email=%ff%fe"), 400,
             EMAIL_RULE))
    add(Case("GET /users?email=%ff%fe@example.com (not UTF-8, else a valid address)",
             get(b"/users?email=%ff%fe%40example.com"), 400, EMAIL_RULE))
    add(Case("GET /users?email=a%00b@example.com (NUL)", get(b"/users?email=a%00b@example.com"),
             400, EMAIL_RULE))
    add(Case("GET /users?email=a%0d%0ab@example.com (CR LF)",
             get(b"/users?email=a%0d%0ab@example.com"), 400, EMAIL_RULE))
    add(Case("GET /users?status=pending (an assets parameter)", get(b"/users?status=pending"),
             400, UNKNOWN_PARAM + ": status"))
    add(Case("GET /assets?email=victim@example.com (a users parameter)",
             get(b"/assets?email=victim%40example.com"), 400, UNKNOWN_PARAM + ": email"))
    add(Case("GET /assets?status twice", get(b"/assets?status=pending&status=uploaded"), 400,
             "Repeated query parameter: status"))
    for value in (b"PENDING", b"pending%00", b"%0d%0aX-Evil:%201", b"", b"%ff%fe",
                  b"pending%20", b"uploaded,pending", b"s" * 2048):
        add(Case("GET /assets?status=%s" % value[:40].decode(), get(b"/assets?status=" + value),
                 400, STATUS_RULE))
    add(Case("GET /assets?status=<2,049 bytes>", get(b"/assets?status=" + b"s" * 2049), 400,
             "Query parameter status is too long"))
    return C


# ------------------------------------------------------------------------------ the tests


def as_set(value):
    return value if isinstance(value, (set, frozenset)) else {value}


def tree_state(root, skip):
    """{relative path: md5} of every file below `root`, except the paths in `skip`."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            if rel in skip:
                continue
            try:
                with open(full, "rb") as f:
                    out[rel] = hashlib.md5(f.read()).hexdigest()
            except FileNotFoundError:
                pass
        for name in dirnames:
            out[os.path.relpath(os.path.join(dirpath, name), root) + "/"] = "dir"
    return out


class HostileInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.environ.get("SBAPI_NO_DATA_DIR") == "1":
            raise unittest.SkipTest("the matrix checks the local data dir and object endpoint")
        cls.root = tempfile.mkdtemp(prefix="sbapi-bb-hostile-")
        cls.data_dir = os.path.join(cls.root, "data")
        os.makedirs(cls.data_dir)
        cls.srv = SbapiServer(data_dir=cls.data_dir)
        try:
            cls._set_up_fixtures()
        except BaseException:
            cls.srv.stop()
            shutil.rmtree(cls.root, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            shutil.rmtree(cls.root, ignore_errors=True)

    @classmethod
    def _set_up_fixtures(cls):
        srv = cls.srv
        status, _h, body = srv.request("POST", "/users", VICTIM)
        assert status == 201, (status, body)
        status, _h, body = srv.request("POST", "/assets", {"assetId": "va", "fileName": "f.txt",
                                                           "contentType": VA_TYPE})
        assert status == 201, (status, body)
        status, _h, body = url_request(body["uploadUrl"], "PUT", VA_BYTES,
                                       {"Content-Type": VA_TYPE}, port=srv.port)
        assert status == 200, (status, body)
        for key in ("a/b", "d/e/f"):
            status, _h, body = url_request(srv.presign("PUT", key), "PUT", b"stored " + key.encode(),
                                           port=srv.port)
            assert status == 200, (key, status, body)
        # A second user and asset, so that the listings' first pages of one end with a token
        # (which also makes the page-token secret file before any case takes its snapshot).
        status, _h, body = srv.request("POST", "/users", {"userId": "pager",
                                                          "email": "pager@example.com"})
        assert status == 201, (status, body)
        status, _h, body = srv.request("POST", "/assets", {"assetId": "vb", "fileName": "g.txt",
                                                           "contentType": VA_TYPE})
        assert status == 201, (status, body)
        tokens = {}
        for path in ("/users", "/assets"):
            status, _h, body = srv.request("GET", path + "?limit=1")
            assert status == 200 and len(body["items"]) == 1 and body["nextToken"], (status, body)
            tokens[path] = body["nextToken"]
        public = "http://localhost:%d" % srv.port
        cls.urls = {
            "users_token": tokens["/users"],
            "assets_token": tokens["/assets"],
            "put_va": srv.presign("PUT", VA_KEY, content_type=VA_TYPE),
            "get_va": srv.presign("GET", VA_KEY),
            "expired_put": srv.presign("PUT", VA_KEY, content_type=VA_TYPE,
                                       time="20200101T000000Z"),
            "expired_get": srv.presign("GET", VA_KEY, time="20200101T000000Z"),
            "too_long_put": presign_url("PUT", VA_KEY, public_url=public, content_type=VA_TYPE,
                                        expires=604801),
            "unknown_key_put": presign_url("PUT", VA_KEY, public_url=public,
                                           content_type=VA_TYPE, access_key_id="nobody"),
            "traversal_put": srv.presign("PUT", "../x"),
            "deep_traversal_put": srv.presign("PUT", "assets/va/../../../x"),
            "long_key_put": srv.presign("PUT", "x/" + "k" * 300),
            "conflict_file_put": srv.presign("PUT", "a/b/c"),
            "conflict_dir_put": srv.presign("PUT", "d/e"),
        }
        cls.cases = build_cases(cls.urls)

    # ------------------------------------------------------------------ helpers

    def get_json(self, path):
        status, _h, body = self.srv.request("GET", path)
        return status, body

    def snapshot(self):
        skip = {os.path.join("data", n) for n in ("sbapi.db", "sbapi.db-wal", "sbapi.db-shm")}
        return {
            "victim": self.get_json("/users/victim"),
            "va": self.get_json("/assets/va"),
            "files": tree_state(self.root, skip),
        }

    def ensure_victim(self):
        status, _body = self.get_json("/users/victim")
        if status == 404:  # an earlier case deleted it (reported there): the next cases need it
            self.srv.request("POST", "/users", VICTIM)

    def health_on_new_connection(self):
        ex = exchange(self.srv.port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                      wait_close=False)
        return ex.status, ex.body

    # ------------------------------------------------------------------ one case

    def run_case(self, case):
        self.ensure_victim()
        before = self.snapshot()
        ex = exchange(self.srv.port, case.data, wait_close=bool(case.closed))
        problems = []
        where = "%s: got %r" % (case.name, ex.raw[:400])

        # Status.
        expected = as_set(case.status)
        if ex.status not in expected:
            problems.append("status %r, expected %s" % (ex.status, sorted(expected)
                                                        if len(expected) < 6 else "4xx/505"))
        if ex.status is not None:
            if 100 in ex.interim and ex.status >= 400:
                problems.append("100 Continue was sent before the %d" % ex.status)
            # Error body: JSON on API paths, S3 XML on the object endpoint.
            if case.error is not None:
                if case.xml:
                    if "application/xml" not in ex.headers.get("content-type", ""):
                        problems.append("object error not application/xml: %r"
                                        % ex.headers.get("content-type"))
                    try:
                        code = s3_error(ex.body).get("Code", "")
                        if case.error is ANY:
                            if not code:
                                problems.append("S3 error without Code")
                        elif code not in as_set(case.error):
                            problems.append("S3 Code %r, expected %r" % (code, case.error))
                    except AssertionError as e:
                        problems.append(str(e))
                else:
                    if ex.headers.get("content-type") != "application/json":
                        problems.append("error not application/json: %r"
                                        % ex.headers.get("content-type"))
                    try:
                        err = json.loads(ex.body.decode("utf-8")).get("error")
                    except (ValueError, UnicodeDecodeError, AttributeError):
                        err = None
                    if case.error is ANY:
                        if not isinstance(err, str) or not err:
                            problems.append("no JSON error text: %r" % ex.body[:200])
                    elif err not in as_set(case.error):
                        problems.append("error %r, expected %r" % (err, case.error))
            if case.allow is not None and ex.headers.get("allow") != case.allow:
                problems.append("Allow %r, expected %r" % (ex.headers.get("allow"), case.allow))
            # Access log: bounded, and an unknown method is "OTHER".
            rid = ex.headers.get("x-request-id")
            if rid is None:
                problems.append("no X-Request-Id")
            else:
                line = self.srv.wait_for_log(lambda o: o.get("requestId") == rid, timeout=3)
                raw = [ln for ln in self.srv.raw_logs() if rid in ln]
                if line is None or not raw:
                    problems.append("no access-log line for request id %s" % rid)
                else:
                    if max(len(ln) for ln in raw) >= LOG_LINE_LIMIT:
                        problems.append("access-log line of %d bytes"
                                        % max(len(ln) for ln in raw))
                    if case.other_method and line.get("method") != "OTHER":
                        problems.append("access log method %r, expected 'OTHER'"
                                        % str(line.get("method"))[:80])

        # Framing: closed, and no second (smuggled) response.
        if case.closed:
            if not ex.closed:
                problems.append("connection not closed by the server within %.0f s" % RECV_TIMEOUT)
            if ex.extra:
                problems.append("bytes after the response (a second response?): %r"
                                % ex.extra[:200])
            if ex.version == "HTTP/1.1" and ex.headers.get("connection", "").lower() != "close":
                problems.append("no 'Connection: close' on a closing response")

        # Nothing written.
        after = self.snapshot()
        if after["victim"] != before["victim"]:
            problems.append("victim changed: %r -> %r" % (before["victim"], after["victim"]))
        if after["va"] != before["va"]:
            problems.append("asset va changed: %r -> %r" % (before["va"], after["va"]))
        if after["files"] != before["files"]:
            added = sorted(set(after["files"]) - set(before["files"]))
            removed = sorted(set(before["files"]) - set(after["files"]))
            changed = sorted(k for k in before["files"]
                             if k in after["files"] and after["files"][k] != before["files"][k])
            problems.append("files changed: added %r removed %r changed %r"
                            % (added, removed, changed))
        for uid in case.users:
            status, body = self.get_json("/users/" + uid)
            if status != 404:
                problems.append("user %r was created: %r %r" % (uid, status, body))
        for aid in case.assets:
            status, body = self.get_json("/assets/" + aid)
            if status != 404:
                problems.append("asset %r was created: %r %r" % (aid, status, body))

        # Still serving.
        if not self.srv.alive():
            problems.append("the server exited: %s" % self.srv.stderr_text()[-2000:])
        else:
            status, body = self.health_on_new_connection()
            if status != 200:
                problems.append("GET /health afterwards: %r %r" % (status, body))
        return problems, where

    # ------------------------------------------------------------------ tests

    def test_matrix(self):
        names = [c.name for c in self.cases]
        self.assertEqual(len(names), len(set(names)), "case names must be unique")
        self.assertGreaterEqual(len(self.cases), 60)
        self.assertEqual(len({c.data for c in self.cases}), len(self.cases),
                         "every case must send a distinct request")
        failed = []
        for case in self.cases:
            with self.subTest(case=case.name):
                problems, where = self.run_case(case)
                if problems:
                    failed.append(case.name)
                self.assertEqual(problems, [], where)
        # Every line the server wrote (access log and events) stays bounded.
        long_lines = [ln[:200] for ln in self.srv.raw_logs() if len(ln) >= LOG_LINE_LIMIT]
        self.assertEqual(long_lines, [], "log lines of 1 KiB or more")

    def test_concurrent_puts_to_one_url(self):
        srv = self.srv
        ctype = "application/octet-stream"
        status, _h, body = srv.request("POST", "/assets", {"assetId": "conc", "fileName": "c.bin",
                                                           "contentType": ctype})
        self.assertEqual(status, 201, body)
        upload_url = body["uploadUrl"]
        status, _h, body = srv.request("GET", "/assets/conc/download")
        self.assertEqual(status, 200, body)
        download_url = body["downloadUrl"]
        for round_no in range(5):
            bodies = [(b"r%d-t%d|" % (round_no, i)) * ((i + 1) * (round_no + 1) * 997)
                      for i in range(8)]
            results = [None] * 8
            start = threading.Barrier(8)

            def put(i):
                start.wait()
                try:
                    results[i] = url_request(upload_url, "PUT", bodies[i],
                                             {"Content-Type": ctype}, port=srv.port)[:2]
                except Exception as exc:  # reported below
                    results[i] = exc

            threads = [threading.Thread(target=put, args=(i,), daemon=True) for i in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            for i, r in enumerate(results):
                self.assertFalse(isinstance(r, Exception), "round %d put %d: %r" % (round_no, i, r))
                self.assertEqual(r[0], 200, "round %d put %d: %r" % (round_no, i, r))
                self.assertEqual(r[1].get("etag"), '"%s"' % md5_hex(bodies[i]))
            status, _h, asset = srv.request("GET", "/assets/conc")
            self.assertEqual(status, 200, asset)
            status, _h, data = url_request(download_url, "GET", port=srv.port)
            self.assertEqual(status, 200, data[:200])
            self.assertIn(data, bodies, "round %d: the stored file is none of the uploads"
                          % round_no)
            self.assertEqual((asset.get("status"), asset.get("size"), asset.get("etag")),
                             ("uploaded", len(data), md5_hex(data)),
                             "round %d: the asset record does not describe the stored file "
                             "(stored: %d bytes, md5 %s)" % (round_no, len(data), md5_hex(data)))
        self.assertTrue(srv.alive())


if __name__ == "__main__":
    unittest.main()


class AuthorizationHeaderTest(unittest.TestCase):
    """Hostile `Authorization` headers against `sbapi serve --auth local` (docs/api.md,
    "Authentication"): each answers its exact status, writes nothing, never echoes the
    credentials into a log line, and the server keeps serving."""

    @classmethod
    def setUpClass(cls):
        if os.environ.get("SBAPI_NO_DATA_DIR") == "1":
            raise unittest.SkipTest("--auth local keeps its key in the data dir")
        cls.root = tempfile.mkdtemp(prefix="sbapi-bb-hostile-auth-")
        cls.data_dir = os.path.join(cls.root, "data")
        os.makedirs(cls.data_dir)
        cls.srv = SbapiServer(data_dir=cls.data_dir, extra_args=["--auth", "local"])
        try:
            run = subprocess.run([cls.srv.binary, "token", "--sub", "victim", "--data-dir",
                                  cls.data_dir], capture_output=True, text=True, timeout=30)
            assert run.returncode == 0, run.stderr
            cls.token = run.stdout.strip().encode("ascii")
        except BaseException:
            cls.srv.stop()
            shutil.rmtree(cls.root, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            shutil.rmtree(cls.root, ignore_errors=True)

    def bearer(self, sub, *groups):
        run = subprocess.run([self.srv.binary, "token", "--sub", sub, "--data-dir", self.data_dir]
                             + [a for g in groups for a in ("--group", g)],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(run.returncode, 0, run.stderr)
        return b"Bearer " + run.stdout.strip().encode("ascii")

    def get_as(self, target, bearer):
        ex = exchange(self.srv.port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nAuthorization: "
                      + bearer + b"\r\n\r\n", wait_close=False)
        return ex.status, json.loads(ex.body.decode("utf-8"))

    def test_listing_tokens_are_bound_to_the_caller(self):
        """A page token continues the listing of the caller it was issued to, on its query only:
        another subject's, an admin's, or the same caller on another filter → 400 Invalid
        nextToken. A non-admin may not list every user (403) and gets no token for an email
        search."""
        owner, other = self.bearer("lister"), self.bearer("other")
        boss = self.bearer("boss", "admin")
        for i in range(3):
            ex = exchange(self.srv.port, b"POST /assets HTTP/1.1\r\nHost: x\r\nAuthorization: "
                          + owner + b"\r\nContent-Type: application/json\r\nContent-Length: %d"
                          b"\r\n\r\n" % len(jbytes({"assetId": "listed%d" % i, "fileName": "f"}))
                          + jbytes({"assetId": "listed%d" % i, "fileName": "f"}), wait_close=False)
            self.assertEqual(ex.status, 201, ex.body[:300])
        status, page = self.get_as(b"/assets?limit=1", owner)
        self.assertEqual(status, 200, page)
        self.assertEqual(len(page["items"]), 1, page)
        token = page["nextToken"].encode("ascii")
        status, page = self.get_as(b"/assets?limit=5&nextToken=" + token, owner)
        self.assertEqual((status, len(page.get("items", ()))), (200, 2), page)
        for name, target, bearer in (
                ("another subject", b"/assets?nextToken=" + token, other),
                ("an admin", b"/assets?nextToken=" + token, boss),
                ("the owner, filtered", b"/assets?status=pending&nextToken=" + token, owner),
                ("the owner, on /users", b"/users?email=lister%40example.com&nextToken=" + token,
                 owner)):
            with self.subTest(case=name):
                self.assertEqual(self.get_as(target, bearer), (400, {"error": "Invalid nextToken"}))
        self.assertEqual(self.get_as(b"/users?limit=1", owner),
                         (403, {"error": "Only admins may list every user"}))
        self.assertEqual(self.get_as(b"/users?limit=1&limit=2", owner),
                         (400, {"error": "Repeated query parameter: limit"}))
        self.assertTrue(self.srv.alive(), self.srv.stderr_text()[-2000:])

    def post_victim(self, auth_lines):
        body = jbytes({"userId": "victim", "email": "victim@example.com"})
        return (b"POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + b"".join(b"Authorization: " + v + b"\r\n" for v in auth_lines)
                + b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def victim_status(self):
        ex = exchange(self.srv.port, b"GET /users/victim HTTP/1.1\r\nHost: x\r\nAuthorization: "
                      b"Bearer " + self.token + b"\r\n\r\n", wait_close=False)
        return ex.status

    def test_hostile_authorization_headers(self):
        no_token = "Authentication required: send Authorization: Bearer <token>"
        malformed = "Malformed bearer token"
        forged = self.token[:-4] + (b"AAAA" if not self.token.endswith(b"AAAA") else b"BBBB")
        cases = [
            ("no header", [], 401, no_token),
            ("empty value", [b""], 401, no_token),
            ("Basic scheme", [b"Basic dmljdGltOnB3"], 401, no_token),
            ("scheme without token", [b"Bearer"], 401, malformed),
            ("two spaces, no token", [b"Bearer  "], 401, malformed),
            ("token with a space", [b"Bearer a b"], 401, malformed),
            ("token with a comma", [b"Bearer a,b"], 401, malformed),
            ("quoted token", [b'Bearer "abc"'], 401, malformed),
            ("non-ASCII token", [b"Bearer \xc3\xa4\xc3\xb6"], 401, malformed),
            ("control byte", [b"Bearer ab\x01cd"], 400, MALFORMED),
            ("two Authorization headers", [b"Bearer " + self.token, b"Bearer " + self.token],
             400, "Repeated Authorization header"),
            ("a forged signature", [b"Bearer " + forged], 401, ANY),
            ("a 16 KB token", [b"Bearer " + b"A" * (15 * 1024)], 401, ANY),
            ("an Authorization header over the head limit", [b"Bearer " + b"A" * (17 * 1024)],
             431, HEADERS_TOO_LARGE),
        ]
        self.assertEqual(self.victim_status(), 404)
        for name, lines, status, error in cases:
            with self.subTest(case=name):
                ex = exchange(self.srv.port, self.post_victim(lines), wait_close=False)
                self.assertEqual(ex.status, status, ex.body[:300])
                body = json.loads(ex.body.decode("utf-8"))
                if error is not ANY:
                    self.assertEqual(body.get("error"), error)
                if status == 401:
                    self.assertTrue(ex.headers.get("www-authenticate", "").startswith(
                        'Bearer realm="sbapi"'), ex.headers)
                self.assertEqual(self.victim_status(), 404, "the user was created")
                self.assertTrue(self.srv.alive(), self.srv.stderr_text()[-2000:])
        # The good token, any case of the scheme, still works, and no credential was logged.
        ex = exchange(self.srv.port, self.post_victim([b"bEaReR " + self.token]), wait_close=False)
        self.assertEqual(ex.status, 201, ex.body[:300])
        token_text = self.token.decode("ascii")
        signature = token_text.rsplit(".", 1)[1]
        for line in self.srv.raw_logs():
            self.assertNotIn(signature, line)
            self.assertNotIn(token_text.split(".")[1], line)
