// Fuzz target: the bytes a client sends on a connection, read as src/server/connection.cc and
// api_requests.cc read them.
//
// The input is fed to a Beast request_parser<empty_body> with the server's 16 KiB header limit
// (in one piece, and again in small pieces as socket reads may deliver it), then the head goes
// through wire::framing_error, wire::to_request_head and wire::split_target; a head that frames
// is read on with a string_body parser (64 KiB body limit, chunked included) and handed to an Api
// over in-memory tables (fuzz_support.h); its Response is serialised by wire::append_response and
// parsed back by Beast.
//
// Checks, besides ASan/UBSan reports:
//   - a head accepted in one piece is accepted in pieces, and reads the same (and vice versa);
//   - a head framing_error accepts has an unambiguous body length *as Beast reads it*: a
//     Transfer-Encoding we accept is one Beast reads as chunked (else the body would be read as
//     the next request: smuggling), never with a Content-Length, and every Content-Length field
//     states the length Beast uses;
//   - to_request_head keeps the method, every field (names lower-cased) and the target's path and
//     query as split_target splits them; split_target's path is never empty;
//   - a chunked body with trailer fields is refused (api_requests.cc), and no more than the
//     connection's read buffer limit is held unparsed (a trailer section is otherwise unbounded);
//   - the Api never answers 5xx, and answers a JSON object;
//   - append_response's bytes are exactly one response Beast can parse, with the Api's status
//     and body.
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/none.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/api.h"
#include "fuzz_support.h"
#include "server/http_server.h"
#include "server/wire.h"

namespace {

namespace http = boost::beast::http;
using boost::system::error_code;
using sbapi::fuzz::fail;

using sbapi::kHeaderLimit;
using sbapi::kReadBufferLimit;

// Feeds `input` to `parser` `chunk` bytes at a time, as reads from a socket would, until
// `done(parser)`, an error, or the end of the input (then put_eof, as the server does on EOF).
// Like the connection's read buffer, at most kReadBufferLimit unparsed bytes are held.
// Returns the error, and how many bytes of the input the parser consumed.
template <typename Parser, typename Done>
error_code feed(Parser& parser, std::string_view input, std::size_t chunk, Done done,
                std::size_t& consumed) {
  std::string buffer;
  std::size_t fed = 0;
  consumed = 0;
  bool need_more = buffer.empty();
  while (!done(parser)) {
    if (need_more) {
      if (buffer.size() >= kReadBufferLimit) return http::error::buffer_overflow;
      if (fed == input.size()) {
        // What Beast's read does at EOF: nothing read is end_of_stream, else put_eof decides.
        if (!parser.got_some()) return http::error::end_of_stream;
        error_code ec;
        parser.put_eof(ec);
        return ec;
      }
      const std::size_t n = std::min({chunk, input.size() - fed, kReadBufferLimit - buffer.size()});
      buffer.append(input.substr(fed, n));
      fed += n;
      need_more = false;
    }
    error_code ec;
    const std::size_t n = parser.put(boost::asio::buffer(buffer.data(), buffer.size()), ec);
    buffer.erase(0, n);
    consumed += n;
    if (ec == http::error::need_more) {
      need_more = true;
      continue;
    }
    if (ec) return ec;
    if (buffer.empty() || n == 0) need_more = true;
  }
  return {};
}

std::string describe(const http::request_header<>& head) {
  std::string out(head.method_string());
  out += ' ';
  out += head.target();
  out += " v" + std::to_string(head.version()) + "\n";
  for (const auto& field : head) {
    out += field.name_string();
    out += ": ";
    out += field.value();
    out += '\n';
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Every element of a Content-Length field (a comma list, RFC 9110 §8.6) is `length`.
bool states_length(std::string_view value, std::uint64_t length) {
  const std::string expected = std::to_string(length);
  while (true) {
    const auto comma = value.find(',');
    const std::string_view element = trim(value.substr(0, comma));
    // Leading zeros are the same number.
    std::string_view digits = element;
    while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
    if (digits != expected) return false;
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

void check_framing(const http::request_parser<http::empty_body>& parser) {
  const auto& head = parser.get();
  const std::string_view why = sbapi::wire::framing_error(head);
  if (!why.empty()) return;
  const bool has_transfer_encoding = head.count(http::field::transfer_encoding) > 0;
  if (has_transfer_encoding && !parser.chunked()) {
    fail("framing_error accepted a Transfer-Encoding that Beast does not read as chunked",
         describe(head));
  }
  if (parser.chunked() && parser.content_length()) {
    fail("accepted head has both chunked and a Content-Length", describe(head));
  }
  if (const auto length = parser.content_length()) {
    for (const auto& field : head) {
      if (field.name() == http::field::content_length && !states_length(field.value(), *length)) {
        fail("a Content-Length field disagrees with the length Beast uses", describe(head));
      }
    }
  } else if (!parser.chunked() && head.count(http::field::content_length) > 0) {
    fail("Content-Length present but Beast has no length", describe(head));
  }
}

void check_request_head(const http::request_header<>& head, const sbapi::Request& request) {
  if (request.method != head.method_string()) fail("method changed", describe(head));
  const auto [path, query] = sbapi::wire::split_target(head.target());
  if (path.empty()) fail("split_target gave an empty path", describe(head));
  if (request.path != path || request.query != query) fail("target not split", describe(head));
  const std::string_view target = head.target();
  const bool absolute =
      target.size() >= 7 &&
      (boost::beast::iequals(target.substr(0, 7), "http://") ||
       (target.size() >= 8 && boost::beast::iequals(target.substr(0, 8), "https://")));
  if (!absolute) {
    // origin form: the path up to the first '?', the query after it, nothing lost.
    const auto q = target.find('?');
    const std::string_view expected_path = target.substr(0, q);
    if (path != (expected_path.empty() ? std::string_view("/") : expected_path) ||
        query != (q == std::string_view::npos ? std::string_view() : target.substr(q + 1))) {
      fail("split_target lost part of an origin-form target", describe(head));
    }
  }
  std::size_t i = 0;
  for (const auto& field : head) {
    if (i >= request.headers.size()) fail("a header field was dropped", describe(head));
    const auto& [name, value] = request.headers[i++];
    if (!boost::beast::iequals(name, field.name_string()) || value != field.value()) {
      fail("a header field changed", describe(head));
    }
    if (std::any_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      fail("a header name is not lower-case", describe(head));
    }
  }
  if (i != request.headers.size()) fail("extra header fields", describe(head));
}

// The response as the server writes it must read back as exactly that response.
void check_wire(sbapi::Response response, unsigned version, bool keep_alive, bool head_request) {
  const int status = response.status;
  const std::string body = response.body;
  std::string wire;
  sbapi::wire::append_response(wire, std::move(response), version, keep_alive, head_request);

  http::response_parser<http::string_body> parser;
  parser.eager(true);
  parser.skip(head_request);
  parser.body_limit(boost::none);
  error_code ec;
  std::size_t used = 0;
  while (!parser.is_done() && used < wire.size()) {
    const std::size_t n =
        parser.put(boost::asio::buffer(wire.data() + used, wire.size() - used), ec);
    used += n;
    if (ec) break;
  }
  if (ec || !parser.is_done()) fail("append_response wrote a response Beast cannot parse", wire);
  if (used != wire.size()) fail("append_response wrote bytes after the response", wire);
  const auto& message = parser.get();
  if (message.result_int() != static_cast<unsigned>(status))
    fail("status changed on the wire", wire);
  const bool has_body = status / 100 != 1 && status != 204 && status != 304 && !head_request;
  if (has_body && message.body() != body) fail("body changed on the wire", wire);
  if (message.version() != (version == 10 ? 10u : 11u)) fail("version changed on the wire", wire);
}

void check_answer(const sbapi::Response& response, std::string_view what) {
  if (response.status >= 500) fail("the Api answered 5xx", what);
  sbapi::fuzz::check_json_body(response, what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto& world = sbapi::fuzz::World::instance();
  world.reset();

  // ---- the head, as Connection::read_header reads it (and again in small reads) ----
  auto header_done = [](const auto& p) { return p.is_header_done(); };
  auto configure = [](http::request_parser<http::empty_body>& parser) {
    parser.header_limit(kHeaderLimit);
    parser.body_limit(boost::none);
  };
  http::request_parser<http::empty_body> head;
  configure(head);
  std::size_t consumed = 0;
  const error_code ec = feed(head, input, input.size() + 1, header_done, consumed);
  {
    http::request_parser<http::empty_body> again;
    configure(again);
    std::size_t consumed_again = 0;
    const error_code ec_again = feed(again, input, 1 + size % 61, header_done, consumed_again);
    // Beast may notice a malformed head at a different byte (and so report another error, or
    // wait for more) depending on how it arrives; but a head it accepts must be accepted, and
    // read the same, however it arrives. Except at the size limit: in one read Beast applies the
    // header limit to the request line and then again to the fields (a head up to the limit plus
    // its request line passes), in pieces to the whole head. Either answer is safe.
    const bool at_limit = ec == http::error::header_limit || ec_again == http::error::header_limit;
    if ((bool(ec) != bool(ec_again) && !at_limit) ||
        (!ec && (consumed != consumed_again || describe(head.get()) != describe(again.get())))) {
      fail("the head reads differently in pieces", ec.message() + " / " + ec_again.message());
    }
  }
  if (ec) {
    // connection.cc answers a protocol error with the Api's 400/431 (or just closes).
    if (ec == http::error::header_limit) {
      check_answer(world.api.reject("", "", 431, "Request header fields too large"), "reject");
    }
    return 0;
  }

  check_framing(head);
  const auto& message = head.get();
  const sbapi::Request request_head = sbapi::wire::to_request_head(message);
  check_request_head(message, request_head);
  if (!sbapi::wire::framing_error(message).empty()) {
    check_answer(world.api.reject(request_head.method, request_head.path, 400, "bad framing"),
                 "reject");
    return 0;
  }
  const auto announced = head.content_length();
  if (announced && *announced > sbapi::kMaxBodyBytes) {
    check_answer(world.api.reject(request_head.method, request_head.path, 413, "too large"),
                 "reject");
    return 0;
  }

  // ---- the body, as api_requests.cc reads it ----
  const std::size_t head_fields = sbapi::wire::field_count(head.get());
  http::request_parser<http::string_body> body_parser(std::move(head));
  body_parser.body_limit(sbapi::kMaxBodyBytes);
  std::size_t body_consumed = 0;
  const error_code body_ec = feed(
      body_parser, input.substr(consumed), 1 + size % 4096,
      [](const auto& p) { return p.is_done(); }, body_consumed);
  const auto& full = body_parser.get();
  const unsigned version = full.version();
  const bool keep_alive = full.keep_alive();
  const bool head_request = full.method() == http::verb::head;
  if (body_ec) {
    const int status = body_ec == http::error::body_limit ? 413 : 400;
    sbapi::Response response =
        world.api.reject(request_head.method, request_head.path, status, "body not read");
    check_answer(response, "reject");
    check_wire(std::move(response), version, false, head_request);
    return 0;
  }
  if (full.chunked() && sbapi::wire::field_count(full) != head_fields) {
    // A trailer section: api_requests.cc refuses the request.
    check_answer(world.api.reject(request_head.method, request_head.path, 400, "trailer"),
                 "reject");
    return 0;
  }
  if (!full.chunked() && body_parser.content_length() &&
      full.body().size() != *body_parser.content_length()) {
    fail("body length differs from Content-Length", describe(full.base()));
  }

  sbapi::Request request = sbapi::wire::to_request_head(full);
  request.body = full.body();
  sbapi::Response response = world.api.handle(request);
  check_answer(response, request.method + " " + request.path);
  check_wire(std::move(response), version, keep_alive, head_request);
  return 0;
}
