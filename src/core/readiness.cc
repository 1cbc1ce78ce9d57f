#include "core/readiness.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/responses.h"

namespace sbapi {

Response readiness_response(std::span<const ReadinessCheck> checks) {
  boost::json::object results;
  std::string reason;
  for (const ReadinessCheck& check : checks) {
    const std::optional<std::string> failure = check.failure();
    results[check.name] = failure ? *failure : "ok";
    if (failure && reason.empty()) reason = std::string(check.name) + ": " + *failure;
  }
  if (reason.empty()) {
    return json_response(200, boost::json::object{{"status", "ready"}, {"checks", results}});
  }
  Response response = json_response(
      503, boost::json::object{{"status", "not ready"}, {"reason", reason}, {"checks", results}});
  response.set_header("retry-after", "5");
  return response;
}

}  // namespace sbapi
