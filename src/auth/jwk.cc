#include "auth/jwk.h"

#include <openssl/core_names.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <utility>
#include <vector>

#include "core/base64.h"
#include "core/duplicate_keys.h"

namespace sbapi::auth {
namespace {

namespace json = boost::json;

constexpr int kMinRsaBits = 2048;
// Verifying costs grow with the modulus; no issuer uses more.
constexpr int kMaxRsaBits = 8192;
constexpr std::size_t kP256CoordinateBytes = 32;

// The string member `name`, or nullopt when absent; a non-string is "" (never a valid value).
std::optional<std::string_view> member(const json::object& object, std::string_view name) {
  const json::value* v = object.if_contains(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) return std::string_view();
  return std::string_view(v->get_string());
}

// A base64url member holding an unsigned big-endian integer or coordinate.
std::optional<std::string> bytes_member(const json::object& object, std::string_view name) {
  const auto text = member(object, name);
  if (!text || text->empty()) return std::nullopt;
  return base64url_decode(*text);
}

BignumPtr to_bignum(std::string_view bytes) {
  return BignumPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                             static_cast<int>(bytes.size()), nullptr));
}

PkeyPtr from_params(const char* type, ParamBldPtr& builder) {
  ParamsPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return PkeyPtr(key);
}

std::expected<PkeyPtr, std::string> rsa_key(const json::object& jwk) {
  const auto n_bytes = bytes_member(jwk, "n");
  const auto e_bytes = bytes_member(jwk, "e");
  if (!n_bytes || !e_bytes) return std::unexpected("n or e is missing or not base64url");
  if (e_bytes->size() > 8) return std::unexpected("e is too large");
  const BignumPtr n = to_bignum(*n_bytes);
  const BignumPtr e = to_bignum(*e_bytes);
  if (!n || !e) return std::unexpected("out of memory");
  const int bits = BN_num_bits(n.get());
  if (bits < kMinRsaBits) return std::unexpected("the RSA modulus is shorter than 2048 bits");
  if (bits > kMaxRsaBits) return std::unexpected("the RSA modulus is longer than 8192 bits");
  if (!BN_is_odd(n.get()) || !BN_is_odd(e.get()) || BN_is_one(e.get())) {
    return std::unexpected("n or e is not a valid RSA public key");
  }
  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return std::unexpected("out of memory");
  }
  PkeyPtr key = from_params("RSA", builder);
  if (!key) return std::unexpected("OpenSSL refused the RSA key");
  return key;
}

std::expected<PkeyPtr, std::string> p256_key(const json::object& jwk) {
  const auto x = bytes_member(jwk, "x");
  const auto y = bytes_member(jwk, "y");
  if (!x || !y || x->size() != kP256CoordinateBytes || y->size() != kP256CoordinateBytes) {
    return std::unexpected("x and y must be 32 bytes of base64url");
  }
  std::string point = "\x04" + *x + *y;  // SEC 1 uncompressed point
  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  constexpr char kGroup[] = "prime256v1";
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, kGroup, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return std::unexpected("out of memory");
  }
  PkeyPtr key = from_params("EC", builder);
  if (!key) return std::unexpected("the point is not on P-256");
  // fromdata decodes the point; the check also refuses the point at infinity and a wrong order.
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    return std::unexpected("the point is not a valid P-256 public key");
  }
  return key;
}

}  // namespace

std::string_view algorithm_name(JwsAlgorithm algorithm) {
  return algorithm == JwsAlgorithm::kEs256 ? "ES256" : "RS256";
}

const Jwk* KeySet::find(std::string_view kid) const {
  const auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : &it->second;
}

bool KeySet::add(Jwk key) {
  std::string kid = key.kid;
  return keys_.emplace(std::move(kid), std::move(key)).second;
}

std::expected<Jwk, std::string> parse_jwk(const json::object& jwk) {
  const auto kid = member(jwk, "kid");
  if (!kid || kid->empty()) return std::unexpected("no kid");
  if (const auto use = member(jwk, "use"); use && *use != "sig") {
    return std::unexpected("use is not \"sig\"");
  }
  const auto kty = member(jwk, "kty");
  const auto alg = member(jwk, "alg");
  Jwk out;
  out.kid = std::string(*kid);
  std::expected<PkeyPtr, std::string> key;
  if (kty == "RSA") {
    out.algorithm = JwsAlgorithm::kRs256;
    if (alg && *alg != "RS256") return std::unexpected("an RSA key for another alg than RS256");
    key = rsa_key(jwk);
  } else if (kty == "EC") {
    out.algorithm = JwsAlgorithm::kEs256;
    if (member(jwk, "crv") != "P-256") {
      return std::unexpected("an EC key on another crv than P-256");
    }
    if (alg && *alg != "ES256") return std::unexpected("an EC key for another alg than ES256");
    key = p256_key(jwk);
  } else {
    return std::unexpected("kty is neither RSA nor EC");
  }
  if (!key) return std::unexpected(std::move(key.error()));
  out.key = std::move(*key);
  return out;
}

std::expected<std::string, std::string> jwk_thumbprint(const json::object& jwk) {
  const auto kty = member(jwk, "kty");
  std::vector<std::string_view> required;
  if (kty == "RSA") {
    required = {"e", "kty", "n"};
  } else if (kty == "EC") {
    required = {"crv", "kty", "x", "y"};
  } else {
    return std::unexpected("kty is neither RSA nor EC");
  }
  json::object canonical;  // keeps insertion order, which is lexicographic here
  for (std::string_view name : required) {
    const auto value = member(jwk, name);
    if (!value || value->empty()) return std::unexpected(std::string(name) + " is missing");
    canonical[name] = *value;
  }
  const std::string text = json::serialize(canonical);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return std::unexpected("OpenSSL cannot hash");
  }
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::expected<KeySet, std::string> parse_jwks(std::string_view text) {
  boost::system::error_code ec;
  const json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return std::unexpected("the JWKS is not a JSON object");
  // Two parsers could read a repeated member differently; a key document has no need of one.
  if (has_duplicate_keys(text)) return std::unexpected("the JWKS repeats a member name");
  const json::value* keys = doc.get_object().if_contains("keys");
  if (keys == nullptr || !keys->is_array()) {
    return std::unexpected("the JWKS has no \"keys\" array");
  }
  KeySet set;
  std::string last_reason = "the \"keys\" array is empty";
  for (const json::value& entry : keys->get_array()) {
    if (!entry.is_object()) {
      last_reason = "a key is not a JSON object";
      continue;
    }
    auto jwk = parse_jwk(entry.get_object());
    if (!jwk) {
      last_reason = std::move(jwk.error());
      continue;
    }
    if (!set.add(std::move(*jwk))) last_reason = "a kid is repeated";
  }
  if (set.empty()) return std::unexpected("the JWKS has no usable key (" + last_reason + ")");
  return set;
}

}  // namespace sbapi::auth
