#include "cli/serve_command.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/sqlite_table.h"
#include "adapters/sqlite/ttl_sweeper.h"
#include "core/access_log.h"
#include "core/api.h"
#include "core/clock.h"
#include "core/schemas.h"
#include "server/http_server.h"

namespace sbapi {
namespace {

int startup_error(const std::string& message) {
  std::fprintf(stderr, "sbapi: %s\n", message.c_str());
  return 1;
}

}  // namespace

CLI::App* add_serve_command(CLI::App& app, ServeOptions& options) {
  options.threads = std::max(1u, std::thread::hardware_concurrency());
  CLI::App* serve = app.add_subcommand("serve", "Serve the API over HTTP on this machine");
  serve->add_option("--host", options.host, "Address to listen on")
      ->envname("SBAPI_HOST")
      ->capture_default_str();
  serve->add_option("--port", options.port, "Port to listen on (0: any free port)")
      ->envname("SBAPI_PORT")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  serve->add_option("--threads", options.threads, "Threads serving requests")
      ->envname("SBAPI_THREADS")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  serve
      ->add_option("--data-dir", options.data_dir, "Directory of the database (created if missing)")
      ->envname("SBAPI_DATA_DIR")
      ->capture_default_str();
  serve
      ->add_option("--ttl-sweep-seconds", options.ttl_sweep_seconds,
                   "Seconds between deletions of expired items")
      ->envname("SBAPI_TTL_SWEEP_SECONDS")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  return serve;
}

int run_serve(const ServeOptions& options) {
  // A log reader that goes away must not kill the server mid-request; writes just fail.
  std::signal(SIGPIPE, SIG_IGN);
  {
    // Declaration order is destruction order in reverse: the server stops before the Api, and
    // the tables and database close last, after every request is done.
    SystemClock clock;
    auto db = SqliteDatabase::open(options.data_dir);
    if (!db) {
      return startup_error("cannot open the database in " + options.data_dir + ": " +
                           db.error().detail);
    }
    auto users = SqliteTable::open(**db, users_schema(), clock);
    if (!users) return startup_error("cannot open the users table: " + users.error().detail);
    TtlSweeper sweeper({users->get()}, std::chrono::seconds(options.ttl_sweep_seconds));
    JsonLinesAccessLog access_log(stdout);
    Api api(**users, clock, access_log);

    HttpServer server(api, access_log,
                      {.host = options.host,
                       .port = options.port,
                       .threads = options.threads,
                       .stop_on_signals = true});
    auto port = server.start();
    if (!port) return startup_error(port.error());
    log_event("info", "listening", {{"host", options.host}, {"port", *port}});
    server.run();
  }
  log_event("info", "stopped");
  return 0;
}

}  // namespace sbapi
