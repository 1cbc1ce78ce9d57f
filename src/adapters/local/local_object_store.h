// The local `ObjectStore`: presigned URLs that point at this very server's object endpoint.
//
// URLs are genuine S3 SigV4 query-signed, path-style URLs,
// `<public-url>/<bucket>/<key>?X-Amz-Algorithm=AWS4-HMAC-SHA256&…`, made by the same
// sigv4::S3Presigner as the S3 store's and signed with the local credentials, so
// `LocalObjectEndpoint` (or any S3-compatible server with the same credentials) accepts them and
// any S3 tool can make them. Thread-safe, `set_public_url` included; the clock must outlive the
// store.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

#include "core/clock.h"
#include "core/object_store.h"
#include "sigv4/s3_presigner.h"
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
  LocalObjectStore(LocalObjectConfig config, const Clock& clock);

  [[nodiscard]] const std::string& bucket() const override { return presigner_.bucket(); }
  std::expected<std::string, StoreError> presign_put(std::string_view key,
                                                     std::string_view content_type,
                                                     std::int64_t expires_seconds) override;
  std::expected<std::string, StoreError> presign_get(std::string_view key,
                                                     std::int64_t expires_seconds) override;

  // Presigns for an explicit time (the `sbapi presign` command and tests).
  [[nodiscard]] std::string presign(std::string_view method, std::string_view key,
                                    std::string_view content_type, std::int64_t time,
                                    std::int64_t expires_seconds) const;

  // Replaces the public URL (same form as LocalObjectConfig's), e.g. once the server knows its
  // port; URLs presigned from then on use it. Safe while other threads presign.
  void set_public_url(std::string public_url) { presigner_.set_endpoint(std::move(public_url)); }

 private:
  sigv4::S3Presigner presigner_;
  const Clock& clock_;
};

}  // namespace sbapi
