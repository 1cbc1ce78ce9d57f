// Test support for the HttpServer object-request tests (header-only, not part of any library): an
// in-test ObjectEndpoint that keeps objects as files in a temporary directory and records every
// call the server makes, and HttpServerTest's fixture with it. (The port's real implementation,
// LocalObjectEndpoint, is tested on its own.)
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "server/http_server_test_fixture.h"
#include "server/object_endpoint.h"
#include "server/test_client.h"
#include "testing/files.h"
#include "testing/temp_dir.h"

namespace sbapi::test_support {

namespace fs = std::filesystem;

inline constexpr std::int64_t kLastModified = 1'750'000'000;
inline constexpr std::string_view kLastModifiedHttp = "Sun, 15 Jun 2025 15:06:40 GMT";

// Not MD5, but a stable digest of the bytes is all the server needs to pass on.
class Digest {
 public:
  void update(std::string_view bytes) {
    for (const char c : bytes) {
      hash_ ^= static_cast<unsigned char>(c);
      hash_ *= 1099511628211ULL;
    }
  }
  [[nodiscard]] std::string hex() const {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash_));
    return text;
  }

 private:
  std::uint64_t hash_ = 14695981039346656037ULL;
};

inline std::string digest_of(std::string_view bytes) {
  Digest digest;
  digest.update(bytes);
  return digest.hex();
}

inline std::string hex_name(std::string_view key) {
  std::string name;
  for (const char c : key) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", static_cast<unsigned char>(c));
    name += two;
  }
  return name;
}

// Objects under "/bucket/<key>" as files in `dir`. Uploads go to a temporary file that commit
// renames into place; an upload destroyed uncommitted removes it.
class FakeObjectEndpoint final : public ObjectEndpoint {
 public:
  struct Calls {
    int begin_puts = 0;
    int gets = 0;
    int writes = 0;
    int commits = 0;
    int destroyed_uncommitted = 0;
    std::vector<std::size_t> chunk_sizes;
    std::optional<Request> last_head;
    std::optional<std::uint64_t> last_length;
  };

  explicit FakeObjectEndpoint(fs::path dir) : dir_(std::move(dir)) {}

  // Test knobs; set before the requests that they affect.
  std::optional<ObjectError> deny;        // begin_put and get answer this
  std::optional<ObjectError> fail_write;  // every write() answers this
  bool throw_in_get = false;
  std::chrono::milliseconds begin_put_delay{0};  // a slow authoriser

  [[nodiscard]] bool matches(std::string_view raw_path) const override {
    return raw_path.starts_with("/bucket/");
  }

  std::expected<std::unique_ptr<ObjectUpload>, ObjectError> begin_put(
      const Request& head, std::optional<std::uint64_t> content_length) override {
    std::this_thread::sleep_for(begin_put_delay);
    std::lock_guard lock(mutex_);
    ++calls_.begin_puts;
    calls_.last_head = head;
    calls_.last_length = content_length;
    if (deny) return std::unexpected(*deny);
    const std::string* type = head.header("content-type");
    return std::make_unique<Upload>(*this, key_of(head.path),
                                    type ? *type : "application/octet-stream",
                                    dir_ / ("tmp-" + std::to_string(next_tmp_++)));
  }

  std::expected<ObjectDownload, ObjectError> get(const Request& head) override {
    std::lock_guard lock(mutex_);
    ++calls_.gets;
    calls_.last_head = head;
    if (throw_in_get) throw std::runtime_error("boom");
    if (deny) return std::unexpected(*deny);
    const auto found = objects_.find(key_of(head.path));
    if (found == objects_.end()) {
      return std::unexpected(ObjectError{404, "NoSuchKey", "The specified key does not exist."});
    }
    const auto& [content_type, etag] = found->second;
    const auto path = object_path(found->first);
    return ObjectDownload{path.string(), fs::file_size(path), content_type, etag, kLastModified};
  }

  [[nodiscard]] std::string error_body(const ObjectError& error,
                                       std::string_view request_id) const override {
    return "<Error><Code>" + error.code + "</Code><Message>" + error.message +
           "</Message><RequestId>" + std::string(request_id) + "</RequestId></Error>";
  }

  // Stores an object directly, as a committed upload would.
  void put_object(const std::string& key, std::string_view bytes, std::string content_type) {
    std::lock_guard lock(mutex_);
    std::ofstream(object_path(key), std::ios::binary) << bytes;
    objects_[key] = {std::move(content_type), digest_of(bytes)};
  }

  // The stored bytes, or nullopt.
  std::optional<std::string> object(const std::string& key) {
    std::lock_guard lock(mutex_);
    if (!objects_.contains(key)) return std::nullopt;
    return testutil::read_file(object_path(key));
  }

  Calls calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  class Upload final : public ObjectUpload {
   public:
    Upload(FakeObjectEndpoint& owner, std::string key, std::string content_type, fs::path tmp)
        : owner_(owner),
          key_(std::move(key)),
          content_type_(std::move(content_type)),
          tmp_(std::move(tmp)),
          out_(tmp_, std::ios::binary) {}

    ~Upload() override {
      if (committed_) return;
      out_.close();
      fs::remove(tmp_);
      std::lock_guard lock(owner_.mutex_);
      ++owner_.calls_.destroyed_uncommitted;
    }

    std::expected<void, ObjectError> write(std::string_view chunk) override {
      std::lock_guard lock(owner_.mutex_);
      ++owner_.calls_.writes;
      owner_.calls_.chunk_sizes.push_back(chunk.size());
      if (owner_.fail_write) return std::unexpected(*owner_.fail_write);
      out_.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      digest_.update(chunk);
      size_ += chunk.size();
      return {};
    }

    std::expected<StoredObject, ObjectError> commit() override {
      std::lock_guard lock(owner_.mutex_);
      ++owner_.calls_.commits;
      out_.close();
      fs::rename(tmp_, owner_.object_path(key_));
      owner_.objects_[key_] = {content_type_, digest_.hex()};
      committed_ = true;
      return StoredObject{size_, digest_.hex()};
    }

   private:
    FakeObjectEndpoint& owner_;
    std::string key_, content_type_;
    fs::path tmp_;
    std::ofstream out_;
    Digest digest_;
    std::uint64_t size_ = 0;
    bool committed_ = false;
  };

  static std::string key_of(std::string_view path) { return std::string(path.substr(8)); }
  [[nodiscard]] fs::path object_path(const std::string& key) const {
    return dir_ / ("obj-" + hex_name(key));
  }

  const fs::path dir_;
  std::mutex mutex_;
  Calls calls_;
  int next_tmp_ = 0;
  std::map<std::string, std::pair<std::string, std::string>> objects_;  // key → (type, etag)
};

// Bytes with NULs and every other value in them.
inline std::string binary_bytes(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<char>((i * 7 + i / 1021) & 0xff);
  }
  return bytes;
}

inline std::string request(std::string_view method, std::string_view target) {
  return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
}

inline std::string quote_etag(std::string_view s) { return "\"" + std::string(s) + "\""; }

// HttpServerTest's server and Api, with a FakeObjectEndpoint serving "/bucket/".
class HttpServerObjectTest : public HttpServerTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::is_directory(dir_.path())) << dir_.path();
    objects_ = std::make_unique<FakeObjectEndpoint>(dir_.path());
    HttpServerTest::SetUp();
  }

  void TearDown() override {
    HttpServerTest::TearDown();
    server_.reset();   // before the endpoint it serves
    objects_.reset();  // before dir_ goes
  }

  void start_server(HttpServerOptions options = {}) {
    options.objects = objects_.get();
    HttpServerTest::start_server(options, /*threads=*/2);
  }

  FakeObjectEndpoint::Calls calls() { return objects_->calls(); }

  testutil::TempDir dir_{"sbapi-objsrv"};
  RecordingAccessLog& api_log_ = log_;  // the Api's
  std::unique_ptr<FakeObjectEndpoint> objects_;
};

}  // namespace sbapi::test_support
