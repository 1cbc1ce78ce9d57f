// The S3 presigner: SigV4 query-presigned object URLs for one bucket, shared by the S3 object
// store (aws) and the local object store (which presigns URLs to this server).
//
// Contract
// - A bucket is reached at an endpoint (scheme://host[:port][/base]) in one of S3's two
//   addressing styles: path-style `<endpoint>/<bucket>/<key>`, or virtual-hosted
//   `<scheme>://<bucket>.<endpoint host>[/base]/<key>`.
// - `presign` is pure computation (sigv4::presign_url, UNSIGNED-PAYLOAD), no network: the URLs
//   are byte for byte what botocore writes for the same request and time. A non-empty
//   `content_type` is signed (X-Amz-SignedHeaders=content-type;host): the request must carry
//   exactly that Content-Type. Temporary credentials put X-Amz-Security-Token in the signed query.
// - The endpoint may be replaced while other threads presign (`set_endpoint`, e.g. once a local
//   server knows its port): a URL is made with either the old or the new endpoint, never a mix.
//   Everything else is fixed at construction. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "sigv4/sigv4.h"

namespace sbapi::sigv4 {

// One bucket and how to reach it.
struct S3BucketConfig {
  std::string bucket;
  std::string region;
  Credentials credentials;
  std::string endpoint;     // e.g. https://s3.eu-west-1.amazonaws.com, http://127.0.0.1:4569
  bool path_style = false;  // true: <endpoint>/<bucket>/<key>; false: <bucket>.<endpoint host>
};

// Where a request for `key` in the bucket goes: the endpoint to sign for and the unencoded path.
struct S3Target {
  std::string endpoint;  // scheme://host[:port][/base]
  std::string path;      // "/<bucket>/<key>" (path-style) or "/<key>" (virtual-hosted)
};
S3Target s3_target(const S3BucketConfig& config, std::string_view key);

class S3Presigner {
 public:
  explicit S3Presigner(S3BucketConfig config) : config_(std::move(config)) {}

  // A URL for `method` on `key` at `time` (epoch seconds), valid `expires_seconds`. May throw
  // std::runtime_error if libcrypto fails.
  [[nodiscard]] std::string presign(std::string_view method, std::string_view key,
                                    std::string_view content_type, std::int64_t time,
                                    std::int64_t expires_seconds) const;

  [[nodiscard]] const std::string& bucket() const { return config_.bucket; }
  // The whole configuration, with the endpoint of the moment.
  [[nodiscard]] S3BucketConfig config() const;

  void set_endpoint(std::string endpoint);

 private:
  mutable std::mutex endpoint_mutex_;  // guards config_.endpoint, the one field that changes
  S3BucketConfig config_;
};

}  // namespace sbapi::sigv4
