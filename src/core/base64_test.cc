#include "core/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace sbapi {
namespace {

using namespace std::string_literals;

// RFC 4648 §10's test vectors, in base64url without padding.
TEST(Base64UrlTest, EncodesTheRfcVectors) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64UrlTest, UsesTheUrlAlphabet) {
  EXPECT_EQ(base64url_encode("\xfb\xff\xbf"s), "-_-_");
  EXPECT_EQ(base64url_decode("-_-_"), "\xfb\xff\xbf"s);
}

TEST(Base64UrlTest, RoundTripsEveryByteAndLength) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= bytes.size(); ++n) {
    const std::string in = bytes.substr(0, n);
    EXPECT_EQ(base64url_decode(base64url_encode(in)), in) << n;
  }
}

TEST(Base64UrlTest, StrictDecodeRefusesWhatNoEncoderWrites) {
  EXPECT_EQ(base64url_decode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(base64url_decode(""), "");
  EXPECT_EQ(base64url_decode("Zg=="), std::nullopt);    // padding
  EXPECT_EQ(base64url_decode("Zm9v+g"), std::nullopt);  // standard alphabet
  EXPECT_EQ(base64url_decode("Zm9v/g"), std::nullopt);
  EXPECT_EQ(base64url_decode("Zm9v Yg"), std::nullopt);  // whitespace
  EXPECT_EQ(base64url_decode("Zm9v\nYg"), std::nullopt);
  EXPECT_EQ(base64url_decode("Zm9vY"), std::nullopt);  // len % 4 == 1
  EXPECT_EQ(base64url_decode("Z"), std::nullopt);
  EXPECT_EQ(base64url_decode("Zh"), std::nullopt);   // "f" with a non-zero trailing bit
  EXPECT_EQ(base64url_decode("Zm9"), std::nullopt);  // "fo" likewise
  EXPECT_EQ(base64url_decode("Zm9v\0"s), std::nullopt);
}

TEST(Base64UrlTest, IgnoredTrailingBitsDecodeAsTheyAlwaysDidForCursors) {
  EXPECT_EQ(base64url_decode("Zh", TrailingBits::kIgnored), "f");
  EXPECT_EQ(base64url_decode("Zm9", TrailingBits::kIgnored), "fo");
  EXPECT_EQ(base64url_decode("Zm9vY", TrailingBits::kIgnored), std::nullopt);
  EXPECT_EQ(base64url_decode("Zg==", TrailingBits::kIgnored), std::nullopt);
}

TEST(Base64Test, DecodesStandardBase64WithOptionalPadding) {
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zg"), "f");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zm9v"), "foo");
  EXPECT_EQ(base64_decode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(base64_decode("+/+/"), "\xfb\xff\xbf"s);
  EXPECT_EQ(base64_decode("Zh=="), "f");  // trailing bits ignored, as API Gateway bodies were read
}

TEST(Base64Test, RefusesMalformedText) {
  EXPECT_EQ(base64_decode("Zg="), std::nullopt);    // padding must complete the quantum
  EXPECT_EQ(base64_decode("Zg==="), std::nullopt);  // at most two '='
  EXPECT_EQ(base64_decode("Z"), std::nullopt);
  EXPECT_EQ(base64_decode("Z==="), std::nullopt);
  EXPECT_EQ(base64_decode("-_-_"), std::nullopt);  // url alphabet
  EXPECT_EQ(base64_decode("Zm 9v"), std::nullopt);
  EXPECT_EQ(base64_decode("Zg==Zg=="), std::nullopt);
}

}  // namespace
}  // namespace sbapi
