// The local development issuer: signs bearer tokens for `sbapi serve` (and `sbapi token`) with a
// key kept in the data dir, so that authentication works on a laptop without Cognito.
//
// Contract
// - `open` loads `<data_dir>/auth/token-signing-key.pem` (an EC P-256 private key, PKCS#8 PEM),
//   or creates it: the data dir if missing, `auth/` with mode 0700, the key file with mode 0600
//   (written to a temporary file created with O_EXCL, then link(2)ed to its name, which never
//   replaces an existing file: of two processes starting together one key wins and both use it).
//   Wider modes found on an existing directory or key file are narrowed. Errors are one line.
// - `issue` makes a compact ES256 JWT: header {alg: ES256, typ: JWT, kid}, claims {iss, aud (both
//   "sbapi-local"), sub, <rules().claims.groups>: groups (omitted when there are none), iat, exp}.
// - `kid` is the key's RFC 7638 thumbprint; `jwks_json` publishes the public key
//   {"keys":[{kty, crv, x, y, alg: ES256, use: sig, kid}]}; `rules()` accepts exactly these
//   tokens; `verifier` checks them with this key alone (never fetching anything).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwk.h"
#include "auth/jwt.h"
#include "auth/jwt_verifier.h"
#include "auth/openssl_ptr.h"
#include "core/clock.h"

namespace sbapi::auth {

class LocalIssuer {
 public:
  static constexpr std::string_view kIssuer = "sbapi-local";
  static constexpr std::string_view kAudience = "sbapi-local";

  static std::expected<LocalIssuer, std::string> open(const std::filesystem::path& data_dir);

  // A token for `subject` (non-empty) in `groups`, valid from `now` (Unix seconds) for `ttl`
  // (positive). Fails when OpenSSL cannot sign or the token would exceed kMaxTokenBytes.
  [[nodiscard]] std::expected<std::string, std::string> issue(
      std::string_view subject, const std::vector<std::string>& groups, std::chrono::seconds ttl,
      std::int64_t now) const;

  [[nodiscard]] const std::string& kid() const { return kid_; }
  [[nodiscard]] const std::filesystem::path& key_path() const { return key_path_; }
  [[nodiscard]] std::string jwks_json() const;
  [[nodiscard]] static JwtRules rules();
  // This issuer's public key as a key set (one key).
  [[nodiscard]] KeySet key_set() const;
  // A verifier of this issuer's tokens; `clock` must outlive it.
  [[nodiscard]] std::expected<std::unique_ptr<JwtVerifier>, std::string> verifier(
      const Clock& clock) const;

 private:
  LocalIssuer(PkeyPtr key, std::string x, std::string y, std::filesystem::path key_path);
  [[nodiscard]] boost::json::object public_jwk() const;

  PkeyPtr key_;
  std::string x_;  // base64url coordinates of the public key
  std::string y_;
  std::string kid_;
  std::filesystem::path key_path_;
};

}  // namespace sbapi::auth
