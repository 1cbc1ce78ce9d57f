// One call of an AWS JSON-protocol service (JSON 1.0: DynamoDB; JSON 1.1: Secrets Manager):
// the request building, SigV4 signing, retries and error parsing every such client shares.
//
// Contract
// - `call(operation, body)` POSTs `body` (serialised JSON) to `<endpoint>/` with
//   `Content-Type: application/x-amz-json-<version>` and `X-Amz-Target: <prefix><operation>`,
//   signed for the protocol's SigV4 service (plus X-Amz-Security-Token under temporary
//   credentials). Each attempt is re-signed (its time changes) and given at most what is left
//   before the retry deadline (retry.h). Made while a request is handled, each attempt also
//   carries that request's trace (`traceparent` with a new span id, `tracestate`), unsigned
//   (http_transport.h `append_trace_headers`).
// - Retried by `Retrier`: HTTP 5xx, HTTP 429, the throttling `__type`s the protocol names,
//   connection errors and timeouts. Everything else returns after one attempt.
// - A 200 whose body is a JSON object is the result. Any other status is an `AwsJsonError` of
//   kind kService with the error type: `__type` after its last '#' (JSON 1.0 prefixes a
//   namespace), else (unless `AwsJsonProtocol::json_errors_only`) the `X-Amzn-ErrorType` header
//   before its first ':', else the <Code> of an XML error body; the message from `message`,
//   `Message` or (the same proviso) the XML <Message>.
// - Thread-safe; exceptions never escape.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/aws/http_transport.h"
#include "adapters/aws/retry.h"
#include "core/clock.h"
#include "sigv4/sigv4.h"

namespace sbapi::aws {

struct AwsJsonError {
  enum class Kind {
    kTransport,  // no HTTP response (see `message`)
    kService,    // an error response of the service
    kProtocol,   // a response we could not understand, or a request we could not build
  };
  Kind kind = Kind::kService;
  std::string service;     // for `describe`: "DynamoDB", "Secrets Manager"
  std::string type;        // e.g. "ResourceNotFoundException"; empty unless kService
  std::string message;     // for logs; may contain AWS text, never show it to clients
  int http_status = 0;     // 0 when there was no response
  bool retryable = false;  // the last attempt's failure was retryable (retries ran out)
  int attempts = 0;
  boost::json::object body;  // the parsed error response, when it was JSON

  [[nodiscard]] std::string describe() const;  // one line for logs
};

template <typename T>
using AwsJsonResult = std::expected<T, AwsJsonError>;

// What tells one JSON-protocol service from another.
struct AwsJsonProtocol {
  std::string service_name;   // for messages: "Secrets Manager"
  std::string signing_name;   // SigV4 service: "secretsmanager"
  std::string target_prefix;  // "secretsmanager."
  std::string json_version;   // "1.1" → application/x-amz-json-1.1
  // Error types (besides HTTP 5xx and 429) that mean "slow down, then try again".
  std::vector<std::string> throttling_types = {"ThrottlingException", "TooManyRequestsException",
                                               "RequestLimitExceeded",
                                               "ProvisionedThroughputExceededException"};
  // true: the error type and message come from the JSON body only (no X-Amzn-ErrorType, no XML).
  bool json_errors_only = false;
};

struct AwsServiceEndpoint {
  std::string endpoint;  // scheme://host[:port][/path], e.g.
                         // "https://secretsmanager.eu-west-1.amazonaws.com"
  std::string region;
  sigv4::Credentials credentials;
};

class AwsJsonClient {
 public:
  // `clock` gives the signing time and must outlive the client; nullptr = the system clock.
  AwsJsonClient(AwsJsonProtocol protocol, AwsServiceEndpoint endpoint,
                std::shared_ptr<Transport> transport, RetryPolicy retry_policy = {},
                RetryHooks retry_hooks = {}, const Clock* clock = nullptr);

  // One operation, with retries: the parsed response body, or the error.
  AwsJsonResult<boost::json::object> call(std::string_view operation,
                                          const boost::json::object& body) const;

  // The HTTP request (signed for the time `epoch_seconds`) that `call` would send. For tests.
  [[nodiscard]] HttpRequest build_request(std::string_view operation, std::string body,
                                          std::int64_t epoch_seconds) const;

  [[nodiscard]] const AwsJsonProtocol& protocol() const { return protocol_; }
  [[nodiscard]] const AwsServiceEndpoint& endpoint() const { return endpoint_; }

  // An error of kind kProtocol of this service (for the typed calls built on `call`).
  [[nodiscard]] AwsJsonError protocol_error(std::string message) const;

 private:
  [[nodiscard]] bool is_throttling(std::string_view type) const;

  AwsJsonProtocol protocol_;
  AwsServiceEndpoint endpoint_;
  std::string url_;
  std::string content_type_;
  std::shared_ptr<Transport> transport_;
  Retrier retrier_;
  const Clock* clock_;
};

}  // namespace sbapi::aws
