// The process figures every Prometheus client exports under the standard names
// (process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds, process_start_time_seconds, process_cpu_seconds_total), read from /proc at
// each scrape. prometheus-cpp has no such collector.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

namespace sbapi::metrics {

class ProcessMetrics final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace sbapi::metrics
