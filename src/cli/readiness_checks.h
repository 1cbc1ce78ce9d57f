// The readiness checks `sbapi serve` answers GET /health/ready with (core/readiness.h).
#pragma once

#include <cstdint>
#include <filesystem>

#include "core/readiness.h"
#include "core/table.h"
#include "core/token_verifier.h"

namespace sbapi {

// "storage": a read by key of `table` answers (the key need not exist). On DynamoDB it is one
// GetItem, with the client's retries.
ReadinessCheck storage_check(Table& table);

// "disk": the file system of `dir` has at least `min_free_bytes` free for this user (statvfs's
// f_bavail): below it writes would soon fail with a full disk.
ReadinessCheck disk_check(std::filesystem::path dir, std::uint64_t min_free_bytes);

// "token_keys": `verifier` has the keys it verifies with (TokenVerifier::not_ready).
ReadinessCheck token_keys_check(const TokenVerifier& verifier);

}  // namespace sbapi
