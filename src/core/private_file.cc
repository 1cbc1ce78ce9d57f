#include "core/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "core/file_descriptor.h"
#include "core/random_seed.h"

namespace sbapi {
namespace {

namespace fs = std::filesystem;

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::expected<fs::path, std::string> private_directory(const fs::path& dir) {
  std::error_code ec;
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
  if (ec)
    return std::unexpected("cannot create " + dir.parent_path().string() + ": " + ec.message());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return std::unexpected("cannot create " + dir.string() + ": " + errno_text());
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    return std::unexpected("cannot inspect " + dir.string() + ": " + errno_text());
  }
  if (!S_ISDIR(st.st_mode)) return std::unexpected(dir.string() + " is not a directory");
  if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0) {
    return std::unexpected("cannot make " + dir.string() + " private: " + errno_text());
  }
  return dir;
}

std::expected<std::optional<std::string>, std::string> read_private_file(const fs::path& path,
                                                                         std::size_t max_bytes,
                                                                         OpenToOthers if_open) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return std::unexpected("cannot open " + path.string() + ": " + errno_text());
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return std::unexpected(path.string() + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0 && if_open == OpenToOthers::kRefuse) {
    return std::unexpected(path.string() +
                           " may be read or written by group or others (chmod 600 it)");
  }
  if ((st.st_mode & 077) != 0 && ::fchmod(fd.get(), 0600) != 0) {
    return std::unexpected("cannot make " + path.string() + " private: " + errno_text());
  }
  std::string bytes(max_bytes + 1, '\0');  // one more: to tell "too large" from "exactly max"
  std::size_t size = 0;
  while (size < bytes.size()) {
    const ssize_t n = ::read(fd.get(), bytes.data() + size, bytes.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected("cannot read " + path.string() + ": " + errno_text());
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  if (size > max_bytes) {
    return std::unexpected(path.string() + " is larger than " + std::to_string(max_bytes) +
                           " bytes");
  }
  bytes.resize(size);
  return std::optional<std::string>(std::move(bytes));
}

std::expected<void, std::string> create_private_file(const fs::path& path, std::string_view bytes) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const fs::path temp = dir / (path.filename().string() + ".tmp-" + std::to_string(::getpid()) +
                               "-" + std::to_string(random_seed()));
  {
    const UniqueFd fd(
        ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0) {
      return std::unexpected("cannot create " + temp.string() + ": " + errno_text());
    }
    if (!write_all(fd.get(), bytes) || ::fsync(fd.get()) != 0) {
      const std::string why = errno_text();
      ::unlink(temp.c_str());
      return std::unexpected("cannot write " + temp.string() + ": " + why);
    }
  }
  // link(2), unlike rename(2), fails when the name exists: the first file to land is the file.
  const int linked = ::link(temp.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(temp.c_str());
  if (linked != 0 && link_errno != EEXIST) {
    return std::unexpected("cannot create " + path.string() + ": " + std::strerror(link_errno));
  }
  const UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) ::fsync(dir_fd.get());  // the new name survives a crash
  return {};
}

}  // namespace sbapi
