#include "adapters/aws/s3_object_store.h"

#include <exception>
#include <utility>

namespace sbapi::aws {
namespace {

// The text of the first <name>…</name> in an S3 XML document ("" when absent).
std::string xml_element(std::string_view xml, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">";
  const std::string close = "</" + std::string(name) + ">";
  const std::size_t start = xml.find(open);
  if (start == std::string_view::npos) return {};
  const std::size_t end = xml.find(close, start + open.size());
  if (end == std::string_view::npos) return {};
  return std::string(xml.substr(start + open.size(), end - start - open.size()));
}

std::string describe(const HttpResponse& response) {
  std::string out = "HTTP " + std::to_string(response.status);
  const std::string code = xml_element(response.body, "Code");
  const std::string message = xml_element(response.body, "Message");
  if (!code.empty()) out += " " + code;
  if (!message.empty()) out += ": " + message;
  return out;
}

// One header-signed request for the bucket itself (CreateBucket, HeadBucket).
std::expected<HttpResponse, TransportError> bucket_request(Transport& transport,
                                                           const S3Config& config,
                                                           std::string method, std::string body,
                                                           std::int64_t now) {
  const S3Target target = s3_target(config, "");
  // Virtual-hosted: the bucket's root is "/"; path-style: "/<bucket>" (no trailing '/').
  std::string path = config.path_style ? "/" + config.bucket : "/";
  sigv4::SignRequest sign;
  sign.method = method;
  sign.endpoint = target.endpoint;
  sign.path = path;
  if (!body.empty()) sign.headers.emplace_back("content-type", "application/xml");
  sign.payload_hash = sigv4::sha256_hex(body);
  sign.add_content_sha256_header = true;  // S3 requires x-amz-content-sha256
  sign.region = config.region;
  sign.service = "s3";
  sign.time = now;
  sigv4::SignResult signed_request = sigv4::sign_headers(sign, config.credentials);

  const sigv4::Endpoint endpoint = sigv4::parse_endpoint(target.endpoint);
  HttpRequest request;
  request.method = std::move(method);
  request.url =
      endpoint.scheme + "://" + endpoint.host + sigv4::canonical_uri(endpoint.base_path + path);
  request.headers = sign.headers;
  for (auto& header : signed_request.headers) request.headers.push_back(std::move(header));
  append_trace_headers(request.headers);  // unsigned; bucket setup runs outside requests today
  request.body = std::move(body);
  return transport.send(request);
}

}  // namespace

S3Config s3_config(const AwsConfig& config) {
  S3Config out;
  out.bucket = config.bucket;
  out.region = config.region;
  out.credentials = config.credentials;
  out.endpoint = config.s3_endpoint;
  out.path_style = config.custom_s3_endpoint || config.bucket.find('.') != std::string::npos;
  return out;
}

std::string S3ObjectStore::presign(std::string_view method, std::string_view key,
                                   std::string_view content_type, std::int64_t time,
                                   std::int64_t expires_seconds) const {
  return presigner_.presign(method, key, content_type, time, expires_seconds);
}

std::expected<std::string, StoreError> S3ObjectStore::presign_put(std::string_view key,
                                                                  std::string_view content_type,
                                                                  std::int64_t expires_seconds) {
  try {
    return presign("PUT", key, content_type, clock_.now_seconds(), expires_seconds);
  } catch (const std::exception& e) {
    return std::unexpected(
        StoreError{StoreError::Kind::kInternal, std::string("cannot presign: ") + e.what()});
  }
}

std::expected<std::string, StoreError> S3ObjectStore::presign_get(std::string_view key,
                                                                  std::int64_t expires_seconds) {
  try {
    return presign("GET", key, {}, clock_.now_seconds(), expires_seconds);
  } catch (const std::exception& e) {
    return std::unexpected(
        StoreError{StoreError::Kind::kInternal, std::string("cannot presign: ") + e.what()});
  }
}

std::expected<BucketOutcome, std::string> ensure_bucket(Transport& transport,
                                                        const S3Config& config, std::int64_t now) {
  const std::string what = "bucket " + config.bucket + ": ";
  std::string body;
  if (config.region != "us-east-1") {
    // Outside us-east-1, S3 wants the region named in the body.
    body =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>" +
        config.region + "</LocationConstraint></CreateBucketConfiguration>";
  }
  std::expected<HttpResponse, TransportError> created;
  try {
    created = bucket_request(transport, config, "PUT", std::move(body), now);
  } catch (const std::exception& e) {
    return std::unexpected(what + "cannot sign CreateBucket: " + e.what());
  }
  if (!created) {
    return std::unexpected(what + "CreateBucket failed: " + created.error().message);
  }
  if (created->status == 200) return BucketOutcome::kCreated;
  const std::string code = xml_element(created->body, "Code");
  if (created->status == 409 && code == "BucketAlreadyOwnedByYou") {
    return BucketOutcome::kAlreadyExists;
  }
  if (created->status == 409 && code == "BucketAlreadyExists") {
    // Someone's bucket: ours if we may read it.
    std::expected<HttpResponse, TransportError> head;
    try {
      head = bucket_request(transport, config, "HEAD", "", now);
    } catch (const std::exception& e) {
      return std::unexpected(what + "cannot sign HeadBucket: " + e.what());
    }
    if (!head) return std::unexpected(what + "HeadBucket failed: " + head.error().message);
    if (head->status == 200) return BucketOutcome::kAlreadyExists;
    return std::unexpected(what +
                           "exists but is not accessible with these credentials (HeadBucket " +
                           describe(*head) + ")");
  }
  return std::unexpected(what + "CreateBucket answered " + describe(*created));
}

}  // namespace sbapi::aws
