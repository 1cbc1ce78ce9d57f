// A fresh directory under the system's temp dir, removed with everything in it afterwards
// (header-only test support).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace sbapi::testutil {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "sbapi-test") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace sbapi::testutil
