// Requests answered, by route template, method and status: the counters behind
// `sbapi_http_requests_total`, without a lock or an allocation per request.
//
// Every label value is known at start: the route templates of the route table (plus "-" for a
// request that matched none), the methods the access log names (core/access_log.h:
// loggable_method), and a fixed list of statuses (any other counts as "other"). A request is
// one relaxed atomic add in a flat array; a scrape lists only the combinations seen (a counter
// that has not moved is not a series yet).
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace sbapi::metrics {

class RequestCounts final : public prometheus::Collectable {
 public:
  RequestCounts();

  // `route` is the access log's: a template of the route table, or anything else ("-").
  void add(std::string_view route, std::string_view method, int status);

  std::vector<prometheus::MetricFamily> Collect() const override;

  // The route's label index (tests, and the latency histograms that share it).
  [[nodiscard]] std::size_t route_index(std::string_view route) const;
  [[nodiscard]] const std::vector<std::string_view>& routes() const { return routes_; }

 private:
  std::vector<std::string_view> routes_;  // the route table's templates, then "-"
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
};

}  // namespace sbapi::metrics
