// Fuzz target: request bodies through the handlers' validation (src/core/users_handlers.cc,
// assets_handlers.cc, validation.cc, responses.cc), by way of `Api::handle` as every transport
// calls it, over in-memory tables holding user u1 and assets a1, a2 (fuzz_support.h).
//
// The input is the body of, in turn: POST /users, PUT /users/u1 (exists), PUT /users/nobody
// (does not), POST /assets, each from the same tables. Checks, besides ASan/UBSan reports:
//   - no 5xx for any body (the handlers answer a bad body with 400; a 5xx here is a bug), and
//     only the statuses each endpoint documents (docs/api.md);
//   - every response body is a JSON object;
//   - what is accepted is valid: a created user has a valid userId and email (and name and
//     department when given), only known fields, and reads back the same with GET; an updated
//     user keeps userId u1 and createdAt and gets updatedAt; a created asset's s3Key is
//     asset_key(assetId, fileName) and parses back into the same parts, its contentType is a
//     valid media type, it comes with an uploadUrl, and its download URL can be asked for.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/asset_key.h"
#include "core/validation.h"
#include "fuzz_support.h"

namespace {

namespace json = boost::json;
using sbapi::fuzz::fail;

sbapi::Response call(std::string method, std::string path, std::string_view body) {
  sbapi::Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.headers = {{"content-type", "application/json"}};
  request.body = std::string(body);
  return sbapi::fuzz::World::instance().api.handle(request);
}

json::object answer(const sbapi::Response& response, std::string_view what) {
  if (response.status >= 500)
    fail("5xx for a request body", std::string(what) + ": " + response.body);
  sbapi::fuzz::check_json_body(response, what);
  return json::parse(response.body).as_object();
}

void expect_status(const sbapi::Response& response, std::initializer_list<int> allowed,
                   std::string_view what) {
  for (int status : allowed) {
    if (response.status == status) return;
  }
  fail("undocumented status",
       std::string(what) + ": " + std::to_string(response.status) + " " + response.body);
}

std::string_view string_at(const json::object& object, std::string_view name,
                           std::string_view what) {
  const auto* v = object.if_contains(name);
  if (v == nullptr || !v->is_string())
    fail("missing string field", std::string(what) + "." + std::string(name));
  return v->get_string();
}

void check_user(const json::object& user, std::string_view what) {
  for (const auto& [name, value] : user) {
    if (name != "userId" && name != "email" && name != "name" && name != "department" &&
        name != "createdAt" && name != "ttl" && name != "updatedAt") {
      fail("unexpected field stored in a user", std::string(what) + ": " + std::string(name));
    }
  }
  if (!sbapi::is_valid_id(string_at(user, "userId", what))) fail("invalid userId stored", what);
  if (!sbapi::is_valid_email(string_at(user, "email", what))) fail("invalid email stored", what);
  for (std::string_view name : {"name", "department"}) {
    if (user.contains(name) && !sbapi::is_valid_text(string_at(user, name, what))) {
      fail("invalid text field stored", std::string(what) + "." + std::string(name));
    }
  }
}

void post_user(std::string_view body) {
  const auto response = call("POST", "/users", body);
  const auto json_answer = answer(response, "POST /users");
  expect_status(response, {200, 201, 400, 413}, "POST /users");
  if (response.status == 400 || response.status == 413) return;
  if (response.status == 200) {
    // Only u1 exists: an idempotent create of u1 answers it unchanged.
    if (string_at(json_answer.at("user").as_object(), "userId", "user") != "u1") {
      fail("200 'already exists' for a user that does not exist", body);
    }
    return;
  }
  const json::object& user = json_answer.at("user").as_object();
  check_user(user, "created user");
  const std::string id(string_at(user, "userId", "user"));
  const auto read = call("GET", "/users/" + id, {});
  if (read.status != 200) fail("a created user cannot be read", id);
  if (json::parse(read.body) != json::value(user))
    fail("a created user reads back differently", id);
}

void put_user(std::string_view body) {
  const auto response = call("PUT", "/users/u1", body);
  const auto json_answer = answer(response, "PUT /users/u1");
  expect_status(response, {200, 400, 413}, "PUT /users/u1");
  if (response.status == 200) {
    check_user(json_answer, "updated user");
    if (string_at(json_answer, "userId", "user") != "u1") fail("update changed userId", body);
    if (json_answer.at("createdAt") != json::value(sbapi::fuzz::kNow - 3600)) {
      fail("update changed createdAt", body);
    }
    if (!json_answer.contains("updatedAt")) fail("update without updatedAt", body);
  }
  const auto missing = call("PUT", "/users/nobody", body);
  answer(missing, "PUT /users/nobody");
  expect_status(missing, {400, 404, 413}, "PUT /users/nobody");
}

void post_asset(std::string_view body) {
  const auto response = call("POST", "/assets", body);
  const auto json_answer = answer(response, "POST /assets");
  expect_status(response, {200, 201, 400, 413}, "POST /assets");
  if (response.status == 400 || response.status == 413) return;
  const json::object& asset = json_answer.at("asset").as_object();
  const std::string_view id = string_at(asset, "assetId", "asset");
  if (response.status == 200) {
    if (id != "a1" && id != "a2")
      fail("200 'already exists' for an asset that does not exist", body);
    // a1 is still pending: it gets a fresh upload URL; a2 is uploaded: none.
    if (json_answer.contains("uploadUrl") != (id == "a1"))
      fail("uploadUrl for the wrong asset", body);
    return;
  }
  const std::string_view file_name = string_at(asset, "fileName", "asset");
  const std::string_view key = string_at(asset, "s3Key", "asset");
  if (!sbapi::is_valid_id(id) || !sbapi::is_valid_file_name(file_name)) {
    fail("invalid asset id or file name stored", body);
  }
  if (!sbapi::is_valid_media_type(string_at(asset, "contentType", "asset"))) {
    fail("invalid contentType stored", body);
  }
  if (key != sbapi::asset_key(id, file_name))
    fail("s3Key is not asset_key(assetId, fileName)", body);
  const auto parts = sbapi::parse_asset_key(key);
  if (!parts || parts->asset_id != id || parts->file_name != file_name) {
    fail("s3Key does not parse back into its asset id and file name", key);
  }
  if (string_at(json_answer, "uploadUrl", "answer").find(sbapi::fuzz::kPublicUrl) != 0) {
    fail("uploadUrl not on the public URL", body);
  }
  const auto download = call("GET", "/assets/" + std::string(id) + "/download", {});
  answer(download, "download");
  if (download.status != 200) fail("a created asset has no download URL", id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto& world = sbapi::fuzz::World::instance();
  for (auto* run : {&post_user, &put_user, &post_asset}) {
    world.reset();
    (*run)(body);
  }
  return 0;
}
