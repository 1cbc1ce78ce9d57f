#include "adapters/aws/aws_json_client.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <utility>

namespace sbapi::aws {
namespace {

namespace json = boost::json;

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

std::string string_member(const json::object& object, std::string_view name) {
  const auto* v = object.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The text of the first <tag>…</tag> of an XML body ("" when there is none).
std::string xml_element(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  const auto begin = xml.find(open);
  if (begin == std::string_view::npos) return {};
  const auto end = xml.find(close, begin + open.size());
  if (end == std::string_view::npos) return {};
  return std::string(xml.substr(begin + open.size(), end - begin - open.size()));
}

// The error type of an error response: `__type` (after the last '#'), else X-Amzn-ErrorType
// (before the first ':'), else the <Code> of an XML error body (what moto's authentication layer
// answers for every service, JSON ones included); only `__type` when `json_only`.
std::string error_type(const HttpResponse& response, const json::object& body, bool json_only) {
  std::string type = string_member(body, "__type");
  if (auto hash = type.rfind('#'); hash != std::string::npos) type.erase(0, hash + 1);
  if (json_only) return type;
  if (type.empty()) {
    if (auto header = response.header("x-amzn-errortype")) {
      type = std::string(header->substr(0, header->find(':')));
    }
  }
  if (type.empty()) type = xml_element(response.body, "Code");
  return type;
}

}  // namespace

std::string AwsJsonError::describe() const {
  std::string out;
  switch (kind) {
    case Kind::kTransport:
      out = "transport error";
      break;
    case Kind::kService:
      out = service.empty() ? type : service + " " + type;
      break;
    case Kind::kProtocol:
      out = "protocol error";
      break;
  }
  if (http_status != 0) out += " (HTTP " + std::to_string(http_status) + ")";
  if (!message.empty()) out += ": " + message;
  if (attempts > 1) out += " after " + std::to_string(attempts) + " attempts";
  return out;
}

AwsJsonClient::AwsJsonClient(AwsJsonProtocol protocol, AwsServiceEndpoint endpoint,
                             std::shared_ptr<Transport> transport, RetryPolicy retry_policy,
                             RetryHooks retry_hooks, const Clock* clock)
    : protocol_(std::move(protocol)),
      endpoint_(std::move(endpoint)),
      content_type_("application/x-amz-json-" + protocol_.json_version),
      transport_(std::move(transport)),
      retrier_(retry_policy, std::move(retry_hooks)),
      clock_(clock != nullptr ? clock : &system_clock()) {
  const auto parsed = sigv4::parse_endpoint(endpoint_.endpoint);
  url_ = parsed.scheme + "://" + parsed.host + parsed.base_path + "/";
}

AwsJsonError AwsJsonClient::protocol_error(std::string message) const {
  AwsJsonError e;
  e.kind = AwsJsonError::Kind::kProtocol;
  e.service = protocol_.service_name;
  e.message = std::move(message);
  return e;
}

bool AwsJsonClient::is_throttling(std::string_view type) const {
  return std::find(protocol_.throttling_types.begin(), protocol_.throttling_types.end(), type) !=
         protocol_.throttling_types.end();
}

HttpRequest AwsJsonClient::build_request(std::string_view operation, std::string body,
                                         std::int64_t epoch_seconds) const {
  HttpRequest request;
  request.method = "POST";
  request.url = url_;
  request.headers = {{"Content-Type", content_type_},
                     {"X-Amz-Target", protocol_.target_prefix + std::string(operation)}};
  sigv4::SignRequest sign;
  sign.method = "POST";
  sign.endpoint = endpoint_.endpoint;
  sign.path = "/";
  sign.headers = request.headers;
  sign.payload_hash = sigv4::sha256_hex(body);
  sign.region = endpoint_.region;
  sign.service = protocol_.signing_name;
  sign.time = epoch_seconds;
  auto signed_request = sigv4::sign_headers(sign, endpoint_.credentials);
  for (auto& header : signed_request.headers) request.headers.push_back(std::move(header));
  request.body = std::move(body);
  return request;
}

AwsJsonResult<json::object> AwsJsonClient::call(std::string_view operation,
                                                const json::object& body) const {
  try {
    const std::string text = json::serialize(body);
    AwsJsonResult<json::object> result = std::unexpected(protocol_error("not attempted"));
    const int attempts = retrier_.run([&](int) {
      HttpRequest request = build_request(operation, text, clock_->now_seconds());
      append_trace_headers(request.headers);  // unsigned; a no-op outside a request
      // An attempt may use what is left of the deadline, no more.
      if (auto deadline = retrier_.deadline()) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - retrier_.now());
        if (left.count() <= 0) {
          AwsJsonError e;
          e.kind = AwsJsonError::Kind::kTransport;
          e.service = protocol_.service_name;
          e.message = "deadline passed before the attempt";
          e.retryable = true;
          result = std::unexpected(std::move(e));
          return false;
        }
        request.timeout = left;
      }
      auto response = transport_->send(request);
      if (!response) {
        AwsJsonError e;
        e.kind = AwsJsonError::Kind::kTransport;
        e.service = protocol_.service_name;
        e.message = response.error().message;
        e.retryable = is_retryable(response.error());
        result = std::unexpected(std::move(e));
        return result.error().retryable;
      }
      json::object parsed;
      boost::system::error_code ec;
      auto value = json::parse(response->body, ec);
      if (!ec && value.is_object()) parsed = std::move(value.get_object());
      if (response->status == 200) {
        if (ec || !value.is_object()) {
          result = std::unexpected(protocol_error("response body is not a JSON object"));
          result.error().http_status = 200;
          return false;
        }
        result = std::move(parsed);
        return false;
      }
      AwsJsonError e;
      e.kind = AwsJsonError::Kind::kService;
      e.service = protocol_.service_name;
      e.http_status = response->status;
      e.type = error_type(*response, parsed, protocol_.json_errors_only);
      e.message = string_member(parsed, "message");
      if (e.message.empty()) e.message = string_member(parsed, "Message");
      if (e.message.empty() && !protocol_.json_errors_only) {
        e.message = xml_element(response->body, "Message");
      }
      e.retryable = response->status >= 500 || response->status == 429 || is_throttling(e.type);
      e.body = std::move(parsed);
      result = std::unexpected(std::move(e));
      return result.error().retryable;
    });
    if (!result) result.error().attempts = attempts;
    return result;
  } catch (const std::exception& e) {
    return std::unexpected(protocol_error(std::string("exception: ") + e.what()));
  }
}

}  // namespace sbapi::aws
