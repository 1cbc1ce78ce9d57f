// JSON Web Keys (RFC 7517, RFC 7518 §6): an issuer's public signing keys, read from its JWKS
// document (`{"keys":[…]}`, e.g. Cognito's `…/.well-known/jwks.json`).
//
// Contract
// - A key's algorithm is fixed by the key, never by a token: kty "RSA" (n, e; a modulus of 2048
//   to 8192 bits, odd; e odd and > 1) is RS256; kty "EC" with crv "P-256" (x and y of exactly 32
//   bytes, a point on the curve) is ES256. Its "alg", when present, must name that algorithm.
// - `parse_jwks` skips, without failing, a key it cannot use: no (or an empty) "kid", "use"
//   other than "sig", another kty, crv or alg, malformed or weak parameters, a kid already seen
//   (the first one is kept: a kid must name one key). It fails only when the document is not a
//   JSON object with a "keys" array, or no key is usable; the error is one line for an operator.
// - Private members ("d", …) are ignored: only the public key is built. Keys are built with
//   OpenSSL 3's EVP_PKEY_fromdata; a KeySet is immutable and may be read by any number of threads.
#pragma once

#include <boost/json/object.hpp>

#include <expected>
#include <map>
#include <string>
#include <string_view>

#include "auth/openssl_ptr.h"

namespace sbapi::auth {

enum class JwsAlgorithm {
  kRs256,  // RSASSA-PKCS1-v1_5 with SHA-256
  kEs256,  // ECDSA P-256 with SHA-256
};

// "RS256" / "ES256", as JOSE headers write them.
std::string_view algorithm_name(JwsAlgorithm algorithm);

struct Jwk {
  std::string kid;
  JwsAlgorithm algorithm = JwsAlgorithm::kRs256;
  PkeyPtr key;  // public; never null in a KeySet
};

class KeySet {
 public:
  // The key named `kid`, or null. The pointer lives as long as the set.
  [[nodiscard]] const Jwk* find(std::string_view kid) const;
  [[nodiscard]] std::size_t size() const { return keys_.size(); }
  [[nodiscard]] bool empty() const { return keys_.empty(); }
  // Adds `key` unless its kid is already there (then false, and the set is unchanged).
  bool add(Jwk key);

 private:
  std::map<std::string, Jwk, std::less<>> keys_;
};

// One JWK object → a usable key, or why it is not usable (for the skipped-key diagnostics).
std::expected<Jwk, std::string> parse_jwk(const boost::json::object& jwk);

// A JWKS document → its usable keys; see the contract.
std::expected<KeySet, std::string> parse_jwks(std::string_view json);

// The JWK thumbprint (RFC 7638) of an RSA or EC public key: the base64url SHA-256 of its required
// members (RSA: e, kty, n; EC: crv, kty, x, y) as compact JSON in lexicographic order. The error
// says which member is missing.
std::expected<std::string, std::string> jwk_thumbprint(const boost::json::object& jwk);

}  // namespace sbapi::auth
