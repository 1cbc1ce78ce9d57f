// Building JSON responses, and the one way every handler reads a JSON object body.
//
// Errors are always `{"error": "<message>"}`. A storage failure becomes 503 with `Retry-After`
// (or 500 when it is not the storage's availability at fault); its detail goes to the log only.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <expected>
#include <string>
#include <string_view>

#include "core/http.h"
#include "core/store_error.h"

namespace sbapi {

Response json_response(int status, const boost::json::value& body);
// A response whose body is JSON text already (stored items as they are).
Response json_text_response(int status, std::string body);
Response error_response(int status, std::string_view message);
Response store_failure_response(const StoreError& error);

// The body parsed as a JSON object, or the 400 response to send instead.
std::expected<boost::json::object, Response> parse_object_body(const Request& request);

}  // namespace sbapi
