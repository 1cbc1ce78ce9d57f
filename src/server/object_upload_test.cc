// HttpServer receiving object uploads (PUT) over real sockets: the body streamed in chunks to the
// endpoint and committed, refusals decided from the head, limits, 100-continue, clients that go
// away or stall, failing writes, and stopping with an upload in flight.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <numeric>
#include <string>
#include <string_view>
#include <thread>

#include "core/api.h"
#include "server/http_server.h"
#include "server/object_server_test_fixture.h"
#include "testing/eventually.h"
#include "testing/temp_dir.h"

namespace sbapi {
namespace {

using namespace std::chrono_literals;
using test_support::binary_bytes;
using test_support::Client;
using test_support::digest_of;
using test_support::HttpServerObjectTest;
using test_support::lower;
using test_support::quote_etag;
using test_support::request;
using testutil::eventually;
namespace fs = std::filesystem;

std::string put_head(std::uint64_t length, std::string_view extra_headers = "",
                     std::string_view target = "/bucket/assets/a1/photo.bin?X-Amz-Signature=abc") {
  return "PUT " + std::string(target) +
         " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n"
         "Content-Length: " +
         std::to_string(length) + "\r\n" + std::string(extra_headers) + "\r\n";
}

// No upload's temporary file is left in `dir`.
bool dir_is_without_temporaries(const testutil::TempDir& dir) {
  return std::ranges::none_of(fs::directory_iterator(dir.path()), [](const fs::directory_entry& e) {
    return e.path().filename().string().starts_with("tmp-");
  });
}

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

// Issue 12: a body trickling a byte every 2 s was never cut (each read beat the read timeout).
TEST_F(HttpServerObjectTest, TrickleUploadIsCutBelowTheMinimumRate) {
  ASSERT_NO_FATAL_FAILURE(start_server(
      {.read_timeout = 300ms, .min_upload_bytes_per_second = 1024, .upload_grace = 300ms}));
  const std::string body = binary_bytes(64 * 1024);
  Client client(port_);
  ASSERT_TRUE(client.send(put_head(body.size())));
  bool cut = false;
  for (std::size_t i = 0; i < 30 && !cut; ++i) {  // 1 byte per 100 ms: 10 B/s
    std::this_thread::sleep_for(100ms);
    cut = !client.send(body.substr(i, 1));
  }
  EXPECT_TRUE(cut || client.closed_by_server(3s));
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
