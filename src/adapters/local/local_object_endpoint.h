// The local object endpoint: path-style S3 `PUT|GET|HEAD /<bucket>/<key>` authorised by SigV4
// query signatures, over `ObjectFiles`.
//
// Every request is verified as S3 verifies a presigned URL (PresignedUrlVerifier) before
// anything is read or written. After a PUT is committed, the upload listener runs (sbapi marks
// the asset uploaded there); if it fails, the client gets 503 and can simply PUT again. Uploads
// of the same key commit one at a time, listener included, so what the listener records always
// describes the file in place.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <string>

#include "adapters/local/object_files.h"
#include "adapters/local/presigned_url_verifier.h"
#include "core/clock.h"
#include "server/object_endpoint.h"

namespace sbapi {

using UploadListener =
    std::function<std::expected<void, ObjectError>(std::string_view key, const StoredObject&)>;

class LocalObjectEndpoint final : public ObjectEndpoint {
 public:
  // `files`, `verifier` and `clock` must outlive the endpoint.
  LocalObjectEndpoint(std::string bucket, const ObjectFiles& files,
                      const PresignedUrlVerifier& verifier, const Clock& clock,
                      UploadListener on_upload);

  [[nodiscard]] bool matches(std::string_view raw_path) const override;
  std::expected<std::unique_ptr<ObjectUpload>, ObjectError> begin_put(
      const Request& head, std::optional<std::uint64_t> content_length) override;
  std::expected<ObjectDownload, ObjectError> get(const Request& head) override;
  [[nodiscard]] std::string error_body(const ObjectError& error,
                                       std::string_view request_id) const override;

 private:
  // Verifies the signature and returns the decoded key.
  std::expected<std::string, ObjectError> authorize(const Request& head) const;

  std::string bucket_;
  std::string prefix_;  // "/<bucket>/"
  const ObjectFiles& files_;
  const PresignedUrlVerifier& verifier_;
  const Clock& clock_;
  UploadListener on_upload_;
  // Commits of one key are serialised (a stripe per hash of the key): concurrent PUTs to one
  // presigned URL leave the file of the last commit and the record of that same upload.
  std::array<std::mutex, 64> commit_locks_;
};

}  // namespace sbapi
