#include "auth/jws.h"

#include <gtest/gtest.h>

#include <boost/json/object.hpp>

#include "auth/test_tokens.h"
#include "core/base64.h"

namespace sbapi::auth {
namespace {

namespace json = boost::json;

// RFC 7515 Appendix A.2 (RS256) and A.3 (ES256): the JWKs and the JWSs as printed there (line
// breaks removed). The payload is A.1's {"iss":"joe", "exp":1300819380, ...}: these test the
// signature layer; claims are jwt_test's business.
constexpr std::string_view kRsaN =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4"
    "QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdb"
    "BYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-"
    "DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
constexpr std::string_view kPayload =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q";
constexpr std::string_view kRs256Header = "eyJhbGciOiJSUzI1NiJ9";
constexpr std::string_view kRs256Signature =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_"
    "O8W2Fp5jujG"
    "bds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_"
    "nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
    "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-"
    "eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6"
    "LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
constexpr std::string_view kEcX = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
constexpr std::string_view kEcY = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
constexpr std::string_view kEs256Header = "eyJhbGciOiJFUzI1NiJ9";
constexpr std::string_view kEs256Signature =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

Jwk rfc_key(const json::object& jwk) {
  auto key = parse_jwk(jwk);
  EXPECT_TRUE(key) << key.error();
  return key ? std::move(*key) : Jwk{};
}
Jwk rfc_rsa() { return rfc_key({{"kty", "RSA"}, {"kid", "a2"}, {"n", kRsaN}, {"e", "AQAB"}}); }
Jwk rfc_ec() {
  return rfc_key({{"kty", "EC"}, {"crv", "P-256"}, {"kid", "a3"}, {"x", kEcX}, {"y", kEcY}});
}
std::string input(std::string_view header) {
  return std::string(header) + "." + std::string(kPayload);
}
std::string bytes(std::string_view segment) { return base64url_decode(segment).value_or(""); }

TEST(JwsTest, Rfc7515AppendixA2Rs256Verifies) {
  const Jwk key = rfc_rsa();
  EXPECT_TRUE(verify_signature(key, input(kRs256Header), bytes(kRs256Signature)));
}

TEST(JwsTest, Rfc7515AppendixA3Es256Verifies) {
  const Jwk key = rfc_ec();
  EXPECT_TRUE(verify_signature(key, input(kEs256Header), bytes(kEs256Signature)));
}

TEST(JwsTest, AnyChangedByteFails) {
  const Jwk rsa = rfc_rsa();
  const Jwk ec = rfc_ec();
  const std::string rsa_input = input(kRs256Header);
  const std::string ec_input = input(kEs256Header);
  for (std::size_t i = 0; i < rsa_input.size(); i += 7) {
    std::string changed = rsa_input;
    changed[i] ^= 0x01;
    EXPECT_FALSE(verify_signature(rsa, changed, bytes(kRs256Signature))) << i;
  }
  for (std::size_t i = 0; i < 64; ++i) {
    std::string signature = bytes(kEs256Signature);
    signature[i] ^= 0x01;
    EXPECT_FALSE(verify_signature(ec, ec_input, signature)) << i;
  }
  std::string signature = bytes(kRs256Signature);
  signature[100] ^= 0x80;
  EXPECT_FALSE(verify_signature(rsa, rsa_input, signature));
}

TEST(JwsTest, Es256SignatureMustBe64RawBytes) {
  const Jwk ec = rfc_ec();
  const std::string raw = bytes(kEs256Signature);
  const std::string in = input(kEs256Header);
  EXPECT_FALSE(verify_signature(ec, in, raw.substr(0, 63)));
  EXPECT_FALSE(verify_signature(ec, in, raw + '\0'));
  EXPECT_FALSE(verify_signature(ec, in, ""));
  // The same signature as DER (what OpenSSL itself produces) is not the JWS form.
  const PkeyPtr key = testing::generate_p256();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t length = 256;
  std::string der(length, '\0');
  ASSERT_EQ(
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key.get(), nullptr), 1);
  ASSERT_EQ(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &length,
                           reinterpret_cast<const unsigned char*>(in.data()), in.size()),
            1);
  der.resize(length);
  auto jwk = parse_jwk(testing::public_jwk(key.get(), "k"));
  ASSERT_TRUE(jwk);
  EXPECT_FALSE(verify_signature(*jwk, in, der));
}

TEST(JwsTest, RsaSignatureOfAnotherLengthFails) {
  const Jwk rsa = rfc_rsa();
  const std::string signature = bytes(kRs256Signature);
  EXPECT_FALSE(verify_signature(rsa, input(kRs256Header), signature.substr(1)));
  EXPECT_FALSE(verify_signature(rsa, input(kRs256Header), std::string(1, '\0') + signature));
  EXPECT_FALSE(verify_signature(rsa, input(kRs256Header), ""));
}

TEST(JwsTest, SignThenVerifyRoundTrips) {
  const PkeyPtr rsa = testing::generate_rsa();
  const PkeyPtr ec = testing::generate_p256();
  const auto rsa_key = parse_jwk(testing::public_jwk(rsa.get(), "r"));
  const auto ec_key = parse_jwk(testing::public_jwk(ec.get(), "e"));
  ASSERT_TRUE(rsa_key && ec_key);
  for (int i = 0; i < 20; ++i) {  // R and S with leading zero bytes come up now and then
    const std::string text = "header.payload" + std::to_string(i);
    const auto rs = sign(JwsAlgorithm::kRs256, rsa.get(), text);
    const auto es = sign(JwsAlgorithm::kEs256, ec.get(), text);
    ASSERT_TRUE(rs && es);
    EXPECT_EQ(rs->size(), 256U);
    EXPECT_EQ(es->size(), 64U);
    EXPECT_TRUE(verify_signature(*rsa_key, text, *rs));
    EXPECT_TRUE(verify_signature(*ec_key, text, *es));
    EXPECT_FALSE(verify_signature(*ec_key, text + "x", *es));
  }
}

TEST(JwsTest, SigningWithAKeyOfTheWrongTypeFails) {
  const PkeyPtr ec = testing::generate_p256();
  const PkeyPtr rsa = testing::generate_rsa();
  EXPECT_FALSE(sign(JwsAlgorithm::kRs256, ec.get(), "x"));
  EXPECT_FALSE(sign(JwsAlgorithm::kEs256, rsa.get(), "x"));
  EXPECT_FALSE(sign(JwsAlgorithm::kEs256, nullptr, "x"));
  const PkeyPtr p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  EXPECT_FALSE(sign(JwsAlgorithm::kEs256, p384.get(), "x"));
}

}  // namespace
}  // namespace sbapi::auth
