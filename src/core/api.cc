#include "core/api.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>

#include "core/assets_handlers.h"
#include "core/request_id.h"
#include "core/responses.h"
#include "core/users_handlers.h"

namespace sbapi {
namespace {

constexpr std::string_view kAllowMethods = "GET,POST,PUT,DELETE,OPTIONS";
constexpr std::string_view kAllowHeaders =
    "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token";

Response preflight() {
  Response response;
  response.status = 204;
  response.set_header("access-control-allow-methods", std::string(kAllowMethods));
  response.set_header("access-control-allow-headers", std::string(kAllowHeaders));
  response.set_header("access-control-max-age", "600");
  return response;
}

}  // namespace

Api::Api(const Clock& clock, AccessLog& log) : clock_(clock), log_(log) {
  router_.add("GET", "/health", [](const Request&, const PathParams&) {
    return json_response(200, boost::json::object{{"status", "ok"}});
  });
}

Api::Api(Table& users, const Clock& clock, AccessLog& log) : Api(clock, log) { serve_users(users); }

Api::~Api() = default;

void Api::serve_users(Table& users) {
  users_ = std::make_unique<UsersHandlers>(users, clock_);
  users_->register_routes(router_);
}

void Api::serve_assets(Table& assets, ObjectStore& objects) {
  assets_ = std::make_unique<AssetsHandlers>(assets, objects, clock_);
  assets_->register_routes(router_);
}

Response Api::handle(const Request& request, const RequestContext& context) {
  std::optional<Response> answer;
  dispatch(request, context, /*allow_async=*/false,
           [&answer](Response r) { answer = std::move(r); });
  return std::move(*answer);  // every handler answered before dispatch returned
}

void Api::handle_async(const Request& request, const RequestContext& context, Respond done) {
  dispatch(request, context, /*allow_async=*/true, std::move(done));
}

bool Api::is_async(std::string_view method, std::string_view path) const {
  return router_.match(method, path).async_handler != nullptr;
}

namespace {

// The one answer to a request: what every response gets, and its access-log line. Shared by the
// paths that may answer (an asynchronous handler's completion, the last-resort 500); only the
// first answer counts.
class Answer {
 public:
  Answer(AccessLog& log, std::string request_id, std::string method, std::string_view route,
         bool cold_start, Respond done)
      : log_(log),
        started_(std::chrono::steady_clock::now()),
        request_id_(std::move(request_id)),
        method_(std::move(method)),
        route_(route),
        cold_start_(cold_start),
        done_(std::move(done)) {}

  void send(Response response) {
    if (answered_.exchange(true)) return;
    response.set_header("access-control-allow-origin", "*");
    response.set_header("x-request-id", request_id_);
    const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started_);
    log_.write({request_id_, method_, route_, response.status, latency.count(), cold_start_});
    done_(std::move(response));
  }

  void set_route(std::string_view route) { route_ = route; }  // a template of the router
  const std::string& request_id() const { return request_id_; }

 private:
  AccessLog& log_;
  const std::chrono::steady_clock::time_point started_;
  const std::string request_id_;
  const std::string method_;
  std::string_view route_;
  const bool cold_start_;
  Respond done_;
  std::atomic<bool> answered_{false};
};

}  // namespace

void Api::dispatch(const Request& request, const RequestContext& context, bool allow_async,
                   Respond done) {
  auto answer = std::make_shared<Answer>(
      log_, context.request_id.empty() ? new_request_id() : context.request_id, request.method, "-",
      context.cold_start, std::move(done));

  if (request.body.size() > kMaxBodyBytes) {
    return answer->send(error_response(413, "Request body too large"));
  }
  auto match = router_.match(request.method, request.path);
  if (match.kind == Router::Match::Kind::kNotFound) {
    return answer->send(error_response(404, "Not found"));
  }
  answer->set_route(match.route);
  if (request.method == "OPTIONS") return answer->send(preflight());
  if (match.kind == Router::Match::Kind::kMethodNotAllowed) {
    Response response = error_response(405, "Method not allowed");
    response.set_header("allow", match.allow + ", OPTIONS");
    return answer->send(std::move(response));
  }
  try {
    if (allow_async && match.async_handler != nullptr) {
      return (*match.async_handler)(request, match.params, [answer](Response response) {
        answer->send(std::move(response));
      });
    }
    return answer->send((*match.handler)(request, match.params));
  } catch (const std::exception& e) {
    // Handlers return errors as values; reaching here is a bug. Log it, tell the client
    // nothing about it.
    log_event("error", "unhandled exception",
              {{"requestId", answer->request_id()}, {"detail", e.what()}});
  }
  answer->send(error_response(500, "Internal server error"));
}

}  // namespace sbapi
