// HttpServer serving objects (GET, HEAD) over real sockets: the exact bytes and headers, and the
// endpoint's errors as S3-style XML.
#include <gtest/gtest.h>

#include <string>

#include "server/object_server_test_fixture.h"

namespace sbapi {
namespace {

using namespace std::chrono_literals;
using test_support::binary_bytes;
using test_support::Client;
using test_support::digest_of;
using test_support::HttpServerObjectTest;
using test_support::kLastModifiedHttp;
using test_support::quote_etag;
using test_support::request;

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

}  // namespace
}  // namespace sbapi
