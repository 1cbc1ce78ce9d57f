// `TokenVerifier`: the port through which the Api checks a bearer token (RFC 6750) when
// authentication is on. Implementations (src/auth/) verify a JWT's signature against the
// issuer's keys and its claims (issuer, audience, expiry), and map it to an Identity; the Api
// never sees keys, claims or signatures, and never logs a token.
//
// Contract
// - `verify` is thread-safe and called on the request's thread (for `sbapi serve`, an event
//   loop): it must not wait on the network except, rarely and bounded, to refresh the issuer's
//   keys (src/auth/jwt_verifier.h says when).
// - A token it cannot accept gives a TokenRejection: `reason` is a short fixed word for metrics
//   and logs ("expired", "signature", ...), never derived from the token's content; `message`
//   is what the 401 says to the client.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "core/caller.h"

namespace sbapi {

struct TokenRejection {
  std::string_view reason;  // a fixed word: "malformed", "signature", "expired", ...
  std::string message;      // for the client, e.g. "The token has expired"
};

class TokenVerifier {
 public:
  virtual ~TokenVerifier() = default;
  // The identity `token` (the credentials after "Bearer ") proves, or why it proves none.
  virtual std::expected<Identity, TokenRejection> verify(std::string_view token) = 0;
  // Why no token can be verified now (no keys loaded), or nullopt (GET /health/ready).
  [[nodiscard]] virtual std::optional<std::string> not_ready() const { return std::nullopt; }
};

}  // namespace sbapi
