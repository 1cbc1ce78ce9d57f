// HttpServer with an object endpoint beside the Api, over real sockets: which requests go where,
// methods the endpoint does not serve, CORS preflight, malformed object requests, and API requests
// that keep their own behaviour and limits.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/api.h"
#include "server/object_server_test_fixture.h"

namespace sbapi {
namespace {

using namespace std::chrono_literals;
using test_support::Client;
using test_support::HttpServerObjectTest;
using test_support::RecordingAccessLog;
using test_support::request;

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

}  // namespace
}  // namespace sbapi
