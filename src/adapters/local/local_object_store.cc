#include "adapters/local/local_object_store.h"

namespace sbapi {

std::string LocalObjectStore::presign(std::string_view method, std::string_view key,
                                      std::string_view content_type, std::int64_t time,
                                      std::int64_t expires_seconds) const {
  sigv4::PresignRequest request;
  request.method = std::string(method);
  request.endpoint = config_.public_url;
  request.path = "/" + config_.bucket + "/" + std::string(key);
  if (!content_type.empty())
    request.headers.emplace_back("content-type", std::string(content_type));
  request.region = config_.region;
  request.service = "s3";
  request.time = time;
  request.expires_seconds = expires_seconds;
  return sigv4::presign_url(request, config_.credentials);
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
