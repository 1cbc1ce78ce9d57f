// Fuzz target: request tracing (src/core/trace_context.cc): W3C `traceparent` and `tracestate`,
// X-Ray's `X-Amzn-Trace-Id`, and `request_trace`, which picks a request's trace from its headers.
//
// The input is used three ways:
//   A. as one header value: parsed as a traceparent, an X-Amzn-Trace-Id and a tracestate;
//   B. as a header section: lines "name: value" (names lower-cased as the transports do) given to
//      `request_trace`, with the last line also as the transport's X-Ray header;
//   C. as a traceparent after a valid 53-character prefix: the input's first two bytes become the
//      flags and the rest a suffix (a future version's extra fields).
// Checks, besides ASan/UBSan reports:
//   - nothing throws;
//   - A: parse_traceparent accepts exactly what a position-by-position reading of W3C level 1
//     accepts (lower-case hex; version ff invalid; 00 exactly 55 characters; a later version
//     followed by '-' or nothing; trace id and parent id not all zeros); what it accepts formats
//     back to the canonical string (the input itself for version 00, else "00" + its characters
//     2–54) and parses back to the same value; a child keeps trace id and flags with a valid new
//     parent id; an accepted X-Amzn-Trace-Id gives a valid traceparent whose trace id is the
//     Root's hex, lower-cased; an accepted tracestate is at most 512 bytes;
//   - B: the span is always a valid traceparent; it continues the one traceparent header when
//     that is valid (same trace id and flags), its tracestate is empty or valid and at most 512
//     bytes, and the thread's current trace is unset before and after.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "core/http.h"
#include "core/trace_context.h"

namespace {

[[noreturn]] void fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "\nFUZZ PROPERTY VIOLATED: %.*s\n%.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

bool lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// W3C Trace Context level 1, §3.2, read position by position.
bool reference_accepts(std::string_view h) {
  constexpr std::string_view kShape = "vv-tttttttttttttttttttttttttttttttt-pppppppppppppppp-ff";
  if (h.size() < kShape.size()) return false;
  bool trace_zero = true;
  bool parent_zero = true;
  for (std::size_t i = 0; i < kShape.size(); ++i) {
    if (kShape[i] == '-') {
      if (h[i] != '-') return false;
      continue;
    }
    if (!lower_hex(h[i])) return false;
    if (kShape[i] == 't' && h[i] != '0') trace_zero = false;
    if (kShape[i] == 'p' && h[i] != '0') parent_zero = false;
  }
  if (h.substr(0, 2) == "ff" || trace_zero || parent_zero) return false;
  if (h.substr(0, 2) == "00") return h.size() == kShape.size();
  return h.size() == kShape.size() || h[kShape.size()] == '-';
}

std::string printable(std::string_view bytes) {
  std::string out;
  for (const char c : bytes.substr(0, 2048)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out.push_back(c);
    } else {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", u);
      out += buffer;
    }
  }
  return out;
}

void check_traceparent(std::string_view input) {
  const auto parsed = sbapi::parse_traceparent(input);
  if (parsed.has_value() != reference_accepts(input)) {
    fail(parsed ? "a traceparent the spec refuses is accepted"
                : "a traceparent the spec accepts is refused",
         printable(input));
  }
  if (!parsed) return;
  const std::string canonical = sbapi::format_traceparent(*parsed);
  const std::string expected = "00" + std::string(input.substr(2, 53));
  if (canonical != expected) {
    fail("a parsed traceparent does not format back canonically",
         printable(input) + "\n→ " + canonical);
  }
  if (sbapi::parse_traceparent(canonical) != parsed) fail("the canonical form parses differently");
  const sbapi::TraceParent child = sbapi::child_of(*parsed);
  if (child.trace_id != parsed->trace_id || child.flags != parsed->flags ||
      !sbapi::parse_traceparent(sbapi::format_traceparent(child))) {
    fail("a child lost its trace id or flags, or is invalid", canonical);
  }
}

void check_header_value(std::string_view input) {
  check_traceparent(input);
  if (const auto xray = sbapi::parse_amzn_trace_id(input)) {
    const std::string header = sbapi::format_traceparent(*xray);
    if (!sbapi::parse_traceparent(header)) fail("an X-Ray header makes an invalid traceparent");
    const auto root = input.find("Root=1-");
    if (root == std::string_view::npos) fail("an X-Ray header without a Root is accepted");
  }
  if (sbapi::valid_tracestate(input) && input.size() > sbapi::kMaxTracestateBytes) {
    fail("a tracestate over 512 bytes is accepted");
  }
}

sbapi::Headers header_lines(std::string_view input, std::string_view& last_value) {
  sbapi::Headers headers;
  while (!input.empty()) {
    const auto newline = input.find('\n');
    const std::string_view line = input.substr(0, newline);
    input = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (char& c : name) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    last_value = value;
    headers.push_back({std::move(name), std::string(value)});
  }
  return headers;
}

void check_request_trace(std::string_view input) {
  std::string_view last;
  const sbapi::Headers headers = header_lines(input, last);
  if (sbapi::current_trace() != nullptr) fail("a current trace outside any request");
  const sbapi::TraceContext trace = sbapi::request_trace(headers, last);
  if (!sbapi::parse_traceparent(sbapi::format_traceparent(trace.span))) {
    fail("request_trace made an invalid span", printable(input));
  }
  const std::string* only = nullptr;
  int count = 0;
  for (const auto& h : headers) {
    if (h.name == "traceparent") {
      only = &h.value;
      ++count;
    }
  }
  if (count == 1) {
    if (const auto parent = sbapi::parse_traceparent(*only)) {
      if (parent->trace_id != trace.span.trace_id || parent->flags != trace.span.flags) {
        fail("a valid traceparent was not continued", printable(input));
      }
    }
  }
  if (!trace.tracestate.empty() && (trace.tracestate.size() > sbapi::kMaxTracestateBytes ||
                                    !sbapi::valid_tracestate(trace.tracestate))) {
    fail("an invalid tracestate was kept", printable(trace.tracestate));
  }
  {
    const sbapi::ScopedTrace scoped(trace);
    const sbapi::Headers out = sbapi::outgoing_trace_headers();
    if (out.empty()) fail("no outgoing traceparent inside a request");
    const auto sent = sbapi::parse_traceparent(out[0].value);
    if (!sent || sent->trace_id != trace.span.trace_id) fail("an outgoing traceparent is wrong");
  }
  if (sbapi::current_trace() != nullptr) fail("a trace outlived its scope");
}

void check_suffix(std::string_view input) {
  if (input.size() < 2) return;
  std::string header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-";
  header.append(input.substr(0, 2));
  check_traceparent(header);
  check_traceparent("cc" + header.substr(2) + std::string(input.substr(2)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    check_header_value(input);
    check_request_trace(input);
    check_suffix(input);
  } catch (const std::exception& e) {
    fail("an exception escaped", e.what());
  }
  return 0;
}
