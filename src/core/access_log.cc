#include "core/access_log.h"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>

namespace sbapi {
namespace {

// Appends `s` as a JSON string literal (quotes included). Request ids, methods and routes are
// nearly always plain ASCII, which is copied as it is; anything else is escaped by Boost.JSON.
void append_json_string(std::string& out, std::string_view s) {
  const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f && c != '"' && c != '\\';
  });
  if (plain) {
    out += '"';
    out += s;
    out += '"';
  } else {
    out += boost::json::serialize(boost::json::string(s));
  }
}

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

}  // namespace

std::int64_t now_epoch_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_utc_millis(std::int64_t epoch_micros) {
  // The date and time of day change once a second: formatted once per second per thread.
  thread_local std::int64_t cached_second = -1;
  thread_local std::array<char, 20> cached{};  // "2026-11-25T09:10:11"
  const std::int64_t second = epoch_micros / 1'000'000;
  if (second != cached_second) {
    const auto seconds = static_cast<std::time_t>(second);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    std::strftime(cached.data(), cached.size(), "%Y-%m-%dT%H:%M:%S", &tm);
    cached_second = second;
  }
  const int millis = static_cast<int>((epoch_micros / 1000) % 1000);
  std::string text(cached.data());
  text += '.';
  text += static_cast<char>('0' + millis / 100);
  text += static_cast<char>('0' + millis / 10 % 10);
  text += static_cast<char>('0' + millis % 10);
  text += 'Z';
  return text;
}

std::string_view loggable_method(std::string_view method) {
  static constexpr std::array<std::string_view, 10> kMethods{
      "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "-"};
  for (std::string_view known : kMethods) {
    if (known == method) return known;
  }
  return "OTHER";
}

std::string JsonLinesAccessLog::format(const AccessLogEntry& e, std::int64_t epoch_micros) {
  std::string line;
  line.reserve(240);
  line += "{\"time\":\"";
  line += format_utc_millis(epoch_micros);
  line += "\",\"level\":\"info\",\"requestId\":";
  append_json_string(line, e.request_id);
  if (!e.trace_id.empty()) {
    line += ",\"traceId\":";
    append_json_string(line, e.trace_id);
  }
  line += ",\"method\":";
  append_json_string(line, loggable_method(e.method));
  line += ",\"route\":";
  append_json_string(line, e.route);
  line += ",\"status\":";
  line += std::to_string(e.status);
  line += ",\"latencyUs\":";
  line += std::to_string(e.latency_us);
  line += e.cold_start ? ",\"coldStart\":true}" : ",\"coldStart\":false}";
  return line;
}

void JsonLinesAccessLog::write(const AccessLogEntry& entry) {
  std::string line = format(entry, now_epoch_micros());
  line += '\n';
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

void log_event(std::string_view level, std::string_view message,
               const boost::json::object& fields) {
  std::string line = "{\"time\":\"" + format_utc_millis(now_epoch_micros()) +
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
