// The object key of an asset's file, `assets/{assetId}/{fileName}`: written when an asset is
// created (its `s3Key`) and read back from upload notifications (local PUTs, S3 events).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sbapi {

// "assets/" + asset_id + "/" + file_name. The parts are used as they are: the caller has
// validated them (is_valid_id, is_valid_file_name), so the key reads back as the same parts.
std::string asset_key(std::string_view asset_id, std::string_view file_name);

struct AssetKeyParts {
  std::string_view asset_id;   // up to the first '/' after "assets/"
  std::string_view file_name;  // everything after that '/'
};

// The parts of a key of that shape (views into `key`), or nullopt when `key` does not start with
// "assets/" or has no '/' after it. Only the shape is checked, not that the parts are valid.
std::optional<AssetKeyParts> parse_asset_key(std::string_view key);

}  // namespace sbapi
