// The local `ObjectStore`: presigned URLs that point at this very server's object endpoint.
//
// URLs are genuine S3 SigV4 query-signed, path-style URLs,
// `<public-url>/<bucket>/<key>?X-Amz-Algorithm=AWS4-HMAC-SHA256&…`, signed with the local
// credentials, so `LocalObjectEndpoint` (or any S3-compatible server with the same
// credentials) accepts them and any S3 tool can make them.
#pragma once

#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/object_store.h"
#include "sigv4/sigv4.h"

namespace sbapi {

struct LocalObjectConfig {
  std::string bucket = "sbapi-assets";
  std::string region = "us-east-1";
  sigv4::Credentials credentials;
  std::string public_url;  // scheme://host[:port], no path, no trailing slash
};

class LocalObjectStore final : public ObjectStore {
 public:
  LocalObjectStore(LocalObjectConfig config, const Clock& clock)
      : config_(std::move(config)), clock_(clock) {}

  [[nodiscard]] const std::string& bucket() const override { return config_.bucket; }
  std::expected<std::string, StoreError> presign_put(std::string_view key,
                                                     std::string_view content_type,
                                                     std::int64_t expires_seconds) override;
  std::expected<std::string, StoreError> presign_get(std::string_view key,
                                                     std::int64_t expires_seconds) override;

  // Presigns for an explicit time (the `sbapi presign` command and tests).
  [[nodiscard]] std::string presign(std::string_view method, std::string_view key,
                                    std::string_view content_type, std::int64_t time,
                                    std::int64_t expires_seconds) const;

 private:
  LocalObjectConfig config_;
  const Clock& clock_;
};

}  // namespace sbapi
