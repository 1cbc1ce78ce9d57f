// HttpServer over real sockets: the connection cap (idle connections make room, busy ones do
// not).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/http_server.h"
#include "server/http_server_test_fixture.h"

namespace sbapi {
namespace {

using namespace std::chrono_literals;
using test_support::Client;
using test_support::get;
using test_support::HttpServerTest;

// Issue 12: past the fd limit a new client waited ~30 s. At the cap, an idle connection is
// closed to make room for the new one.
TEST_F(HttpServerTest, AtTheConnectionCapAnIdleConnectionMakesRoom) {
  ASSERT_NO_FATAL_FAILURE(start_server({.max_connections = 3}));
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(std::make_unique<Client>(port_));
    ASSERT_TRUE(idle.back()->send(get("/health")));
    ASSERT_TRUE(idle.back()->read_response());  // now waiting for its next request
  }
  Client late(port_);
  ASSERT_TRUE(late.send(get("/health")));
  auto response = late.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  int closed = 0;
  for (auto& client : idle) closed += client->closed_by_server(1s) ? 1 : 0;
  EXPECT_GE(closed, 1);
}

TEST_F(HttpServerTest, AtTheConnectionCapWithNoneIdleANewOneGets503) {
  ASSERT_NO_FATAL_FAILURE(start_server({.max_connections = 2}));
  std::vector<std::unique_ptr<Client>> busy;
  for (int i = 0; i < 2; ++i) {
    busy.push_back(std::make_unique<Client>(port_));
    ASSERT_TRUE(busy.back()->send("GET /health HTTP/1.1\r\nHost: x\r\n"));  // head unfinished
  }
  std::this_thread::sleep_for(100ms);  // both are reading their heads
  Client refused(port_);
  auto response = refused.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body, R"({"error":"Too many connections"})");
  EXPECT_EQ(response->header("retry-after"), "1");
  EXPECT_FALSE(response->header("x-request-id").empty());
  EXPECT_TRUE(refused.closed_by_server(3s));
  // The busy ones are still served.
  ASSERT_TRUE(busy[0]->send("\r\n"));
  auto served = busy[0]->read_response();
  ASSERT_TRUE(served);
  EXPECT_EQ(served->status, 200);
  const auto lines = log_.lines();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0].status, 503);  // the Api answered and logged the refusal
}

}  // namespace
}  // namespace sbapi
