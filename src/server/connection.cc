#include "server/connection.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/none.hpp>

#include <exception>

#include "core/access_log.h"
#include "server/wire.h"

namespace sbapi::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// The first read of a request: a whole small request in one go.
constexpr std::size_t kFirstReadBytes = 4 * 1024;
// After an error response the server half-closes and reads what the client is still sending
// (up to these bounds) before closing: closing with unread data would make the kernel send a
// reset, and the client would likely lose the response it has not read yet.
constexpr std::size_t kDrainLimit = 1024 * 1024;
constexpr std::chrono::seconds kDrainTimeout{2};

bool is_http_error(const error_code& ec) {
  return ec.category() == make_error_code(http::error::bad_method).category();
}

}  // namespace

void Connection::start() {
  server_.add(shared_from_this());
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->next_request(); });
}

void Connection::refuse() {
  server_.add(shared_from_this());
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    Response response =
        self->server_.api().reject("", "", 503, "Too many connections", RequestContext{});
    response.set_header("retry-after", "1");
    wire::append_response(self->wire_, std::move(response), 11, /*keep_alive=*/false, false);
    self->write_wire(false);
  });
}

void Connection::shutdown() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    if (self->phase_ == Phase::kIdle) self->close();
  });
}

void Connection::next_request() {
  if (server_.stopping()) return close();
  if (buffer_.size() > 0) return read_header();  // pipelined request already buffered
  // The first bytes are read separately, so that idle connections can be told apart from ones
  // with a request under way (the former are closed on shutdown, the latter are served), and
  // so that the idle timeout applies until they come, the read timeout after. A plain read
  // rather than a readiness wait: Asio then needs no epoll_ctl per request.
  phase_ = Phase::kIdle;
  idle_.store(true, std::memory_order_relaxed);
  stream_.expires_after(server_.options().idle_timeout);
  stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                          [self = shared_from_this()](error_code ec, std::size_t n) {
                            if (self->phase_ != Phase::kIdle) return;  // closed meanwhile
                            if (ec) return self->close();  // idle timeout, or the client left
                            self->buffer_.commit(n);
                            self->read_header();
                          });
}

void Connection::read_header() {
  phase_ = Phase::kReading;
  idle_.store(false, std::memory_order_relaxed);
  request_started_ = std::chrono::steady_clock::now();
  begin_request();
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

void Connection::on_header(error_code ec) {
  if (ec) return fail(ec);
  // A head whose body length is ambiguous is refused before anything of its body is read:
  // otherwise the body could be taken for the next request on the connection.
  if (const auto why = wire::framing_error(head_parser_->get()); !why.empty()) {
    return reject(http::status::bad_request, why);
  }
  if (is_object_path(wire::split_target(head_parser_->get().target()).first)) {
    return on_object_header();
  }
  on_api_header();
}

bool Connection::is_object_path(std::string_view path) const {
  ObjectEndpoint* objects = server_.options().objects;
  if (objects == nullptr) return false;
  try {
    return objects->matches(path);
  } catch (const std::exception& e) {
    log_event("error", "object endpoint failed", {{"detail", e.what()}});
  }
  return false;
}

asio::any_io_executor Connection::tracked_loop() {
  return asio::prefer(stream_.get_executor(), asio::execution::outstanding_work.tracked);
}

std::int64_t Connection::latency_us() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               request_started_)
      .count();
}

const http::request_header<>& Connection::current_head() const {
  if (object_parser_) return object_parser_->get();
  if (api_parser_) return api_parser_->get();
  return head_parser_->get();
}

void Connection::fail(error_code ec) {
  if (ec == http::error::body_limit) {
    return reject(http::status::payload_too_large, "Request body too large");
  }
  // A head over its limit, or a chunked body's trailer section over the read buffer's.
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return reject(http::status::request_header_fields_too_large, "Request header fields too large");
  }
  if (is_http_error(ec) && ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return reject(http::status::bad_request, "Malformed HTTP request");
  }
  close();
}

void Connection::reject(http::status status, std::string_view message) {
  const auto& partial = current_head();
  const bool is_object = !partial.method_string().empty() && !partial.target().empty() &&
                         is_object_path(wire::split_target(partial.target()).first);
  if (is_object) return reject_object(status, message);
  reject_api(status, message);
}

void Connection::write_wire(bool keep_alive) {
  phase_ = Phase::kWriting;
  stream_.expires_after(server_.options().write_timeout);
  asio::async_write(stream_, asio::buffer(wire_),
                    [self = shared_from_this(), keep_alive](error_code ec, std::size_t) {
                      self->wire_.clear();
                      if (ec) return self->close();
                      self->after_write(keep_alive);
                    });
}

void Connection::send(BeastResponse response, bool keep_alive) {
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

void Connection::begin_request() {
  if (in_request_) return;
  in_request_ = true;
  server_.observer().request_started();
}

void Connection::end_request() {
  if (!in_request_) return;
  in_request_ = false;
  server_.observer().request_finished();
}

void Connection::after_write(bool keep_alive) {
  end_request();
  if (!keep_alive) return close_gracefully();
  stream_.expires_never();
  next_request();
}

void Connection::close_gracefully() {
  phase_ = Phase::kClosing;
  upload_.reset();
  error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  buffer_.clear();
  stream_.expires_after(kDrainTimeout);
  drain(0);
}

void Connection::drain(std::size_t drained) {
  stream_.async_read_some(asio::buffer(drain_buffer_),
                          [self = shared_from_this(), drained](error_code ec, std::size_t n) {
                            if (ec || drained + n > kDrainLimit) return self->close();
                            self->drain(drained + n);
                          });
}

void Connection::close() {
  end_request();
  phase_ = Phase::kClosing;
  idle_.store(false, std::memory_order_relaxed);
  upload_.reset();  // an upload not committed by now never will be
  stream_.close();
}

}  // namespace sbapi::server
