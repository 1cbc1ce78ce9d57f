// Fuzz target: bearer JWT verification, src/auth/jwt.cc (with jwk.cc's key set and jws.cc's
// RS256/ES256 signature layer under it), against a fixed key set: RFC 7515 Appendix A.2's RSA key
// (kid "rsa-rfc") and A.3's P-256 key (kid "ec-rfc"), read from a JWKS literal. The clock is fixed
// (2026-11-25T10:00:00Z).
//
// The input is used three ways:
//   A. as a token, as sent after "Bearer ";
//   B. as the claims (payload) of a token this target signs correctly with A.3's private key
//      (its d is published in the RFC) under header {"alg":"ES256","kid":"ec-rfc"}, so that the
//      claim checks are fuzzed behind a valid signature;
//   C. as the header of a token signed the same way, over fixed valid claims.
// Checks, besides ASan/UBSan reports:
//   - every rejection has one of the reasons jwt.h documents, with that reason's fixed message
//     (never text from the input); a token over 8 KiB is refused as too_large;
//   - A: an accepted token names a kid of the set and carries its key's alg;
//   - B: a correctly signed token is never refused for its signature, key or algorithm; when it is
//     accepted, its claims (parsed here independently) have the rules' issuer, an accepted
//     audience, a non-empty string subject equal to the identity's, and admin is exactly
//     "admin" ∈ groups;
//   - C: an accepted header is a JSON object with "alg":"ES256" and "kid":"ec-rfc" and no "crit".
#include <openssl/core_names.h>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "auth/jwk.h"
#include "auth/jws.h"
#include "auth/jwt.h"
#include "auth/openssl_ptr.h"
#include "core/base64.h"

namespace {

namespace auth = sbapi::auth;
namespace json = boost::json;

[[noreturn]] void fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "\nFUZZ PROPERTY VIOLATED: %.*s\n%.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

constexpr std::int64_t kNow = 1795600800;

// RFC 7515 A.2 (RSA, public part) and A.3 (P-256).
constexpr std::string_view kJwks =
    R"({"keys":[{"kty":"RSA","kid":"rsa-rfc","use":"sig","e":"AQAB","n":")"
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4"
    "QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdb"
    "BYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-"
    "DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
    R"("},{"kty":"EC","crv":"P-256","kid":"ec-rfc","alg":"ES256",)"
    R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})";
constexpr std::string_view kEcD = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
constexpr std::string_view kEcX = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
constexpr std::string_view kEcY = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

struct Fixture {
  auth::KeySet keys;
  auth::JwtRules rules;
  auth::PkeyPtr signer;                              // A.3's private key
  std::map<std::string_view, std::string> messages;  // reason (a static word) → its one message

  Fixture() {
    auto parsed = auth::parse_jwks(kJwks);
    if (!parsed || parsed->size() != 2) fail("the JWKS literal does not parse");
    keys = std::move(*parsed);
    rules.issuer = "sbapi-fuzz";
    rules.audiences = {"fuzz", "client-fuzz"};
    signer = private_key();
    if (!signer) fail("cannot build A.3's private key");
  }

  static auth::PkeyPtr private_key() {
    const std::string d = sbapi::base64url_decode(kEcD).value_or("");
    const std::string point = "\x04" + sbapi::base64url_decode(kEcX).value_or("") +
                              sbapi::base64url_decode(kEcY).value_or("");
    const auth::BignumPtr priv(BN_bin2bn(reinterpret_cast<const unsigned char*>(d.data()),
                                         static_cast<int>(d.size()), nullptr));
    const auth::ParamBldPtr builder(OSSL_PARAM_BLD_new());
    if (!priv || !builder ||
        OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1",
                                        0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1 ||
        OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get()) != 1) {
      return nullptr;
    }
    const auth::ParamsPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
    const auth::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params.get()) != 1) {
      return nullptr;
    }
    return auth::PkeyPtr(key);
  }

  static Fixture& instance() {
    static Fixture fixture;
    return fixture;
  }

  std::string sign(std::string_view header, std::string_view claims) const {
    const std::string input =
        sbapi::base64url_encode(header) + "." + sbapi::base64url_encode(claims);
    const auto signature = auth::sign(auth::JwsAlgorithm::kEs256, signer.get(), input);
    if (!signature) fail("signing failed", signature.error());
    return input + "." + sbapi::base64url_encode(*signature);
  }

  // The rejection is documented, and its message is the one message of its reason.
  void check_rejection(const sbapi::TokenRejection& rejection, std::string_view input) {
    namespace reason = auth::reason;
    static constexpr std::string_view kReasons[] = {
        reason::kTooLarge,    reason::kMalformed, reason::kAlgorithm, reason::kUnknownKid,
        reason::kSignature,   reason::kIssuer,    reason::kAudience,  reason::kExpired,
        reason::kNotYetValid, reason::kSubject};
    if (std::find(std::begin(kReasons), std::end(kReasons), rejection.reason) ==
        std::end(kReasons)) {
      fail("an undocumented reason", rejection.reason);
    }
    const auto [it, inserted] = messages.emplace(rejection.reason, rejection.message);
    if (!inserted && it->second != rejection.message) {
      fail("a reason with two messages", std::string(it->second) + " / " + rejection.message);
    }
    if (rejection.message.size() > 64 || !rejection.message.starts_with("The token")) {
      fail("a message that is not one of the fixed ones", rejection.message);
    }
    if (input.size() > auth::kMaxTokenBytes && rejection.reason != reason::kTooLarge) {
      fail("a token over 8 KiB was not refused as too_large", rejection.reason);
    }
  }
};

// Part of `token` (0 header, 1 payload) as JSON; null when it is not JSON.
json::value segment_json(std::string_view token, int index) {
  const std::size_t first = token.find('.');
  const std::string_view part =
      index == 0 ? token.substr(0, first)
                 : token.substr(first + 1, token.find('.', first + 1) - first - 1);
  const auto text = sbapi::base64url_decode(part);
  boost::system::error_code ec;
  json::value v = text ? json::parse(*text, ec) : json::value();
  return ec ? json::value() : v;
}

void as_token(Fixture& f, std::string_view input) {
  const auto result = auth::verify_jwt(input, f.keys, f.rules, kNow);
  if (!result) return f.check_rejection(result.error(), input);
  const json::value header = segment_json(input, 0);
  const json::object* h = header.if_object();
  const auth::Jwk* key = h != nullptr && h->contains("kid") && h->at("kid").is_string()
                             ? f.keys.find(h->at("kid").get_string())
                             : nullptr;
  if (key == nullptr) fail("accepted without a kid of the set", input);
  if (h->at("alg") != json::value(auth::algorithm_name(key->algorithm))) {
    fail("accepted under another alg than its key's", input);
  }
}

void as_claims(Fixture& f, std::string_view input) {
  const std::string token = f.sign(R"({"alg":"ES256","kid":"ec-rfc"})", input);
  const auto result = auth::verify_jwt(token, f.keys, f.rules, kNow);
  if (!result) {
    f.check_rejection(result.error(), token);
    const std::string_view why = result.error().reason;
    if (why == auth::reason::kSignature || why == auth::reason::kUnknownKid ||
        why == auth::reason::kAlgorithm) {
      fail("a correctly signed token was refused", why);
    }
    return;
  }
  boost::system::error_code ec;
  const json::value claims = json::parse(input, ec);
  const json::object* c = claims.if_object();
  if (ec || c == nullptr) fail("accepted claims that are not a JSON object", input);
  if (!c->contains("iss") || c->at("iss") != json::value("sbapi-fuzz")) {
    fail("accepted another issuer", input);
  }
  const json::value* aud = c->if_contains("aud");
  const json::value* client_id = c->if_contains("client_id");
  const auto accepted = [&](const json::value& v) {
    return v.is_string() && (v.get_string() == "fuzz" || v.get_string() == "client-fuzz");
  };
  const bool audience_ok =
      aud != nullptr
          ? (accepted(*aud) || (aud->is_array() && std::any_of(aud->get_array().begin(),
                                                               aud->get_array().end(), accepted)))
          : client_id != nullptr && accepted(*client_id);
  if (!audience_ok) fail("accepted another audience", input);
  const json::value* sub = c->if_contains("sub");
  if (sub == nullptr || !sub->is_string() || sub->get_string().empty() ||
      sub->get_string() != result->identity.subject) {
    fail("accepted a subject that is not the claim's", input);
  }
  const auto& groups = result->identity.groups;
  if (result->identity.admin !=
      (std::find(groups.begin(), groups.end(), "admin") != groups.end())) {
    fail("admin is not exactly membership of the admin group", input);
  }
}

void as_header(Fixture& f, std::string_view input) {
  static const std::string kClaims =
      R"({"iss":"sbapi-fuzz","aud":"fuzz","sub":"u1","exp":)" + std::to_string(kNow + 3600) + "}";
  const std::string token = f.sign(input, kClaims);
  const auto result = auth::verify_jwt(token, f.keys, f.rules, kNow);
  if (!result) return f.check_rejection(result.error(), token);
  boost::system::error_code ec;
  const json::value header = json::parse(input, ec);
  const json::object* h = header.if_object();
  if (ec || h == nullptr || !h->contains("alg") || h->at("alg") != json::value("ES256") ||
      !h->contains("kid") || h->at("kid") != json::value("ec-rfc") || h->contains("crit")) {
    fail("accepted a header that does not name ES256 and ec-rfc", input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto& f = Fixture::instance();
  as_token(f, input);
  if (size <= auth::kMaxTokenBytes) {  // beyond, B and C would only repeat too_large
    as_claims(f, input);
    as_header(f, input);
  }
  return 0;
}
