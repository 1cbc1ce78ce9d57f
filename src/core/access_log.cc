#include "core/access_log.h"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <chrono>
#include <ctime>

namespace sbapi {
namespace {

std::int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A JSON string literal (quotes included), escaped by Boost.JSON.
std::string json_string(std::string_view s) {
  return boost::json::serialize(boost::json::string(s));
}

}  // namespace

std::string format_utc_millis(std::int64_t epoch_micros) {
  std::time_t seconds = static_cast<std::time_t>(epoch_micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>((epoch_micros / 1000) % 1000));
  return buf;
}

std::string JsonLinesAccessLog::format(const AccessLogEntry& e, std::int64_t epoch_micros) {
  std::string line;
  line.reserve(192);
  line += "{\"time\":\"" + format_utc_millis(epoch_micros) + "\",\"level\":\"info\"";
  line += ",\"requestId\":" + json_string(e.request_id);
  line += ",\"method\":" + json_string(e.method);
  line += ",\"route\":" + json_string(e.route);
  line += ",\"status\":" + std::to_string(e.status);
  line += ",\"latencyUs\":" + std::to_string(e.latency_us);
  line += e.cold_start ? ",\"coldStart\":true}" : ",\"coldStart\":false}";
  return line;
}

void JsonLinesAccessLog::write(const AccessLogEntry& entry) {
  std::string line = format(entry, now_micros());
  line += '\n';
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

void log_event(std::string_view level, std::string_view message,
               const boost::json::object& fields) {
  std::string line = "{\"time\":\"" + format_utc_millis(now_micros()) +
                     "\",\"level\":" + json_string(level) + ",\"msg\":" + json_string(message);
  for (const auto& [key, value] : fields) {
    // Appended piecewise: `"," + std::string` trips GCC 12's false -Wrestrict at -O3.
    line += ',';
    line += json_string(key);
    line += ':';
    line += boost::json::serialize(value);
  }
  line += "}\n";
  static std::mutex mutex;  // one write per line, never interleaved
  std::lock_guard lock(mutex);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

}  // namespace sbapi
