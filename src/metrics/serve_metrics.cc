#include "metrics/serve_metrics.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <utility>

#include "auth/jwt.h"

namespace sbapi::metrics {
namespace {

using prometheus::Histogram;

// SQLite commit latency, in the requests' buckets: 100 µs to 5 s (the API's slowest answer before a
// client gives up), about three buckets per decade.
const Histogram::BucketBoundaries kLatencyBuckets{
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
// Group-commit sizes: 1 to the write queue's largest batch (128).
const Histogram::BucketBoundaries kBatchBuckets{1, 2, 4, 8, 16, 32, 64, 128};
// Object uploads: 1 ms to a minute (the largest objects, 5 GiB, take longer: +Inf).
const Histogram::BucketBoundaries kUploadBuckets{0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60};

double seconds(std::chrono::nanoseconds took) {
  return std::chrono::duration<double>(took).count();
}

}  // namespace

ServeMetrics::ServeMetrics(AccessLog& next) : next_(next) {
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  using prometheus::BuildHistogram;
  auto& r = registry_;
  in_flight_ = &BuildGauge()
                    .Name("sbapi_http_requests_in_flight")
                    .Help("Requests whose first byte arrived and whose answer is not yet written.")
                    .Register(r)
                    .Add({});
  connections_open_ = &BuildGauge()
                           .Name("sbapi_http_connections_open")
                           .Help("Open client connections.")
                           .Register(r)
                           .Add({});
  connections_refused_ = &BuildCounter()
                              .Name("sbapi_http_connections_refused_total")
                              .Help("Connections answered 503 at the connection cap.")
                              .Register(r)
                              .Add({});
  connections_shed_ = &BuildCounter()
                           .Name("sbapi_http_idle_connections_shed_total")
                           .Help("Idle connections closed at the connection cap to make room.")
                           .Register(r)
                           .Add({});
  commit_writes_ = &BuildHistogram()
                        .Name("sbapi_sqlite_commit_writes")
                        .Help(
                            "Writes per SQLite group commit (one transaction, one fsync), "
                            "conditional writes that changed nothing included.")
                        .Register(r)
                        .Add({}, kBatchBuckets);
  commit_seconds_ = &BuildHistogram()
                         .Name("sbapi_sqlite_commit_duration_seconds")
                         .Help("SQLite group commits, BEGIN to the end of COMMIT (its fsync).")
                         .Register(r)
                         .Add({}, kLatencyBuckets);
  auto& cache = BuildCounter()
                    .Name("sbapi_item_cache_lookups_total")
                    .Help("Reads by key that looked in the item cache first, by result.")
                    .Register(r);
  cache_hits_ = &cache.Add({{"result", "hit"}});
  cache_misses_ = &cache.Add({{"result", "miss"}});
  upload_bytes_ = &BuildCounter()
                       .Name("sbapi_object_upload_bytes_total")
                       .Help("Bytes of object uploads stored by the local object endpoint.")
                       .Register(r)
                       .Add({});
  upload_seconds_ = &BuildHistogram()
                         .Name("sbapi_object_upload_duration_seconds")
                         .Help("Object uploads stored, their first byte to their commit.")
                         .Register(r)
                         .Add({}, kUploadBuckets);
  auto& jwks = BuildCounter()
                   .Name("sbapi_jwks_fetches_total")
                   .Help("Fetches of the token issuer's keys (JWKS), by result.")
                   .Register(r);
  jwks_ok_ = &jwks.Add({{"result", "ok"}});
  jwks_failed_ = &jwks.Add({{"result", "error"}});
  auto& rejections = BuildCounter()
                         .Name("sbapi_token_rejections_total")
                         .Help("Bearer tokens refused by verification, by reason.")
                         .Register(r);
  namespace why = auth::reason;
  for (std::string_view reason :
       {why::kTooLarge, why::kMalformed, why::kAlgorithm, why::kUnknownKid, why::kSignature,
        why::kIssuer, why::kAudience, why::kExpired, why::kNotYetValid, why::kSubject,
        std::string_view("other")}) {
    rejections_.emplace_back(reason, &rejections.Add({{"reason", std::string(reason)}}));
  }
}

void ServeMetrics::write(const AccessLogEntry& entry) {
  requests_.add(requests_.route_index(entry.route), entry.method, entry.status, entry.latency_us);
  next_.write(entry);
}

void ServeMetrics::object_uploaded(std::uint64_t bytes, std::chrono::nanoseconds took) {
  upload_bytes_->Increment(static_cast<double>(bytes));
  upload_seconds_->Observe(seconds(took));
}

void ServeMetrics::committed(std::size_t writes, std::chrono::nanoseconds took) {
  commit_writes_->Observe(static_cast<double>(writes));
  commit_seconds_->Observe(seconds(took));
}

void ServeMetrics::token_rejected(std::string_view reason) {
  auto found = std::ranges::find(rejections_, reason, &decltype(rejections_)::value_type::first);
  if (found == rejections_.end()) found = rejections_.end() - 1;  // "other"
  found->second->Increment();
}

std::string ServeMetrics::text() const {
  std::vector<prometheus::MetricFamily> families = registry_.Collect();
  for (auto* collector : {static_cast<const prometheus::Collectable*>(&requests_),
                          static_cast<const prometheus::Collectable*>(&process_)}) {
    auto more = collector->Collect();
    std::ranges::move(more, std::back_inserter(families));
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace sbapi::metrics
