#include "adapters/sqlite/sqlite_snapshot.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/sqlite_table.h"
#include "core/schemas.h"
#include "testing/temp_dir.h"

namespace sbapi {
namespace {

namespace fs = std::filesystem;
using boost::json::object;
using testutil::TempDir;

constexpr std::int64_t kNow = 1'700'000'000;

object user(const std::string& id) {
  return object{{"userId", id}, {"email", id + "@example.com"}, {"createdAt", kNow}};
}

class SqliteSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteDatabase::open(live.path());
    ASSERT_TRUE(opened) << opened.error().detail;
    db = std::move(*opened);
    auto t = SqliteTable::open(*db, users_schema(), clock);
    ASSERT_TRUE(t) << t.error().detail;
    users = std::move(*t);
  }

  std::set<std::string> keys(const fs::path& path) {
    std::set<std::string> out;
    auto r = sqlite::for_each_item(path, "users", [&](std::string_view pk, std::string_view) {
      out.emplace(pk);
      return true;
    });
    EXPECT_TRUE(r) << r.error();
    return out;
  }

  TempDir live{"sbapi-snapshot-live"};
  TempDir out{"sbapi-snapshot-out"};
  FixedClock clock{kNow};
  std::unique_ptr<SqliteDatabase> db;
  std::unique_ptr<SqliteTable> users;
};

// The backup's first promise: every write acknowledged before the snapshot began is in it,
// while a writer goes on committing throughout.
TEST_F(SqliteSnapshotTest, HoldsEveryCommittedWriteWhileAWriterGoesOn) {
  for (int i = 0; i < 300; ++i)
    ASSERT_TRUE(users->put_if_absent(user("before-" + std::to_string(i))));
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      if (users->put_if_absent(user("during-" + std::to_string(i)))) ++written;
    }
  });
  while (written < 50) std::this_thread::yield();
  const int acknowledged = written;  // "during-0" … "during-<acknowledged-1>" are committed
  const fs::path copy = out.path() / "sbapi.db";
  auto stats = sqlite::snapshot_database(live.path() / "sbapi.db", copy);
  stop = true;
  writer.join();
  ASSERT_TRUE(stats) << stats.error();
  EXPECT_GT(stats->pages, 0);

  EXPECT_TRUE(sqlite::integrity_check(copy));
  const auto got = keys(copy);
  for (int i = 0; i < 300; ++i) EXPECT_TRUE(got.contains("before-" + std::to_string(i)));
  for (int i = 0; i < acknowledged; ++i) EXPECT_TRUE(got.contains("during-" + std::to_string(i)));
  EXPECT_LE(got.size(), 300u + static_cast<std::size_t>(written.load()));

  struct stat st {};
  ASSERT_EQ(::stat(copy.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(fs::exists(out.path() / "sbapi.db-wal"));  // one self-contained file
}

TEST_F(SqliteSnapshotTest, NeverWritesOverAnExistingFile) {
  const fs::path copy = out.path() / "sbapi.db";
  std::ofstream(copy) << "mine";
  auto stats = sqlite::snapshot_database(live.path() / "sbapi.db", copy);
  ASSERT_FALSE(stats);
  EXPECT_NE(stats.error().find("cannot create"), std::string::npos) << stats.error();
}

TEST_F(SqliteSnapshotTest, ReplaceItemsUpdatesRowsOrFailsWholeOnAMissingOne) {
  ASSERT_TRUE(users->put_if_absent(user("u1")));
  ASSERT_TRUE(users->put_if_absent(user("u2")));
  const fs::path copy = out.path() / "sbapi.db";
  ASSERT_TRUE(sqlite::snapshot_database(live.path() / "sbapi.db", copy));

  ASSERT_TRUE(sqlite::replace_items(copy, "users", {{"u1", R"({"userId":"u1","v":2})"}}));
  auto missing = sqlite::replace_items(
      copy, "users", {{"u2", R"({"userId":"u2","v":2})"}, {"nobody", R"({"userId":"nobody"})"}});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("nobody"), std::string::npos);

  std::map<std::string, std::string> items;
  ASSERT_TRUE(sqlite::for_each_item(copy, "users", [&](std::string_view pk, std::string_view item) {
    items.emplace(pk, item);
    return true;
  }));
  EXPECT_EQ(items["u1"], R"({"userId":"u1","v":2})");
  EXPECT_EQ(items["u2"].find("\"v\""), std::string::npos);  // rolled back with the failure
  EXPECT_TRUE(sqlite::integrity_check(copy));
}

TEST_F(SqliteSnapshotTest, IntegrityCheckRefusesWhatIsNotADatabase) {
  const fs::path junk = out.path() / "junk.db";
  std::ofstream(junk) << std::string(8192, 'x');
  EXPECT_FALSE(sqlite::integrity_check(junk));
}

}  // namespace
}  // namespace sbapi
