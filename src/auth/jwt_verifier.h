// `JwtVerifier`: the TokenVerifier (core/token_verifier.h) for bearer JWTs signed by an issuer
// whose keys are published as a JWKS (Cognito: https://cognito-idp.<region>.amazonaws.com/
// <pool id>/.well-known/jwks.json), or by the local issuer (local_issuer.h).
//
// Contract
// - Created with its rules and a key source; the keys are fetched at creation, and a failure is
//   the factory's error: one line for a start-up message ("cannot fetch the JWKS from <url>:
//   <why>", "the JWKS from <source> is unusable: <why>", "invalid JWT rules: <why>").
// - `verify` checks a token as jwt.h says, at the clock's time. The keys are then cached: only a
//   token whose kid no cached key has triggers a refetch (key rotation), at most once per
//   kRefetchInterval (counted from the last fetch, the first one included), synchronously on
//   that request's thread and bounded by the fetch's timeout (3 s for a URL). Requests with other
//   unknown kids meanwhile wait for that fetch rather than start their own; requests with known
//   kids never wait for it. A failed refetch keeps the old keys and is logged (log_event, "warn");
//   a successful one replaces them and empties the token cache.
// - Verified tokens are cached (verified_token_cache.h, kCacheCapacity entries) until their exp:
//   the same token again costs one SHA-256 and a lookup. A token past its exp is verified again
//   (with the leeway).
// - Thread-safe. The key set is swapped under a shared_mutex held only for the swap; fetching
//   happens outside it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "auth/jwk.h"
#include "auth/jwt.h"
#include "auth/verified_token_cache.h"
#include "core/clock.h"
#include "core/token_verifier.h"

namespace sbapi::auth {

// Fetches a JWKS document: its text, or a one-line reason naming the source.
using JwksFetch = std::function<std::expected<std::string, std::string>()>;

// The fetch of `location`: an http:// or https:// URL (aws::CurlTransport: kFetchTimeout in all,
// TLS peer and host verified, no redirects, status 200, at most kMaxJwksBytes; errors read "cannot
// fetch the JWKS from <url>: <why>"), or else a file path ("cannot read the JWKS file <path>:
// <why>").
JwksFetch jwks_fetch(std::string location);

inline constexpr std::chrono::milliseconds kFetchTimeout{3000};
inline constexpr std::size_t kMaxJwksBytes = 1024 * 1024;

class JwtVerifier final : public TokenVerifier {
 public:
  static constexpr std::chrono::seconds kRefetchInterval{60};
  static constexpr std::size_t kCacheCapacity = 10000;

  // Keys from `jwks_location` (a URL or a file path, as jwks_fetch reads it). `clock` must
  // outlive the verifier.
  static std::expected<std::unique_ptr<JwtVerifier>, std::string> create(
      JwtRules rules, const std::string& jwks_location, const Clock& clock);
  // Keys from `fetch`, whose error is returned as is; `source` names it in other messages. (Tests
  // pass a fetch that counts or fails.)
  static std::expected<std::unique_ptr<JwtVerifier>, std::string> create(JwtRules rules,
                                                                         JwksFetch fetch,
                                                                         std::string source,
                                                                         const Clock& clock);
  // Fixed keys, never fetched (the local issuer's own).
  static std::expected<std::unique_ptr<JwtVerifier>, std::string> with_keys(JwtRules rules,
                                                                            KeySet keys,
                                                                            const Clock& clock);

  std::expected<Identity, TokenRejection> verify(std::string_view token) override;

  [[nodiscard]] std::optional<std::string> not_ready() const override;
  [[nodiscard]] std::size_t key_count() const;
  [[nodiscard]] std::size_t cached_tokens() const { return cache_.size(); }

 private:
  JwtVerifier(JwtRules rules, KeySet keys, JwksFetch fetch, std::string source, const Clock& clock);

  [[nodiscard]] std::shared_ptr<const KeySet> keys() const;
  // After an unknown kid with keys `seen`: true when newer keys are in place (fetched now, or by
  // another thread meanwhile), false when none could or may be fetched.
  bool refresh_keys(const std::shared_ptr<const KeySet>& seen);

  const JwtRules rules_;
  const JwksFetch fetch_;  // empty: fixed keys
  const std::string source_;
  const Clock& clock_;

  mutable std::shared_mutex keys_mutex_;
  std::shared_ptr<const KeySet> keys_;  // guarded by keys_mutex_

  std::mutex fetch_mutex_;   // one refetch at a time
  std::int64_t last_fetch_;  // guarded by fetch_mutex_

  VerifiedTokenCache cache_{kCacheCapacity};
};

}  // namespace sbapi::auth
