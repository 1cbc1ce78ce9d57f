// HttpServer over real sockets: idle and read timeouts, stopping with connections and requests in
// flight, and starting.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "server/http_server.h"
#include "server/http_server_test_fixture.h"

namespace sbapi {
namespace {

using namespace std::chrono_literals;
using test_support::Client;
using test_support::get;
using test_support::HttpServerTest;
using test_support::lower;
using test_support::post_user;

TEST_F(HttpServerTest, IdleConnectionIsClosedAfterTheIdleTimeout) {
  ASSERT_NO_FATAL_FAILURE(start_server({.idle_timeout = 200ms}));
  Client client(port_);
  ASSERT_TRUE(client.send(get("/health")));
  ASSERT_TRUE(client.read_response());
  EXPECT_TRUE(client.closed_by_server(3s));
}

TEST_F(HttpServerTest, IncompleteRequestIsDroppedAfterTheReadTimeout) {
  ASSERT_NO_FATAL_FAILURE(start_server({.read_timeout = 200ms}));
  Client client(port_);
  ASSERT_TRUE(client.send("GET /health HTTP/1.1\r\nHost: loc"));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closed_by_server(3s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST_F(HttpServerTest, StopReturnsWhileAnIdleKeepAliveConnectionIsOpen) {
  ASSERT_NO_FATAL_FAILURE(start_server());  // idle timeout 30 s: only stop() can close these
  Client used(port_);
  ASSERT_TRUE(used.send(get("/health")));
  ASSERT_TRUE(used.read_response());
  Client never_used(port_);
  ASSERT_TRUE(never_used.connected());
  std::this_thread::sleep_for(50ms);  // let the server accept the second one
  EXPECT_FALSE(run_returned_within(0ms));

  server_->stop();
  EXPECT_TRUE(run_returned_within(3s));
  EXPECT_TRUE(used.closed_by_server(1s));
  EXPECT_TRUE(never_used.closed_by_server(1s));
  Client late(port_);
  EXPECT_FALSE(late.connected());
}

TEST_F(HttpServerTest, StopLetsARequestInFlightFinish) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  auto client = std::make_unique<Client>(port_);
  const std::string request = post_user("u4");
  const auto split = request.size() - 5;  // the body is not complete yet
  ASSERT_TRUE(client->send(request.substr(0, split)));
  std::this_thread::sleep_for(100ms);

  server_->stop();
  EXPECT_FALSE(run_returned_within(300ms));  // still waiting for the rest of the request

  {
    Client& sender = *client;
    ASSERT_TRUE(sender.send(request.substr(split)));
    auto response = sender.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 201) << response->body;
    EXPECT_EQ(lower(response->header("connection")), "close");
    EXPECT_TRUE(sender.closed_by_server(3s));
  }
  client.reset();  // as a client does once it has read a `Connection: close` response
  EXPECT_TRUE(run_returned_within(3s));
}

TEST_F(HttpServerTest, StopGivesUpOnStragglersAfterTheShutdownTimeout) {
  ASSERT_NO_FATAL_FAILURE(start_server({.shutdown_timeout = 300ms}));
  Client client(port_);
  ASSERT_TRUE(client.send("POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n"));
  std::this_thread::sleep_for(100ms);
  const auto started = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_TRUE(run_returned_within(3s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST_F(HttpServerTest, StartFailsWhenThePortIsTaken) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  HttpServer second(*api_, server_log_, {.host = "127.0.0.1", .port = port_});
  auto port = second.start();
  ASSERT_FALSE(port);
  EXPECT_NE(port.error().find("cannot listen on 127.0.0.1:" + std::to_string(port_)),
            std::string::npos)
      << port.error();
}

TEST_F(HttpServerTest, RunReturnsWhenStoppedBeforeItStarts) {
  HttpServer server(*api_, server_log_, {.host = "127.0.0.1", .port = 0});
  ASSERT_TRUE(server.start());
  server.stop();
  auto done = std::async(std::launch::async, [&] { server.run(); });
  EXPECT_EQ(done.wait_for(3s), std::future_status::ready);
}

}  // namespace
}  // namespace sbapi
