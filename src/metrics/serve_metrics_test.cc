#include "metrics/serve_metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sbapi::metrics {
namespace {

class RecordingLog final : public AccessLog {
 public:
  void write(const AccessLogEntry& entry) override { routes.emplace_back(entry.route); }
  std::vector<std::string> routes;
};

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(ServeMetricsTest, CountsRequestsByRouteTemplateMethodAndStatusAndPassesLinesOn) {
  RecordingLog log;
  ServeMetrics metrics(log);
  metrics.write({"r1", "GET", "/users/{id}", 200, 150, false});
  metrics.write({"r2", "GET", "/users/{id}", 200, 90, false});
  metrics.write({"r3", "POST", "/users", 201, 2'000, false});
  metrics.write({"r4", "BREW", "-", 400, 10, false});              // an unknown method, no route
  metrics.write({"r5", "GET", "/no/such/route", 299, 10, false});  // an odd status: "other"
  EXPECT_EQ(log.routes.size(), 5u);
  const std::string text = metrics.text();
  EXPECT_TRUE(has_line(
      text, R"(sbapi_http_requests_total{method="GET",route="/users/{id}",status="200"} 2)"))
      << text;
  EXPECT_TRUE(
      has_line(text, R"(sbapi_http_requests_total{method="POST",route="/users",status="201"} 1)"));
  EXPECT_TRUE(
      has_line(text, R"(sbapi_http_requests_total{method="OTHER",route="-",status="400"} 1)"));
  EXPECT_TRUE(
      has_line(text, R"(sbapi_http_requests_total{method="GET",route="-",status="other"} 1)"));
  // Only what was seen is a series: no DELETE line.
  EXPECT_EQ(text.find(R"(method="DELETE")"), std::string::npos);
  // Latency by route: 90 µs and 150 µs fall in the 100 µs and 250 µs buckets.
  EXPECT_TRUE(has_line(
      text, R"(sbapi_http_request_duration_seconds_bucket{route="/users/{id}",le="0.0001"} 1)"));
  EXPECT_TRUE(has_line(
      text, R"(sbapi_http_request_duration_seconds_bucket{route="/users/{id}",le="0.00025"} 2)"));
  EXPECT_TRUE(
      has_line(text, R"(sbapi_http_request_duration_seconds_count{route="/users/{id}"} 2)"));
}

TEST(ServeMetricsTest, RoutesTakingTurnsOnOneThreadAndTwoInstancesCountApart) {
  // Each thread remembers its last route: runs, alternations, texts from elsewhere (a
  // std::string, not the route table's) and a second instance must all count where they belong.
  RecordingLog log;
  ServeMetrics one(log);
  ServeMetrics two(log);
  const std::string users_copy = "/users";
  for (int i = 0; i < 3; ++i) {
    one.write({"a", "GET", "/users/{id}", 200, 10, false});
    two.write({"b", "GET", "/assets", 200, 10, false});
    one.write({"c", "POST", users_copy, 201, 10, false});
    one.write({"d", "POST", "/users", 201, 10, false});
  }
  const std::string first = one.text();
  const std::string second = two.text();
  EXPECT_TRUE(has_line(
      first, R"(sbapi_http_requests_total{method="GET",route="/users/{id}",status="200"} 3)"))
      << first;
  EXPECT_TRUE(
      has_line(first, R"(sbapi_http_requests_total{method="POST",route="/users",status="201"} 6)"))
      << first;
  EXPECT_EQ(first.find(R"(requests_total{method="GET",route="/assets")"), std::string::npos);
  EXPECT_TRUE(
      has_line(second, R"(sbapi_http_requests_total{method="GET",route="/assets",status="200"} 3)"))
      << second;
  EXPECT_EQ(second.find(R"(requests_total{method="GET",route="/users)"), std::string::npos);
  EXPECT_EQ(second.find(R"(requests_total{method="POST")"), std::string::npos);
}

TEST(ServeMetricsTest, ObserversMoveTheirSeries) {
  RecordingLog log;
  ServeMetrics metrics(log);
  metrics.connection_opened();
  metrics.connection_opened();
  metrics.connection_closed();
  metrics.connection_refused();
  metrics.request_started();
  metrics.committed(3, std::chrono::milliseconds(2));
  metrics.cache_lookup(true);
  metrics.cache_lookup(false);
  metrics.cache_lookup(false);
  metrics.object_uploaded(5'000, std::chrono::milliseconds(20));
  metrics.token_rejected("expired");
  metrics.token_rejected("something new");
  metrics.jwks_fetched(true);
  const std::string text = metrics.text();
  EXPECT_TRUE(has_line(text, "sbapi_http_connections_open 1")) << text;
  EXPECT_TRUE(has_line(text, "sbapi_http_connections_refused_total 1"));
  EXPECT_TRUE(has_line(text, "sbapi_http_requests_in_flight 1"));
  EXPECT_TRUE(has_line(text, R"(sbapi_sqlite_commit_writes_bucket{le="2"} 0)"));
  EXPECT_TRUE(has_line(text, R"(sbapi_sqlite_commit_writes_bucket{le="4"} 1)"));
  EXPECT_TRUE(has_line(text, "sbapi_sqlite_commit_writes_sum 3"));
  EXPECT_TRUE(has_line(text, R"(sbapi_item_cache_lookups_total{result="hit"} 1)"));
  EXPECT_TRUE(has_line(text, R"(sbapi_item_cache_lookups_total{result="miss"} 2)"));
  EXPECT_TRUE(has_line(text, "sbapi_object_upload_bytes_total 5000"));
  EXPECT_TRUE(has_line(text, R"(sbapi_token_rejections_total{reason="expired"} 1)"));
  EXPECT_TRUE(has_line(text, R"(sbapi_token_rejections_total{reason="other"} 1)"));
  EXPECT_TRUE(has_line(text, R"(sbapi_jwks_fetches_total{result="ok"} 1)"));
}

TEST(ServeMetricsTest, ProcessFiguresUseTheStandardNames) {
  RecordingLog log;
  const std::string text = ServeMetrics(log).text();
  for (const char* name :
       {"process_resident_memory_bytes ", "process_virtual_memory_bytes ", "process_open_fds ",
        "process_max_fds ", "process_start_time_seconds ", "process_cpu_seconds_total "}) {
    EXPECT_NE(text.find(std::string("\n") + name), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace sbapi::metrics
