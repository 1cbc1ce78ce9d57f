#include "core/query_params.h"

#include <algorithm>

#include "core/responses.h"
#include "core/router.h"

namespace sbapi {
namespace {

constexpr std::size_t kMaxEchoedName = 64;

// `name` quoted for an error message when it is safe and short to echo, else nothing.
std::string echoed(std::string_view name) {
  const bool printable =
      std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 0x7f && c != '"'; });
  if (!printable || name.size() > kMaxEchoedName) return {};
  return ": " + std::string(name);
}

}  // namespace

std::optional<std::string_view> QueryParams::get(std::string_view name) const {
  for (const auto& [n, v] : pairs_) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::expected<QueryParams, Response> parse_query(std::string_view raw,
                                                 std::initializer_list<std::string_view> allowed) {
  QueryParams params;
  if (raw.empty()) return params;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = std::min(raw.find('&', start), raw.size());
    const std::string_view pair = raw.substr(start, end - start);
    const std::size_t eq = pair.find('=');
    std::string name, value;
    if (!percent_decode(pair.substr(0, eq), name) ||
        (eq != std::string_view::npos && !percent_decode(pair.substr(eq + 1), value))) {
      return std::unexpected(error_response(400, "Malformed percent-encoding in the query string"));
    }
    if (name.empty()) return std::unexpected(error_response(400, "Empty query parameter name"));
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return std::unexpected(error_response(400, "Unknown query parameter" + echoed(name)));
    }
    if (params.get(name)) {
      return std::unexpected(error_response(400, "Repeated query parameter: " + name));
    }
    if (value.size() > kMaxQueryValueBytes) {
      return std::unexpected(error_response(400, "Query parameter " + name + " is too long"));
    }
    params.pairs_.emplace_back(std::move(name), std::move(value));
    if (end == raw.size()) break;
    start = end + 1;
  }
  return params;
}

}  // namespace sbapi
