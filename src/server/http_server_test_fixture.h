// Test support for the HttpServer tests (header-only, not part of any library): an in-process
// server on a free port in front of an Api over an in-memory database, and the requests the tests
// send most.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/sqlite_table.h"
#include "core/api.h"
#include "core/clock.h"
#include "core/schemas.h"
#include "server/http_server.h"
#include "server/test_client.h"

namespace sbapi::test_support {

// A request creating user `user_id`, with a Connection header when `connection` is not empty.
inline std::string post_user(std::string_view user_id, std::string_view connection = "") {
  const std::string body = R"({"userId":")" + std::string(user_id) + R"(","email":")" +
                           std::string(user_id) + R"(@example.com"})";
  std::string request =
      "POST /users HTTP/1.1\r\nHost: localhost\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n";
  if (!connection.empty()) request += "Connection: " + std::string(connection) + "\r\n";
  return request + "\r\n" + body;
}

inline std::string get(std::string_view target) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
}

// An HttpServer on a free port of 127.0.0.1, run on a thread of its own by start_server(), in front
// of an Api over an in-memory SQLite users table.
class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = SqliteDatabase::open_in_memory();
    ASSERT_TRUE(db) << db.error().detail;
    db_ = std::move(*db);
    auto users = SqliteTable::open(*db_, users_schema(), clock_);
    ASSERT_TRUE(users) << users.error().detail;
    users_ = std::move(*users);
    api_ = std::make_unique<Api>(*users_, clock_, log_);
  }

  void TearDown() override {
    if (server_) {
      server_->stop();
      if (runner_.joinable()) runner_.join();
    }
  }

  void start_server(HttpServerOptions options = {}, unsigned threads = 2) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = threads;
    server_ = std::make_unique<HttpServer>(*api_, server_log_, options);
    auto port = server_->start();
    ASSERT_TRUE(port) << port.error();
    ASSERT_NE(*port, 0);
    port_ = *port;
    runner_ = std::thread([this] {
      server_->run();
      run_returned_.set_value();
    });
  }

  bool run_returned_within(std::chrono::milliseconds timeout) {
    return run_returned_future_.wait_for(timeout) == std::future_status::ready;
  }

  FixedClock clock_{1'750'000'000};
  RecordingAccessLog log_;  // the Api's
  RecordingAccessLog server_log_;
  std::unique_ptr<SqliteDatabase> db_;
  std::unique_ptr<SqliteTable> users_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
  std::promise<void> run_returned_;
  std::future<void> run_returned_future_ = run_returned_.get_future();
  std::thread runner_;
};

}  // namespace sbapi::test_support
