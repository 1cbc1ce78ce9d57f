// The Runtime API loop against a fake Runtime API: a small HTTP/1.1 server on 127.0.0.1 in this
// test, speaking the 2018-06-01 protocol (AWS's own endpoint is unreachable from here). Every
// test asserts the exact requests the runtime made, in order.
#include "lambda/runtime.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>

#include "adapters/aws/retry.h"
#include "adapters/local/local_object_store.h"
#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/sqlite_table.h"
#include "core/schemas.h"
#include "testing/files.h"
#include "testing/loopback_http_server.h"

namespace sbapi::lambda {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view kNext = "/2018-06-01/runtime/invocation/next";

using Recorded = testutil::LoopbackRequest;

struct Canned {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class FakeRuntimeApi {
 public:
  [[nodiscard]] std::string endpoint() const {
    return "127.0.0.1:" + std::to_string(server_.port());
  }

  // The next `invocation/next` answers with this event; once none is left, next answers 500
  // (what the Runtime API does when the environment is being shut down).
  void queue_invocation(const std::string& id, std::string payload,
                        std::vector<std::pair<std::string, std::string>> extra = {}) {
    Canned c;
    c.headers = {{"Lambda-Runtime-Aws-Request-Id", id},
                 {"Lambda-Runtime-Invoked-Function-Arn",
                  "arn:aws:lambda:us-east-1:123456789012:function:sbapi-users"}};
    for (auto& h : extra) c.headers.push_back(std::move(h));
    c.body = std::move(payload);
    std::lock_guard lock(mu_);
    invocations_.push_back(std::move(c));
  }
  // Answers to POSTs whose target ends with `suffix` (default 202).
  void answer_posts(const std::string& suffix, int status) {
    std::lock_guard lock(mu_);
    post_status_[suffix] = status;
  }
  std::vector<Recorded> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  Canned answer(const Recorded& r) {
    std::lock_guard lock(mu_);
    requests_.push_back(r);
    if (r.method == "GET" && r.target == kNext) {
      if (invocations_.empty()) {
        return {500,
                {},
                R"({"errorMessage":"State transition failed","errorType":"Runtime.ExitError"})"};
      }
      Canned c = std::move(invocations_.front());
      invocations_.pop_front();
      return c;
    }
    if (r.method == "POST") {
      for (const auto& [suffix, status] : post_status_) {
        if (r.target.ends_with(suffix)) return {status, {}, R"({"errorMessage":"x"})"};
      }
      return {202, {}, R"({"status":"OK"})"};
    }
    return {404, {}, "{}"};
  }

  void serve(int client) {
    std::string carry;
    while (auto r = testutil::read_http_request(client, carry)) {
      const Canned c = answer(*r);
      std::string response = "HTTP/1.1 " + std::to_string(c.status) + " X\r\n";
      for (const auto& [name, value] : c.headers) response += name + ": " + value + "\r\n";
      response +=
          "Content-Type: application/json\r\nContent-Length: " + std::to_string(c.body.size()) +
          "\r\n\r\n" + c.body;
      send(client, response.data(), response.size(), MSG_NOSIGNAL);
    }
    close(client);
  }

  std::mutex mu_;
  std::deque<Canned> invocations_;
  std::map<std::string, int> post_status_;
  std::vector<Recorded> requests_;
  testutil::LoopbackHttpServer server_{
      [this](int client) { serve(client); }};  // last: joined first
};

using testutil::event_sample;

RuntimeClient client_for(const FakeRuntimeApi& api) {
  return RuntimeClient(api.endpoint(), std::make_shared<aws::CurlTransport>());
}

void expect_next(const Recorded& r) {
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, kNext);
}

// A users+assets function over SQLite in memory, as the Init of the loop.
struct LocalFunction {
  LocalFunction() : log(std::tmpfile()), host(std::make_unique<FunctionHost>(log)) {
    db = std::move(*SqliteDatabase::open_in_memory());
    users = std::move(*SqliteTable::open(*db, users_schema(), host->clock()));
    assets = std::move(*SqliteTable::open(*db, assets_schema(), host->clock()));
    objects.emplace(LocalObjectConfig{"b", "us-east-1", {"k", "s", ""}, "http://localhost:3000"},
                    host->clock());
    host->serve({}, users.get(), assets.get(), &*objects);
  }
  ~LocalFunction() {
    host.reset();
    std::fclose(log);
  }
  std::FILE* log;
  std::unique_ptr<SqliteDatabase> db;
  std::unique_ptr<FunctionHost> host;
  std::unique_ptr<SqliteTable> users;
  std::unique_ptr<SqliteTable> assets;
  std::optional<LocalObjectStore> objects;
};

TEST(RuntimeLoop, PostsTheHandlersResponseForEachInvocationThenExitsOn500) {
  FakeRuntimeApi api;
  const auto deadline_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch() + 5s)
                               .count();
  api.queue_invocation("inv-1", event_sample("api-v1-post-user.json"),
                       {{"Lambda-Runtime-Deadline-Ms", std::to_string(deadline_ms)},
                        {"Lambda-Runtime-Trace-Id", "Root=1-5e1b4151-5ac6c58f5b5dbd6a2b2b2b2b"}});
  api.queue_invocation("inv-2", event_sample("api-v2-get-user.json"));

  LocalFunction function;
  std::vector<bool> cold;
  std::vector<std::string> trace;
  std::vector<std::optional<aws::SteadyTime>> deadlines;
  std::vector<std::string> lambda_ids;
  setenv("_X_AMZN_TRACE_ID", "stale", 1);
  auto client = client_for(api);
  const auto started = std::chrono::steady_clock::now();
  const int code = run_runtime(client, [&]() -> std::expected<Handler, std::string> {
    return [&](std::string_view payload, const InvocationInfo& info) {
      cold.push_back(info.cold_start);
      lambda_ids.emplace_back(info.request_id);
      const char* t = std::getenv("_X_AMZN_TRACE_ID");
      trace.emplace_back(t == nullptr ? "<unset>" : t);
      deadlines.push_back(aws::current_thread_deadline());
      return function.host->handle(payload, info);
    };
  });

  EXPECT_EQ(code, 1);
  EXPECT_EQ(cold, (std::vector<bool>{true, false}));
  EXPECT_EQ(lambda_ids, (std::vector<std::string>{"inv-1", "inv-2"}));
  EXPECT_EQ(trace,
            (std::vector<std::string>{"Root=1-5e1b4151-5ac6c58f5b5dbd6a2b2b2b2b", "<unset>"}));
  ASSERT_EQ(deadlines.size(), 2u);
  ASSERT_TRUE(deadlines[0].has_value()) << "the invocation deadline feeds the retry deadline";
  const auto left = *deadlines[0] - started;
  EXPECT_GT(left, 4s);
  EXPECT_LE(left, 5s - kDeadlineMargin + 50ms);
  EXPECT_FALSE(deadlines[1].has_value()) << "no Lambda-Runtime-Deadline-Ms, no deadline";
  EXPECT_FALSE(aws::current_thread_deadline().has_value()) << "not left behind";

  const auto requests = api.requests();
  ASSERT_EQ(requests.size(), 5u);
  expect_next(requests[0]);
  EXPECT_EQ(requests[1].method, "POST");
  EXPECT_EQ(requests[1].target, "/2018-06-01/runtime/invocation/inv-1/response");
  EXPECT_EQ(requests[1].header("lambda-runtime-function-error-type"), "<none>");
  const auto first = json::parse(requests[1].body).as_object();
  EXPECT_EQ(first.at("statusCode"), 201);
  EXPECT_EQ(first.at("headers").at("x-request-id"), "5b1c3e2a-9d4f-4c1e-8a7b-1f2e3d4c5b6a");
  EXPECT_EQ(json::parse(first.at("body").as_string()).at("user").at("userId"), "u1");
  expect_next(requests[2]);
  EXPECT_EQ(requests[3].target, "/2018-06-01/runtime/invocation/inv-2/response");
  const auto second = json::parse(requests[3].body).as_object();
  EXPECT_EQ(second.at("statusCode"), 200);
  EXPECT_EQ(json::parse(second.at("body").as_string()).at("email"), "ada@example.com");
  expect_next(requests[4]);  // answered 500: the loop ends
}

TEST(RuntimeLoop, AnUnsupportedEventIsPostedAsAnInvocationError) {
  FakeRuntimeApi api;
  api.queue_invocation("inv-x", R"({"source":"aws.events","detail":{}})");
  api.queue_invocation("inv-y", event_sample("api-v1-get-user.json"));
  LocalFunction function;
  auto client = client_for(api);
  const int code = run_runtime(client, [&]() -> std::expected<Handler, std::string> {
    return [&](std::string_view p, const InvocationInfo& i) { return function.host->handle(p, i); };
  });
  EXPECT_EQ(code, 1);
  const auto requests = api.requests();
  ASSERT_EQ(requests.size(), 5u);
  expect_next(requests[0]);
  EXPECT_EQ(requests[1].method, "POST");
  EXPECT_EQ(requests[1].target, "/2018-06-01/runtime/invocation/inv-x/error");
  EXPECT_EQ(requests[1].header("lambda-runtime-function-error-type"), "Function.UnsupportedEvent");
  EXPECT_EQ(json::parse(requests[1].body),
            json::parse(
                R"({"errorMessage":"Unsupported event","errorType":"Function.UnsupportedEvent"})"));
  // The loop goes on: the next event is served (a 404 user is still a response).
  expect_next(requests[2]);
  EXPECT_EQ(requests[3].target, "/2018-06-01/runtime/invocation/inv-y/response");
  EXPECT_EQ(json::parse(requests[3].body).at("statusCode"), 404);
  expect_next(requests[4]);
}

TEST(RuntimeLoop, MissingConfigurationIsAnInitErrorAndNothingElse) {
  FakeRuntimeApi api;
  api.queue_invocation("never", "{}");
  // The real entry point, with an environment lacking AWS_REGION.
  const int code = run_lambda(aws::map_environment({{"AWS_LAMBDA_RUNTIME_API", api.endpoint()},
                                                    {"SBAPI_FUNCTION", "users"},
                                                    {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                                                    {"AWS_SECRET_ACCESS_KEY", "secret"},
                                                    {"USERS_TABLE_NAME", "users"}}));
  EXPECT_EQ(code, 1);
  const auto requests = api.requests();
  ASSERT_EQ(requests.size(), 1u) << "no invocation is fetched after an init error";
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/2018-06-01/runtime/init/error");
  EXPECT_EQ(requests[0].header("lambda-runtime-function-error-type"), "Runtime.ConfigInvalid");
  const auto doc = json::parse(requests[0].body).as_object();
  EXPECT_EQ(doc.at("errorType"), "Runtime.ConfigInvalid");
  EXPECT_NE(std::string(doc.at("errorMessage").as_string()).find("AWS_REGION"), std::string::npos)
      << doc;
  EXPECT_EQ(std::string(doc.at("errorMessage").as_string()).find("secret"), std::string::npos);
}

TEST(RuntimeLoop, AnUnknownFunctionNameIsAnInitError) {
  FakeRuntimeApi api;
  EXPECT_EQ(run_lambda(aws::map_environment(
                {{"AWS_LAMBDA_RUNTIME_API", api.endpoint()}, {"SBAPI_FUNCTION", "billing"}})),
            1);
  const auto requests = api.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/2018-06-01/runtime/init/error");
  EXPECT_NE(requests[0].body.find("SBAPI_FUNCTION must be users, assets, uploads or all"),
            std::string::npos)
      << requests[0].body;
}

TEST(RuntimeLoop, ExitsAtOnceWhenNextAnswers500) {
  FakeRuntimeApi api;  // nothing queued: next → 500
  auto client = client_for(api);
  int handled = 0;
  const auto started = std::chrono::steady_clock::now();
  const int code = run_runtime(client, [&]() -> std::expected<Handler, std::string> {
    return [&](std::string_view, const InvocationInfo&) {
      ++handled;
      return std::expected<std::string, InvocationError>("{}");
    };
  });
  EXPECT_EQ(code, 1);
  EXPECT_EQ(handled, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  const auto requests = api.requests();
  ASSERT_EQ(requests.size(), 1u);
  expect_next(requests[0]);
}

TEST(RuntimeLoop, ExitsAtOnceWhenTheRuntimeApiIsUnreachable) {
  std::string endpoint;
  {
    FakeRuntimeApi gone;  // bound, then closed: nothing listens on that port any more
    endpoint = gone.endpoint();
  }
  RuntimeClient client(endpoint, std::make_shared<aws::CurlTransport>());
  const auto started = std::chrono::steady_clock::now();
  const int code = run_runtime(client, []() -> std::expected<Handler, std::string> {
    return [](std::string_view, const InvocationInfo&) {
      return std::expected<std::string, InvocationError>("{}");
    };
  });
  EXPECT_EQ(code, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST(RuntimeLoop, ARejectedResponseBecomesAnInvocationError) {
  FakeRuntimeApi api;
  api.queue_invocation("big", "{}");
  api.answer_posts("/invocation/big/response", 413);
  auto client = client_for(api);
  const int code = run_runtime(client, []() -> std::expected<Handler, std::string> {
    return [](std::string_view, const InvocationInfo&) {
      return std::expected<std::string, InvocationError>(R"({"statusCode":200})");
    };
  });
  EXPECT_EQ(code, 1);
  const auto requests = api.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[1].target, "/2018-06-01/runtime/invocation/big/response");
  EXPECT_EQ(requests[2].target, "/2018-06-01/runtime/invocation/big/error");
  EXPECT_EQ(requests[2].header("lambda-runtime-function-error-type"), "Runtime.UnknownReason");
  expect_next(requests[3]);
}

TEST(RuntimeLoop, AnErrorPostAnswered500EndsTheLoop) {
  FakeRuntimeApi api;
  api.queue_invocation("e1", "not json");
  api.queue_invocation("e2", "not json");
  api.answer_posts("/invocation/e1/error", 500);
  auto client = client_for(api);
  const int code = run_runtime(client, []() -> std::expected<Handler, std::string> {
    return [](std::string_view, const InvocationInfo&) {
      return std::expected<std::string, InvocationError>(
          std::unexpected(InvocationError{"Function.UnsupportedEvent", "Unsupported event"}));
    };
  });
  EXPECT_EQ(code, 1);
  const auto requests = api.requests();
  ASSERT_EQ(requests.size(), 2u) << "no next after the Runtime API said it is going away";
  EXPECT_EQ(requests[1].target, "/2018-06-01/runtime/invocation/e1/error");
}

TEST(RuntimeLoop, WithoutTheRuntimeApiVariableNothingRuns) {
  EXPECT_EQ(run_lambda(aws::map_environment({})), 1);
}

// What each function asks of the environment (nothing is contacted at init).
TEST(AwsFunction, EachFunctionNeedsOnlyItsOwnSettings) {
  std::map<std::string, std::string, std::less<>> base = {{"AWS_REGION", "us-east-1"},
                                                          {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                                                          {"AWS_SECRET_ACCESS_KEY", "secret"}};
  auto with = [&](std::map<std::string, std::string, std::less<>> more) {
    auto env = base;
    env.merge(more);
    return make_aws_function(aws::map_environment(env));
  };
  EXPECT_TRUE(with({{"SBAPI_FUNCTION", "users"}, {"USERS_TABLE_NAME", "sbapi-users"}}));
  EXPECT_TRUE(with({{"SBAPI_FUNCTION", "uploads"}, {"ASSETS_TABLE_NAME", "sbapi-assets"}}));
  EXPECT_TRUE(with({{"SBAPI_FUNCTION", "assets"},
                    {"ASSETS_TABLE_NAME", "sbapi-assets"},
                    {"ASSETS_BUCKET_NAME", "bucket-1"}}));

  auto users = with({{"SBAPI_FUNCTION", "users"}});
  ASSERT_FALSE(users);
  EXPECT_NE(users.error().find("USERS_TABLE_NAME"), std::string::npos) << users.error();
  auto assets = with({{"SBAPI_FUNCTION", "assets"}, {"ASSETS_TABLE_NAME", "sbapi-assets"}});
  ASSERT_FALSE(assets);
  EXPECT_NE(assets.error().find("ASSETS_BUCKET_NAME"), std::string::npos) << assets.error();
  auto all = with({{"USERS_TABLE_NAME", "sbapi-users"},
                   {"ASSETS_TABLE_NAME", "sbapi-assets"}});  // default: all
  ASSERT_FALSE(all);
  EXPECT_NE(all.error().find("ASSETS_BUCKET_NAME"), std::string::npos) << all.error();
}

TEST(AwsFunction, FunctionNames) {
  EXPECT_TRUE(parse_function_set("")->users);
  auto users = parse_function_set("users");
  ASSERT_TRUE(users);
  EXPECT_TRUE(users->users);
  EXPECT_FALSE(users->assets || users->uploads);
  const auto needs = needs_of(*parse_function_set("uploads"));
  EXPECT_FALSE(needs.users_table);
  EXPECT_TRUE(needs.assets_table);
  EXPECT_FALSE(needs.bucket);
  EXPECT_FALSE(parse_function_set("Users"));
}

}  // namespace
}  // namespace sbapi::lambda
