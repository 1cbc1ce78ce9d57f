#include "metrics/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

namespace sbapi::metrics {
namespace {

prometheus::MetricFamily one(std::string name, std::string help, prometheus::MetricType type,
                             double value) {
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return {std::move(name), std::move(help), type, {metric}};
}

// The system's boot time (epoch seconds): /proc/stat's btime.
double boot_time() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  // /proc/self/stat: the fields after the command (which may hold spaces) are space-separated;
  // utime, stime (ticks) are its 14th and 15th, starttime (ticks since boot) the 22nd, vsize
  // (bytes) the 23rd and rss (pages) the 24th.
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (std::getline(stat, line)) {
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string field;
    double utime = 0, stime = 0, start = 0, vsize = 0, rss = 0;
    for (int i = 3; fields >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
      if (i == 22) start = std::stod(field);
      if (i == 23) vsize = std::stod(field);
      if (i == 24) {
        rss = std::stod(field);
        break;
      }
    }
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    out.push_back(one("process_cpu_seconds_total", "User and system CPU time spent in seconds.",
                      MetricType::Counter, (utime + stime) / ticks));
    out.push_back(one("process_start_time_seconds",
                      "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
                      boot_time() + start / ticks));
    out.push_back(one("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                      MetricType::Gauge, vsize));
    out.push_back(one("process_resident_memory_bytes", "Resident memory size in bytes.",
                      MetricType::Gauge, rss * page));
  }
  std::error_code ec;
  double fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++fds;
  }
  out.push_back(
      one("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, fds));
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.push_back(one("process_max_fds", "Maximum number of open file descriptors.",
                      MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
  }
  return out;
}

}  // namespace sbapi::metrics
