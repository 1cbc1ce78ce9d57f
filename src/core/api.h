// The whole HTTP API as one function: a transport-neutral Request in, a Response out.
//
// `Api::handle` owns everything every endpoint shares: routing (404 for an unknown path, 405 with
// `Allow` for a wrong method), CORS headers and `OPTIONS` preflight without touching storage, the
// 64 KiB body limit, an `X-Request-Id` on every response, JSON error bodies, turning an escaped
// exception into a bare 500, and one access-log line per request. It is thread-safe: the HTTP
// server calls it from all its threads at once.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "core/access_log.h"
#include "core/clock.h"
#include "core/http.h"
#include "core/object_store.h"
#include "core/router.h"
#include "core/table.h"

namespace sbapi {

class AssetsHandlers;
class UsersHandlers;

inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;

struct RequestContext {
  std::string request_id;  // empty: the Api makes one up
  bool cold_start = false;
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

  Response handle(const Request& request, const RequestContext& context = {});

  // `handle` for a caller that must not wait on storage (an event loop): a route with an
  // asynchronous handler (POST /users: Table::put_if_absent_async) answers through `done` when
  // its storage completes, maybe later and on the storage's thread; every other request is
  // answered before this returns. Either way `done` is called exactly once, with the same
  // response, headers and access-log line `handle` would give.
  void handle_async(const Request& request, const RequestContext& context, Respond done);

  // Whether `handle_async` of this request could complete later (its route is asynchronous).
  [[nodiscard]] bool is_async(std::string_view method, std::string_view path) const;

  [[nodiscard]] const Router& router() const { return router_; }

 private:
  void dispatch(const Request& request, const RequestContext& context, bool allow_async,
                Respond done);

  const Clock& clock_;
  std::unique_ptr<UsersHandlers> users_;
  std::unique_ptr<AssetsHandlers> assets_;
  Router router_;  // its handlers point into users_ and assets_
  AccessLog& log_;
};

}  // namespace sbapi
