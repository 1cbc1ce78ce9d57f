#include "cli/serve_command.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <thread>

#include <sys/resource.h>

#include "adapters/aws/aws_backend.h"
#include "adapters/local/local_backend.h"
#include "adapters/local/local_object_endpoint.h"
#include "adapters/local/object_files.h"
#include "adapters/local/presigned_url_verifier.h"
#include "adapters/sqlite/ttl_sweeper.h"
#include "cli/embedded_files.h"
#include "cli/metrics_listener.h"
#include "cli/readiness_checks.h"
#include "cli/service_notify.h"
#include "core/api.h"
#include "core/asset_uploads.h"
#include "core/buffered_access_log.h"
#include "core/clock.h"
#include "core/page_token_secret_file.h"
#include "metrics/counting_token_verifier.h"
#include "metrics/serve_metrics.h"
#include "server/http_server.h"

namespace sbapi {
namespace {

int startup_error(const std::string& message) {
  std::fprintf(stderr, "sbapi: %s\n", message.c_str());
  return 1;
}

// Raises the soft RLIMIT_NOFILE to the hard limit and returns it (1024 if it cannot be read).
std::size_t raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20
                                         : static_cast<std::size_t>(limit.rlim_cur);
}

struct ConnectionLimits {
  std::size_t fd_limit;
  std::size_t max_connections;
};

ConnectionLimits connection_limits(const ServeOptions& options) {
  const std::size_t fds = raise_fd_limit();
  constexpr std::size_t kReserved = 64;  // database, logs, listener, sweeper, std streams
  const std::size_t derived = fds > kReserved + 32 ? (fds - kReserved) / 2 : 16;
  return {fds, options.max_connections > 0 ? options.max_connections : derived};
}

// The secret of listings' page tokens: an operator's file, or one kept in the data dir. Read on
// the first listing request; checked here so that a bad file stops the start, not a request.
std::expected<PageTokenSecretLoader, std::string> page_token_secret(const ServeOptions& options) {
  PageTokenSecretLoader load =
      options.page_token_secret_file.empty()
          ? page_token_secret_file(
                std::filesystem::path(options.data_dir) / std::string(kPageTokenSecretFileName),
                IfMissing::kCreate)
          : page_token_secret_file(options.page_token_secret_file, IfMissing::kFail);
  if (auto secret = load(); !secret) return std::unexpected(secret.error().detail);
  return load;
}

// What both backends add for operators: token rejections counted, the probes and GET /metrics on
// the API's port and, with --metrics-listen, on an address of their own (returned; null without).
std::expected<std::unique_ptr<MetricsListener>, std::string> serve_operations(
    const ServeOptions& options, Api& api, ServeAuth& auth, metrics::ServeMetrics& metrics,
    std::vector<ReadinessCheck> readiness, const Clock& clock, AccessLog& log) {
  if (auth.verifier) {
    auth.verifier =
        std::make_unique<metrics::CountingTokenVerifier>(std::move(auth.verifier), metrics);
    readiness.push_back(token_keys_check(*auth.verifier));
  }
  auto render = [&metrics] { return metrics.text(); };
  api.serve_operations(readiness, render);
  if (options.metrics_listen.empty()) return nullptr;
  auto address = parse_listen_address(options.metrics_listen);
  if (!address) return std::unexpected("--metrics-listen: " + address.error());
  return MetricsListener::start(*address, clock, log, std::move(readiness), render);
}

// The "listening" log line (with --port 0, the port chosen), then READY=1 to systemd.
void announce_listening(const ServeOptions& options, std::uint16_t port, std::string_view backend,
                        const ServeAuth& auth, const ConnectionLimits& limits,
                        const MetricsListener* listener) {
  boost::json::object listening{{"host", options.host},
                                {"port", port},
                                {"backend", backend},
                                {"auth", auth.mode},
                                {"maxConnections", limits.max_connections},
                                {"fdLimit", limits.fd_limit}};
  if (listener != nullptr) listening["metricsPort"] = listener->port();
  log_event("info", "listening", listening);
  notify_ready();
}

// --backend aws: DynamoDB tables and S3 presigning; on the local disk only the data dir's keys.
int run_serve_aws(const ServeOptions& options) {
  {
    const ConnectionLimits limits = connection_limits(options);
    SystemClock clock;
    BufferedAccessLog log_lines(stdout);
    metrics::ServeMetrics metrics(log_lines);  // every request is counted, then logged
    // The configuration first: a start that fails on it leaves no key file behind.
    auto backend = aws::make_aws_backend(aws::process_environment(), {}, clock);
    if (!backend) return startup_error("--backend aws: " + backend.error());
    auto auth = make_serve_auth(options.auth, options.host, options.data_dir, clock,
                                [&metrics](bool ok) { metrics.jwks_fetched(ok); });
    if (!auth) return startup_error(auth.error());
    auto secret = page_token_secret(options);
    if (!secret) return startup_error(secret.error());
    Api api(clock, metrics);
    api.serve_users(*backend->users);
    api.serve_assets(*backend->assets, *backend->objects);
    api.sign_page_tokens(std::move(*secret));
    api.publish_docs(std::string(openapi_document()), docs_page_files());
    auto listener = serve_operations(options, api, *auth, metrics, {storage_check(*backend->users)},
                                     clock, metrics);
    if (!listener) return startup_error(listener.error());
    auth->apply(api);
    HttpServer server(api, metrics,
                      {.host = options.host,
                       .port = options.port,
                       .threads = options.threads,
                       .blocking_threads = options.blocking_threads,
                       .offload_reads = true,  // a read waits on DynamoDB too
                       .max_connections = limits.max_connections,
                       .stop_on_signals = true,
                       .objects = nullptr,
                       .observer = &metrics});
    auto port = server.start();
    if (!port) return startup_error(port.error());
    announce_listening(options, *port, "aws", *auth, limits, listener->get());
    server.run();
    notify_stopping();
  }
  log_event("info", "stopped");
  return 0;
}

}  // namespace

CLI::App* add_serve_command(CLI::App& app, ServeOptions& options) {
  options.threads = std::max(1u, std::thread::hardware_concurrency());
  CLI::App* serve = app.add_subcommand("serve", "Serve the API over HTTP on this machine");
  serve
      ->add_option("--backend", options.backend,
                   "Storage: local (SQLite + local object endpoint) or aws (DynamoDB + S3, "
                   "configured by AWS_* / *_TABLE_NAME / ASSETS_BUCKET_NAME env vars)")
      ->envname("SBAPI_BACKEND")
      ->check(CLI::IsMember({"local", "aws"}))
      ->capture_default_str();
  serve->add_option("--host", options.host, "Address to listen on")
      ->envname("SBAPI_HOST")
      ->capture_default_str();
  serve->add_option("--port", options.port, "Port to listen on (0: any free port)")
      ->envname("SBAPI_PORT")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  serve->add_option("--threads", options.threads, "I/O threads, each with its own event loop")
      ->envname("SBAPI_THREADS")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  serve
      ->add_option("--blocking-threads", options.blocking_threads,
                   "Threads for requests that wait on storage (0: run them on the I/O threads)")
      ->envname("SBAPI_BLOCKING_THREADS")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  serve
      ->add_option("--data-dir", options.data_dir, "Directory of the database (created if missing)")
      ->envname("SBAPI_DATA_DIR")
      ->capture_default_str();
  serve
      ->add_option("--page-token-secret-file", options.page_token_secret_file,
                   "File whose text (>= 32 bytes) signs listings' nextToken; default "
                   "<data-dir>/page-token-secret, created (0600) if missing")
      ->envname("SBAPI_PAGE_TOKEN_SECRET_FILE");
  serve
      ->add_option("--ttl-sweep-seconds", options.ttl_sweep_seconds,
                   "Seconds between deletions of expired items")
      ->envname("SBAPI_TTL_SWEEP_SECONDS")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  serve
      ->add_option("--max-connections", options.max_connections,
                   "Open connections at most; at the cap a new one closes an idle one or gets 503 "
                   "(0: (file-descriptor limit - 64) / 2)")
      ->envname("SBAPI_MAX_CONNECTIONS")
      ->capture_default_str();
  serve
      ->add_option("--metrics-listen", options.metrics_listen,
                   "Also serve GET /metrics and the health probes, without a token, on this "
                   "HOST:PORT (or PORT, on 127.0.0.1): for a scraper")
      ->envname("SBAPI_METRICS_LISTEN");
  serve
      ->add_option("--ready-min-free-mb", options.ready_min_free_mb,
                   "GET /health/ready answers 503 while the data dir's disk has less free (MiB)")
      ->envname("SBAPI_READY_MIN_FREE_MB")
      ->capture_default_str();
  add_local_store_options(*serve, options.store);
  add_auth_options(*serve, options.auth);
  return serve;
}

int run_serve(const ServeOptions& options) {
  // A log reader that goes away must not kill the server mid-request; writes just fail.
  std::signal(SIGPIPE, SIG_IGN);
  if (options.backend == "aws") return run_serve_aws(options);
  {
    // Declaration order is destruction order in reverse: the server stops before the Api, and
    // the tables and database close last, after every request is done.
    const ConnectionLimits limits = connection_limits(options);
    SystemClock clock;
    BufferedAccessLog log_lines(stdout);
    metrics::ServeMetrics metrics(log_lines);  // every request is counted, then logged
    auto auth = make_serve_auth(options.auth, options.host, options.data_dir, clock,
                                [&metrics](bool ok) { metrics.jwks_fetched(ok); });
    if (!auth) return startup_error(auth.error());
    auto store_config = local_object_config(options.store, options.port);
    if (!store_config) return startup_error(store_config.error());
    auto backend = make_local_backend(options.data_dir, *store_config, clock);
    if (!backend) return startup_error(backend.error());
    backend->db->observe(metrics);
    auto secret = page_token_secret(options);
    if (!secret) return startup_error(secret.error());
    TtlSweeper sweeper({backend->users.get(), backend->assets.get()},
                       std::chrono::seconds(options.ttl_sweep_seconds));

    // The object endpoint: verifies presigned URLs, stores the files, marks assets uploaded.
    ObjectFiles files(options.data_dir);
    if (auto ready = files.prepare(); !ready) return startup_error(ready.error());
    PresignedUrlVerifier verifier({{store_config->credentials}, store_config->region});
    Table& assets = *backend->assets;
    LocalObjectEndpoint endpoint(
        store_config->bucket, files, verifier, clock,
        [&](std::string_view key, const StoredObject& stored) -> std::expected<void, ObjectError> {
          auto recorded = record_upload(assets, clock, key, stored.size, stored.etag);
          if (recorded) return {};
          log_event("error", "cannot record upload", {{"detail", recorded.error().detail}});
          return std::unexpected(
              ObjectError{503, "ServiceUnavailable", "Please try the upload again."});
        });

    Api api(clock, metrics);
    api.serve_users(*backend->users);
    api.serve_assets(*backend->assets, *backend->objects);
    api.sign_page_tokens(std::move(*secret));
    api.publish_docs(std::string(openapi_document()), docs_page_files());
    auto listener = serve_operations(
        options, api, *auth, metrics,
        {storage_check(*backend->users),
         disk_check(options.data_dir, std::uint64_t{options.ready_min_free_mb} * 1024 * 1024)},
        clock, metrics);
    if (!listener) return startup_error(listener.error());
    auth->apply(api);
    HttpServer server(api, metrics,
                      {.host = options.host,
                       .port = options.port,
                       .threads = options.threads,
                       .blocking_threads = options.blocking_threads,
                       .async_api = true,  // SQLite's group commit completes writes itself
                       .max_connections = limits.max_connections,
                       .stop_on_signals = true,
                       .objects = &endpoint,
                       .observer = &metrics});
    auto port = server.start();
    if (!port) return startup_error(port.error());
    // Presigned URLs point at the port actually bound (--port 0 picks one), unless
    // --public-url names another address.
    if (options.store.public_url.empty()) {
      backend->objects->set_public_url(local_object_config(options.store, *port)->public_url);
    }
    announce_listening(options, *port, "local", *auth, limits, listener->get());
    server.run();
    notify_stopping();
    // After a hard stop a committed write may still be completing: let it finish while the
    // server, the Api and the log it reports to are still there.
    backend->db->wait_for_writes();
  }
  log_event("info", "stopped");
  return 0;
}

}  // namespace sbapi
