#include "core/asset_uploads.h"

#include "core/validation.h"

namespace sbapi {

StoreResult<UploadRecord> record_upload(Table& assets, const Clock& clock, std::string_view key,
                                        std::uint64_t size, std::string_view etag) {
  // "assets/{assetId}/{fileName}"
  constexpr std::string_view kPrefix = "assets/";
  if (!key.starts_with(kPrefix)) return UploadRecord::kNoAsset;
  std::string_view rest = key.substr(kPrefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return UploadRecord::kNoAsset;
  const std::string_view asset_id = rest.substr(0, slash);
  if (!is_valid_id(asset_id)) return UploadRecord::kNoAsset;

  auto asset = assets.get(asset_id);
  if (!asset) return std::unexpected(asset.error());
  if (!*asset) return UploadRecord::kNoAsset;
  const auto* stored_key = (*asset)->if_contains("s3Key");
  if (stored_key == nullptr || !stored_key->is_string() || stored_key->get_string() != key) {
    return UploadRecord::kNoAsset;
  }
  ItemUpdate update;
  update.set["status"] = "uploaded";
  update.set["size"] = size;
  update.set["etag"] = etag;
  update.set["uploadedAt"] = clock.now_seconds();
  auto updated = assets.update_if_exists(asset_id, update);
  if (!updated) return std::unexpected(updated.error());
  return *updated ? UploadRecord::kMarked : UploadRecord::kNoAsset;
}

}  // namespace sbapi
