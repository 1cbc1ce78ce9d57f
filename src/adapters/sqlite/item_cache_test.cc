#include "adapters/sqlite/item_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace sbapi::sqlite {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

TEST(ItemCache, AFilledReadIsServedUntilAWriteOfItsKeyBegins) {
  ItemCache cache(1 << 20);
  EXPECT_FALSE(cache.find("k", kNow));
  cache.fill("k", "v1", std::nullopt, cache.ticket("k"));
  EXPECT_EQ(cache.find("k", kNow), "v1");
  cache.begin_write("k");
  EXPECT_FALSE(cache.find("k", kNow)) << "a key in flight must miss";
  cache.end_write("k", nullptr, std::nullopt);
  EXPECT_FALSE(cache.find("k", kNow));
}

TEST(ItemCache, TheCommittedItemIsServedAfterTheWrite) {
  ItemCache cache(1 << 20);
  cache.begin_write("k");
  const std::string committed = "v2";
  cache.end_write("k", &committed, std::nullopt);
  EXPECT_EQ(cache.find("k", kNow), "v2");
}

TEST(ItemCache, AReadThatRacedAWriteIsNotKept) {
  ItemCache cache(1 << 20);
  // The reader read SQLite before the write committed; the write has ended since.
  const auto before = cache.ticket("k");
  cache.begin_write("k");
  cache.end_write("k", nullptr, std::nullopt);
  cache.fill("k", "stale", std::nullopt, before);
  EXPECT_FALSE(cache.find("k", kNow));
}

TEST(ItemCache, AReadDuringAWriteIsNotKept) {
  ItemCache cache(1 << 20);
  cache.begin_write("k");
  cache.fill("k", "maybe-stale", std::nullopt, cache.ticket("k"));
  EXPECT_FALSE(cache.find("k", kNow));
  const std::string committed = "new";
  cache.end_write("k", &committed, std::nullopt);
  EXPECT_EQ(cache.find("k", kNow), "new");
}

TEST(ItemCache, OverlappingWritesOfOneKeyLeaveItUncached) {
  // Their commit order is not known here, so neither result may be served.
  ItemCache cache(1 << 20);
  cache.begin_write("k");
  cache.begin_write("k");
  const std::string a = "a";
  const std::string b = "b";
  cache.end_write("k", &b, std::nullopt);
  cache.end_write("k", &a, std::nullopt);
  EXPECT_FALSE(cache.find("k", kNow));
  // Once no write is in flight, the key is cached again as usual.
  cache.fill("k", "read", std::nullopt, cache.ticket("k"));
  EXPECT_EQ(cache.find("k", kNow), "read");
}

TEST(ItemCache, AnExpiredEntryIsAMissAsInSql) {
  ItemCache cache(1 << 20);
  cache.fill("k", "v", 100.0, cache.ticket("k"));
  EXPECT_EQ(cache.find("k", 99), "v");
  EXPECT_FALSE(cache.find("k", 100)) << "expires_at <= now is expired";
}

TEST(ItemCache, StaysWithinItsBoundAndKeepsTheRecentlyUsed) {
  constexpr std::size_t kBound = 64 * 1024;
  ItemCache cache(kBound);
  const std::string text(200, 'x');
  cache.fill("hot", text, std::nullopt, cache.ticket("hot"));
  for (int i = 0; i < 5000; ++i) {
    const std::string key = "key-" + std::to_string(i);
    cache.fill(key, text, std::nullopt, cache.ticket(key));
    ASSERT_TRUE(cache.find("hot", kNow)) << "used after every insert, so never the oldest";
  }
  EXPECT_LE(cache.bytes(), kBound);
  EXPECT_GT(cache.bytes(), kBound / 2);
  EXPECT_FALSE(cache.find("key-0", kNow));
  EXPECT_TRUE(cache.find("key-4999", kNow));
}

TEST(ItemCache, DropExpiredRemovesExactlyTheExpired) {
  ItemCache cache(1 << 20);
  cache.fill("old", "v", 100.0, cache.ticket("old"));
  cache.fill("new", "v", 200.0, cache.ticket("new"));
  cache.fill("forever", "v", std::nullopt, cache.ticket("forever"));
  cache.drop_expired(150);
  EXPECT_FALSE(cache.find("old", 50)) << "gone even when asked with an earlier time";
  EXPECT_TRUE(cache.find("new", 50));
  EXPECT_TRUE(cache.find("forever", 50));
}

TEST(ItemCache, ZeroBytesCachesNothing) {
  ItemCache cache(0);
  cache.fill("k", "v", std::nullopt, cache.ticket("k"));
  EXPECT_FALSE(cache.find("k", kNow));
}

}  // namespace
}  // namespace sbapi::sqlite
