#include "server/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/none.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <exception>
#include <iterator>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/access_log.h"
#include "core/object_endpoint.h"
#include "core/request_id.h"
#include "core/router.h"

namespace sbapi {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using BeastRequest = http::request<http::string_body>;
using BeastResponse = http::response<http::string_body>;

constexpr std::uint32_t kHeaderLimit = 16 * 1024;
// The first read of a request: a whole small request in one go.
constexpr std::size_t kFirstReadBytes = 4 * 1024;
// After an error response the server half-closes and reads what the client is still sending
// (up to these bounds) before closing: closing with unread data would make the kernel send a
// reset, and the client would likely lose the response it has not read yet.
constexpr std::size_t kDrainLimit = 1024 * 1024;
constexpr std::chrono::seconds kDrainTimeout{2};
// Accepting fails on resource exhaustion (EMFILE); retrying at once would only spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// What the access log says of an object request: never the bucket or key themselves.
constexpr std::string_view kObjectRoute = "/{bucket}/{key}";

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && beast::iequals(s.substr(0, prefix.size()), prefix);
}

std::string upper_method(std::string_view method) {
  std::string upper(method);
  std::ranges::transform(upper, upper.begin(), ascii_upper);
  return upper;
}

// The request target as path and query (without '?').
std::pair<std::string, std::string> split_target(std::string_view target) {
  // Absolute form ("http://host/path?q", RFC 9112 §3.2.2): only path and query matter here.
  if (starts_with_icase(target, "http://") || starts_with_icase(target, "https://")) {
    const auto authority = target.find("//") + 2;
    const auto rest = target.find_first_of("/?", authority);
    target = rest == std::string_view::npos ? std::string_view() : target.substr(rest);
  }
  const auto question = target.find('?');
  std::string path(target.substr(0, question));
  if (path.empty()) path = "/";
  std::string query(question == std::string_view::npos ? std::string_view()
                                                       : target.substr(question + 1));
  return {std::move(path), std::move(query)};
}

// Method, path, query and lower-case headers; no body.
Request to_request_head(const http::request_header<>& message) {
  Request request;
  request.method = upper_method(message.method_string());
  std::tie(request.path, request.query) = split_target(message.target());

  request.headers.reserve(static_cast<std::size_t>(std::distance(message.begin(), message.end())));
  for (const auto& field : message) {
    std::string name(field.name_string());
    std::ranges::transform(name, name.begin(), ascii_lower);
    request.headers.push_back({std::move(name), std::string(field.value())});
  }
  return request;
}

Request to_request(BeastRequest&& message) {
  Request request = to_request_head(message);
  request.body = std::move(message.body());
  return request;
}

// RFC 9110 §5.6.7 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT"; empty if out of range.
std::string http_date(std::int64_t epoch_seconds) {
  static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed",
                                                    "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto time = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  if (epoch_seconds < 0 || ::gmtime_r(&time, &tm) == nullptr || tm.tm_year + 1900 > 9999) {
    return {};
  }
  char text[32];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return text;
}

std::string quote_etag(std::string_view etag) { return "\"" + std::string(etag) + "\""; }

ObjectError internal_error() {
  return {500, "InternalError", "We encountered an internal error. Please try again."};
}

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != s.npos; }

// The Api's response as bytes on the wire, written without Beast's serializer: one contiguous
// buffer, no per-header allocations (a third of the server's user-space time per request went
// to the serializer and its fields container).
// Appended to `wire`, so that a connection reuses its buffer from one response to the next.
void append_wire_response(std::string& wire, Response&& response, unsigned version, bool keep_alive,
                          bool head_request) {
  const int status = (response.status >= 100 && response.status <= 999) ? response.status : 500;
  const auto reason = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status)));
  // 1xx, 204 and 304 have no body and no Content-Length; a HEAD response announces the length
  // of the body it leaves out.
  const bool has_body = status / 100 != 1 && status != 204 && status != 304;
  wire.reserve(wire.size() + 160 + response.body.size() + response.headers.size() * 48);
  wire += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  wire += std::to_string(status);
  wire += ' ';
  wire.append(reason.data(), reason.size());
  wire += "\r\n";
  for (const auto& [name, value] : response.headers) {
    // Framing is the server's business; and a header that could split the response is dropped
    // rather than sent.
    if (name == "content-length" || name == "transfer-encoding" || name == "connection") continue;
    if (name.empty() || has_line_break(name) || has_line_break(value)) continue;
    wire += name;
    wire += ": ";
    wire += value;
    wire += "\r\n";
  }
  // As Beast would say it: HTTP/1.1 persists unless told otherwise, HTTP/1.0 the reverse.
  if (version >= 11 && !keep_alive) wire += "Connection: close\r\n";
  if (version < 11 && keep_alive) wire += "Connection: keep-alive\r\n";
  if (has_body) {
    wire += "Content-Length: ";
    wire += std::to_string(response.body.size());
    wire += "\r\n";
  }
  wire += "\r\n";
  if (has_body && !head_request) wire += response.body;
}

BeastResponse error_message(http::status status, std::string_view message,
                            std::string_view request_id) {
  BeastResponse response{status, 11};
  // Lower-case names, like the headers the Api sets.
  response.set("content-type", "application/json");
  response.set("access-control-allow-origin", "*");
  response.set("x-request-id", request_id);
  response.body() = "{\"error\":\"" + std::string(message) + "\"}";
  response.content_length(response.body().size());
  return response;
}

bool is_http_error(const error_code& ec) {
  return ec.category() == make_error_code(http::error::bad_method).category();
}

class Session;

using Loop = asio::io_context;

std::vector<std::unique_ptr<Loop>> make_loops(unsigned count) {
  std::vector<std::unique_ptr<Loop>> loops;
  for (unsigned i = 0; i < std::max(1u, count); ++i) {
    // Concurrency hint 1: each loop is run by one thread only.
    loops.push_back(std::make_unique<Loop>(1));
  }
  return loops;
}

// Everything behind HttpServer. Lifetimes: sessions hold a reference to the server; every
// session either ends while the loops run, or (after a hard stop) is destroyed with its loop;
// the loops are declared after the session registry so they go first, and the blocking pool
// (whose tasks hold sessions) after the loops, so it goes before them.
class Server {
 public:
  Server(Api& api, AccessLog& access_log, HttpServerOptions options)
      : api_(api),
        access_log_(access_log),
        options_(std::move(options)),
        loops_(make_loops(options_.threads)),
        acceptor_(*loops_.front()),
        accept_retry_(*loops_.front()) {
    // A loop with nothing to do would return from run() at once; these keep every loop running
    // until do_stop() lets go.
    for (auto& loop : loops_) keep_running_.push_back(asio::make_work_guard(*loop));
    if (options_.blocking_threads > 0) blocking_.emplace(options_.blocking_threads);
  }

  std::expected<std::uint16_t, std::string> start();
  void run();
  void stop();

  Api& api() { return api_; }
  AccessLog& access_log() { return access_log_; }
  const HttpServerOptions& options() const { return options_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  // Whether the Api answers this request from its storage's thread (see the contract).
  bool answers_later(const Request& request) const {
    if (!options_.async_api) return false;
    const bool read =
        request.method == "GET" || request.method == "HEAD" || request.method == "OPTIONS";
    return !read && api_.is_async(request.method, request.path);
  }

  // The pool for work that may block (see the contract), or null when there is none.
  asio::thread_pool* blocking_pool() { return blocking_ ? &*blocking_ : nullptr; }

  // The pool for an Api request with this method, or null when it runs on the loop.
  asio::thread_pool* blocking_pool_for(std::string_view method) {
    const bool read = method == "GET" || method == "HEAD" || method == "OPTIONS";
    return (options_.offload_reads || !read) ? blocking_pool() : nullptr;
  }

  void add(const std::shared_ptr<Session>& session) {
    std::lock_guard lock(sessions_mutex_);
    sessions_.emplace(session.get(), session);
  }
  void remove(Session* session) {
    std::lock_guard lock(sessions_mutex_);
    sessions_.erase(session);
  }

 private:
  void do_accept();
  void on_accept(error_code ec, tcp::socket socket);
  void do_stop();

  Api& api_;
  AccessLog& access_log_;
  const HttpServerOptions options_;
  std::atomic<bool> stopping_{false};

  std::mutex sessions_mutex_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;

  // run() ↔ stop() handshake.
  std::mutex run_mutex_;
  std::condition_variable run_cv_;
  bool started_ = false;
  bool running_ = false;
  bool stop_requested_ = false;
  unsigned running_workers_ = 0;

  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<asio::executor_work_guard<Loop::executor_type>> keep_running_;
  std::size_t next_loop_ = 0;  // round robin of accepted connections; used on the first loop
  // Acceptor, accept retry timer and signals live on the first loop, and so does do_stop().
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  std::optional<asio::signal_set> signals_;
  std::optional<asio::thread_pool> blocking_;
};

// One connection. Every handler runs on the connection's loop (the socket's executor), which one
// thread runs, so the members need no locks. Only the Api call itself may run on the blocking
// pool, and it touches no member.
//
// A request's head is read first (with a header-only parser); then the same parser goes on as a
// string_body parser for the Api, or as a buffer_body parser for an object upload.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Server& server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {}
  ~Session() { server_.remove(this); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    server_.add(shared_from_this());
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->next_request(); });
  }

  // The server is stopping: a connection between requests is closed now; one in the middle of
  // a request notices `stopping()` once its response is written.
  void shutdown() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->phase_ == Phase::kIdle) self->close();
    });
  }

 private:
  enum class Phase { kStarting, kIdle, kReading, kHandling, kWriting, kClosing };

  // A GET response being written: the serializer refers to the message, so both live together.
  struct FileResponse {
    http::response<http::file_body> message;
    std::optional<http::response_serializer<http::file_body>> serializer;
  };

  void next_request() {
    if (server_.stopping()) return close();
    if (buffer_.size() > 0) return read_header();  // pipelined request already buffered
    // The first bytes are read separately, so that idle connections can be told apart from ones
    // with a request under way (the former are closed on shutdown, the latter are served), and
    // so that the idle timeout applies until they come, the read timeout after. A plain read
    // rather than a readiness wait: Asio then needs no epoll_ctl per request.
    phase_ = Phase::kIdle;
    stream_.expires_after(server_.options().idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this()](error_code ec, std::size_t n) {
                              if (self->phase_ != Phase::kIdle) return;  // closed meanwhile
                              if (ec) return self->close();  // idle timeout, or the client left
                              self->buffer_.commit(n);
                              self->read_header();
                            });
  }

  void read_header() {
    phase_ = Phase::kReading;
    request_started_ = std::chrono::steady_clock::now();
    api_parser_.reset();
    object_parser_.reset();  // before the chunk buffer its body points into
    chunk_.reset();
    object_request_id_.clear();
    head_parser_.emplace();
    head_parser_->header_limit(kHeaderLimit);
    // The body limit depends on where the request goes, which the head decides.
    head_parser_->body_limit(boost::none);
    stream_.expires_after(server_.options().read_timeout);
    http::async_read_header(
        stream_, buffer_, *head_parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(error_code ec) {
    if (ec) return fail(ec);
    ObjectEndpoint* objects = server_.options().objects;
    if (objects != nullptr) {
      const auto path = split_target(head_parser_->get().target()).first;
      bool is_object = false;
      try {
        is_object = objects->matches(path);
      } catch (const std::exception& e) {
        log_event("error", "object endpoint failed", {{"detail", e.what()}});
      }
      if (is_object) return on_object_header();
    }
    on_api_header();
  }

  // ---- API requests ----

  void on_api_header() {
    const auto announced = head_parser_->content_length();
    if (announced && *announced > server_.options().max_body_bytes) {
      return reject(http::status::payload_too_large, "Request body too large");
    }
    api_parser_.emplace(std::move(*head_parser_));
    head_parser_.reset();
    api_parser_->body_limit(server_.options().max_body_bytes);  // also bounds a chunked body
    const auto& message = api_parser_->get();
    if (!api_parser_->is_done() && message.version() >= 11 &&
        beast::iequals(message[http::field::expect], "100-continue")) {
      // The body is within limits (an oversized Content-Length was refused above), so invite it.
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = shared_from_this()](error_code ec, std::size_t) {
                          if (ec) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(
        stream_, buffer_, *api_parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_request(ec); });
  }

  void on_request(error_code ec) {
    if (ec) return fail(ec);
    stream_.expires_never();
    phase_ = Phase::kHandling;
    BeastRequest message = api_parser_->release();
    api_parser_.reset();
    const unsigned version = message.version();
    const bool keep_alive = message.keep_alive();
    const bool head = message.method() == http::verb::head;

    Request request = to_request(std::move(message));
    if (server_.answers_later(request)) {
      // The Api answers from its storage's thread once the write is committed; until then the
      // loop serves other connections, and counts this as work in progress (a graceful stop
      // waits for it). An answer given at once (a 400) is written at once.
      call_api_async(request, [self = shared_from_this(), loop = tracked_loop(), version,
                               keep_alive, head](Response response) mutable {
        asio::dispatch(loop, [self = std::move(self), response = std::move(response), version,
                              keep_alive, head]() mutable {
          self->respond(std::move(response), version, keep_alive, head);
        });
      });
      return;
    }
    if (auto* pool = server_.blocking_pool_for(request.method)) {
      return off_loop(
          *pool,
          [self = shared_from_this(), request = std::move(request)] {
            return self->call_api(request);
          },
          [self = shared_from_this(), version, keep_alive, head](Response response) {
            self->respond(std::move(response), version, keep_alive, head);
          });
    }
    respond(call_api(request), version, keep_alive, head);
  }

  void call_api_async(const Request& request, Respond done) {
    try {
      return server_.api().handle_async(request, {}, std::move(done));
    } catch (const std::exception& e) {
      // As in call_api; the Api answers at most once, so this cannot answer twice.
      log_event("error", "unhandled exception in request", {{"detail", e.what()}});
    }
  }

  // This connection's loop, counting whatever holds the executor as work in progress: the loop
  // (and so a graceful stop) waits for an answer coming back from another thread.
  asio::any_io_executor tracked_loop() {
    return asio::prefer(stream_.get_executor(), asio::execution::outstanding_work.tracked);
  }

  // Runs `work` on `pool`, then `then(result)` back on this connection's loop.
  template <class Work, class Then>
  void off_loop(asio::thread_pool& pool, Work work, Then then) {
    asio::post(pool,
               [loop = tracked_loop(), work = std::move(work), then = std::move(then)]() mutable {
                 auto result = work();
                 asio::post(loop, [then = std::move(then), result = std::move(result)]() mutable {
                   then(std::move(result));
                 });
               });
  }

  // Thread-safe: may run on the blocking pool.
  Response call_api(const Request& request) {
    try {
      return server_.api().handle(request);
    } catch (const std::exception& e) {
      // The Api turns its own failures into responses; this is only a last resort.
      log_event("error", "unhandled exception in request", {{"detail", e.what()}});
    }
    Response response{
        500, {{"content-type", "application/json"}}, R"({"error":"Internal server error"})"};
    response.set_header("access-control-allow-origin", "*");
    response.set_header("x-request-id", new_request_id());
    return response;
  }

  void respond(Response&& response, unsigned version, bool keep_alive, bool head) {
    const std::string* connection = response.header("connection");
    const bool api_closes = connection != nullptr && beast::iequals(*connection, "close");
    keep_alive = keep_alive && !api_closes && !server_.stopping();
    append_wire_response(wire_, std::move(response), version, keep_alive, head);
    phase_ = Phase::kWriting;
    stream_.expires_after(server_.options().write_timeout);
    asio::async_write(stream_, asio::buffer(wire_),
                      [self = shared_from_this(), keep_alive](error_code ec, std::size_t) {
                        self->wire_.clear();
                        if (ec) return self->close();
                        self->after_write(keep_alive);
                      });
  }

  // ---- Object requests ----

  void on_object_header() {
    const auto& message = head_parser_->get();
    object_request_id_ = new_request_id();
    object_method_ = upper_method(message.method_string());
    object_version_ = message.version();
    const Request head = to_request_head(message);
    switch (message.method()) {
      case http::verb::put:
        return begin_object_put(head);
      case http::verb::get:
      case http::verb::head:
        return serve_object(head);
      case http::verb::options: {
        // CORS preflight: a browser asks before a PUT with a non-simple Content-Type. Like the
        // API's preflight it needs no signature; the real request still does.
        BeastResponse response{http::status::no_content, object_version_};
        set_object_headers(response);
        response.set(http::field::access_control_allow_methods, "GET,HEAD,PUT,OPTIONS");
        response.set(http::field::access_control_allow_headers, "Content-Type");
        response.set(http::field::access_control_max_age, "600");
        return send_object(std::move(response), message.keep_alive() && head_parser_->is_done());
      }
      default: {
        // A body the request may carry is not read: the connection closes after the answer.
        auto response = object_error_response(
            {405, "MethodNotAllowed", "The specified method is not allowed against this resource."},
            /*head_request=*/false);
        response.set(http::field::allow, "GET, HEAD, PUT, OPTIONS");
        return send_object(std::move(response), message.keep_alive() && head_parser_->is_done());
      }
    }
  }

  void begin_object_put(const Request& head) {
    const auto length = head_parser_->content_length();
    if (!length) {  // chunked, or no length at all
      return send_object(object_error_response({411, "MissingContentLength",
                                                "You must provide the Content-Length HTTP header."},
                                               false),
                         false);
    }
    if (*length > kMaxObjectBytes) {
      return send_object(object_error_response({400, "EntityTooLarge",
                                                "Your proposed upload exceeds the maximum "
                                                "allowed size"},
                                               false),
                         false);
    }
    stream_.expires_never();  // the endpoint may take its time; the client waits for it
    auto upload = guarded([&] { return server_.options().objects->begin_put(head, *length); });
    if (upload && *upload == nullptr) upload = std::unexpected(internal_error());
    if (!upload) return send_object(object_error_response(upload.error(), false), false);
    upload_ = std::move(*upload);

    object_parser_.emplace(std::move(*head_parser_));
    head_parser_.reset();
    const auto& message = object_parser_->get();
    if (!object_parser_->is_done() && message.version() >= 11 &&
        beast::iequals(message[http::field::expect], "100-continue")) {
      stream_.expires_after(server_.options().write_timeout);
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = shared_from_this()](error_code ec, std::size_t) {
                          if (ec) return self->abort_upload("writing 100 Continue failed");
                          self->read_object_body();
                        });
      return;
    }
    read_object_body();
  }

  void read_object_body() {
    // Beast sizes each socket read by the buffer's spare capacity, which is only what the
    // header needed: without this, a large upload arrives in ~4 KiB reads (measured 30 MB/s).
    buffer_.reserve(kObjectChunkBytes);
    chunk_ = std::make_unique<char[]>(kObjectChunkBytes);
    reset_chunk();
    read_object_some();
  }

  void reset_chunk() {
    auto& body = object_parser_->get().body();
    body.data = chunk_.get();
    body.size = kObjectChunkBytes;
  }

  // One read from the socket at a time, each with its own deadline: an inactivity timeout, so
  // that a large body is not cut off by a per-request limit.
  void read_object_some() {
    if (object_parser_->is_done()) return commit_upload();
    stream_.expires_after(server_.options().read_timeout);
    http::async_read_some(
        stream_, buffer_, *object_parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_object_some(ec); });
  }

  void on_object_some(error_code ec) {
    if (ec == http::error::need_buffer) ec = {};  // the chunk buffer is full
    if (ec) return abort_upload(ec.message());
    auto& body = object_parser_->get().body();
    const std::size_t filled = kObjectChunkBytes - body.size;
    if (filled > 0 && (body.size == 0 || object_parser_->is_done())) {
      auto written =
          guarded([&] { return upload_->write(std::string_view(chunk_.get(), filled)); });
      if (!written) {
        upload_.reset();  // discards what was written
        return send_object(object_error_response(written.error(), false), false);
      }
      reset_chunk();
    }
    read_object_some();
  }

  void commit_upload() {
    stream_.expires_never();
    phase_ = Phase::kHandling;
    chunk_.reset();
    // The commit waits for the disk (fsync, then the upload is recorded): on the blocking pool
    // when there is one, like an Api write. The connection does nothing else meanwhile.
    if (auto* pool = server_.blocking_pool()) {
      return off_loop(
          *pool,
          [self = shared_from_this(), upload = std::move(upload_)]() mutable {
            auto stored = self->guarded([&] { return upload->commit(); });
            upload.reset();  // on the pool: an uncommitted upload's clean-up touches the disk too
            return stored;
          },
          [self = shared_from_this()](std::expected<StoredObject, ObjectError> stored) {
            self->on_upload_committed(std::move(stored));
          });
    }
    auto stored = guarded([&] { return upload_->commit(); });
    upload_.reset();
    on_upload_committed(std::move(stored));
  }

  void on_upload_committed(std::expected<StoredObject, ObjectError> stored) {
    if (!stored) return send_object(object_error_response(stored.error(), false), false);
    BeastResponse response{http::status::ok, object_version_};
    set_object_headers(response);
    response.set(http::field::etag, quote_etag(stored->etag));
    response.content_length(0);
    send_object(std::move(response), object_parser_->get().keep_alive());
  }

  // The body will not be read to its end: the upload is dropped uncommitted, and so is the
  // connection (without a response: the client is gone, too slow, or the server is stopping).
  void abort_upload(std::string_view why) {
    upload_.reset();
    log_event("warn", "object upload aborted",
              {{"requestId", object_request_id_}, {"detail", std::string(why)}});
    close();
  }

  void serve_object(const Request& head) {
    const bool head_request = head.method == "HEAD";
    // A body the request may carry is not read: the connection closes after the answer.
    const bool keep_alive = head_parser_->get().keep_alive() && head_parser_->is_done();
    stream_.expires_never();
    phase_ = Phase::kHandling;
    auto download = guarded([&] { return server_.options().objects->get(head); });
    if (!download) {
      return send_object(object_error_response(download.error(), head_request), keep_alive);
    }
    const std::string content_type =
        download->content_type.empty() ? "application/octet-stream" : download->content_type;
    const std::string last_modified = http_date(download->last_modified);

    auto fill_headers = [&](auto& message) {
      set_object_headers(message);
      message.set(http::field::content_type, content_type);
      message.set(http::field::etag, quote_etag(download->etag));
      if (!last_modified.empty()) message.set(http::field::last_modified, last_modified);
      message.set(http::field::accept_ranges, "none");
    };

    if (head_request) {
      BeastResponse response{http::status::ok, object_version_};
      fill_headers(response);
      response.content_length(download->size);
      return send_object(std::move(response), keep_alive);
    }

    auto file = std::make_shared<FileResponse>();
    error_code ec;
    file->message.body().open(download->file_path.c_str(), beast::file_mode::scan, ec);
    if (ec) {
      // Gone between the lookup and the open (a concurrent delete), or unreadable.
      const bool gone = ec == boost::system::errc::no_such_file_or_directory;
      if (!gone) log_event("error", "cannot open object file", {{"detail", ec.message()}});
      return send_object(
          object_error_response(
              gone ? ObjectError{404, "NoSuchKey", "The specified key does not exist."}
                   : internal_error(),
              false),
          keep_alive);
    }
    file->message.result(http::status::ok);
    file->message.version(object_version_);
    fill_headers(file->message);
    // The length of the file actually opened: a stored object is replaced by a rename, so the
    // open file is one consistent version.
    file->message.content_length(file->message.body().size());
    log_object(200);
    const bool keep = keep_alive && !server_.stopping();
    file->message.keep_alive(keep);
    file->serializer.emplace(file->message);
    phase_ = Phase::kWriting;
    write_file(std::move(file), keep);
  }

  // Written piece by piece, each with its own deadline, so a large file is not cut off.
  void write_file(std::shared_ptr<FileResponse> file, bool keep_alive) {
    stream_.expires_after(server_.options().write_timeout);
    auto& serializer = *file->serializer;
    http::async_write_some(stream_, serializer,
                           [self = shared_from_this(), file = std::move(file), keep_alive](
                               error_code ec, std::size_t) mutable {
                             if (ec) return self->close();
                             if (!file->serializer->is_done())
                               return self->write_file(std::move(file), keep_alive);
                             file.reset();
                             self->after_write(keep_alive);
                           });
  }

  template <class Message>
  void set_object_headers(Message& message) const {
    message.set("x-amz-request-id", object_request_id_);
    message.set("x-request-id", object_request_id_);
    message.set(http::field::access_control_allow_origin, "*");
    message.set(http::field::access_control_expose_headers, "ETag,x-amz-request-id");
  }

  BeastResponse object_error_response(const ObjectError& error, bool head_request) const {
    const int status = (error.status >= 400 && error.status <= 599) ? error.status : 500;
    BeastResponse response{static_cast<http::status>(status), object_version_};
    set_object_headers(response);
    response.set(http::field::content_type, "application/xml");
    std::string body;
    try {
      body = server_.options().objects->error_body(error, object_request_id_);
    } catch (const std::exception& e) {
      log_event("error", "object endpoint failed", {{"detail", e.what()}});
      body =
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>"
          "<Message>We encountered an internal error. Please try again.</Message>"
          "<RequestId>" +
          object_request_id_ + "</RequestId></Error>";
    }
    // A HEAD response announces the length of the body it leaves out.
    response.content_length(body.size());
    if (!head_request) response.body() = std::move(body);
    return response;
  }

  void send_object(BeastResponse response, bool keep_alive) {
    log_object(response.result_int());
    send(std::move(response), keep_alive);
  }

  void log_object(unsigned status) {
    server_.access_log().write({object_request_id_, object_method_, kObjectRoute,
                                static_cast<int>(status), latency_us(), false});
  }

  // An endpoint call, with an escaped exception turned into an InternalError.
  template <class F>
  auto guarded(F&& call) -> decltype(call()) {
    try {
      return call();
    } catch (const std::exception& e) {
      log_event("error", "object endpoint failed", {{"detail", e.what()}});
    } catch (...) {
      log_event("error", "object endpoint failed", {{"detail", "unknown exception"}});
    }
    return std::unexpected(internal_error());
  }

  // ---- Common ----

  std::int64_t latency_us() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 request_started_)
        .count();
  }

  // The head of the request being read, whichever parser holds it now.
  const http::request_header<>& current_head() const {
    if (object_parser_) return object_parser_->get();
    if (api_parser_) return api_parser_->get();
    return head_parser_->get();
  }

  // A request that could not be read. Only real protocol errors get an answer; a client that
  // went away or timed out is simply closed.
  void fail(error_code ec) {
    if (ec == http::error::body_limit) {
      return reject(http::status::payload_too_large, "Request body too large");
    }
    if (ec == http::error::header_limit) {
      return reject(http::status::request_header_fields_too_large,
                    "Request header fields too large");
    }
    if (is_http_error(ec) && ec != http::error::end_of_stream &&
        ec != http::error::partial_message) {
      return reject(http::status::bad_request, "Malformed HTTP request");
    }
    close();
  }

  // Answers a request the Api never saw, logs it as the Api would, and closes the connection.
  // A request already known to be an object request gets an S3-style answer instead.
  void reject(http::status status, std::string_view message) {
    const std::string request_id = new_request_id();
    // Whatever of the request line was parsed before the error; a request that is too large is
    // still attributed to its method and route.
    const auto& partial = current_head();
    const std::string method = upper_method(partial.method_string());
    std::string_view route = "-";
    Router::Match match;
    bool is_object = false;
    if (!method.empty() && !partial.target().empty()) {
      const auto path = split_target(partial.target()).first;
      ObjectEndpoint* objects = server_.options().objects;
      try {
        is_object = objects != nullptr && objects->matches(path);
      } catch (const std::exception&) {
      }
      if (is_object) {
        route = kObjectRoute;
      } else {
        match = server_.api().router().match(method, path);
        if (match.kind != Router::Match::Kind::kNotFound) route = match.route;
      }
    }
    server_.access_log().write({request_id, method.empty() ? "-" : method, route,
                                static_cast<int>(status), latency_us(), false});
    if (!is_object) return send(error_message(status, message, request_id), false);

    object_request_id_ = request_id;
    object_version_ = partial.version() == 10 ? 10 : 11;
    const char* code = status == http::status::payload_too_large ? "EntityTooLarge"
                       : status == http::status::request_header_fields_too_large
                           ? "RequestHeaderSectionTooLarge"
                           : "MalformedHTTPRequest";
    send(object_error_response({static_cast<int>(status), code, std::string(message)}, false),
         false);
  }

  void send(BeastResponse response, bool keep_alive) {
    keep_alive = keep_alive && !server_.stopping();
    response.keep_alive(keep_alive);
    response_.emplace(std::move(response));
    phase_ = Phase::kWriting;
    stream_.expires_after(server_.options().write_timeout);
    http::async_write(stream_, *response_,
                      [self = shared_from_this(), keep_alive](error_code ec, std::size_t) {
                        self->response_.reset();
                        if (ec) return self->close();
                        self->after_write(keep_alive);
                      });
  }

  void after_write(bool keep_alive) {
    if (!keep_alive) return close_gracefully();
    stream_.expires_never();
    next_request();
  }

  void close_gracefully() {
    phase_ = Phase::kClosing;
    upload_.reset();
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    buffer_.clear();
    stream_.expires_after(kDrainTimeout);
    drain(0);
  }

  void drain(std::size_t drained) {
    stream_.async_read_some(asio::buffer(drain_buffer_),
                            [self = shared_from_this(), drained](error_code ec, std::size_t n) {
                              if (ec || drained + n > kDrainLimit) return self->close();
                              self->drain(drained + n);
                            });
  }

  void close() {
    phase_ = Phase::kClosing;
    upload_.reset();  // an upload not committed by now never will be
    stream_.close();
  }

  Server& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  // Exactly one of these holds the request being read: the head parser until the head is in,
  // then the one it was turned into.
  std::optional<http::request_parser<http::empty_body>> head_parser_;
  std::optional<http::request_parser<http::string_body>> api_parser_;
  std::optional<http::request_parser<http::buffer_body>> object_parser_;
  std::optional<BeastResponse> response_;  // alive until its write completes
  std::string wire_;                       // an Api response being written
  Phase phase_ = Phase::kStarting;
  std::chrono::steady_clock::time_point request_started_;
  std::array<char, 4096> drain_buffer_{};

  // The object request under way.
  std::string object_request_id_;
  std::string object_method_;
  unsigned object_version_ = 11;
  std::unique_ptr<ObjectUpload> upload_;  // destroyed uncommitted unless the body is complete
  std::unique_ptr<char[]> chunk_;         // kObjectChunkBytes, while a body is streamed
};

std::expected<std::uint16_t, std::string> Server::start() {
  {
    std::lock_guard lock(run_mutex_);
    if (started_ || stop_requested_) return std::unexpected("server already started or stopped");
    started_ = true;
  }
  const bool ipv6 = options_.host.find(':') != std::string::npos;
  const std::string where =
      (ipv6 ? "[" + options_.host + "]" : options_.host) + ":" + std::to_string(options_.port);
  error_code ec;
  tcp::endpoint endpoint;
  const auto address = asio::ip::make_address(options_.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, options_.port);
  } else {
    tcp::resolver resolver(*loops_.front());
    const auto results =
        resolver.resolve(options_.host, std::to_string(options_.port), tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      return std::unexpected("cannot resolve host '" + options_.host +
                             "': " + (ec ? ec.message() : "no address"));
    }
    endpoint = results.begin()->endpoint();
  }

  if (acceptor_.open(endpoint.protocol(), ec); ec) {
    return std::unexpected("cannot listen on " + where + ": " + ec.message());
  }
  // Lets a restarted server bind while old connections sit in TIME_WAIT; Linux still refuses a
  // port that another socket is listening on.
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (acceptor_.bind(endpoint, ec); !ec) {
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  }
  const auto local = ec ? tcp::endpoint() : acceptor_.local_endpoint(ec);
  if (ec) {
    error_code ignored;
    acceptor_.close(ignored);
    return std::unexpected("cannot listen on " + where + ": " + ec.message());
  }

  if (options_.stop_on_signals) {
    signals_.emplace(*loops_.front(), SIGINT, SIGTERM);
    signals_->async_wait([this](error_code ec, int) {
      if (!ec) stop();
    });
  }
  asio::post(*loops_.front(), [this] { do_accept(); });
  return local.port();
}

void Server::do_accept() {
  Loop& loop = *loops_[next_loop_++ % loops_.size()];
  acceptor_.async_accept(
      loop, [this](error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void Server::on_accept(error_code ec, tcp::socket socket) {
  if (stopping() || ec == asio::error::operation_aborted) return;
  if (ec == asio::error::connection_aborted) return do_accept();  // that client gave up
  if (ec) {
    log_event("error", "accept failed", {{"detail", ec.message()}});
    accept_retry_.expires_after(kAcceptRetryDelay);
    accept_retry_.async_wait([this](error_code ec) {
      if (!ec && !stopping()) do_accept();
    });
    return;
  }
  // Small responses on a kept-alive connection: do not let Nagle hold them back.
  socket.set_option(tcp::no_delay(true), ec);
  std::make_shared<Session>(*this, std::move(socket))->start();
  do_accept();
}

void Server::run() {
  {
    std::lock_guard lock(run_mutex_);
    if (running_) return;
    running_ = true;
  }
  {
    std::lock_guard lock(run_mutex_);
    running_workers_ = static_cast<unsigned>(loops_.size());
  }
  std::vector<std::thread> workers;
  workers.reserve(loops_.size());
  for (auto& loop : loops_) {
    workers.emplace_back([this, &loop = *loop] {
      for (;;) {
        try {
          loop.run();  // returns when all work is done, or at the hard stop
          break;
        } catch (const std::exception& e) {
          // A handler threw: that connection is lost, the server goes on.
          log_event("error", "unhandled exception in HTTP server", {{"detail", e.what()}});
        }
      }
      {
        std::lock_guard lock(run_mutex_);
        --running_workers_;
      }
      run_cv_.notify_all();
    });
  }

  {
    // The loops run out of work by themselves once stopped and drained; the hard cap only
    // counts from the stop request.
    std::unique_lock lock(run_mutex_);
    run_cv_.wait(lock, [this] { return running_workers_ == 0 || stop_requested_; });
    if (!run_cv_.wait_for(lock, options_.shutdown_timeout,
                          [this] { return running_workers_ == 0; })) {
      for (auto& loop : loops_) loop->stop();
      if (blocking_) blocking_->stop();  // tasks not started yet are dropped
    }
  }
  for (auto& worker : workers) worker.join();
  if (blocking_) blocking_->join();
}

void Server::stop() {
  {
    std::lock_guard lock(run_mutex_);
    if (stop_requested_) return;
    stop_requested_ = true;
  }
  stopping_.store(true, std::memory_order_release);
  run_cv_.notify_all();
  asio::post(*loops_.front(), [this] { do_stop(); });
}

void Server::do_stop() {
  error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  if (signals_) {
    // Restores the default dispositions: a second Ctrl-C ends the process at once.
    signals_->clear(ignored);
    signals_->cancel(ignored);
  }
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(sessions_mutex_);
    live.reserve(sessions_.size());
    for (auto& [raw, weak] : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (auto& session : live) session->shutdown();
  // Each loop now ends once its connections are done.
  keep_running_.clear();
}

}  // namespace

struct HttpServer::Impl {
  Impl(Api& api, AccessLog& access_log, HttpServerOptions options)
      : server(api, access_log, std::move(options)) {}
  Server server;
};

HttpServer::HttpServer(Api& api, AccessLog& access_log, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(api, access_log, std::move(options))) {}
HttpServer::~HttpServer() = default;

std::expected<std::uint16_t, std::string> HttpServer::start() { return impl_->server.start(); }
void HttpServer::run() { impl_->server.run(); }
void HttpServer::stop() { impl_->server.stop(); }

}  // namespace sbapi
