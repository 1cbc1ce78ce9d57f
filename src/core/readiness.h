// Readiness: whether this server can do its work now (GET /health/ready), as opposed to
// liveness (GET /health/live, GET /health: the process answers).
//
// A server is ready when every check holds. Each check is named ("storage", "disk",
// "token_keys") and answers nothing when it holds, else why not in a few words for an operator
// and a load balancer (never storage error text, never a path). Checks run on the request's
// thread, one after another, on every probe: each must be quick and bounded (a read by key, a
// statvfs), never a scan.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/http.h"

namespace sbapi {

struct ReadinessCheck {
  std::string_view name;
  std::function<std::optional<std::string>()> failure;  // nullopt: it holds
};

// 200 {"status":"ready","checks":{"<name>":"ok",...}}, or, when a check fails, 503
// {"status":"not ready","reason":"<name>: <why>","checks":{"<name>":"<why>"|"ok",...}} with
// `Retry-After: 5` and the reason of the first failing check. No checks: ready.
Response readiness_response(std::span<const ReadinessCheck> checks);

}  // namespace sbapi
