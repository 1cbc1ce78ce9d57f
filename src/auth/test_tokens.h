// Test-only, header-only: keys generated in the test (RSA 2048, P-256), their public JWKs, and
// tokens signed with them — including the forgeries the verifier must refuse (HS256 with a public
// key as the secret, "alg":"none").
#pragma once

#include <openssl/core_names.h>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/jwk.h"
#include "auth/jws.h"
#include "auth/openssl_ptr.h"
#include "core/base64.h"

namespace sbapi::auth::testing {

inline PkeyPtr generate_rsa(std::size_t bits = 2048) {
  return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits));
}

inline PkeyPtr generate_p256() {
  return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

inline std::string bn_param(EVP_PKEY* key, const char* name, int pad = 0) {
  BIGNUM* raw = nullptr;
  EVP_PKEY_get_bn_param(key, name, &raw);
  const BignumPtr bn(raw);
  std::string out(
      pad > 0 ? static_cast<std::size_t>(pad) : static_cast<std::size_t>(BN_num_bytes(bn.get())),
      '\0');
  BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()),
               static_cast<int>(out.size()));
  return out;
}

// The public JWK of an RSA or P-256 key (no alg, no use), named `kid`.
inline boost::json::object public_jwk(EVP_PKEY* key, std::string_view kid) {
  if (EVP_PKEY_is_a(key, "RSA") == 1) {
    return {{"kty", "RSA"},
            {"kid", kid},
            {"n", base64url_encode(bn_param(key, OSSL_PKEY_PARAM_RSA_N))},
            {"e", base64url_encode(bn_param(key, OSSL_PKEY_PARAM_RSA_E))}};
  }
  return {{"kty", "EC"},
          {"crv", "P-256"},
          {"kid", kid},
          {"x", base64url_encode(bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, 32))},
          {"y", base64url_encode(bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32))}};
}

inline std::string jwks(std::initializer_list<boost::json::object> keys) {
  boost::json::array list;
  for (const auto& key : keys) list.push_back(key);
  return boost::json::serialize(boost::json::object{{"keys", std::move(list)}});
}

inline std::string segment(const boost::json::object& object) {
  return base64url_encode(boost::json::serialize(object));
}

// header.payload.signature, signed with `key` under `algorithm` (the header is taken as given).
inline std::string signed_token(const boost::json::object& header,
                                const boost::json::object& claims, JwsAlgorithm algorithm,
                                EVP_PKEY* key) {
  const std::string input = segment(header) + "." + segment(claims);
  return input + "." + base64url_encode(sign(algorithm, key, input).value_or(""));
}

// HMAC-SHA256 of `data` with `secret`: an HS256 signature.
inline std::string hmac_sha256(std::string_view secret, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t length = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out,
            &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

}  // namespace sbapi::auth::testing
