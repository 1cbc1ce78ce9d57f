// One HTTP/1.1 connection of the server, from accept to close. Internal to src/server.
//
// Every handler runs on the connection's loop (the socket's executor), which one thread runs, so
// the members need no locks. Only the work handed to the blocking pool (an Api call, an upload's
// commit) runs elsewhere, and it touches no member.
//
// A request's head is read first (with a header-only parser); the head decides where the request
// goes, and the same parser goes on as a string_body parser for the Api (api_requests.cc) or as a
// buffer_body parser for an object upload (object_requests.cc). This file's connection.cc holds
// the lifecycle shared by both: reading heads, refusing what cannot be read, writing, keep-alive,
// draining and closing.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/trace_context.h"
#include "server/object_endpoint.h"
#include "server/server.h"

namespace sbapi::server {

namespace http = boost::beast::http;
using BeastResponse = http::response<http::string_body>;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server& server, boost::asio::ip::tcp::socket socket)
      : server_(server), stream_(std::move(socket)), buffer_(kReadBufferLimit) {}
  ~Connection() {
    end_request();
    server_.remove(this);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();
  // Answers 503 (too many connections) without reading a request, then closes.
  void refuse();
  // Waiting for its next request (thread-safe: read by the accepting loop).
  [[nodiscard]] bool idle() const { return idle_.load(std::memory_order_relaxed); }

  // The server is stopping: a connection between requests is closed now; one in the middle of
  // a request notices `stopping()` once its response is written.
  void shutdown();

 private:
  enum class Phase { kStarting, kIdle, kReading, kHandling, kWriting, kClosing };

  // A GET response being written: the serializer refers to the message, so both live together.
  struct FileResponse {
    http::response<http::file_body> message;
    std::optional<http::response_serializer<http::file_body>> serializer;
  };

  // ---- lifecycle (connection.cc) ----
  void next_request();
  void read_header();
  void on_header(boost::system::error_code ec);
  // A request that could not be read. Only real protocol errors get an answer; a client that
  // went away or timed out is simply closed.
  void fail(boost::system::error_code ec);
  // Answers a request that could not be read whole, and closes the connection: the Api's answer
  // for an API path, an S3-style one for an object request.
  void reject(http::status status, std::string_view message);
  // Writes `wire_` (a whole response), then goes on as after any response.
  void write_wire(bool keep_alive);
  void send(BeastResponse response, bool keep_alive);
  void after_write(bool keep_alive);
  void close_gracefully();
  void drain(std::size_t drained);
  void close();
  std::int64_t latency_us() const;
  // The head of the request being read, whichever parser holds it now.
  const http::request_header<>& current_head() const;
  // Whether the object endpoint serves this path (an escaped exception: it does not).
  // The observer's requests under way: one begins with its first byte, and ends when its
  // response is written or the connection closes.
  void begin_request();
  void end_request();
  bool is_object_path(std::string_view path) const;

  // This connection's loop, counting whatever holds the executor as work in progress: the loop
  // (and so a graceful stop) waits for an answer coming back from another thread.
  boost::asio::any_io_executor tracked_loop();

  // Runs `work` on `pool`, then `then(result)` back on this connection's loop.
  template <class Work, class Then>
  void off_loop(boost::asio::thread_pool& pool, Work work, Then then) {
    boost::asio::post(
        pool, [loop = tracked_loop(), work = std::move(work), then = std::move(then)]() mutable {
          auto result = work();
          boost::asio::post(loop, [then = std::move(then), result = std::move(result)]() mutable {
            then(std::move(result));
          });
        });
  }

  // ---- API requests (api_requests.cc) ----
  void on_api_header();
  void read_body();
  void on_request(boost::system::error_code ec);
  // Thread-safe: may run on the blocking pool.
  Response call_api(const Request& request, const Router::Match& match);
  void respond(Response&& response, unsigned version, bool keep_alive, bool head);
  void reject_api(http::status status, std::string_view message);

  // ---- object requests (object_requests.cc) ----
  void on_object_header();
  void begin_object_put(const Request& head);
  void read_object_body();
  void reset_chunk();
  void read_object_some();
  void on_object_some(boost::system::error_code ec);
  void commit_upload();
  void on_upload_committed(std::expected<StoredObject, ObjectError> stored);
  void abort_upload(std::string_view why);
  void serve_object(const Request& head);
  void write_file(std::shared_ptr<FileResponse> file, bool keep_alive);
  template <class Message>
  void set_object_headers(Message& message) const;
  BeastResponse object_error_response(const ObjectError& error, bool head_request) const;
  void send_object(BeastResponse response, bool keep_alive);
  void log_object(unsigned status);
  void reject_object(http::status status, std::string_view message);
  // An endpoint call, with an escaped exception turned into an InternalError.
  template <class F>
  auto guarded(F&& call) -> decltype(call());

  Server& server_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  // Exactly one of these holds the request being read: the head parser until the head is in,
  // then the one it was turned into.
  std::optional<http::request_parser<http::empty_body>> head_parser_;
  std::optional<http::request_parser<http::string_body>> api_parser_;
  // The head's field count, for a chunked API body: Beast adds trailer fields to the head, and
  // a request with any is refused (they would bypass the checks made on the head).
  std::size_t head_fields_ = 0;
  std::optional<http::request_parser<http::buffer_body>> object_parser_;
  std::optional<BeastResponse> response_;  // alive until its write completes
  std::string wire_;                       // an Api response being written
  Phase phase_ = Phase::kStarting;
  std::atomic<bool> idle_{false};  // phase_ == kIdle, for other threads
  bool in_request_ = false;        // between a request's first byte and its end (the observer)
  // An object body being read: when it started and how much has come (minimum upload rate).
  std::chrono::steady_clock::time_point upload_started_;
  std::uint64_t upload_received_ = 0;
  std::chrono::steady_clock::time_point request_started_;
  std::array<char, 4096> drain_buffer_{};

  // The object request under way.
  std::string object_request_id_;
  std::string object_method_;
  TraceContext object_trace_;  // the response's traceparent, the log line's traceId
  unsigned object_version_ = 11;
  std::unique_ptr<ObjectUpload> upload_;  // destroyed uncommitted unless the body is complete
  std::unique_ptr<char[]> chunk_;         // kObjectChunkBytes, while a body is streamed
};

}  // namespace sbapi::server
