#include "adapters/local/local_object_store.h"

#include <utility>

namespace sbapi {

LocalObjectStore::LocalObjectStore(LocalObjectConfig config, const Clock& clock)
    : presigner_({.bucket = std::move(config.bucket),
                  .region = std::move(config.region),
                  .credentials = std::move(config.credentials),
                  .endpoint = std::move(config.public_url),
                  .path_style = true}),
      clock_(clock) {}

std::string LocalObjectStore::presign(std::string_view method, std::string_view key,
                                      std::string_view content_type, std::int64_t time,
                                      std::int64_t expires_seconds) const {
  return presigner_.presign(method, key, content_type, time, expires_seconds);
}

std::expected<std::string, StoreError> LocalObjectStore::presign_put(std::string_view key,
                                                                     std::string_view content_type,
                                                                     std::int64_t expires_seconds) {
  return presign("PUT", key, content_type, clock_.now_seconds(), expires_seconds);
}

std::expected<std::string, StoreError> LocalObjectStore::presign_get(std::string_view key,
                                                                     std::int64_t expires_seconds) {
  return presign("GET", key, {}, clock_.now_seconds(), expires_seconds);
}

}  // namespace sbapi
