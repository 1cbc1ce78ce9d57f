// Request tracing: W3C Trace Context (level 1) `traceparent` / `tracestate`, and the trace id of
// AWS X-Ray's `X-Amzn-Trace-Id`.
//
// Contract
// - `parse_traceparent` is strict (W3C Trace Context level 1, §3.2): "vv-<32 hex>-<16 hex>-<2 hex>"
//   in lower-case hex only; version ff is invalid; version 00 is exactly 55 characters; a later
//   version is read as 00 from its first 55 characters when they are followed by '-' or nothing;
//   an all-zero trace id or parent id is invalid. Anything else is nullopt (the header is then
//   treated as absent: never an error for the client).
// - `format_traceparent` writes version 00: for a version-00 header, format(parse(h)) == h.
// - `child_of` keeps the trace id and flags and draws a new random parent (span) id.
// - `parse_amzn_trace_id` reads X-Ray's `Root=1-<8 hex>-<24 hex>[;Parent=<16 hex>][;Sampled=0|1]…`
//   (fields in any order, hex of either case): the trace id is the Root's 32 hex digits (X-Ray's
//   own mapping to W3C ids), lower-cased; Parent (random when absent or malformed) and Sampled=1
//   (flag 01) carry over.
// - `request_trace` picks the trace a request belongs to and makes the server's span in it: the
//   request's one valid `traceparent` (several traceparent headers: invalid, ignored), else the
//   transport's X-Ray header (Lambda), else a new trace (random id, flags 00). `tracestate` is
//   kept only with a valid traceparent, when well-formed (§3.3: ≤ 32 list members, keys and
//   values as the grammar says) and ≤ 512 bytes; otherwise dropped.
// - The calling thread's trace: `ScopedTrace` makes a request's trace current while the Api runs
//   its handler; adapters that call other services on its behalf (the aws backend) read it with
//   `current_trace` and send `outgoing_trace_headers`. It is per thread, so it is right exactly
//   for work done synchronously inside the handler call (see Api::dispatch).
// - Ids come from a per-thread engine seeded by random_seed(): unique, not secret.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/http.h"

namespace sbapi {

inline constexpr std::size_t kTraceparentLength = 55;
inline constexpr std::size_t kMaxTracestateBytes = 512;

struct TraceParent {
  std::array<char, 32> trace_id{};   // lower-case hex, not all zeros
  std::array<char, 16> parent_id{};  // lower-case hex, not all zeros
  std::uint8_t flags = 0;            // bit 0: sampled

  [[nodiscard]] std::string_view trace_id_hex() const { return {trace_id.data(), trace_id.size()}; }
  [[nodiscard]] std::string_view parent_id_hex() const {
    return {parent_id.data(), parent_id.size()};
  }
  bool operator==(const TraceParent&) const = default;
};

std::optional<TraceParent> parse_traceparent(std::string_view header);
std::string format_traceparent(const TraceParent& trace);
TraceParent child_of(const TraceParent& parent);
// A new trace: random trace id and parent id, flags `flags`.
TraceParent new_trace(std::uint8_t flags = 0);

std::optional<TraceParent> parse_amzn_trace_id(std::string_view header);
bool valid_tracestate(std::string_view header);

struct TraceContext {
  TraceParent span;        // this server's span: what the response's traceparent says
  std::string tracestate;  // passed on unchanged; empty: none
};

// The server's span for a request with these headers (`amzn_trace_id`: the transport's X-Ray
// header, empty when none).
TraceContext request_trace(const Headers& headers, std::string_view amzn_trace_id = {});

// Makes `trace` the calling thread's current trace for as long as it lives (nests; `trace` must
// outlive it).
class ScopedTrace {
 public:
  explicit ScopedTrace(const TraceContext& trace);
  ~ScopedTrace();
  ScopedTrace(const ScopedTrace&) = delete;
  ScopedTrace& operator=(const ScopedTrace&) = delete;

 private:
  const TraceContext* previous_;
};

// The calling thread's current trace, or nullptr.
const TraceContext* current_trace();

// What a call made now on behalf of the current request carries: `traceparent` (a child of the
// request's span: same trace, a new parent id, same flags) and `tracestate` when there is one.
// Empty when the thread handles no request. Names lower-case.
Headers outgoing_trace_headers();

}  // namespace sbapi
