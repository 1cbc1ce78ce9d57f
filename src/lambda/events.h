// Lambda event shapes ↔ the core's transport-neutral Request/Response.
//
// Contract
// - `classify` tells the three supported event shapes apart from the JSON alone:
//   * API Gateway HTTP API, payload 2.0: `"version": "2.0"` and `requestContext.http.method`
//     (Lambda function URLs send the same shape);
//   * API Gateway REST proxy, payload 1.0: string `httpMethod` and `path`;
//   * S3 notifications: a non-empty `Records` array whose first record has
//     `eventSource: "aws:s3"`.
//   Anything else is kUnsupported.
// - REST (v1): the route comes from `path` as given — never from `pathParameters` or `resource`.
//   API Gateway's `path` for a REST API on its execute-api endpoint does not contain the stage
//   (`requestContext.path` does: "/v1/users/u1" vs "/users/u1"), so nothing is stripped. Behind a
//   custom domain with a base-path mapping, `path` carries that base path: map the API at the
//   domain root (or strip it in the mapping) — the function does not guess.
//   `multiValueHeaders` (when present) wins over `headers`; repeated values are joined with ", "
//   ("; " for Cookie); names become lower-case. `multiValueQueryStringParameters` (else
//   `queryStringParameters`) is re-encoded into a raw query string (AWS percent-encoding).
//   `body: null` is an empty body; `isBase64Encoded: true` bodies are decoded.
// - HTTP API (v2): method from `requestContext.http.method`, path from `rawPath` minus a leading
//   "/{stage}" when `requestContext.stage` is a named stage (HTTP APIs put the stage into
//   rawPath; "$default" adds nothing), `rawQueryString` as is, `cookies` joined with "; " into a
//   Cookie header, headers (already lower-case, duplicates already comma-joined by API Gateway).
// - Both: `requestContext.requestId` becomes the request id (→ X-Request-Id); empty when absent
//   (the caller then uses the Lambda request id).
// - Responses: v1 → {statusCode, headers (names that occur once), multiValueHeaders (every
//   name), body, isBase64Encoded:false}; v2 → {statusCode, headers (repeats joined with ","),
//   cookies (from Set-Cookie), body, isBase64Encoded:false}. The API's bodies are JSON text, so
//   they are never base64-encoded.
// - S3: every record is parsed on its own; a malformed record carries an `error` instead of
//   failing the others. Keys are URL-decoded the way S3 encodes them ('+' is a space, %XX a
//   byte); a quoted eTag loses its quotes.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http.h"

namespace sbapi::lambda {

enum class EventKind { kApiGatewayV1, kHttpApiV2, kS3, kUnsupported };

EventKind classify(const boost::json::value& event);

struct ApiEvent {
  Request request;
  std::string request_id;  // requestContext.requestId, or empty
};

// Both fail (with a reason) only on a body that claims base64 but is not.
std::expected<ApiEvent, std::string> parse_api_v1(const boost::json::object& event);
std::expected<ApiEvent, std::string> parse_api_v2(const boost::json::object& event);

std::string to_api_v1_response(const Response& response);
std::string to_api_v2_response(const Response& response);

struct S3Record {
  std::string event_name;  // e.g. "ObjectCreated:Put"
  std::string bucket;
  std::string key;  // decoded
  std::uint64_t size = 0;
  std::string etag;   // without quotes
  std::string error;  // non-empty: the record is malformed (says why); other fields may be empty
};

std::vector<S3Record> parse_s3(const boost::json::object& event);

// Building blocks (exposed for tests).
std::optional<std::string> base64_decode(std::string_view text);
// S3 notification key encoding: '+' → ' ', %XX → byte. nullopt on a malformed escape.
std::optional<std::string> decode_s3_key(std::string_view key);

}  // namespace sbapi::lambda
