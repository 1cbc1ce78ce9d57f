#include "core/schemas.h"

#include <utility>

namespace sbapi {

TableSchema users_schema(std::string table_name) {
  return {std::move(table_name),
          "userId",
          {{std::string(kUsersByEmail), "email", /*fold_case=*/true},
           {std::string(kAllUsers), "", false}},
          "ttl"};
}

TableSchema assets_schema(std::string table_name) {
  return {std::move(table_name),
          "assetId",
          {{std::string(kAssetsByOwner), "ownerId", false},
           {std::string(kAssetsByStatus), "status", false},
           {std::string(kAllAssets), "", false}},
          "ttl"};
}

}  // namespace sbapi
