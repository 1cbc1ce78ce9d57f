// The Connection's API requests: a request whose head is not an object request's goes to the Api
// (on the loop, on the blocking pool, or asynchronously; see http_server.h), and its Response is
// written as is. Every answer on an API path, a refused one included, is the Api's.
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>

#include <exception>
#include <functional>

#include "core/access_log.h"
#include "server/connection.h"
#include "server/wire.h"

namespace sbapi::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;

bool is_read(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

}  // namespace

void Connection::on_api_header() {
  const auto announced = head_parser_->content_length();
  if (announced && *announced > server_.options().max_body_bytes) {
    return reject(http::status::payload_too_large, "Request body too large");
  }
  api_parser_.emplace(std::move(*head_parser_));
  head_parser_.reset();
  if (api_parser_->chunked()) head_fields_ = wire::field_count(api_parser_->get());
  api_parser_->body_limit(server_.options().max_body_bytes);  // also bounds a chunked body
  const auto& message = api_parser_->get();
  if (!api_parser_->is_done() && message.version() >= 11 &&
      beast::iequals(message[http::field::expect], "100-continue")) {
    // The body is within limits (an oversized Content-Length was refused above), so invite it.
    asio::async_write(stream_, asio::buffer(wire::kContinue.data(), wire::kContinue.size()),
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        if (ec) return self->close();
                        self->read_body();
                      });
    return;
  }
  read_body();
}

void Connection::read_body() {
  http::async_read(
      stream_, buffer_, *api_parser_,
      [self = shared_from_this()](error_code ec, std::size_t) { self->on_request(ec); });
}

void Connection::on_request(error_code ec) {
  if (ec) return fail(ec);
  if (api_parser_->chunked() && wire::field_count(api_parser_->get()) != head_fields_) {
    // sbapi reads no trailer field, and a merged one (a second Host, a Content-Type) would
    // escape the checks made on the head. RFC 9112 §7.1.2 lets a recipient discard them;
    // refusing is simpler to reason about, and no client of a JSON API sends them.
    return reject(http::status::bad_request, "Trailer fields are not accepted");
  }
  stream_.expires_never();
  phase_ = Phase::kHandling;
  auto message = api_parser_->release();
  api_parser_.reset();
  const unsigned version = message.version();
  const bool keep_alive = message.keep_alive();
  const bool head = message.method() == http::verb::head;

  Request request = wire::to_request_head(message);
  request.body = std::move(message.body());
  Router::Match match = server_.api().route(request);  // the only time it is routed
  if (server_.options().async_api && !is_read(request.method) && match.async_handler != nullptr) {
    // The Api answers once the write is committed, its answer made back on this loop (the
    // storage's writer thread only writes: `resume`); until then the loop serves other
    // connections, and counts this as work in progress (a graceful stop waits for it). An answer
    // given at once (a 400) is written at once.
    auto done = [self = shared_from_this(), loop = tracked_loop(), version, keep_alive,
                 head](Response response) mutable {
      asio::dispatch(loop, [self = std::move(self), response = std::move(response), version,
                            keep_alive, head]() mutable {
        self->respond(std::move(response), version, keep_alive, head);
      });
    };
    RequestContext context;
    context.resume = [loop = tracked_loop()](std::function<void()> rest) {
      asio::post(loop, std::move(rest));
    };
    try {
      server_.api().handle_async(request, match, context, std::move(done));
    } catch (const std::exception& e) {
      // As in call_api; the Api answers at most once, so this cannot answer twice.
      log_event("error", "unhandled exception in request", {{"detail", e.what()}});
    }
    return;
  }
  if (auto* pool = server_.blocking_pool_for(request.method)) {
    return off_loop(
        *pool,
        [self = shared_from_this(), request = std::move(request), match = std::move(match)] {
          return self->call_api(request, match);
        },
        [self = shared_from_this(), version, keep_alive, head](Response response) {
          self->respond(std::move(response), version, keep_alive, head);
        });
  }
  respond(call_api(request, match), version, keep_alive, head);
}

Response Connection::call_api(const Request& request, const Router::Match& match) {
  try {
    return server_.api().handle(request, match);
  } catch (const std::exception& e) {
    // The Api turns its own failures into responses; this is only a last resort.
    log_event("error", "unhandled exception in request", {{"detail", e.what()}});
  }
  return server_.api().reject(request.method, request.path, 500, "Internal server error");
}

void Connection::respond(Response&& response, unsigned version, bool keep_alive, bool head) {
  const std::string* connection = response.header("connection");
  const bool api_closes = connection != nullptr && beast::iequals(*connection, "close");
  keep_alive = keep_alive && !api_closes && !server_.stopping();
  wire::append_response(wire_, std::move(response), version, keep_alive, head);
  write_wire(keep_alive);
}

void Connection::reject_api(http::status status, std::string_view message) {
  // The method and route as far as they were read: a request too large is still attributed to
  // them in the access log.
  const auto& partial = current_head();
  const std::string method = std::string(partial.method_string());
  const std::string path =
      method.empty() || partial.target().empty() ? "" : wire::split_target(partial.target()).first;
  RequestContext context;
  context.received = request_started_;
  Response response =
      server_.api().reject(method, path, static_cast<int>(status), message, context);
  wire_.clear();
  wire::append_response(wire_, std::move(response), 11, /*keep_alive=*/false, false);
  write_wire(false);
}

}  // namespace sbapi::server
