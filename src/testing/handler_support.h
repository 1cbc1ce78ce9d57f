// Test-only, header-only: small helpers shared by the handler unit tests, a request with a body
// and a response's JSON.
#pragma once

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <utility>

#include "core/http.h"

namespace sbapi::testutil {

inline Request body_request(std::string body) {
  Request r;
  r.body = std::move(body);
  return r;
}

inline boost::json::value body_of(const Response& r) { return boost::json::parse(r.body); }

// The "error" message of a JSON error response.
inline std::string error_of(const Response& r) {
  return std::string(body_of(r).as_object().at("error").as_string());
}

}  // namespace sbapi::testutil
