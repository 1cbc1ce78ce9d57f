// The metrics of `sbapi serve`, in the Prometheus text format (GET /metrics): prometheus-cpp's
// registry, counters, gauges and histograms, plus two collectors of our own (request_metrics.h,
// process_metrics.h).
//
// It is the observer of every part that reports (each declares what it reports, knowing nothing
// of Prometheus): the access log it wraps (requests by route, method and status; latency by
// route), the HTTP server (connections, refusals, requests under way, uploads), the SQLite
// database (group-commit sizes and latency, item-cache hits), token verification (rejections by
// reason) and the JWKS fetches. Every series a request touches is created here, at start: no
// request takes a lock or allocates (the per-request figures are atomics: request_metrics.h).
//
// Names: `sbapi_*` for ours, `process_*` as every client library exports them. Labels are route
// templates, methods, statuses and fixed reason words only, never a raw path or a token: the
// number of series is bounded by the route table.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/sqlite/sqlite_observer.h"
#include "core/access_log.h"
#include "metrics/process_metrics.h"
#include "metrics/request_metrics.h"
#include "server/server_observer.h"

namespace sbapi::metrics {

// The media type of the exposition (Prometheus text format 0.0.4).
inline constexpr std::string_view kExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

class ServeMetrics final : public AccessLog, public ServerObserver, public SqliteObserver {
 public:
  // Access-log lines go on to `next` (which must outlive this) after they are counted.
  explicit ServeMetrics(AccessLog& next);

  // AccessLog: one answered request.
  void write(const AccessLogEntry& entry) override;

  // ServerObserver.
  void connection_opened() override { connections_open_->Increment(); }
  void connection_closed() override { connections_open_->Decrement(); }
  void connection_refused() override { connections_refused_->Increment(); }
  void idle_connection_shed() override { connections_shed_->Increment(); }
  void request_started() override { in_flight_->Increment(); }
  void request_finished() override { in_flight_->Decrement(); }
  void object_uploaded(std::uint64_t bytes, std::chrono::nanoseconds took) override;

  // SqliteObserver.
  void committed(std::size_t writes, std::chrono::nanoseconds took) override;
  void cache_lookup(bool hit) override { (hit ? cache_hits_ : cache_misses_)->Increment(); }

  // A token refused by the verifier, for a fixed `reason` word (token_verifier.h).
  void token_rejected(std::string_view reason);
  // A fetch of the issuer's keys (JWKS), at start or on key rotation.
  void jwks_fetched(bool ok) { (ok ? jwks_ok_ : jwks_failed_)->Increment(); }

  // The exposition: every family, in the text format.
  [[nodiscard]] std::string text() const;

 private:
  prometheus::Registry registry_;
  RequestMetrics requests_;
  ProcessMetrics process_;
  AccessLog& next_;

  // Resolved at start (see above); owned by registry_.
  prometheus::Gauge* in_flight_;
  prometheus::Gauge* connections_open_;
  prometheus::Counter* connections_refused_;
  prometheus::Counter* connections_shed_;
  prometheus::Histogram* commit_writes_;
  prometheus::Histogram* commit_seconds_;
  prometheus::Counter* cache_hits_;
  prometheus::Counter* cache_misses_;
  prometheus::Counter* upload_bytes_;
  prometheus::Histogram* upload_seconds_;
  prometheus::Counter* jwks_ok_;
  prometheus::Counter* jwks_failed_;
  std::vector<std::pair<std::string_view, prometheus::Counter*>> rejections_;  // "other" last
};

}  // namespace sbapi::metrics
