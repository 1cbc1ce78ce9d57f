// Objects as plain files: `<data-dir>/objects/<bucket>/<key>`.
//
// A write goes to a temporary file in `<data-dir>/objects-tmp/` (same file system), is hashed
// (MD5, S3's ETag) as it streams, fsynced, and renamed into place: a reader sees the old object
// or the whole new one, never half of one, and a crash leaves at most a stray temp file.
// Content type, ETag and size live in a small JSON sidecar,
// `<data-dir>/objects-meta/<bucket>/<sha256(key)>.json`, that also records the data file's inode;
// should a crash separate the two renames, the mismatch is detected and the ETag recomputed.
//
// Keys are checked before they become paths: no empty, "." or ".." segment, no NUL, at most
// 1024 bytes, so no key can name a file outside its bucket's folder.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "server/object_endpoint.h"

namespace sbapi {

inline constexpr std::size_t kMaxObjectKeyBytes = 1024;

// Whether `key` can be stored as a file below its bucket's folder.
bool is_safe_object_key(std::string_view key);

class ObjectFileWriter {
 public:
  virtual ~ObjectFileWriter() = default;
  virtual std::expected<void, ObjectError> write(std::string_view chunk) = 0;
  virtual std::expected<StoredObject, ObjectError> commit() = 0;
};

class ObjectFiles {
 public:
  explicit ObjectFiles(const std::filesystem::path& data_dir);

  // Creates the folders and removes what a process that ended mid-upload left in objects-tmp/;
  // fails if the data directory is unusable. Call it once, at start, before serving.
  std::expected<void, std::string> prepare() const;

  // `last_modified` (epoch seconds) defaults to the commit's time; a restore keeps the original.
  std::expected<std::unique_ptr<ObjectFileWriter>, ObjectError> begin_write(
      std::string_view bucket, std::string_view key, std::string_view content_type,
      std::optional<std::int64_t> last_modified = std::nullopt) const;

  std::expected<ObjectDownload, ObjectError> open(std::string_view bucket,
                                                  std::string_view key) const;

  [[nodiscard]] std::filesystem::path object_path(std::string_view bucket,
                                                  std::string_view key) const;

 private:
  std::filesystem::path objects_;
  std::filesystem::path meta_;
  std::filesystem::path tmp_;
};

}  // namespace sbapi
