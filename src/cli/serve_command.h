// `sbapi serve`: the API on a local HTTP server.
//
// --backend local (default; env SBAPI_BACKEND): backed by the SQLite file under the data dir,
// plus the local object endpoint (`/<bucket>/<key>`) that presigned asset URLs point at.
// --backend aws: users and assets in DynamoDB (USERS_TABLE_NAME, ASSETS_TABLE_NAME), presigned
// URLs for S3 (ASSETS_BUCKET_NAME), configured from the AWS_* environment (aws_config.h) — AWS
// itself or compatible endpoints. No SQLite, no data dir, no local object endpoint; a missing
// setting is a start-up error naming it. --data-dir, --ttl-sweep-seconds and the local store
// options are ignored there.
//
// Authentication: --auth and its options (auth_options.h); `none` only by default on a loopback
// --host. --auth local keeps its signing key in --data-dir, on either backend.
//
// Requests that wait on storage (writes on local: each waits for its disk flush, and concurrent
// ones share one; every request on aws: each waits for DynamoDB) run on --blocking-threads
// threads beside the --threads I/O threads (http_server.h, "Blocking work").
//
// Every option also reads an SBAPI_* environment variable (the flag wins). Runs until SIGINT
// or SIGTERM, then stops gracefully and returns 0; a start-up failure (database cannot be opened,
// address cannot be bound) is one line on stderr and returns 1. Logs are JSON lines on stdout:
// {"msg":"listening","host":…,"port":…,"backend":…,"auth":…,"maxConnections":…,"fdLimit":…} once
// bound (with --port 0, the port actually chosen), one line per request, and {"msg":"stopped"}
// after the database is closed.
//
// File descriptors: the soft RLIMIT_NOFILE is raised to the hard one at start (systemd's default
// soft limit is 1024), and --max-connections defaults to (that limit − 64) ÷ 2: a connection may
// hold a second descriptor (an upload's temp file, a download's file), and 64 stay for the
// database, the logs and the listener.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/auth_options.h"
#include "cli/local_store_options.h"

namespace CLI {
class App;
}  // namespace CLI

namespace sbapi {

struct ServeOptions {
  std::string backend = "local";  // "local" | "aws"
  std::string host = "127.0.0.1";
  std::uint16_t port = 3000;
  unsigned threads = 1;
  unsigned blocking_threads = 32;
  std::string data_dir = "./.data";
  std::string page_token_secret_file;  // empty: <data-dir>/page-token-secret, made if missing
  unsigned ttl_sweep_seconds = 60;
  std::size_t max_connections = 0;  // 0: derived from the file-descriptor limit
  std::string metrics_listen;       // empty: /metrics on the API's port only
  unsigned ready_min_free_mb = 64;  // GET /health/ready: free space the data dir's disk needs
  LocalStoreOptions store;
  AuthOptions auth;
};

// Adds the `serve` subcommand, parsing into `options` (which must outlive `app`).
CLI::App* add_serve_command(CLI::App& app, ServeOptions& options);

// Runs the server; returns the process exit code.
int run_serve(const ServeOptions& options);

}  // namespace sbapi
