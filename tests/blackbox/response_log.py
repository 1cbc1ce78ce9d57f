"""Response log of the black-box suites (issue 15): every exchange with a sbapi server.

When the environment variable SBAPI_RESPONSE_LOG names a directory, every request the shared
helpers send to a `sbapi serve` started by SbapiServer in this process, and its answer, is
appended as one JSON line to `<dir>/<suite>-<pid>.jsonl` (the directory is created if missing).
tests/openapi/validate_responses.mjs then checks each one against openapi.yaml. Unset: nothing is
recorded and nothing here costs anything.

Only sbapi's own HTTP API is recorded: an exchange counts when its port is that of a live
SbapiServer of this process (`register` / `unregister`), so requests to moto, s3rver, dynalite,
the fake JWKS servers or the Lambda runtime emulator never are. Hooks:
  - RecordingHTTPConnection: SbapiServer.connection() / request() / request_on(), and
    s3_helpers.url_request(), go through it (plain http.client with a recording response);
  - record_raw(): sbapi_server.send_raw() (raw sockets; every response in the bytes read, paired
    with the requests parsed from the bytes sent) and test_hostile_input's exchange();
  - record_curl(): s3_helpers.curl_put()/curl_get();
  - record_invoke(): an API Gateway proxy result printed by `sbapi invoke` (marked
    "transport": "lambda-invoke").

One line:
  {"suite", "test" (unittest id, or null), "transport": "http"|"raw"|"curl"|"lambda-invoke",
   "port", "objectBucket" (the local object endpoint's bucket; null on --backend aws),
   "auth" (the server's --auth mode: none|local|jwt; null for lambda-invoke),
   "method", "target" (raw path+query as sent; null when the request line did not parse),
   "requestHeaders": {authorization: "<scheme> (redacted)"|absent, content-type, ...},
   "status", "headers": {lower-cased name: value, repeated ones joined with ", "},
   "body": text | null, "bodyBase64": base64 (when not UTF-8) | absent,
   "bodyOmitted": true (too large or not read) | absent}
"""

import base64
import json
import os
import sys
import threading
import http.client
import unittest
import urllib.parse

__all__ = ["enabled", "register", "unregister", "RecordingHTTPConnection", "record",
           "record_raw", "record_curl", "record_invoke", "parse_request_stream"]

MAX_BODY = 256 * 1024  # bodies above this are not stored (the validator then checks no body)

_lock = threading.Lock()
_endpoints = {}  # port -> {"objectBucket": str | None, "auth": str | None}

# Request headers worth keeping (the Authorization value is never stored, only its scheme).
_REQUEST_HEADERS = ("authorization", "content-type", "content-length", "transfer-encoding",
                    "origin", "access-control-request-method", "host", "expect")


def log_dir():
    return os.environ.get("SBAPI_RESPONSE_LOG") or None


def enabled():
    return log_dir() is not None


def register(port, object_bucket, auth=None):
    """A live SbapiServer listens on `port` (object endpoint bucket, or None without one;
    its --auth mode)."""
    with _lock:
        _endpoints[int(port)] = {"objectBucket": object_bucket, "auth": auth}


def unregister(port):
    with _lock:
        _endpoints.pop(int(port), None)


def _endpoint(port):
    if port is None:
        return None
    with _lock:
        return _endpoints.get(int(port))


def _suite():
    explicit = os.environ.get("SBAPI_RESPONSE_SUITE")
    if explicit:
        return explicit
    for arg in sys.argv[1:]:
        if arg.startswith("test_"):
            return arg.split(".")[0]
    return os.path.splitext(os.path.basename(sys.argv[0] or "blackbox"))[0] or "blackbox"


def _current_test():
    frame = sys._getframe(1)
    while frame is not None:
        owner = frame.f_locals.get("self")
        if isinstance(owner, unittest.TestCase):
            return owner.id()
        cls = frame.f_locals.get("cls")
        if isinstance(cls, type) and issubclass(cls, unittest.TestCase):
            return "%s.%s.%s" % (cls.__module__, cls.__qualname__, frame.f_code.co_name)
        frame = frame.f_back
    return None


def _request_headers(pairs):
    out = {}
    for name, value in pairs:
        key = str(name).lower()
        if key not in _REQUEST_HEADERS:
            continue
        value = str(value)
        if key == "authorization":
            value = (value.split(" ", 1)[0] if value.strip() else "") + " (redacted)"
        out[key] = out[key] + ", " + value if key in out else value
    return out


def _headers_dict(headers):
    if isinstance(headers, dict):
        return {str(k).lower(): str(v) for k, v in headers.items()}
    out = {}
    for name, value in headers:
        key = str(name).lower()
        out[key] = out[key] + ", " + str(value) if key in out else str(value)
    return out


_files = {}  # path -> open file (appended to, flushed after every line)


def _write(entry):
    directory = log_dir()
    if directory is None:
        return
    line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
    path = os.path.join(directory, "%s-%d.jsonl" % (_suite(), os.getpid()))
    with _lock:
        f = _files.get(path)
        if f is None or not os.path.exists(path):  # (also if the directory was emptied)
            os.makedirs(directory, exist_ok=True)
            f = _files[path] = open(path, "a", encoding="utf-8")
        f.write(line)
        f.flush()


def record(port, method, target, request_headers, status, headers, body, transport="http",
           body_complete=True):
    """One exchange with the sbapi on `port` (ignored unless enabled and `port` is sbapi's)."""
    if not enabled():
        return
    endpoint = _endpoint(port)
    if endpoint is None:
        return
    entry = {
        "suite": _suite(),
        "test": _current_test(),
        "transport": transport,
        "port": int(port),
        "objectBucket": endpoint["objectBucket"],
        "auth": endpoint.get("auth"),
        "method": method,
        "target": target,
        "requestHeaders": _request_headers(request_headers or ()),
        "status": int(status),
        "headers": _headers_dict(headers or ()),
        "body": None,
    }
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not body_complete or body is None or len(body) > MAX_BODY:
        entry["bodyOmitted"] = True
    else:
        try:
            entry["body"] = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            entry["bodyBase64"] = base64.b64encode(bytes(body)).decode("ascii")
    _write(entry)


# ------------------------------------------------------------------------------ http.client


class RecordingHTTPResponse(http.client.HTTPResponse):
    """An HTTPResponse that records its exchange once its body has been read (or on close)."""

    _rl = None

    def _rl_emit(self, complete):
        rl, self._rl = self._rl, None
        if rl is not None:
            record(rl["port"], rl["method"], rl["target"], rl["headers"], self.status,
                   self.getheaders(), b"".join(rl["body"]), body_complete=complete)

    def read(self, amt=None):
        data = super().read(amt)
        if self._rl is not None:
            self._rl["body"].append(data)
            if amt is None or not data or self.isclosed():
                self._rl_emit(True)
        return data

    def close(self):
        if self._rl is not None:
            self._rl_emit(False)
        super().close()


class RecordingHTTPConnection(http.client.HTTPConnection):
    """http.client.HTTPConnection that records exchanges with a live SbapiServer."""

    response_class = RecordingHTTPResponse

    def putrequest(self, method, url, *args, **kwargs):
        self._rl_req = {"method": method, "target": url, "headers": []}
        return super().putrequest(method, url, *args, **kwargs)

    def putheader(self, header, *values):
        req = getattr(self, "_rl_req", None)
        if req is not None:
            name = header.decode("latin-1") if isinstance(header, bytes) else str(header)
            text = ", ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v)
                             for v in values)
            req["headers"].append((name, text))
        return super().putheader(header, *values)

    def getresponse(self):
        req, self._rl_req = getattr(self, "_rl_req", None), None
        resp = super().getresponse()
        if req is not None and enabled() and _endpoint(self.port) is not None:
            resp._rl = {"port": self.port, "method": req["method"], "target": req["target"],
                        "headers": req["headers"], "body": []}
            if resp.isclosed():  # nothing to read (e.g. already consumed)
                resp._rl_emit(True)
        return resp


# ------------------------------------------------------------------------------ raw sockets


def _split_head(data, start):
    end = data.find(b"\r\n\r\n", start)
    if end < 0:
        return None
    lines = data[start:end].decode("iso-8859-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            return None
        headers.append((name.strip(), value.strip()))
    return lines[0], headers, end + 4


def _chunked_end(data, pos):
    """The offset after a chunked body starting at pos, or None if it does not parse."""
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            return None
        size_text = data[pos:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return None
        pos = eol + 2
        if size == 0:
            end = data.find(b"\r\n\r\n", pos - 2)
            return None if end < 0 else end + 4
        pos += size + 2


def parse_request_stream(data):
    """The requests in raw request bytes, as far as plain framing allows:
    [(method, target, header pairs)]; a request line that does not parse gives
    (None, None, pairs) and stops the parse."""
    out = []
    pos = 0
    while pos < len(data):
        head = _split_head(data, pos)
        if head is None:
            line = data[pos:].split(b"\r\n", 1)[0].decode("iso-8859-1")
            parts = line.split(" ")
            if len(parts) == 3 and parts[2].startswith("HTTP/"):
                out.append((parts[0], parts[1], []))
            else:
                out.append((None, None, []))
            break
        line, headers, body_start = head
        parts = line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            out.append((None, None, headers))
            break
        out.append((parts[0], parts[1], headers))
        names = {}
        for name, value in headers:
            names.setdefault(name.lower(), []).append(value)
        if "transfer-encoding" in names:
            if names["transfer-encoding"] != ["chunked"] or "content-length" in names:
                break  # ambiguous framing: what follows is not paired
            end = _chunked_end(data, body_start)
            if end is None:
                break
            pos = end
        elif "content-length" in names:
            if len(names["content-length"]) != 1 or not names["content-length"][0].isdigit():
                break
            pos = body_start + int(names["content-length"][0])
        else:
            pos = body_start
    return out


def _parse_responses(raw, methods):
    """Final responses in `raw` -> [(status, header pairs, body bytes, complete)]."""
    out = []
    pos = 0
    while pos < len(raw):
        head = _split_head(raw, pos)
        if head is None:
            break
        line, headers, body_start = head
        parts = line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            break
        status = int(parts[1])
        if 100 <= status < 200:
            pos = body_start
            continue
        method = methods[len(out)] if len(out) < len(methods) else None
        lengths = [v for n, v in headers if n.lower() == "content-length"]
        if method == "HEAD" or status in (204, 304):
            length = 0
        elif lengths and lengths[0].isdigit():
            length = int(lengths[0])
        else:
            length = len(raw) - body_start
        body = raw[body_start:body_start + length]
        out.append((status, headers, body, len(body) == length))
        pos = body_start + length
    return out


def record_raw(port, request_bytes, response_bytes, first_only=False):
    """Raw bytes sent to / read from the sbapi on `port`: each final response is recorded with
    the request it answers (responses beyond the requests that parse are not recorded)."""
    if not enabled() or _endpoint(port) is None:
        return
    requests = parse_request_stream(bytes(request_bytes))
    responses = _parse_responses(bytes(response_bytes), [r[0] for r in requests])
    if first_only:
        responses = responses[:1]
    for (method, target, req_headers), (status, headers, body, complete) in zip(requests,
                                                                               responses):
        record(port, method, target, req_headers, status, headers, body, transport="raw",
               body_complete=complete)


def record_parsed(port, request_bytes, status, headers, body):
    """An already parsed first response to raw request bytes (test_hostile_input)."""
    if not enabled() or _endpoint(port) is None or status is None:
        return
    requests = parse_request_stream(bytes(request_bytes)) or [(None, None, [])]
    method, target, req_headers = requests[0]
    record(port, method, target, req_headers, status, headers, body, transport="raw")


def record_curl(port, method, target, request_headers, status, headers, body):
    record(port, method, target, request_headers, status, headers, body, transport="curl",
           body_complete=body is not None)


def record_invoke(result, event):
    """An API Gateway proxy result of `sbapi invoke` (dict with statusCode, headers, body,
    isBase64Encoded) for an API Gateway v1 or v2 event. Recorded with port null."""
    directory = log_dir()
    if directory is None or not isinstance(result, dict) or "statusCode" not in result:
        return
    if not isinstance(event, dict):
        return
    if "requestContext" in event and "http" in (event.get("requestContext") or {}):
        method = event["requestContext"]["http"].get("method")
        path = event.get("rawPath")
        query = event.get("rawQueryString") or ""
    else:
        method = event.get("httpMethod")
        path = event.get("path")
        params = event.get("queryStringParameters") or {}
        query = urllib.parse.urlencode(params) if params else ""
    if not method or not path:
        return
    body = result.get("body")
    if body is not None and result.get("isBase64Encoded"):
        body = base64.b64decode(body)
    headers = dict(result.get("headers") or {})
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = ", ".join(str(v) for v in values)
    req_headers = list((event.get("headers") or {}).items())
    entry = {
        "suite": _suite(), "test": _current_test(), "transport": "lambda-invoke", "port": None,
        "objectBucket": None, "method": method, "target": path + ("?" + query if query else ""),
        "requestHeaders": _request_headers(req_headers), "status": int(result["statusCode"]),
        "headers": _headers_dict(headers), "body": None}
    if isinstance(body, str):
        body = body.encode("utf-8")
    if body is not None and len(body) <= MAX_BODY:
        try:
            entry["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            entry["bodyBase64"] = base64.b64encode(body).decode("ascii")
    elif body is not None:
        entry["bodyOmitted"] = True
    _write(entry)
