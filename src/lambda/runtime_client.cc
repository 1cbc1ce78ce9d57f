#include "lambda/runtime_client.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <chrono>
#include <utility>

namespace sbapi::lambda {
namespace {

using namespace std::chrono_literals;

// The next-invocation GET long-polls for as long as the environment stays idle (frozen time
// included), so its timeout only guards against a peer that vanished without closing: weeks.
// (libcurl caps a timeout at 2^32-1 ms, about 49 days.)
constexpr std::chrono::milliseconds kNextTimeout = std::chrono::hours(24 * 30);
// Posts are small and local; the Runtime API answers at once.
constexpr std::chrono::milliseconds kPostTimeout = 10s;

RuntimeFailure failure_of(const aws::TransportError& error) {
  return {RuntimeFailure::Kind::kUnreachable, 0, "Runtime API unreachable: " + error.message};
}

RuntimeFailure failure_of(const aws::HttpResponse& response, std::string_view what) {
  RuntimeFailure f;
  f.kind =
      response.status == 500 ? RuntimeFailure::Kind::kShutdown : RuntimeFailure::Kind::kRejected;
  f.status = response.status;
  f.message = std::string(what) + " answered HTTP " + std::to_string(response.status);
  if (!response.body.empty()) f.message += ": " + response.body.substr(0, 512);
  return f;
}

}  // namespace

std::string error_document(const InvocationError& error) {
  return boost::json::serialize(
      boost::json::object{{"errorMessage", error.message}, {"errorType", error.type}});
}

RuntimeClient::RuntimeClient(std::string endpoint, std::shared_ptr<aws::Transport> transport)
    : base_("http://" + std::move(endpoint) + "/2018-06-01/runtime"),
      transport_(std::move(transport)) {}

std::expected<Invocation, RuntimeFailure> RuntimeClient::next() {
  aws::HttpRequest request;
  request.method = "GET";
  request.url = base_ + "/invocation/next";
  request.timeout = kNextTimeout;
  for (;;) {
    auto response = transport_->send(request);
    if (!response) {
      if (response.error().kind == aws::TransportError::Kind::kTimeout) continue;  // poll again
      return std::unexpected(failure_of(response.error()));
    }
    if (response->status != 200) {
      return std::unexpected(failure_of(*response, "GET invocation/next"));
    }
    Invocation invocation;
    invocation.request_id =
        std::string(response->header("lambda-runtime-aws-request-id").value_or(""));
    if (invocation.request_id.empty()) {
      return std::unexpected(
          RuntimeFailure{RuntimeFailure::Kind::kRejected, 200,
                         "invocation/next without Lambda-Runtime-Aws-Request-Id"});
    }
    if (auto deadline = response->header("lambda-runtime-deadline-ms")) {
      std::int64_t ms = 0;
      auto [end, ec] = std::from_chars(deadline->data(), deadline->data() + deadline->size(), ms);
      if (ec == std::errc() && end == deadline->data() + deadline->size()) {
        invocation.deadline_ms = ms;
      }
    }
    invocation.function_arn =
        std::string(response->header("lambda-runtime-invoked-function-arn").value_or(""));
    invocation.trace_id = std::string(response->header("lambda-runtime-trace-id").value_or(""));
    invocation.payload = std::move(response->body);
    return invocation;
  }
}

std::expected<void, RuntimeFailure> RuntimeClient::respond(const std::string& request_id,
                                                           std::string body) {
  return post("/invocation/" + request_id + "/response", std::move(body), "");
}

std::expected<void, RuntimeFailure> RuntimeClient::fail(const std::string& request_id,
                                                        const InvocationError& error) {
  return post("/invocation/" + request_id + "/error", error_document(error), error.type);
}

std::expected<void, RuntimeFailure> RuntimeClient::init_error(const InvocationError& error) {
  return post("/init/error", error_document(error), error.type);
}

std::expected<void, RuntimeFailure> RuntimeClient::post(const std::string& path, std::string body,
                                                        const std::string& error_type) {
  aws::HttpRequest request;
  request.method = "POST";
  request.url = base_ + path;
  request.headers.emplace_back("Content-Type", "application/json");
  if (!error_type.empty()) {
    request.headers.emplace_back("Lambda-Runtime-Function-Error-Type", error_type);
  }
  request.body = std::move(body);
  request.timeout = kPostTimeout;
  auto response = transport_->send(request);
  if (!response) return std::unexpected(failure_of(response.error()));
  if (response->status < 200 || response->status > 299) {
    return std::unexpected(failure_of(*response, "POST " + path));
  }
  return {};
}

}  // namespace sbapi::lambda
