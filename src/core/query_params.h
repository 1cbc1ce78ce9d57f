// A request's query string, read strictly, for the endpoints that take parameters (listings).
//
// Contract
// - The raw query (without '?') is `name=value` pairs separated by '&'; names and values are
//   percent-decoded. '+' is a plus sign, not a space (RFC 3986; a client encodes a space as
//   %20): an email address such as a+b@example.com may be sent as it is.
// - Refused with a 400 JSON error naming the problem: a malformed %-escape, an empty name
//   ("=x", "&&"), a name outside `allowed`, a name given twice, a value longer than
//   kMaxQueryValueBytes. A pair without '=' has an empty value. An empty query has no pairs.
// - A name is echoed in an error only when it is short printable ASCII; never anything else a
//   client sent.
#pragma once

#include <cstddef>
#include <expected>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/http.h"

namespace sbapi {

inline constexpr std::size_t kMaxQueryValueBytes = 2048;

class QueryParams {
 public:
  // The decoded value of `name`, or nullopt when absent.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;

 private:
  friend std::expected<QueryParams, Response> parse_query(
      std::string_view raw, std::initializer_list<std::string_view> allowed);
  std::vector<std::pair<std::string, std::string>> pairs_;
};

std::expected<QueryParams, Response> parse_query(std::string_view raw,
                                                 std::initializer_list<std::string_view> allowed);

}  // namespace sbapi
