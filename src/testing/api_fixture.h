// Test-only, header-only: an Api over in-memory SQLite tables and the local presigner, with a
// TokenVerifier that knows a fixed set of tokens (the Api's rules are under test, not token
// cryptography: src/auth/ has those tests).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "adapters/local/local_object_store.h"
#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/sqlite_table.h"
#include "core/api.h"
#include "core/schemas.h"

namespace sbapi::testutil {

class TableOfTokens final : public TokenVerifier {
 public:
  std::expected<Identity, TokenRejection> verify(std::string_view token) override {
    ++calls;
    const auto it = tokens.find(std::string(token));
    if (it == tokens.end()) return std::unexpected(TokenRejection{"signature", "Invalid token"});
    return it->second;
  }
  std::map<std::string, Identity> tokens{
      {"alice-token", {"alice", {}, false}},
      {"bob-token", {"bob", {"staff"}, false}},
      {"admin-token", {"root", {"admin"}, true}},
      {"odd-token", {"not a user id", {}, false}},
  };
  int calls = 0;
};

class NullLog final : public AccessLog {
 public:
  void write(const AccessLogEntry&) override {}
};

class ApiFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    db = std::move(*SqliteDatabase::open_in_memory());
    users = std::move(*SqliteTable::open(*db, users_schema(), clock));
    assets = std::move(*SqliteTable::open(*db, assets_schema(), clock));
    objects = std::make_unique<LocalObjectStore>(
        LocalObjectConfig{"test-bucket", "us-east-1", {"AKID", "SECRET", ""}, "http://localhost:9"},
        clock);
    api = std::make_unique<Api>(*users, clock, log);
    api->serve_assets(*assets, *objects);
  }

  Response call(std::string method, std::string path, const std::string& token = {},
                std::string body = {}) {
    Request r;
    r.method = std::move(method);
    // "/users?limit=2": the transport hands the query over separately.
    if (const auto q = path.find('?'); q != std::string::npos) {
      r.query = path.substr(q + 1);
      path.resize(q);
    }
    r.path = std::move(path);
    r.body = std::move(body);
    if (!token.empty()) r.headers.push_back({"authorization", "Bearer " + token});
    return api->handle(r);
  }
  Response create_user(const std::string& id, const std::string& token) {
    return call("POST", "/users", token, R"({"userId":")" + id + R"(","email":"x@example.com"})");
  }
  Response create_asset(const std::string& id, const std::string& token) {
    return call("POST", "/assets", token, R"({"assetId":")" + id + R"(","fileName":"f.txt"})");
  }

  FixedClock clock{1'750'000'000};
  NullLog log;
  TableOfTokens verifier;
  std::unique_ptr<SqliteDatabase> db;
  std::unique_ptr<SqliteTable> users;
  std::unique_ptr<SqliteTable> assets;
  std::unique_ptr<LocalObjectStore> objects;
  std::unique_ptr<Api> api;
};

}  // namespace sbapi::testutil
