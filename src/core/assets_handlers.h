// The assets endpoints: POST /assets, GET /assets/{id}, GET /assets/{id}/download, GET /assets.
//
//  - create stores the asset's metadata (`status` "pending") and answers a presigned PUT URL for
//    its key, `assets/{assetId}/{fileName}`. It is idempotent like users: the same assetId again
//    answers 200 with the stored asset, plus a fresh upload URL while the asset is still pending.
//  - the upload itself goes straight to the object store; `record_upload` (asset_uploads.h)
//    then marks the asset `uploaded`.
//  - download answers a presigned GET URL (valid one hour) even while pending, with `status`, so
//    a client can tell whether there is anything to fetch yet.
//  - with authentication on, an asset is created with `ownerId` = the caller's subject. Only its
//    owner or an admin may read it or get its download URL; to anyone else it does not exist
//    (404). An asset made while authentication was off has no owner: only admins see it. A
//    create naming an assetId another owner holds is a 409: ids are chosen by clients, so a
//    create cannot hide that the id is taken (it can hide nothing else of the asset).
//  - list (listing.h): the caller's own assets, newest first, optionally `?status=pending` or
//    `uploaded`; an admin's (and every caller's with authentication off) are all assets.
#pragma once

#include "core/caller.h"
#include "core/clock.h"
#include "core/http.h"
#include "core/listing.h"
#include "core/object_store.h"
#include "core/router.h"
#include "core/table.h"

namespace sbapi {

inline constexpr std::int64_t kAssetTtlSeconds = 30LL * 24 * 3600;
inline constexpr std::string_view kDefaultContentType = "application/octet-stream";

class AssetsHandlers {
 public:
  // `assets`, `objects`, `clock` and `tokens` must outlive the handlers.
  AssetsHandlers(Table& assets, ObjectStore& objects, const Clock& clock,
                 PageTokens& tokens = process_page_tokens())
      : assets_(assets), objects_(objects), clock_(clock), tokens_(tokens) {}

  Response create(const Request& request, const Caller& caller);
  Response get(std::string_view asset_id, const Caller& caller);
  Response download(std::string_view asset_id, const Caller& caller);
  Response list(const Request& request, const Caller& caller);

 private:
  Table& assets_;
  ObjectStore& objects_;
  const Clock& clock_;
  PageTokens& tokens_;
};

}  // namespace sbapi
