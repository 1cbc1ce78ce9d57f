// A client of the Lambda Runtime API (2018-06-01), over the aws adapters' HTTP Transport.
//
// Contract
// - `endpoint` is AWS_LAMBDA_RUNTIME_API ("host:port"); requests go to
//   http://<endpoint>/2018-06-01/runtime/...
// - `next()`: GET invocation/next. It long-polls — the Runtime API answers only when an event
//   arrives — so it is sent with a timeout of weeks, and re-sent if even that expires. 200 with a
//   Lambda-Runtime-Aws-Request-Id → the Invocation (deadline, ARN, trace id, payload).
// - `respond(id, body)`: POST invocation/{id}/response (202 expected).
// - `fail(id, error)` / `init_error(error)`: POST invocation/{id}/error or init/error with
//   {"errorMessage","errorType"} and the header Lambda-Runtime-Function-Error-Type: errorType.
// - Failures: the Runtime API unreachable (kUnreachable), answering 500 — "container error,
//   the runtime should exit promptly" (kShutdown) — or any other unexpected status (kRejected;
//   e.g. 400/403/413 for a post). The loop decides what each means.
// - Not thread-safe (one invocation at a time, as the protocol is).
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <string>

#include "adapters/aws/http_transport.h"
#include "lambda/event_handler.h"

namespace sbapi::lambda {

struct Invocation {
  std::string request_id;        // Lambda-Runtime-Aws-Request-Id
  std::int64_t deadline_ms = 0;  // Lambda-Runtime-Deadline-Ms (epoch ms); 0 if absent
  std::string function_arn;      // Lambda-Runtime-Invoked-Function-Arn
  std::string trace_id;          // Lambda-Runtime-Trace-Id (→ _X_AMZN_TRACE_ID)
  std::string payload;
};

struct RuntimeFailure {
  enum class Kind { kUnreachable, kShutdown, kRejected };
  Kind kind = Kind::kUnreachable;
  int status = 0;  // HTTP status, 0 when unreachable
  std::string message;
};

class RuntimeClient {
 public:
  RuntimeClient(std::string endpoint, std::shared_ptr<aws::Transport> transport);

  std::expected<Invocation, RuntimeFailure> next();
  std::expected<void, RuntimeFailure> respond(const std::string& request_id, std::string body);
  std::expected<void, RuntimeFailure> fail(const std::string& request_id,
                                           const InvocationError& error);
  std::expected<void, RuntimeFailure> init_error(const InvocationError& error);

 private:
  std::expected<void, RuntimeFailure> post(const std::string& path, std::string body,
                                           const std::string& error_type);

  std::string base_;  // http://host:port/2018-06-01/runtime
  std::shared_ptr<aws::Transport> transport_;
};

// The error document the Runtime API expects.
std::string error_document(const InvocationError& error);

}  // namespace sbapi::lambda
