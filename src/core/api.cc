#include "core/api.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>

#include "core/assets_handlers.h"
#include "core/bearer_token.h"
#include "core/request_id.h"
#include "core/responses.h"
#include "core/trace_context.h"
#include "core/users_handlers.h"

namespace sbapi {
namespace {

// With authentication off no Caller is built per request: every request shares this one.
const Caller kAnyone = Caller::anyone();

constexpr std::string_view kAllowHeaders =
    "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token";

Response preflight() {
  // Every method the Api answers, from the route table (computed once).
  static const std::string allow_methods = route_methods(",");
  Response response;
  response.status = 204;
  response.set_header("access-control-allow-methods", allow_methods);
  response.set_header("access-control-allow-headers", std::string(kAllowHeaders));
  response.set_header("access-control-max-age", "600");
  return response;
}

// 401 (RFC 6750 §3): `error="invalid_token"` only when a bearer token was sent. `message` is one
// of ours (never text from the token), so it is safe inside the quoted error_description.
Response unauthorized(std::string_view message, bool token_sent) {
  Response response = error_response(401, message);
  std::string challenge = R"(Bearer realm="sbapi")";
  if (token_sent) {
    challenge += R"(, error="invalid_token", error_description=")";
    challenge.append(message).append("\"");
  }
  response.set_header("www-authenticate", std::move(challenge));
  return response;
}

}  // namespace

Api::Api(const Clock& clock, AccessLog& log) : clock_(clock), log_(log) {
  serve(RouteGroup::kHealth, {});
}

Api::Api(Table& users, const Clock& clock, AccessLog& log) : Api(clock, log) { serve_users(users); }

Api::~Api() = default;

void Api::serve_users(Table& users) {
  users_ = std::make_unique<UsersHandlers>(users, clock_, page_tokens_);
  serve(RouteGroup::kUsers, {.users = users_.get()});
}

void Api::serve_assets(Table& assets, ObjectStore& objects) {
  assets_ = std::make_unique<AssetsHandlers>(assets, objects, clock_, page_tokens_);
  serve(RouteGroup::kAssets, {.assets = assets_.get()});
}

void Api::require_tokens(TokenVerifier& verifier) {
  auth_ = Auth::kTokens;
  verifier_ = &verifier;
}

void Api::trust_transport_identity() {
  auth_ = Auth::kTransport;
  verifier_ = nullptr;
}

void Api::publish_jwks(std::string document) {
  jwks_ = std::move(document);
  serve(RouteGroup::kAuth, {.jwks = &jwks_});
}

void Api::serve_operations(std::vector<ReadinessCheck> readiness,
                           std::function<std::string()> metrics) {
  readiness_ = std::move(readiness);
  metrics_ = std::move(metrics);
  serve(RouteGroup::kOperations, {.readiness = &readiness_, .metrics = &metrics_});
}

void Api::publish_docs(std::string document, std::span<const StaticFile> page) {
  openapi_ = std::move(document);
  serve(RouteGroup::kDocs, {.openapi = &openapi_, .docs_page = page});
}

std::expected<Identity, Response> Api::authenticate(const Request& request,
                                                    const RequestContext& context) const {
  if (auth_ == Auth::kTransport) {
    if (context.identity) return *context.identity;
    return std::unexpected(unauthorized("Authentication required", false));
  }
  const BearerToken bearer = bearer_token(request);
  switch (bearer.kind) {
    case BearerToken::Kind::kAbsent:
    case BearerToken::Kind::kOtherScheme:
      return std::unexpected(
          unauthorized("Authentication required: send Authorization: Bearer <token>", false));
    case BearerToken::Kind::kRepeated: {
      Response response = error_response(400, "Repeated Authorization header");
      response.set_header("www-authenticate", R"(Bearer realm="sbapi", error="invalid_request")");
      return std::unexpected(std::move(response));
    }
    case BearerToken::Kind::kMalformed:
      return std::unexpected(unauthorized("Malformed bearer token", true));
    case BearerToken::Kind::kFound:
      break;
  }
  auto identity = verifier_->verify(bearer.token);
  if (!identity) return std::unexpected(unauthorized(identity.error().message, true));
  return std::move(*identity);
}

void Api::serve(RouteGroup group, const RouteTargets& targets) {
  for (const RouteSpec& spec : route_table()) {
    if (spec.group != group || spec.bind == nullptr) continue;
    router_.add(spec, spec.bind(targets),
                spec.bind_async != nullptr ? spec.bind_async(targets) : nullptr);
  }
}

Response Api::handle(const Request& request, const RequestContext& context) {
  return handle(request, route(request), context);
}

Response Api::handle(const Request& request, const Router::Match& match,
                     const RequestContext& context) {
  std::optional<Response> answer;
  dispatch(request, match, context, /*allow_async=*/false,
           [&answer](Response r) { answer = std::move(r); });
  return std::move(*answer);  // every handler answered before dispatch returned
}

void Api::handle_async(const Request& request, const RequestContext& context, Respond done) {
  handle_async(request, route(request), context, std::move(done));
}

void Api::handle_async(const Request& request, const Router::Match& match,
                       const RequestContext& context, Respond done) {
  dispatch(request, match, context, /*allow_async=*/true, std::move(done));
}

namespace {

// The one answer to a request: what every response gets, and its access-log line. Shared by the
// paths that may answer (an asynchronous handler's completion, the last-resort 500); only the
// first answer counts.
class Answer {
 public:
  Answer(AccessLog& log, const RequestContext& context, std::string method, TraceContext trace,
         Respond done)
      : log_(log),
        started_(context.received == std::chrono::steady_clock::time_point{}
                     ? std::chrono::steady_clock::now()
                     : context.received),
        request_id_(context.request_id.empty() ? new_request_id() : context.request_id),
        method_(std::move(method)),
        cold_start_(context.cold_start),
        trace_(std::move(trace)),
        done_(std::move(done)) {}

  void send(Response response) {
    if (answered_.exchange(true)) return;
    // Room for the four headers below at once: growing 1 → 2 → 4 → 8 cost ~1,300 instructions
    // of a cached GET (callgrind).
    response.headers.reserve(response.headers.size() + 4);
    response.set_header("access-control-allow-origin", "*");
    // A page on another origin may read the id, to quote it in a bug report.
    // WWW-Authenticate only where there is one (401, 400 invalid_request): the longer value
    // would not fit the string's inline buffer, an allocation on every response (+0.9 % GET
    // instructions measured).
    response.set_header("access-control-expose-headers",
                        (response.status == 401 || response.status == 400) &&
                                response.header("www-authenticate") != nullptr
                            ? "X-Request-Id, WWW-Authenticate"
                            : "X-Request-Id");
    response.set_header("x-request-id", request_id_);
    response.set_header("traceparent", format_traceparent(trace_.span));
    const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started_);
    log_.write({request_id_, method_, route_, response.status, latency.count(), cold_start_,
                trace_.span.trace_id_hex()});
    done_(std::move(response));
  }

  void set_route(std::string_view route) { route_ = route; }  // a template of the router
  const std::string& request_id() const { return request_id_; }
  const TraceContext& trace() const { return trace_; }

 private:
  AccessLog& log_;
  const std::chrono::steady_clock::time_point started_;
  const std::string request_id_;
  const std::string method_;
  std::string_view route_ = "-";
  const bool cold_start_;
  const TraceContext trace_;
  Respond done_;
  std::atomic<bool> answered_{false};
};

}  // namespace

Response Api::reject(std::string_view method, std::string_view path, int status,
                     std::string_view message, const RequestContext& context) {
  std::optional<Response> response;
  // No headers were read whole: the transport's X-Ray trace, else a new one.
  Answer answer(log_, context, std::string(method.empty() ? "-" : method),
                request_trace({}, context.amzn_trace_id),
                [&response](Response r) { response = std::move(r); });
  if (!method.empty() && !path.empty()) {
    // A request too large or malformed is still attributed to its route in the log.
    const auto match = router_.match(method, path);
    if (match.kind != Router::Match::Kind::kNotFound) answer.set_route(match.route);
  }
  answer.send(error_response(status, message));
  return std::move(*response);
}

void Api::dispatch(const Request& request, const Router::Match& match,
                   const RequestContext& context, bool allow_async, Respond done) {
  auto answer = std::make_shared<Answer>(log_, context, request.method,
                                         request_trace(request.headers, context.amzn_trace_id),
                                         std::move(done));

  if (request.body.size() > kMaxBodyBytes) {
    return answer->send(error_response(413, "Request body too large"));
  }
  if (match.kind == Router::Match::Kind::kNotFound) {
    return answer->send(error_response(404, "Not found"));
  }
  answer->set_route(match.route);
  if (match.kind == Router::Match::Kind::kMalformedPath) {
    return answer->send(error_response(400, "Malformed percent-encoding in the path"));
  }
  if (request.method == "OPTIONS") return answer->send(preflight());
  if (match.kind == Router::Match::Kind::kMethodNotAllowed) {
    Response response = error_response(405, "Method not allowed");
    response.set_header("allow", match.allow + ", OPTIONS");
    return answer->send(std::move(response));
  }
  std::optional<Caller> verified;
  if (auth_ != Auth::kOff && (match.spec == nullptr || !match.spec->is_public)) {
    auto identity = authenticate(request, context);
    if (!identity) return answer->send(std::move(identity.error()));
    verified = Caller::verified(std::move(*identity));
  }
  const Caller& caller = verified ? *verified : kAnyone;
  // For the handler's synchronous storage calls only (aws: outgoing_trace_headers): an
  // asynchronous handler's completion runs on the storage's thread after this scope has ended,
  // and never sees another request's trace, as a thread handles one request at a time here.
  const ScopedTrace scoped_trace(answer->trace());
  try {
    if (allow_async && match.async_handler != nullptr) {
      return (*match.async_handler)(
          request, match.params, caller, context.resume,
          [answer](Response response) { answer->send(std::move(response)); });
    }
    return answer->send((*match.handler)(request, match.params, caller));
  } catch (const std::exception& e) {
    // Handlers return errors as values; reaching here is a bug. Log it, tell the client
    // nothing about it.
    log_event("error", "unhandled exception",
              {{"requestId", answer->request_id()}, {"detail", e.what()}});
  }
  answer->send(error_response(500, "Internal server error"));
}

}  // namespace sbapi
