// Files that hold secrets in a data directory (the local token-signing key, the page-token
// secret): created once, atomically, mode 0600, and read back with their mode narrowed again.
//
// Contract
// - `private_directory(dir)` creates `dir` (and its parents) if missing, narrows it to 0700, and
//   fails unless it is a real directory (not a symlink).
// - `read_private_file(path, max, others)` is nullopt when there is no file; an error when it is
//   not a regular file (a symlink is refused: O_NOFOLLOW), cannot be read, or is larger than
//   `max` bytes. A file group or others may read is narrowed to 0600 first (one sbapi made:
//   someone widened it), or refused (an operator's: sbapi does not change their files).
// - `create_private_file(path, bytes)` writes a temporary file (0600, fsync'd) and links it into
//   place: when `path` already exists, whoever was first keeps it and this is not an error, so
//   processes racing to create the same secret all end up reading one. The directory is fsync'd.
// Errors are one line of text for the operator.
#pragma once

#include <cstddef>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace sbapi {

std::expected<std::filesystem::path, std::string> private_directory(
    const std::filesystem::path& dir);

enum class OpenToOthers { kNarrow, kRefuse };

std::expected<std::optional<std::string>, std::string> read_private_file(
    const std::filesystem::path& path, std::size_t max_bytes,
    OpenToOthers if_open = OpenToOthers::kNarrow);

std::expected<void, std::string> create_private_file(const std::filesystem::path& path,
                                                     std::string_view bytes);

}  // namespace sbapi
