#include "sigv4/s3_presigner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace sbapi::sigv4 {
namespace {

// Known answers written by botocore (generate_presigned_url, signature_version s3v4, the clock
// pinned): the same URLs as in sigv4_test.cc (path-style, local) and s3_object_store_test.cc
// (virtual-hosted, AWS).
constexpr std::int64_t kLocalTime = 1714564800;  // 20240501T120000Z
constexpr std::int64_t kAwsTime = 1741964966;    // 20250314T150926Z

const std::string kLocalPut =
    "http://localhost:3000/assets-bucket/assets/a1/my%20file%2B%3D%26%281%29%20%C3%A9.pdf"
    "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDLOCALEXAMPLE%2F20240501%2F"
    "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240501T120000Z&X-Amz-Expires=3600"
    "&X-Amz-SignedHeaders=content-type%3Bhost&X-Amz-Signature="
    "b166f114ad8bee14e4a4b709f42108a594067367bc7b84d76271dd32806c5cc5";
constexpr const char* kLocalKey = "assets/a1/my file+=&(1) \xC3\xA9.pdf";

S3BucketConfig local_bucket(std::string endpoint) {
  return {"assets-bucket",
          "us-east-1",
          {"AKIDLOCALEXAMPLE", "localsecret/EXAMPLE+KEY", ""},
          std::move(endpoint),
          true};
}

TEST(S3Presigner, PathStyleUrlEqualsBotocore) {
  const S3Presigner presigner(local_bucket("http://localhost:3000"));
  EXPECT_EQ(presigner.presign("PUT", kLocalKey, "application/pdf", kLocalTime, 3600), kLocalPut);
}

TEST(S3Presigner, VirtualHostedUrlEqualsBotocore) {
  const S3Presigner presigner({"sbapi-assets-prod",
                               "eu-west-1",
                               {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""},
                               "https://s3.eu-west-1.amazonaws.com",
                               false});
  EXPECT_EQ(
      presigner.presign("GET", "assets/a1/my report \xC3\xA9.pdf", "", kAwsTime, 3600),
      "https://sbapi-assets-prod.s3.eu-west-1.amazonaws.com/assets/a1/my%20report%20%C3%A9.pdf"
      "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
      "&X-Amz-Credential=AKIDEXAMPLE%2F20250314%2Feu-west-1%2Fs3%2Faws4_request"
      "&X-Amz-Date=20250314T150926Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
      "&X-Amz-Signature=26b0d786a19a423fb3cc47f0d4797843dbc7c391256d93d0e22968858fc9923f");
}

TEST(S3Target, PathStyleKeepsTheEndpointAndPutsTheBucketInThePath) {
  const S3Target target = s3_target(local_bucket("http://127.0.0.1:4569"), "assets/a1/x.bin");
  EXPECT_EQ(target.endpoint, "http://127.0.0.1:4569");
  EXPECT_EQ(target.path, "/assets-bucket/assets/a1/x.bin");
}

TEST(S3Target, VirtualHostedPutsTheBucketInTheHostAndKeepsABasePath) {
  S3BucketConfig config = local_bucket("https://s3.example.com:8443/base/");
  config.path_style = false;
  const S3Target target = s3_target(config, "assets/a1/x.bin");
  EXPECT_EQ(target.endpoint, "https://assets-bucket.s3.example.com:8443/base");
  EXPECT_EQ(target.path, "/assets/a1/x.bin");
}

TEST(S3Presigner, SetEndpointChangesTheUrlsPresignedAfterIt) {
  S3Presigner presigner(local_bucket("http://localhost:1"));
  EXPECT_TRUE(presigner.presign("PUT", kLocalKey, "application/pdf", kLocalTime, 3600)
                  .starts_with("http://localhost:1/assets-bucket/"));
  presigner.set_endpoint("http://localhost:3000");
  EXPECT_EQ(presigner.presign("PUT", kLocalKey, "application/pdf", kLocalTime, 3600), kLocalPut);
  EXPECT_EQ(presigner.config().endpoint, "http://localhost:3000");
  EXPECT_EQ(presigner.bucket(), "assets-bucket");
}

TEST(S3Presigner, UrlsPresignedWhileTheEndpointChangesUseOneEndpointOrTheOther) {
  S3Presigner presigner(local_bucket("http://localhost:1"));
  const std::string before =
      presigner.presign("PUT", kLocalKey, "application/pdf", kLocalTime, 3600);
  std::atomic<bool> done = false;
  std::atomic<int> mixed = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      while (!done) {
        const std::string url =
            presigner.presign("PUT", kLocalKey, "application/pdf", kLocalTime, 3600);
        if (url != before && url != kLocalPut) ++mixed;
      }
    });
  }
  for (int i = 0; i < 500; ++i) {
    presigner.set_endpoint(i % 2 == 0 ? "http://localhost:3000" : "http://localhost:1");
  }
  done = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mixed, 0);
}

}  // namespace
}  // namespace sbapi::sigv4
