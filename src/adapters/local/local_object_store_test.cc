#include "adapters/local/local_object_store.h"

#include <gtest/gtest.h>

#include <string>

#include "sigv4/s3_presigner.h"

namespace sbapi {
namespace {

constexpr std::int64_t kTime = 1714564800;  // 20240501T120000Z
constexpr const char* kKey = "assets/a1/my file+=&(1) \xC3\xA9.pdf";
const sigv4::Credentials kCredentials{"AKIDLOCALEXAMPLE", "localsecret/EXAMPLE+KEY", ""};

// The URLs are S3Presigner's, path-style on the public URL (its known answers are in
// s3_presigner_test.cc).
std::string path_style_url(const std::string& public_url, std::string_view method,
                           std::string_view key, std::string_view content_type,
                           std::int64_t expires) {
  const sigv4::S3Presigner presigner(
      {"assets-bucket", "us-east-1", kCredentials, public_url, true});
  return presigner.presign(method, key, content_type, kTime, expires);
}

TEST(LocalObjectStore, PresignsPathStyleUrlsToItsPublicUrlAtTheClocksTime) {
  const FixedClock clock(kTime);
  LocalObjectStore store({"assets-bucket", "us-east-1", kCredentials, "http://localhost:3000"},
                         clock);
  EXPECT_EQ(store.bucket(), "assets-bucket");
  const std::string put =
      path_style_url("http://localhost:3000", "PUT", kKey, "application/pdf", 3600);
  EXPECT_TRUE(put.starts_with("http://localhost:3000/assets-bucket/assets/a1/my%20file")) << put;
  EXPECT_EQ(store.presign("PUT", kKey, "application/pdf", kTime, 3600), put);
  EXPECT_EQ(store.presign_put(kKey, "application/pdf", 3600), put);
  EXPECT_EQ(store.presign_get(kKey, 600),
            path_style_url("http://localhost:3000", "GET", kKey, "", 600));
}

TEST(LocalObjectStore, SetPublicUrlMovesTheUrlsPresignedAfterIt) {
  const FixedClock clock(kTime);
  LocalObjectStore store({"assets-bucket", "us-east-1", kCredentials, "http://localhost:1"}, clock);
  EXPECT_EQ(store.presign_get(kKey, 600),
            path_style_url("http://localhost:1", "GET", kKey, "", 600));
  store.set_public_url("http://127.0.0.1:3000");
  EXPECT_EQ(store.presign_get(kKey, 600),
            path_style_url("http://127.0.0.1:3000", "GET", kKey, "", 600));
}

}  // namespace
}  // namespace sbapi
