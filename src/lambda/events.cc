#include "lambda/events.h"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <cctype>

#include "core/base64.h"
#include "core/router.h"
#include "core/validation.h"
#include "sigv4/sigv4.h"

namespace sbapi::lambda {
namespace {

namespace json = boost::json;

const json::object* object_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr ? v->if_object() : nullptr;
}

// The string at `key`, or "" (absent, null or not a string).
std::string_view string_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  return v->get_string();
}

bool true_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_bool() && v->get_bool();
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Adds `value` to the header `name` (lower-case), joining repeats.
void add_header(Headers& headers, std::string name, std::string_view value) {
  for (Header& h : headers) {
    if (h.name == name) {
      h.value += name == "cookie" ? "; " : ", ";
      h.value += value;
      return;
    }
  }
  headers.push_back({std::move(name), std::string(value)});
}

void append_query_pair(std::string& query, std::string_view name, std::string_view value) {
  if (!query.empty()) query += '&';
  query += sigv4::uri_encode(name, false);
  query += '=';
  query += sigv4::uri_encode(value, false);
}

// A JSON string or a number/bool as the text API Gateway would have had (values are strings in
// real events; test events written by hand sometimes are not).
std::optional<std::string> scalar_text(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_null() || v.is_object() || v.is_array()) return std::nullopt;
  return json::serialize(v);
}

std::expected<std::string, std::string> body_of(const json::object& event) {
  const json::value* body = event.if_contains("body");
  if (body == nullptr || !body->is_string()) return std::string();  // absent or null
  std::string_view text = body->get_string();
  if (!true_at(event, "isBase64Encoded")) return std::string(text);
  auto decoded = base64_decode(text);
  if (!decoded) return std::unexpected("the body is marked isBase64Encoded but is not base64");
  return std::move(*decoded);
}

json::object base_response(const Response& response) {
  json::object out;
  out["statusCode"] = response.status;
  return out;
}

void finish_response(json::object& out, const Response& response) {
  out["body"] = response.body;
  out["isBase64Encoded"] = false;
}

}  // namespace

EventKind classify(const json::value& event) {
  const json::object* o = event.if_object();
  if (o == nullptr) return EventKind::kUnsupported;
  if (string_at(*o, "version") == "2.0") {
    const json::object* context = object_at(*o, "requestContext");
    const json::object* http = context != nullptr ? object_at(*context, "http") : nullptr;
    if (http != nullptr && !string_at(*http, "method").empty()) return EventKind::kHttpApiV2;
    return EventKind::kUnsupported;
  }
  if (!string_at(*o, "httpMethod").empty() && !string_at(*o, "path").empty()) {
    return EventKind::kApiGatewayV1;
  }
  if (const json::value* records = o->if_contains("Records");
      records != nullptr && records->is_array() && !records->get_array().empty()) {
    const json::object* first = records->get_array().front().if_object();
    if (first != nullptr && string_at(*first, "eventSource") == "aws:s3") return EventKind::kS3;
  }
  return EventKind::kUnsupported;
}

std::expected<ApiEvent, std::string> parse_api_v1(const json::object& event) {
  ApiEvent out;
  Request& r = out.request;
  r.method = std::string(string_at(event, "httpMethod"));
  std::transform(r.method.begin(), r.method.end(), r.method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  r.path = std::string(string_at(event, "path"));

  if (const json::object* multi = object_at(event, "multiValueHeaders")) {
    for (const auto& [name, values] : *multi) {
      if (!values.is_array()) continue;
      for (const json::value& v : values.get_array()) {
        if (auto text = scalar_text(v)) add_header(r.headers, lower(name), *text);
      }
    }
  } else if (const json::object* single = object_at(event, "headers")) {
    for (const auto& [name, v] : *single) {
      if (auto text = scalar_text(v)) add_header(r.headers, lower(name), *text);
    }
  }

  if (const json::object* multi = object_at(event, "multiValueQueryStringParameters")) {
    for (const auto& [name, values] : *multi) {
      if (!values.is_array()) continue;
      for (const json::value& v : values.get_array()) {
        if (auto text = scalar_text(v)) append_query_pair(r.query, name, *text);
      }
    }
  } else if (const json::object* single = object_at(event, "queryStringParameters")) {
    for (const auto& [name, v] : *single) {
      if (auto text = scalar_text(v)) append_query_pair(r.query, name, *text);
    }
  }

  auto body = body_of(event);
  if (!body) return std::unexpected(body.error());
  r.body = std::move(*body);
  if (const json::object* context = object_at(event, "requestContext")) {
    out.request_id = std::string(string_at(*context, "requestId"));
  }
  return out;
}

std::expected<ApiEvent, std::string> parse_api_v2(const json::object& event) {
  ApiEvent out;
  Request& r = out.request;
  const json::object* context = object_at(event, "requestContext");
  const json::object* http = context != nullptr ? object_at(*context, "http") : nullptr;
  if (http != nullptr) r.method = std::string(string_at(*http, "method"));
  std::transform(r.method.begin(), r.method.end(), r.method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });

  std::string_view path = string_at(event, "rawPath");
  if (path.empty() && http != nullptr) path = string_at(*http, "path");
  if (context != nullptr) {
    // HTTP APIs put a named stage into rawPath ("/v1/users/u1"); "$default" adds nothing.
    const std::string_view stage = string_at(*context, "stage");
    if (!stage.empty() && stage != "$default" && path.size() > stage.size() && path[0] == '/' &&
        path.substr(1, stage.size()) == stage) {
      const std::string_view rest = path.substr(1 + stage.size());
      if (rest.empty() || rest[0] == '/') path = rest.empty() ? std::string_view("/") : rest;
    }
  }
  r.path = std::string(path.empty() ? std::string_view("/") : path);
  r.query = std::string(string_at(event, "rawQueryString"));

  if (const json::object* headers = object_at(event, "headers")) {
    for (const auto& [name, v] : *headers) {
      if (auto text = scalar_text(v)) add_header(r.headers, lower(name), *text);
    }
  }
  if (const json::value* cookies = event.if_contains("cookies");
      cookies != nullptr && cookies->is_array()) {
    for (const json::value& c : cookies->get_array()) {
      if (c.is_string()) add_header(r.headers, "cookie", c.get_string());
    }
  }

  auto body = body_of(event);
  if (!body) return std::unexpected(body.error());
  r.body = std::move(*body);
  if (context != nullptr) out.request_id = std::string(string_at(*context, "requestId"));
  return out;
}

std::string to_api_v1_response(const Response& response) {
  json::object out = base_response(response);
  json::object single;
  json::object multi;
  for (const Header& h : response.headers) {
    auto it = multi.find(h.name);
    if (it == multi.end()) {
      multi[h.name] = json::array{json::string(h.value)};
    } else {
      it->value().get_array().emplace_back(json::string(h.value));
    }
  }
  for (const auto& [name, values] : multi) {
    if (values.get_array().size() == 1) single[name] = values.get_array().front();
  }
  out["headers"] = std::move(single);
  out["multiValueHeaders"] = std::move(multi);
  finish_response(out, response);
  return json::serialize(out);
}

std::string to_api_v2_response(const Response& response) {
  json::object out = base_response(response);
  json::object headers;
  json::array cookies;
  for (const Header& h : response.headers) {
    if (h.name == "set-cookie") {
      cookies.emplace_back(json::string(h.value));
      continue;
    }
    auto it = headers.find(h.name);
    if (it == headers.end()) {
      headers[h.name] = h.value;
    } else {
      json::string& joined = it->value().get_string();
      joined.append(",");
      joined.append(h.value);
    }
  }
  out["headers"] = std::move(headers);
  if (!cookies.empty()) out["cookies"] = std::move(cookies);
  finish_response(out, response);
  return json::serialize(out);
}

std::vector<S3Record> parse_s3(const json::object& event) {
  std::vector<S3Record> out;
  const json::value* records = event.if_contains("Records");
  if (records == nullptr || !records->is_array()) return out;
  for (const json::value& entry : records->get_array()) {
    S3Record& record = out.emplace_back();
    const json::object* r = entry.if_object();
    if (r == nullptr) {
      record.error = "the record is not an object";
      continue;
    }
    record.event_name = std::string(string_at(*r, "eventName"));
    const json::object* s3 = object_at(*r, "s3");
    const json::object* bucket = s3 != nullptr ? object_at(*s3, "bucket") : nullptr;
    const json::object* object = s3 != nullptr ? object_at(*s3, "object") : nullptr;
    if (bucket != nullptr) record.bucket = std::string(string_at(*bucket, "name"));
    if (object == nullptr || string_at(*object, "key").empty()) {
      record.error = "s3.object.key is missing";
      continue;
    }
    auto key = decode_s3_key(string_at(*object, "key"));
    if (!key) {
      record.error = "s3.object.key is not URL-encoded UTF-8";
      continue;
    }
    record.key = std::move(*key);
    std::string_view etag = string_at(*object, "eTag");
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
      etag = etag.substr(1, etag.size() - 2);
    }
    record.etag = std::string(etag);
    const json::value* size = object->if_contains("size");
    if (size != nullptr && size->is_uint64()) {
      record.size = size->get_uint64();
    } else if (size != nullptr && size->is_int64() && size->get_int64() >= 0) {
      record.size = static_cast<std::uint64_t>(size->get_int64());
    } else if (record.event_name.starts_with("ObjectCreated:")) {
      record.error = "s3.object.size is missing";
    }
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  return sbapi::base64_decode(text);
}

std::optional<std::string> decode_s3_key(std::string_view key) {
  std::string spaced(key);
  std::replace(spaced.begin(), spaced.end(), '+', ' ');
  std::string out;
  // S3 keys are UTF-8; anything else could not be echoed back in a JSON answer.
  if (!percent_decode(spaced, out) || !is_valid_utf8(out)) return std::nullopt;
  return out;
}

}  // namespace sbapi::lambda
