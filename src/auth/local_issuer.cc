#include "auth/local_issuer.h"

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <boost/json/serialize.hpp>

#include <utility>

#include "auth/jws.h"
#include "core/base64.h"
#include "core/private_file.h"

namespace sbapi::auth {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;

// The private key of a PEM file, or nullopt when there is no such file.
std::expected<std::optional<PkeyPtr>, std::string> read_key(const fs::path& path) {
  auto pem = read_private_file(path, kMaxKeyFileBytes);
  if (!pem) return std::unexpected(pem.error());
  if (!*pem) return std::optional<PkeyPtr>();
  const BioPtr bio(BIO_new_mem_buf((*pem)->data(), static_cast<int>((*pem)->size())));
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return std::unexpected(path.string() + " does not hold a PEM private key");
  return std::optional<PkeyPtr>(std::move(key));
}

std::expected<std::string, std::string> to_pem(EVP_PKEY* key) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return std::unexpected("OpenSSL cannot write the key as PEM");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

// A new key at `path`, unless another process put one there first (then theirs stays).
std::expected<void, std::string> create_key(const fs::path& path) {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return std::unexpected("OpenSSL cannot generate a P-256 key");
  const auto pem = to_pem(key.get());
  if (!pem) return std::unexpected(pem.error());
  return create_private_file(path, *pem);
}

// The base64url affine coordinate `name` (OSSL_PKEY_PARAM_EC_PUB_X/Y) of a P-256 key.
std::optional<std::string> coordinate(EVP_PKEY* key, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) return std::nullopt;
  const BignumPtr bn(raw);
  unsigned char bytes[32];
  if (BN_bn2binpad(bn.get(), bytes, sizeof bytes) != static_cast<int>(sizeof bytes)) {
    return std::nullopt;
  }
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

std::string json_segment(const json::object& object) {
  return base64url_encode(json::serialize(object));
}

}  // namespace

LocalIssuer::LocalIssuer(PkeyPtr key, std::string x, std::string y, fs::path key_path)
    : key_(std::move(key)), x_(std::move(x)), y_(std::move(y)), key_path_(std::move(key_path)) {
  kid_ = jwk_thumbprint(public_jwk()).value_or("");
}

std::expected<LocalIssuer, std::string> LocalIssuer::open(const fs::path& data_dir) {
  const auto dir = private_directory(data_dir / "auth");
  if (!dir) return std::unexpected(dir.error());
  const fs::path path = *dir / "token-signing-key.pem";
  auto key = read_key(path);
  if (key && !*key) {
    if (auto created = create_key(path); !created) return std::unexpected(created.error());
    key = read_key(path);  // ours, or the one another process linked first
  }
  if (!key) return std::unexpected(key.error());
  if (!*key) return std::unexpected(path.string() + " vanished while it was being created");
  EVP_PKEY* pkey = (*key)->get();
  char group[64] = "";
  if (EVP_PKEY_is_a(pkey, "EC") != 1 ||
      EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                     nullptr) != 1 ||
      std::string_view(group) != "prime256v1") {
    return std::unexpected(path.string() + " is not an EC P-256 private key");
  }
  auto x = coordinate(pkey, OSSL_PKEY_PARAM_EC_PUB_X);
  auto y = coordinate(pkey, OSSL_PKEY_PARAM_EC_PUB_Y);
  if (!x || !y) return std::unexpected("cannot read the public key of " + path.string());
  return LocalIssuer(std::move(**key), std::move(*x), std::move(*y), path);
}

json::object LocalIssuer::public_jwk() const {
  return {{"kty", "EC"}, {"crv", "P-256"}, {"x", x_}, {"y", y_}};
}

std::expected<std::string, std::string> LocalIssuer::issue(std::string_view subject,
                                                           const std::vector<std::string>& groups,
                                                           std::chrono::seconds ttl,
                                                           std::int64_t now) const {
  if (subject.empty()) return std::unexpected("the subject is empty");
  if (ttl.count() <= 0) return std::unexpected("the lifetime must be positive");
  const json::object header{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", kid_}};
  json::object claims{{"iss", kIssuer}, {"aud", kAudience}, {"sub", subject}};
  if (!groups.empty()) {
    json::array list;
    for (const std::string& group : groups) list.emplace_back(group);
    claims[rules().claims.groups] = std::move(list);
  }
  claims["iat"] = now;
  claims["exp"] = now + ttl.count();
  const std::string signing_input = json_segment(header) + "." + json_segment(claims);
  const auto signature = sign(JwsAlgorithm::kEs256, key_.get(), signing_input);
  if (!signature) return std::unexpected(signature.error());
  std::string token = signing_input + "." + base64url_encode(*signature);
  if (token.size() > kMaxTokenBytes) return std::unexpected("the token would exceed 8 KiB");
  return token;
}

std::string LocalIssuer::jwks_json() const {
  json::object jwk = public_jwk();
  jwk["alg"] = "ES256";
  jwk["use"] = "sig";
  jwk["kid"] = kid_;
  return json::serialize(json::object{{"keys", json::array{std::move(jwk)}}});
}

JwtRules LocalIssuer::rules() {
  JwtRules rules;
  rules.issuer = std::string(kIssuer);
  rules.audiences = {std::string(kAudience)};
  return rules;
}

KeySet LocalIssuer::key_set() const {
  auto keys = parse_jwks(jwks_json());
  return keys ? std::move(*keys) : KeySet();
}

std::expected<std::unique_ptr<JwtVerifier>, std::string> LocalIssuer::verifier(
    const Clock& clock) const {
  return JwtVerifier::with_keys(rules(), key_set(), clock);
}

}  // namespace sbapi::auth
