#include "core/asset_key.h"

namespace sbapi {
namespace {

constexpr std::string_view kPrefix = "assets/";

}  // namespace

std::string asset_key(std::string_view asset_id, std::string_view file_name) {
  std::string key;
  key.reserve(kPrefix.size() + asset_id.size() + 1 + file_name.size());
  key.append(kPrefix).append(asset_id).append("/").append(file_name);
  return key;
}

std::optional<AssetKeyParts> parse_asset_key(std::string_view key) {
  if (!key.starts_with(kPrefix)) return std::nullopt;
  key.remove_prefix(kPrefix.size());
  const std::size_t slash = key.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  return AssetKeyParts{key.substr(0, slash), key.substr(slash + 1)};
}

}  // namespace sbapi
