// The tables of sbapi, as the seed defined them: key, secondary indexes and TTL attribute.
// Both backends create their tables from these.
#pragma once

#include "core/table.h"

namespace sbapi {

// users: key userId; indexes email-index (email), createdAt-index (createdAt); TTL ttl.
TableSchema users_schema(std::string table_name = "users");
// assets: key assetId; indexes status-index (status), createdAt-index (createdAt); TTL ttl.
TableSchema assets_schema(std::string table_name = "assets");

}  // namespace sbapi
