// HTTP client port for the AWS adapters (DynamoDB, S3), and its libcurl implementation.
//
// Contract
// - `Transport::send` performs exactly one HTTP exchange: no retries, no redirects followed, no
//   signing. Any HTTP status (including 4xx/5xx) is a successful exchange and comes back as an
//   `HttpResponse`; only a failure to complete the exchange is a `TransportError`.
// - Exceptions never cross this boundary (send is noexcept in effect: implementations catch).
// - Response header names are lower-cased; when a header repeats, each occurrence is kept in
//   order. Request headers are sent as given (libcurl adds Host itself from the URL, which is
//   what sigv4::host_header signs).
// - `CurlTransport` is thread-safe: a call borrows a CURL easy handle from a small pool and
//   returns it afterwards, so keep-alive connections (which live in the handle) are reused by
//   later calls from any thread. TLS peer and host verification are always on; plain http:// is
//   allowed (local endpoints such as dynalite, moto, MinIO).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sbapi::aws {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";  // "GET", "PUT", "POST", "DELETE", "HEAD"
  std::string url;             // absolute, already percent-encoded: scheme://host[:port]/path?query
  HeaderList headers;          // sent as given
  std::string body;
  // Total time allowed for this exchange; zero = the transport's request_timeout. Callers with a
  // deadline (e.g. a Lambda invocation) pass what is left of it.
  std::chrono::milliseconds timeout{0};
};

struct HttpResponse {
  int status = 0;
  HeaderList headers;  // names lower-case, in arrival order
  std::string body;

  // The first header of that (lower-case) name, if any.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view lower_name) const;
};

struct TransportError {
  enum class Kind {
    kConnect,  // DNS, refused, reset, closed before a full response
    kTimeout,  // connect or total timeout
    kTls,      // handshake or certificate verification
    kOther,    // anything else (bad URL, out of memory, ...)
  };
  Kind kind = Kind::kOther;
  std::string message;  // for logs
};

// Connection failures and timeouts are worth retrying; TLS and other errors are not.
[[nodiscard]] bool is_retryable(const TransportError& error);

// Appends the headers that pass the calling thread's request trace on (core/trace_context.h:
// `traceparent`, a child of the request's span, and `tracestate`); nothing outside a request.
// Callers add them after SigV4 signing: the signer signs only the headers it is given, so these
// stay out of SignedHeaders and a new span id per attempt never touches the signature.
void append_trace_headers(HeaderList& headers);

class Transport {
 public:
  virtual ~Transport() = default;
  virtual std::expected<HttpResponse, TransportError> send(const HttpRequest& request) = 0;
};

struct CurlTransportOptions {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{10000};  // whole exchange
  // Optional CA bundle path (default: the system store libcurl was built with).
  std::string ca_file;
};

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(CurlTransportOptions options = {});
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  std::expected<HttpResponse, TransportError> send(const HttpRequest& request) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sbapi::aws
