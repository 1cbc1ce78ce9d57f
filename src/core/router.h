// Method + path-template routing.
//
// Templates are literal segments and `{name}` parameters, e.g. "/users/{id}". A parameter
// matches one non-empty segment and is percent-decoded. `match` tells a matched route from an
// unknown path (404) and from a known path with the wrong method (405 plus the methods that
// would have matched, for the `Allow` header).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/caller.h"
#include "core/http.h"

namespace sbapi {

class PathParams {
 public:
  void add(std::string name, std::string value) {
    params_.emplace_back(std::move(name), std::move(value));
  }
  // The value of `name`, or an empty view when the route has no such parameter.
  [[nodiscard]] std::string_view get(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

// A route's handler: the request, its path parameters, and who sent it (the Api has checked
// the token of a route that is not public; caller.h).
using Handler = std::function<Response(const Request&, const PathParams&, const Caller&)>;
// A handler that may answer later, on another thread: it calls `respond` exactly once.
using Respond = std::function<void(Response)>;
// Where the rest of an asynchronous request runs once its storage has completed: the transport's
// event loop, so that the storage's writer thread (SQLite's one committer) only writes; when
// empty, right there on the storage's thread.
using Resume = std::function<void(std::function<void()>)>;
using AsyncHandler =
    std::function<void(const Request&, const PathParams&, const Caller&, const Resume&, Respond)>;

struct Route {
  std::string method;
  std::string path_template;
};

struct RouteSpec;  // route_table.h

class Router {
 public:
  // `async` (optional): the same route for callers that must not wait (Api::handle_async).
  void add(std::string method, std::string path_template, Handler handler,
           AsyncHandler async = nullptr);
  // A route of the route table (which outlives every Router), with its bound handlers.
  void add(const RouteSpec& spec, Handler handler, AsyncHandler async = nullptr);

  struct Match {
    // kMalformedPath: no route matches, and one would have if a parameter's percent-encoding
    // were valid (e.g. "/users/%zz"): a client error, not an unknown path.
    enum class Kind { kFound, kNotFound, kMethodNotAllowed, kMalformedPath };
    Kind kind = Kind::kNotFound;
    const Handler* handler = nullptr;             // kFound only
    const AsyncHandler* async_handler = nullptr;  // kFound, when the route has one
    PathParams params;                            // kFound only
    std::string_view route;           // the template, for logs; kFound and kMethodNotAllowed
    std::string allow;                // kMethodNotAllowed only, e.g. "GET, PUT, DELETE"
    const RouteSpec* spec = nullptr;  // kFound, for a route added from the route table
  };
  [[nodiscard]] Match match(std::string_view method, std::string_view path) const;

  // Every registered (method, template) pair, in registration order.
  [[nodiscard]] std::vector<Route> routes() const;

 private:
  struct Entry {
    std::string method;
    std::string path_template;
    std::vector<std::string> segments;  // "{id}" for a parameter
    Handler handler;
    AsyncHandler async_handler;
    const RouteSpec* spec = nullptr;
  };
  std::vector<Entry> entries_;
};

// Decodes %XX escapes; returns false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out);

}  // namespace sbapi
