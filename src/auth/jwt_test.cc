#include "auth/jwt.h"

#include <gtest/gtest.h>

#include <openssl/pem.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value_from.hpp>

#include <set>

#include "auth/test_tokens.h"
#include "core/base64.h"

namespace sbapi::auth {
namespace {

namespace json = boost::json;
using testing::segment;

constexpr std::int64_t kNow = 1795600800;  // 2026-11-25T10:00:00Z
constexpr std::string_view kIssuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test";

// Keys generated once for the suite: an RSA and a P-256 issuer key, and an attacker's of each.
struct Keys {
  PkeyPtr rsa = testing::generate_rsa();
  PkeyPtr ec = testing::generate_p256();
  PkeyPtr other_rsa = testing::generate_rsa();
  PkeyPtr other_ec = testing::generate_p256();
  KeySet set = parse_jwks(testing::jwks({testing::public_jwk(rsa.get(), "rsa-1"),
                                         testing::public_jwk(ec.get(), "ec-1")}))
                   .value();
};

class JwtTest : public ::testing::Test {
 protected:
  static const Keys& keys() {
    static const Keys k;
    return k;
  }

  static JwtRules rules() {
    JwtRules r;
    r.issuer = std::string(kIssuer);
    r.audiences = {"client-a", "client-b"};
    return r;
  }

  static json::object claims() {
    return {{"iss", kIssuer},   {"aud", "client-a"},
            {"sub", "alice"},   {"cognito:groups", json::array{"staff", "admin"}},
            {"iat", kNow - 10}, {"exp", kNow + 3600}};
  }

  static std::string rs256(const json::object& claims, std::string_view kid = "rsa-1") {
    return testing::signed_token({{"alg", "RS256"}, {"kid", kid}}, claims, JwsAlgorithm::kRs256,
                                 keys().rsa.get());
  }
  static std::string es256(const json::object& claims, std::string_view kid = "ec-1") {
    return testing::signed_token({{"alg", "ES256"}, {"typ", "JWT"}, {"kid", kid}}, claims,
                                 JwsAlgorithm::kEs256, keys().ec.get());
  }
  // Header and payload given as JSON text, signed correctly by the RSA issuer key.
  static std::string rs256_text(std::string_view header, std::string_view payload) {
    const std::string input = base64url_encode(header) + "." + base64url_encode(payload);
    return input + "." +
           base64url_encode(sign(JwsAlgorithm::kRs256, keys().rsa.get(), input).value());
  }

  static std::expected<VerifiedJwt, TokenRejection> verify(std::string_view token,
                                                           std::int64_t now = kNow) {
    return verify_jwt(token, keys().set, rules(), now);
  }
  static std::expected<VerifiedJwt, TokenRejection> verify(std::string_view token,
                                                           const JwtRules& r) {
    return verify_jwt(token, keys().set, r, kNow);
  }

  // The reason `token` is refused for ("accepted" when it is not).
  static std::string_view reason_of(std::string_view token, std::int64_t now = kNow) {
    const auto result = verify(token, now);
    return result ? "accepted" : result.error().reason;
  }

  template <typename T>
  static json::object with(json::object c, std::string_view name, T&& v) {
    c[name] = json::value_from(std::forward<T>(v));
    return c;
  }
  static json::object without(json::object c, std::string_view name) {
    c.erase(name);
    return c;
  }
};

TEST_F(JwtTest, ValidRs256AndEs256TokensGiveTheIdentity) {
  for (const std::string& token : {rs256(claims()), es256(claims())}) {
    const auto result = verify(token);
    ASSERT_TRUE(result) << result.error().reason;
    EXPECT_EQ(result->identity.subject, "alice");
    EXPECT_EQ(result->identity.groups, (std::vector<std::string>{"staff", "admin"}));
    EXPECT_TRUE(result->identity.admin);
    EXPECT_EQ(result->expires_at, kNow + 3600);
  }
}

TEST_F(JwtTest, AlgNoneIsRefused) {
  const json::object header{{"alg", "none"}, {"kid", "rsa-1"}};
  EXPECT_EQ(reason_of(segment(header) + "." + segment(claims()) + "."), reason::kAlgorithm);
  // With a signature copied from a genuine token, too.
  const std::string genuine = rs256(claims());
  EXPECT_EQ(
      reason_of(segment(header) + "." + segment(claims()) + genuine.substr(genuine.rfind('.'))),
      reason::kAlgorithm);
}

TEST_F(JwtTest, Hs256SignedWithThePublicKeyAsSecretIsRefused) {
  // The classic confusion: a verifier that lets the token pick HMAC would take the public key
  // (which anyone has) as the secret.
  const BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio.get(), keys().rsa.get()), 1);
  char* pem_data = nullptr;
  const long pem_length = BIO_get_mem_data(bio.get(), &pem_data);
  const std::string pem(pem_data, static_cast<std::size_t>(pem_length));
  const std::string jwk = json::serialize(testing::public_jwk(keys().rsa.get(), "rsa-1"));
  for (const std::string& secret : {pem, jwk}) {
    for (std::string_view kid : {"rsa-1", "ec-1"}) {
      const std::string input =
          segment({{"alg", "HS256"}, {"typ", "JWT"}, {"kid", kid}}) + "." + segment(claims());
      const std::string token = input + "." + base64url_encode(testing::hmac_sha256(secret, input));
      EXPECT_EQ(reason_of(token), reason::kAlgorithm);
    }
  }
}

TEST_F(JwtTest, AnotherKeyUnderTheSameKidIsRefused) {
  EXPECT_EQ(reason_of(testing::signed_token({{"alg", "RS256"}, {"kid", "rsa-1"}}, claims(),
                                            JwsAlgorithm::kRs256, keys().other_rsa.get())),
            reason::kSignature);
  EXPECT_EQ(reason_of(testing::signed_token({{"alg", "ES256"}, {"kid", "ec-1"}}, claims(),
                                            JwsAlgorithm::kEs256, keys().other_ec.get())),
            reason::kSignature);
}

TEST_F(JwtTest, HeaderAlgMustBeTheKeysAlgorithm) {
  // ES256 signed by an EC key, but naming the RSA key; and the reverse.
  EXPECT_EQ(reason_of(testing::signed_token({{"alg", "ES256"}, {"kid", "rsa-1"}}, claims(),
                                            JwsAlgorithm::kEs256, keys().ec.get())),
            reason::kAlgorithm);
  EXPECT_EQ(reason_of(testing::signed_token({{"alg", "RS256"}, {"kid", "ec-1"}}, claims(),
                                            JwsAlgorithm::kRs256, keys().rsa.get())),
            reason::kAlgorithm);
  for (std::string_view alg : {"RS512", "PS256", "ES384", "EdDSA", "rs256", ""}) {
    EXPECT_EQ(reason_of(testing::signed_token({{"alg", alg}, {"kid", "rsa-1"}}, claims(),
                                              JwsAlgorithm::kRs256, keys().rsa.get())),
              reason::kAlgorithm)
        << alg;
  }
}

TEST_F(JwtTest, UnknownKidIsReportedAsSuch) {
  EXPECT_EQ(reason_of(rs256(claims(), "rsa-2")), reason::kUnknownKid);
  EXPECT_EQ(reason_of(es256(claims(), "")), reason::kUnknownKid);
}

TEST_F(JwtTest, ExpiryAndNotBeforeHonourTheLeeway) {
  EXPECT_EQ(reason_of(rs256(with(claims(), "exp", kNow - 3600))), reason::kExpired);
  EXPECT_EQ(reason_of(rs256(with(claims(), "exp", kNow - 30))), "accepted");
  EXPECT_EQ(reason_of(rs256(with(claims(), "exp", kNow - 60))), "accepted");
  EXPECT_EQ(reason_of(rs256(with(claims(), "exp", kNow - 61))), reason::kExpired);
  EXPECT_EQ(reason_of(rs256(with(claims(), "exp", kNow - 90))), reason::kExpired);
  EXPECT_EQ(reason_of(rs256(with(claims(), "nbf", kNow + 3600))), reason::kNotYetValid);
  EXPECT_EQ(reason_of(rs256(with(claims(), "nbf", kNow + 30))), "accepted");
  EXPECT_EQ(reason_of(rs256(with(claims(), "nbf", kNow + 90))), reason::kNotYetValid);
  EXPECT_EQ(reason_of(rs256(with(claims(), "nbf", kNow - 90))), "accepted");
  // Without leeway the edges are exact.
  JwtRules strict = rules();
  strict.leeway = std::chrono::seconds(0);
  EXPECT_TRUE(verify(rs256(with(claims(), "exp", kNow)), strict));
  EXPECT_EQ(verify(rs256(with(claims(), "exp", kNow - 1)), strict).error().reason,
            reason::kExpired);
  EXPECT_EQ(verify(rs256(with(claims(), "nbf", kNow + 1)), strict).error().reason,
            reason::kNotYetValid);
}

TEST_F(JwtTest, NumericDatesOfEveryJsonNumberKind) {
  EXPECT_EQ(reason_of(rs256(with(claims(), "exp", static_cast<double>(kNow) + 0.5))), "accepted");
  EXPECT_EQ(reason_of(rs256(with(claims(), "exp", 1e300))), "accepted");  // clamped, no overflow
  EXPECT_EQ(reason_of(rs256(with(claims(), "exp", static_cast<std::uint64_t>(-1)))), "accepted");
  EXPECT_EQ(reason_of(rs256(with(claims(), "exp", -1e300))), reason::kExpired);
  EXPECT_EQ(reason_of(rs256(with(claims(), "exp", -5))), reason::kExpired);
  EXPECT_EQ(reason_of(rs256(with(claims(), "nbf", 1e300))), reason::kNotYetValid);
  EXPECT_EQ(reason_of(rs256(without(claims(), "exp"))), reason::kMalformed);
  EXPECT_EQ(reason_of(rs256(with(claims(), "exp", std::to_string(kNow + 60)))), reason::kMalformed);
  EXPECT_EQ(reason_of(rs256(with(claims(), "exp", nullptr))), reason::kMalformed);
  EXPECT_EQ(reason_of(rs256(with(claims(), "nbf", "0"))), reason::kMalformed);
}

TEST_F(JwtTest, IssuerMustMatchExactly) {
  EXPECT_EQ(reason_of(rs256(with(claims(), "iss", "https://evil.example"))), reason::kIssuer);
  EXPECT_EQ(reason_of(rs256(with(claims(), "iss", std::string(kIssuer) + "/"))), reason::kIssuer);
  EXPECT_EQ(reason_of(rs256(without(claims(), "iss"))), reason::kIssuer);
  EXPECT_EQ(reason_of(rs256(with(claims(), "iss", json::array{kIssuer}))), reason::kIssuer);
}

TEST_F(JwtTest, AudienceIsAStringOrAnArray) {
  EXPECT_EQ(reason_of(rs256(with(claims(), "aud", "client-b"))), "accepted");
  EXPECT_EQ(reason_of(rs256(with(claims(), "aud", "client-c"))), reason::kAudience);
  EXPECT_EQ(reason_of(rs256(with(claims(), "aud", json::array{"x", "client-b"}))), "accepted");
  EXPECT_EQ(reason_of(rs256(with(claims(), "aud", json::array{"x", "y"}))), reason::kAudience);
  EXPECT_EQ(reason_of(rs256(with(claims(), "aud", json::array{}))), reason::kAudience);
  EXPECT_EQ(reason_of(rs256(with(claims(), "aud", json::array{"client-a", 1}))),
            reason::kMalformed);
  EXPECT_EQ(reason_of(rs256(with(claims(), "aud", 7))), reason::kMalformed);
  EXPECT_EQ(reason_of(rs256(without(claims(), "aud"))), reason::kAudience);
  // An aud that does not match is not rescued by a client_id that does.
  EXPECT_EQ(reason_of(rs256(with(with(claims(), "aud", "client-c"), "client_id", "client-a"))),
            reason::kAudience);
}

TEST_F(JwtTest, CognitoAccessTokensAreMatchedByClientId) {
  // Cognito access tokens: no aud, client_id and token_use "access" instead.
  const json::object access =
      with(with(without(claims(), "aud"), "token_use", "access"), "client_id", "client-b");
  EXPECT_EQ(reason_of(rs256(access)), "accepted");
  EXPECT_EQ(reason_of(rs256(with(access, "client_id", "client-z"))), reason::kAudience);
  EXPECT_EQ(reason_of(rs256(with(access, "client_id", json::array{"client-b"}))),
            reason::kAudience);
}

TEST_F(JwtTest, SubjectIsANonEmptyString) {
  EXPECT_EQ(reason_of(rs256(without(claims(), "sub"))), reason::kSubject);
  EXPECT_EQ(reason_of(rs256(with(claims(), "sub", ""))), reason::kSubject);
  EXPECT_EQ(reason_of(rs256(with(claims(), "sub", 42))), reason::kSubject);
  JwtRules by_username = rules();
  by_username.claims.subject = "username";
  const auto result = verify(rs256(with(claims(), "username", "bob")), by_username);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->identity.subject, "bob");
  EXPECT_EQ(verify(rs256(claims()), by_username).error().reason, reason::kSubject);
}

TEST_F(JwtTest, GroupsAndAdmin) {
  const auto none = verify(rs256(without(claims(), "cognito:groups")));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->identity.groups.empty());
  EXPECT_FALSE(none->identity.admin);

  const auto single = verify(rs256(with(claims(), "cognito:groups", "admin")));
  ASSERT_TRUE(single);
  EXPECT_EQ(single->identity.groups, std::vector<std::string>{"admin"});
  EXPECT_TRUE(single->identity.admin);

  const auto staff = verify(rs256(with(claims(), "cognito:groups", json::array{"staff"})));
  ASSERT_TRUE(staff);
  EXPECT_FALSE(staff->identity.admin);
  EXPECT_FALSE(
      verify(rs256(with(claims(), "cognito:groups", json::array{"Admin"})))->identity.admin);

  EXPECT_EQ(reason_of(rs256(with(claims(), "cognito:groups", json::array{"a", 1}))),
            reason::kMalformed);
  EXPECT_EQ(reason_of(rs256(with(claims(), "cognito:groups", json::object{}))), reason::kMalformed);

  JwtRules custom = rules();
  custom.claims.groups = "groups";
  custom.claims.admin_group = "ops";
  const auto ops = verify(rs256(with(claims(), "groups", json::array{"ops"})), custom);
  ASSERT_TRUE(ops);
  EXPECT_TRUE(ops->identity.admin);
  EXPECT_EQ(ops->identity.groups, std::vector<std::string>{"ops"});
  custom.claims.admin_group = "";
  EXPECT_FALSE(verify(rs256(with(claims(), "groups", json::array{""})), custom)->identity.admin);
}

TEST_F(JwtTest, AFlippedPayloadByteBreaksTheSignature) {
  for (const std::string& token : {rs256(claims()), es256(claims())}) {
    const std::size_t dot = token.find('.');
    std::string changed = token;
    char& c = changed[dot + 10];
    c = c == 'A' ? 'B' : 'A';
    EXPECT_EQ(reason_of(changed), reason::kSignature);
  }
}

TEST_F(JwtTest, Es256SignatureOfTheWrongLengthIsRefused) {
  const std::string token = es256(claims());
  const std::size_t dot = token.rfind('.');
  const std::string raw = base64url_decode(token.substr(dot + 1)).value();
  ASSERT_EQ(raw.size(), 64U);
  const std::string input = token.substr(0, dot + 1);
  EXPECT_EQ(reason_of(input + base64url_encode(raw + '\0')), reason::kSignature);
  EXPECT_EQ(reason_of(input + base64url_encode(raw.substr(0, 63))), reason::kSignature);
  EXPECT_EQ(reason_of(input + base64url_encode(std::string(1, '\0') + raw)), reason::kSignature);
  EXPECT_EQ(reason_of(input), reason::kSignature);  // empty signature
}

TEST_F(JwtTest, NotThreeSegmentsIsMalformed) {
  const std::string token = rs256(claims());
  const std::size_t last = token.rfind('.');
  for (const std::string& bad :
       {std::string(), std::string("."), std::string(".."), std::string("..."),
        token.substr(0, last), token + ".", token + "." + token.substr(last + 1),
        std::string("abc"), token.substr(0, token.find('.'))}) {
    EXPECT_EQ(reason_of(bad), reason::kMalformed) << bad;
  }
}

TEST_F(JwtTest, BadBase64IsMalformed) {
  const std::string token = rs256(claims());
  const std::size_t first = token.find('.');
  const std::size_t last = token.rfind('.');
  const std::string header = token.substr(0, first);
  const std::string payload = token.substr(first + 1, last - first - 1);
  const std::string signature = token.substr(last + 1);
  const std::vector<std::string> bad = {
      header + "=." + payload + "." + signature,                 // padding
      header + "." + payload + "." + signature + "==",           // padding
      "+" + header.substr(1) + "." + payload + "." + signature,  // standard alphabet
      header + "." + payload + "." + signature.substr(0, 100) + "/" + signature.substr(101),
      header + " ." + payload + "." + signature,  // whitespace
      header + "." + payload + ".\n" + signature,
      header + "." + payload + "." + signature + "AAA",  // 345 characters: len % 4 == 1
  };
  for (const std::string& token_text : bad) {
    EXPECT_EQ(reason_of(token_text), reason::kMalformed) << token_text;
  }
  // A signature whose unused trailing bits are set decodes (leniently) to the same bytes; it is
  // not what any signer wrote, so it is refused.
  std::string noncanonical = token;
  char& c = noncanonical.back();
  ASSERT_EQ(signature.size() % 4, 2U);  // 256 bytes: the last character carries 4 unused bits
  c = static_cast<char>(c == 'A' ? 'B' : c == 'Q' ? 'R' : c == 'g' ? 'h' : 'x');
  EXPECT_EQ(reason_of(noncanonical), reason::kMalformed);
}

TEST_F(JwtTest, HeaderMustBeAnObjectWithStringAlgAndKid) {
  const std::string claims_text = json::serialize(claims());
  EXPECT_EQ(reason_of(rs256_text(R"({"alg":"RS256","kid":"rsa-1"})", claims_text)), "accepted");
  for (std::string_view header :
       {R"({"alg":"RS256"})", R"({"kid":"rsa-1"})", R"({"alg":"RS256","kid":1})",
        R"({"alg":["RS256"],"kid":"rsa-1"})", R"(["RS256","rsa-1"])", R"("RS256")", "",
        R"({"alg":"RS256","kid":"rsa-1")", R"({"alg":"RS256","kid":"rsa-1"}{})"}) {
    EXPECT_EQ(reason_of(rs256_text(header, claims_text)), reason::kMalformed) << header;
  }
}

TEST_F(JwtTest, CritHeaderIsRefused) {
  EXPECT_EQ(reason_of(testing::signed_token(
                {{"alg", "RS256"}, {"kid", "rsa-1"}, {"crit", json::array{"exp"}}, {"exp", 1}},
                claims(), JwsAlgorithm::kRs256, keys().rsa.get())),
            reason::kMalformed);
}

TEST_F(JwtTest, RepeatedMemberNamesAreRefused) {
  const std::string claims_text = json::serialize(claims());
  EXPECT_EQ(reason_of(rs256_text(R"({"alg":"RS256","kid":"nope","kid":"rsa-1"})", claims_text)),
            reason::kMalformed);
  // Which "sub" would a proxy in front of us have read?
  std::string repeated = claims_text;
  repeated.insert(1, R"("sub":"mallory",)");
  EXPECT_EQ(reason_of(rs256_text(R"({"alg":"RS256","kid":"rsa-1"})", repeated)),
            reason::kMalformed);
}

TEST_F(JwtTest, ClaimsMustBeAJsonObject) {
  for (std::string_view payload : {"", "[]", "null", R"("claims")", "{", "\xff"}) {
    EXPECT_EQ(reason_of(rs256_text(R"({"alg":"RS256","kid":"rsa-1"})", payload)),
              reason::kMalformed)
        << payload;
  }
}

TEST_F(JwtTest, SizeLimitIs8KiB) {
  const std::string token = rs256(claims());
  EXPECT_EQ(reason_of(std::string(16 * 1024, 'A')), reason::kTooLarge);
  EXPECT_EQ(reason_of(token + std::string(16 * 1024, 'A')), reason::kTooLarge);
  EXPECT_EQ(reason_of(std::string(kMaxTokenBytes + 1, 'A')), reason::kTooLarge);
  EXPECT_EQ(reason_of(std::string(kMaxTokenBytes, 'A')), reason::kMalformed);
  // A genuine token just under the limit is fine (base64url makes 4 characters of 3 bytes).
  const std::string padding((kMaxTokenBytes - 400) * 3 / 4 - 200, 'p');
  const std::string big_token = rs256(with(claims(), "padding", padding));
  ASSERT_LE(big_token.size(), kMaxTokenBytes);
  ASSERT_GT(big_token.size(), kMaxTokenBytes - 100);
  EXPECT_EQ(reason_of(big_token), "accepted");
}

TEST_F(JwtTest, MessagesAreFixedAndNeverEchoTheToken) {
  std::set<std::string> messages;
  const std::vector<std::string> tokens = {rs256(with(claims(), "exp", kNow - 3600)),
                                           rs256(with(claims(), "iss", "alice-issuer")),
                                           rs256(with(claims(), "aud", "alice-client")),
                                           rs256(claims(), "alice-kid"),
                                           std::string(9000, 'a'),
                                           "alice.alice.alice",
                                           rs256(with(claims(), "sub", ""))};
  for (const std::string& token : tokens) {
    const auto result = verify(token);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message.find("alice"), std::string::npos) << result.error().message;
    EXPECT_TRUE(result.error().message.starts_with("The token")) << result.error().message;
    messages.insert(result.error().message);
  }
  EXPECT_EQ(messages.size(), tokens.size());  // one message per reason
}

}  // namespace
}  // namespace sbapi::auth
