// The local HTTP/1.1 server: Boost.Beast on one io_context, in front of `Api::handle`.
//
// Contract:
// - `start()` binds and listens on `host:port` (port 0 picks a free port) and returns the port
//   actually bound, or a message saying why it could not. `run()` then serves on `threads`
//   threads and blocks until the server has stopped. `stop()` is thread-safe, idempotent and may
//   be called before or during `run()`; with `stop_on_signals`, SIGINT and SIGTERM call it (the
//   handlers are installed by `start()`, so no signal can slip in between "listening" and `run()`).
// - Each connection is served on its own strand; HTTP/1.1 keep-alive and pipelining are
//   supported, `Expect: 100-continue` is answered. A connection waiting for its next request is
//   closed after `idle_timeout`; a request must arrive completely within `read_timeout` of its
//   first byte, its response be written within `write_timeout`, else the connection is closed.
// - The request is handed to the Api as a transport-neutral `Request` (method upper-case, path
//   and query split at the first '?', header names lower-case); the Api's headers are copied to
//   the wire as they are, plus Content-Length and Connection.
// - Transport-level failures never reach the Api: a body over `max_body_bytes` (announced or
//   actual) → 413 `{"error":"Request body too large"}`, headers over 16 KiB → 431, any other
//   malformed HTTP → 400 `{"error":"Malformed HTTP request"}`; each is JSON with CORS and
//   X-Request-Id, gets an access-log line like any request (method and route as far as they were
//   parsed, else "-"), and the connection is then closed (after draining what the client still
//   sends, so it reads the response rather than a reset).
// - Graceful stop: stop accepting, close idle connections at once, let requests in flight be
//   answered (with `Connection: close`) and written, then `run()` returns. Whatever is still
//   running after `shutdown_timeout` is abandoned.
//
// Beast and Asio stay inside http_server.cc (and asio_impl.cc): this header is all the rest of
// the build sees.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>

#include "core/access_log.h"
#include "core/api.h"

namespace sbapi {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 3000;  // 0: any free port
  unsigned threads = 1;       // 0 is taken as 1
  std::size_t max_body_bytes = kMaxBodyBytes;
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds shutdown_timeout{10'000};
  bool stop_on_signals = false;  // SIGINT/SIGTERM → stop()
};

class HttpServer {
 public:
  // `api` and `access_log` must outlive the server. The log gets a line for each request the
  // server answers itself; the Api logs the rest.
  HttpServer(Api& api, AccessLog& access_log, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens; returns the bound port. Call once, before run().
  std::expected<std::uint16_t, std::string> start();

  // Serves until stopped and drained (or the shutdown timeout passes). Call once.
  void run();

  // Begins a graceful stop. Thread-safe; later calls do nothing.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sbapi
