#include "adapters/local/backup.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include "adapters/local/digest.h"
#include "adapters/local/object_files.h"
#include "adapters/sqlite/directory_lock.h"
#include "adapters/sqlite/sqlite_snapshot.h"
#include "core/file_descriptor.h"
#include "core/page_token_secret_file.h"
#include "core/private_file.h"
#include "core/schemas.h"

namespace sbapi {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::string_view kFormat = "sbapi-backup 1";
constexpr std::string_view kManifest = "backup.json";
constexpr std::string_view kManifestSum = "backup.json.sha256";
constexpr std::string_view kDatabase = "sbapi.db";
constexpr std::string_view kLockFile = "sbapi.lock";  // directory_lock.h
// The local issuer's key (auth/local_issuer.h; src/auth is not a dependency of this folder).
constexpr std::string_view kSigningKey = "auth/token-signing-key.pem";
constexpr std::size_t kMaxKeyFileBytes = 1 << 20;
constexpr std::size_t kChunk = 1 << 20;
constexpr int kCopyAttempts = 3;

std::string errno_text(int err = errno) { return std::strerror(err); }

// Reads `fd` to its end, handing each chunk to `sink`; the byte count.
std::expected<std::uint64_t, std::string> read_all(
    int fd, const fs::path& what,
    const std::function<std::expected<void, std::string>(std::string_view)>& sink) {
  std::string buffer(kChunk, '\0');
  std::uint64_t size = 0;
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected("cannot read " + what.string() + ": " + errno_text());
    if (n == 0) return size;
    if (auto r = sink(std::string_view(buffer.data(), static_cast<std::size_t>(n))); !r) {
      return std::unexpected(r.error());
    }
    size += static_cast<std::uint64_t>(n);
  }
}

// fsync of a directory makes the names created in it durable.
std::expected<void, std::string> sync_directory(const fs::path& dir) {
  const UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
    return std::unexpected("cannot sync " + dir.string() + ": " + errno_text());
  }
  return {};
}

std::expected<void, std::string> sync_tree(const fs::path& root) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) {
      if (auto r = sync_directory(it->path()); !r) return r;
    }
  }
  if (ec) return std::unexpected("cannot list " + root.string() + ": " + ec.message());
  return sync_directory(root);
}

std::string utc_text(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// An absolute path without a trailing separator, so that its name and siblings are defined.
fs::path normalized(const fs::path& path) {
  std::error_code ec;
  fs::path out = fs::absolute(path, ec).lexically_normal();
  if (out.filename().empty() && out.has_parent_path()) out = out.parent_path();
  return out;
}

bool is_safe_bucket(std::string_view bucket) {
  return is_safe_object_key(bucket) && bucket.find('/') == std::string_view::npos;
}

std::string_view string_field(const json::object& item, std::string_view name) {
  const auto* value = item.if_contains(name);
  return value != nullptr && value->is_string() ? std::string_view(value->get_string())
                                                : std::string_view();
}

std::optional<std::uint64_t> unsigned_field(const json::object& item, std::string_view name) {
  const auto* value = item.if_contains(name);
  if (value == nullptr || !value->is_number()) return std::nullopt;
  boost::system::error_code ec;
  const auto number = value->to_number<std::uint64_t>(ec);
  if (ec) return std::nullopt;
  return number;
}

std::expected<std::optional<json::object>, std::string> parse_item(std::string_view text,
                                                                   std::string_view pk) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) {
    return std::unexpected("the stored item " + std::string(pk) + " is not a JSON object");
  }
  return std::optional<json::object>(std::move(value.get_object()));
}

// A file's bytes; nullopt when there is none. (Not read_private_file: the manifest is no secret,
// and a backup copied with a wider mode must still restore.)
std::expected<std::optional<std::string>, std::string> read_whole_file(const fs::path& path,
                                                                       std::size_t max_bytes) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return std::unexpected("cannot open " + path.string() + ": " + errno_text());
  }
  std::string bytes;
  auto size =
      read_all(fd.get(), path, [&](std::string_view chunk) -> std::expected<void, std::string> {
        bytes += chunk;
        if (bytes.size() > max_bytes) return std::unexpected(path.string() + " is too large");
        return {};
      });
  if (!size) return std::unexpected(size.error());
  return std::optional<std::string>(std::move(bytes));
}

// ---------------------------------------------------------------------------------- manifest

struct FileEntry {
  std::string path;  // relative to the backup's folder
  std::uint64_t size = 0;
  std::string sha256;
};

struct ObjectEntry {
  std::string path;
  std::string bucket;
  std::string key;
  std::string content_type;
  std::string etag;
  std::int64_t last_modified = 0;
};

struct Manifest {
  std::vector<FileEntry> files;
  std::vector<ObjectEntry> objects;
};

std::string object_path(std::string_view bucket, std::string_view key) {
  return "objects/" + std::string(bucket) + "/" + std::string(key);
}

// One line per file and object: readable, and diffable between two backups.
std::string manifest_text(const json::object& head, const Manifest& manifest) {
  std::string text = "{\n";
  for (const auto& field : head) {
    text += "  " + json::serialize(json::string(field.key())) + ": " +
            json::serialize(field.value()) + ",\n";
  }
  text += "  \"files\": [";
  const char* separator = "\n";
  for (const auto& f : manifest.files) {
    text += separator;
    text += "    " +
            json::serialize(json::object{{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
    separator = ",\n";
  }
  text += "\n  ],\n  \"objects\": [";
  separator = "\n";
  for (const auto& o : manifest.objects) {
    text += separator;
    text += "    " + json::serialize(json::object{{"path", o.path},
                                                  {"bucket", o.bucket},
                                                  {"key", o.key},
                                                  {"contentType", o.content_type},
                                                  {"etag", o.etag},
                                                  {"lastModified", o.last_modified}});
    separator = ",\n";
  }
  text += "\n  ]\n}\n";
  return text;
}

std::expected<Manifest, std::string> read_manifest(const fs::path& from) {
  const fs::path sum_path = from / std::string(kManifestSum);
  auto sum = read_whole_file(sum_path, 4096);
  if (!sum) return std::unexpected(sum.error());
  if (!*sum) {
    return std::unexpected(from.string() + " is not a complete sbapi backup: no " +
                           std::string(kManifestSum) + " (an interrupted backup has none)");
  }
  const std::string expected_sum = (*sum)->substr(0, (*sum)->find(' '));
  const fs::path manifest_path = from / std::string(kManifest);
  // (At most 1 GiB: a million objects' lines.)
  auto text = read_whole_file(manifest_path, std::size_t{1} << 30);
  if (!text) return std::unexpected(text.error());
  if (!*text) return std::unexpected(from.string() + " has no " + std::string(kManifest));
  if (sha256_hex(**text) != expected_sum) {
    return std::unexpected(manifest_path.string() + " does not match " + sum_path.string() +
                           ": the backup is damaged");
  }

  Manifest manifest;
  const std::string bad = manifest_path.string() + " is not an sbapi backup manifest";
  try {
    const json::object root = json::parse(**text).as_object();
    if (root.at("format").as_string() != kFormat) {
      return std::unexpected(bad + " of a format this sbapi reads (" + std::string(kFormat) + ")");
    }
    for (const auto& f : root.at("files").as_array()) {
      const auto& o = f.as_object();
      manifest.files.push_back({std::string(o.at("path").as_string()),
                                o.at("size").to_number<std::uint64_t>(),
                                std::string(o.at("sha256").as_string())});
    }
    for (const auto& v : root.at("objects").as_array()) {
      const auto& o = v.as_object();
      manifest.objects.push_back(
          {std::string(o.at("path").as_string()), std::string(o.at("bucket").as_string()),
           std::string(o.at("key").as_string()), std::string(o.at("contentType").as_string()),
           std::string(o.at("etag").as_string()), o.at("lastModified").to_number<std::int64_t>()});
    }
  } catch (const std::exception& e) {
    return std::unexpected(bad + ": " + e.what());
  }

  // Only names a backup makes: nothing in it may land outside the data dir being restored.
  std::set<std::string> object_paths;
  for (const auto& o : manifest.objects) {
    if (!is_safe_bucket(o.bucket) || !is_safe_object_key(o.key) ||
        o.path != object_path(o.bucket, o.key) || !object_paths.insert(o.path).second) {
      return std::unexpected(bad + ": object entry " + o.path);
    }
  }
  std::set<std::string> seen;
  for (const auto& f : manifest.files) {
    const bool known = f.path == kDatabase || f.path == kPageTokenSecretFileName ||
                       f.path == kSigningKey || object_paths.contains(f.path);
    if (!known || !seen.insert(f.path).second) return std::unexpected(bad + ": file " + f.path);
  }
  if (!seen.contains(std::string(kDatabase))) return std::unexpected(bad + ": no sbapi.db");
  for (const auto& path : object_paths) {
    if (!seen.contains(path)) return std::unexpected(bad + ": no file entry for " + path);
  }
  return manifest;
}

// Streams a backup file through `sink`, then checks its size and SHA-256 against its entry.
std::expected<void, std::string> read_verified(
    const fs::path& from, const FileEntry& entry,
    const std::function<std::expected<void, std::string>(std::string_view)>& sink) {
  const fs::path path = from / entry.path;
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) return std::unexpected("cannot open " + path.string() + ": " + errno_text());
  Digest sha(EVP_sha256());
  auto size = read_all(fd.get(), path, [&](std::string_view chunk) {
    sha.update(chunk);
    return sink(chunk);
  });
  if (!size) return std::unexpected(size.error());
  if (*size != entry.size || sha.hex_final() != entry.sha256) {
    return std::unexpected(path.string() +
                           " does not match its size and SHA-256 in the manifest: the backup is "
                           "damaged");
  }
  return {};
}

// ------------------------------------------------------------------------------------ backup

// Whether it was created (else it existed, empty).
std::expected<bool, std::string> new_or_empty_directory(const fs::path& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return std::unexpected(dir.string() + " is not a directory");
    std::error_code ec;
    const bool empty = fs::is_empty(dir, ec);
    if (ec) return std::unexpected("cannot read " + dir.string() + ": " + ec.message());
    if (!empty) {
      return std::unexpected(dir.string() +
                             " is not empty: a backup goes to a new or empty directory");
    }
    return false;
  }
  std::error_code ec;
  fs::create_directories(dir.parent_path(), ec);
  if (ec)
    return std::unexpected("cannot create " + dir.parent_path().string() + ": " + ec.message());
  // 0700: it holds the key files and users' emails.
  if (::mkdir(dir.c_str(), 0700) != 0) {
    return std::unexpected("cannot create " + dir.string() + ": " + errno_text());
  }
  return true;
}

struct CopiedObject {
  std::uint64_t size = 0;
  std::string etag;
  std::string sha256;
  std::string content_type;
  std::int64_t last_modified = 0;
};

// Copies the current file of `key` to `dest` (fsynced, renamed into place); nullopt when there
// is none. The file is read from one open fd, so a concurrent re-upload (a rename over it) gives
// the old or the new file whole; its sidecar's metadata is taken only when the bytes copied are
// the ones it describes (same MD5), else the asset's content type and the file's mtime.
std::expected<std::optional<CopiedObject>, std::string> copy_object(
    const ObjectFiles& files, std::string_view bucket, std::string_view key,
    std::string_view asset_content_type, const fs::path& backup_dir, const fs::path& dest) {
  for (int attempt = 1;; ++attempt) {
    auto meta = files.open(bucket, key);
    if (!meta) {
      if (meta.error().status == 404) return std::optional<CopiedObject>();
      return std::unexpected("cannot read the object " + std::string(key) + ": " +
                             meta.error().message);
    }
    const UniqueFd src(::open(meta->file_path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (src.get() < 0) {
      if (errno == ENOENT && attempt < kCopyAttempts) continue;
      return std::unexpected("cannot open " + meta->file_path + ": " + errno_text());
    }
    struct stat st {};
    if (::fstat(src.get(), &st) != 0) {
      return std::unexpected("cannot inspect " + meta->file_path + ": " + errno_text());
    }
    std::string temp = (backup_dir / ".object-XXXXXX").string();
    const UniqueFd out(::mkstemp(temp.data()));  // mode 0600
    if (out.get() < 0) return std::unexpected("cannot create a file in " + backup_dir.string());
    Digest md5(EVP_md5());
    Digest sha(EVP_sha256());
    auto size = read_all(src.get(), meta->file_path,
                         [&](std::string_view chunk) -> std::expected<void, std::string> {
                           md5.update(chunk);
                           sha.update(chunk);
                           if (!write_all(out.get(), chunk)) {
                             return std::unexpected("cannot write " + temp + ": " + errno_text());
                           }
                           return {};
                         });
    if (!size || ::fsync(out.get()) != 0) {
      ::unlink(temp.c_str());
      return std::unexpected(size ? "cannot write " + temp + ": " + errno_text() : size.error());
    }
    CopiedObject copied{*size, md5.hex_final(), sha.hex_final(), meta->content_type,
                        meta->last_modified};
    if (copied.etag != meta->etag || copied.size != meta->size) {
      // Replaced between reading its metadata and opening it: look again, or describe the
      // bytes copied with what is known for sure.
      if (attempt < kCopyAttempts) {
        ::unlink(temp.c_str());
        continue;
      }
      copied.content_type =
          asset_content_type.empty() ? "application/octet-stream" : std::string(asset_content_type);
      copied.last_modified = static_cast<std::int64_t>(st.st_mtime);
    }
    std::error_code ec;
    fs::create_directories(dest.parent_path(), ec);
    if (ec || ::rename(temp.c_str(), dest.c_str()) != 0) {
      const std::string why = ec ? ec.message() : errno_text();
      ::unlink(temp.c_str());
      return std::unexpected("cannot create " + dest.string() + ": " + why);
    }
    return std::optional<CopiedObject>(std::move(copied));
  }
}

std::expected<FileEntry, std::string> hash_file(const fs::path& dir, std::string_view relative) {
  const fs::path path = dir / std::string(relative);
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) return std::unexpected("cannot open " + path.string() + ": " + errno_text());
  Digest sha(EVP_sha256());
  auto size = read_all(fd.get(), path, [&](std::string_view chunk) {
    sha.update(chunk);
    return std::expected<void, std::string>();
  });
  if (!size) return std::unexpected(size.error());
  if (::fsync(fd.get()) != 0) {
    return std::unexpected("cannot sync " + path.string() + ": " + errno_text());
  }
  return FileEntry{std::string(relative), *size, sha.hex_final()};
}

std::expected<BackupReport, std::string> run_backup(const BackupOptions& options,
                                                    const fs::path& data_dir, const fs::path& to) {
  const auto started = std::chrono::system_clock::now();
  BackupReport report;
  Manifest manifest;

  // 1. The database, as of one commit.
  const fs::path snapshot = to / std::string(kDatabase);
  if (auto r = sqlite::snapshot_database(data_dir / std::string(kDatabase), snapshot); !r) {
    return std::unexpected(r.error());
  }
  const auto snapshot_taken = std::chrono::system_clock::now();
  if (options.after_snapshot) options.after_snapshot();

  std::vector<std::pair<std::string, json::object>> uploaded;
  if (auto r = sqlite::for_each_item(snapshot, users_schema().name,
                                     [&](std::string_view, std::string_view) {
                                       ++report.users;
                                       return true;
                                     });
      !r) {
    return std::unexpected(r.error());
  }
  std::string item_error;
  if (auto r = sqlite::for_each_item(snapshot, assets_schema().name,
                                     [&](std::string_view pk, std::string_view text) {
                                       ++report.assets;
                                       auto item = parse_item(text, pk);
                                       if (!item) {
                                         item_error = item.error();
                                         return false;
                                       }
                                       if (string_field(**item, "status") == "uploaded") {
                                         uploaded.emplace_back(std::string(pk), std::move(**item));
                                       }
                                       return true;
                                     });
      !r) {
    return std::unexpected(r.error());
  }
  if (!item_error.empty()) return std::unexpected(item_error);
  report.uploaded_assets = uploaded.size();

  // 2. The objects of the snapshot's uploaded assets, and its records brought to agree with them.
  const ObjectFiles files(data_dir);
  std::vector<std::pair<std::string, std::string>> corrected;
  for (auto& [asset_id, item] : uploaded) {
    const std::string bucket(string_field(item, "s3Bucket"));
    const std::string key(string_field(item, "s3Key"));
    if (!is_safe_bucket(bucket) || !is_safe_object_key(key)) {
      return std::unexpected("asset " + asset_id + " has no usable s3Bucket/s3Key");
    }
    const std::string relative = object_path(bucket, key);
    auto copied =
        copy_object(files, bucket, key, string_field(item, "contentType"), to, to / relative);
    if (!copied) return std::unexpected(copied.error());
    if (!*copied) {
      // No file to restore it with: it goes back to waiting for its upload.
      item["status"] = "pending";
      for (const char* field : {"size", "etag", "uploadedAt"}) item.erase(field);
      corrected.emplace_back(asset_id, json::serialize(item));
      ++report.missing_objects;
      continue;
    }
    const CopiedObject& object = **copied;
    if (unsigned_field(item, "size") != object.size || string_field(item, "etag") != object.etag) {
      item["size"] = object.size;
      item["etag"] = object.etag;
      item["uploadedAt"] = object.last_modified;
      corrected.emplace_back(asset_id, json::serialize(item));
      ++report.reconciled;
    }
    manifest.files.push_back({relative, object.size, object.sha256});
    manifest.objects.push_back(
        {relative, bucket, key, object.content_type, object.etag, object.last_modified});
    ++report.objects;
  }
  if (auto r = sqlite::replace_items(snapshot, assets_schema().name, corrected); !r) {
    return std::unexpected(r.error());
  }
  auto db_entry = hash_file(to, kDatabase);
  if (!db_entry) return std::unexpected(db_entry.error());
  manifest.files.insert(manifest.files.begin(), *db_entry);

  // 3. The key files, created 0600 (private_file.h).
  for (std::string_view relative : {kPageTokenSecretFileName, kSigningKey}) {
    auto bytes = read_private_file(data_dir / std::string(relative), kMaxKeyFileBytes,
                                   OpenToOthers::kRefuse);
    if (!bytes) return std::unexpected(bytes.error());
    if (!*bytes) continue;
    const fs::path dest = to / std::string(relative);
    if (dest.parent_path() != to) {
      if (auto r = private_directory(dest.parent_path()); !r) return std::unexpected(r.error());
    }
    if (auto r = create_private_file(dest, **bytes); !r) return std::unexpected(r.error());
    manifest.files.insert(manifest.files.begin() + 1 + static_cast<long>(report.key_files),
                          {std::string(relative), (*bytes)->size(), sha256_hex(**bytes)});
    ++report.key_files;
  }
  for (const auto& f : manifest.files) report.bytes += f.size;

  // 4. Every name durable, then the manifest, then its checksum: the mark of a whole backup.
  if (auto r = sync_tree(to); !r) return std::unexpected(r.error());
  const json::object head{{"format", kFormat},
                          {"sbapiVersion", options.sbapi_version},
                          {"startedAt", utc_text(started)},
                          {"snapshotTakenAt", utc_text(snapshot_taken)},
                          {"finishedAt", utc_text(std::chrono::system_clock::now())},
                          {"sourceDataDir", data_dir.string()},
                          {"counts",
                           {{"users", report.users},
                            {"assets", report.assets},
                            {"uploadedAssets", report.uploaded_assets},
                            {"objects", report.objects},
                            {"reconciledAssets", report.reconciled},
                            {"missingObjects", report.missing_objects},
                            {"keyFiles", report.key_files},
                            {"bytes", report.bytes}}}};
  const std::string text = manifest_text(head, manifest);
  if (auto r = create_private_file(to / std::string(kManifest), text); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = create_private_file(to / std::string(kManifestSum),
                                   sha256_hex(text) + "  " + std::string(kManifest) + "\n");
      !r) {
    return std::unexpected(r.error());
  }
  return report;
}

// ----------------------------------------------------------------------------------- restore

std::expected<void, std::string> build_restore(const fs::path& from, const Manifest& manifest,
                                               const fs::path& tmp, RestoreReport& report) {
  std::map<std::string, const FileEntry*> by_path;
  for (const auto& f : manifest.files) by_path[f.path] = &f;

  // The database and the key files.
  for (const auto& f : manifest.files) {
    if (f.path.starts_with("objects/")) continue;
    const fs::path dest = tmp / f.path;
    if (f.path == kDatabase) {
      const UniqueFd out(
          ::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (out.get() < 0) {
        return std::unexpected("cannot create " + dest.string() + ": " + errno_text());
      }
      auto copied =
          read_verified(from, f, [&](std::string_view chunk) -> std::expected<void, std::string> {
            if (!write_all(out.get(), chunk)) {
              return std::unexpected("cannot write " + dest.string() + ": " + errno_text());
            }
            return {};
          });
      if (!copied) return copied;
      if (::fsync(out.get()) != 0) {
        return std::unexpected("cannot sync " + dest.string() + ": " + errno_text());
      }
    } else {
      std::string bytes;
      auto read = read_verified(from, f, [&](std::string_view chunk) {
        bytes += chunk;
        return std::expected<void, std::string>();
      });
      if (!read) return read;
      if (dest.parent_path() != tmp) {
        if (auto r = private_directory(dest.parent_path()); !r) return std::unexpected(r.error());
      }
      if (auto r = create_private_file(dest, bytes); !r) return r;
    }
    ++report.files;
  }

  // The objects, through ObjectFiles: its sidecars must name the new files' inodes.
  const ObjectFiles files(tmp);
  if (auto r = files.prepare(); !r) return r;
  std::map<std::pair<std::string, std::string>, const ObjectEntry*> objects;
  for (const auto& o : manifest.objects) {
    objects[{o.bucket, o.key}] = &o;
    auto writer = files.begin_write(o.bucket, o.key, o.content_type, o.last_modified);
    if (!writer) return std::unexpected("cannot restore " + o.path + ": " + writer.error().message);
    auto copied = read_verified(
        from, *by_path.at(o.path), [&](std::string_view chunk) -> std::expected<void, std::string> {
          if (auto w = (*writer)->write(chunk); !w) {
            return std::unexpected("cannot restore " + o.path + ": " + w.error().message);
          }
          return {};
        });
    if (!copied) return copied;
    auto stored = (*writer)->commit();
    if (!stored) return std::unexpected("cannot restore " + o.path + ": " + stored.error().message);
    if (stored->etag != o.etag) {
      return std::unexpected(o.path + " does not match its ETag in the manifest");
    }
    ++report.objects;
    ++report.files;
  }

  // The result: a sound database whose uploaded assets all have their objects.
  const fs::path db = tmp / std::string(kDatabase);
  if (auto r = sqlite::integrity_check(db); !r) return r;
  if (auto r = sqlite::for_each_item(db, users_schema().name,
                                     [&](std::string_view, std::string_view) {
                                       ++report.users;
                                       return true;
                                     });
      !r) {
    return r;
  }
  std::string disagreement;
  if (auto r = sqlite::for_each_item(
          db, assets_schema().name,
          [&](std::string_view pk, std::string_view text) {
            ++report.assets;
            auto item = parse_item(text, pk);
            if (!item) {
              disagreement = item.error();
              return false;
            }
            if (string_field(**item, "status") != "uploaded") return true;
            const auto it = objects.find({std::string(string_field(**item, "s3Bucket")),
                                          std::string(string_field(**item, "s3Key"))});
            if (it == objects.end() || it->second->etag != string_field(**item, "etag") ||
                unsigned_field(**item, "size") != by_path.at(it->second->path)->size) {
              disagreement = "asset " + std::string(pk) +
                             " is uploaded but the backup has no object matching its size and "
                             "etag";
              return false;
            }
            return true;
          });
      !r) {
    return r;
  }
  if (!disagreement.empty()) return std::unexpected(disagreement);
  return sync_tree(tmp);
}

// Replaces `target` with `staged` in one step; afterwards `staged` names the old contents.
std::expected<void, std::string> swap_in(const fs::path& staged, const fs::path& target) {
  if (::renameat2(AT_FDCWD, staged.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
    return sync_directory(target.parent_path());
  }
  if (errno != EINVAL && errno != ENOSYS) {
    return std::unexpected("cannot move " + staged.string() + " to " + target.string() + ": " +
                           errno_text());
  }
  // A file system without RENAME_EXCHANGE: two renames, with a moment between them when
  // `target` does not exist.
  const fs::path aside = target.string() + ".restore-old";
  std::error_code ec;
  fs::remove_all(aside, ec);
  if (::rename(target.c_str(), aside.c_str()) != 0 ||
      ::rename(staged.c_str(), target.c_str()) != 0 ||
      ::rename(aside.c_str(), staged.c_str()) != 0) {
    return std::unexpected("cannot move " + staged.string() + " to " + target.string() + ": " +
                           errno_text());
  }
  return sync_directory(target.parent_path());
}

}  // namespace

std::expected<BackupReport, std::string> backup_data_dir(const BackupOptions& options) {
  const fs::path data_dir = normalized(options.data_dir);
  const fs::path to = normalized(options.to);
  struct stat st {};
  if (::stat((data_dir / std::string(kDatabase)).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return std::unexpected(data_dir.string() + " has no sbapi.db: not an sbapi data dir");
  }
  if (to == data_dir || to.string().starts_with(data_dir.string() + "/")) {
    return std::unexpected("the backup cannot go inside the data dir it copies");
  }
  auto created = new_or_empty_directory(to);
  if (!created) return std::unexpected(created.error());
  auto report = run_backup(options, data_dir, to);
  if (!report) {
    // Everything in it is ours (it was empty): no half backup is left to be mistaken for one.
    std::error_code ec;
    if (*created) {
      fs::remove_all(to, ec);
    } else {
      for (const auto& entry : fs::directory_iterator(to, ec)) fs::remove_all(entry.path(), ec);
    }
  }
  return report;
}

std::expected<RestoreReport, std::string> restore_data_dir(const RestoreOptions& options) {
  const fs::path from = normalized(options.from);
  const fs::path data_dir = normalized(options.data_dir);
  if (data_dir == from || data_dir.parent_path() == data_dir ||
      from.string().starts_with(data_dir.string() + "/") ||
      data_dir.string().starts_with(from.string() + "/")) {
    return std::unexpected("cannot restore " + from.string() + " into " + data_dir.string() +
                           ": one is inside the other");
  }
  auto manifest = read_manifest(from);
  if (!manifest) return std::unexpected(manifest.error());

  // The data dir: locked as a server locks it, for the whole restore; empty unless --force.
  RestoreReport report;
  std::unique_ptr<sqlite::DirectoryLock> lock;
  struct stat st {};
  if (::lstat(data_dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return std::unexpected(data_dir.string() + " is not a directory");
    if (::access((data_dir / std::string(kLockFile)).c_str(), F_OK) == 0) {
      auto locked = sqlite::DirectoryLock::acquire(data_dir);
      if (!locked) {
        return std::unexpected(locked.error() + ": stop the server before restoring into it");
      }
      lock = std::move(*locked);
    }
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(data_dir, ec)) {
      if (entry.path().filename() != kLockFile) report.replaced = true;
    }
    if (ec) return std::unexpected("cannot read " + data_dir.string() + ": " + ec.message());
    if (report.replaced && !options.force) {
      return std::unexpected(data_dir.string() +
                             " is not empty: restore into a new or empty directory, or add "
                             "--force to replace its contents");
    }
  } else {
    std::error_code ec;
    fs::create_directories(data_dir.parent_path(), ec);
    if (ec || (::mkdir(data_dir.c_str(), 0700) != 0 && errno != EEXIST)) {
      return std::unexpected("cannot create " + data_dir.string());
    }
  }
  if (!lock) {
    auto locked = sqlite::DirectoryLock::acquire(data_dir);
    if (!locked) {
      return std::unexpected(locked.error() + ": stop the server before restoring into it");
    }
    lock = std::move(*locked);
  }

  // Built beside it, swapped in whole. A staging folder left by an interrupted restore is
  // ours to remove: the lock says no other restore of this data dir runs.
  const fs::path tmp = data_dir.string() + ".restore-tmp";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  if (ec) return std::unexpected("cannot remove " + tmp.string() + ": " + ec.message());
  if (::mkdir(tmp.c_str(), 0700) != 0) {
    return std::unexpected("cannot create " + tmp.string() + ": " + errno_text());
  }
  auto built = build_restore(from, *manifest, tmp, report);
  if (built) built = swap_in(tmp, data_dir);
  fs::remove_all(tmp, ec);  // what failed to build, or the old contents
  if (!built) return std::unexpected(built.error());
  return report;
}

}  // namespace sbapi
