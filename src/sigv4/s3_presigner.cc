#include "sigv4/s3_presigner.h"

#include <utility>

namespace sbapi::sigv4 {

namespace {

S3Target target_of(std::string endpoint, const std::string& bucket, bool path_style,
                   std::string_view key) {
  if (path_style) return {std::move(endpoint), "/" + bucket + "/" + std::string(key)};
  // https://s3.<region>.amazonaws.com -> https://<bucket>.s3.<region>.amazonaws.com
  const Endpoint parsed = parse_endpoint(endpoint);
  std::string path = "/";  // not `"/" + std::string(key)`: see GCC bug 105651 in CMakeLists.txt
  path += key;
  return {parsed.scheme + "://" + bucket + "." + parsed.host + parsed.base_path, std::move(path)};
}

}  // namespace

S3Target s3_target(const S3BucketConfig& config, std::string_view key) {
  return target_of(config.endpoint, config.bucket, config.path_style, key);
}

std::string S3Presigner::presign(std::string_view method, std::string_view key,
                                 std::string_view content_type, std::int64_t time,
                                 std::int64_t expires_seconds) const {
  std::string endpoint;
  {
    const std::lock_guard lock(endpoint_mutex_);
    endpoint = config_.endpoint;
  }
  S3Target target = target_of(std::move(endpoint), config_.bucket, config_.path_style, key);
  PresignRequest request;
  request.method = std::string(method);
  request.endpoint = std::move(target.endpoint);
  request.path = std::move(target.path);
  if (!content_type.empty()) {
    request.headers.emplace_back("content-type", std::string(content_type));
  }
  request.region = config_.region;
  request.service = "s3";
  request.time = time;
  request.expires_seconds = expires_seconds;
  return presign_url(request, config_.credentials);
}

S3BucketConfig S3Presigner::config() const {
  const std::lock_guard lock(endpoint_mutex_);
  return config_;
}

void S3Presigner::set_endpoint(std::string endpoint) {
  const std::lock_guard lock(endpoint_mutex_);
  config_.endpoint = std::move(endpoint);
}

}  // namespace sbapi::sigv4
