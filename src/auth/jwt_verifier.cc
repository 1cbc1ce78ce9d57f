#include "auth/jwt_verifier.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include "adapters/aws/http_transport.h"
#include "core/access_log.h"

namespace sbapi::auth {
namespace {

// One HTTP GET with the project's HTTP client (the one the aws adapter talks to DynamoDB and S3
// with): TLS verified, no redirects followed.
std::expected<std::string, std::string> fetch_url(const std::string& url) {
  const std::string failed = "cannot fetch the JWKS from " + url + ": ";
  aws::CurlTransport transport;
  aws::HttpRequest request;
  request.url = url;
  request.timeout = kFetchTimeout;
  auto response = transport.send(request);
  if (!response) return std::unexpected(failed + response.error().message);
  if (response->status != 200) {
    return std::unexpected(failed + "HTTP status " + std::to_string(response->status));
  }
  if (response->body.size() > kMaxJwksBytes) {
    return std::unexpected(failed + "the document exceeds 1 MiB");
  }
  return std::move(response->body);
}

std::expected<std::string, std::string> read_file(const std::string& path) {
  const std::string failed = "cannot read the JWKS file " + path + ": ";
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(failed + std::strerror(errno));
  std::string text(kMaxJwksBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return std::unexpected(failed + std::strerror(errno));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxJwksBytes) return std::unexpected(failed + "it exceeds 1 MiB");
  return text;
}

std::string check_rules(const JwtRules& rules) {
  if (rules.issuer.empty()) return "the issuer is empty";
  if (rules.audiences.empty()) return "no audience is accepted";
  for (const std::string& audience : rules.audiences) {
    if (audience.empty()) return "an audience is empty";
  }
  if (rules.claims.subject.empty()) return "the subject claim is empty";
  if (rules.claims.groups.empty()) return "the groups claim is empty";
  if (rules.leeway.count() < 0) return "the leeway is negative";
  return {};
}

}  // namespace

JwksFetch jwks_fetch(std::string location) {
  if (location.starts_with("https://") || location.starts_with("http://")) {
    return [url = std::move(location)] { return fetch_url(url); };
  }
  return [path = std::move(location)] { return read_file(path); };
}

JwtVerifier::JwtVerifier(JwtRules rules, KeySet keys, JwksFetch fetch, std::string source,
                         const Clock& clock)
    : rules_(std::move(rules)),
      fetch_(std::move(fetch)),
      source_(std::move(source)),
      clock_(clock),
      keys_(std::make_shared<const KeySet>(std::move(keys))),
      last_fetch_(clock.now_seconds()) {}

std::expected<std::unique_ptr<JwtVerifier>, std::string> JwtVerifier::create(
    JwtRules rules, const std::string& jwks_location, const Clock& clock) {
  return create(std::move(rules), jwks_fetch(jwks_location), jwks_location, clock);
}

std::expected<std::unique_ptr<JwtVerifier>, std::string> JwtVerifier::create(JwtRules rules,
                                                                             JwksFetch fetch,
                                                                             std::string source,
                                                                             const Clock& clock) {
  if (const std::string bad = check_rules(rules); !bad.empty()) {
    return std::unexpected("invalid JWT rules: " + bad);
  }
  auto text = fetch();
  if (!text) return std::unexpected(std::move(text.error()));
  auto keys = parse_jwks(*text);
  if (!keys) return std::unexpected("the JWKS from " + source + " is unusable: " + keys.error());
  return std::unique_ptr<JwtVerifier>(new JwtVerifier(std::move(rules), std::move(*keys),
                                                      std::move(fetch), std::move(source), clock));
}

std::expected<std::unique_ptr<JwtVerifier>, std::string> JwtVerifier::with_keys(
    JwtRules rules, KeySet keys, const Clock& clock) {
  if (const std::string bad = check_rules(rules); !bad.empty()) {
    return std::unexpected("invalid JWT rules: " + bad);
  }
  if (keys.empty()) return std::unexpected("no key to verify tokens with");
  return std::unique_ptr<JwtVerifier>(
      new JwtVerifier(std::move(rules), std::move(keys), JwksFetch(), "fixed keys", clock));
}

std::shared_ptr<const KeySet> JwtVerifier::keys() const {
  std::shared_lock lock(keys_mutex_);
  return keys_;
}

std::size_t JwtVerifier::key_count() const { return keys()->size(); }

std::optional<std::string> JwtVerifier::not_ready() const {
  if (key_count() == 0) return "no token keys loaded";
  return std::nullopt;
}

std::expected<Identity, TokenRejection> JwtVerifier::verify(std::string_view token) {
  const std::int64_t now = clock_.now_seconds();
  // An oversized token is refused by verify_jwt before any work; it is not worth hashing.
  const auto digest =
      token.size() <= kMaxTokenBytes ? VerifiedTokenCache::digest(token) : std::nullopt;
  if (digest) {
    if (auto identity = cache_.find(*digest, now)) return std::move(*identity);
  }
  const auto key_set = keys();
  auto verified = verify_jwt(token, *key_set, rules_, now);
  if (!verified && verified.error().reason == reason::kUnknownKid && refresh_keys(key_set)) {
    verified = verify_jwt(token, *keys(), rules_, now);
  }
  if (!verified) return std::unexpected(std::move(verified.error()));
  if (digest) cache_.insert(*digest, verified->identity, verified->expires_at, now);
  return std::move(verified->identity);
}

bool JwtVerifier::refresh_keys(const std::shared_ptr<const KeySet>& seen) {
  if (!fetch_) return false;
  std::lock_guard lock(fetch_mutex_);
  if (keys() != seen) return true;  // refreshed while this thread waited
  const std::int64_t now = clock_.now_seconds();
  if (now - last_fetch_ < kRefetchInterval.count()) return false;
  last_fetch_ = now;
  auto text = fetch_();
  std::expected<KeySet, std::string> fresh =
      text ? parse_jwks(*text) : std::unexpected(std::move(text.error()));
  if (!fresh) {
    log_event("warn", "cannot refresh the JWKS; keeping the previous keys",
              {{"source", source_}, {"detail", fresh.error()}});
    return false;
  }
  const std::size_t count = fresh->size();
  {
    std::unique_lock swap(keys_mutex_);
    keys_ = std::make_shared<const KeySet>(std::move(*fresh));
  }
  // A key that left the set must not keep vouching for the tokens it signed.
  cache_.clear();
  log_event("info", "JWKS refreshed", {{"source", source_}, {"keys", count}});
  return true;
}

}  // namespace sbapi::auth
