// The caller's identity as API Gateway's authorizer hands it to the function, when API Gateway
// verified the token (a Cognito authorizer on a REST API, a JWT authorizer on an HTTP API).
//
// Contract
// - REST (v1): `requestContext.authorizer.claims`; HTTP API (v2):
//   `requestContext.authorizer.jwt.claims`. Claims arrive as API Gateway renders them: every
//   value a string; a list (`cognito:groups`) as "a,b" on REST and "[a b]" on HTTP APIs; a real
//   JSON array of strings is read as well. A group name holding ',' or ' ' cannot be told apart
//   from two groups: don't name groups so.
// - nullopt when there are no claims or no non-empty string subject claim: the Api answers 401
//   (a function configured for authentication never trusts a request without them).
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/caller.h"
#include "lambda/events.h"

namespace sbapi::lambda {

std::optional<Identity> authorizer_identity(const boost::json::object& event, EventKind kind,
                                            const IdentityClaims& claims);

// The groups of a claim value rendered as a string: "[a b]" (HTTP API), else "a,b" (REST).
std::vector<std::string> rendered_groups(std::string_view value);

}  // namespace sbapi::lambda
