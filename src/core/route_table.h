// The route table: every route sbapi answers, declared once.
//
// Each entry names its method and path template, a stable operation name (for logs, metrics
// and the API document), its resource group, where it is served, whether it is public when
// authentication is on, a one-line summary, and how its handler is bound. Everything else reads
// this table: the Api's Router (only the routes the Api itself answers), the `Allow` header and
// the CORS method lists, `sbapi routes` (and through it the SAM template's test), and the HTTP
// server's object endpoint (whose routes are served by `sbapi serve` only, and answered by the
// server rather than the Api).
//
// Adding a route is adding one entry to kRoutes in route_table.cc.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/docs_page.h"
#include "core/readiness.h"
#include "core/router.h"

namespace sbapi {

class UsersHandlers;
class AssetsHandlers;

enum class RouteGroup { kHealth, kUsers, kAssets, kAuth, kDocs, kOperations, kObjects };

// Where a route is served: by every way sbapi runs (the HTTP server, Lambda behind API Gateway),
// or by `sbapi serve` only (the local object endpoint standing in for S3).
enum class Served { kEverywhere, kServeOnly };

// What a route's handler is bound to: the resource groups an Api serves (null when it does not).
struct RouteTargets {
  UsersHandlers* users = nullptr;
  AssetsHandlers* assets = nullptr;
  const std::string* jwks = nullptr;           // the JWKS document the Api publishes (--auth local)
  const std::string* openapi = nullptr;        // the API's OpenAPI document (sbapi serve)
  std::span<const StaticFile> docs_page = {};  // the docs page's files (sbapi serve)
  // Readiness checks and the metrics exposition (sbapi serve; an empty function: no metrics).
  const std::vector<ReadinessCheck>* readiness = nullptr;
  const std::function<std::string()>* metrics = nullptr;
};

struct RouteSpec {
  std::string_view method;     // upper-case, as on the wire
  std::string_view path;       // template: literal segments and `{name}` parameters
  std::string_view operation;  // stable and unique, e.g. "getUser"
  RouteGroup group;
  Served served;
  bool is_public;  // answered without a token when authentication is on
  std::string_view summary;
  // The handler over `targets`; null for a route the HTTP server answers itself (objects).
  Handler (*bind)(const RouteTargets& targets) = nullptr;
  // An asynchronous form of the handler (Api::handle_async), when there is one.
  AsyncHandler (*bind_async)(const RouteTargets& targets) = nullptr;
};

// Every route, in the order `sbapi routes` lists them.
std::span<const RouteSpec> route_table();

// The route with this operation name, or null.
const RouteSpec* find_route(std::string_view operation);

// "health", "users", "assets", "auth", "docs", "operations", "objects".
std::string_view group_name(RouteGroup group);
// "everywhere", "serve".
std::string_view served_name(Served served);

// The methods of a group's routes (all Api groups: `group` unset), in the canonical order GET,
// HEAD, POST, PUT, PATCH, DELETE, then OPTIONS (every path answers a CORS preflight), joined by
// `separator`: "GET,POST,PUT,DELETE,OPTIONS" for Access-Control-Allow-Methods, "GET, HEAD, PUT,
// OPTIONS" for an object's Allow header.
std::string route_methods(std::string_view separator);
std::string route_methods(RouteGroup group, std::string_view separator);

}  // namespace sbapi
