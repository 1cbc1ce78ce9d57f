// The JWS signature layer (RFC 7515 §5, RFC 7518 §3.3–3.4) for RS256 and ES256, over OpenSSL 3's
// EVP_DigestSign/EVP_DigestVerify. No claims, no headers: jwt.h builds on it.
//
// Contract
// - The signature bytes are the JWS form: RS256 is the PKCS#1 v1.5 signature (the modulus'
//   length); ES256 is R || S, each 32 bytes big-endian (not DER: it is converted to and from
//   DER for OpenSSL). An ES256 signature of another length never verifies.
// - `verify_signature` uses the key's own algorithm (jwk.h): the caller has already checked that
//   the token's "alg" names it. It is thread-safe for a shared key.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "auth/jwk.h"

namespace sbapi::auth {

// Whether `signature` signs `signing_input` (the ASCII "header.payload") with `key`.
[[nodiscard]] bool verify_signature(const Jwk& key, std::string_view signing_input,
                                    std::string_view signature);

// Signs `signing_input` with a private key (RSA for RS256, P-256 for ES256); the error says why
// OpenSSL could not (a key of the wrong type, out of memory).
std::expected<std::string, std::string> sign(JwsAlgorithm algorithm, EVP_PKEY* private_key,
                                             std::string_view signing_input);

}  // namespace sbapi::auth
