#include "auth/verified_token_cache.h"

#include <gtest/gtest.h>

#include <string>

#include "sigv4/sigv4.h"

namespace sbapi::auth {
namespace {

std::string hex(const VerifiedTokenCache::Digest& digest) {
  return sigv4::hex_lower(std::string_view(reinterpret_cast<const char*>(digest.data()), 32));
}

VerifiedTokenCache::Digest digest_of(const std::string& token) {
  return VerifiedTokenCache::digest(token).value();
}

Identity identity(std::string subject) { return {std::move(subject), {"staff"}, false}; }

TEST(VerifiedTokenCacheTest, DigestIsSha256) {
  // FIPS 180-2's "abc" example.
  EXPECT_EQ(hex(digest_of("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(digest_of("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(VerifiedTokenCacheTest, HitsUntilExpiry) {
  VerifiedTokenCache cache;
  const auto key = digest_of("token-a");
  EXPECT_EQ(cache.find(key, 100), std::nullopt);
  cache.insert(key, identity("alice"), 200, 100);
  const auto hit = cache.find(key, 150);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->subject, "alice");
  EXPECT_EQ(hit->groups, std::vector<std::string>{"staff"});
  EXPECT_TRUE(cache.find(key, 200));
  EXPECT_FALSE(cache.find(key, 201));
  EXPECT_FALSE(cache.find(digest_of("token-b"), 150));
  EXPECT_EQ(cache.size(), 1U);
}

TEST(VerifiedTokenCacheTest, AnAlreadyExpiredTokenIsNotStored) {
  VerifiedTokenCache cache;
  cache.insert(digest_of("t"), identity("alice"), 100, 101);
  EXPECT_EQ(cache.size(), 0U);
}

TEST(VerifiedTokenCacheTest, StaysWithinItsCapacity) {
  VerifiedTokenCache cache(64);  // 4 a shard
  for (int i = 0; i < 5000; ++i) {
    cache.insert(digest_of("t" + std::to_string(i)), identity("u"), 1000, 0);
    ASSERT_LE(cache.size(), 64U);
  }
  // The most recent insert is always there.
  EXPECT_TRUE(cache.find(digest_of("t4999"), 10));
}

TEST(VerifiedTokenCacheTest, AFullShardDropsExpiredEntriesFirst) {
  VerifiedTokenCache cache(VerifiedTokenCache::kShards);  // one entry a shard
  // Two tokens of the same shard (the first digest byte picks it).
  std::string a = "a0";
  std::string b;
  for (int i = 1; b.empty(); ++i) {
    const std::string candidate = "b" + std::to_string(i);
    if (digest_of(candidate)[0] % VerifiedTokenCache::kShards ==
        digest_of(a)[0] % VerifiedTokenCache::kShards) {
      b = candidate;
    }
  }
  cache.insert(digest_of(a), identity("a"), 100, 0);
  cache.insert(digest_of(b), identity("b"), 300, 200);  // a has expired: it makes room
  EXPECT_FALSE(cache.find(digest_of(a), 50));
  EXPECT_TRUE(cache.find(digest_of(b), 250));
  EXPECT_EQ(cache.size(), 1U);
}

TEST(VerifiedTokenCacheTest, ClearEmptiesEveryShard) {
  VerifiedTokenCache cache;
  for (int i = 0; i < 100; ++i) cache.insert(digest_of(std::to_string(i)), identity("u"), 10, 0);
  EXPECT_EQ(cache.size(), 100U);
  cache.clear();
  EXPECT_EQ(cache.size(), 0U);
  EXPECT_FALSE(cache.find(digest_of("1"), 0));
}

}  // namespace
}  // namespace sbapi::auth
