#include "adapters/sqlite/sqlite_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>
#include <vector>

#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/sqlite_database_impl.h"
#include "core/schemas.h"
#include "testing/temp_dir.h"

namespace sbapi {
namespace {

using testutil::TempDir;

using boost::json::object;

constexpr std::int64_t kNow = 1'700'000'000;

class SqliteTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteDatabase::open(dir.path());
    ASSERT_TRUE(opened) << opened.error().detail;
    db = std::move(*opened);
    auto t = SqliteTable::open(*db, users_schema(), clock);
    ASSERT_TRUE(t) << t.error().detail;
    table = std::move(*t);
  }

  static object user(std::string id, std::string email, std::int64_t ttl = kNow + 1000) {
    return object{{"userId", id}, {"email", email}, {"createdAt", kNow}, {"ttl", ttl}};
  }

  TempDir dir;
  FixedClock clock{kNow};
  std::unique_ptr<SqliteDatabase> db;
  std::unique_ptr<SqliteTable> table;
};

TEST_F(SqliteTableTest, PutIfAbsentCreatesOnceThenReturnsTheExistingItem) {
  auto first = table->put_if_absent(user("u1", "a@b.c"));
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->created);
  auto second = table->put_if_absent(user("u1", "other@b.c"));
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->item.at("email"), "a@b.c");
  auto got = table->get("u1");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(**got, user("u1", "a@b.c"));
}

TEST_F(SqliteTableTest, EightThreadsRacingPutIfAbsentHaveExactlyOneWinner) {
  for (int round = 0; round < 20; ++round) {
    const std::string key = "race" + std::to_string(round);
    std::atomic<int> winners{0}, errors{0};
    std::vector<std::thread> threads;
    threads.reserve(8);
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        auto r = table->put_if_absent(user(key, "t" + std::to_string(t) + "@b.c"));
        if (!r)
          ++errors;
        else if (r->created)
          ++winners;
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(winners.load(), 1) << key;
  }
}

TEST_F(SqliteTableTest, GetOfAMissingKeyIsEmpty) {
  auto got = table->get("nobody");
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->has_value());
}

TEST_F(SqliteTableTest, UpdateSetsAndRemovesAndReturnsTheNewItem) {
  auto u = user("u1", "a@b.c");
  u["name"] = "Ann";
  ASSERT_TRUE(table->put_if_absent(u));
  ItemUpdate update{object{{"email", "new@b.c"}, {"department", "R&D"}}, {"name"}};
  auto updated = table->update_if_exists("u1", update);
  ASSERT_TRUE(updated && *updated);
  EXPECT_EQ((*updated)->at("email"), "new@b.c");
  EXPECT_EQ((*updated)->at("department"), "R&D");
  EXPECT_FALSE((*updated)->contains("name"));
  EXPECT_EQ((*updated)->at("createdAt"), kNow);
  auto got = table->get("u1");
  EXPECT_EQ(**got, **updated);
}

TEST_F(SqliteTableTest, UpdateNeverChangesTheKey) {
  ASSERT_TRUE(table->put_if_absent(user("u1", "a@b.c")));
  auto updated = table->update_if_exists("u1", {object{{"userId", "u2"}}, {}});
  ASSERT_TRUE(updated && *updated);
  EXPECT_EQ((*updated)->at("userId"), "u1");
  EXPECT_FALSE(*table->get("u2"));
}

TEST_F(SqliteTableTest, UpdateOfAMissingItemIsNotFoundAndCreatesNothing) {
  auto updated = table->update_if_exists("ghost", {object{{"email", "x@y.z"}}, {}});
  ASSERT_TRUE(updated);
  EXPECT_FALSE(updated->has_value());
  EXPECT_FALSE(*table->get("ghost"));
  auto page = table->scan({});
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->items.empty());
}

TEST_F(SqliteTableTest, ConcurrentUpdateNeverResurrectsADeletedItem) {
  for (int round = 0; round < 50; ++round) {
    const std::string key = "k" + std::to_string(round);
    ASSERT_TRUE(table->put_if_absent(user(key, "a@b.c")));
    std::thread updater([&] { (void)table->update_if_exists(key, {object{{"name", "x"}}, {}}); });
    std::thread deleter([&] { EXPECT_TRUE(table->remove(key).value_or(false)); });
    updater.join();
    deleter.join();
    EXPECT_FALSE(*table->get(key)) << key;
  }
}

TEST_F(SqliteTableTest, RemoveReportsWhetherAnItemWasDeleted) {
  ASSERT_TRUE(table->put_if_absent(user("u1", "a@b.c")));
  EXPECT_TRUE(table->remove("u1").value());
  EXPECT_FALSE(table->remove("u1").value());
  EXPECT_FALSE(*table->get("u1"));
}

TEST_F(SqliteTableTest, ExpiredItemsAreInvisibleToEveryRead) {
  ASSERT_TRUE(table->put_if_absent(user("old", "same@b.c", kNow + 10)));
  ASSERT_TRUE(table->put_if_absent(user("new", "same@b.c", kNow + 1000)));
  EXPECT_TRUE(*table->get("old"));
  clock.set(kNow + 10);  // ttl reached
  EXPECT_FALSE(*table->get("old"));
  EXPECT_FALSE(*table->update_if_exists("old", {object{{"name", "x"}}, {}}));
  auto q = table->list({.index = "email-created-index", .equals = "same@b.c"});
  ASSERT_TRUE(q);
  ASSERT_EQ(q->items.size(), 1u);
  EXPECT_EQ(q->items[0].at("userId"), "new");
  auto s = table->scan({});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->items.size(), 1u);
  EXPECT_FALSE(table->remove("old").value());
}

TEST_F(SqliteTableTest, AnExpiredItemDoesNotBlockPutIfAbsent) {
  ASSERT_TRUE(table->put_if_absent(user("u1", "old@b.c", kNow + 10)));
  clock.set(kNow + 20);
  auto put = table->put_if_absent(user("u1", "new@b.c", kNow + 1000));
  ASSERT_TRUE(put);
  EXPECT_TRUE(put->created);
  EXPECT_EQ((*table->get("u1"))->at("email"), "new@b.c");
}

TEST_F(SqliteTableTest, SweepDeletesOnlyExpiredItems) {
  ASSERT_TRUE(table->put_if_absent(user("a", "a@b.c", kNow + 10)));
  ASSERT_TRUE(table->put_if_absent(user("b", "b@b.c", kNow + 1000)));
  clock.set(kNow + 11);
  EXPECT_EQ(table->sweep_expired().value(), 1u);
  EXPECT_EQ(table->sweep_expired().value(), 0u);
  clock.set(kNow);  // even with time turned back, the swept item is gone for good
  EXPECT_FALSE(*table->get("a"));
  EXPECT_TRUE(*table->get("b"));
}

// The semantics of list are the Table contract's (tests/contract); these are SQLite's own.
std::vector<std::string> keys_of(const ListPage& page) {
  std::vector<std::string> keys;
  for (const auto& item : page.items) keys.emplace_back(item.at("userId").as_string());
  return keys;
}

TEST_F(SqliteTableTest, ListPagesNewestFirstWithTheKeyBreakingTies) {
  for (int i = 0; i < 5; ++i) {
    auto u = user("m" + std::to_string(i), "X@b.c");
    u["createdAt"] = kNow + (i < 3 ? 0 : i);  // m0..m2 at the same second
    ASSERT_TRUE(table->put_if_absent(u));
  }
  ASSERT_TRUE(table->put_if_absent(user("other", "y@b.c")));
  std::vector<std::string> seen;
  ListQuery query{.index = "email-created-index", .equals = "x@B.c", .limit = 2};
  int pages = 0;
  for (;;) {
    auto page = table->list(query);
    ASSERT_TRUE(page) << page.error().detail;
    ++pages;
    for (auto& key : keys_of(*page)) seen.push_back(key);
    if (!page->next) break;
    query.after = page->next;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"m4", "m3", "m2", "m1", "m0"}));
}

TEST_F(SqliteTableTest, ItemsWithoutAWholeNonNegativeCreatedAreNotListed) {
  auto fraction = user("fraction", "a@b.c");
  fraction["createdAt"] = 1.5;
  auto text = user("text", "a@b.c");
  text["createdAt"] = "1700000000";
  auto negative = user("negative", "a@b.c");
  negative["createdAt"] = -1;
  auto none = user("none", "a@b.c");
  none.erase("createdAt");
  for (const auto& u : {fraction, text, negative, none, user("ok", "a@b.c")}) {
    ASSERT_TRUE(table->put_if_absent(u));
  }
  auto page = table->list({.index = "all-created-index"});
  ASSERT_TRUE(page);
  EXPECT_EQ(keys_of(*page), std::vector<std::string>{"ok"});
}

TEST_F(SqliteTableTest, ListOfAnUnknownIndexIsAnError) {
  EXPECT_FALSE(table->list({.index = "email-index", .equals = "x"}));
}

TEST_F(SqliteTableTest, OpeningDropsTheIndexesTheSchemaNoLongerHas) {
  // A database made by an earlier version: the seed's email-index on a generated column.
  table.reset();
  ASSERT_TRUE(db->impl().writes.run([](sqlite::Connection& conn) {
    return conn.exec(
        "ALTER TABLE users ADD COLUMN ix9 GENERATED ALWAYS AS (json_extract(item, '$.email')) "
        "VIRTUAL; CREATE INDEX \"users.email-index\" ON users (ix9, pk);");
  }));
  auto reopened = SqliteTable::open(*db, users_schema(), clock);
  ASSERT_TRUE(reopened) << reopened.error().detail;
  std::vector<std::string> names;
  ASSERT_TRUE(
      db->impl().writes.run([&](sqlite::Connection& conn) -> std::expected<void, StoreError> {
        auto stmt = conn.prepare(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND "
            "tbl_name = 'users' AND name LIKE 'users.%' ORDER BY name");
        if (!stmt) return std::unexpected(stmt.error());
        while (stmt->step() == SQLITE_ROW) names.emplace_back(stmt->column_text(0));
        return {};
      }));
  EXPECT_EQ(names, (std::vector<std::string>{"users.all-created-index", "users.email-created-index",
                                             "users.ttl"}));
}

TEST(SqliteTableLayout, ATableOfTheEarlierLayoutIsRebuiltWithItsItems) {
  // As the versions before issue 17 made it: expires_at VIRTUAL, expression indexes, no
  // created_at; one of the seed's generated columns too.
  TempDir dir;
  FixedClock clock{kNow};
  auto db = std::move(*SqliteDatabase::open(dir.path()));
  ASSERT_TRUE(db->impl().writes.run([](sqlite::Connection& conn) {
    return conn.exec(
        "CREATE TABLE users (pk TEXT PRIMARY KEY NOT NULL, item TEXT NOT NULL, expires_at "
        "INTEGER GENERATED ALWAYS AS (json_extract(item, '$.\"ttl\"')) VIRTUAL, ix0 GENERATED "
        "ALWAYS AS (json_extract(item, '$.email')) VIRTUAL) WITHOUT ROWID;"
        "CREATE INDEX \"users.ttl\" ON users (expires_at);"
        "CREATE INDEX \"users.all-created-index\" ON users "
        "(json_extract(item, '$.\"createdAt\"'), pk);"
        "INSERT INTO users (pk, item) VALUES "
        "('a', "
        "'{\"userId\":\"a\",\"email\":\"A@b.c\",\"createdAt\":1700000001,\"ttl\":1700001000}'),"
        "('b', "
        "'{\"userId\":\"b\",\"email\":\"a@b.c\",\"createdAt\":1700000002.0,\"ttl\":1700001000}'),"
        "('old', '{\"userId\":\"old\",\"email\":\"a@b.c\",\"createdAt\":1,\"ttl\":1}'),"
        "('odd', '{\"userId\":\"odd\",\"email\":5,\"createdAt\":1.5}');");
  }));
  auto table = SqliteTable::open(*db, users_schema(), clock);
  ASSERT_TRUE(table) << table.error().detail;

  std::vector<std::string> columns;
  ASSERT_TRUE(
      db->impl().writes.run([&](sqlite::Connection& conn) -> std::expected<void, StoreError> {
        auto stmt = conn.prepare("SELECT name FROM pragma_table_xinfo('users') ORDER BY cid");
        if (!stmt) return std::unexpected(stmt.error());
        while (stmt->step() == SQLITE_ROW) columns.emplace_back(stmt->column_text(0));
        return {};
      }));
  EXPECT_EQ(columns, (std::vector<std::string>{"pk", "item", "expires_at", "created_at"}));
  // Every item kept, byte for byte; expiry and the listings as before.
  auto scanned = (*table)->scan({.limit = 10, .cursor = std::nullopt});
  ASSERT_TRUE(scanned);
  EXPECT_EQ(scanned->items.size(), 3u);  // "old" has expired
  EXPECT_EQ(**(*table)->get_json("a"),
            R"({"userId":"a","email":"A@b.c","createdAt":1700000001,"ttl":1700001000})");
  auto all = (*table)->list({.index = "all-created-index"});
  ASSERT_TRUE(all);
  EXPECT_EQ(keys_of(*all), (std::vector<std::string>{"b", "a"}));
  auto by_email = (*table)->list({.index = "email-created-index", .equals = "a@b.c"});
  ASSERT_TRUE(by_email);
  EXPECT_EQ(keys_of(*by_email), (std::vector<std::string>{"b", "a"}));
  EXPECT_TRUE((*table)->list({.index = "email-created-index", .equals = "5"})->items.empty());
  // Opening again finds the current layout: nothing to do, nothing lost.
  table->reset();
  auto again = SqliteTable::open(*db, users_schema(), clock);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->scan({.limit = 10, .cursor = std::nullopt})->items.size(), 3u);
}

TEST_F(SqliteTableTest, ScanPagesThroughEverything) {
  for (int i = 0; i < 7; ++i)
    ASSERT_TRUE(table->put_if_absent(user("s" + std::to_string(i), "a@b.c")));
  auto first = table->scan({5, std::nullopt});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->items.size(), 5u);
  ASSERT_TRUE(first->next_cursor);
  auto second = table->scan({5, first->next_cursor});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->items.size(), 2u);
  EXPECT_FALSE(second->next_cursor);
}

TEST_F(SqliteTableTest, DataSurvivesReopeningTheDatabase) {
  auto u = user("keep", "k@b.c");
  u["name"] = "Zoë";
  ASSERT_TRUE(table->put_if_absent(u));
  table.reset();
  db.reset();
  auto reopened = SqliteDatabase::open(dir.path());
  ASSERT_TRUE(reopened);
  auto t = SqliteTable::open(**reopened, users_schema(), clock);
  ASSERT_TRUE(t);
  auto got = (*t)->get("keep");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(**got, u);
}

TEST_F(SqliteTableTest, TablesInOneDatabaseAreSeparate) {
  auto assets = SqliteTable::open(*db, assets_schema(), clock);
  ASSERT_TRUE(assets);
  ASSERT_TRUE((*assets)->put_if_absent(object{{"assetId", "u1"}, {"status", "pending"}}));
  EXPECT_FALSE(*table->get("u1"));
}

// Group commit (write_queue.h), seen through the table.

TEST_F(SqliteTableTest, SixteenThreadsOfPutIfAbsentAreAllDurableInFewerCommits) {
  constexpr int kThreads = 16, kPuts = 200;
  const std::uint64_t commits_before = db->commits();
  std::atomic<int> not_created{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPuts; ++i) {
        const std::string id = "g" + std::to_string(t) + "-" + std::to_string(i);
        auto put = table->put_if_absent(user(id, id + "@b.c"));
        if (!put || !put->created) ++not_created;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(not_created.load(), 0);
  const std::uint64_t commits = db->commits() - commits_before;
  EXPECT_LT(commits, static_cast<std::uint64_t>(kThreads * kPuts));
  // Every acknowledged put is in the file.
  table.reset();
  db.reset();
  auto reopened = SqliteDatabase::open(dir.path());
  ASSERT_TRUE(reopened);
  auto t = SqliteTable::open(**reopened, users_schema(), clock);
  ASSERT_TRUE(t);
  int missing = 0;
  for (int th = 0; th < kThreads; ++th) {
    for (int i = 0; i < kPuts; ++i) {
      const std::string id = "g" + std::to_string(th) + "-" + std::to_string(i);
      auto got = (*t)->get(id);
      if (!got || !*got || (**got).at("email") != boost::json::value(id + "@b.c")) ++missing;
    }
  }
  EXPECT_EQ(missing, 0);
}

TEST_F(SqliteTableTest, TwoPutsOfOneKeyInOneBatchConflictAsIfOneAfterTheOther) {
  auto& writes = db->impl().writes;
  auto wait_until_queued = [&](std::size_t n) {
    while (writes.queued() < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  };
  const std::uint64_t commits_before = db->commits();
  // A first write holds the queue until both puts are queued behind it: they form one batch.
  std::thread gate([&] {
    EXPECT_TRUE(writes.run([&](sqlite::Connection&) -> std::expected<void, StoreError> {
      wait_until_queued(3);
      return {};
    }));
  });
  wait_until_queued(1);
  StoreResult<PutResult> first, second;
  std::thread a([&] { first = table->put_if_absent(user("same", "first@b.c")); });
  wait_until_queued(2);
  std::thread b([&] { second = table->put_if_absent(user("same", "second@b.c")); });
  gate.join();
  a.join();
  b.join();
  EXPECT_EQ(db->commits() - commits_before, 2u);  // the gate's, then the batch of both puts
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(first->created);
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->item, user("same", "first@b.c"));
  EXPECT_EQ(**table->get("same"), user("same", "first@b.c"));
}

TEST_F(SqliteTableTest, EveryWriteIsVisibleToAReadOnceAcknowledged) {
  ASSERT_TRUE(table->put_if_absent(user("v", "a@b.c")));
  EXPECT_TRUE(*table->get("v"));
  ASSERT_TRUE(*table->update_if_exists("v", {object{{"name", "x"}}, {}}));
  EXPECT_EQ((*table->get("v"))->at("name"), "x");
  ASSERT_TRUE(table->remove("v").value());
  EXPECT_FALSE(*table->get("v"));
}

TEST_F(SqliteTableTest, InMemoryWritesGoThroughTheQueueToo) {
  auto memory = SqliteDatabase::open_in_memory();
  ASSERT_TRUE(memory);
  auto t = SqliteTable::open(**memory, users_schema(), clock);
  ASSERT_TRUE(t);
  const std::uint64_t before = (*memory)->commits();
  ASSERT_TRUE((*t)->put_if_absent(user("m", "m@b.c")));
  EXPECT_EQ((*memory)->commits(), before + 1);
  EXPECT_TRUE(*(*t)->get("m"));
}

TEST(SqliteDatabase, AnUnusableDataDirIsAnErrorNotACrash) {
  auto db = SqliteDatabase::open("/proc/sbapi-cannot-exist/data");
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind, StoreError::Kind::kUnavailable);
}

TEST(SqliteTableSchema, RejectsNamesThatWouldReachSqlUnquoted) {
  auto db = SqliteDatabase::open_in_memory();
  ASSERT_TRUE(db);
  FixedClock clock{kNow};
  auto schema = users_schema("users\"; DROP TABLE x; --");
  EXPECT_FALSE(SqliteTable::open(**db, schema, clock));
}

// ---- The item cache in front of get (item_cache.h) ----

TEST_F(SqliteTableTest, ACachedReadSeesEveryLaterWrite) {
  ASSERT_TRUE(table->put_if_absent(user("c1", "first@b.c")));
  for (int i = 0; i < 2; ++i) {  // the second get is a cache hit
    auto got = table->get("c1");
    ASSERT_TRUE(got && *got);
    EXPECT_EQ((*got)->at("email"), "first@b.c");
  }
  ASSERT_TRUE(table->update_if_exists("c1", {{{"email", "second@b.c"}}, {}}));
  auto updated = table->get("c1");
  ASSERT_TRUE(updated && *updated);
  EXPECT_EQ((*updated)->at("email"), "second@b.c");
  ASSERT_TRUE(table->remove("c1"));
  auto removed = table->get("c1");
  ASSERT_TRUE(removed);
  EXPECT_FALSE(*removed);
  ASSERT_TRUE(table->put_if_absent(user("c1", "third@b.c")));
  auto again = table->get("c1");
  ASSERT_TRUE(again && *again);
  EXPECT_EQ((*again)->at("email"), "third@b.c");
}

TEST_F(SqliteTableTest, ACachedItemDisappearsWhenItsTtlPasses) {
  ASSERT_TRUE(table->put_if_absent(user("c2", "t@b.c", kNow + 10)));
  auto fresh = table->get("c2");
  ASSERT_TRUE(fresh && *fresh);
  clock.set(kNow + 10);
  auto expired = table->get("c2");
  ASSERT_TRUE(expired);
  EXPECT_FALSE(*expired);
  clock.set(kNow);
}

TEST_F(SqliteTableTest, UnderConcurrentWritesTheCacheAgreesWithSqlite) {
  // Eight threads read and write twenty keys at random; afterwards every key must read the same
  // through the cache as through a second table over the same file without one.
  constexpr int kKeys = 20;
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      unsigned state = 12345u + static_cast<unsigned>(t);
      auto next = [&state] { return state = state * 1103515245u + 12345u, (state >> 16) % 1000; };
      for (int i = 0; i < 300; ++i) {
        const std::string key = "k" + std::to_string(next() % kKeys);
        switch (next() % 4) {
          case 0:
            (void)table->put_if_absent(user(key, std::to_string(t) + "-" + std::to_string(i)));
            break;
          case 1:
            (void)table->update_if_exists(
                key, {{{"email", std::to_string(t) + "/" + std::to_string(i)}}, {}});
            break;
          case 2:
            (void)table->remove(key);
            break;
          default:
            (void)table->get(key);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto uncached = SqliteTable::open(*db, users_schema(), clock, /*cache_bytes=*/0);
  ASSERT_TRUE(uncached) << uncached.error().detail;
  for (int k = 0; k < kKeys; ++k) {
    const std::string key = "k" + std::to_string(k);
    auto through_cache = table->get(key);
    auto from_sqlite = (*uncached)->get(key);
    ASSERT_TRUE(through_cache && from_sqlite);
    EXPECT_EQ(*through_cache, *from_sqlite) << key;
  }
}

TEST_F(SqliteTableTest, ASecondOpenOfTheDataDirIsRefused) {
  auto second = SqliteDatabase::open(dir.path());
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().detail.find("in use by another sbapi process"), std::string::npos)
      << second.error().detail;
  table.reset();
  db.reset();  // the lock goes with the database…
  auto third = SqliteDatabase::open(dir.path());
  EXPECT_TRUE(third) << third.error().detail;  // …so the directory opens again
}

// ---- put_if_absent_async: completes on the write queue's thread ----

StoreResult<PutResult> put_async(Table& table, const Item& item) {
  std::promise<StoreResult<PutResult>> promise;
  auto future = promise.get_future();
  table.put_if_absent_async(
      item, [&promise](StoreResult<PutResult> r) { promise.set_value(std::move(r)); });
  EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  return future.get();
}

TEST_F(SqliteTableTest, PutIfAbsentAsyncCreatesOnceThenReturnsTheExistingItem) {
  auto first = put_async(*table, user("a1", "first@b.c"));
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_TRUE(first->created);
  auto second = put_async(*table, user("a1", "second@b.c"));
  ASSERT_TRUE(second) << second.error().detail;
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->item.at("email"), "first@b.c");
  auto got = table->get("a1");  // through the item cache, which the write filled
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->at("email"), "first@b.c");
  auto uncached = SqliteTable::open(*db, users_schema(), clock, /*cache_bytes=*/0);
  ASSERT_TRUE(uncached);
  auto stored = (*uncached)->get("a1");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->at("email"), "first@b.c");
}

TEST_F(SqliteTableTest, DestroyingTheTableWaitsForItsAsynchronousPuts) {
  std::atomic<int> completed{0};
  for (int i = 0; i < 20; ++i) {
    table->put_if_absent_async(user("d" + std::to_string(i), "d@b.c"),
                               [&completed](StoreResult<PutResult> r) {
                                 if (r && r->created) ++completed;
                               });
  }
  table.reset();  // their completions use the table: it must wait (ASan would see it otherwise)
  EXPECT_EQ(completed.load(), 20);
}

// The result an asynchronous write hands to its completion (within 10 s).
template <class Result, class Start>
Result completed(Start start) {
  std::promise<Result> promise;
  auto future = promise.get_future();
  start([&promise](Result r) { promise.set_value(std::move(r)); });
  EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  return future.get();
}

TEST_F(SqliteTableTest, UpdateAndRemoveAsyncActAsTheirSynchronousTwinsAndKeepTheCacheExact) {
  using Updated = StoreResult<std::optional<Item>>;
  ASSERT_TRUE(table->put_if_absent(user("u1", "old@b.c")));
  ASSERT_TRUE(*table->get("u1"));  // cached
  auto updated = completed<Updated>([&](Table::UpdateDone done) {
    table->update_if_exists_async("u1", {object{{"email", "new@b.c"}, {"userId", "x"}}, {"ttl"}},
                                  std::move(done));
  });
  ASSERT_TRUE(updated && *updated) << (updated ? "" : updated.error().detail);
  EXPECT_EQ((**updated).at("email"), "new@b.c");
  EXPECT_EQ((**updated).at("userId"), "u1");  // the key never changes
  EXPECT_FALSE((**updated).contains("ttl"));
  EXPECT_EQ((*table->get("u1"))->at("email"), "new@b.c");  // the cache saw the write
  auto missing = completed<Updated>([&](Table::UpdateDone done) {
    table->update_if_exists_async("nobody", {object{{"email", "n@b.c"}}, {}}, std::move(done));
  });
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  EXPECT_FALSE(*table->get("nobody"));  // nothing created

  auto removed = completed<StoreResult<bool>>(
      [&](Table::RemoveDone done) { table->remove_async("u1", std::move(done)); });
  ASSERT_TRUE(removed);
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(*table->get("u1"));  // not from the cache either
  auto again = completed<StoreResult<bool>>(
      [&](Table::RemoveDone done) { table->remove_async("u1", std::move(done)); });
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
}

TEST_F(SqliteTableTest, DestroyingTheTableWaitsForItsAsynchronousUpdatesAndRemoves) {
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(table->put_if_absent(user("w" + std::to_string(i), "w@b.c")));
  std::atomic<int> done{0};
  for (int i = 0; i < 10; ++i) {
    table->update_if_exists_async("w" + std::to_string(i), {object{{"name", "n"}}, {}},
                                  [&done](StoreResult<std::optional<Item>> r) {
                                    if (r && *r) ++done;
                                  });
    table->remove_async("w" + std::to_string(i), [&done](StoreResult<bool> r) {
      if (r && *r) ++done;
    });
  }
  table.reset();
  EXPECT_EQ(done.load(), 20);
}

TEST_F(SqliteTableTest, ATextTtlThatReadsAsANumberExpiresInTheCacheAsInSql) {
  // The expires_at column's INTEGER affinity makes SQLite compare "100" as 100.
  object item = user("txt", "t@b.c");
  item["ttl"] = std::to_string(kNow - 1);
  ASSERT_TRUE(table->put_if_absent(item));
  auto got = table->get("txt");
  ASSERT_TRUE(got);
  EXPECT_FALSE(*got) << "expired for SQLite, so for the cache too";
  object later = user("txt2", "t@b.c");
  later["ttl"] = " " + std::to_string(kNow + 100) + " ";
  ASSERT_TRUE(table->put_if_absent(later));
  auto visible = table->get("txt2");
  ASSERT_TRUE(visible);
  EXPECT_TRUE(*visible);
}

TEST_F(SqliteTableTest, PutIfAbsentAsyncOfAnItemWithoutItsKeyFailsAtOnce) {
  auto result = put_async(*table, object{{"email", "no-id@b.c"}});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, StoreError::Kind::kInternal);
}

}  // namespace
}  // namespace sbapi
