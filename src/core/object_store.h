// The `ObjectStore` port: where asset files live, seen from the handlers.
//
// The handlers never move file bytes themselves; they hand out S3 SigV4 presigned URLs and the
// client talks to the store directly (S3 on AWS, the local object endpoint otherwise).
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "core/store_error.h"

namespace sbapi {

inline constexpr std::int64_t kPresignedUrlSeconds = 3600;

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  [[nodiscard]] virtual const std::string& bucket() const = 0;

  // A URL that lets its holder PUT `key` with exactly this Content-Type until it expires.
  virtual std::expected<std::string, StoreError> presign_put(std::string_view key,
                                                             std::string_view content_type,
                                                             std::int64_t expires_seconds) = 0;

  // A URL that lets its holder GET `key` until it expires.
  virtual std::expected<std::string, StoreError> presign_get(std::string_view key,
                                                             std::int64_t expires_seconds) = 0;
};

}  // namespace sbapi
