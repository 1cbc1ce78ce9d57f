#include "core/api.h"

#include <chrono>
#include <cstdio>
#include <exception>

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
  const auto started = std::chrono::steady_clock::now();
  std::string request_id = context.request_id.empty() ? new_request_id() : context.request_id;

  Response response;
  std::string_view route = "-";
  if (request.body.size() > kMaxBodyBytes) {
    response = error_response(413, "Request body too large");
  } else {
    auto match = router_.match(request.method, request.path);
    route = match.kind == Router::Match::Kind::kNotFound ? std::string_view("-") : match.route;
    if (match.kind == Router::Match::Kind::kNotFound) {
      response = error_response(404, "Not found");
    } else if (request.method == "OPTIONS") {
      response = preflight();
    } else if (match.kind == Router::Match::Kind::kMethodNotAllowed) {
      response = error_response(405, "Method not allowed");
      response.set_header("allow", match.allow + ", OPTIONS");
    } else {
      try {
        response = (*match.handler)(request, match.params);
      } catch (const std::exception& e) {
        // Handlers return errors as values; reaching here is a bug. Log it, tell the client
        // nothing about it.
        log_event("error", "unhandled exception",
                  {{"requestId", request_id}, {"detail", e.what()}});
        response = error_response(500, "Internal server error");
      }
    }
  }
  response.set_header("access-control-allow-origin", "*");
  response.set_header("x-request-id", request_id);

  const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  log_.write(
      {request_id, request.method, route, response.status, latency.count(), context.cold_start});
  return response;
}

}  // namespace sbapi
