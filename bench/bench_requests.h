// The requests the in-process benchmarks send through Api::handle (micro_bench.cc,
// instruction_counts.cc): one shape of user, ids of one length, so that every call does the
// same work and instruction counts repeat exactly.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "core/http.h"

namespace sbapi::bench {

// "user-000042": the id of the i-th preloaded user.
inline std::string user_id(int i, std::string_view prefix = "user-") {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%06d", i);
  return std::string(prefix) + buf;
}

// The POST /users body of a user with this id (no createdAt/ttl: the server sets them).
inline std::string user_body(std::string_view id) {
  std::string body = R"({"userId":")";
  body += id;
  body += R"(","email":")";
  body += id;
  body += R"(@example.com","name":"Bench User","department":"Performance"})";
  return body;
}

// A GET with the headers curl sends.
inline Request get_request(std::string path) {
  Request r;
  r.method = "GET";
  r.path = std::move(path);
  r.headers = {{"host", "127.0.0.1:3000"}, {"user-agent", "bench"}, {"accept", "*/*"}};
  return r;
}

// A POST /users with a JSON body.
inline Request post_user_request(std::string_view id) {
  Request r;
  r.method = "POST";
  r.path = "/users";
  r.headers = {{"host", "127.0.0.1:3000"}, {"content-type", "application/json"}};
  r.body = user_body(id);
  return r;
}

// A POST /assets of a new asset with this id.
inline Request post_asset_request(std::string_view id) {
  Request r;
  r.method = "POST";
  r.path = "/assets";
  r.headers = {{"host", "127.0.0.1:3000"}, {"content-type", "application/json"}};
  r.body = R"({"assetId":")";
  r.body += id;
  r.body += R"(","fileName":"f.bin","contentType":"application/octet-stream"})";
  return r;
}

}  // namespace sbapi::bench
