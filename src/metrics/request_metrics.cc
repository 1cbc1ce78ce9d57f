#include "metrics/request_metrics.h"

#include <algorithm>
#include <array>
#include <limits>
#include <string>

#include "core/access_log.h"
#include "core/route_table.h"

namespace sbapi::metrics {
namespace {

constexpr std::array<std::string_view, 11> kMethods{
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "-", "OTHER"};

// Every status sbapi answers today, and a few a proxy-facing server may; the rest are "other".
constexpr std::array<int, 25> kStatuses{200, 201, 204, 206, 301, 304, 400, 401, 403,
                                        404, 405, 408, 409, 411, 413, 414, 415, 416,
                                        429, 431, 500, 501, 502, 503, 504};
constexpr std::size_t kStatusSlots = kStatuses.size() + 1;  // + "other"

// Latency buckets: 100 µs (a cached GET) to 5 s (the API's slowest answer before a client gives
// up), about three a decade; in microseconds to count, in seconds to show.
constexpr std::array<std::int64_t, 15> kBucketsUs{100,    250,    500,     1000,    2500,
                                                  5000,   10000,  25000,   50000,   100000,
                                                  250000, 500000, 1000000, 2500000, 5000000};

// The method's slot: its own when loggable_method() knows it (the same names), else OTHER's.
std::size_t method_index(std::string_view method) {
  const auto known = std::ranges::find(kMethods.begin(), kMethods.end() - 1, method);
  return static_cast<std::size_t>(known - kMethods.begin());
}

std::size_t status_index(int status) {
  return static_cast<std::size_t>(std::ranges::find(kStatuses, status) - kStatuses.begin());
}

}  // namespace

struct RequestMetrics::Latency {
  std::array<std::atomic<std::uint64_t>, kBucketsUs.size() + 1>
      buckets{};  // + "+Inf"; not cumulative
  std::atomic<std::uint64_t> sum_us{0};
};

RequestMetrics::RequestMetrics() {
  for (const RouteSpec& route : route_table()) {
    if (std::ranges::find(routes_, route.path) == routes_.end()) {
      by_address_.emplace_back(route.path.data(), routes_.size());
      routes_.push_back(route.path);
    }
  }
  routes_.emplace_back("-");
  std::ranges::sort(by_address_);
  counts_ = std::make_unique<std::atomic<std::uint64_t>[]>(routes_.size() * kMethods.size() *
                                                           kStatusSlots);  // zeroed
  latency_ = std::make_unique<Latency[]>(routes_.size());
}

RequestMetrics::~RequestMetrics() = default;

std::size_t RequestMetrics::route_index(std::string_view route) const {
  // Requests of one route come in runs: each thread first compares the text with its last
  // route's (the searches below were a third of the metrics' cost per GET, callgrind).
  thread_local const RequestMetrics* last_owner = nullptr;
  thread_local std::size_t last = 0;
  if (last_owner == this && routes_[last] == route) return last;
  const auto found = std::ranges::lower_bound(by_address_, route.data(), {},
                                              &std::pair<const char*, std::size_t>::first);
  std::size_t index = 0;
  if (found != by_address_.end() && found->first == route.data() &&
      routes_[found->second].size() == route.size()) {
    index = found->second;
  } else {
    const auto named = std::ranges::find(routes_, route);  // the same text from elsewhere
    index = named == routes_.end() ? routes_.size() - 1
                                   : static_cast<std::size_t>(named - routes_.begin());
  }
  last_owner = this;
  last = index;
  return index;
}

void RequestMetrics::add(std::size_t route, std::string_view method, int status,
                         std::int64_t latency_us) {
  const std::size_t slot =
      (route * kMethods.size() + method_index(method)) * kStatusSlots + status_index(status);
  counts_[slot].fetch_add(1, std::memory_order_relaxed);
  Latency& latency = latency_[route];
  const auto bucket = std::ranges::lower_bound(kBucketsUs, latency_us) - kBucketsUs.begin();
  latency.buckets[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
  latency.sum_us.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(latency_us, 0)),
                           std::memory_order_relaxed);
}

std::vector<prometheus::MetricFamily> RequestMetrics::Collect() const {
  prometheus::MetricFamily requests{"sbapi_http_requests_total",
                                    "Requests answered, by route template, method and status.",
                                    prometheus::MetricType::Counter,
                                    {}};
  for (std::size_t r = 0; r < routes_.size(); ++r) {
    for (std::size_t m = 0; m < kMethods.size(); ++m) {
      for (std::size_t s = 0; s < kStatusSlots; ++s) {
        const std::uint64_t n =
            counts_[(r * kMethods.size() + m) * kStatusSlots + s].load(std::memory_order_relaxed);
        if (n == 0) continue;
        prometheus::ClientMetric metric;
        metric.label = {{"method", std::string(kMethods[m])},
                        {"route", std::string(routes_[r])},
                        {"status", s < kStatuses.size() ? std::to_string(kStatuses[s]) : "other"}};
        metric.counter.value = static_cast<double>(n);
        requests.metric.push_back(std::move(metric));
      }
    }
  }
  prometheus::MetricFamily latency{
      "sbapi_http_request_duration_seconds",
      "Time to answer a request, its first byte to its answer, by route.",
      prometheus::MetricType::Histogram,
      {}};
  for (std::size_t r = 0; r < routes_.size(); ++r) {
    prometheus::ClientMetric metric;
    metric.label = {{"route", std::string(routes_[r])}};
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= kBucketsUs.size(); ++b) {
      cumulative += latency_[r].buckets[b].load(std::memory_order_relaxed);
      metric.histogram.bucket.push_back(
          {cumulative, b < kBucketsUs.size() ? static_cast<double>(kBucketsUs[b]) / 1e6
                                             : std::numeric_limits<double>::infinity()});
    }
    metric.histogram.sample_count = cumulative;
    metric.histogram.sample_sum =
        static_cast<double>(latency_[r].sum_us.load(std::memory_order_relaxed)) / 1e6;
    latency.metric.push_back(std::move(metric));
  }
  return {std::move(requests), std::move(latency)};
}

}  // namespace sbapi::metrics
