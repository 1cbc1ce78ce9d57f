// CloudWatch Embedded Metric Format (EMF) for the Lambda functions (SPEC §4).
//
// Contract
// - One EMF line per API request, next to (after) the request's JSON access-log line: namespace
//   `ServerlessBackendApi`, dimension `Route` ("GET /users/{id}"; "-" when no route matched),
//   metrics `Latency` (Milliseconds), `Errors` (Count: 1 for a 5xx, else 0) and `ColdStart`
//   (Count: 1 on the process's first invocation, else 0), plus `requestId` as a plain property
//   (searchable in Logs Insights, not a dimension). CloudWatch turns the line into metrics; no
//   API call, no extra latency.
// - `EmfAccessLog` is an AccessLog decorator: the Api writes its access-log entry through it, so
//   the metrics see exactly the route template, status, latency and cold-start flag the access
//   log records. One write per line; thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

#include "core/access_log.h"

namespace sbapi::lambda {

inline constexpr const char* kMetricsNamespace = "ServerlessBackendApi";

// The EMF JSON line for one request (no trailing newline).
std::string format_emf(const AccessLogEntry& entry, std::int64_t epoch_millis);

class EmfAccessLog final : public AccessLog {
 public:
  EmfAccessLog(AccessLog& inner, std::FILE* out) : inner_(inner), out_(out) {}
  void write(const AccessLogEntry& entry) override;

 private:
  AccessLog& inner_;
  std::FILE* out_;
  std::mutex mutex_;
};

}  // namespace sbapi::lambda
