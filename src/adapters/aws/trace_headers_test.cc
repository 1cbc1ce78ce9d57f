// The request's trace on the aws backend's outgoing calls (http_transport.h
// `append_trace_headers`): an Api over a DynamoTable whose transport records what it is sent.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "adapters/aws/dynamo_table.h"
#include "adapters/aws/dynamodb_client.h"
#include "core/api.h"
#include "core/schemas.h"
#include "core/trace_context.h"

namespace sbapi::aws {
namespace {

constexpr std::string_view kIncoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr std::string_view kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";

class RecordingTransport final : public Transport {
 public:
  std::expected<HttpResponse, TransportError> send(const HttpRequest& request) override {
    sent.push_back(request);
    if (replies.empty()) return HttpResponse{200, {}, "{}"};  // GetItem: no such item
    HttpResponse reply = std::move(replies.front());
    replies.pop_front();
    return reply;
  }
  std::string header(std::size_t i, std::string_view name) const {
    for (const auto& [n, v] : sent.at(i).headers) {
      if (n == name) return v;
    }
    return "(absent)";
  }
  std::deque<HttpResponse> replies;
  std::vector<HttpRequest> sent;
};

class AwsTracingTest : public ::testing::Test {
 protected:
  std::shared_ptr<DynamoDbClient> make_client() {
    RetryHooks hooks;
    hooks.sleep = [](std::chrono::nanoseconds) {};
    return std::make_shared<DynamoDbClient>(
        DynamoDbConfig{"https://dynamodb.eu-west-1.amazonaws.com",
                       "eu-west-1",
                       {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""}},
        transport, RetryPolicy{}, hooks, &clock);
  }
  Response get_user(Headers headers) {
    Request r;
    r.method = "GET";
    r.path = "/users/u1";
    r.headers = std::move(headers);
    return api.handle(r);
  }

  FixedClock clock{1'700'000'000};
  NullAccessLog log;
  std::shared_ptr<RecordingTransport> transport = std::make_shared<RecordingTransport>();
  std::shared_ptr<DynamoDbClient> client = make_client();  // after transport and clock
  DynamoTable users{client, users_schema(), clock};
  Api api{users, clock, log};
};

TEST_F(AwsTracingTest, DynamoDbCallsCarryAChildOfTheRequestsSpanUnsigned) {
  const Response r = get_user({{"traceparent", std::string(kIncoming)}, {"tracestate", "rojo=1"}});
  EXPECT_EQ(r.status, 404);
  ASSERT_EQ(transport->sent.size(), 1u);
  const auto sent = parse_traceparent(transport->header(0, "traceparent"));
  ASSERT_TRUE(sent) << transport->header(0, "traceparent");
  EXPECT_EQ(sent->trace_id_hex(), kTraceId);
  EXPECT_EQ(sent->flags, 1);
  const auto server_span = parse_traceparent(*r.header("traceparent"));
  ASSERT_TRUE(server_span);
  EXPECT_NE(sent->parent_id, server_span->parent_id);  // the call's own span
  EXPECT_NE(sent->parent_id_hex(), "00f067aa0ba902b7");
  EXPECT_EQ(transport->header(0, "tracestate"), "rojo=1");
  // SigV4 signs only what it is told: the trace headers are not in SignedHeaders.
  const std::string authorization = transport->header(0, "Authorization");
  const auto signed_headers = authorization.find("SignedHeaders=");
  ASSERT_NE(signed_headers, std::string::npos) << authorization;
  const std::string list = authorization.substr(
      signed_headers, authorization.find(',', signed_headers) - signed_headers);
  EXPECT_EQ(list.find("trace"), std::string::npos) << list;
}

TEST_F(AwsTracingTest, ARequestWithoutATraceparentStillPassesItsNewTraceOn) {
  const Response r = get_user({{"traceparent", "not a traceparent"}});
  ASSERT_EQ(transport->sent.size(), 1u);
  const auto sent = parse_traceparent(transport->header(0, "traceparent"));
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->trace_id_hex(), parse_traceparent(*r.header("traceparent"))->trace_id_hex());
  EXPECT_EQ(transport->header(0, "tracestate"), "(absent)");
}

TEST_F(AwsTracingTest, EachRetryIsASpanOfItsOwnInTheSameTrace) {
  transport->replies = {HttpResponse{500, {}, R"({"__type":"InternalServerError"})"}};
  get_user({{"traceparent", std::string(kIncoming)}});
  ASSERT_EQ(transport->sent.size(), 2u);
  const auto first = parse_traceparent(transport->header(0, "traceparent"));
  const auto second = parse_traceparent(transport->header(1, "traceparent"));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->trace_id_hex(), kTraceId);
  EXPECT_EQ(second->trace_id_hex(), kTraceId);
  EXPECT_NE(first->parent_id, second->parent_id);
}

TEST_F(AwsTracingTest, CallsOutsideARequestCarryNoTrace) {
  ASSERT_TRUE(users.get("u1"));  // e.g. the TTL sweeper, create-tables, a readiness check
  ASSERT_EQ(transport->sent.size(), 1u);
  EXPECT_EQ(transport->header(0, "traceparent"), "(absent)");
}

}  // namespace
}  // namespace sbapi::aws
