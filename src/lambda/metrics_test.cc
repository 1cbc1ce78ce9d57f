#include "lambda/metrics.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <cstdio>
#include <vector>

namespace sbapi::lambda {
namespace {

namespace json = boost::json;

TEST(Emf, OneDocumentWithTheRouteDimensionAndTheThreeMetrics) {
  const std::string line =
      format_emf({"req-1", "GET", "/users/{id}", 200, 12'345, true}, 1'700'000'000'123);
  const json::value doc = json::parse(line);
  EXPECT_EQ(doc, json::parse(R"({
    "_aws": {"Timestamp": 1700000000123, "CloudWatchMetrics": [{
      "Namespace": "ServerlessBackendApi",
      "Dimensions": [["Route"]],
      "Metrics": [{"Name": "Latency", "Unit": "Milliseconds"},
                  {"Name": "Errors", "Unit": "Count"},
                  {"Name": "ColdStart", "Unit": "Count"}]}]},
    "Route": "GET /users/{id}", "Latency": 12.345, "Errors": 0, "ColdStart": 1,
    "requestId": "req-1"})"));
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(Emf, FiveHundredsAreErrorsAndUnmatchedRoutesShareOneDimensionValue) {
  auto error = json::parse(format_emf({"r", "POST", "/users", 503, 1000, false}, 1));
  EXPECT_EQ(error.at("Errors"), 1);
  EXPECT_EQ(error.at("ColdStart"), 0);
  auto client_error = json::parse(format_emf({"r", "POST", "/users", 499, 1000, false}, 1));
  EXPECT_EQ(client_error.at("Errors"), 0);
  // The raw path of a 404 never becomes a dimension value (unbounded cardinality).
  auto unmatched = json::parse(format_emf({"r", "GET", "-", 404, 1000, false}, 1));
  EXPECT_EQ(unmatched.at("Route"), "-");
}

class RecordingLog final : public AccessLog {
 public:
  void write(const AccessLogEntry& entry) override { statuses.push_back(entry.status); }
  std::vector<int> statuses;
};

TEST(EmfAccessLog, PassesTheEntryOnAndWritesOneEmfLine) {
  RecordingLog inner;
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  EmfAccessLog log(inner, out);
  log.write({"req-9", "DELETE", "/users/{id}", 200, 500, false});
  EXPECT_EQ(inner.statuses, std::vector<int>{200});
  std::rewind(out);
  char buf[2048] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, out);
  std::fclose(out);
  const std::string text(buf, n);
  ASSERT_TRUE(text.ends_with("\n"));
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "exactly one line";
  EXPECT_EQ(json::parse(text).at("Route"), "DELETE /users/{id}");
}

}  // namespace
}  // namespace sbapi::lambda
