// The Runtime API loop against a fake Runtime API: a small HTTP/1.1 server on 127.0.0.1 in this
// test, speaking the 2018-06-01 protocol (AWS's own endpoint is unreachable from here). Every
// test asserts the exact requests the runtime made, in order.
#include "lambda/runtime.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>

#include "adapters/aws/retry.h"
#include "adapters/local/local_object_store.h"
#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/sqlite_table.h"
#include "core/schemas.h"
#include "testing/files.h"
#include "testing/loopback_http_server.h"
#include "testing/temp_dir.h"

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

// ---- page tokens: the secret, and when it is fetched ------------------------------------------

constexpr std::string_view kSecretArn =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:sbapi-page-tokens-AbCdEf";
const std::string kSecret(64, 'k');
const FixedClock kClock(1'700'000'000);

// A loopback stand-in for the AWS endpoints a function talks to: Secrets Manager's
// GetSecretValue (answer configurable) and DynamoDB's GetItem / PutItem (answered `{}`: no item;
// written). It counts the calls of each X-Amz-Target.
class FakeAws {
 public:
  [[nodiscard]] std::string endpoint() const {
    return "http://127.0.0.1:" + std::to_string(server_.port());
  }
  void answer_secret(int status, std::string body) {
    std::lock_guard lock(mu_);
    secret_status_ = status;
    secret_body_ = std::move(body);
  }
  int calls(const std::string& target) {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& r : requests_) n += r.header("x-amz-target") == target ? 1 : 0;
    return n;
  }
  int secret_calls() { return calls("secretsmanager.GetSecretValue"); }
  std::vector<Recorded> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  Canned answer(const Recorded& r) {
    std::lock_guard lock(mu_);
    requests_.push_back(r);
    const std::string target = r.header("x-amz-target");
    if (target == "secretsmanager.GetSecretValue") return {secret_status_, {}, secret_body_};
    if (target == "DynamoDB_20120810.GetItem" || target == "DynamoDB_20120810.PutItem") {
      return {200, {}, "{}"};
    }
    return {400, {}, R"({"__type":"UnknownOperationException"})"};
  }
  void serve(int client) {
    std::string carry;
    while (auto r = testutil::read_http_request(client, carry)) {
      const Canned c = answer(*r);
      const std::string response = "HTTP/1.1 " + std::to_string(c.status) +
                                   " X\r\nContent-Type: application/x-amz-json-1.1\r\n"
                                   "Content-Length: " +
                                   std::to_string(c.body.size()) + "\r\n\r\n" + c.body;
      send(client, response.data(), response.size(), MSG_NOSIGNAL);
    }
    close(client);
  }

  std::mutex mu_;
  int secret_status_ = 200;
  std::string secret_body_ = R"({"ARN":")" + std::string(kSecretArn) +
                             R"(","Name":"sbapi-page-tokens","SecretString":")" + kSecret + "\"}";
  std::vector<Recorded> requests_;
  testutil::LoopbackHttpServer server_{[this](int client) { serve(client); }};  // last
};

using Env = std::map<std::string, std::string, std::less<>>;

Env aws_env(const FakeAws& aws) {
  return {{"AWS_REGION", "us-east-1"},
          {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
          {"AWS_SECRET_ACCESS_KEY", "secret"},
          {"AWS_ENDPOINT_URL", aws.endpoint()},
          {"SBAPI_PAGE_TOKEN_SECRET_ARN", std::string(kSecretArn)}};
}

// An API Gateway REST (v1) event.
std::string api_event(const std::string& method, const std::string& path,
                      const std::vector<std::pair<std::string, std::string>>& query = {},
                      const std::string& body = "") {
  json::object event{
      {"resource", path},
      {"path", path},
      {"httpMethod", method},
      {"headers", json::object{{"Content-Type", "application/json"}}},
      {"multiValueHeaders", json::object{{"Content-Type", json::array{"application/json"}}}},
      {"requestContext", json::object{{"requestId", "req-" + method + path},
                                      {"stage", "v1"},
                                      {"path", "/v1" + path},
                                      {"httpMethod", method}}},
      {"isBase64Encoded", false}};
  if (query.empty()) {
    event["queryStringParameters"] = nullptr;
    event["multiValueQueryStringParameters"] = nullptr;
  } else {
    json::object single;
    json::object multi;
    for (const auto& [name, value] : query) {
      single[name] = value;
      multi[name] = json::array{json::value(value)};
    }
    event["queryStringParameters"] = std::move(single);
    event["multiValueQueryStringParameters"] = std::move(multi);
  }
  event["body"] = body.empty() ? json::value(nullptr) : json::value(body);
  return json::serialize(event);
}

struct Answer {
  int status = 0;
  json::value body;
};

Answer call(FunctionHost& host, const std::string& event, bool cold = false) {
  auto result = host.handle(event, {"inv", cold});
  EXPECT_TRUE(result) << (result ? "" : result.error().message);
  if (!result) return {};
  const auto response = json::parse(*result).as_object();
  const auto& body = response.at("body").as_string();
  return {static_cast<int>(response.at("statusCode").as_int64()),
          body.empty() ? json::value(nullptr) : json::parse(body)};
}

// A users+assets function over SQLite in memory whose page tokens come from `env`.
struct ListingFunction {
  explicit ListingFunction(const Env& env)
      : log(std::tmpfile()), function(std::make_unique<FunctionHost>(log)) {
    db = std::move(*SqliteDatabase::open_in_memory());
    users = std::move(*SqliteTable::open(*db, users_schema(), function->clock()));
    assets = std::move(*SqliteTable::open(*db, assets_schema(), function->clock()));
    objects.emplace(LocalObjectConfig{"b", "us-east-1", {"k", "s", ""}, "http://localhost:3000"},
                    function->clock());
    configured = function->configure_page_tokens({}, aws::map_environment(env));
    function->serve({}, users.get(), assets.get(), &*objects);
  }
  ~ListingFunction() {
    function.reset();
    std::fclose(log);
  }
  FunctionHost& host() { return *function; }

  std::FILE* log;
  std::unique_ptr<SqliteDatabase> db;
  std::unique_ptr<FunctionHost> function;
  std::unique_ptr<SqliteTable> users;
  std::unique_ptr<SqliteTable> assets;
  std::optional<LocalObjectStore> objects;
  std::expected<void, std::string> configured;
};

void create_users(FunctionHost& host, int n) {
  for (int i = 0; i < n; ++i) {
    const std::string id = "user" + std::to_string(i);
    const auto created =
        call(host, api_event("POST", "/users", {},
                             R"({"userId":")" + id + R"(","email":")" + id + R"(@example.com"})"));
    ASSERT_EQ(created.status, 201) << json::serialize(created.body);
  }
}

std::string next_token(const Answer& answer) {
  const auto& token = answer.body.at("nextToken");
  return token.is_string() ? std::string(token.as_string()) : std::string();
}

TEST(PageTokenSecret, SecretsManagerIsAskedOnTheFirstListingOnlyThenKept) {
  FakeAws aws;
  ListingFunction function(aws_env(aws));
  ASSERT_TRUE(function.configured) << function.configured.error();
  FunctionHost& host = function.host();
  EXPECT_EQ(aws.secret_calls(), 0) << "nothing is fetched at init";

  // The cold start and every request that lists nothing never wait for Secrets Manager.
  EXPECT_EQ(call(host, api_event("GET", "/users/nobody"), /*cold=*/true).status, 404);
  EXPECT_EQ(call(host, api_event("OPTIONS", "/users")).status, 204);
  EXPECT_EQ(call(host, api_event("GET", "/health")).status, 200);
  create_users(host, 3);
  EXPECT_EQ(call(host, api_event("GET", "/users/user1")).status, 200);
  EXPECT_EQ(call(host, api_event("GET", "/assets/none")).status, 404);
  EXPECT_EQ(aws.secret_calls(), 0);

  // The first page that needs a token fetches the secret, once.
  const auto first = call(host, api_event("GET", "/users", {{"limit", "2"}}));
  ASSERT_EQ(first.status, 200) << json::serialize(first.body);
  EXPECT_EQ(first.body.at("items").as_array().size(), 2u);
  const std::string token = next_token(first);
  ASSERT_FALSE(token.empty()) << json::serialize(first.body);
  EXPECT_EQ(aws.secret_calls(), 1);

  const auto second =
      call(host, api_event("GET", "/users", {{"limit", "2"}, {"nextToken", token}}));
  ASSERT_EQ(second.status, 200) << json::serialize(second.body);
  EXPECT_EQ(second.body.at("items").as_array().size(), 1u);
  EXPECT_TRUE(second.body.at("nextToken").is_null());
  EXPECT_EQ(call(host, api_event("GET", "/assets", {{"limit", "1"}})).status, 200);
  EXPECT_EQ(aws.secret_calls(), 1) << "kept for the process";

  // The call itself: GetSecretValue of the ARN, signed for secretsmanager.
  for (const auto& r : aws.requests()) {
    if (r.header("x-amz-target") != "secretsmanager.GetSecretValue") continue;
    EXPECT_EQ(r.header("content-type"), "application/x-amz-json-1.1");
    EXPECT_EQ(json::parse(r.body),
              json::parse(R"({"SecretId":")" + std::string(kSecretArn) + "\"}"));
    EXPECT_NE(r.header("authorization").find("/us-east-1/secretsmanager/aws4_request"),
              std::string::npos)
        << r.header("authorization");
  }

  // Another process with the same secret (a new instance, a restart) takes the token.
  ListingFunction other(aws_env(aws));
  create_users(other.host(), 3);
  const auto again =
      call(other.host(), api_event("GET", "/users", {{"limit", "2"}, {"nextToken", token}}));
  EXPECT_EQ(again.status, 200) << json::serialize(again.body);
}

TEST(PageTokenSecret, TheAwsFunctionFetchesNothingOnItsColdPath) {
  // The real assembly (make_aws_function) with DynamoDB and Secrets Manager both faked.
  FakeAws aws;
  Env env = aws_env(aws);
  env.merge(Env{{"SBAPI_FUNCTION", "users"}, {"USERS_TABLE_NAME", "sbapi-users"}});
  auto host = make_aws_function(aws::map_environment(env));
  ASSERT_TRUE(host) << host.error();
  EXPECT_TRUE(aws.requests().empty()) << "init contacts nothing";

  EXPECT_EQ(call(**host, event_sample("api-v1-get-user.json"), /*cold=*/true).status, 404);
  EXPECT_EQ(call(**host, event_sample("api-v1-post-user.json")).status, 201);
  EXPECT_EQ(aws.calls("DynamoDB_20120810.GetItem"), 1);
  EXPECT_EQ(aws.calls("DynamoDB_20120810.PutItem"), 1);
  EXPECT_EQ(aws.secret_calls(), 0);

  // A token to check needs the secret: now it is fetched (and this forged one refused).
  const std::string forged = "AQ" + std::string(58, 'A');  // version 1, a zero MAC
  const auto refused = call(**host, api_event("GET", "/users", {{"nextToken", forged}}));
  EXPECT_EQ(refused.status, 400) << json::serialize(refused.body);
  EXPECT_EQ(refused.body, json::parse(R"({"error":"Invalid nextToken"})"));
  EXPECT_EQ(aws.secret_calls(), 1);
}

TEST(PageTokenSecret, FailuresAreStoreErrorsAndTheNextRequestTriesAgain) {
  FakeAws aws;
  auto loader = page_token_secret_loader(aws::map_environment(aws_env(aws)), kClock);
  ASSERT_TRUE(loader) << loader.error();
  ASSERT_TRUE(*loader);

  aws.answer_secret(400, R"({"__type":"ResourceNotFoundException","Message":"no such secret"})");
  auto missing = (**loader)();
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, StoreError::Kind::kInternal);
  EXPECT_NE(missing.error().detail.find("ResourceNotFoundException"), std::string::npos)
      << missing.error().detail;
  EXPECT_NE(missing.error().detail.find(std::string(kSecretArn)), std::string::npos);

  aws.answer_secret(400, R"({"__type":"AccessDeniedException","Message":"not allowed"})");
  EXPECT_EQ((**loader)().error().kind, StoreError::Kind::kInternal);

  aws.answer_secret(200, R"({"ARN":"a","SecretString":"too-short"})");
  auto short_secret = (**loader)();
  ASSERT_FALSE(short_secret);
  EXPECT_NE(short_secret.error().detail.find("holds 9 bytes"), std::string::npos)
      << short_secret.error().detail;
  EXPECT_EQ(short_secret.error().detail.find("too-short"), std::string::npos)
      << "never the secret itself";

  aws.answer_secret(400, R"({"__type":"ThrottlingException","Message":"slow down"})");
  auto throttled = (**loader)();  // three attempts, 0.1 + 0.2 s of backoff
  ASSERT_FALSE(throttled);
  EXPECT_EQ(throttled.error().kind, StoreError::Kind::kUnavailable);

  aws.answer_secret(200, R"({"ARN":"a","SecretString":")" + kSecret + "\"}");
  EXPECT_EQ((**loader)(), kSecret);
}

TEST(PageTokenSecret, ArnNeedsTheAwsSettings) {
  auto loader = page_token_secret_loader(
      aws::map_environment({{"SBAPI_PAGE_TOKEN_SECRET_ARN", std::string(kSecretArn)}}), kClock);
  ASSERT_FALSE(loader);
  EXPECT_NE(loader.error().find("SBAPI_PAGE_TOKEN_SECRET_ARN"), std::string::npos)
      << loader.error();
  EXPECT_NE(loader.error().find("AWS_REGION"), std::string::npos) << loader.error();

  // On Lambda that is an init error.
  FakeRuntimeApi api;
  EXPECT_EQ(run_lambda(aws::map_environment({{"AWS_LAMBDA_RUNTIME_API", api.endpoint()},
                                             {"SBAPI_FUNCTION", "assets"},
                                             {"AWS_REGION", "us-east-1"},
                                             {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                                             {"AWS_SECRET_ACCESS_KEY", "secret"},
                                             {"ASSETS_TABLE_NAME", "sbapi-assets"},
                                             {"ASSETS_BUCKET_NAME", "sbapi-assets"},
                                             {"SBAPI_PAGE_TOKEN_SECRET_FILE", "/nonexistent/x"}})),
            1);
  const auto requests = api.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/2018-06-01/runtime/init/error");
  EXPECT_NE(requests[0].body.find("/nonexistent/x: no such file"), std::string::npos)
      << requests[0].body;
}

std::filesystem::path write_secret(const testutil::TempDir& dir, const std::string& name,
                                   const std::string& bytes, mode_t mode) {
  auto path = dir.path() / name;
  std::ofstream(path, std::ios::binary) << bytes;
  EXPECT_EQ(chmod(path.c_str(), mode), 0);
  return path;
}

std::expected<std::optional<PageTokenSecretLoader>, std::string> file_loader(
    const std::filesystem::path& path) {
  return page_token_secret_loader(
      aws::map_environment({{"SBAPI_PAGE_TOKEN_SECRET_FILE", path.string()}}), kClock);
}

TEST(PageTokenSecret, FileIsReadAtInitAndChecked) {
  testutil::TempDir dir;
  const std::string secret(40, 's');
  auto good = file_loader(write_secret(dir, "good", secret + "\n", 0600));
  ASSERT_TRUE(good) << good.error();
  ASSERT_TRUE(*good);
  EXPECT_EQ((**good)(), secret) << "the bytes without trailing newlines";
  EXPECT_EQ((**file_loader(write_secret(dir, "owner-only", secret, 0400)))(), secret);

  for (mode_t mode : {0640, 0604, 0620, 0602}) {
    auto open = file_loader(write_secret(dir, "open", secret, mode));
    ASSERT_FALSE(open) << std::oct << mode;
    EXPECT_NE(open.error().find("may be read or written by group or others (chmod 600 it)"),
              std::string::npos)
        << open.error();
    EXPECT_EQ(open.error().find(secret), std::string::npos);
  }
  auto short_file = file_loader(write_secret(dir, "short", std::string(31, 's') + "\n\n", 0600));
  ASSERT_FALSE(short_file);
  EXPECT_NE(short_file.error().find("holds 31 bytes"), std::string::npos) << short_file.error();
  EXPECT_NE(short_file.error().find("at least 32"), std::string::npos) << short_file.error();

  auto missing = file_loader(dir.path() / "missing");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("no such file"), std::string::npos) << missing.error();
  auto directory = file_loader(dir.path());
  ASSERT_FALSE(directory);
  EXPECT_NE(directory.error().find("is not a regular file"), std::string::npos)
      << directory.error();
}

TEST(PageTokenSecret, WithoutConfigurationAProcessSecretAndOneWarning) {
  auto none = page_token_secret_loader(aws::map_environment({}), kClock);
  ASSERT_TRUE(none) << none.error();
  EXPECT_FALSE(*none);

  std::FILE* log = std::tmpfile();
  testing::internal::CaptureStdout();
  {
    FunctionHost host(log);
    EXPECT_TRUE(host.configure_page_tokens(*parse_function_set("users"), aws::map_environment({})));
    EXPECT_TRUE(
        host.configure_page_tokens(*parse_function_set("uploads"), aws::map_environment({})));
  }
  const std::string out = testing::internal::GetCapturedStdout();
  std::fclose(log);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(out.find(R"("level":"warn")"), std::string::npos) << out;
  EXPECT_NE(out.find("will not survive"), std::string::npos) << out;
}

}  // namespace
}  // namespace sbapi::lambda
