#include "lambda/metrics.h"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <chrono>

namespace sbapi::lambda {

std::string format_emf(const AccessLogEntry& entry, std::int64_t epoch_millis) {
  std::string route;
  if (entry.route == "-") {
    route = "-";
  } else {
    route.append(entry.method).append(" ").append(entry.route);
  }
  char latency[32];
  std::snprintf(latency, sizeof latency, "%.3f", static_cast<double>(entry.latency_us) / 1000.0);

  std::string line;
  line.reserve(384);
  line += R"({"_aws":{"Timestamp":)";
  line += std::to_string(epoch_millis);
  line += R"(,"CloudWatchMetrics":[{"Namespace":")";
  line += kMetricsNamespace;
  line += R"(","Dimensions":[["Route"]],"Metrics":[{"Name":"Latency","Unit":"Milliseconds"},)";
  line += R"({"Name":"Errors","Unit":"Count"},{"Name":"ColdStart","Unit":"Count"}]}]},"Route":)";
  line += boost::json::serialize(boost::json::string(route));
  line += R"(,"Latency":)";
  line += latency;
  line += entry.status >= 500 ? R"(,"Errors":1)" : R"(,"Errors":0)";
  line += entry.cold_start ? R"(,"ColdStart":1)" : R"(,"ColdStart":0)";
  line += R"(,"requestId":)";
  line += boost::json::serialize(boost::json::string(entry.request_id));
  line += '}';
  return line;
}

void EmfAccessLog::write(const AccessLogEntry& entry) {
  inner_.write(entry);
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::string line = format_emf(entry, now);
  line += '\n';
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace sbapi::lambda
