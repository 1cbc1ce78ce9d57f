// The Connection's object requests: path-style PUT/GET/HEAD/OPTIONS of presigned URLs, served
// through the ObjectEndpoint (server/object_endpoint.h; see http_server.h for the contract).
// Bodies are streamed in both directions, never held whole; answers are S3-style.
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <exception>

#include "core/access_log.h"
#include "core/request_id.h"
#include "core/route_table.h"
#include "server/connection.h"
#include "server/wire.h"

namespace sbapi::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;

// What the access log says of an object request: the route's template, never the bucket or key.
std::string_view object_route() {
  static const std::string_view route = find_route("getObject")->path;
  return route;
}

ObjectError internal_error() {
  return {500, "InternalError", "We encountered an internal error. Please try again."};
}

}  // namespace

// An endpoint call, with an escaped exception turned into an InternalError.
template <class F>
auto Connection::guarded(F&& call) -> decltype(call()) {
  try {
    return call();
  } catch (const std::exception& e) {
    log_event("error", "object endpoint failed", {{"detail", e.what()}});
  } catch (...) {
    log_event("error", "object endpoint failed", {{"detail", "unknown exception"}});
  }
  return std::unexpected(internal_error());
}

template <class Message>
void Connection::set_object_headers(Message& message) const {
  message.set("x-amz-request-id", object_request_id_);
  message.set("x-request-id", object_request_id_);
  message.set("traceparent", format_traceparent(object_trace_.span));
  message.set(http::field::access_control_allow_origin, "*");
  message.set(http::field::access_control_expose_headers, "ETag,x-amz-request-id");
}

void Connection::on_object_header() {
  const auto& message = head_parser_->get();
  object_request_id_ = new_request_id();
  object_method_ = std::string(message.method_string());
  object_version_ = message.version();
  const Request head = wire::to_request_head(message);
  object_trace_ = request_trace(head.headers);  // as the Api's: continued, else a new trace
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
      static const std::string allow_methods = route_methods(RouteGroup::kObjects, ",");
      response.set(http::field::access_control_allow_methods, allow_methods);
      response.set(http::field::access_control_allow_headers, "Content-Type");
      response.set(http::field::access_control_max_age, "600");
      return send_object(std::move(response), message.keep_alive() && head_parser_->is_done());
    }
    default: {
      // A body the request may carry is not read: the connection closes after the answer.
      auto response = object_error_response(
          {405, "MethodNotAllowed", "The specified method is not allowed against this resource."},
          /*head_request=*/false);
      static const std::string allow = route_methods(RouteGroup::kObjects, ", ");
      response.set(http::field::allow, allow);
      return send_object(std::move(response), message.keep_alive() && head_parser_->is_done());
    }
  }
}

void Connection::begin_object_put(const Request& head) {
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
    asio::async_write(stream_, asio::buffer(wire::kContinue.data(), wire::kContinue.size()),
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        if (ec) return self->abort_upload("writing 100 Continue failed");
                        self->read_object_body();
                      });
    return;
  }
  read_object_body();
}

void Connection::read_object_body() {
  // Beast sizes each socket read by the buffer's spare capacity, which is only what the
  // header needed: without this, a large upload arrives in ~4 KiB reads (measured 30 MB/s).
  buffer_.reserve(kObjectChunkBytes);
  chunk_ = std::make_unique<char[]>(kObjectChunkBytes);
  reset_chunk();
  upload_started_ = std::chrono::steady_clock::now();
  upload_received_ = 0;
  read_object_some();
}

void Connection::reset_chunk() {
  auto& body = object_parser_->get().body();
  body.data = chunk_.get();
  body.size = kObjectChunkBytes;
}

// One read from the socket at a time, each with its own deadline: an inactivity timeout, so
// that a large body is not cut off by a per-request limit.
void Connection::read_object_some() {
  if (object_parser_->is_done()) return commit_upload();
  stream_.expires_after(server_.options().read_timeout);
  http::async_read_some(stream_, buffer_, *object_parser_,
                        [self = shared_from_this()](error_code ec, std::size_t n) {
                          self->upload_received_ += n;
                          self->on_object_some(ec);
                        });
}

void Connection::on_object_some(error_code ec) {
  if (ec == http::error::need_buffer) ec = {};  // the chunk buffer is full
  if (ec) return abort_upload(ec.message());
  // Every read has its own timeout; a body that keeps trickling must also keep an average rate.
  const auto& options = server_.options();
  const auto elapsed = std::chrono::steady_clock::now() - upload_started_;
  if (options.min_upload_bytes_per_second > 0 && elapsed > options.upload_grace &&
      !object_parser_->is_done()) {
    const double seconds = std::chrono::duration<double>(elapsed).count();
    if (static_cast<double>(upload_received_) <
        seconds * static_cast<double>(options.min_upload_bytes_per_second)) {
      return abort_upload("slower than the minimum upload rate");
    }
  }
  auto& body = object_parser_->get().body();
  const std::size_t filled = kObjectChunkBytes - body.size;
  if (filled > 0 && (body.size == 0 || object_parser_->is_done())) {
    auto written = guarded([&] { return upload_->write(std::string_view(chunk_.get(), filled)); });
    if (!written) {
      upload_.reset();  // discards what was written
      return send_object(object_error_response(written.error(), false), false);
    }
    reset_chunk();
  }
  read_object_some();
}

void Connection::commit_upload() {
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

void Connection::on_upload_committed(std::expected<StoredObject, ObjectError> stored) {
  if (!stored) return send_object(object_error_response(stored.error(), false), false);
  server_.observer().object_uploaded(upload_received_,
                                     std::chrono::steady_clock::now() - request_started_);
  BeastResponse response{http::status::ok, object_version_};
  set_object_headers(response);
  response.set(http::field::etag, wire::quote_etag(stored->etag));
  response.content_length(0);
  send_object(std::move(response), object_parser_->get().keep_alive());
}

// The body will not be read to its end: the upload is dropped uncommitted, and so is the
// connection (without a response: the client is gone, too slow, or the server is stopping).
void Connection::abort_upload(std::string_view why) {
  upload_.reset();
  log_event("warn", "object upload aborted",
            {{"requestId", object_request_id_}, {"detail", std::string(why)}});
  close();
}

void Connection::serve_object(const Request& head) {
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
  const std::string last_modified = wire::http_date(download->last_modified);

  auto fill_headers = [&](auto& message) {
    set_object_headers(message);
    message.set(http::field::content_type, content_type);
    message.set(http::field::etag, wire::quote_etag(download->etag));
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
    return send_object(object_error_response(
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
void Connection::write_file(std::shared_ptr<FileResponse> file, bool keep_alive) {
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

BeastResponse Connection::object_error_response(const ObjectError& error, bool head_request) const {
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

void Connection::send_object(BeastResponse response, bool keep_alive) {
  log_object(response.result_int());
  send(std::move(response), keep_alive);
}

void Connection::log_object(unsigned status) {
  server_.access_log().write({object_request_id_, object_method_, object_route(),
                              static_cast<int>(status), latency_us(), false,
                              object_trace_.span.trace_id_hex()});
}

void Connection::reject_object(http::status status, std::string_view message) {
  const auto& partial = current_head();
  object_request_id_ = new_request_id();
  object_trace_ = request_trace({});  // the head was not read whole
  object_method_ = std::string(partial.method_string());
  object_version_ = partial.version() == 10 ? 10 : 11;
  log_object(static_cast<unsigned>(status));
  const char* code = status == http::status::payload_too_large ? "EntityTooLarge"
                     : status == http::status::request_header_fields_too_large
                         ? "RequestHeaderSectionTooLarge"
                         : "MalformedHTTPRequest";
  send(object_error_response({static_cast<int>(status), code, std::string(message)}, false), false);
}

}  // namespace sbapi::server
