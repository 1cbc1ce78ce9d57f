#include "auth/jwt.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include "auth/jws.h"
#include "core/base64.h"
#include "core/duplicate_keys.h"

namespace sbapi::auth {
namespace {

namespace json = boost::json;

// A clock skew beyond a year is a configuration mistake; bounding it keeps the sums in range.
constexpr std::int64_t kMaxLeewaySeconds = 366LL * 24 * 3600;

TokenRejection reject(std::string_view why) {
  const char* message = "The token is malformed";
  if (why == reason::kTooLarge) message = "The token is too large";
  if (why == reason::kAlgorithm) message = "The token's algorithm is not accepted";
  if (why == reason::kUnknownKid) message = "The token is signed by an unknown key";
  if (why == reason::kSignature) message = "The token's signature is invalid";
  if (why == reason::kIssuer) message = "The token's issuer is not accepted";
  if (why == reason::kAudience) message = "The token is not meant for this API";
  if (why == reason::kExpired) message = "The token has expired";
  if (why == reason::kNotYetValid) message = "The token is not valid yet";
  if (why == reason::kSubject) message = "The token has no subject";
  return {why, message};
}

// A base64url segment holding a JSON object with no repeated member name.
std::optional<json::object> json_segment(std::string_view segment) {
  const auto text = base64url_decode(segment);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  json::value value = json::parse(*text, ec);
  if (ec || !value.is_object() || has_duplicate_keys(*text)) return std::nullopt;
  return std::move(value.get_object());
}

enum class Round { kDown, kUp };

// A NumericDate (RFC 7519 §2): a JSON number of seconds, possibly fractional, clamped to int64.
std::optional<std::int64_t> numeric_date(const json::value& value, Round round) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  if (value.is_int64()) return value.get_int64();
  if (value.is_uint64()) {
    return static_cast<std::int64_t>(
        std::min<std::uint64_t>(value.get_uint64(), static_cast<std::uint64_t>(kMax)));
  }
  if (!value.is_double() || !std::isfinite(value.get_double())) return std::nullopt;
  const double d =
      round == Round::kDown ? std::floor(value.get_double()) : std::ceil(value.get_double());
  // 2^63 as a double; anything at or beyond either end is clamped.
  constexpr double kLimit = 9223372036854775808.0;
  if (d >= kLimit) return kMax;
  if (d < -kLimit) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(d);
}

bool is_one_of(std::string_view value, const std::vector<std::string>& accepted) {
  return std::find(accepted.begin(), accepted.end(), value) != accepted.end();
}

// nullopt: a claim of the wrong type; otherwise whether it names an accepted audience.
std::optional<bool> audience_accepted(const json::object& claims,
                                      const std::vector<std::string>& audiences) {
  if (const json::value* aud = claims.if_contains("aud")) {
    if (aud->is_string()) return is_one_of(aud->get_string(), audiences);
    if (!aud->is_array()) return std::nullopt;
    bool found = false;
    for (const json::value& entry : aud->get_array()) {
      if (!entry.is_string()) return std::nullopt;
      found = found || is_one_of(entry.get_string(), audiences);
    }
    return found;
  }
  // Cognito access tokens name the app client in client_id and carry no aud (as API Gateway's
  // JWT authorizers read them).
  const json::value* client_id = claims.if_contains("client_id");
  return client_id != nullptr && client_id->is_string() &&
         is_one_of(client_id->get_string(), audiences);
}

// nullopt: the claim has the wrong type.
std::optional<std::vector<std::string>> groups_of(const json::object& claims,
                                                  const std::string& name) {
  std::vector<std::string> groups;
  const json::value* claim = claims.if_contains(name);
  if (claim == nullptr) return groups;
  if (claim->is_string()) {
    groups.emplace_back(claim->get_string());
    return groups;
  }
  if (!claim->is_array()) return std::nullopt;
  for (const json::value& entry : claim->get_array()) {
    if (!entry.is_string()) return std::nullopt;
    groups.emplace_back(entry.get_string());
  }
  return groups;
}

}  // namespace

std::expected<VerifiedJwt, TokenRejection> verify_jwt(std::string_view token, const KeySet& keys,
                                                      const JwtRules& rules, std::int64_t now) {
  if (token.size() > kMaxTokenBytes) return std::unexpected(reject(reason::kTooLarge));
  const std::size_t first_dot = token.find('.');
  const std::size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    return std::unexpected(reject(reason::kMalformed));
  }
  const std::string_view header_segment = token.substr(0, first_dot);
  const std::string_view payload_segment = token.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view signature_segment = token.substr(second_dot + 1);

  // The header, then the key it names, then the signature: no claim is read before it verifies.
  const auto header = json_segment(header_segment);
  const auto signature = base64url_decode(signature_segment);
  if (!header || !signature) return std::unexpected(reject(reason::kMalformed));
  const json::value* alg = header->if_contains("alg");
  const json::value* kid = header->if_contains("kid");
  if (alg == nullptr || !alg->is_string() || kid == nullptr || !kid->is_string() ||
      header->contains("crit")) {
    return std::unexpected(reject(reason::kMalformed));
  }
  if (alg->get_string() != "RS256" && alg->get_string() != "ES256") {
    return std::unexpected(reject(reason::kAlgorithm));
  }
  const Jwk* key = keys.find(kid->get_string());
  if (key == nullptr) return std::unexpected(reject(reason::kUnknownKid));
  if (alg->get_string() != algorithm_name(key->algorithm)) {
    return std::unexpected(reject(reason::kAlgorithm));
  }
  if (!verify_signature(*key, token.substr(0, second_dot), *signature)) {
    return std::unexpected(reject(reason::kSignature));
  }

  const auto claims = json_segment(payload_segment);
  if (!claims) return std::unexpected(reject(reason::kMalformed));
  const json::value* iss = claims->if_contains("iss");
  if (iss == nullptr || !iss->is_string() || iss->get_string() != rules.issuer) {
    return std::unexpected(reject(reason::kIssuer));
  }
  const auto audience = audience_accepted(*claims, rules.audiences);
  if (!audience) return std::unexpected(reject(reason::kMalformed));
  if (!*audience) return std::unexpected(reject(reason::kAudience));

  const std::int64_t leeway = std::clamp<std::int64_t>(rules.leeway.count(), 0, kMaxLeewaySeconds);
  const json::value* exp_claim = claims->if_contains("exp");
  const auto exp = exp_claim ? numeric_date(*exp_claim, Round::kDown) : std::nullopt;
  if (!exp) return std::unexpected(reject(reason::kMalformed));
  if (now - leeway > *exp) return std::unexpected(reject(reason::kExpired));
  if (const json::value* nbf_claim = claims->if_contains("nbf")) {
    const auto nbf = numeric_date(*nbf_claim, Round::kUp);
    if (!nbf) return std::unexpected(reject(reason::kMalformed));
    if (now + leeway < *nbf) return std::unexpected(reject(reason::kNotYetValid));
  }

  const json::value* subject = claims->if_contains(rules.claims.subject);
  if (subject == nullptr || !subject->is_string() || subject->get_string().empty()) {
    return std::unexpected(reject(reason::kSubject));
  }
  auto groups = groups_of(*claims, rules.claims.groups);
  if (!groups) return std::unexpected(reject(reason::kMalformed));
  VerifiedJwt out;
  out.identity.subject = std::string(subject->get_string());
  out.identity.admin =
      !rules.claims.admin_group.empty() && is_one_of(rules.claims.admin_group, *groups);
  out.identity.groups = std::move(*groups);
  out.expires_at = *exp;
  return out;
}

}  // namespace sbapi::auth
