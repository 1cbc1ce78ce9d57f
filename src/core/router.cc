#include "core/router.h"

#include <algorithm>

#include "core/route_table.h"

namespace sbapi {
namespace {

// Splits "/a/b" into {"a","b"}; "/" gives {}; a trailing slash gives a trailing empty segment
// so that "/users/" does not match "/users".
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return {std::string_view{"\x01"}};  // never matches
  path.remove_prefix(1);
  if (path.empty()) return out;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(start));
      break;
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = hex_value(in[i + 1]);
    int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

std::string_view PathParams::get(std::string_view name) const {
  for (const auto& [k, v] : params_) {
    if (k == name) return v;
  }
  return {};
}

void Router::add(std::string method, std::string path_template, Handler handler,
                 AsyncHandler async) {
  std::vector<std::string> segments;
  for (auto s : split_path(path_template)) segments.emplace_back(s);
  entries_.push_back({std::move(method), std::move(path_template), std::move(segments),
                      std::move(handler), std::move(async)});
}

void Router::add(const RouteSpec& spec, Handler handler, AsyncHandler async) {
  add(std::string(spec.method), std::string(spec.path), std::move(handler), std::move(async));
  entries_.back().spec = &spec;
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  std::vector<std::string_view> allowed;
  const auto segments = split_path(path);
  std::string_view malformed;  // the template a badly encoded parameter kept from matching
  for (const auto& entry : entries_) {
    if (entry.segments.size() != segments.size()) continue;
    PathParams params;
    bool ok = true;
    bool bad_encoding = false;
    for (std::size_t i = 0; i < segments.size() && ok; ++i) {
      const auto& pattern = entry.segments[i];
      if (is_param(pattern)) {
        std::string decoded;
        ok = !segments[i].empty() && percent_decode(segments[i], decoded);
        bad_encoding = !ok && !segments[i].empty();
        if (ok) params.add(pattern.substr(1, pattern.size() - 2), std::move(decoded));
      } else {
        ok = pattern == segments[i];
      }
    }
    if (bad_encoding && malformed.empty()) malformed = entry.path_template;
    if (!ok) continue;
    if (entry.method == method) {
      result.kind = Match::Kind::kFound;
      result.handler = &entry.handler;
      if (entry.async_handler) result.async_handler = &entry.async_handler;
      result.params = std::move(params);
      result.route = entry.path_template;
      result.spec = entry.spec;
      return result;
    }
    result.kind = Match::Kind::kMethodNotAllowed;
    result.route = entry.path_template;
    if (std::find(allowed.begin(), allowed.end(), entry.method) == allowed.end()) {
      allowed.push_back(entry.method);
      if (!result.allow.empty()) result.allow += ", ";
      result.allow += entry.method;
    }
  }
  if (result.kind == Match::Kind::kNotFound && !malformed.empty()) {
    result.kind = Match::Kind::kMalformedPath;
    result.route = malformed;
  }
  return result;
}

std::vector<Route> Router::routes() const {
  std::vector<Route> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back({e.method, e.path_template});
  return out;
}

}  // namespace sbapi
