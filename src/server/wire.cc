#include "server/wire.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <tuple>

namespace sbapi::wire {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && beast::iequals(s.substr(0, prefix.size()), prefix);
}

// A plain loop: find_first_of("\r\n") calls memchr once per character (3 % of a GET's server
// CPU under load, perf).
bool has_line_break(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n'; });
}

}  // namespace

std::pair<std::string, std::string> split_target(std::string_view target) {
  // Absolute form ("http://host/path?q", RFC 9112 §3.2.2): only path and query matter here.
  if (starts_with_icase(target, "http://") || starts_with_icase(target, "https://")) {
    const auto authority = target.find("//") + 2;
    const auto rest = target.find_first_of("/?", authority);
    target = rest == std::string_view::npos ? std::string_view() : target.substr(rest);
  }
  const auto question = target.find('?');
  std::string path(target.substr(0, question));
  if (path.empty()) path = "/";
  std::string query(question == std::string_view::npos ? std::string_view()
                                                       : target.substr(question + 1));
  return {std::move(path), std::move(query)};
}

Request to_request_head(const http::request_header<>& message) {
  Request request;
  request.method = std::string(message.method_string());
  std::tie(request.path, request.query) = split_target(message.target());

  request.headers.reserve(static_cast<std::size_t>(std::distance(message.begin(), message.end())));
  for (const auto& field : message) {
    std::string name(field.name_string());
    std::ranges::transform(name, name.begin(), ascii_lower);
    request.headers.push_back({std::move(name), std::string(field.value())});
  }
  return request;
}

std::string_view framing_error(const http::request_header<>& head) {
  std::size_t hosts = 0;
  std::size_t codings = 0;
  bool only_chunked = true;
  bool has_transfer_encoding = false;
  for (const auto& field : head) {
    if (field.name() == http::field::host) ++hosts;
    if (field.name() != http::field::transfer_encoding) continue;
    has_transfer_encoding = true;
    std::string_view list = field.value();
    while (
        !list.empty()) {  // a comma-separated list; empty elements do not count (RFC 9110 §5.6.1)
      const auto comma = list.find(',');
      std::string_view coding = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) {
        coding.remove_prefix(1);
      }
      while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) {
        coding.remove_suffix(1);
      }
      if (coding.empty()) continue;
      ++codings;
      only_chunked = only_chunked && beast::iequals(coding, "chunked");
    }
  }
  if (hosts > 1 || (hosts == 0 && head.version() >= 11)) return "Missing or repeated Host header";
  if (!has_transfer_encoding) return {};
  if (head.version() < 11) return "Transfer-Encoding is not allowed in HTTP/1.0";
  if (head.find(http::field::content_length) != head.end()) {
    return "Both Transfer-Encoding and Content-Length";
  }
  if (codings != 1 || !only_chunked)
    return "Unsupported Transfer-Encoding (only chunked is accepted)";
  return {};
}

std::size_t field_count(const http::fields& fields) {
  return static_cast<std::size_t>(std::distance(fields.begin(), fields.end()));
}

std::string http_date(std::int64_t epoch_seconds) {
  static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed",
                                                    "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto time = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  if (epoch_seconds < 0 || ::gmtime_r(&time, &tm) == nullptr || tm.tm_year + 1900 > 9999) {
    return {};
  }
  char text[32];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return text;
}

std::string quote_etag(std::string_view etag) { return "\"" + std::string(etag) + "\""; }

void append_response(std::string& wire, Response&& response, unsigned version, bool keep_alive,
                     bool head_request) {
  const int status = (response.status >= 100 && response.status <= 999) ? response.status : 500;
  const auto reason = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status)));
  // 1xx, 204 and 304 have no body and no Content-Length; a HEAD response announces the length
  // of the body it leaves out.
  const bool has_body = status / 100 != 1 && status != 204 && status != 304;
  wire.reserve(wire.size() + 160 + response.body.size() + response.headers.size() * 48);
  wire += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  wire += std::to_string(status);
  wire += ' ';
  wire.append(reason.data(), reason.size());
  wire += "\r\n";
  for (const auto& [name, value] : response.headers) {
    // Framing is the server's business; and a header that could split the response is dropped
    // rather than sent.
    if (name == "content-length" || name == "transfer-encoding" || name == "connection") continue;
    if (name.empty() || has_line_break(name) || has_line_break(value)) continue;
    wire += name;
    wire += ": ";
    wire += value;
    wire += "\r\n";
  }
  // As Beast would say it: HTTP/1.1 persists unless told otherwise, HTTP/1.0 the reverse.
  if (version >= 11 && !keep_alive) wire += "Connection: close\r\n";
  if (version < 11 && keep_alive) wire += "Connection: keep-alive\r\n";
  if (has_body) {
    wire += "Content-Length: ";
    wire += std::to_string(response.body.size());
    wire += "\r\n";
  }
  wire += "\r\n";
  if (has_body && !head_request) wire += response.body;
}

}  // namespace sbapi::wire
