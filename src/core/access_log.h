// One JSON line per handled request.
//
// Only operational facts are logged — never a body, an email, a name or a presigned URL — so the
// log can be shipped anywhere without leaking personal data.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace sbapi {

struct AccessLogEntry {
  std::string_view request_id;
  std::string_view method;
  std::string_view route;  // the route template, e.g. "/users/{id}", never the raw path
  int status = 0;
  std::int64_t latency_us = 0;
  bool cold_start = false;
  // The request's W3C trace id (32 hex, core/trace_context.h); empty: none, no "traceId" field.
  std::string_view trace_id = {};
};

class AccessLog {
 public:
  virtual ~AccessLog() = default;
  virtual void write(const AccessLogEntry& entry) = 0;
};

// Writes each entry as one JSON line to a stdio stream, one write per line so that lines from
// concurrent requests never interleave.
class JsonLinesAccessLog final : public AccessLog {
 public:
  explicit JsonLinesAccessLog(std::FILE* out) : out_(out) {}
  void write(const AccessLogEntry& entry) override;

  // Formats the line (without the trailing newline); exposed for tests.
  static std::string format(const AccessLogEntry& entry, std::int64_t epoch_micros);

 private:
  std::FILE* out_;
  std::mutex mutex_;
};

// The method as the log says it: one of HTTP's methods (RFC 9110 §9, PATCH) as sent, "-" (not
// read), or "OTHER". A client picks the method token: echoing any token would let it write
// arbitrary text (and kilobytes of it) into every log line.
std::string_view loggable_method(std::string_view method);

// "2026-11-25T09:10:11.123Z"
std::string format_utc_millis(std::int64_t epoch_micros);

// Microseconds since the Unix epoch, from the system clock.
std::int64_t now_epoch_micros();

// One JSON line on stdout for an operational event (listening, stopped, a storage failure):
// {"time","level","msg", ...fields}. Fields are for operators only and never reach a client.
void log_event(std::string_view level, std::string_view message,
               const boost::json::object& fields = {});

class NullAccessLog final : public AccessLog {
 public:
  void write(const AccessLogEntry& /*entry*/) override {}
};

}  // namespace sbapi
