// The assets handlers over the real SQLite table and the real local presigner, clock pinned.
#include "core/assets_handlers.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "adapters/local/local_object_store.h"
#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/sqlite_table.h"
#include "core/asset_uploads.h"
#include "core/schemas.h"
#include "testing/handler_support.h"

namespace sbapi {
namespace {

using boost::json::object;
using boost::json::value;

constexpr std::int64_t kNow = 1'750'000'000;

using testutil::body_of;
using testutil::body_request;
using testutil::error_of;

class AssetsHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db = std::move(*SqliteDatabase::open_in_memory());
    table = std::move(*SqliteTable::open(*db, assets_schema(), clock));
    objects = std::make_unique<LocalObjectStore>(
        LocalObjectConfig{"test-bucket", "us-east-1", {"AKID", "SECRET", ""}, "http://localhost:9"},
        clock);
    handlers = std::make_unique<AssetsHandlers>(*table, *objects, clock);
  }
  Response create(std::string body) {
    return handlers->create(body_request(std::move(body)), anyone);
  }

  const Caller anyone = Caller::anyone();
  FixedClock clock{kNow};
  std::unique_ptr<SqliteDatabase> db;
  std::unique_ptr<SqliteTable> table;
  std::unique_ptr<LocalObjectStore> objects;
  std::unique_ptr<AssetsHandlers> handlers;
};

TEST_F(AssetsHandlersTest, CreateStoresPendingMetadataAndAnswersAnUploadUrl) {
  auto r = create(R"({"assetId":"a1","fileName":"report.pdf","contentType":"application/pdf"})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto body = body_of(r).as_object();
  EXPECT_EQ(body.at("message"), "Asset metadata created");
  const auto& asset = body.at("asset").as_object();
  EXPECT_EQ(asset.at("assetId"), "a1");
  EXPECT_EQ(asset.at("fileName"), "report.pdf");
  EXPECT_EQ(asset.at("contentType"), "application/pdf");
  EXPECT_EQ(asset.at("s3Key"), "assets/a1/report.pdf");
  EXPECT_EQ(asset.at("s3Bucket"), "test-bucket");
  EXPECT_EQ(asset.at("status"), "pending");
  EXPECT_EQ(asset.at("createdAt"), kNow);
  EXPECT_EQ(asset.at("ttl"), kNow + 30 * 86400);
  std::string url(body.at("uploadUrl").as_string());
  EXPECT_TRUE(url.starts_with("http://localhost:9/test-bucket/assets/a1/report.pdf?")) << url;
  EXPECT_NE(url.find("X-Amz-Expires=3600"), std::string::npos);
  EXPECT_NE(url.find("X-Amz-SignedHeaders=content-type%3Bhost"), std::string::npos) << url;
  EXPECT_EQ(body_of(handlers->get("a1", anyone)), asset);
}

TEST_F(AssetsHandlersTest, ContentTypeDefaultsToOctetStream) {
  auto r = create(R"({"assetId":"a1","fileName":"blob"})");
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(body_of(r).at("asset").at("contentType"), "application/octet-stream");
}

TEST_F(AssetsHandlersTest, CreateAgainWhilePendingAnswersAFreshUploadUrl) {
  ASSERT_EQ(create(R"({"assetId":"a1","fileName":"x.bin"})").status, 201);
  clock.set(kNow + 60);
  auto r = create(R"({"assetId":"a1","fileName":"other.bin"})");
  ASSERT_EQ(r.status, 200);
  auto body = body_of(r).as_object();
  EXPECT_EQ(body.at("message"), "Asset already exists");
  EXPECT_EQ(body.at("asset").at("fileName"), "x.bin");
  std::string url(body.at("uploadUrl").as_string());
  EXPECT_NE(url.find("/assets/a1/x.bin?"), std::string::npos);
  EXPECT_NE(url.find("X-Amz-Date=20250615T150740Z"), std::string::npos) << url;  // signed now
}

TEST_F(AssetsHandlersTest, CreateAgainAfterUploadHasNoUploadUrl) {
  ASSERT_EQ(create(R"({"assetId":"a1","fileName":"x.bin"})").status, 201);
  ASSERT_EQ(record_upload(*table, clock, "assets/a1/x.bin", 5, "abc").value(),
            UploadRecord::kMarked);
  auto r = create(R"({"assetId":"a1","fileName":"x.bin"})");
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(body_of(r).as_object().contains("uploadUrl"));
  EXPECT_EQ(body_of(r).at("asset").at("status"), "uploaded");
}

TEST_F(AssetsHandlersTest, CreateRejectsBadBodies) {
  struct Case {
    std::string body;
    const char* needle;
  };
  const std::string long_name(256, 'f');
  for (const auto& [body, needle] : std::vector<Case>{
           {R"({"fileName":"x"})", "required"},
           {R"({"assetId":"a1"})", "required"},
           {R"({"assetId":"a 1","fileName":"x"})", "assetId"},
           {R"({"assetId":"a1","fileName":"../x"})", "fileName"},
           {R"({"assetId":"a1","fileName":"a/b"})", "fileName"},
           {R"({"assetId":"a1","fileName":"a\\b"})", "fileName"},
           {R"({"assetId":"a1","fileName":".."})", "fileName"},
           {R"({"assetId":"a1","fileName":"a\u0001b"})", "fileName"},
           {R"({"assetId":"a1","fileName":")" + long_name + "\"}", "fileName"},
           {R"({"assetId":"a1","fileName":""})", "fileName"},
           {R"({"assetId":"a1","fileName":5})", "fileName"},
           {R"({"assetId":"a1","fileName":"x","contentType":"pdf"})", "contentType"},
           {R"({"assetId":"a1","fileName":"x","contentType":7})", "contentType"},
           {R"({"assetId":"a1","fileName":"x","status":"uploaded"})", "status"},
           {R"({"assetId":"a1","fileName":"x","owner":"me"})", "owner"},
           {"[]", "JSON object"},
       }) {
    auto r = create(body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_NE(error_of(r).find(needle), std::string::npos) << body << " -> " << r.body;
  }
  EXPECT_FALSE(*table->get("a1"));
  EXPECT_EQ(create(R"({"assetId":"a1","fileName":")" + std::string(255, 'f') + "\"}").status, 201);
}

TEST_F(AssetsHandlersTest, GetAndDownloadOfUnknownAssetsAre404) {
  EXPECT_EQ(error_of(handlers->get("nope", anyone)), "Asset not found");
  EXPECT_EQ(handlers->download("nope", anyone).status, 404);
  EXPECT_EQ(handlers->get("bad id", anyone).status, 400);
}

TEST_F(AssetsHandlersTest, DownloadAnswersAGetUrlEvenWhilePending) {
  ASSERT_EQ(create(R"({"assetId":"a1","fileName":"pic.png","contentType":"image/png"})").status,
            201);
  auto r = handlers->download("a1", anyone);
  ASSERT_EQ(r.status, 200);
  auto body = body_of(r).as_object();
  EXPECT_EQ(body.at("status"), "pending");
  EXPECT_EQ(body.at("fileName"), "pic.png");
  EXPECT_EQ(body.at("contentType"), "image/png");
  std::string url(body.at("downloadUrl").as_string());
  EXPECT_TRUE(url.starts_with("http://localhost:9/test-bucket/assets/a1/pic.png?")) << url;
  EXPECT_NE(url.find("X-Amz-SignedHeaders=host&"), std::string::npos) << url;
  EXPECT_EQ(body.size(), 4u);
}

TEST_F(AssetsHandlersTest, RecordUploadMarksOnlyTheAssetThatOwnsTheKey) {
  ASSERT_EQ(create(R"({"assetId":"a1","fileName":"x.bin"})").status, 201);
  EXPECT_EQ(record_upload(*table, clock, "assets/a1/other.bin", 1, "e").value(),
            UploadRecord::kNoAsset);
  EXPECT_EQ(record_upload(*table, clock, "assets/a2/x.bin", 1, "e").value(),
            UploadRecord::kNoAsset);
  EXPECT_EQ(record_upload(*table, clock, "elsewhere/a1/x.bin", 1, "e").value(),
            UploadRecord::kNoAsset);
  EXPECT_EQ(body_of(handlers->get("a1", anyone)).at("status"), "pending");
  clock.set(kNow + 9);
  EXPECT_EQ(
      record_upload(*table, clock, "assets/a1/x.bin", 1234, "9e107d9d372bb6826bd81d3542a419d6")
          .value(),
      UploadRecord::kMarked);
  auto asset = body_of(handlers->get("a1", anyone)).as_object();
  EXPECT_EQ(asset.at("status"), "uploaded");
  EXPECT_EQ(asset.at("size"), 1234);
  EXPECT_EQ(asset.at("etag"), "9e107d9d372bb6826bd81d3542a419d6");
  EXPECT_EQ(asset.at("uploadedAt"), kNow + 9);
}

}  // namespace
}  // namespace sbapi
