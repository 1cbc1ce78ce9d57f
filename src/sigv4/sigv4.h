// AWS Signature Version 4 (AWS4-HMAC-SHA256): header signing and query presigning.
//
// Contract
// - Pure functions of their arguments (time is an input, never read from a clock); thread-safe.
//   Crypto is OpenSSL 3 libcrypto (EVP_Digest, one-shot HMAC). The only exception thrown is
//   std::runtime_error, and only if libcrypto itself fails (e.g. out of memory).
// - Strings are bytes: paths, query names/values and header values go in *unencoded* (UTF-8 as
//   is); this module does all percent-encoding, per AWS rules: A-Z a-z 0-9 - . _ ~ are kept,
//   every other byte becomes %XX (upper-case hex); '/' is kept in paths and encoded in query
//   names and values. A space is %20, never '+'.
// - Canonical URI: S3 style — no path normalisation (no removal of "." / ".." / "//"), each
//   segment encoded exactly once. An empty path is "/".
// - Canonical query string: each name and value encoded, pairs sorted by encoded name, then by
//   encoded value; a name without value is "name=".
// - Canonical headers: names lower-cased, values trimmed and every run of whitespace
//   (SP, HTAB, CR, LF) inside collapsed to one space; sorted by name; several headers of one name
//   joined with ',' in their original order. Signed headers: the sorted distinct names, ';'-joined.
// - Host header value: host[:port] of the endpoint, the port omitted when it is the scheme's
//   default (80 for http, 443 for https).
// - Time: epoch seconds (UTC) <-> X-Amz-Date "YYYYMMDDTHHMMSSZ"; the scope date is its first 8
//   characters.
// - Header signing (`sign_headers`) signs host, X-Amz-Date, X-Amz-Security-Token (when the
//   credentials carry a session token), x-amz-content-sha256 (when asked) and the caller's headers;
//   the caller sends the returned headers plus `Host: host_header(endpoint)` (libcurl sends exactly
//   that by itself).
// - Query presigning (`presign`, `presign_url`) adds X-Amz-Algorithm, X-Amz-Credential,
//   X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders (host plus the request's headers, e.g.
//   content-type) and X-Amz-Security-Token when a session token is set — inside the signed query,
//   as the AWS SDKs do for S3. The payload hash is UNSIGNED-PAYLOAD unless the request says
//   otherwise (a signed x-amz-content-sha256 header's value is always the payload hash, as S3
//   computes it). The URL is byte for byte what botocore writes: the canonical path, then the
//   caller's extra parameters in their order, the X-Amz-* parameters in the order above, and
//   X-Amz-Signature last, every name and value encoded as in the canonical query.
//   `expires_seconds` is not checked here; S3 accepts 1..604800 (kMaxExpiresSeconds).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sbapi::sigv4 {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// SHA-256 of the empty string: the payload hash of a request without a body.
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr std::int64_t kMaxExpiresSeconds = 604800;  // one week, S3's limit

// Name/value pairs, unencoded: query parameters or headers (any name case; order kept).
using Fields = std::vector<std::pair<std::string, std::string>>;

struct Credentials {
  std::string access_key_id{};
  std::string secret_access_key{};
  std::string session_token{};  // empty unless temporary credentials
};

// A query-presigned URL (X-Amz-Algorithm … X-Amz-Signature), payload UNSIGNED-PAYLOAD by default.
struct PresignRequest {
  std::string method{};    // "PUT", "GET"
  std::string endpoint{};  // scheme://host[:port][/base-path], e.g. "http://localhost:3000"
  std::string path{};      // unencoded, starting with '/', e.g. "/bucket/assets/a1/my file.pdf"
  // Signed besides host, e.g. content-type; the client must send them with these values.
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string region{};  // e.g. "us-east-1"
  std::string service = "s3";
  std::int64_t time = 0;  // epoch seconds of X-Amz-Date
  std::int64_t expires_seconds = 3600;
  Fields query{};  // extra query parameters (unencoded), signed too
  std::string payload_hash = std::string(kUnsignedPayload);  // as S3 presigning
};

struct PresignResult {
  std::string url;
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lower-case hex
};

PresignResult presign(const PresignRequest& request, const Credentials& credentials);
std::string presign_url(const PresignRequest& request, const Credentials& credentials);

// A request signed with an Authorization header.
struct SignRequest {
  std::string method{};    // "POST"
  std::string endpoint{};  // scheme://host[:port][/base-path]
  std::string path = "/";  // unencoded, appended to the endpoint's base path
  Fields query{};          // unencoded
  // Signed besides host and the X-Amz-* headers added here (a caller's X-Amz-Date,
  // X-Amz-Security-Token, x-amz-content-sha256 or Authorization is ignored; a caller's Host
  // replaces the endpoint's).
  Fields headers{};
  std::string payload_hash{};  // lower-case hex SHA-256 of the body; empty = the empty body's
  bool add_content_sha256_header = false;  // send and sign x-amz-content-sha256 (S3 wants it)
  std::string region{};
  std::string service{};
  std::int64_t time = 0;  // epoch seconds of X-Amz-Date
};

struct SignResult {
  // To add to the request: X-Amz-Date, [X-Amz-Security-Token], [x-amz-content-sha256],
  // Authorization (in this order).
  Fields headers;
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lower-case hex
};

SignResult sign_headers(const SignRequest& request, const Credentials& credentials);

// ---- building blocks ---------------------------------------------------------------------

std::string hex_lower(std::string_view bytes);
std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes

// Percent-encodes per AWS rules (see the contract); `keep_slash` for paths.
std::string uri_encode(std::string_view text, bool keep_slash);
// Decodes %XX sequences (either hex case); '+' stays '+'. nullopt when a '%' is not followed by
// two hex digits.
std::optional<std::string> percent_decode(std::string_view text);

// Epoch seconds -> "YYYYMMDDTHHMMSSZ", and back (strict: exactly that form, a real date and
// time; nullopt otherwise).
std::string amz_date(std::int64_t epoch_seconds);
std::optional<std::int64_t> parse_amz_date(std::string_view text);
// "YYYYMMDD/region/service/aws4_request"
std::string credential_scope(std::string_view date_stamp, std::string_view region,
                             std::string_view service);

struct Endpoint {
  std::string scheme;     // "http" or "https" (https when the endpoint names none)
  std::string host;       // host[:port], port omitted when default for the scheme
  std::string base_path;  // "" or "/base" (no trailing '/')
};
Endpoint parse_endpoint(std::string_view endpoint);
std::string host_header(std::string_view endpoint);

std::string canonical_uri(std::string_view path);  // unencoded path
std::string canonical_query_string(const Fields& params);
std::string canonical_header_value(std::string_view value);
std::string canonical_headers(const Fields& headers);  // "name:value\n" per distinct name
std::string signed_headers(const Fields& headers);     // "host;x-amz-date"
std::string canonical_request(std::string_view method, std::string_view canonical_uri,
                              std::string_view canonical_query, std::string_view canonical_headers,
                              std::string_view signed_headers, std::string_view payload_hash);
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);
// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
std::string signing_key(std::string_view secret_access_key, std::string_view date_stamp,
                        std::string_view region, std::string_view service);
std::string signature(std::string_view signing_key, std::string_view string_to_sign);  // hex

}  // namespace sbapi::sigv4
