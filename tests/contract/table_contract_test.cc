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

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
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

  static object user(std::string id, std::string email, std::int64_t ttl = kNow + 1000,
                     std::int64_t created = kNow) {
    return object{{"userId", id}, {"email", email}, {"createdAt", created}, {"ttl", ttl}};
  }

  // Every key of a listing, page after page, in the order given. Checks what every page
  // promises: at most `limit` items, `next` is the position of the page's last item, and a page
  // with `next` is followed by a non-empty one (no read budget is reached in these tests).
  // `limits`, when given, are the page sizes to use in turn.
  std::vector<std::string> list_all(Table& t, ListQuery query, int* pages = nullptr,
                                    const std::vector<std::size_t>& limits = {}) {
    std::vector<std::string> keys;
    const std::string key = t.schema().key;
    int count = 0;
    bool expect_items = false;
    for (;;) {
      if (!limits.empty()) query.limit = limits[static_cast<std::size_t>(count) % limits.size()];
      auto page = t.list(query);
      EXPECT_TRUE(page) << (page ? "" : page.error().detail);
      if (!page) break;
      ++count;
      EXPECT_LE(page->items.size(), query.limit);
      if (expect_items) {
        EXPECT_FALSE(page->items.empty()) << "a position led to an empty page";
      }
      for (auto& item : page->items) keys.emplace_back(item.at(key).as_string());
      if (!page->next || count >= 2000) break;
      if (!page->items.empty()) {
        const auto& last = page->items.back();
        EXPECT_EQ(*page->next, (ListPosition{last.at("createdAt").to_number<std::int64_t>(),
                                             std::string(last.at(key).as_string())}));
      }
      expect_items = true;
      query.after = page->next;
    }
    if (pages != nullptr) *pages = count;
    return keys;
  }
  std::vector<std::string> list_all(const std::string& index, const std::string& equals,
                                    std::size_t limit, int* pages = nullptr) {
    return list_all(*table, {.index = index, .equals = equals, .limit = limit}, pages);
  }
  static std::vector<std::string> sorted(std::vector<std::string> keys) {
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

TEST_P(TableContract, GetJsonIsGetAsTextWhetherCachedOrNot) {
  auto u = user("u1", "a@b.c");
  u["name"] = "R\u00e9my \"Q\" \\ \u2603";  // escapes and non-ASCII survive as get() has them
  ASSERT_TRUE(table->put_if_absent(u));
  for (int read = 0; read < 3; ++read) {  // SQLite: a fill from the put, then cache hits
    auto text = table->get_json("u1");
    ASSERT_TRUE(text && *text) << read;
    EXPECT_EQ(boost::json::parse(**text), boost::json::value(u)) << **text;
    EXPECT_EQ(boost::json::parse(**text), boost::json::value(**table->get("u1")));
  }
  auto missing = table->get_json("nobody");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(table->put_if_absent(user("old", "x@b.c", kNow + 10)));
  ASSERT_TRUE(*table->get_json("old"));
  clock.set(kNow + 10);  // ttl reached: invisible as text too, cached or not
  EXPECT_FALSE(*table->get_json("old"));
  EXPECT_FALSE(*table->get("old"));
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
  EXPECT_EQ(list_all("email-created-index", "same@b.c", 25), std::vector<std::string>{"new"});
  EXPECT_EQ(list_all("all-created-index", "", 25), std::vector<std::string>{"new"});
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
  EXPECT_EQ(list_all("email-created-index", "b@b.c", 10), std::vector<std::string>{"b"});
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

TEST_P(TableContract, ListIsNewestFirstWithTheKeyBreakingTiesDescending) {
  // Keys compared byte by byte: 'B' < '_' < 'a' < 'b', and a prefix before what extends it.
  for (const auto& [id, created] :
       std::vector<std::pair<std::string, std::int64_t>>{{"old", kNow - 100},
                                                         {"a", kNow},
                                                         {"b", kNow},
                                                         {"B", kNow},
                                                         {"ab", kNow},
                                                         {"a_", kNow},
                                                         {"new", kNow + 100},
                                                         {"zero", 0},
                                                         {"nine", 9},
                                                         {"ten", 10}}) {
    ASSERT_TRUE(table->put_if_absent(user(id, id + "@b.c", kNow + 1000, created)));
  }
  const std::vector<std::string> order{"new", "b",   "ab",  "a_",   "a",
                                       "B",   "old", "ten", "nine", "zero"};
  EXPECT_EQ(list_all("all-created-index", "", 25), order);
  // The same order whatever the page size, and with the page size changing between pages.
  for (std::size_t limit : {1, 2, 3, 9, 10, 11, 100}) {
    EXPECT_EQ(list_all("all-created-index", "", limit), order) << limit;
  }
  EXPECT_EQ(list_all(*table, {.index = "all-created-index"}, nullptr, {1, 4, 2, 7}), order);
}

TEST_P(TableContract, ListContinuesAfterAnyPosition) {
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(table->put_if_absent(user(id, "x@b.c")));
  ASSERT_TRUE(table->put_if_absent(user("old", "x@b.c", kNow + 1000, kNow - 1)));
  // Positions of no item: strictly after them, in the index's order.
  auto page = table->list({.index = "all-created-index", .after = ListPosition{kNow, "bb"}});
  ASSERT_TRUE(page) << page.error().detail;
  std::vector<std::string> keys;
  for (const auto& item : page->items) keys.emplace_back(item.at("userId").as_string());
  EXPECT_EQ(keys, (std::vector<std::string>{"b", "a", "old"}));
  EXPECT_FALSE(page->next);
  page = table->list({.index = "all-created-index", .after = ListPosition{kNow + 1, ""}});
  ASSERT_TRUE(page) << page.error().detail;
  EXPECT_EQ(page->items.size(), 4u);
  page = table->list({.index = "all-created-index", .after = ListPosition{kNow - 1, "old"}});
  ASSERT_TRUE(page) << page.error().detail;
  EXPECT_TRUE(page->items.empty());
  EXPECT_FALSE(page->next);
}

TEST_P(TableContract, ListJsonIsListAsTextPageForPage) {
  for (int i = 0; i < 7; ++i) {
    auto u = user(std::string("j") + std::to_string(i), "j@b.c", kNow + 1000, kNow + i / 2);
    u["name"] = "R\u00e9my \"Q\" \\ \u2603";  // escapes and non-ASCII as list() has them
    ASSERT_TRUE(table->put_if_absent(u));
  }
  ASSERT_TRUE(table->put_if_absent(user("gone", "j@b.c", kNow + 5, kNow + 9)));
  clock.set(kNow + 5);  // expired: in neither
  for (const ListQuery& first :
       {ListQuery{.index = "all-created-index", .limit = 3},
        ListQuery{.index = "email-created-index", .equals = "j@b.c", .limit = 2}}) {
    ListQuery query = first;
    int pages = 0;
    for (;; ++pages) {
      ASSERT_LT(pages, 10);
      auto items = table->list(query);
      auto texts = table->list_json(query);
      ASSERT_TRUE(items && texts);
      ASSERT_EQ(texts->count, items->items.size());
      boost::json::array expected(items->items.begin(), items->items.end());
      EXPECT_EQ(boost::json::parse("[" + texts->items + "]"), boost::json::value(expected))
          << texts->items;
      EXPECT_EQ(texts->next, items->next);
      if (!items->next) break;
      query.after = items->next;
    }
    EXPECT_EQ(pages, query.index == "all-created-index" ? 2 : 3) << query.index;
  }
}

TEST_P(TableContract, NoPageEndsWithAPositionToAnEmptyPage) {
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(table->put_if_absent(user(std::string("m") + std::to_string(i), "x@b.c")));
  }
  ASSERT_TRUE(table->put_if_absent(user("other", "y@b.c")));
  int pages = 0;
  EXPECT_EQ(list_all("email-created-index", "x@b.c", 2, &pages),
            (std::vector<std::string>{"m5", "m4", "m3", "m2", "m1", "m0"}));
  EXPECT_EQ(pages, 3);  // exactly 3 × limit: the third page has no `next`
  EXPECT_EQ(list_all("email-created-index", "x@b.c", 6, &pages).size(), 6u);
  EXPECT_EQ(pages, 1);
  EXPECT_EQ(list_all("email-created-index", "x@b.c", 5, &pages).size(), 6u);
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(list_all("email-created-index", "x@b.c", 100, &pages).size(), 6u);
  EXPECT_EQ(pages, 1);
  auto none = table->list({.index = "email-created-index", .equals = "nobody@b.c"});
  ASSERT_TRUE(none) << none.error().detail;
  EXPECT_TRUE(none->items.empty());
  EXPECT_FALSE(none->next);
}

TEST_P(TableContract, ExpiredItemsNeverAppearAndPagesStillFillUp) {
  // 40 items, newest first: the 20 newest all expire, then every other one.
  for (int i = 0; i < 40; ++i) {
    const bool expires = i >= 20 || i % 2 == 0;
    ASSERT_TRUE(table->put_if_absent(user(std::string("p") + std::to_string(100 + i), "z@b.c",
                                          expires ? kNow + 5 : kNow + 1000, kNow + i)));
  }
  std::vector<std::string> visible;
  for (int i = 19; i >= 0; i -= 2) visible.push_back(std::string("p") + std::to_string(100 + i));
  EXPECT_EQ(list_all("email-created-index", "z@b.c", 3).size(), 40u);
  clock.set(kNow + 5);
  EXPECT_EQ(list_all("email-created-index", "z@b.c", 3), visible);
  EXPECT_EQ(list_all("all-created-index", "", 4), visible);
  // The first page skips the 20 expired items and is still full.
  auto page = table->list({.index = "all-created-index", .limit = 4});
  ASSERT_TRUE(page) << page.error().detail;
  ASSERT_EQ(page->items.size(), 4u);
  EXPECT_EQ(page->items[0].at("userId"), "p119");
  EXPECT_TRUE(page->next);
  EXPECT_EQ(sorted(scan_all(4)), sorted(visible));
}

TEST_P(TableContract, ListFiltersOnAnotherAttribute) {
  auto assets = open_table(GetParam(), assets_schema(), clock);
  ASSERT_TRUE(assets) << assets.error();
  Table& t = *assets->table;
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(t.put_if_absent(object{{"assetId", std::string("a") + std::to_string(100 + i)},
                                       {"ownerId", i % 3 == 0 ? "o2" : "o1"},
                                       {"status", i % 4 == 0 ? "uploaded" : "pending"},
                                       {"createdAt", kNow + i},
                                       {"ttl", kNow + 1000}}));
  }
  std::vector<std::string> o1_uploaded, o1, uploaded;
  for (int i = 29; i >= 0; --i) {
    const std::string id = std::string("a") + std::to_string(100 + i);
    if (i % 3 != 0) o1.push_back(id);
    if (i % 4 == 0) uploaded.push_back(id);
    if (i % 3 != 0 && i % 4 == 0) o1_uploaded.push_back(id);
  }
  EXPECT_EQ(list_all(t, {.index = "owner-created-index", .equals = "o1", .limit = 7}), o1);
  EXPECT_EQ(list_all(t, {.index = "status-created-index", .equals = "uploaded", .limit = 2}),
            uploaded);
  for (std::size_t limit : {1, 2, 5, 25}) {
    EXPECT_EQ(list_all(t, {.index = "owner-created-index",
                           .equals = "o1",
                           .limit = limit,
                           .filter = AttributeEquals{"status", "uploaded"}}),
              o1_uploaded)
        << limit;
  }
  EXPECT_TRUE(list_all(t, {.index = "owner-created-index",
                           .equals = "o1",
                           .filter = AttributeEquals{"status", "deleted"}})
                  .empty());
  // Values are matched exactly: no case folding outside a fold_case index.
  EXPECT_TRUE(list_all(t, {.index = "owner-created-index", .equals = "O1"}).empty());
  EXPECT_EQ(list_all(t, {.index = "all-created-index", .limit = 8}).size(), 30u);
}

TEST_P(TableContract, AFoldCaseIndexMatchesAsciiLettersInAnyCase) {
  ASSERT_TRUE(table->put_if_absent(user("u1", "EMAIL@X.com")));
  ASSERT_TRUE(table->put_if_absent(user("u2", "email@x.com", kNow + 1000, kNow + 1)));
  ASSERT_TRUE(table->put_if_absent(user("u3", "ÉMAIL@x.com")));
  const std::vector<std::string> both{"u2", "u1"};
  EXPECT_EQ(list_all("email-created-index", "email@x.com", 10), both);
  EXPECT_EQ(list_all("email-created-index", "Email@X.COM", 1), both);
  // Only A-Z are folded (SQLite's lower(), ASCII).
  EXPECT_EQ(list_all("email-created-index", "ÉMAIL@X.COM", 10), std::vector<std::string>{"u3"});
  EXPECT_TRUE(list_all("email-created-index", "émail@x.com", 10).empty());
  // The item keeps its email as written.
  EXPECT_EQ((*table->get("u1"))->at("email"), "EMAIL@X.com");
  // An update moves the item in the index, in the same write.
  auto updated = table->update_if_exists("u1", {object{{"email", "New@X.com"}}, {}});
  ASSERT_TRUE(updated && *updated);
  EXPECT_EQ((*updated)->at("email"), "New@X.com");
  EXPECT_EQ(list_all("email-created-index", "email@x.com", 10), std::vector<std::string>{"u2"});
  EXPECT_EQ(list_all("email-created-index", "NEW@x.com", 10), std::vector<std::string>{"u1"});
  ASSERT_TRUE(table->update_if_exists("u1", {{}, {"email"}}));
  EXPECT_TRUE(list_all("email-created-index", "new@x.com", 10).empty());
  EXPECT_EQ(list_all("all-created-index", "", 10), (std::vector<std::string>{"u2", "u3", "u1"}));
}

TEST_P(TableContract, ItemsWithoutAPartitionOrAWholeCreatedAreNotListed) {
  auto no_email = user("no-email", "x");
  no_email.erase("email");
  ASSERT_TRUE(table->put_if_absent(no_email));
  ASSERT_TRUE(table->put_if_absent(user("empty-email", "")));
  for (const auto& [id, created] :
       std::vector<std::pair<std::string, boost::json::value>>{{"text", "1700000000"},
                                                               {"fraction", 1.5},
                                                               {"negative", -5},
                                                               {"null", nullptr},
                                                               {"huge", std::uint64_t{1} << 63}}) {
    auto u = user(id, "x@b.c");
    u["createdAt"] = created;
    ASSERT_TRUE(table->put_if_absent(u)) << id;
  }
  auto none = user("none", "x@b.c");
  none.erase("createdAt");
  ASSERT_TRUE(table->put_if_absent(none));
  ASSERT_TRUE(table->put_if_absent(user("ok", "x@b.c")));
  EXPECT_EQ(list_all("email-created-index", "x@b.c", 10), std::vector<std::string>{"ok"});
  EXPECT_EQ(list_all("all-created-index", "", 10),
            (std::vector<std::string>{"ok", "no-email", "empty-email"}));
  EXPECT_TRUE(list_all("email-created-index", "", 10).empty());
  EXPECT_EQ(scan_all(100).size(), 9u);  // all stored

  // An update of createdAt adds an item to the indexes or takes it out.
  ASSERT_TRUE(table->update_if_exists("text", {object{{"createdAt", kNow + 1}}, {}}).value());
  ASSERT_TRUE(table->update_if_exists("ok", {object{{"createdAt", "later"}}, {}}).value());
  ASSERT_TRUE(table->update_if_exists("no-email", {{}, {"createdAt"}}).value());
  EXPECT_EQ(list_all("email-created-index", "x@b.c", 10), std::vector<std::string>{"text"});
  EXPECT_EQ(list_all("all-created-index", "", 10),
            (std::vector<std::string>{"text", "empty-email"}));
}

TEST_P(TableContract, ListOfAnUnknownIndexIsAnError) {
  auto page = table->list({.index = "email-index", .equals = "x"});
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().kind, StoreError::Kind::kInternal);
}

TEST_P(TableContract, ItemsComeBackAsTheyWereWrittenByEveryRead) {
  // No adapter bookkeeping (DynamoDB's derived index attributes) ever reaches a caller.
  auto u = user("u1", "Mixed@Case.com");
  u["name"] = "Ann";
  auto put = table->put_if_absent(u);
  ASSERT_TRUE(put) << put.error().detail;
  EXPECT_EQ(put->item, u);
  auto again = table->put_if_absent(u);
  ASSERT_TRUE(again) << again.error().detail;
  EXPECT_EQ(again->item, u);
  EXPECT_EQ(**table->get("u1"), u);
  auto listed = table->list({.index = "email-created-index", .equals = "mixed@case.com"});
  ASSERT_TRUE(listed && listed->items.size() == 1u);
  EXPECT_EQ(listed->items[0], u);
  listed = table->list({.index = "all-created-index"});
  ASSERT_TRUE(listed && listed->items.size() == 1u);
  EXPECT_EQ(listed->items[0], u);
  auto scanned = table->scan({});
  ASSERT_TRUE(scanned && scanned->items.size() == 1u);
  EXPECT_EQ(scanned->items[0], u);
  auto updated = table->update_if_exists("u1", {object{{"createdAt", kNow + 1}}, {"name"}});
  ASSERT_TRUE(updated && *updated);
  u["createdAt"] = kNow + 1;
  u.erase("name");
  EXPECT_EQ(**updated, u);
  EXPECT_EQ(**table->get("u1"), u);
}

TEST_P(TableContract, AWalkOverAThousandItemsSeesEachLastingItemOnceDespiteWrites) {
  // 1,000 items, with runs of equal createdAt; while one thread walks every page (page sizes
  // changing), another inserts newer, older and in-between items and deletes some of the
  // first thousand. Every item that existed during the whole walk is seen exactly once; no item
  // is seen twice.
  constexpr int kItems = 1000;
  const auto id = [](const char* prefix, int i) { return prefix + std::to_string(10000 + i); };
  {
    std::vector<std::thread> writers;
    std::atomic<int> failures{0};
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([&, w] {
        for (int i = w; i < kItems; i += 4) {
          if (!table->put_if_absent(user(id("i", i), "w@b.c", kNow + 1000, kNow - i / 3))) {
            ++failures;
          }
        }
      });
    }
    for (auto& t : writers) t.join();
    ASSERT_EQ(failures.load(), 0);
  }
  std::set<std::string> deleted;  // by the writer, maybe before the walk reached them
  std::atomic<bool> walking{true};
  std::atomic<int> write_errors{0};
  std::thread writer([&] {
    for (int n = 0; walking.load() && n < 400; ++n) {
      // Newer than everything, older than everything, and among the walked items.
      const std::int64_t created = n % 3 == 0   ? kNow + n
                                   : n % 3 == 1 ? kNow - kItems
                                                : kNow - (n * 7) % (kItems / 3);
      if (!table->put_if_absent(user(id("n", n), "w@b.c", kNow + 1000, created))) ++write_errors;
      const std::string victim = id("i", (n * 37) % kItems);
      if (!table->remove(victim)) ++write_errors;
      deleted.insert(victim);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  std::map<std::string, int> seen;
  int pages = 0;
  for (const auto& key :
       list_all(*table, {.index = "all-created-index"}, &pages, {7, 50, 1, 23, 100, 13})) {
    ++seen[key];
  }
  walking = false;
  writer.join();
  EXPECT_EQ(write_errors.load(), 0);
  EXPECT_GT(pages, 30);
  for (const auto& [key, count] : seen) EXPECT_EQ(count, 1) << key << " seen twice";
  int lasting = 0;
  for (int i = 0; i < kItems; ++i) {
    const std::string key = id("i", i);
    if (deleted.contains(key)) continue;
    ++lasting;
    EXPECT_TRUE(seen.contains(key)) << key << " existed throughout and was not seen";
  }
  EXPECT_GT(lasting, 500);
  // The email index walks the same way (no concurrent writes now).
  const auto all = list_all(*table, {.index = "all-created-index", .limit = 100});
  EXPECT_EQ(list_all(*table, {.index = "email-created-index", .equals = "W@B.C", .limit = 64}),
            all);
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
  ASSERT_TRUE(assets->table->put_if_absent(
      object{{"assetId", "u1"}, {"status", "pending"}, {"createdAt", kNow}}));
  EXPECT_FALSE(*table->get("u1"));
  auto pending = assets->table->list({.index = "status-created-index", .equals = "pending"});
  ASSERT_TRUE(pending) << pending.error().detail;
  EXPECT_EQ(pending->items.size(), 1u);
}

std::string backend_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

INSTANTIATE_TEST_SUITE_P(Backends, TableContract, ::testing::Values("sqlite", "moto", "dynalite"),
                         backend_name);

}  // namespace
}  // namespace sbapi::contract
