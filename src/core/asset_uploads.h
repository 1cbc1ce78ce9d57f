// What happens when an asset's file has been stored: the one function both the local object
// endpoint (after a PUT) and the Lambda S3 `ObjectCreated` handler call.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/table.h"

namespace sbapi {

enum class UploadRecord {
  kMarked,   // the asset is now `uploaded` with this size and etag
  kNoAsset,  // the key is not an asset's key (or the asset is gone): nothing to do
};

// Marks the asset whose `s3Key` is `key` as uploaded: `status` "uploaded", `size`, `etag`
// (MD5 hex, no quotes) and `uploadedAt`. A key that no asset owns changes nothing. Uploading
// again (the URL is valid for an hour) records the latest file.
StoreResult<UploadRecord> record_upload(Table& assets, const Clock& clock, std::string_view key,
                                        std::uint64_t size, std::string_view etag);

}  // namespace sbapi
