#include "metrics/request_counts.h"

#include <algorithm>
#include <array>
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

std::size_t method_index(std::string_view method) {
  const std::string_view known = loggable_method(method);
  return static_cast<std::size_t>(std::ranges::find(kMethods, known) - kMethods.begin());
}

std::size_t status_index(int status) {
  return static_cast<std::size_t>(std::ranges::find(kStatuses, status) - kStatuses.begin());
}

}  // namespace

RequestCounts::RequestCounts() {
  for (const RouteSpec& route : route_table()) {
    if (std::ranges::find(routes_, route.path) == routes_.end()) routes_.push_back(route.path);
  }
  routes_.emplace_back("-");
  const std::size_t slots = routes_.size() * kMethods.size() * kStatusSlots;
  counts_ = std::make_unique<std::atomic<std::uint64_t>[]>(slots);  // zeroed
}

std::size_t RequestCounts::route_index(std::string_view route) const {
  // The Api and the server log the route table's own string_view: compare addresses first.
  for (std::size_t i = 0; i + 1 < routes_.size(); ++i) {
    if (routes_[i].data() == route.data() && routes_[i].size() == route.size()) return i;
  }
  const auto found = std::ranges::find(routes_, route);
  return found == routes_.end() ? routes_.size() - 1
                                : static_cast<std::size_t>(found - routes_.begin());
}

void RequestCounts::add(std::string_view route, std::string_view method, int status) {
  const std::size_t slot =
      (route_index(route) * kMethods.size() + method_index(method)) * kStatusSlots +
      status_index(status);
  counts_[slot].fetch_add(1, std::memory_order_relaxed);
}

std::vector<prometheus::MetricFamily> RequestCounts::Collect() const {
  prometheus::MetricFamily family{"sbapi_http_requests_total",
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
        family.metric.push_back(std::move(metric));
      }
    }
  }
  return {std::move(family)};
}

}  // namespace sbapi::metrics
