#include "core/api.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/sqlite_table.h"
#include "core/schemas.h"

namespace sbapi {
namespace {

class CapturingLog final : public AccessLog {
 public:
  struct Line {
    std::string request_id, method, route;
    int status;
  };
  void write(const AccessLogEntry& e) override {
    lines.push_back(
        {std::string(e.request_id), std::string(e.method), std::string(e.route), e.status});
  }
  std::vector<Line> lines;
};

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db = std::move(*SqliteDatabase::open_in_memory());
    table = std::move(*SqliteTable::open(*db, users_schema(), clock));
    api = std::make_unique<Api>(*table, clock, log);
  }
  Response call(std::string method, std::string path, std::string body = {}) {
    Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    return api->handle(r);
  }

  FixedClock clock{1'750'000'000};
  CapturingLog log;
  std::unique_ptr<SqliteDatabase> db;
  std::unique_ptr<SqliteTable> table;
  std::unique_ptr<Api> api;
};

TEST_F(ApiTest, EveryResponseHasCorsAndAUniqueRequestId) {
  std::set<std::string> ids;
  for (const Response& r : {call("GET", "/users/u1"), call("GET", "/nope"),
                            call("POST", "/users", "{}"), call("PATCH", "/users/u1")}) {
    ASSERT_NE(r.header("access-control-allow-origin"), nullptr);
    EXPECT_EQ(*r.header("access-control-allow-origin"), "*");
    ASSERT_NE(r.header("x-request-id"), nullptr);
    EXPECT_EQ(r.header("x-request-id")->size(), 36u);
    ids.insert(*r.header("x-request-id"));
    // A page on another origin may read the id.
    ASSERT_NE(r.header("access-control-expose-headers"), nullptr);
    EXPECT_EQ(*r.header("access-control-expose-headers"), "X-Request-Id");
  }
  EXPECT_EQ(ids.size(), 4u);
}

TEST_F(ApiTest, ARejectedRequestGetsTheUsualHeadersAndALogLineForItsRoute) {
  Response r = api->reject("PUT", "/users/u1", 413, "Request body too large");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(boost::json::parse(r.body).at("error"), "Request body too large");
  ASSERT_NE(r.header("content-type"), nullptr);
  EXPECT_EQ(*r.header("content-type"), "application/json");
  ASSERT_NE(r.header("access-control-allow-origin"), nullptr);
  ASSERT_NE(r.header("access-control-expose-headers"), nullptr);
  ASSERT_NE(r.header("x-request-id"), nullptr);
  // Nothing read at all: no route, no method.
  RequestContext context;
  context.request_id = "rid-1";
  Response unread = api->reject("", "", 400, "Malformed HTTP request", context);
  EXPECT_EQ(*unread.header("x-request-id"), "rid-1");
  ASSERT_EQ(log.lines.size(), 2u);
  EXPECT_EQ(log.lines[0].method, "PUT");
  EXPECT_EQ(log.lines[0].route, "/users/{id}");
  EXPECT_EQ(log.lines[0].status, 413);
  EXPECT_EQ(log.lines[1].method, "-");
  EXPECT_EQ(log.lines[1].route, "-");
  EXPECT_EQ(log.lines[1].status, 400);
}

TEST_F(ApiTest, AGivenRequestIdIsKept) {
  Request r;
  r.method = "GET";
  r.path = "/users/u1";
  auto response = api->handle(r, {.request_id = "apigw-req-1", .cold_start = true});
  EXPECT_EQ(*response.header("x-request-id"), "apigw-req-1");
  EXPECT_EQ(log.lines.back().request_id, "apigw-req-1");
}

TEST_F(ApiTest, OptionsIsAPreflightThatNeverTouchesStorage) {
  table.reset();  // any storage access would now crash
  auto r = call("OPTIONS", "/users/u1");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(*r.header("access-control-allow-methods"), "GET,POST,PUT,DELETE,OPTIONS");
  EXPECT_EQ(*r.header("access-control-allow-headers"),
            "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token");
  EXPECT_EQ(call("OPTIONS", "/nope").status, 404);
}

TEST_F(ApiTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  auto missing = call("GET", "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(boost::json::parse(missing.body).at("error"), "Not found");
  auto wrong = call("PATCH", "/users/u1");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(*wrong.header("allow"), "GET, PUT, DELETE, OPTIONS");
  EXPECT_EQ(*wrong.header("content-type"), "application/json");
  EXPECT_EQ(*call("DELETE", "/users").header("allow"), "GET, POST, OPTIONS");
}

TEST_F(ApiTest, BodyOverTheLimitIs413WhateverTheRoute) {
  EXPECT_EQ(call("POST", "/users", std::string(kMaxBodyBytes + 1, ' ')).status, 413);
  auto at_limit = call("POST", "/users", std::string(kMaxBodyBytes, ' '));
  EXPECT_EQ(at_limit.status, 400);  // within the limit, then just invalid JSON
}

TEST_F(ApiTest, LogsTheRouteTemplateNotThePath) {
  call("POST", "/users", R"({"userId":"secret-id","email":"who@example.com"})");
  call("GET", "/users/secret-id");
  call("GET", "/nope");
  ASSERT_EQ(log.lines.size(), 3u);
  EXPECT_EQ(log.lines[0].route, "/users");
  EXPECT_EQ(log.lines[0].status, 201);
  EXPECT_EQ(log.lines[1].route, "/users/{id}");
  EXPECT_EQ(log.lines[1].method, "GET");
  EXPECT_EQ(log.lines[2].route, "-");
  EXPECT_EQ(log.lines[2].status, 404);
}

TEST_F(ApiTest, AMalformedOrDotIdIsABadRequest) {
  for (const char* path : {"/users/%zz", "/users/.", "/users/..", "/users/%2e%2E"}) {
    auto r = call("GET", path);
    EXPECT_EQ(r.status, 400) << path << ": " << r.body;
  }
  EXPECT_EQ(call("POST", "/users", R"({"userId":"..","email":"a@b.co"})").status, 400);
  EXPECT_EQ(call("POST", "/users", R"({"userId":".","email":"a@b.co"})").status, 400);
  EXPECT_EQ(call("GET", "/users/u1").status, 404);  // nothing was written
}

TEST_F(ApiTest, ABodyThatNamesAKeyTwiceIsRefusedHoweverItIsWritten) {
  for (const char* body : {R"({"userId":"d1","email":"a@b.co","email":"b@c.co"})",
                           R"({"userId":"d1","\u0065mail":"a@b.co","email":"b@c.co"})",
                           R"({"userId" : "d1", "email":"a@b.co", "userId":"victim"})"}) {
    auto r = call("POST", "/users", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(boost::json::parse(r.body).at("error"), "Duplicate key in request body") << body;
  }
  EXPECT_EQ(call("GET", "/users/d1").status, 404);
  // A key's name as another field's value is no repeat.
  EXPECT_EQ(call("POST", "/users", R"({"userId":"d2","email":"a@b.co","name":"email"})").status,
            201);
}

TEST_F(ApiTest, HealthAnswersOk) {
  auto r = call("GET", "/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(boost::json::parse(r.body).at("status"), "ok");
}

// ---- handle_async ----

TEST_F(ApiTest, OnlyTheAsynchronousRoutesSaySo) {
  const auto is_async = [this](std::string method, std::string path) {
    Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    return api->route(r).async_handler != nullptr;
  };
  EXPECT_TRUE(is_async("POST", "/users"));
  EXPECT_FALSE(is_async("GET", "/users/u1"));
  EXPECT_TRUE(is_async("PUT", "/users/u1"));
  EXPECT_TRUE(is_async("DELETE", "/users/u1"));
  EXPECT_FALSE(is_async("GET", "/users"));
  EXPECT_FALSE(is_async("POST", "/nope"));
}

TEST_F(ApiTest, AnAsynchronousCreateAnswersOnceWithTheUsualHeadersAndLogLine) {
  Request r;
  r.method = "POST";
  r.path = "/users";
  r.body = R"({"userId":"async-1","email":"a@example.com"})";
  std::promise<Response> answered;
  std::atomic<int> calls{0};
  api->handle_async(r, {}, [&](Response response) {
    if (++calls == 1) answered.set_value(std::move(response));
  });
  auto future = answered.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  const Response response = future.get();
  EXPECT_EQ(response.status, 201) << response.body;
  ASSERT_NE(response.header("x-request-id"), nullptr);
  ASSERT_NE(response.header("access-control-allow-origin"), nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a second answer would show
  EXPECT_EQ(calls.load(), 1);
  ASSERT_EQ(log.lines.size(), 1u);
  EXPECT_EQ(log.lines[0].route, "/users");
  EXPECT_EQ(log.lines[0].status, 201);
  EXPECT_EQ(log.lines[0].request_id, *response.header("x-request-id"));
  EXPECT_EQ(call("GET", "/users/async-1").status, 200);  // stored
}

TEST_F(ApiTest, AnAsynchronousAnswerIsMadeWhereTheTransportResumesIt) {
  // The transport's loop stands in as a queue this thread runs: the storage's thread only hands
  // the rest of the request over; the response and its log line are made here.
  std::mutex mutex;
  std::condition_variable handed_over;
  std::vector<std::function<void()>> loop;
  RequestContext context;
  context.resume = [&](std::function<void()> rest) {
    std::lock_guard lock(mutex);
    loop.push_back(std::move(rest));
    handed_over.notify_one();
  };
  Request r;
  r.method = "POST";
  r.path = "/users";
  r.body = R"({"userId":"async-2","email":"a@example.com"})";
  std::optional<Response> answer;
  std::thread::id answered_on;
  api->handle_async(r, context, [&](Response response) {
    answered_on = std::this_thread::get_id();
    answer = std::move(response);
  });
  std::unique_lock lock(mutex);
  ASSERT_TRUE(handed_over.wait_for(lock, std::chrono::seconds(10), [&] { return !loop.empty(); }));
  EXPECT_FALSE(answer) << "answered on the storage's thread";
  EXPECT_TRUE(log.lines.empty());
  auto rest = std::move(loop.front());
  lock.unlock();
  rest();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 201) << answer->body;
  EXPECT_EQ(answered_on, std::this_thread::get_id());
  ASSERT_EQ(log.lines.size(), 1u);
  EXPECT_EQ(log.lines[0].status, 201);
}

TEST_F(ApiTest, AnAsynchronousRouteRefusingTheRequestAnswersAtOnce) {
  Request r;
  r.method = "POST";
  r.path = "/users";
  r.body = R"({"userId":"bad id!","email":"a@example.com"})";
  std::optional<Response> answer;
  api->handle_async(r, {}, [&](Response response) { answer = std::move(response); });
  ASSERT_TRUE(answer) << "a 400 needs no storage, so it comes before handle_async returns";
  EXPECT_EQ(answer->status, 400);
  ASSERT_EQ(log.lines.size(), 1u);
}

TEST(AccessLogFormat, IsOneJsonObjectWithTheAgreedFieldsAndNothingElse) {
  AccessLogEntry e{"rid-1", "GET", "/users/{id}", 200, 123, true};
  std::string line = JsonLinesAccessLog::format(e, 1'764'064'211'123'456);
  auto v = boost::json::parse(line).as_object();
  EXPECT_EQ(v.at("time"), "2025-11-25T09:50:11.123Z");
  EXPECT_EQ(v.at("level"), "info");
  EXPECT_EQ(v.at("requestId"), "rid-1");
  EXPECT_EQ(v.at("method"), "GET");
  EXPECT_EQ(v.at("route"), "/users/{id}");
  EXPECT_EQ(v.at("status"), 200);
  EXPECT_EQ(v.at("latencyUs"), 123);
  EXPECT_EQ(v.at("coldStart"), true);
  EXPECT_EQ(v.size(), 8u);
}

// Issue 12: a 15 KB method token made a 15 KB log line.
TEST(AccessLogFormat, OnlyHttpsMethodsAreEchoed) {
  const std::string huge(15 * 1024, 'X');
  for (const std::string& method : {huge, std::string("delete"), std::string("FOO")}) {
    AccessLogEntry e{"rid-1", method, "-", 405, 1, false};
    const std::string line = JsonLinesAccessLog::format(e, 0);
    EXPECT_LT(line.size(), 200u);
    EXPECT_EQ(boost::json::parse(line).at("method"), "OTHER");
  }
  for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "-"}) {
    AccessLogEntry e{"rid-1", method, "-", 200, 1, false};
    EXPECT_EQ(boost::json::parse(JsonLinesAccessLog::format(e, 0)).at("method"), method);
  }
}

TEST(AccessLogFormat, EscapesWhatItQuotes) {
  AccessLogEntry e{"a\"b", "GET", "-", 404, 1, false};
  auto v = boost::json::parse(JsonLinesAccessLog::format(e, 0)).as_object();
  EXPECT_EQ(v.at("requestId"), "a\"b");
}

TEST(AccessLogFormat, EscapesControlCharactersAndKeepsUtf8) {
  AccessLogEntry e{"a\nb\x01", "GET", "/caf\xc3\xa9", 404, 1, false};
  auto v = boost::json::parse(JsonLinesAccessLog::format(e, 0)).as_object();
  EXPECT_EQ(v.at("requestId"), "a\nb\x01");
  EXPECT_EQ(v.at("route"), "/caf\xc3\xa9");
}

TEST(AccessLogFormat, TimeIsRightAcrossSecondsOnOneThread) {
  // The date part is cached per second: consecutive instants must each be formatted right.
  EXPECT_EQ(format_utc_millis(1'764'064'211'999'999), "2025-11-25T09:50:11.999Z");
  EXPECT_EQ(format_utc_millis(1'764'064'212'000'000), "2025-11-25T09:50:12.000Z");
  EXPECT_EQ(format_utc_millis(1'764'064'211'005'000), "2025-11-25T09:50:11.005Z");
  EXPECT_EQ(format_utc_millis(0), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace sbapi
