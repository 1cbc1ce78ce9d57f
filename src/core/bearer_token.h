// The bearer token of a request (RFC 6750 §2.1): `Authorization: Bearer <token>`.
//
// The scheme name is case-insensitive (RFC 9110 §11.1) and followed by one or more spaces; the
// token is a token68 (letters, digits, `-._~+/`, then any `=`), with nothing after it but
// spaces. One Authorization field only: a request that repeats it is malformed (RFC 6750 §3.1
// `invalid_request`). Only the header is read: a token in the query or the body is not one.
#pragma once

#include <string_view>

#include "core/http.h"

namespace sbapi {

struct BearerToken {
  enum class Kind {
    kAbsent,       // no Authorization field
    kOtherScheme,  // e.g. Basic: no bearer token was sent
    kRepeated,     // two or more Authorization fields
    kMalformed,    // Bearer, but no token or not a token68
    kFound,
  };
  Kind kind = Kind::kAbsent;
  std::string_view token;  // kFound only; points into the request
};

BearerToken bearer_token(const Request& request);

}  // namespace sbapi
