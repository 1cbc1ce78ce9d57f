// Transport-neutral HTTP request and response.
//
// The HTTP server and the Lambda event adapters translate into and out of these types; nothing
// of Beast, API Gateway or any other transport appears here, so the core can be driven by any
// of them (and by tests) alike. Header names are stored lower-case.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sbapi {

struct Header {
  std::string name;  // lower-case
  std::string value;
};
using Headers = std::vector<Header>;

struct Request {
  std::string method;  // upper-case, e.g. "GET"
  std::string path;    // raw (still percent-encoded) path, e.g. "/users/u1"
  std::string query;   // raw query string without the leading '?'
  Headers headers;
  std::string body;

  // The first header with this lower-case name, or nullptr.
  [[nodiscard]] const std::string* header(std::string_view lower_name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  // Replaces any header of the same (lower-case) name.
  void set_header(std::string_view lower_name, std::string value);
  [[nodiscard]] const std::string* header(std::string_view lower_name) const;
};

}  // namespace sbapi
