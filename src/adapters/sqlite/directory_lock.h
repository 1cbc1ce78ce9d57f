// An exclusive, advisory lock on a data directory for as long as the object lives.
//
// The SQLite tables cache items in process (item_cache.h), which is exact only while no other
// process writes the same database: so one process at a time opens a data directory. The lock
// is flock(2) on `<dir>/sbapi.lock`: the kernel drops it when the process ends however it ends
// (kill -9 included), so there is never a stale lock to clean up. A second opener, in this
// process or another, is refused at once with a message saying so.
#pragma once

#include <expected>
#include <filesystem>
#include <memory>
#include <string>

namespace sbapi::sqlite {

class DirectoryLock {
 public:
  static std::expected<std::unique_ptr<DirectoryLock>, std::string> acquire(
      const std::filesystem::path& dir);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace sbapi::sqlite
