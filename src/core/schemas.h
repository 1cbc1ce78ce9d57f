// The tables of sbapi: key, secondary indexes and TTL attribute. Both backends create their
// tables from these; docs/api.md ("Listing") says which listing reads which index.
#pragma once

#include "core/table.h"

namespace sbapi {

// Index names, shared by the handlers that list and the adapters and templates that create them.
inline constexpr std::string_view kUsersByEmail = "email-created-index";     // email, case folded
inline constexpr std::string_view kAllUsers = "all-created-index";           // every user
inline constexpr std::string_view kAssetsByOwner = "owner-created-index";    // ownerId
inline constexpr std::string_view kAssetsByStatus = "status-created-index";  // status
inline constexpr std::string_view kAllAssets = "all-created-index";          // every asset

// users: key userId; indexes by email (ASCII case folded) and of every user; TTL ttl.
TableSchema users_schema(std::string table_name = "users");
// assets: key assetId; indexes by ownerId, by status, and of every asset; TTL ttl.
TableSchema assets_schema(std::string table_name = "assets");

}  // namespace sbapi
