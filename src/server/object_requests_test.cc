// HttpServer serving object requests over real sockets, through an in-test ObjectEndpoint that
// keeps objects as files in a temporary directory and records every call the server makes.
// (The port's real implementation, LocalObjectEndpoint, is tested on its own.)
#include <gtest/gtest.h>

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/sqlite_table.h"
#include "core/access_log.h"
#include "core/api.h"
#include "core/clock.h"
#include "core/schemas.h"
#include "server/http_server.h"
#include "server/object_endpoint.h"
#include "server/test_client.h"

namespace sbapi {
namespace {

using namespace std::chrono_literals;
using test_support::Client;
using test_support::lower;
using test_support::RecordingAccessLog;
namespace fs = std::filesystem;

constexpr std::int64_t kLastModified = 1'750'000'000;
constexpr std::string_view kLastModifiedHttp = "Sun, 15 Jun 2025 15:06:40 GMT";

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

std::string digest_of(std::string_view bytes) {
  Digest digest;
  digest.update(bytes);
  return digest.hex();
}

std::string hex_name(std::string_view key) {
  std::string name;
  for (const char c : key) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", static_cast<unsigned char>(c));
    name += two;
  }
  return name;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
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
    return read_file(object_path(key));
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
std::string binary_bytes(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<char>((i * 7 + i / 1021) & 0xff);
  }
  return bytes;
}

std::string put_head(std::uint64_t length, std::string_view extra_headers = "",
                     std::string_view target = "/bucket/assets/a1/photo.bin?X-Amz-Signature=abc") {
  return "PUT " + std::string(target) +
         " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n"
         "Content-Length: " +
         std::to_string(length) + "\r\n" + std::string(extra_headers) + "\r\n";
}

std::string request(std::string_view method, std::string_view target) {
  return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
}

std::string quote_etag(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 3s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

bool dir_is_without_temporaries(const fs::path& dir) {
  return std::ranges::none_of(fs::directory_iterator(dir), [](const fs::directory_entry& e) {
    return e.path().filename().string().starts_with("tmp-");
  });
}

class HttpServerObjectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "sbapi-objsrv-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    objects_ = std::make_unique<FakeObjectEndpoint>(dir_);

    auto db = SqliteDatabase::open_in_memory();
    ASSERT_TRUE(db) << db.error().detail;
    db_ = std::move(*db);
    auto users = SqliteTable::open(*db_, users_schema(), clock_);
    ASSERT_TRUE(users) << users.error().detail;
    users_ = std::move(*users);
    api_ = std::make_unique<Api>(*users_, clock_, api_log_);
  }

  void TearDown() override {
    if (server_) {
      server_->stop();
      if (runner_.joinable()) runner_.join();
      server_.reset();
    }
    objects_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  void start_server(HttpServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.objects = objects_.get();
    server_ = std::make_unique<HttpServer>(*api_, server_log_, options);
    auto port = server_->start();
    ASSERT_TRUE(port) << port.error();
    port_ = *port;
    runner_ = std::thread([this] {
      server_->run();
      run_returned_.set_value();
    });
  }

  bool run_returned_within(std::chrono::milliseconds timeout) {
    return run_returned_future_.wait_for(timeout) == std::future_status::ready;
  }

  FakeObjectEndpoint::Calls calls() { return objects_->calls(); }

  fs::path dir_;
  FixedClock clock_{1'750'000'000};
  RecordingAccessLog api_log_;
  RecordingAccessLog server_log_;
  std::unique_ptr<FakeObjectEndpoint> objects_;
  std::unique_ptr<SqliteDatabase> db_;
  std::unique_ptr<SqliteTable> users_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
  std::promise<void> run_returned_;
  std::future<void> run_returned_future_ = run_returned_.get_future();
  std::thread runner_;
};

TEST_F(HttpServerObjectTest, PutStreamsTheBodyInChunksAndCommits) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  const std::string body = binary_bytes(3 * 1024 * 1024);
  ASSERT_NE(body.find('\0'), std::string::npos);
  Client client(port_);
  ASSERT_TRUE(client.send(put_head(body.size(), "X-Custom-Thing: Value\r\n") + body));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(response->header("etag"), quote_etag(digest_of(body)));
  EXPECT_EQ(response->header("content-length"), "0");
  EXPECT_EQ(response->header("access-control-allow-origin"), "*");
  EXPECT_FALSE(response->header("x-amz-request-id").empty());
  EXPECT_EQ(response->header("x-request-id"), response->header("x-amz-request-id"));
  EXPECT_NE(lower(response->header("connection")), "close");

  const auto seen = calls();
  EXPECT_EQ(seen.begin_puts, 1);
  EXPECT_EQ(seen.commits, 1);
  EXPECT_EQ(seen.destroyed_uncommitted, 0);
  ASSERT_GT(seen.chunk_sizes.size(), 1u);
  EXPECT_LE(std::ranges::max(seen.chunk_sizes), kObjectChunkBytes);
  EXPECT_EQ(std::accumulate(seen.chunk_sizes.begin(), seen.chunk_sizes.end(), std::size_t{0}),
            body.size());
  EXPECT_EQ(objects_->object("assets/a1/photo.bin"), body);

  // What begin_put was given: the head, transport-neutral, without a body.
  ASSERT_TRUE(seen.last_head);
  EXPECT_EQ(seen.last_head->method, "PUT");
  EXPECT_EQ(seen.last_head->path, "/bucket/assets/a1/photo.bin");
  EXPECT_EQ(seen.last_head->query, "X-Amz-Signature=abc");
  ASSERT_NE(seen.last_head->header("x-custom-thing"), nullptr);
  EXPECT_EQ(*seen.last_head->header("x-custom-thing"), "Value");
  ASSERT_NE(seen.last_head->header("host"), nullptr);
  EXPECT_TRUE(seen.last_head->body.empty());
  EXPECT_EQ(seen.last_length, body.size());

  // One access-log line, without the key.
  const auto lines = server_log_.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].request_id, response->header("x-amz-request-id"));
  EXPECT_EQ(lines[0].method, "PUT");
  EXPECT_EQ(lines[0].route, "/{bucket}/{key}");
  EXPECT_EQ(lines[0].status, 200);

  // The connection is kept alive and still serves API requests.
  ASSERT_TRUE(client.send(request("GET", "/health")));
  auto health = client.read_response();
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->header("content-type"), "application/json");
}

TEST_F(HttpServerObjectTest, EmptyPutIsCommittedWithoutWrites) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(client.send(put_head(0)));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(response->header("etag"), quote_etag(digest_of("")));
  EXPECT_EQ(calls().writes, 0);
  EXPECT_EQ(calls().commits, 1);
  EXPECT_EQ(objects_->object("assets/a1/photo.bin"), "");
}

TEST_F(HttpServerObjectTest, BeginPutDecidesFromTheHeadBeforeAnyBodyByte) {
  objects_->deny = ObjectError{403, "AccessDenied", "Request has expired"};
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  // Only the head is sent: the answer cannot depend on the body.
  ASSERT_TRUE(client.send(put_head(1024 * 1024)));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 403);
  EXPECT_EQ(response->header("content-type"), "application/xml");
  const std::string id = response->header("x-amz-request-id");
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(response->header("x-request-id"), id);
  EXPECT_EQ(response->header("access-control-allow-origin"), "*");
  EXPECT_EQ(response->body,
            "<Error><Code>AccessDenied</Code><Message>Request has expired"
            "</Message><RequestId>" +
                id + "</RequestId></Error>");
  EXPECT_EQ(lower(response->header("connection")), "close");
  EXPECT_TRUE(client.closed_by_server(3s));

  const auto seen = calls();
  EXPECT_EQ(seen.begin_puts, 1);
  EXPECT_EQ(seen.writes, 0);
  EXPECT_EQ(seen.commits, 0);
  const auto lines = server_log_.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].route, "/{bucket}/{key}");
  EXPECT_EQ(lines[0].status, 403);
}

TEST_F(HttpServerObjectTest, ChunkedPutGets411WithoutReachingTheEndpoint) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  client.send(
      "PUT /bucket/k HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n");
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 411);
  EXPECT_EQ(response->header("content-type"), "application/xml");
  EXPECT_NE(response->body.find("<Code>MissingContentLength</Code>"), std::string::npos)
      << response->body;
  EXPECT_FALSE(response->header("x-amz-request-id").empty());
  EXPECT_TRUE(client.closed_by_server(3s));
  EXPECT_EQ(calls().begin_puts, 0);
  ASSERT_EQ(server_log_.lines().size(), 1u);
  EXPECT_EQ(server_log_.lines()[0].status, 411);
}

TEST_F(HttpServerObjectTest, AnnouncedBodyOverTheObjectLimitGets400EntityTooLarge) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(client.send(put_head(6ULL * 1024 * 1024 * 1024)));  // announced, never sent
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->header("content-type"), "application/xml");
  EXPECT_NE(response->body.find("<Code>EntityTooLarge</Code>"), std::string::npos)
      << response->body;
  EXPECT_TRUE(client.closed_by_server(3s));
  EXPECT_EQ(calls().begin_puts, 0);
}

TEST_F(HttpServerObjectTest, BodyOverTheApiLimitIsFineForAnObject) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  const std::string body = binary_bytes(kMaxBodyBytes + 1);
  Client client(port_);
  ASSERT_TRUE(client.send(put_head(body.size()) + body));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(objects_->object("assets/a1/photo.bin"), body);
}

TEST_F(HttpServerObjectTest, ExpectContinueIsAnsweredOnlyAfterBeginPutAccepted) {
  objects_->begin_put_delay = 200ms;  // a 100 sent before begin_put returns would be seen first
  ASSERT_NO_FATAL_FAILURE(start_server());
  const std::string body = binary_bytes(200 * 1024);
  Client client(port_);
  ASSERT_TRUE(client.send(put_head(body.size(), "Expect: 100-continue\r\n")));
  auto go_ahead = client.read_response();
  ASSERT_TRUE(go_ahead);
  EXPECT_EQ(go_ahead->status, 100);
  EXPECT_EQ(calls().begin_puts, 1);  // before the invitation, not after
  EXPECT_EQ(calls().writes, 0);
  ASSERT_TRUE(client.send(body));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(calls().commits, 1);
  EXPECT_EQ(objects_->object("assets/a1/photo.bin"), body);
}

TEST_F(HttpServerObjectTest, ExpectContinueGetsTheErrorInsteadWhenBeginPutRefuses) {
  objects_->deny = ObjectError{403, "SignatureDoesNotMatch", "Signature mismatch"};
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(client.send(put_head(4096, "Expect: 100-continue\r\n")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 403);
  EXPECT_NE(response->body.find("SignatureDoesNotMatch"), std::string::npos);
  EXPECT_TRUE(client.closed_by_server(3s));
}

TEST_F(HttpServerObjectTest, ClientGoneMidBodyDiscardsTheUpload) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  const std::string body = binary_bytes(3 * 1024 * 1024);
  {
    Client client(port_);
    ASSERT_TRUE(client.send(put_head(body.size()) + body.substr(0, 1024 * 1024)));
    ASSERT_TRUE(eventually([&] { return calls().writes >= 1; }));  // the body is streaming
  }                                                                // the client goes away
  EXPECT_TRUE(eventually([&] { return calls().destroyed_uncommitted == 1; }));
  EXPECT_EQ(calls().commits, 0);
  EXPECT_FALSE(objects_->object("assets/a1/photo.bin"));
  EXPECT_TRUE(dir_is_without_temporaries(dir_));
}

TEST_F(HttpServerObjectTest, SlowUploadIsNotCutOffByTheReadTimeout) {
  ASSERT_NO_FATAL_FAILURE(start_server({.read_timeout = 300ms}));
  const std::string body = binary_bytes(16 * 16 * 1024);
  Client client(port_);
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.send(put_head(body.size())));
  for (std::size_t offset = 0; offset < body.size(); offset += 16 * 1024) {
    std::this_thread::sleep_for(100ms);
    ASSERT_TRUE(client.send(body.substr(offset, 16 * 1024)));
  }
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_GT(std::chrono::steady_clock::now() - started, 1s);  // far longer than read_timeout
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(objects_->object("assets/a1/photo.bin"), body);
}

TEST_F(HttpServerObjectTest, StalledUploadIsDroppedAfterTheReadTimeout) {
  ASSERT_NO_FATAL_FAILURE(start_server({.read_timeout = 300ms}));
  const std::string body = binary_bytes(512 * 1024);
  Client client(port_);
  ASSERT_TRUE(client.send(put_head(body.size()) + body.substr(0, 200 * 1024)));
  EXPECT_TRUE(client.closed_by_server(3s));
  EXPECT_TRUE(eventually([&] { return calls().destroyed_uncommitted == 1; }));
  EXPECT_EQ(calls().commits, 0);
  EXPECT_FALSE(objects_->object("assets/a1/photo.bin"));
}

TEST_F(HttpServerObjectTest, FailingWriteIsAnsweredAndTheUploadDiscarded) {
  objects_->fail_write = ObjectError{500, "InternalError", "disk full"};
  ASSERT_NO_FATAL_FAILURE(start_server());
  const std::string body = binary_bytes(512 * 1024);
  Client client(port_);
  client.send(put_head(body.size()) + body);  // may be cut short by the server's answer
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_NE(response->body.find("<Message>disk full</Message>"), std::string::npos);
  EXPECT_TRUE(client.closed_by_server(3s));
  EXPECT_EQ(calls().writes, 1);
  EXPECT_EQ(calls().commits, 0);
  EXPECT_TRUE(eventually([&] { return calls().destroyed_uncommitted == 1; }));
  EXPECT_FALSE(objects_->object("assets/a1/photo.bin"));
}

TEST_F(HttpServerObjectTest, GetSendsTheExactBytesWithHeadersAndHeadOnlyTheHeaders) {
  const std::string bytes = binary_bytes(300 * 1024 + 7);
  objects_->put_object("assets/a2/picture.png", bytes, "image/png");
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(client.send(request("GET", "/bucket/assets/a2/picture.png?X-Amz-Signature=s")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, bytes);
  EXPECT_EQ(response->header("content-length"), std::to_string(bytes.size()));
  EXPECT_EQ(response->header("content-type"), "image/png");
  EXPECT_EQ(response->header("etag"), quote_etag(digest_of(bytes)));
  EXPECT_EQ(response->header("last-modified"), kLastModifiedHttp);
  EXPECT_EQ(response->header("access-control-allow-origin"), "*");
  EXPECT_FALSE(response->header("x-amz-request-id").empty());
  EXPECT_EQ(response->header("x-request-id"), response->header("x-amz-request-id"));
  ASSERT_TRUE(calls().last_head);
  EXPECT_EQ(calls().last_head->method, "GET");
  EXPECT_EQ(calls().last_head->query, "X-Amz-Signature=s");

  // HEAD, with a request pipelined behind it: had the HEAD response carried a body, the next
  // response would not parse.
  ASSERT_TRUE(
      client.send(request("HEAD", "/bucket/assets/a2/picture.png") + request("GET", "/health")));
  auto head = client.read_response(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-length"), std::to_string(bytes.size()));
  EXPECT_EQ(head->header("etag"), quote_etag(digest_of(bytes)));
  EXPECT_EQ(head->header("content-type"), "image/png");
  EXPECT_FALSE(head->header("x-amz-request-id").empty());
  EXPECT_NE(head->header("x-amz-request-id"), response->header("x-amz-request-id"));
  auto health = client.read_response();
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->header("content-type"), "application/json");

  const auto lines = server_log_.lines();  // the Api logs /health itself
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].method, "GET");
  EXPECT_EQ(lines[1].method, "HEAD");
  for (const auto& line : lines) {
    EXPECT_EQ(line.route, "/{bucket}/{key}");
    EXPECT_EQ(line.status, 200);
  }
}

TEST_F(HttpServerObjectTest, GetOfAMissingObjectIsAnXmlErrorOnALiveConnection) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(client.send(request("GET", "/bucket/nothing/here")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->header("content-type"), "application/xml");
  EXPECT_EQ(response->body,
            "<Error><Code>NoSuchKey</Code><Message>The specified key does not "
            "exist.</Message><RequestId>" +
                response->header("x-amz-request-id") + "</RequestId></Error>");
  EXPECT_FALSE(client.closed_by_server(100ms));
}

TEST_F(HttpServerObjectTest, AnEndpointExceptionIsAnInternalError) {
  objects_->throw_in_get = true;
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(client.send(request("GET", "/bucket/k")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_NE(response->body.find("<Code>InternalError</Code>"), std::string::npos);
  EXPECT_EQ(response->body.find("boom"), std::string::npos);
}

TEST_F(HttpServerObjectTest, OtherMethodsGet405WithAllow) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(client.send(request("DELETE", "/bucket/k")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->header("allow"), "GET, HEAD, PUT, OPTIONS");
  EXPECT_EQ(response->header("content-type"), "application/xml");
  EXPECT_NE(response->body.find("<Code>MethodNotAllowed</Code>"), std::string::npos);
  EXPECT_FALSE(response->header("x-amz-request-id").empty());
  EXPECT_EQ(calls().begin_puts + calls().gets, 0);
}

TEST_F(HttpServerObjectTest, PreflightIsAnsweredWithoutTheEndpoint) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(client.send(request("OPTIONS", "/bucket/k")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 204);
  EXPECT_EQ(response->header("access-control-allow-origin"), "*");
  EXPECT_EQ(response->header("access-control-allow-methods"), "GET,HEAD,PUT,OPTIONS");
  EXPECT_EQ(response->header("access-control-allow-headers"), "Content-Type");
  EXPECT_EQ(calls().begin_puts + calls().gets, 0);
  // The connection stays usable.
  ASSERT_TRUE(client.send(request("GET", "/health")));
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerObjectTest, MalformedObjectRequestGetsAnS3StyleAnswer) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(
      client.send("PUT /bucket/k HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->header("content-type"), "application/xml");
  EXPECT_NE(response->body.find("<Code>MalformedHTTPRequest</Code>"), std::string::npos)
      << response->body;
  const std::string id = response->header("x-amz-request-id");
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(response->header("x-request-id"), id);
  EXPECT_EQ(response->header("access-control-allow-origin"), "*");
  EXPECT_TRUE(client.closed_by_server(3s));
  EXPECT_EQ(calls().begin_puts, 0);
  const auto lines = server_log_.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].request_id, id);
  EXPECT_EQ(lines[0].method, "PUT");
  EXPECT_EQ(lines[0].route, "/{bucket}/{key}");
  EXPECT_EQ(lines[0].status, 400);
}

TEST_F(HttpServerObjectTest, ApiRequestsKeepTheirBehaviourBesideObjects) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(client.send(request("GET", "/health")));
  auto health = client.read_response();
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_FALSE(health->has_header("x-amz-request-id"));

  const std::string user = R"({"userId":"u1","email":"u1@example.com"})";
  ASSERT_TRUE(
      client.send("POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                  "application/json\r\nContent-Length: " +
                  std::to_string(user.size()) + "\r\n\r\n" + user));
  auto created = client.read_response();
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201) << created->body;

  // Not the bucket's prefix: the Api's JSON 404.
  ASSERT_TRUE(client.send(request("GET", "/bucketx/k")));
  auto unknown = client.read_response();
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(unknown->header("content-type"), "application/json");

  // The API's 64 KiB limit still holds, announced or not.
  ASSERT_TRUE(client.send("POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
                          std::to_string(kMaxBodyBytes + 1) + "\r\n\r\n"));
  auto too_large = client.read_response();
  ASSERT_TRUE(too_large);
  EXPECT_EQ(too_large->status, 413);
  EXPECT_EQ(too_large->body, R"({"error":"Request body too large"})");
  EXPECT_TRUE(client.closed_by_server(3s));

  Client chunked(port_);
  std::string big = "POST /users HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 9; ++i) big += "2000\r\n" + std::string(8 * 1024, 'x') + "\r\n";
  big += "0\r\n\r\n";
  chunked.send(big);
  auto chunked_too_large = chunked.read_response();
  ASSERT_TRUE(chunked_too_large);
  EXPECT_EQ(chunked_too_large->status, 413);

  EXPECT_EQ(calls().begin_puts + calls().gets, 0);
  EXPECT_TRUE(server_log_.lines().empty());     // no object request
  std::vector<RecordingAccessLog::Line> lines;  // the Api logs every API request, 413s too
  for (const auto& line : api_log_.lines()) {
    if (line.status == 413) lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].route, "/users");
}

TEST_F(HttpServerObjectTest, StopLetsAnUploadInFlightFinish) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  const std::string body = binary_bytes(1024 * 1024);
  auto client = std::make_unique<Client>(port_);
  ASSERT_TRUE(client->send(put_head(body.size()) + body.substr(0, body.size() / 2)));
  ASSERT_TRUE(eventually([&] { return calls().writes >= 1; }));

  server_->stop();
  EXPECT_FALSE(run_returned_within(300ms));  // still receiving the upload

  ASSERT_TRUE(client->send(body.substr(body.size() / 2)));
  auto response = client->read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(lower(response->header("connection")), "close");
  EXPECT_EQ(objects_->object("assets/a1/photo.bin"), body);
  client.reset();
  EXPECT_TRUE(run_returned_within(3s));
}

TEST_F(HttpServerObjectTest, HardStopDiscardsAnUnfinishedUpload) {
  ASSERT_NO_FATAL_FAILURE(start_server({.shutdown_timeout = 300ms}));
  Client client(port_);
  ASSERT_TRUE(client.send(put_head(1024 * 1024) + binary_bytes(300 * 1024)));
  ASSERT_TRUE(eventually([&] { return calls().writes >= 1; }));
  server_->stop();
  EXPECT_TRUE(run_returned_within(3s));
  runner_.join();
  server_.reset();  // what is left of the connection goes with the server
  EXPECT_EQ(calls().destroyed_uncommitted, 1);
  EXPECT_EQ(calls().commits, 0);
  EXPECT_FALSE(objects_->object("assets/a1/photo.bin"));
}

}  // namespace
}  // namespace sbapi
