// The Api's tracing (core/api.h, "Tracing"): what goes in (traceparent, the transport's X-Ray
// header), what comes out (the response's traceparent, the log line's traceId).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/api.h"
#include "core/trace_context.h"

namespace sbapi {
namespace {

constexpr std::string_view kIncoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr std::string_view kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";

class TraceLog final : public AccessLog {
 public:
  void write(const AccessLogEntry& e) override {
    trace_ids.emplace_back(e.trace_id);
    lines.push_back(JsonLinesAccessLog::format(e, 1'764'064'211'123'456));
  }
  std::vector<std::string> trace_ids;
  std::vector<std::string> lines;
};

class ApiTracingTest : public ::testing::Test {
 protected:
  Response get(Headers headers, const RequestContext& context = {}) {
    Request r;
    r.method = "GET";
    r.path = "/health";
    r.headers = std::move(headers);
    return api.handle(r, context);
  }
  // The response's traceparent, parsed; fails the test when absent or invalid.
  static TraceParent traceparent_of(const Response& r) {
    const std::string* header = r.header("traceparent");
    EXPECT_NE(header, nullptr);
    const auto parsed = parse_traceparent(header != nullptr ? *header : "");
    EXPECT_TRUE(parsed) << (header != nullptr ? *header : "(absent)");
    return parsed.value_or(TraceParent{});
  }

  FixedClock clock{1'750'000'000};
  TraceLog log;
  Api api{clock, log};
};

TEST_F(ApiTracingTest, ATraceparentIsContinuedInTheResponseAndTheLogLine) {
  const Response r = get({{"traceparent", std::string(kIncoming)}});
  EXPECT_EQ(r.status, 200);
  const TraceParent out = traceparent_of(r);
  EXPECT_EQ(out.trace_id_hex(), kTraceId);
  EXPECT_NE(out.parent_id_hex(), "00f067aa0ba902b7");  // this server's span
  EXPECT_EQ(out.flags, 1);
  ASSERT_EQ(log.lines.size(), 1u);
  EXPECT_EQ(log.trace_ids[0], kTraceId);
  const auto line = boost::json::parse(log.lines[0]).as_object();
  EXPECT_EQ(line.at("traceId").as_string(), kTraceId);
  EXPECT_EQ(line.at("requestId").as_string(), *r.header("x-request-id"));
}

TEST_F(ApiTracingTest, AnInvalidOrRepeatedTraceparentIsIgnoredAndANewTraceStarted) {
  for (const Headers& headers : std::vector<Headers>{
           {},
           {{"traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01"}},
           {{"traceparent", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}},
           {{"traceparent", std::string(kIncoming) + "-"}},
           {{"traceparent", std::string(8192, 'a')}},
           {{"traceparent", std::string(kIncoming)}, {"traceparent", std::string(kIncoming)}},
       }) {
    log.trace_ids.clear();
    const Response r = get(headers);
    EXPECT_EQ(r.status, 200);
    const TraceParent out = traceparent_of(r);
    EXPECT_NE(out.trace_id_hex(), kTraceId);
    EXPECT_EQ(out.flags, 0);
    ASSERT_EQ(log.trace_ids.size(), 1u);
    EXPECT_EQ(log.trace_ids[0], out.trace_id_hex());  // the log names the trace it returned
  }
}

TEST_F(ApiTracingTest, EveryAnswerCarriesATraceErrorsAndRejectionsToo) {
  Request unknown;
  unknown.method = "GET";
  unknown.path = "/nope";
  unknown.headers = {{"traceparent", std::string(kIncoming)}};
  EXPECT_EQ(traceparent_of(api.handle(unknown)).trace_id_hex(), kTraceId);

  const Response rejected = api.reject("GET", "/health", 431, "Request header fields too large");
  EXPECT_EQ(rejected.status, 431);
  traceparent_of(rejected);  // a new trace: no headers were read whole
  EXPECT_EQ(log.trace_ids.size(), 2u);
}

TEST_F(ApiTracingTest, TheTransportsXRayTraceIsUsedWithoutATraceparent) {
  RequestContext context;
  context.amzn_trace_id =
      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
  const TraceParent xray = traceparent_of(get({}, context));
  EXPECT_EQ(xray.trace_id_hex(), "5759e988bd862e3fe1be46a994272793");
  EXPECT_EQ(xray.flags, 1);
  EXPECT_EQ(log.trace_ids.back(), "5759e988bd862e3fe1be46a994272793");
  // A valid traceparent wins.
  EXPECT_EQ(traceparent_of(get({{"traceparent", std::string(kIncoming)}}, context)).trace_id_hex(),
            kTraceId);
}

TEST_F(ApiTracingTest, NoTraceOutlivesTheRequest) {
  get({{"traceparent", std::string(kIncoming)}});
  EXPECT_EQ(current_trace(), nullptr);
}

TEST(AccessLogFormat, HasATraceIdOnlyWhenThereIsOne) {
  AccessLogEntry e{"rid-1", "GET", "/users/{id}", 200, 123, false};
  EXPECT_FALSE(
      boost::json::parse(JsonLinesAccessLog::format(e, 0)).as_object().contains("traceId"));
  e.trace_id = kTraceId;
  const auto line = boost::json::parse(JsonLinesAccessLog::format(e, 0)).as_object();
  EXPECT_EQ(line.at("traceId").as_string(), kTraceId);
  EXPECT_EQ(line.size(), 9u);
}

}  // namespace
}  // namespace sbapi
