// The page-token secret kept in a file (`sbapi serve`: `<data-dir>/page-token-secret`), so that
// tokens stay valid across restarts and between processes sharing the data dir.
//
// The secret is the file's text without trailing newlines: at least 32 bytes. A file made here
// holds 64 hex digits (32 random bytes) and a newline, mode 0600 (core/private_file.h); an
// operator may put any ≥ 32-byte text there instead (e.g. the same secret as another instance).
// An operator's file (IfMissing::kFail) that group or others may read is refused, not changed.
#pragma once

#include <filesystem>

#include "core/page_tokens.h"

namespace sbapi {

inline constexpr std::string_view kPageTokenSecretFileName = "page-token-secret";

enum class IfMissing { kCreate, kFail };

// A loader reading `path` when first called (page_tokens.h); with kCreate a missing file is
// created first (and its directory, when missing).
PageTokenSecretLoader page_token_secret_file(std::filesystem::path path, IfMissing if_missing);

}  // namespace sbapi
