#include "core/page_tokens.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

#include "core/base64.h"

namespace sbapi {
namespace {

PageTokenSecretLoader fixed(std::string secret, int* calls = nullptr) {
  return [secret = std::move(secret), calls]() -> StoreResult<std::string> {
    if (calls != nullptr) ++*calls;
    return secret;
  };
}

const std::string kSecret(32, 's');
const ListPosition kPosition{1'750'000'123, "user-42"};

TEST(PageTokensTest, ATokenDecodesToItsPositionUnderItsBinding) {
  PageTokens tokens(fixed(kSecret));
  const auto token = tokens.encode("listUsers\nall", kPosition);
  ASSERT_TRUE(token);
  const auto position = tokens.decode("listUsers\nall", *token);
  ASSERT_TRUE(position);
  ASSERT_TRUE(*position);
  EXPECT_EQ(**position, kPosition);
}

TEST(PageTokensTest, ExtremeCreatedValuesAndAnEmptyKeyRoundTrip) {
  PageTokens tokens(fixed(kSecret));
  for (const ListPosition& p : {ListPosition{0, ""}, ListPosition{-1, "a"},
                                ListPosition{INT64_MAX, std::string(128, 'z')}}) {
    const auto token = tokens.encode("b", p);
    ASSERT_TRUE(token);
    EXPECT_EQ(tokens.decode("b", *token).value(), p);
  }
}

TEST(PageTokensTest, TheTagIsHmacSha256OfTheBindingAZeroByteAndTheBody) {
  // Against OpenSSL's one-shot HMAC(), with two secrets taking turns on one thread (the MAC
  // context is kept per thread and keyed again when the secret changes).
  const std::string binding = "listAssets\nowner-created-index\nalice\n\nuser:alice";
  for (const std::string& secret : {kSecret, std::string(48, 'u'), kSecret}) {
    PageTokens tokens(fixed(secret));
    const auto token = tokens.encode(binding, kPosition);
    ASSERT_TRUE(token);
    const auto bytes = base64url_decode(*token);
    ASSERT_TRUE(bytes);
    ASSERT_GT(bytes->size(), 32u);
    const std::string body = bytes->substr(0, bytes->size() - 32);
    const std::string message = binding + std::string(1, '\0') + body;
    unsigned char expected[32];
    unsigned int length = 0;
    ASSERT_NE(HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
                   reinterpret_cast<const unsigned char*>(message.data()), message.size(), expected,
                   &length),
              nullptr);
    EXPECT_EQ(bytes->substr(bytes->size() - 32),
              std::string(reinterpret_cast<const char*>(expected), length));
  }
}

TEST(PageTokensTest, AnotherBindingOrSecretRejectsTheToken) {
  PageTokens tokens(fixed(kSecret));
  PageTokens other(fixed(std::string(32, 't')));
  const auto token = tokens.encode("listUsers\nall\n\n\nanyone", kPosition).value();
  EXPECT_FALSE(tokens.decode("listUsers\nall\n\n\nuser:alice", token).value());
  EXPECT_FALSE(tokens.decode("listAssets\nall\n\n\nanyone", token).value());
  EXPECT_FALSE(other.decode("listUsers\nall\n\n\nanyone", token).value());
}

TEST(PageTokensTest, EveryAlteredSpellingIsInvalidNeverAnError) {
  PageTokens tokens(fixed(kSecret));
  const std::string token = tokens.encode("b", kPosition).value();
  std::vector<std::string> altered = {"",
                                      "A",
                                      token.substr(0, token.size() - 1),
                                      token.substr(1),
                                      token + "A",
                                      token + "=",
                                      token + "==",
                                      " " + token,
                                      std::string(kMaxPageTokenLength + 1, 'A')};
  for (std::size_t i = 0; i < token.size(); ++i) {  // every character changed once
    std::string flipped = token;
    flipped[i] = flipped[i] == 'A' ? 'B' : 'A';
    altered.push_back(flipped);
  }
  std::string standard = token;  // base64 instead of base64url, where it differs
  for (char& c : standard) c = c == '-' ? '+' : c == '_' ? '/' : c;
  if (standard != token) altered.push_back(standard);
  // The same bytes with non-zero unused trailing bits: a second spelling, refused.
  const std::string bytes = base64url_decode(token).value();
  if (bytes.size() % 3 != 0) {
    std::string loose = token;
    static const std::string kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    loose.back() = kAlphabet[kAlphabet.find(loose.back()) | 1];
    if (loose != token) altered.push_back(loose);
  }
  for (const auto& t : altered) {
    const auto decoded = tokens.decode("b", t);
    ASSERT_TRUE(decoded) << t;
    EXPECT_FALSE(*decoded) << t;
  }
}

TEST(PageTokensTest, AVersionByteOtherThanOneIsInvalidEvenWithAValidMacShape) {
  PageTokens tokens(fixed(kSecret));
  std::string bytes = base64url_decode(tokens.encode("b", kPosition).value()).value();
  bytes[0] = 0x02;
  EXPECT_FALSE(tokens.decode("b", base64url_encode(bytes)).value());
}

TEST(PageTokensTest, TheSecretIsLoadedOnFirstUseOnceAndRetriedAfterAFailure) {
  int calls = 0;
  bool fail = true;
  PageTokens tokens([&]() -> StoreResult<std::string> {
    ++calls;
    if (fail) return std::unexpected(StoreError{StoreError::Kind::kUnavailable, "down"});
    return kSecret;
  });
  EXPECT_EQ(calls, 0);
  const auto first = tokens.encode("b", kPosition);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().kind, StoreError::Kind::kUnavailable);
  fail = false;
  ASSERT_TRUE(tokens.encode("b", kPosition));
  ASSERT_TRUE(tokens.encode("b", kPosition));
  EXPECT_EQ(calls, 2);
}

TEST(PageTokensTest, ASecretShorterThan32BytesIsRefused) {
  PageTokens tokens(fixed(std::string(31, 's')));
  const auto token = tokens.encode("b", kPosition);
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().kind, StoreError::Kind::kInternal);
}

TEST(PageTokensTest, TheSameSecretInAnotherInstanceAcceptsTheTokens) {
  // A restart, or another process sharing the data dir's secret.
  const std::string token = PageTokens(fixed(kSecret)).encode("b", kPosition).value();
  EXPECT_EQ(PageTokens(fixed(kSecret)).decode("b", token).value(), kPosition);
}

TEST(PageTokensTest, WithoutALoaderEachInstanceHasItsOwnRandomSecret) {
  PageTokens a, b;
  const std::string token = a.encode("b", kPosition).value();
  EXPECT_EQ(a.decode("b", token).value(), kPosition);
  EXPECT_FALSE(b.decode("b", token).value());
}

}  // namespace
}  // namespace sbapi
