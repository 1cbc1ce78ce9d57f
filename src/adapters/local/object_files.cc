#include "adapters/local/object_files.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "adapters/local/digest.h"
#include "core/access_log.h"
#include "core/file_descriptor.h"

namespace sbapi {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxKeySegmentBytes = 255;  // NAME_MAX of Linux file systems

// Every 500 says why in the log (the client is told nothing more).
ObjectError internal_error(std::string_view cause) {
  log_event("error", "object storage failed", {{"detail", std::string(cause)}});
  return {500, "InternalError", "We encountered an internal error. Please try again."};
}

ObjectError io_error(int err) {
  if (err == ENOSPC || err == EDQUOT) {
    return {503, "ServiceUnavailable", "The server is out of storage space. Please try again."};
  }
  if (err == ENOTDIR || err == EISDIR || err == EEXIST) {
    return {409, "KeyConflict", "The key conflicts with an existing object's path."};
  }
  if (err == ENAMETOOLONG) {  // a key segment over the file system's 255 bytes
    return {400, "KeyTooLongError", "A segment of the key is longer than 255 bytes."};
  }
  return internal_error(std::error_code(err, std::generic_category()).message());
}

// fsync of a directory makes a rename in it durable.
void sync_directory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class FileWriter final : public ObjectFileWriter {
 public:
  FileWriter(int fd, fs::path temp, fs::path target, fs::path meta_target, fs::path tmp_dir,
             std::string content_type, std::optional<std::int64_t> last_modified)
      : fd_(fd),
        temp_(std::move(temp)),
        target_(std::move(target)),
        meta_target_(std::move(meta_target)),
        tmp_dir_(std::move(tmp_dir)),
        content_type_(std::move(content_type)),
        last_modified_(last_modified),
        md5_(EVP_md5()) {}

  ~FileWriter() override {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) {
      std::error_code ec;
      fs::remove(temp_, ec);
    }
  }

  std::expected<void, ObjectError> write(std::string_view chunk) override {
    if (size_ + chunk.size() > kMaxObjectBytes) {
      return std::unexpected(ObjectError{400, "EntityTooLarge",
                                         "Your proposed upload exceeds the maximum allowed size"});
    }
    if (!write_all(fd_, chunk)) return std::unexpected(io_error(errno));
    md5_.update(chunk);
    size_ += chunk.size();
    return {};
  }

  std::expected<StoredObject, ObjectError> commit() override {
    if (::fsync(fd_) != 0) return std::unexpected(io_error(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return std::unexpected(io_error(errno));
    ::close(fd_);
    fd_ = -1;
    StoredObject stored{size_, md5_.hex_final()};

    // The sidecar is written (and synced) before either rename, so both renames are cheap.
    const boost::json::object meta{{"contentType", content_type_},
                                   {"etag", stored.etag},
                                   {"size", stored.size},
                                   {"inode", static_cast<std::uint64_t>(st.st_ino)},
                                   {"lastModified", last_modified_.value_or(now_seconds())}};
    const fs::path meta_temp = temp_.string() + ".meta";
    {
      int mfd = ::open(meta_temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (mfd < 0) return std::unexpected(io_error(errno));
      bool ok = write_all(mfd, boost::json::serialize(meta)) && ::fsync(mfd) == 0;
      int err = errno;
      ::close(mfd);
      if (!ok) {
        fs::remove(meta_temp);
        return std::unexpected(io_error(err));
      }
    }
    std::error_code ec;
    fs::create_directories(target_.parent_path(), ec);
    if (!ec) fs::create_directories(meta_target_.parent_path(), ec);
    if (ec) {
      const int err = ec.value();  // before the clean-up below reuses `ec`
      fs::remove(meta_temp, ec);
      return std::unexpected(io_error(err));
    }
    if (::rename(temp_.c_str(), target_.c_str()) != 0) {
      int err = errno;
      fs::remove(meta_temp, ec);
      return std::unexpected(io_error(err));
    }
    committed_ = true;
    if (::rename(meta_temp.c_str(), meta_target_.c_str()) != 0) {
      // The data is in place; without its sidecar a reader recomputes the ETag.
      fs::remove(meta_temp, ec);
    }
    sync_directory(target_.parent_path());
    sync_directory(meta_target_.parent_path());
    return stored;
  }

 private:
  int fd_;
  fs::path temp_, target_, meta_target_, tmp_dir_;
  std::string content_type_;
  std::optional<std::int64_t> last_modified_;
  Digest md5_;
  std::uint64_t size_ = 0;
  bool committed_ = false;
};

std::expected<std::string, ObjectError> md5_of_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(internal_error("cannot read " + path.string()));
  Digest md5(EVP_md5());
  std::string buffer(1 << 16, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    md5.update(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
  }
  return md5.hex_final();
}

}  // namespace

bool is_safe_object_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxObjectKeyBytes) return false;
  if (key.find('\0') != std::string_view::npos) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = key.find('/', start);
    const std::string_view segment =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

ObjectFiles::ObjectFiles(const fs::path& data_dir)
    : objects_(data_dir / "objects"),
      meta_(data_dir / "objects-meta"),
      tmp_(data_dir / "objects-tmp") {}

std::expected<void, std::string> ObjectFiles::prepare() const {
  for (const auto& dir : {objects_, meta_, tmp_}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return std::unexpected("cannot create " + dir.string() + ": " + ec.message());
  }
  // Whatever is in objects-tmp/ now was left by a process that ended mid-upload (a finished
  // upload is renamed out of it, and one process at a time has the data dir): never complete.
  std::error_code ec;
  std::size_t removed = 0;
  for (const auto& entry : fs::directory_iterator(tmp_, ec)) {
    std::error_code ignored;
    if (fs::remove_all(entry.path(), ignored) > 0) ++removed;
  }
  if (ec) return std::unexpected("cannot read " + tmp_.string() + ": " + ec.message());
  if (removed > 0) {
    log_event("info", "removed unfinished uploads", {{"files", removed}});
  }
  return {};
}

fs::path ObjectFiles::object_path(std::string_view bucket, std::string_view key) const {
  return objects_ / std::string(bucket) / std::string(key);
}

std::expected<std::unique_ptr<ObjectFileWriter>, ObjectError> ObjectFiles::begin_write(
    std::string_view bucket, std::string_view key, std::string_view content_type,
    std::optional<std::int64_t> last_modified) const {
  if (!is_safe_object_key(key)) {
    return std::unexpected(ObjectError{400, "InvalidArgument", "Object key is not allowed"});
  }
  // Refused before anything is written: a segment the file system cannot name would fail only
  // at the rename, after the parent folders were made.
  for (std::size_t start = 0; start <= key.size();) {
    const std::size_t slash = std::min(key.find('/', start), key.size());
    if (slash - start > kMaxKeySegmentBytes) return std::unexpected(io_error(ENAMETOOLONG));
    start = slash + 1;
  }
  std::string pattern = (tmp_ / "upload-XXXXXX").string();
  int fd = ::mkstemp(pattern.data());
  if (fd < 0) return std::unexpected(io_error(errno));
  return std::make_unique<FileWriter>(fd, fs::path(pattern), object_path(bucket, key),
                                      meta_ / std::string(bucket) / (sha256_hex(key) + ".json"),
                                      tmp_, std::string(content_type), last_modified);
}

std::expected<ObjectDownload, ObjectError> ObjectFiles::open(std::string_view bucket,
                                                             std::string_view key) const {
  const ObjectError no_such_key{404, "NoSuchKey", "The specified key does not exist."};
  if (!is_safe_object_key(key)) return std::unexpected(no_such_key);
  const fs::path path = object_path(bucket, key);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::unexpected(no_such_key);

  ObjectDownload download{path.string(), static_cast<std::uint64_t>(st.st_size),
                          "application/octet-stream", "", static_cast<std::int64_t>(st.st_mtime)};
  std::ifstream meta_in(meta_ / std::string(bucket) / (sha256_hex(key) + ".json"));
  std::stringstream text;
  text << meta_in.rdbuf();
  boost::system::error_code ec;
  auto meta = boost::json::parse(text.str(), ec);
  const boost::json::object* m = !ec && meta.is_object() ? &meta.get_object() : nullptr;
  const auto* inode = m != nullptr ? m->if_contains("inode") : nullptr;
  try {
    if (inode != nullptr && inode->to_number<std::uint64_t>() == st.st_ino) {
      download.content_type = std::string(m->at("contentType").as_string());
      download.etag = std::string(m->at("etag").as_string());
      download.last_modified = m->at("lastModified").to_number<std::int64_t>();
      return download;
    }
  } catch (const std::exception&) {
    // A damaged sidecar is treated like a missing one.
  }
  // No sidecar for this very file (a crash between the two renames): recompute what we can.
  auto md5 = md5_of_file(path);
  if (!md5) return std::unexpected(md5.error());
  download.etag = std::move(*md5);
  return download;
}

}  // namespace sbapi
