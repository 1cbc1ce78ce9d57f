// The Table contract (core/table.h), one suite run against every backend:
//   sqlite   — SqliteTable on a temporary directory;
//   moto     — DynamoTable → `python3 -m moto.server` with SigV4 verification switched on;
//   dynalite — DynamoTable → dynalite from tests/peers (npm, pinned in package-lock.json).
// A backend that cannot run here is skipped with the reason, or fails when CI=true.
//
// Time is a FixedClock that the tests move; items carry explicit ttl values around it. It starts
// at the real current time, so a peer that did delete expired items itself would not interfere.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "adapters/aws/dynamo_table.h"
#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/sqlite_table.h"
#include "core/schemas.h"
#include "peers.h"
#include "testing/temp_dir.h"

namespace sbapi::contract {
namespace {

using boost::json::object;

const std::int64_t kNow = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();

// A table and whatever keeps it alive (declared first, destroyed last).
struct OpenTable {
  std::shared_ptr<void> resources;
  std::unique_ptr<Table> table;
};

std::string unique_name(const std::string& base) {
  static int counter = 0;
  return base + std::string("_") + std::to_string(getpid()) + std::string("_") +
         std::to_string(++counter);
}

// Opens a fresh, empty table of `schema` (its name made unique) on `backend`, or says why not.
std::expected<OpenTable, std::string> open_table(const std::string& backend, TableSchema schema,
                                                 const Clock& clock) {
  schema.name = unique_name(schema.name);
  if (backend == "sqlite") {
    auto dir = std::make_shared<testutil::TempDir>("sbapi-contract-sqlite");
    auto db = SqliteDatabase::open(dir->path());
    if (!db) return std::unexpected(db.error().detail);
    auto table = SqliteTable::open(**db, schema, clock);
    if (!table) return std::unexpected(table.error().detail);
    // The database closes before its directory goes (the deleter holds the last `dir`).
    std::shared_ptr<SqliteDatabase> shared_db(db->release(),
                                              [dir](SqliteDatabase* d) { delete d; });
    return OpenTable{shared_db, std::move(*table)};
  }
  auto peer = dynamo_peer(backend);
  if (!peer) return std::unexpected(peer.error());
  auto client = aws::make_dynamodb_client((*peer)->config);
  aws::EnsureTableOptions options;
  options.poll_interval = std::chrono::milliseconds(20);
  auto ensured = aws::ensure_table(*client, schema, options);
  if (!ensured) return std::unexpected("ensure_table: " + ensured.error().detail);
  return OpenTable{client, std::make_unique<aws::DynamoTable>(client, schema, clock)};
}

class TableContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto opened = open_table(GetParam(), users_schema(), clock);
    if (!opened) {
      if (running_in_ci()) FAIL() << GetParam() << " unavailable under CI: " << opened.error();
      GTEST_SKIP() << GetParam() << " unavailable: " << opened.error();
    }
    open = std::move(*opened);
    table = open.table.get();
  }

  static object user(std::string id, std::string email, std::int64_t ttl = kNow + 1000) {
    return object{{"userId", id}, {"email", email}, {"createdAt", kNow}, {"ttl", ttl}};
  }

  // Every key of a full query (all pages), sorted: DynamoDB's index order is its own.
  std::vector<std::string> query_all(const std::string& index, const boost::json::value& equals,
                                     std::size_t limit, int* pages = nullptr) {
    std::vector<std::string> keys;
    std::optional<std::string> cursor;
    int count = 0;
    do {
      auto page = table->query({index, equals, limit, cursor});
      EXPECT_TRUE(page) << (page ? "" : page.error().detail);
      if (!page) break;
      EXPECT_LE(page->items.size(), limit);
      ++count;
      for (auto& item : page->items) keys.emplace_back(item.at("userId").as_string());
      cursor = page->next_cursor;
    } while (cursor && count < 100);
    if (pages != nullptr) *pages = count;
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  std::vector<std::string> scan_all(std::size_t limit, int* pages = nullptr) {
    std::vector<std::string> keys;
    std::optional<std::string> cursor;
    int count = 0;
    do {
      auto page = table->scan({limit, cursor});
      EXPECT_TRUE(page) << (page ? "" : page.error().detail);
      if (!page) break;
      EXPECT_LE(page->items.size(), limit);
      ++count;
      for (auto& item : page->items) keys.emplace_back(item.at("userId").as_string());
      cursor = page->next_cursor;
    } while (cursor && count < 100);
    if (pages != nullptr) *pages = count;
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  FixedClock clock{kNow};
  OpenTable open;
  Table* table = nullptr;
};

TEST_P(TableContract, PutIfAbsentCreatesOnceThenReturnsTheExistingItem) {
  auto first = table->put_if_absent(user("u1", "a@b.c"));
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->item, user("u1", "a@b.c"));
  auto second = table->put_if_absent(user("u1", "other@b.c"));
  ASSERT_TRUE(second) << second.error().detail;
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->item, user("u1", "a@b.c"));
  auto got = table->get("u1");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(**got, user("u1", "a@b.c"));
}

TEST_P(TableContract, EightThreadsRacingPutIfAbsentHaveExactlyOneWinner) {
  if (GetParam() == std::string_view("moto")) {
    // moto's server checks a ConditionExpression and writes without a lock around both: under a
    // loaded machine two racing attribute_not_exists puts both succeed (seen in `make test`
    // while a fuzzer ran: 2 winners). The rule is the engine's, not the adapter's; SQLite and
    // dynalite (which serialises writes) hold it here.
    GTEST_SKIP() << "moto's conditional writes are not atomic under concurrency";
  }
  for (int round = 0; round < 10; ++round) {
    const std::string key = std::string("race") + std::to_string(round);
    std::atomic<int> winners{0}, errors{0};
    std::set<std::string> stored_emails;
    std::mutex mu;
    std::vector<std::thread> threads;
    threads.reserve(8);
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        auto r = table->put_if_absent(user(key, std::string("t") + std::to_string(t) + "@b.c"));
        if (!r) {
          ++errors;
          return;
        }
        if (r->created) ++winners;
        std::lock_guard lock(mu);
        stored_emails.insert(std::string(r->item.at("email").as_string()));
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(winners.load(), 1) << key;
    // Losers see the winner's item, never their own.
    EXPECT_EQ(stored_emails.size(), 1u) << key;
  }
}

TEST_P(TableContract, GetOfAMissingKeyIsEmpty) {
  auto got = table->get("nobody");
  ASSERT_TRUE(got) << got.error().detail;
  EXPECT_FALSE(got->has_value());
}

TEST_P(TableContract, UpdateSetsAndRemovesAndReturnsTheNewItem) {
  auto u = user("u1", "a@b.c");
  u["name"] = "Ann";
  u["status"] = "active";  // `name`, `status` and `ttl` are DynamoDB reserved words
  ASSERT_TRUE(table->put_if_absent(u));
  ItemUpdate update{object{{"email", "new@b.c"}, {"department", "R&D"}, {"status", "away"}},
                    {"name"}};
  auto updated = table->update_if_exists("u1", update);
  ASSERT_TRUE(updated) << updated.error().detail;
  ASSERT_TRUE(*updated);
  EXPECT_EQ((*updated)->at("email"), "new@b.c");
  EXPECT_EQ((*updated)->at("department"), "R&D");
  EXPECT_EQ((*updated)->at("status"), "away");
  EXPECT_FALSE((*updated)->contains("name"));
  EXPECT_EQ((*updated)->at("createdAt"), kNow);
  EXPECT_EQ((*updated)->at("ttl"), kNow + 1000);
  auto got = table->get("u1");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(**got, **updated);
}

TEST_P(TableContract, UpdateOfAnAttributeBothSetAndRemovedSetsIt) {
  ASSERT_TRUE(table->put_if_absent(user("u1", "a@b.c")));
  auto updated = table->update_if_exists("u1", {object{{"name", "x"}}, {"name", "name"}});
  ASSERT_TRUE(updated && *updated);
  EXPECT_EQ((*updated)->at("name"), "x");
}

TEST_P(TableContract, UpdateNeverChangesTheKey) {
  ASSERT_TRUE(table->put_if_absent(user("u1", "a@b.c")));
  auto updated = table->update_if_exists("u1", {object{{"userId", "u2"}}, {}});
  ASSERT_TRUE(updated) << updated.error().detail;
  ASSERT_TRUE(*updated);
  EXPECT_EQ((*updated)->at("userId"), "u1");
  EXPECT_FALSE(*table->get("u2"));
}

TEST_P(TableContract, UpdateOfAMissingItemIsNotFoundAndCreatesNothing) {
  auto updated = table->update_if_exists("ghost", {object{{"email", "x@y.z"}}, {}});
  ASSERT_TRUE(updated) << updated.error().detail;
  EXPECT_FALSE(updated->has_value());
  EXPECT_FALSE(*table->get("ghost"));
  auto page = table->scan({});
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->items.empty());
}

TEST_P(TableContract, ConcurrentUpdateNeverResurrectsADeletedItem) {
  for (int round = 0; round < 20; ++round) {
    const std::string key = std::string("k") + std::to_string(round);
    ASSERT_TRUE(table->put_if_absent(user(key, "a@b.c")));
    std::atomic<bool> update_failed{false};
    std::thread updater([&] {
      if (!table->update_if_exists(key, {object{{"name", "x"}}, {}})) update_failed = true;
    });
    std::thread deleter([&] { EXPECT_TRUE(table->remove(key).value_or(false)); });
    updater.join();
    deleter.join();
    EXPECT_FALSE(update_failed.load());
    EXPECT_FALSE(*table->get(key)) << key;
  }
}

TEST_P(TableContract, RemoveReportsWhetherAnItemWasDeleted) {
  ASSERT_TRUE(table->put_if_absent(user("u1", "a@b.c")));
  auto removed = table->remove("u1");
  ASSERT_TRUE(removed) << removed.error().detail;
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(table->remove("u1").value());
  EXPECT_FALSE(*table->get("u1"));
  EXPECT_FALSE(table->remove("never-existed").value());
}

TEST_P(TableContract, ExpiredItemsAreInvisibleToEveryRead) {
  ASSERT_TRUE(table->put_if_absent(user("old", "same@b.c", kNow + 10)));
  ASSERT_TRUE(table->put_if_absent(user("new", "same@b.c", kNow + 1000)));
  EXPECT_TRUE(*table->get("old"));
  clock.set(kNow + 10);  // ttl reached
  EXPECT_FALSE(*table->get("old"));
  EXPECT_FALSE(*table->update_if_exists("old", {object{{"name", "x"}}, {}}));
  EXPECT_EQ(query_all("email-index", "same@b.c", 25), std::vector<std::string>{"new"});
  EXPECT_EQ(scan_all(25), std::vector<std::string>{"new"});
  EXPECT_FALSE(table->remove("old").value());
  clock.set(kNow);  // the refused update and remove left the item as it was
  auto old = table->get("old");
  ASSERT_TRUE(old && *old);
  EXPECT_EQ(**old, user("old", "same@b.c", kNow + 10));
}

TEST_P(TableContract, ItemsWithoutANumericTtlNeverExpire) {
  auto no_ttl = user("a", "a@b.c");
  no_ttl.erase("ttl");
  auto text_ttl = user("b", "b@b.c");
  text_ttl["ttl"] = "soon";
  ASSERT_TRUE(table->put_if_absent(no_ttl));
  ASSERT_TRUE(table->put_if_absent(text_ttl));
  clock.set(kNow + 1'000'000);
  EXPECT_TRUE(*table->get("a"));
  EXPECT_TRUE(*table->get("b"));
  EXPECT_EQ(scan_all(10), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(query_all("email-index", "b@b.c", 10), std::vector<std::string>{"b"});
  auto updated = table->update_if_exists("b", {object{{"name", "x"}}, {}});
  ASSERT_TRUE(updated) << updated.error().detail;
  EXPECT_TRUE(*updated);
  EXPECT_FALSE(table->put_if_absent(text_ttl).value().created);
  EXPECT_TRUE(table->remove("b").value());
}

TEST_P(TableContract, AnExpiredItemDoesNotBlockPutIfAbsent) {
  ASSERT_TRUE(table->put_if_absent(user("u1", "old@b.c", kNow + 10)));
  clock.set(kNow + 20);
  auto put = table->put_if_absent(user("u1", "new@b.c", kNow + 1000));
  ASSERT_TRUE(put) << put.error().detail;
  EXPECT_TRUE(put->created);
  EXPECT_EQ((*table->get("u1"))->at("email"), "new@b.c");
}

TEST_P(TableContract, QueryPagesThroughOneIndexValue) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(table->put_if_absent(user(std::string("m") + std::to_string(i), "x@b.c")));
  }
  ASSERT_TRUE(table->put_if_absent(user("other", "y@b.c")));
  int pages = 0;
  EXPECT_EQ(query_all("email-index", "x@b.c", 2, &pages),
            (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4"}));
  EXPECT_EQ(pages, 3);
  pages = 0;
  EXPECT_EQ(query_all("email-index", "x@b.c", 5, &pages).size(), 5u);
  EXPECT_EQ(pages, 1);  // exactly `limit` items: no cursor to an empty page
}

TEST_P(TableContract, PagesSkipExpiredItemsWithoutLosingVisibleOnes) {
  for (int i = 0; i < 12; ++i) {
    // Every other item expires at kNow + 5.
    ASSERT_TRUE(table->put_if_absent(
        user(std::string("p") + std::to_string(i / 10) + std::to_string(i % 10), "z@b.c",
             i % 2 == 0 ? kNow + 5 : kNow + 1000)));
  }
  clock.set(kNow + 5);
  const std::vector<std::string> odd{"p01", "p03", "p05", "p07", "p09", "p11"};
  EXPECT_EQ(query_all("email-index", "z@b.c", 2), odd);
  EXPECT_EQ(scan_all(4), odd);
}

TEST_P(TableContract, QueryMatchesNumbersOnANumericIndex) {
  auto a = user("a", "a@b.c");
  a["createdAt"] = 42;
  ASSERT_TRUE(table->put_if_absent(a));
  ASSERT_TRUE(table->put_if_absent(user("b", "b@b.c")));
  auto page = table->query({"createdAt-index", 42, 10, std::nullopt});
  ASSERT_TRUE(page) << page.error().detail;
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].at("userId"), "a");
  // A string never equals a number.
  auto none = table->query({"createdAt-index", "42", 10, std::nullopt});
  ASSERT_TRUE(none) << none.error().detail;
  EXPECT_TRUE(none->items.empty());
}

TEST_P(TableContract, QueryOfAnUnknownIndexIsAnError) {
  EXPECT_FALSE(table->query({"nope-index", "x", 10, std::nullopt}));
}

TEST_P(TableContract, ScanPagesThroughEverything) {
  for (int i = 0; i < 7; ++i)
    ASSERT_TRUE(table->put_if_absent(user(std::string("s") + std::to_string(i), "a@b.c")));
  auto first = table->scan({5, std::nullopt});
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_EQ(first->items.size(), 5u);
  ASSERT_TRUE(first->next_cursor);
  auto second = table->scan({5, first->next_cursor});
  ASSERT_TRUE(second) << second.error().detail;
  EXPECT_EQ(second->items.size(), 2u);
  EXPECT_FALSE(second->next_cursor);
  std::set<std::string> all;
  for (const auto* page : {&*first, &*second}) {
    for (const auto& item : page->items) all.insert(std::string(item.at("userId").as_string()));
  }
  EXPECT_EQ(all.size(), 7u);
}

TEST_P(TableContract, ValuesRoundTripExactly) {
  object u = user("v", "v@b.c");
  u["big"] = std::uint64_t{18'446'744'073'709'551'615u};
  u["negative"] = std::int64_t{-9'223'372'036'854'775'807};
  u["zero"] = 0;
  u["decimal"] = 0.1;
  u["flag"] = true;
  u["nothing"] = nullptr;
  u["unicode"] = "Zoë ✓ 日本";
  u["empty"] = "";
  u["nested"] = object{{"list", boost::json::array{1, "two", object{{"three", 3.5}}, false}},
                       {"map", object{{"deep", object{{"er", -1}}}}}};
  auto put = table->put_if_absent(u);
  ASSERT_TRUE(put) << put.error().detail;
  auto got = table->get("v");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(**got, u) << boost::json::serialize(**got);
  EXPECT_TRUE((*got)->at("big").is_uint64());
  EXPECT_TRUE((*got)->at("decimal").is_double());
}

TEST_P(TableContract, TablesAreSeparate) {
  auto assets = open_table(GetParam(), assets_schema(), clock);
  ASSERT_TRUE(assets) << assets.error();
  ASSERT_TRUE(assets->table->put_if_absent(object{{"assetId", "u1"}, {"status", "pending"}}));
  EXPECT_FALSE(*table->get("u1"));
  auto pending = assets->table->query({"status-index", "pending", 10, std::nullopt});
  ASSERT_TRUE(pending) << pending.error().detail;
  EXPECT_EQ(pending->items.size(), 1u);
}

std::string backend_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

INSTANTIATE_TEST_SUITE_P(Backends, TableContract, ::testing::Values("sqlite", "moto", "dynalite"),
                         backend_name);

}  // namespace
}  // namespace sbapi::contract
