// The local HTTP/1.1 server: Boost.Beast on one io_context, in front of `Api::handle`.
//
// Contract:
// - `start()` binds and listens on `host:port` (port 0 picks a free port) and returns the port
//   actually bound, or a message saying why it could not. `run()` then serves on `threads`
//   threads and blocks until the server has stopped. `stop()` is thread-safe, idempotent and may
//   be called before or during `run()`; with `stop_on_signals`, SIGINT and SIGTERM call it (the
//   handlers are installed by `start()`, so no signal can slip in between "listening" and `run()`).
// - I/O: `threads` event loops, one per thread; each accepted connection is given to one loop
//   (round robin) and stays there, so a connection's handlers never run concurrently and need no
//   locks, and the loops share nothing per request. HTTP/1.1 keep-alive and pipelining are
//   supported, `Expect: 100-continue` is answered. A connection waiting for its next request is
//   closed after `idle_timeout`; a request must arrive completely within `read_timeout` of its
//   first byte, its response be written within `write_timeout`, else the connection is closed.
// - The request is handed to the Api as a transport-neutral `Request` (method upper-case, path
//   and query split at the first '?', header names lower-case); the Api's headers are copied to
//   the wire as they are, plus Content-Length and Connection.
// - Transport-level failures on an API path are answered by `Api::reject`, like any API response:
//   a body over `max_body_bytes` (announced or actual) → 413 `{"error":"Request body too
//   large"}`, headers over 16 KiB → 431, any other malformed HTTP → 400 `{"error":"Malformed HTTP
//   request"}`; the Api sets the headers and writes the access-log line (method and route as far
//   as they were parsed, else "-"). The connection is then closed (after draining what the client
//   still sends, so it reads the response rather than a reset).
// - Object requests (with `objects` set): a request whose raw path `objects->matches()` goes to
//   the ObjectEndpoint instead of the Api, decided from the request head alone.
//   - PUT needs a Content-Length (none, e.g. chunked → 411 MissingContentLength) of at most
//     kMaxObjectBytes (else 400 EntityTooLarge); `begin_put` sees the head before any body byte
//     is read, and `Expect: 100-continue` is answered only once it has accepted. The body is
//     streamed into `ObjectUpload::write` in chunks of at most kObjectChunkBytes, then committed
//     → 200 with a quoted `ETag`. The read timeout is an inactivity timeout for object bodies
//     (no gap between received bytes longer than `read_timeout`), so a large upload is not cut
//     off; a response file is likewise written with `write_timeout` per write, not in total.
//     A body cut short (client gone, inactivity, server hard stop) or a failing write/commit
//     destroys the upload uncommitted, so nothing is stored.
//   - GET sends the file (Content-Type, Content-Length, quoted ETag, Last-Modified), HEAD the
//     same headers only; any other method → 405 MethodNotAllowed with `Allow: GET, HEAD, PUT`.
//   - Every object response carries `x-amz-request-id` and `X-Request-Id` (one new id) and
//     `Access-Control-Allow-Origin: *`; errors are the endpoint's S3 XML (`application/xml`),
//     and after a failed PUT the connection is closed (drained as above). Each object request
//     gets one access-log line with the route "/{bucket}/{key}" (never the key itself).
//   - The endpoint is called on the server's threads, concurrently for different connections;
//     an upload is used by one connection only. An exception from the endpoint becomes a 500
//     InternalError.
// - Blocking work: with `blocking_threads` > 0, an Api request that may wait for storage (a
//   write, which waits for its disk flush; with `offload_reads`, every request) is handled on a
//   separate pool of that many threads, and its response is written back on the connection's
//   loop; so is the commit of an object upload. The loops keep serving other connections
//   meanwhile, and many writes can wait on the same flush (the SQLite adapter commits
//   concurrent writes together). Without the pool all of these run on the loop and hold up its
//   other connections meanwhile (the first loop's also holds up accepting).
// - Asynchronous writes: with `async_api`, a write whose route the Api can answer later (its
//   `Api::route` match has an async handler: POST, PUT and DELETE of /users) is handed to
//   `Api::handle_async` on the loop; when the storage's thread has committed it, the rest of the
//   request (the answer) runs back on the loop (RequestContext::resume) and is written (no thread
//   waits for the write). Each request is routed once; the match goes with it to the Api.
// - Connections: at most `max_connections` at once (see the option); the refused ones get
//   `Api::reject`'s 503 `{"error":"Too many connections"}` with `Retry-After: 1`. A failing
//   accept (file descriptors exhausted) is retried every 100 ms and logged at most once a second.
// - Graceful stop: stop accepting, close idle connections at once, let requests in flight (object
//   uploads and downloads included) be answered (with `Connection: close`) and written, then
//   `run()` returns. Whatever is still
//   running after `shutdown_timeout` is abandoned.
//
// The files behind it, by job: server.cc (listener, event loops, blocking pool, start/run/stop),
// connection.cc (one connection's lifecycle: heads, refusals, writes, keep-alive, close),
// api_requests.cc (requests for the Api), object_requests.cc (requests for the ObjectEndpoint),
// wire.cc (pure conversions between the wire and Request/Response). Beast and Asio stay inside
// src/server (and asio_impl.cc compiles them): this header is all the rest of the build sees.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>

#include "core/access_log.h"
#include "core/api.h"
#include "server/object_endpoint.h"
#include "server/server_observer.h"

namespace sbapi {

// The buffer an object body is streamed through: each ObjectUpload::write gets at most this.
inline constexpr std::size_t kObjectChunkBytes = 128 * 1024;
// The largest request head (start line and fields) read; larger → 431.
inline constexpr std::uint32_t kHeaderLimit = 16 * 1024;
// The most a connection holds of bytes read but not yet parsed: a head, the object chunk its
// body is read through, and no more. Beast bounds a head by its header limit but not a chunked
// body's trailer section, which without this bound could grow until memory runs out (→ 431).
inline constexpr std::size_t kReadBufferLimit = kObjectChunkBytes + kHeaderLimit;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 3000;  // 0: any free port
  unsigned threads = 1;       // I/O threads, each with its own event loop; 0 is taken as 1
  // Threads that run the Api for requests that may block on storage (see "Blocking work"
  // above); 0 runs every request on the I/O threads.
  unsigned blocking_threads = 0;
  // With blocking threads: also send reads (GET, HEAD, OPTIONS) there, for backends where a read
  // waits on the network (DynamoDB); otherwise only writes go.
  bool offload_reads = false;
  // The Api's asynchronous routes (Api::handle_async) are called on the loops: set it when
  // their storage really completes on its own (SQLite's group commit), not when it would
  // block the loop (the Table default).
  bool async_api = false;
  std::size_t max_body_bytes = kMaxBodyBytes;
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds shutdown_timeout{10'000};
  // Open connections at most (0: no cap). At the cap a new connection closes an idle one (one
  // waiting for its next request) to take its place, or, when none is idle, is answered 503
  // and closed. `sbapi serve` derives it from the file-descriptor limit.
  std::size_t max_connections = 0;
  // An object upload must average at least this many bytes per second once `upload_grace` has
  // passed (a body trickling a byte every few seconds would hold a connection for ever); 0: no
  // minimum. Each read still has `read_timeout`.
  std::uint64_t min_upload_bytes_per_second = 1024;
  std::chrono::milliseconds upload_grace{30'000};
  bool stop_on_signals = false;  // SIGINT/SIGTERM → stop()
  // Serves path-style object requests (see above); not owned, must outlive the server.
  ObjectEndpoint* objects = nullptr;
  // Told about connections, requests under way and uploads (metrics); not owned, must outlive
  // the server. Null: nobody.
  ServerObserver* observer = nullptr;
};

class HttpServer {
 public:
  // `api`, `access_log` and `options.objects` must outlive the server. The log gets a line for
  // each request the server answers itself (every object request among them); the Api logs the
  // rest.
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
