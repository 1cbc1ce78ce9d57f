#include "core/assets_handlers.h"

#include <array>

#include "core/asset_key.h"
#include "core/responses.h"
#include "core/schemas.h"
#include "core/validation.h"

namespace sbapi {
namespace {

using boost::json::object;

constexpr std::array<std::string_view, 3> kClientFields = {"assetId", "fileName", "contentType"};

bool is_client_field(std::string_view name) {
  return std::find(kClientFields.begin(), kClientFields.end(), name) != kClientFields.end();
}

// Fields the server sets; naming one is a clearer mistake than an unknown field.
bool is_server_field(std::string_view name) {
  for (std::string_view f : {"s3Key", "s3Bucket", "status", "createdAt", "ttl", "size", "etag",
                             "uploadedAt", "ownerId"}) {
    if (f == name) return true;
  }
  return false;
}

Response invalid_asset_id() {
  return error_response(400, "assetId must be 1-128 characters of A-Z a-z 0-9 . _ -");
}

std::string_view string_field(const object& item, std::string_view name) {
  const auto* v = item.if_contains(name);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

// The stored asset, or the response when there is none the caller may see: a missing asset and
// another owner's look the same (404).
std::expected<object, Response> visible_asset(Table& assets, std::string_view asset_id,
                                              const Caller& caller) {
  if (!is_valid_id(asset_id)) return std::unexpected(invalid_asset_id());
  auto item = assets.get(asset_id);
  if (!item) return std::unexpected(store_failure_response(item.error()));
  if (!*item || !caller.owns_or_administers(string_field(**item, "ownerId"))) {
    return std::unexpected(error_response(404, "Asset not found"));
  }
  return std::move(**item);
}

}  // namespace

Response AssetsHandlers::create(const Request& request, const Caller& caller) {
  auto body = parse_object_body(request);
  if (!body) return std::move(body.error());

  for (const auto& [name, value] : *body) {
    if (is_server_field(name))
      return error_response(400, std::string(name) + " is set by the server");
    if (!is_client_field(name)) return error_response(400, "Unknown field: " + std::string(name));
  }
  const auto* asset_id = body->if_contains("assetId");
  const auto* file_name = body->if_contains("fileName");
  if (asset_id == nullptr || file_name == nullptr) {
    return error_response(400, "assetId and fileName are required");
  }
  for (std::string_view name : kClientFields) {
    const auto* v = body->if_contains(name);
    if (v != nullptr && !v->is_string())
      return error_response(400, std::string(name) + " must be a string");
  }
  if (!is_valid_id(asset_id->get_string())) return invalid_asset_id();
  if (!is_valid_file_name(file_name->get_string())) {
    return error_response(400,
                          "fileName must be 1-255 bytes without '/', '\\' or control characters, "
                          "and not '.' or '..'");
  }
  std::string_view content_type = kDefaultContentType;
  if (const auto* ct = body->if_contains("contentType")) {
    content_type = ct->get_string();
    if (!is_valid_media_type(content_type)) {
      return error_response(400, "contentType must be a media type such as application/pdf");
    }
  }

  const std::int64_t now = clock_.now_seconds();
  const std::string key = asset_key(asset_id->get_string(), file_name->get_string());
  object asset{
      {"assetId", *asset_id}, {"fileName", *file_name},        {"contentType", content_type},
      {"s3Key", key},         {"s3Bucket", objects_.bucket()}, {"status", "pending"},
      {"createdAt", now},     {"ttl", now + kAssetTtlSeconds}};
  if (caller.authenticated()) asset["ownerId"] = caller.subject();

  auto put = assets_.put_if_absent(asset);
  if (!put) return store_failure_response(put.error());
  object& stored = put->item;
  if (!put->created && !caller.owns_or_administers(string_field(stored, "ownerId"))) {
    return error_response(409, "assetId is already taken");
  }
  // A fresh upload URL for as long as there is something left to upload.
  std::optional<std::string> upload_url;
  if (put->created || string_field(stored, "status") == "pending") {
    auto url = objects_.presign_put(string_field(stored, "s3Key"),
                                    string_field(stored, "contentType"), kPresignedUrlSeconds);
    if (!url) return store_failure_response(url.error());
    upload_url = std::move(*url);
  }
  object answer{{"message", put->created ? "Asset metadata created" : "Asset already exists"},
                {"asset", std::move(stored)}};
  if (upload_url) answer["uploadUrl"] = *upload_url;
  return json_response(put->created ? 201 : 200, answer);
}

Response AssetsHandlers::get(std::string_view asset_id, const Caller& caller) {
  auto asset = visible_asset(assets_, asset_id, caller);
  if (!asset) return std::move(asset.error());
  return json_response(200, *asset);
}

Response AssetsHandlers::download(std::string_view asset_id, const Caller& caller) {
  auto found = visible_asset(assets_, asset_id, caller);
  if (!found) return std::move(found.error());
  const object& asset = *found;
  auto url = objects_.presign_get(string_field(asset, "s3Key"), kPresignedUrlSeconds);
  if (!url) return store_failure_response(url.error());
  return json_response(200, object{{"downloadUrl", std::move(*url)},
                                   {"fileName", asset.at("fileName")},
                                   {"contentType", asset.at("contentType")},
                                   {"status", asset.at("status")}});
}

Response AssetsHandlers::list(const Request& request, const Caller& caller) {
  auto params = parse_query(request.query, {"status", "limit", "nextToken"});
  if (!params) return std::move(params.error());
  auto limit = page_limit(*params);
  if (!limit) return std::move(limit.error());
  const auto status = params->get("status");
  if (status && *status != "pending" && *status != "uploaded") {
    return error_response(400, "status must be pending or uploaded");
  }

  ListQuery query;
  query.limit = *limit;
  if (caller.authenticated() && !caller.admin()) {
    // The caller's own: their owner partition, filtered by status (few per owner to skip).
    query.index = kAssetsByOwner;
    query.equals = caller.subject();
    if (status) query.filter = AttributeEquals{"status", std::string(*status)};
  } else if (status) {
    query.index = kAssetsByStatus;
    query.equals = *status;
  } else {
    query.index = kAllAssets;
  }
  const std::string binding = page_binding("listAssets", query, caller);
  return list_page(assets_, tokens_, std::move(query), binding, params->get("nextToken"));
}

}  // namespace sbapi
