#include "core/schemas.h"

#include <utility>

namespace sbapi {

TableSchema users_schema(std::string table_name) {
  return {std::move(table_name),
          "userId",
          {{"email-index", "email"}, {"createdAt-index", "createdAt", IndexSchema::Type::kNumber}},
          "ttl"};
}

TableSchema assets_schema(std::string table_name) {
  return {
      std::move(table_name),
      "assetId",
      {{"status-index", "status"}, {"createdAt-index", "createdAt", IndexSchema::Type::kNumber}},
      "ttl"};
}

}  // namespace sbapi
