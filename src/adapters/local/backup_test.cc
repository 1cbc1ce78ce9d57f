#include "adapters/local/backup.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <boost/json.hpp>

#include <fstream>
#include <map>

#include "adapters/local/object_files.h"
#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/sqlite_snapshot.h"
#include "adapters/sqlite/sqlite_table.h"
#include "core/asset_uploads.h"
#include "core/private_file.h"
#include "core/schemas.h"
#include "testing/files.h"
#include "testing/temp_dir.h"

namespace sbapi {
namespace {

namespace fs = std::filesystem;
using boost::json::object;
using testutil::read_file;
using testutil::TempDir;

constexpr std::int64_t kNow = 1'700'000'000;
constexpr const char* kBucket = "sbapi-assets";

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

std::string key_of(const std::string& asset_id) { return "assets/" + asset_id + "/file.bin"; }

// A data dir as `sbapi serve` keeps it: the database (locked, as by a running server), objects
// with their sidecars, and the two key files.
class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteDatabase::open(live);
    ASSERT_TRUE(opened) << opened.error().detail;
    db = std::move(*opened);
    auto u = SqliteTable::open(*db, users_schema(), clock);
    ASSERT_TRUE(u);
    users = std::move(*u);
    auto a = SqliteTable::open(*db, assets_schema(), clock);
    ASSERT_TRUE(a);
    assets = std::move(*a);
    ASSERT_TRUE(files.prepare());
    ASSERT_TRUE(create_private_file(live / "page-token-secret", std::string(64, 's') + "\n"));
    ASSERT_TRUE(private_directory(live / "auth"));
    ASSERT_TRUE(create_private_file(live / "auth/token-signing-key.pem", "-----PEM-----\n"));
  }

  void add_user(const std::string& id) {
    ASSERT_TRUE(users->put_if_absent(
        object{{"userId", id}, {"email", id + "@example.com"}, {"createdAt", kNow}}));
  }

  void add_asset(const std::string& id) {
    ASSERT_TRUE(assets->put_if_absent(object{{"assetId", id},
                                             {"fileName", "file.bin"},
                                             {"contentType", "image/png"},
                                             {"s3Key", key_of(id)},
                                             {"s3Bucket", kBucket},
                                             {"status", "pending"},
                                             {"createdAt", kNow},
                                             {"ttl", kNow + 86400}}));
  }

  // What the object endpoint does for a PUT: the file, then the record.
  StoredObject upload(const std::string& id, const std::string& bytes) {
    auto writer = files.begin_write(kBucket, key_of(id), "image/png");
    EXPECT_TRUE(writer);
    EXPECT_TRUE((*writer)->write(bytes));
    auto stored = (*writer)->commit();
    EXPECT_TRUE(stored);
    auto recorded = record_upload(*assets, clock, key_of(id), stored->size, stored->etag);
    EXPECT_TRUE(recorded && *recorded == UploadRecord::kMarked);
    return *stored;
  }

  std::map<std::string, object> items(const fs::path& db_path, const std::string& table) {
    std::map<std::string, object> out;
    auto r = sqlite::for_each_item(db_path, table, [&](std::string_view pk, std::string_view t) {
      out[std::string(pk)] = boost::json::parse(t).as_object();
      return true;
    });
    EXPECT_TRUE(r) << r.error();
    return out;
  }

  std::expected<BackupReport, std::string> backup(std::function<void()> hook = {}) {
    return backup_data_dir({live, to, "test", std::move(hook)});
  }

  void flip_a_byte(const fs::path& path) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0);
    const char c = static_cast<char>(f.get());
    f.seekp(0);
    f.put(static_cast<char>(c ^ 1));
  }

  TempDir temp{"sbapi-backup"};
  fs::path live = temp.path() / "data";
  fs::path to = temp.path() / "backup";
  fs::path restored = temp.path() / "restored";
  FixedClock clock{kNow};
  ObjectFiles files{live};
  std::unique_ptr<SqliteDatabase> db;
  std::unique_ptr<SqliteTable> users;
  std::unique_ptr<SqliteTable> assets;
};

TEST_F(BackupTest, RoundTripsRecordsObjectsAndKeyFiles) {
  add_user("u1");
  add_user("u2");
  add_asset("a1");
  add_asset("pending");
  const StoredObject a1 = upload("a1", "the first file");

  auto report = backup();
  ASSERT_TRUE(report) << report.error();
  EXPECT_EQ(report->users, 2u);
  EXPECT_EQ(report->assets, 2u);
  EXPECT_EQ(report->uploaded_assets, 1u);
  EXPECT_EQ(report->objects, 1u);
  EXPECT_EQ(report->reconciled, 0u);
  EXPECT_EQ(report->key_files, 2u);
  EXPECT_EQ(mode_of(to), 0700u);
  for (const char* f : {"sbapi.db", "page-token-secret", "auth/token-signing-key.pem",
                        "backup.json", "backup.json.sha256"}) {
    EXPECT_EQ(mode_of(to / f), 0600u) << f;
  }
  EXPECT_EQ(read_file(to / "objects" / kBucket / key_of("a1")), "the first file");

  auto restore = restore_data_dir({to, restored, false});
  ASSERT_TRUE(restore) << restore.error();
  EXPECT_EQ(restore->users, 2u);
  EXPECT_EQ(restore->objects, 1u);
  EXPECT_FALSE(restore->replaced);
  EXPECT_FALSE(fs::exists(restored.string() + ".restore-tmp"));
  EXPECT_TRUE(sqlite::integrity_check(restored / "sbapi.db"));
  EXPECT_EQ(items(restored / "sbapi.db", "assets"), items(live / "sbapi.db", "assets"));
  EXPECT_EQ(items(restored / "sbapi.db", "users"), items(live / "sbapi.db", "users"));
  for (const char* f : {"page-token-secret", "auth/token-signing-key.pem"}) {
    EXPECT_EQ(read_file(restored / f), read_file(live / f)) << f;
    EXPECT_EQ(mode_of(restored / f), 0600u) << f;
  }
  // The sidecar names the restored file: content type and date are kept, not recomputed.
  const auto original = files.open(kBucket, key_of("a1"));
  const auto copy = ObjectFiles(restored).open(kBucket, key_of("a1"));
  ASSERT_TRUE(original && copy);
  EXPECT_EQ(copy->etag, a1.etag);
  EXPECT_EQ(copy->content_type, "image/png");
  EXPECT_EQ(copy->last_modified, original->last_modified);
  EXPECT_EQ(read_file(copy->file_path), "the first file");
}

// Uploads after the snapshot: a re-upload's file is copied and the backup's record follows it;
// a first upload's file is left out (its asset is pending in the snapshot).
TEST_F(BackupTest, UploadsAfterTheSnapshotAreReconciledOrLeftOut) {
  add_asset("again");
  add_asset("late");
  const StoredObject before = upload("again", "old");
  StoredObject after;
  auto report = backup([&] {
    after = upload("again", "the new, longer file");
    upload("late", "too late");
  });
  ASSERT_TRUE(report) << report.error();
  EXPECT_EQ(report->uploaded_assets, 1u);
  EXPECT_EQ(report->objects, 1u);
  EXPECT_EQ(report->reconciled, 1u);
  EXPECT_NE(before.etag, after.etag);

  auto backed_up = items(to / "sbapi.db", "assets");
  EXPECT_EQ(backed_up["again"].at("etag").as_string(), after.etag);
  EXPECT_EQ(backed_up["again"].at("size").to_number<std::uint64_t>(), after.size);
  EXPECT_EQ(backed_up["late"].at("status").as_string(), "pending");
  EXPECT_FALSE(fs::exists(to / "objects" / kBucket / key_of("late")));
  EXPECT_EQ(read_file(to / "objects" / kBucket / key_of("again")), "the new, longer file");
  EXPECT_TRUE(restore_data_dir({to, restored, false}));
}

TEST_F(BackupTest, AnUploadedAssetWithoutItsFileGoesBackToPending) {
  add_asset("gone");
  upload("gone", "bytes");
  auto report = backup([&] { fs::remove(files.object_path(kBucket, key_of("gone"))); });
  ASSERT_TRUE(report) << report.error();
  EXPECT_EQ(report->missing_objects, 1u);
  auto backed_up = items(to / "sbapi.db", "assets");
  EXPECT_EQ(backed_up["gone"].at("status").as_string(), "pending");
  EXPECT_FALSE(backed_up["gone"].contains("etag"));
}

TEST_F(BackupTest, RefusesADestinationThatIsNotEmpty) {
  fs::create_directories(to);
  std::ofstream(to / "something") << "x";
  auto report = backup();
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().find("not empty"), std::string::npos) << report.error();
}

TEST_F(BackupTest, AFailedBackupLeavesNothingBehind) {
  ASSERT_TRUE(assets->put_if_absent(object{{"assetId", "odd"},
                                           {"s3Key", "assets/../../escape"},
                                           {"s3Bucket", kBucket},
                                           {"status", "uploaded"},
                                           {"createdAt", kNow}}));
  auto report = backup();
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().find("no usable s3Bucket/s3Key"), std::string::npos) << report.error();
  EXPECT_FALSE(fs::exists(to));
}

TEST_F(BackupTest, RestoreRefusesALiveDataDirEvenWithForce) {
  ASSERT_TRUE(backup());
  const std::string before = read_file(live / "page-token-secret");
  for (bool force : {false, true}) {
    auto r = restore_data_dir({to, live, force});  // `db` holds its lock, as a server does
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("in use"), std::string::npos) << r.error();
  }
  EXPECT_EQ(read_file(live / "page-token-secret"), before);
}

TEST_F(BackupTest, RestoreReplacesANonEmptyDataDirOnlyWithForce) {
  add_user("u1");
  ASSERT_TRUE(backup());
  fs::create_directories(restored);
  std::ofstream(restored / "old-file") << "old";
  auto refused = restore_data_dir({to, restored, false});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("not empty"), std::string::npos) << refused.error();
  EXPECT_TRUE(fs::exists(restored / "old-file"));

  auto forced = restore_data_dir({to, restored, true});
  ASSERT_TRUE(forced) << forced.error();
  EXPECT_TRUE(forced->replaced);
  EXPECT_FALSE(fs::exists(restored / "old-file"));
  EXPECT_EQ(items(restored / "sbapi.db", "users").size(), 1u);
}

TEST_F(BackupTest, RestoreRefusesADamagedOrIncompleteBackupAndChangesNothing) {
  add_asset("a1");
  upload("a1", "some bytes");
  ASSERT_TRUE(backup());
  fs::create_directories(restored);
  for (const fs::path& damaged :
       {to / "objects" / kBucket / key_of("a1"), to / "sbapi.db", to / "backup.json"}) {
    flip_a_byte(damaged);
    auto r = restore_data_dir({to, restored, false});
    ASSERT_FALSE(r) << damaged;
    EXPECT_NE(r.error().find("damaged"), std::string::npos) << r.error();
    EXPECT_FALSE(fs::exists(restored / "sbapi.db"));
    EXPECT_FALSE(fs::exists(restored.string() + ".restore-tmp"));
    flip_a_byte(damaged);
  }
  fs::remove(to / "backup.json.sha256");
  auto incomplete = restore_data_dir({to, restored, false});
  ASSERT_FALSE(incomplete);
  EXPECT_NE(incomplete.error().find("not a complete sbapi backup"), std::string::npos);
}

TEST_F(BackupTest, RestoreRefusesAManifestNamingAPathOutsideTheDataDir) {
  ASSERT_TRUE(backup());
  std::string text = read_file(to / "backup.json");
  const auto at = text.find("\"path\":\"page-token-secret\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 26, "\"path\":\"../escaped-secret\"");
  fs::remove(to / "backup.json");
  fs::remove(to / "backup.json.sha256");
  std::ofstream(to / "backup.json") << text;
  // (A matching checksum: only the manifest's own rules stand in the way.)
  auto digest = [](const std::string& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned length = 0;
    EVP_Digest(data.data(), data.size(), out, &length, EVP_sha256(), nullptr);
    std::string hex;
    for (unsigned i = 0; i < length; ++i)
      hex += "0123456789abcdef"[out[i] >> 4], hex += "0123456789abcdef"[out[i] & 0xf];
    return hex;
  };
  std::ofstream(to / "backup.json.sha256") << digest(text) << "  backup.json\n";
  auto r = restore_data_dir({to, restored, false});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("not an sbapi backup manifest"), std::string::npos) << r.error();
  EXPECT_FALSE(fs::exists(temp.path() / "escaped-secret"));
}

}  // namespace
}  // namespace sbapi
