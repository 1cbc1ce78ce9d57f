#include "core/trace_context.h"

#include <algorithm>
#include <random>

#include "core/random_seed.h"

namespace sbapi {
namespace {

constexpr char kHex[] = "0123456789abcdef";

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool all_lower_hex(std::string_view s) { return std::all_of(s.begin(), s.end(), is_lower_hex); }

bool all_zeros(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '0'; });
}

int hex_value(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

template <std::size_t N>
void fill_random(std::array<char, N>& out) {
  // One engine per thread, as request ids: no lock on the request path.
  thread_local std::mt19937_64 engine{random_seed()};
  do {
    for (std::size_t i = 0; i < N; i += 16) {
      std::uint64_t bits = engine();
      for (std::size_t j = i; j < std::min(N, i + 16); ++j, bits >>= 4) out[j] = kHex[bits & 0xf];
    }
  } while (all_zeros({out.data(), N}));  // all zeros is the one invalid id
}

template <std::size_t N>
void copy_to(std::array<char, N>& out, std::string_view hex) {
  std::copy_n(hex.begin(), N, out.begin());
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_lcalpha(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_key_char(char c) {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}

// W3C Trace Context §3.3.1.3.1: simple-key, or tenant-id "@" system-id.
bool valid_key(std::string_view key) {
  const auto at = key.find('@');
  if (at == std::string_view::npos) {
    return !key.empty() && key.size() <= 256 && is_lcalpha(key.front()) &&
           std::all_of(key.begin(), key.end(), is_key_char);
  }
  const std::string_view tenant = key.substr(0, at);
  const std::string_view system = key.substr(at + 1);
  return !tenant.empty() && tenant.size() <= 241 &&
         (is_lcalpha(tenant.front()) || is_digit(tenant.front())) &&
         std::all_of(tenant.begin(), tenant.end(), is_key_char) && !system.empty() &&
         system.size() <= 14 && is_lcalpha(system.front()) &&
         std::all_of(system.begin(), system.end(), is_key_char);
}

// §3.3.1.3.2: up to 256 printable ASCII characters except ',' and '=', not ending in a space.
bool valid_value(std::string_view value) {
  const auto nblk = [](char c) { return c >= 0x21 && c <= 0x7e && c != ',' && c != '='; };
  return !value.empty() && value.size() <= 256 && nblk(value.back()) &&
         std::all_of(value.begin(), value.end(), [&](char c) { return c == ' ' || nblk(c); });
}

thread_local const TraceContext* current = nullptr;

}  // namespace

std::optional<TraceParent> parse_traceparent(std::string_view h) {
  if (h.size() < kTraceparentLength) return std::nullopt;
  const std::string_view version = h.substr(0, 2);
  if (!all_lower_hex(version) || version == "ff") return std::nullopt;
  if (version == "00" ? h.size() != kTraceparentLength
                      : h.size() > kTraceparentLength && h[kTraceparentLength] != '-') {
    return std::nullopt;
  }
  if (h[2] != '-' || h[35] != '-' || h[52] != '-') return std::nullopt;
  const std::string_view trace_id = h.substr(3, 32);
  const std::string_view parent_id = h.substr(36, 16);
  const std::string_view flags = h.substr(53, 2);
  if (!all_lower_hex(trace_id) || !all_lower_hex(parent_id) || !all_lower_hex(flags) ||
      all_zeros(trace_id) || all_zeros(parent_id)) {
    return std::nullopt;
  }
  TraceParent trace;
  copy_to(trace.trace_id, trace_id);
  copy_to(trace.parent_id, parent_id);
  trace.flags = static_cast<std::uint8_t>(hex_value(flags[0]) * 16 + hex_value(flags[1]));
  return trace;
}

std::string format_traceparent(const TraceParent& trace) {
  std::string out;
  out.reserve(kTraceparentLength);
  out += "00-";
  out += trace.trace_id_hex();
  out += '-';
  out += trace.parent_id_hex();
  out += '-';
  out += kHex[trace.flags >> 4];
  out += kHex[trace.flags & 0xf];
  return out;
}

TraceParent child_of(const TraceParent& parent) {
  TraceParent child = parent;
  fill_random(child.parent_id);
  return child;
}

TraceParent new_trace(std::uint8_t flags) {
  TraceParent trace;
  fill_random(trace.trace_id);
  fill_random(trace.parent_id);
  trace.flags = flags;
  return trace;
}

std::optional<TraceParent> parse_amzn_trace_id(std::string_view header) {
  std::optional<TraceParent> trace;
  std::string_view parent;
  bool sampled = false;
  while (!header.empty()) {
    const auto semicolon = header.find(';');
    const std::string_view field = trim_ows(header.substr(0, semicolon));
    header =
        semicolon == std::string_view::npos ? std::string_view() : header.substr(semicolon + 1);
    const auto eq = field.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = field.substr(0, eq);
    const std::string_view value = field.substr(eq + 1);
    if (name == "Root") {
      // 1-<8 hex: epoch seconds>-<24 hex>
      if (value.size() != 35 || value.substr(0, 2) != "1-" || value[10] != '-') return std::nullopt;
      std::string id;
      id.reserve(32);
      for (const char c : value.substr(2, 8)) id += ascii_lower(c);
      for (const char c : value.substr(11)) id += ascii_lower(c);
      if (!all_lower_hex(id) || all_zeros(id)) return std::nullopt;
      trace.emplace();
      copy_to(trace->trace_id, id);
    } else if (name == "Parent") {
      parent = value;
    } else if (name == "Sampled") {
      sampled = value == "1";
    }
  }
  if (!trace) return std::nullopt;
  std::string lower(parent);
  std::transform(lower.begin(), lower.end(), lower.begin(), ascii_lower);
  if (lower.size() == 16 && all_lower_hex(lower) && !all_zeros(lower)) {
    copy_to(trace->parent_id, lower);
  } else {
    fill_random(trace->parent_id);
  }
  trace->flags = sampled ? 1 : 0;
  return trace;
}

bool valid_tracestate(std::string_view header) {
  if (header.size() > kMaxTracestateBytes) return false;
  std::size_t members = 0;
  while (true) {
    const auto comma = header.find(',');
    const std::string_view member = trim_ows(header.substr(0, comma));
    if (!member.empty()) {
      const auto eq = member.find('=');
      if (eq == std::string_view::npos || !valid_key(member.substr(0, eq)) ||
          !valid_value(member.substr(eq + 1)) || ++members > 32) {
        return false;
      }
    }
    if (comma == std::string_view::npos) return true;
    header.remove_prefix(comma + 1);
  }
}

TraceContext request_trace(const Headers& headers, std::string_view amzn_trace_id) {
  const std::string* traceparent = nullptr;
  std::size_t traceparents = 0;
  std::string tracestate;
  std::size_t tracestates = 0;
  for (const Header& h : headers) {
    if (h.name == "traceparent") {
      traceparent = &h.value;
      ++traceparents;
    } else if (h.name == "tracestate") {
      // Repeated tracestate headers are one list (RFC 9110 §5.3); bounded before it grows.
      if (tracestate.size() <= kMaxTracestateBytes) {
        if (tracestates++ > 0) tracestate += ',';
        tracestate += h.value;
      }
    }
  }
  TraceContext context;
  std::optional<TraceParent> parent;
  if (traceparents == 1) parent = parse_traceparent(*traceparent);
  if (parent) {
    if (tracestates > 0 && valid_tracestate(tracestate)) context.tracestate = std::move(tracestate);
  } else if (!amzn_trace_id.empty()) {
    parent = parse_amzn_trace_id(amzn_trace_id);
  }
  context.span = parent ? child_of(*parent) : new_trace();
  return context;
}

ScopedTrace::ScopedTrace(const TraceContext& trace) : previous_(current) { current = &trace; }

ScopedTrace::~ScopedTrace() { current = previous_; }

const TraceContext* current_trace() { return current; }

Headers outgoing_trace_headers() {
  Headers headers;
  if (current == nullptr) return headers;
  headers.push_back({"traceparent", format_traceparent(child_of(current->span))});
  if (!current->tracestate.empty()) headers.push_back({"tracestate", current->tracestate});
  return headers;
}

}  // namespace sbapi
