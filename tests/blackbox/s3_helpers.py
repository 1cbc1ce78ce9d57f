"""Helpers for black-box tests of the local S3-compatible object endpoint.

Python 3 standard library only (curl is used as an external program where a test says so):
  - presign_url():  an independent SigV4 query-string presigner (S3 flavour, UNSIGNED-PAYLOAD),
                    checked against boto3 in test_s3_interop, used to build URLs that
                    `sbapi presign` refuses to make (e.g. X-Amz-Expires > 604800).
  - url_request():  sends one request to a (presigned) URL, always connecting to the test
                    server on 127.0.0.1 but with the URL's own Host header, as a client reaching
                    the server at its public URL would.
  - curl_put() / curl_get(): the same through the `curl` binary.
  - s3_error():     parses an S3 XML error document.
"""

import datetime
import hashlib
import hmac
import http.client
import os
import shutil
import subprocess
import tempfile
import urllib.parse
import xml.etree.ElementTree as ET

import response_log

__all__ = ["presign_url", "amz_date", "url_request", "curl_put", "curl_get", "s3_error",
           "query_params", "replace_query_param", "md5_hex", "encode_key"]

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
TIMEOUT = 30.0


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def amz_date(epoch_seconds):
    """Epoch seconds -> "YYYYMMDDTHHMMSSZ"."""
    return datetime.datetime.fromtimestamp(int(epoch_seconds), datetime.timezone.utc).strftime(
        "%Y%m%dT%H%M%SZ")


def _uri_encode(text, safe=""):
    # RFC 3986 unreserved characters stay, everything else is %XX of its UTF-8 bytes (upper hex).
    return urllib.parse.quote(text, safe=safe + "~")


def encode_key(key):
    """An object key as it appears in an S3 path: each byte encoded except unreserved and '/'."""
    return _uri_encode(key, safe="/")


def _hmac(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def presign_url(method, key, *, public_url, bucket="sbapi-assets", region="us-east-1",
                access_key_id="sbapi-local", secret_access_key="sbapi-local-secret",
                time=None, expires=3600, content_type=None, extra_query=None):
    """A path-style SigV4 presigned URL, as S3/boto3 would make it.

    time: "YYYYMMDDTHHMMSSZ" (default: now). content_type: signed as a header if given.
    extra_query: more (name, value) query parameters to sign (e.g. a security token).
    """
    if time is None:
        time = amz_date(datetime.datetime.now(datetime.timezone.utc).timestamp())
    parsed = urllib.parse.urlsplit(public_url.rstrip("/"))
    host = parsed.netloc
    path = "/" + bucket + "/" + encode_key(key)
    scope = "%s/%s/s3/aws4_request" % (time[:8], region)
    headers = {"host": host}
    if content_type is not None:
        headers["content-type"] = content_type.strip()
    signed_headers = ";".join(sorted(headers))
    params = [
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", "%s/%s" % (access_key_id, scope)),
        ("X-Amz-Date", time),
        ("X-Amz-Expires", str(expires)),
        ("X-Amz-SignedHeaders", signed_headers),
    ] + list(extra_query or [])
    canonical_query = "&".join(
        "%s=%s" % (_uri_encode(k), _uri_encode(v))
        for k, v in sorted((k, v) for k, v in params))
    canonical_headers = "".join("%s:%s\n" % (name, headers[name]) for name in sorted(headers))
    canonical_request = "\n".join(
        [method, path, canonical_query, canonical_headers, signed_headers, UNSIGNED_PAYLOAD])
    string_to_sign = "\n".join(
        [ALGORITHM, time, scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
    k_date = _hmac(("AWS4" + secret_access_key).encode("utf-8"), time[:8])
    k_region = _hmac(k_date, region)
    k_service = _hmac(k_region, "s3")
    k_signing = _hmac(k_service, "aws4_request")
    signature = hmac.new(k_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return "%s://%s%s?%s&X-Amz-Signature=%s" % (parsed.scheme, host, path, canonical_query,
                                                signature)


def query_params(url):
    """The URL's query as an ordered list of (name, decoded value)."""
    return urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True,
                                  strict_parsing=True)


def replace_query_param(url, name, value):
    """The URL with the (raw, already-encoded) value of query parameter `name` replaced."""
    parts = urllib.parse.urlsplit(url)
    out = []
    found = False
    for item in parts.query.split("&"):
        k, sep, _v = item.partition("=")
        if k == name:
            out.append(k + "=" + value)
            found = True
        else:
            out.append(item)
    if not found:
        raise KeyError(name)
    return urllib.parse.urlunsplit(parts._replace(query="&".join(out)))


def url_request(url, method="GET", body=None, headers=None, port=None, host="127.0.0.1",
                chunked=False, timeout=TIMEOUT):
    """One request for `url` -> (status, lower-cased headers, raw body bytes).

    Connects to host:port (port default: the URL's port) and sends the URL's path and query
    byte for byte, with Host = the URL's host[:port]. body: bytes or None. chunked=True sends
    the body with Transfer-Encoding: chunked and no Content-Length.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http":
        raise ValueError("only http:// URLs are supported here: %r" % url)
    target = parts.path + ("?" + parts.query if parts.query else "")
    # Records the exchange when it is with a black-box sbapi and SBAPI_RESPONSE_LOG is set.
    conn = response_log.RecordingHTTPConnection(host, port or parts.port or 80, timeout=timeout)
    hdrs = {"Host": parts.netloc}
    hdrs.update(headers or {})
    try:
        try:
            if chunked:
                conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
                for name, value in hdrs.items():
                    conn.putheader(name, value)
                conn.putheader("Transfer-Encoding", "chunked")
                conn.endheaders()
                data = body or b""
                step = 4096
                for i in range(0, len(data), step):
                    piece = data[i:i + step]
                    conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
                conn.send(b"0\r\n\r\n")
            else:
                conn.request(method, target, body=body, headers=hdrs)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer (e.g. 403) and close before reading the whole body
        resp = conn.getresponse()
        raw = resp.read()
        out = {}
        for name, value in resp.getheaders():
            key = name.lower()
            out[key] = out[key] + ", " + value if key in out else value
        return resp.status, out, raw
    finally:
        conn.close()


def s3_error(body):
    """Parses `<Error><Code/><Message/><RequestId/></Error>` -> dict of child texts.

    Raises AssertionError with the body if it is not such a document.
    """
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise AssertionError("not an XML document (%s): %r" % (exc, body[:500]))
    tag = root.tag.split("}", 1)[-1]
    if tag != "Error":
        raise AssertionError("XML root is <%s>, not <Error>: %r" % (tag, body[:500]))
    out = {}
    for child in root:
        out[child.tag.split("}", 1)[-1]] = child.text or ""
    return out


# --------------------------------------------------------------------------------- curl


def _curl_base(url, port):
    if shutil.which("curl") is None:
        raise AssertionError("the `curl` program is required by this test but is not installed")
    parts = urllib.parse.urlsplit(url)
    url_port = parts.port or 80
    cmd = ["curl", "-q", "-sS", "-g", "--noproxy", "*", "--max-time", "60"]
    # Reach the server on 127.0.0.1 whatever host the URL names (e.g. localhost), keeping the
    # URL's Host header, which is part of the signature.
    if port is not None and port != url_port:
        cmd += ["--connect-to", "%s:%d:127.0.0.1:%d" % (parts.hostname, url_port, port)]
    else:
        cmd += ["--resolve", "%s:%d:127.0.0.1" % (parts.hostname, url_port)]
    return cmd


def _parse_header_dump(text):
    # The last response's headers (curl -D dumps 100 Continue too).
    blocks = [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    headers = {}
    if not blocks:
        return headers
    for line in blocks[-1].split("\n")[1:]:
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip().lower()
            value = value.strip()
            headers[key] = headers[key] + ", " + value if key in headers else value
    return headers


def _run_curl(cmd, workdir):
    head = os.path.join(workdir, "headers.txt")
    cmd = cmd + ["-D", head, "-w", "%{http_code}"]
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=120)
    if proc.returncode != 0:
        raise AssertionError("curl exited with %d: %s\ncommand: %s"
                             % (proc.returncode, proc.stderr.decode("utf-8", "replace"), cmd))
    code = int(proc.stdout.decode("ascii").strip() or "0")
    with open(head, "r", encoding="iso-8859-1") as f:
        headers = _parse_header_dump(f.read())
    return code, headers


def _record_curl(url, port, method, request_headers, code, headers, body):
    # SBAPI_RESPONSE_LOG (response_log.py); only exchanges with a black-box sbapi count.
    if response_log.enabled():
        parts = urllib.parse.urlsplit(url)
        target = parts.path + ("?" + parts.query if parts.query else "")
        response_log.record_curl(port or parts.port or 80, method, target,
                                 request_headers.items(), code, headers, body)


def curl_put(url, file_path, content_type, port=None):
    """`curl -X PUT --data-binary @file -H 'Content-Type: …' url` -> (status, headers, body)."""
    workdir = tempfile.mkdtemp(prefix="sbapi-curl-")
    try:
        out = os.path.join(workdir, "body")
        cmd = _curl_base(url, port) + [
            "-X", "PUT", "--data-binary", "@" + file_path,
            "-H", "Content-Type: " + content_type, "-o", out, url]
        code, headers = _run_curl(cmd, workdir)
        with open(out, "rb") if os.path.exists(out) else open(os.devnull, "rb") as f:
            body = f.read()
        _record_curl(url, port, "PUT", {"Content-Type": content_type}, code, headers, body)
        return code, headers, body
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def curl_get(url, out_path, port=None, head=False):
    """`curl -o out_path url` (or `curl -I` for head=True) -> (status, headers)."""
    workdir = tempfile.mkdtemp(prefix="sbapi-curl-")
    try:
        cmd = _curl_base(url, port) + (["-I"] if head else []) + ["-o", out_path, url]
        code, headers = _run_curl(cmd, workdir)
        body = b""
        if not head and os.path.exists(out_path):
            with open(out_path, "rb") as f:
                body = f.read(response_log.MAX_BODY + 1)
        _record_curl(url, port, "HEAD" if head else "GET", {}, code, headers, body)
        return code, headers
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
