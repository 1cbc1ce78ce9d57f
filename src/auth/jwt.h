// Verifying a JWT (RFC 7519) in JWS compact form against an issuer's keys and our rules, and
// mapping it to an Identity. Pure: no clock, no I/O, no cache (jwt_verifier.h adds those).
//
// Contract. The header, its key and the signature are checked before any claim is read, then the
// claims; the first failing check gives the rejection's reason:
//   too_large      the token is longer than kMaxTokenBytes (8 KiB)
//   malformed      not three base64url segments (strict: no padding, no whitespace, canonical);
//                  the header is not a JSON object with string "alg" and "kid", or has "crit" (we
//                  understand no extension); a JSON text repeats a member name. Later, at its
//                  claim's turn: the claims are not a JSON object; aud, exp (required), nbf or
//                  the groups claim has the wrong type
//   algorithm      "alg" is not RS256 or ES256 (so "none" and HS256 fail here, before the kid is
//                  looked up), or is not the algorithm of the key named by "kid" (the key decides,
//                  never the token)
//   unknown_kid    no key has that kid (jwt_verifier.h refetches the keys on this one)
//   signature      the signature does not verify (ES256: R || S of 64 bytes only)
//   issuer         "iss" is not exactly rules.issuer
//   audience       "aud" (a string or an array of strings) names none of rules.audiences; without
//                  "aud", "client_id" (Cognito access tokens) is not one of them
//   expired        now > exp + leeway
//   not_yet_valid  now + leeway < nbf
//   subject        the subject claim is absent, not a string, or empty
// A rejection's message is short and fixed per reason: it never echoes the token. Fractional
// NumericDates are rounded towards rejection (exp down, nbf up); huge ones are clamped.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwk.h"
#include "core/caller.h"
#include "core/token_verifier.h"

namespace sbapi::auth {

inline constexpr std::size_t kMaxTokenBytes = 8 * 1024;

// The reasons of jwt.h's rejections (TokenRejection::reason).
namespace reason {
inline constexpr std::string_view kTooLarge = "too_large";
inline constexpr std::string_view kMalformed = "malformed";
inline constexpr std::string_view kAlgorithm = "algorithm";
inline constexpr std::string_view kUnknownKid = "unknown_kid";
inline constexpr std::string_view kSignature = "signature";
inline constexpr std::string_view kIssuer = "issuer";
inline constexpr std::string_view kAudience = "audience";
inline constexpr std::string_view kExpired = "expired";
inline constexpr std::string_view kNotYetValid = "not_yet_valid";
inline constexpr std::string_view kSubject = "subject";
}  // namespace reason

struct JwtRules {
  std::string issuer;                  // "iss" must equal it exactly
  std::vector<std::string> audiences;  // "aud" (or else "client_id") must name one of them
  // claims.subject → Identity::subject; claims.groups (absent, a string or strings) →
  // Identity::groups; claims.admin_group → Identity::admin (empty: nobody is an admin).
  IdentityClaims claims;
  std::chrono::seconds leeway{60};  // clock skew allowed on exp and nbf
};

struct VerifiedJwt {
  Identity identity;
  std::int64_t expires_at = 0;  // exp, Unix seconds (without the leeway)
};

// `token` verified at `now` (Unix seconds) against `keys` and `rules`; see the contract.
std::expected<VerifiedJwt, TokenRejection> verify_jwt(std::string_view token, const KeySet& keys,
                                                      const JwtRules& rules, std::int64_t now);

}  // namespace sbapi::auth
