#include "core/route_table.h"

#include <array>
#include <utility>

#include "core/assets_handlers.h"
#include "core/responses.h"
#include "core/users_handlers.h"

namespace sbapi {
namespace {

using G = RouteGroup;
using S = Served;

// The object endpoint's template: the key may hold slashes ("/{bucket}/assets/a1/f.txt").
constexpr std::string_view kObjectPath = "/{bucket}/{key}";

constexpr auto kRoutes = std::to_array<RouteSpec>({
    {"GET", "/health", "health", G::kHealth, S::kEverywhere, true,
     "Liveness: the process answers (no storage is read)",
     [](const RouteTargets&) -> Handler {
       return [](const Request&, const PathParams&, const Caller&) {
         return json_response(200, boost::json::object{{"status", "ok"}});
       };
     }},

    {"GET", "/users", "listUsers", G::kUsers, S::kEverywhere, false,
     "List users, newest first: those with an email address, or every user (admins)",
     [](const RouteTargets& t) -> Handler {
       return [u = t.users](const Request& r, const PathParams&, const Caller& c) {
         return u->list(r, c);
       };
     }},
    {"POST", "/users", "createUser", G::kUsers, S::kEverywhere, false,
     "Create a user; the same userId again answers 200 with the stored user",
     [](const RouteTargets& t) -> Handler {
       return [u = t.users](const Request& r, const PathParams&, const Caller& c) {
         return u->create(r, c);
       };
     },
     [](const RouteTargets& t) -> AsyncHandler {
       return [u = t.users](const Request& r, const PathParams&, const Caller& c,
                            const Resume& resume, Respond respond) {
         u->create_async(r, c, resume, std::move(respond));
       };
     }},
    {"GET", "/users/{id}", "getUser", G::kUsers, S::kEverywhere, false, "Read a user",
     [](const RouteTargets& t) -> Handler {
       return [u = t.users](const Request&, const PathParams& p, const Caller& c) {
         return u->get(p.get("id"), c);
       };
     }},
    {"PUT", "/users/{id}", "updateUser", G::kUsers, S::kEverywhere, false,
     "Change some fields of a user",
     [](const RouteTargets& t) -> Handler {
       return [u = t.users](const Request& r, const PathParams& p, const Caller& c) {
         return u->update(p.get("id"), r, c);
       };
     },
     [](const RouteTargets& t) -> AsyncHandler {
       return [u = t.users](const Request& r, const PathParams& p, const Caller& c,
                            const Resume& resume, Respond respond) {
         u->update_async(p.get("id"), r, c, resume, std::move(respond));
       };
     }},
    {"DELETE", "/users/{id}", "deleteUser", G::kUsers, S::kEverywhere, false, "Delete a user",
     [](const RouteTargets& t) -> Handler {
       return [u = t.users](const Request&, const PathParams& p, const Caller& c) {
         return u->remove(p.get("id"), c);
       };
     },
     [](const RouteTargets& t) -> AsyncHandler {
       return [u = t.users](const Request&, const PathParams& p, const Caller& c,
                            const Resume& resume, Respond respond) {
         u->remove_async(p.get("id"), c, resume, std::move(respond));
       };
     }},

    {"GET", "/assets", "listAssets", G::kAssets, S::kEverywhere, false,
     "List the caller's assets (an admin's: all), newest first, optionally by status",
     [](const RouteTargets& t) -> Handler {
       return [a = t.assets](const Request& r, const PathParams&, const Caller& c) {
         return a->list(r, c);
       };
     }},
    {"POST", "/assets", "createAsset", G::kAssets, S::kEverywhere, false,
     "Record an asset and answer a presigned upload URL",
     [](const RouteTargets& t) -> Handler {
       return [a = t.assets](const Request& r, const PathParams&, const Caller& c) {
         return a->create(r, c);
       };
     }},
    {"GET", "/assets/{id}", "getAsset", G::kAssets, S::kEverywhere, false, "Read an asset",
     [](const RouteTargets& t) -> Handler {
       return [a = t.assets](const Request&, const PathParams& p, const Caller& c) {
         return a->get(p.get("id"), c);
       };
     }},
    {"GET", "/assets/{id}/download", "downloadAsset", G::kAssets, S::kEverywhere, false,
     "Answer a presigned download URL for an asset",
     [](const RouteTargets& t) -> Handler {
       return [a = t.assets](const Request&, const PathParams& p, const Caller& c) {
         return a->download(p.get("id"), c);
       };
     }},

    // The keys `sbapi token` signs with, for clients that verify tokens themselves. Served by
    // `sbapi serve --auth local` only: on AWS the issuer (Cognito) publishes its own.
    {"GET", "/.well-known/jwks.json", "getJwks", G::kAuth, S::kServeOnly, true,
     "The public keys of the local token issuer (--auth local)",
     [](const RouteTargets& t) -> Handler {
       return [doc = t.jwks](const Request&, const PathParams&, const Caller&) {
         Response response;
         response.set_header("content-type", "application/json");
         response.set_header("cache-control", "public, max-age=300");
         response.body = *doc;
         return response;
       };
     }},

    // This API's contract (openapi.yaml), served by `sbapi serve`: on AWS the document is in the
    // repository (API Gateway imports OpenAPI, it does not serve it).
    {"GET", "/openapi.yaml", "getOpenApi", G::kDocs, S::kServeOnly, true,
     "This API's OpenAPI 3.0.3 document",
     [](const RouteTargets& t) -> Handler {
       return [doc = t.openapi](const Request&, const PathParams&, const Caller&) {
         Response response;
         response.set_header("content-type", "application/yaml");
         response.set_header("cache-control", "no-cache");
         response.body = *doc;
         return response;
       };
     }},

    // The docs page (Swagger UI over openapi.yaml) and its files, built into `sbapi serve`.
    {"GET", "/docs", "getDocs", G::kDocs, S::kServeOnly, true,
     "The docs page (Swagger UI over this API's OpenAPI document)",
     [](const RouteTargets& t) -> Handler {
       return [files = t.docs_page](const Request&, const PathParams&, const Caller&) {
         return docs_page_file(files, kDocsPageFile);
       };
     }},
    {"GET", "/docs/{file}", "getDocsFile", G::kDocs, S::kServeOnly, true,
     "A file of the docs page (Swagger UI's script and styles)",
     [](const RouteTargets& t) -> Handler {
       return [files = t.docs_page](const Request&, const PathParams& p, const Caller&) {
         return docs_page_file(files, p.get("file"));
       };
     }},

    // Probes and metrics of a long-running server (`sbapi serve`): on AWS, API Gateway and Lambda
    // have their own (CloudWatch). Metrics show traffic and internals: admins only when
    // authentication is on (or without a token on --metrics-listen's own address).
    {"GET", "/health/live", "getLiveness", G::kOperations, S::kServeOnly, true,
     "Liveness: the process answers (no storage is read); the same as GET /health",
     [](const RouteTargets&) -> Handler {
       return [](const Request&, const PathParams&, const Caller&) {
         return json_response(200, boost::json::object{{"status", "ok"}});
       };
     }},
    {"GET", "/health/ready", "getReadiness", G::kOperations, S::kServeOnly, true,
     "Readiness: storage answers a read, the disk has room, token keys are loaded",
     [](const RouteTargets& t) -> Handler {
       return [checks = t.readiness](const Request&, const PathParams&, const Caller&) {
         return readiness_response(*checks);
       };
     }},
    {"GET", "/metrics", "getMetrics", G::kOperations, S::kServeOnly, false,
     "Metrics in the Prometheus text format (admins, when authentication is on)",
     [](const RouteTargets& t) -> Handler {
       return [metrics = t.metrics](const Request&, const PathParams&, const Caller& caller) {
         if (!*metrics) return error_response(404, "Not found");
         if (caller.authenticated() && !caller.admin()) {
           return error_response(403, "Metrics are for admins");
         }
         Response response;
         response.set_header("content-type", "text/plain; version=0.0.4; charset=utf-8");
         response.set_header("cache-control", "no-store");
         response.body = (*metrics)();
         return response;
       };
     }},

    // The local stand-in for S3 (presigned URLs), answered by the HTTP server itself. Public:
    // each request carries its own SigV4 query signature instead of a token.
    {"PUT", kObjectPath, "putObject", G::kObjects, S::kServeOnly, true,
     "Upload an object to a presigned URL"},
    {"GET", kObjectPath, "getObject", G::kObjects, S::kServeOnly, true,
     "Download an object from a presigned URL"},
    {"HEAD", kObjectPath, "headObject", G::kObjects, S::kServeOnly, true,
     "An object's headers, from a presigned URL"},
});

constexpr std::array<std::string_view, 6> kMethodOrder{"GET", "HEAD",  "POST",
                                                       "PUT", "PATCH", "DELETE"};

template <class Pred>
std::string methods_where(Pred pred, std::string_view separator) {
  std::string out;
  for (std::string_view method : kMethodOrder) {
    for (const RouteSpec& route : kRoutes) {
      if (route.method == method && pred(route)) {
        out.append(method).append(separator);
        break;
      }
    }
  }
  return out.append("OPTIONS");
}

}  // namespace

std::span<const RouteSpec> route_table() { return kRoutes; }

const RouteSpec* find_route(std::string_view operation) {
  for (const RouteSpec& route : kRoutes) {
    if (route.operation == operation) return &route;
  }
  return nullptr;
}

std::string_view group_name(RouteGroup group) {
  switch (group) {
    case RouteGroup::kHealth:
      return "health";
    case RouteGroup::kUsers:
      return "users";
    case RouteGroup::kAssets:
      return "assets";
    case RouteGroup::kAuth:
      return "auth";
    case RouteGroup::kDocs:
      return "docs";
    case RouteGroup::kOperations:
      return "operations";
    case RouteGroup::kObjects:
      return "objects";
  }
  return "?";
}

std::string_view served_name(Served served) {
  return served == Served::kEverywhere ? "everywhere" : "serve";
}

std::string route_methods(std::string_view separator) {
  return methods_where([](const RouteSpec& r) { return r.bind != nullptr; }, separator);
}

std::string route_methods(RouteGroup group, std::string_view separator) {
  return methods_where([group](const RouteSpec& r) { return r.group == group; }, separator);
}

}  // namespace sbapi
