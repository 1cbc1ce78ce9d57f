#include "core/asset_uploads.h"

#include <optional>

#include "core/asset_key.h"
#include "core/validation.h"

namespace sbapi {

StoreResult<UploadRecord> record_upload(Table& assets, const Clock& clock, std::string_view key,
                                        std::uint64_t size, std::string_view etag) {
  const std::optional<AssetKeyParts> parts = parse_asset_key(key);
  if (!parts || !is_valid_id(parts->asset_id)) return UploadRecord::kNoAsset;
  const std::string_view asset_id = parts->asset_id;

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
