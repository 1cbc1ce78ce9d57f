#include "auth/jwk.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include "auth/test_tokens.h"

namespace sbapi::auth {
namespace {

namespace json = boost::json;

// RFC 7515 Appendix A.2's RSA key (public part) and A.3's P-256 key; the RFC's JWKs have no kid.
constexpr std::string_view kRfcRsaN =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4"
    "QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdb"
    "BYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-"
    "DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
constexpr std::string_view kRfcEcX = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
constexpr std::string_view kRfcEcY = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

json::object rsa_jwk() { return {{"kty", "RSA"}, {"kid", "r1"}, {"n", kRfcRsaN}, {"e", "AQAB"}}; }
json::object ec_jwk() {
  return {{"kty", "EC"}, {"crv", "P-256"}, {"kid", "e1"}, {"x", kRfcEcX}, {"y", kRfcEcY}};
}
template <typename T>
json::object with(json::object jwk, std::string_view name, T&& value) {
  jwk[name] = json::value_from(std::forward<T>(value));
  return jwk;
}
json::object without(json::object jwk, std::string_view name) {
  jwk.erase(name);
  return jwk;
}
std::string doc(std::initializer_list<json::object> keys) { return testing::jwks(keys); }

TEST(JwkTest, RsaKeyIsRs256AndEcKeyIsEs256) {
  const auto keys = parse_jwks(doc({rsa_jwk(), ec_jwk()}));
  ASSERT_TRUE(keys) << keys.error();
  ASSERT_EQ(keys->size(), 2U);
  ASSERT_NE(keys->find("r1"), nullptr);
  EXPECT_EQ(keys->find("r1")->algorithm, JwsAlgorithm::kRs256);
  EXPECT_EQ(EVP_PKEY_get_bits(keys->find("r1")->key.get()), 2048);
  ASSERT_NE(keys->find("e1"), nullptr);
  EXPECT_EQ(keys->find("e1")->algorithm, JwsAlgorithm::kEs256);
  EXPECT_EQ(keys->find("nope"), nullptr);
  EXPECT_EQ(algorithm_name(JwsAlgorithm::kRs256), "RS256");
  EXPECT_EQ(algorithm_name(JwsAlgorithm::kEs256), "ES256");
}

TEST(JwkTest, AlgAndUseMayBeGivenWhenTheyAgree) {
  const auto keys = parse_jwks(doc({with(with(rsa_jwk(), "alg", "RS256"), "use", "sig"),
                                    with(with(ec_jwk(), "alg", "ES256"), "use", "sig")}));
  ASSERT_TRUE(keys) << keys.error();
  EXPECT_EQ(keys->size(), 2U);
}

TEST(JwkTest, GeneratedKeysParse) {
  const PkeyPtr rsa = testing::generate_rsa();
  const PkeyPtr ec = testing::generate_p256();
  const auto keys =
      parse_jwks(doc({testing::public_jwk(rsa.get(), "a"), testing::public_jwk(ec.get(), "b")}));
  ASSERT_TRUE(keys) << keys.error();
  EXPECT_EQ(EVP_PKEY_eq(keys->find("a")->key.get(), rsa.get()), 1);
  EXPECT_EQ(EVP_PKEY_eq(keys->find("b")->key.get(), ec.get()), 1);
}

TEST(JwkTest, UnusableKeysAreSkippedNotFatal) {
  const PkeyPtr weak = testing::generate_rsa(1024);
  std::string odd_x(kRfcEcX);
  odd_x[5] = odd_x[5] == 'A' ? 'B' : 'A';  // no longer a point of the curve
  const std::vector<std::pair<std::string, json::object>> cases = {
      {"no kid", without(rsa_jwk(), "kid")},
      {"empty kid", with(rsa_jwk(), "kid", "")},
      {"kid not a string", with(rsa_jwk(), "kid", 7)},
      {"use enc", with(rsa_jwk(), "use", "enc")},
      {"kty oct", json::object{{"kty", "oct"}, {"kid", "x"}, {"k", "c2VjcmV0"}}},
      {"kty OKP", json::object{{"kty", "OKP"}, {"crv", "Ed25519"}, {"kid", "x"}, {"x", kRfcEcX}}},
      {"RSA for RS512", with(rsa_jwk(), "alg", "RS512")},
      {"RSA for PS256", with(rsa_jwk(), "alg", "PS256")},
      {"RSA for none", with(rsa_jwk(), "alg", "none")},
      {"RSA 1024 bits", testing::public_jwk(weak.get(), "r1")},
      {"RSA without e", without(rsa_jwk(), "e")},
      {"RSA even modulus", with(rsa_jwk(), "n", std::string(kRfcRsaN.substr(0, 341)) + "A")},
      {"RSA e = 1", with(rsa_jwk(), "e", "AQ")},
      {"RSA n not base64url", with(rsa_jwk(), "n", std::string(kRfcRsaN) + "=")},
      {"EC on P-384", with(ec_jwk(), "crv", "P-384")},
      {"EC without crv", without(ec_jwk(), "crv")},
      {"EC for ES384", with(ec_jwk(), "alg", "ES384")},
      {"EC for RS256", with(ec_jwk(), "alg", "RS256")},
      {"EC x of 31 bytes", with(ec_jwk(), "x", base64url_encode(std::string(31, 'A')))},
      {"EC without y", without(ec_jwk(), "y")},
      {"EC point off the curve", with(ec_jwk(), "x", odd_x)},
  };
  for (const auto& [name, jwk] : cases) {
    SCOPED_TRACE(name);
    EXPECT_FALSE(parse_jwk(jwk));
    // Beside a good key, the bad one is skipped and the document is fine.
    const auto keys = parse_jwks(doc({jwk, with(ec_jwk(), "kid", "good")}));
    ASSERT_TRUE(keys) << keys.error();
    EXPECT_EQ(keys->size(), 1U);
    EXPECT_NE(keys->find("good"), nullptr);
    // Alone, it leaves no usable key: an error that says why.
    const auto alone = parse_jwks(doc({jwk}));
    ASSERT_FALSE(alone);
    EXPECT_TRUE(alone.error().starts_with("the JWKS has no usable key (")) << alone.error();
  }
}

TEST(JwkTest, ARepeatedKidKeepsTheFirstKey) {
  const auto keys = parse_jwks(doc({with(rsa_jwk(), "kid", "k"), with(ec_jwk(), "kid", "k")}));
  ASSERT_TRUE(keys) << keys.error();
  ASSERT_EQ(keys->size(), 1U);
  EXPECT_EQ(keys->find("k")->algorithm, JwsAlgorithm::kRs256);
}

TEST(JwkTest, ADocumentThatIsNotAKeySetIsAnError) {
  for (std::string_view text : {"", "not json", "[]", "{}", R"({"keys":{}})", R"({"keys":[]})",
                                R"({"keys":[1,"a",null]})"}) {
    SCOPED_TRACE(text);
    const auto keys = parse_jwks(text);
    ASSERT_FALSE(keys);
    EXPECT_EQ(keys.error().find('\n'), std::string::npos);
  }
  EXPECT_EQ(parse_jwks("[]").error(), "the JWKS is not a JSON object");
  EXPECT_EQ(parse_jwks("{}").error(), "the JWKS has no \"keys\" array");
  // A repeated member could be read differently by another parser.
  const std::string repeated = R"({"keys":[{"kty":"EC","crv":"P-256","kid":"a","kid":"b","x":")" +
                               std::string(kRfcEcX) + R"(","y":")" + std::string(kRfcEcY) +
                               R"("}]})";
  EXPECT_EQ(parse_jwks(repeated).error(), "the JWKS repeats a member name");
}

TEST(JwkTest, PrivateMembersAreIgnored) {
  // RFC 7515 A.3's private key d: the key set holds the public key only.
  const auto keys =
      parse_jwks(doc({with(ec_jwk(), "d", "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI")}));
  ASSERT_TRUE(keys) << keys.error();
  BIGNUM* d = nullptr;
  EXPECT_NE(EVP_PKEY_get_bn_param(keys->find("e1")->key.get(), OSSL_PKEY_PARAM_PRIV_KEY, &d), 1);
  BN_free(d);
}

// RFC 7638 §3.1: the thumbprint of its example RSA key.
TEST(JwkThumbprintTest, Rfc7638Example) {
  const json::object jwk{{"kty", "RSA"},
                         {"n",
                          "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aP"
                          "FFxuhDR1L6tSoc_BJECPeb"
                          "WKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-"
                          "65YGjQR0_FDW2QvzqY368Q"
                          "QMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
                          "bFTWhAI4vMQFh6WeZu0fM4lFd2"
                          "NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
                         {"e", "AQAB"},
                         {"alg", "RS256"},
                         {"kid", "2011-04-29"}};
  EXPECT_EQ(jwk_thumbprint(jwk), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST(JwkThumbprintTest, OnlyTheRequiredMembersCount) {
  const auto plain = jwk_thumbprint(ec_jwk());
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_EQ(jwk_thumbprint(with(with(ec_jwk(), "kid", "other"), "use", "sig")), plain);
  EXPECT_NE(jwk_thumbprint(with(ec_jwk(), "x", kRfcEcY)), plain);
  EXPECT_FALSE(jwk_thumbprint(without(ec_jwk(), "y")));
  EXPECT_FALSE(jwk_thumbprint(json::object{{"kty", "oct"}, {"k", "AA"}}));
}

}  // namespace
}  // namespace sbapi::auth
