// The S3 `ObjectStore`: SigV4 query-presigned PUT/GET URLs for the assets bucket, and (for
// `sbapi create-tables`) creating that bucket.
//
// Contract
// - Presigning is sigv4::S3Presigner's (pure computation, no network): the URLs are byte for
//   byte what botocore writes for the same request and time (checked against boto3 in the tests).
// - Addressing: on AWS (no custom endpoint) virtual-hosted style,
//   `https://<bucket>.s3.<region>.amazonaws.com/<key>`, except for bucket names with a '.'
//   (which would not match S3's wildcard TLS certificate), which use path-style on the same
//   regional endpoint, as the AWS SDKs do. On a custom endpoint (AWS_ENDPOINT_URL[_S3]: MinIO,
//   s3rver, Ceph RGW…) always path-style, `<endpoint>/<bucket>/<key>`.
// - PUT URLs sign `content-type` (X-Amz-SignedHeaders=content-type;host): the upload must carry
//   exactly that Content-Type. GET URLs sign only `host`.
// - Temporary credentials: X-Amz-Security-Token is in the URL and inside the signed query.
// - Thread-safe; the clock must outlive the store.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

#include "adapters/aws/aws_config.h"
#include "adapters/aws/http_transport.h"
#include "core/clock.h"
#include "core/object_store.h"
#include "sigv4/s3_presigner.h"
#include "sigv4/sigv4.h"

namespace sbapi::aws {

// The bucket and how to reach it (sigv4/s3_presigner.h).
using S3Config = sigv4::S3BucketConfig;

// From the environment configuration: path-style on a custom endpoint or for a dotted bucket.
S3Config s3_config(const AwsConfig& config);

// Where a request for the bucket goes: the endpoint to sign for and the unencoded path.
using sigv4::s3_target;
using sigv4::S3Target;

class S3ObjectStore final : public ObjectStore {
 public:
  S3ObjectStore(S3Config config, const Clock& clock)
      : presigner_(std::move(config)), clock_(clock) {}

  [[nodiscard]] const std::string& bucket() const override { return presigner_.bucket(); }
  std::expected<std::string, StoreError> presign_put(std::string_view key,
                                                     std::string_view content_type,
                                                     std::int64_t expires_seconds) override;
  std::expected<std::string, StoreError> presign_get(std::string_view key,
                                                     std::int64_t expires_seconds) override;

  // Presigns for an explicit time (`sbapi presign --backend aws`, tests). `content_type` is
  // signed when not empty. May throw std::runtime_error if libcrypto fails.
  [[nodiscard]] std::string presign(std::string_view method, std::string_view key,
                                    std::string_view content_type, std::int64_t time,
                                    std::int64_t expires_seconds) const;

  [[nodiscard]] S3Config config() const { return presigner_.config(); }

 private:
  sigv4::S3Presigner presigner_;
  const Clock& clock_;
};

// ---- bucket setup (create-tables) --------------------------------------------------------------

enum class BucketOutcome {
  kCreated,        // CreateBucket answered 200
  kAlreadyExists,  // BucketAlreadyOwnedByYou, or BucketAlreadyExists and HeadBucket is 200
};

// CreateBucket (a SigV4 header-signed PUT, with a LocationConstraint outside us-east-1), signed
// at `now`. BucketAlreadyOwnedByYou is success. BucketAlreadyExists (what some compatible
// engines, e.g. s3rver, answer for the caller's own bucket) is success when a signed HeadBucket
// then answers 200 — otherwise the bucket is someone else's and that is an error. Any other answer
// or a transport failure is an error text (status, S3 error code and message), without secrets.
std::expected<BucketOutcome, std::string> ensure_bucket(Transport& transport,
                                                        const S3Config& config, std::int64_t now);

}  // namespace sbapi::aws
