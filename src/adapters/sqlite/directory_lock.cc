#include "adapters/sqlite/directory_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sbapi::sqlite {

std::expected<std::unique_ptr<DirectoryLock>, std::string> DirectoryLock::acquire(
    const std::filesystem::path& dir) {
  const std::string path = (dir / "sbapi.lock").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return std::unexpected("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return std::unexpected(dir.string() +
                             " is in use by another sbapi process (one process per data dir)");
    }
    return std::unexpected("cannot lock " + path + ": " + std::strerror(error));
  }
  return std::unique_ptr<DirectoryLock>(new DirectoryLock(fd));
}

DirectoryLock::~DirectoryLock() { ::close(fd_); }

}  // namespace sbapi::sqlite
