// The whole HTTP API as one function: a transport-neutral Request in, a Response out.
//
// `Api::handle` owns everything every endpoint shares: routing over the route table
// (route_table.h; 404 for an unknown path, 405 with `Allow` for a wrong method), CORS headers and
// `OPTIONS` preflight without touching storage, the 64 KiB body limit, an `X-Request-Id` on every
// response (exposed to browsers), JSON error bodies, turning an escaped exception into a bare
// 500, and one access-log line per request. It is thread-safe: the HTTP server calls it from all
// its threads at once.
//
// Tracing (core/trace_context.h): every response carries a W3C `traceparent` naming this
// server's span, a child of the request's valid `traceparent` (else of the transport's X-Ray
// trace, else of a new trace: an invalid header is ignored, never a 400), and its access-log line
// the trace id ("traceId"). While a handler runs, the request's trace is the thread's current
// trace, so that the storage calls it makes synchronously can pass it on.
//
// The Api owns every response a client sees on an API path, also those a transport gives before
// a request could be routed (a malformed or oversized request): the transport asks `reject` for
// them, and only translates the Response to its wire. A transport that must decide where a
// request runs (on its event loop, or on a thread that may wait) routes it once with `route` and
// hands the match back to `handle`/`handle_async`.
//
// Authentication (docs/api.md, "Authentication") is off unless configured: then every request
// comes from Caller::anyone(). Configured, every route the route table does not mark public
// needs a verified identity — a bearer token the TokenVerifier accepts, or one the transport
// verified (API Gateway's authorizer) — else 401 with `WWW-Authenticate: Bearer`; the handlers
// apply the ownership rules to the Caller. The Api never logs a token.
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/access_log.h"
#include "core/caller.h"
#include "core/clock.h"
#include "core/http.h"
#include "core/object_store.h"
#include "core/page_tokens.h"
#include "core/readiness.h"
#include "core/route_table.h"
#include "core/router.h"
#include "core/table.h"
#include "core/token_verifier.h"

namespace sbapi {

class AssetsHandlers;
class UsersHandlers;

inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;

struct RequestContext {
  std::string request_id;  // empty: the Api makes one up
  bool cold_start = false;
  // When the request's first byte arrived (unset: when the Api was called), for the log's latency.
  std::chrono::steady_clock::time_point received{};
  // Who sent it, when the transport verified that itself (API Gateway's authorizer claims);
  // only read by an Api configured with `trust_transport_identity`.
  std::optional<Identity> identity = std::nullopt;
  // The X-Ray trace header the transport was given (Lambda: Lambda-Runtime-Trace-Id, else the
  // event's X-Amzn-Trace-Id); the request's trace when it has no valid `traceparent`.
  std::string amzn_trace_id = {};
  // handle_async: where an asynchronous handler finishes once its storage completed (router.h);
  // empty: on the storage's thread.
  Resume resume = {};
};

class Api {
 public:
  // An Api with only `/health`; add resource groups with `serve_*` before the first request.
  // (One Lambda function may serve users only, another assets only.)
  Api(const Clock& clock, AccessLog& log);
  // Shorthand for an Api serving the users endpoints.
  Api(Table& users, const Clock& clock, AccessLog& log);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // The users endpoints over `users` (must outlive the Api).
  void serve_users(Table& users);
  // The assets endpoints over `assets` and `objects` (both must outlive the Api).
  void serve_assets(Table& assets, ObjectStore& objects);

  // Page tokens (listings' nextToken) are signed with the secret `load` gives, loaded on the
  // first listing request (core/page_tokens.h). Without this call: a per-process random secret,
  // so tokens do not survive a restart and are not shared between processes.
  void sign_page_tokens(PageTokenSecretLoader load) { page_tokens_.use(std::move(load)); }

  // Authentication on: a request to a route that is not public needs `Authorization: Bearer
  // <token>` that `verifier` (must outlive the Api) accepts.
  void require_tokens(TokenVerifier& verifier);
  // Authentication on, done by the transport: a request to a route that is not public needs
  // RequestContext::identity (a Lambda behind an API Gateway authorizer: no claims, no entry).
  void trust_transport_identity();
  // Serves `document` at GET /.well-known/jwks.json (the local issuer's keys).
  void publish_jwks(std::string document);
  // Serves `document` (openapi.yaml) at GET /openapi.yaml, and the docs page made of `page`
  // (core/docs_page.h; static storage) at GET /docs and /docs/{file}.
  void publish_docs(std::string document, std::span<const StaticFile> page);
  // Serves the probes of a long-running server, GET /health/live and GET /health/ready (over
  // `readiness`), and GET /metrics (`metrics` renders the exposition; empty: 404). Call before
  // serving requests.
  void serve_operations(std::vector<ReadinessCheck> readiness,
                        std::function<std::string()> metrics);
  [[nodiscard]] bool authentication_on() const { return auth_ != Auth::kOff; }

  // The request's route (Router::Match: found, unknown path, or wrong method). A match with an
  // `async_handler` is one `handle_async` may answer later.
  [[nodiscard]] Router::Match route(const Request& request) const {
    return router_.match(request.method, request.path);
  }

  Response handle(const Request& request, const RequestContext& context = {});
  // The same for a request already routed (`match` = route(request)).
  Response handle(const Request& request, const Router::Match& match,
                  const RequestContext& context = {});

  // `handle` for a caller that must not wait on storage (an event loop): a route with an
  // asynchronous handler (POST /users: Table::put_if_absent_async) answers through `done` when
  // its storage completes, maybe later and on the storage's thread; every other request is
  // answered before this returns. Either way `done` is called exactly once, with the same
  // response, headers and access-log line `handle` would give.
  void handle_async(const Request& request, const RequestContext& context, Respond done);
  void handle_async(const Request& request, const Router::Match& match,
                    const RequestContext& context, Respond done);

  // The answer to a request the transport could not hand over whole (malformed, too large): a
  // JSON error `{"error": message}` with the headers every response gets, and the access-log
  // line, attributed to the route of `method` and `path` as far as they were read (empty: "-").
  Response reject(std::string_view method, std::string_view path, int status,
                  std::string_view message, const RequestContext& context = {});

  [[nodiscard]] const Router& router() const { return router_; }

 private:
  void serve(RouteGroup group, const RouteTargets& targets);
  void dispatch(const Request& request, const Router::Match& match, const RequestContext& context,
                bool allow_async, Respond done);
  // Who sent a request to a route that is not public, or the 401 (400) that refuses it.
  std::expected<Identity, Response> authenticate(const Request& request,
                                                 const RequestContext& context) const;

  enum class Auth { kOff, kTokens, kTransport };
  Auth auth_ = Auth::kOff;
  TokenVerifier* verifier_ = nullptr;
  std::string jwks_;
  std::string openapi_;
  std::vector<ReadinessCheck> readiness_;
  std::function<std::string()> metrics_;

  const Clock& clock_;
  PageTokens page_tokens_;  // before the handlers, which use it
  std::unique_ptr<UsersHandlers> users_;
  std::unique_ptr<AssetsHandlers> assets_;
  Router router_;  // its handlers point into users_ and assets_
  AccessLog& log_;
};

}  // namespace sbapi
