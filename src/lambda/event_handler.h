// One Lambda invocation: an event payload in, the function's response JSON (or an invocation
// error) out. Shared by the Runtime API loop and `sbapi invoke`.
//
// Contract
// - API Gateway REST (v1) and HTTP API (v2) events (events.h) go through `Api::handle` — the
//   same core as `sbapi serve` — with RequestContext{requestContext.requestId (else the Lambda
//   request id), cold start}; the Response is mapped back to the event's format.
//   A body that claims base64 but is not → a 400 JSON response (the client's fault).
//   RequestContext::amzn_trace_id is the invocation's Lambda-Runtime-Trace-Id, else the event's
//   X-Amzn-Trace-Id header: the request's trace when it has no valid `traceparent` (core/api.h).
// - S3 notifications: every `ObjectCreated:*` record → `record_upload(assets, key, size, etag)`
//   (core/asset_uploads.h, shared with the local object endpoint). A key that no asset owns is
//   a success (nothing to do); other event names are ignored. The response reports each record:
//   {"records":[{"key","result":"uploaded"|"no-asset"|"ignored"}]}. If any record fails (storage
//   error after the retries, or a malformed record) the whole invocation fails with
//   Function.UploadNotRecorded and a per-record report, so Lambda retries the event;
//   record_upload is idempotent, so records that did succeed are simply recorded again.
//   One log line per record (asset id and outcome; never the file name).
// - An event kind this function was not built for (API events without an Api, S3 events
//   without an assets table), a payload that is not JSON, or any other shape →
//   Function.UnsupportedEvent "Unsupported event…".
// - An exception escaping the core (a bug) → Runtime.UnknownReason, detail logged, not sent.
// - Not thread-safe by itself (the Runtime API hands out one invocation at a time); the Api and
//   tables it uses are.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "core/api.h"
#include "core/clock.h"
#include "core/table.h"

namespace sbapi::lambda {

// errorType values (Lambda's recommended "Category.Reason" form).
inline constexpr const char* kUnsupportedEvent = "Function.UnsupportedEvent";
inline constexpr const char* kUploadNotRecorded = "Function.UploadNotRecorded";
inline constexpr const char* kUnknownReason = "Runtime.UnknownReason";
inline constexpr const char* kConfigInvalid = "Runtime.ConfigInvalid";

struct InvocationError {
  std::string type;     // errorType
  std::string message;  // errorMessage
};

struct InvocationInfo {
  std::string_view request_id;     // the Lambda request id (Lambda-Runtime-Aws-Request-Id)
  bool cold_start = false;         // the first invocation of this process
  std::string_view trace_id = {};  // Lambda-Runtime-Trace-Id (X-Ray), empty when none
};

class EventHandler {
 public:
  // `api`: serves API events (null: this function takes none). `uploads`: the assets table S3
  // events are recorded in (null: this function takes none). Both must outlive the handler.
  // `gateway_claims`: API events carry the caller's identity in API Gateway's authorizer claims
  // (authorizer_claims.h), handed to the Api as RequestContext::identity.
  EventHandler(Api* api, Table* uploads, const Clock& clock,
               std::optional<IdentityClaims> gateway_claims = std::nullopt)
      : api_(api), uploads_(uploads), clock_(clock), gateway_claims_(std::move(gateway_claims)) {}

  std::expected<std::string, InvocationError> handle(std::string_view payload,
                                                     const InvocationInfo& info);

 private:
  std::expected<std::string, InvocationError> handle_s3(const boost::json::object& event,
                                                        const InvocationInfo& info);

  Api* api_;
  Table* uploads_;
  const Clock& clock_;
  std::optional<IdentityClaims> gateway_claims_;
};

}  // namespace sbapi::lambda
