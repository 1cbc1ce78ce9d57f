#include "core/responses.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string_view>

#include "core/access_log.h"
#include "core/duplicate_keys.h"

namespace sbapi {

Response json_response(int status, const boost::json::value& body) {
  return json_text_response(status, boost::json::serialize(body));
}

Response json_text_response(int status, std::string body) {
  Response response;
  response.status = status;
  response.headers.push_back({"content-type", "application/json"});
  response.body = std::move(body);
  return response;
}

Response error_response(int status, std::string_view message) {
  return json_response(status, boost::json::object{{"error", message}});
}

Response store_failure_response(const StoreError& error) {
  const bool unavailable = error.kind == StoreError::Kind::kUnavailable;
  log_event("error", unavailable ? "storage unavailable" : "storage error",
            {{"detail", error.detail}});
  if (!unavailable) return error_response(500, "Internal server error");
  Response response = error_response(503, "Service temporarily unavailable");
  response.set_header("retry-after", "1");
  return response;
}

namespace {

// False only when `body`, which parsed as the flat `object`, surely names no key twice: without
// a backslash a repeated key is written twice as the same "key", and without nested values every
// key is a member of `object`. Cheap (no allocation), so that the exact scan of
// has_duplicate_keys (a second JSON pass) runs only for the rare body that needs it.
bool may_repeat_a_key(std::string_view body, const boost::json::object& object) {
  if (body.find('\\') != std::string_view::npos) return true;
  for (const auto& member : object) {
    if (member.value().is_structured()) return true;
    const std::string_view key = member.key();
    int quoted = 0;
    for (auto at = body.find(key); at != std::string_view::npos; at = body.find(key, at + 1)) {
      const bool opens = at > 0 && body[at - 1] == '"';
      const bool closes = at + key.size() < body.size() && body[at + key.size()] == '"';
      if (opens && closes && ++quoted > 1) return true;
    }
  }
  return false;
}

}  // namespace

std::expected<boost::json::object, Response> parse_object_body(const Request& request) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(request.body, ec);
  if (ec) return std::unexpected(error_response(400, "Invalid JSON in request body"));
  if (!value.is_object()) {
    return std::unexpected(error_response(400, "Request body must be a JSON object"));
  }
  if (may_repeat_a_key(request.body, value.get_object()) && has_duplicate_keys(request.body)) {
    return std::unexpected(error_response(400, "Duplicate key in request body"));
  }
  return std::move(value.get_object());
}

}  // namespace sbapi
