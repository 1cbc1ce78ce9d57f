#include "auth/token_ttl.h"

#include <gtest/gtest.h>

namespace sbapi::auth {
namespace {

using std::chrono::seconds;

TEST(TokenTtlTest, ReadsOneNumberAndOneUnit) {
  EXPECT_EQ(parse_token_ttl("30s"), seconds(30));
  EXPECT_EQ(parse_token_ttl("15m"), seconds(15 * 60));
  EXPECT_EQ(parse_token_ttl("1h"), seconds(3600));
  EXPECT_EQ(parse_token_ttl("7d"), seconds(7 * 24 * 3600));
  EXPECT_EQ(parse_token_ttl("1s"), seconds(1));
  EXPECT_EQ(parse_token_ttl("090m"), seconds(90 * 60));
}

TEST(TokenTtlTest, AtMostThirtyDays) {
  EXPECT_EQ(parse_token_ttl("30d"), kMaxTokenTtl);
  EXPECT_EQ(parse_token_ttl("720h"), kMaxTokenTtl);
  EXPECT_EQ(parse_token_ttl("2592000s"), kMaxTokenTtl);
  EXPECT_EQ(parse_token_ttl("31d"), std::nullopt);
  EXPECT_EQ(parse_token_ttl("721h"), std::nullopt);
  EXPECT_EQ(parse_token_ttl("2592001s"), std::nullopt);
  EXPECT_EQ(parse_token_ttl("999999999d"), std::nullopt);
  EXPECT_EQ(parse_token_ttl("9999999999999999999999s"), std::nullopt);  // no overflow
}

TEST(TokenTtlTest, RefusesEverythingElse) {
  for (const char* text : {"", "h", "1", "60", "0s", "0d", "-1h", "+1h", "1.5h", "1H", "1w", "1 h",
                           " 1h", "1h ", "1h30m", "h1", "1hh", "0x10s", "1e3s"}) {
    EXPECT_EQ(parse_token_ttl(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace sbapi::auth
