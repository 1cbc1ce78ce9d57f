// The pure wire helpers of the HTTP server: from a parsed request head to a transport-neutral
// Request, and from a Response to bytes. No sockets, no state.
//
// Internal to src/server (it includes Beast's message types); http_server.h is what the rest of
// the build sees.
#pragma once

#include <boost/beast/http/message.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "core/http.h"

namespace sbapi::wire {

// The interim answer to `Expect: 100-continue`, once the head is accepted.
inline constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// The request target as path and query (without '?'); the absolute form ("http://host/p?q") is
// reduced to its path and query.
std::pair<std::string, std::string> split_target(std::string_view target);

// Method (as sent: methods are case-sensitive, RFC 9110 §9.1), path, query and lower-case
// headers; no body.
Request to_request_head(const boost::beast::http::request_header<>& message);

// Why this request head cannot be framed safely, or an empty view when it can (RFC 9112 §6.1,
// §6.3, §3.2). Beast's parser accepts heads whose body length is ambiguous, and a request whose
// body is not read as its own would be read as the next request (request smuggling):
//   - Transfer-Encoding must be exactly `chunked` (one coding, any letter case, in one or more
//     fields): a list not ending in chunked leaves the length unknown, and we implement no other
//     coding (`gzip, chunked` would be decoded as plain chunked);
//   - not together with Content-Length, and not in HTTP/1.0 (which has no chunked coding);
//   - HTTP/1.1 needs exactly one Host field; no version may repeat it.
// Content-Length itself (invalid, or several different values) Beast already refuses.
std::string_view framing_error(const boost::beast::http::request_header<>& head);

// How many fields `fields` holds. Beast appends a chunked body's trailer fields to the head's:
// a count taken before the body and again after it tells whether there were any.
std::size_t field_count(const boost::beast::http::fields& fields);

// RFC 9110 §5.6.7 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT"; empty if out of range.
std::string http_date(std::int64_t epoch_seconds);

// `"etag"`.
std::string quote_etag(std::string_view etag);

// The response as bytes on the wire, appended to `wire` (a connection reuses its buffer from one
// response to the next), without Beast's serializer: one contiguous buffer, no per-header
// allocations (a third of the server's user-space time per request went to the serializer and
// its fields container). Framing headers (Content-Length, Connection) are the server's; a header
// that could split the response is dropped rather than sent.
void append_response(std::string& wire, Response&& response, unsigned version, bool keep_alive,
                     bool head_request);

}  // namespace sbapi::wire
