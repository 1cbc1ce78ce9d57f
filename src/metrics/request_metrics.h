// The per-request figures: requests answered by route template, method and status
// (`sbapi_http_requests_total`) and their latency by route (`sbapi_http_request_duration_seconds`),
// recorded without a lock or an allocation.
//
// Every label value is known at start: the route templates of the route table (plus "-" for a
// request that matched none), the methods the access log names (core/access_log.h:
// loggable_method), and a fixed list of statuses (any other counts as "other"). A request is
// a few relaxed atomic adds in flat arrays; a scrape lists the request counters seen (one that
// has not moved is not a series yet) and every route's histogram.
//
// Why not prometheus-cpp's Family<Counter>/Histogram here: its Histogram::Observe takes a mutex
// and updates doubles by compare-and-swap (181 instructions a request, callgrind), and a counter
// per (route, method, status) would have to be created on first use under the family's lock.
// This costs ~60 (issue 16's goal: metrics add at most 3 % to a GET's ~21,000 instructions).
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace sbapi::metrics {

class RequestMetrics final : public prometheus::Collectable {
 public:
  RequestMetrics();
  ~RequestMetrics() override;  // where Latency is complete

  // `route` is the access log's: a template of the route table (compared by address first: the
  // Api and the server log the table's own string_view), or anything else ("-").
  [[nodiscard]] std::size_t route_index(std::string_view route) const;
  void add(std::size_t route_index, std::string_view method, int status, std::int64_t latency_us);

  std::vector<prometheus::MetricFamily> Collect() const override;

  [[nodiscard]] const std::vector<std::string_view>& routes() const { return routes_; }

 private:
  struct Latency;  // one route's histogram

  std::vector<std::string_view> routes_;  // the route table's templates, then "-"
  std::vector<std::pair<const char*, std::size_t>> by_address_;  // sorted: template → index
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::unique_ptr<Latency[]> latency_;
};

}  // namespace sbapi::metrics
