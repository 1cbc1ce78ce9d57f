// CurlTransport against a tiny HTTP/1.1 server on 127.0.0.1 written here, so the test can count
// connections (keep-alive reuse), stall (timeouts) and see exactly what libcurl sent.
#include "adapters/aws/http_transport.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "testing/loopback_http_server.h"

namespace sbapi::aws {
namespace {

using namespace std::chrono_literals;

class TinyServer {
 public:
  explicit TinyServer(bool stall = false) : stall_(stall) {}
  std::string url(const std::string& path = "/") const {
    return std::string("http://127.0.0.1:") + std::to_string(server_.port()) + path;
  }
  int connections() const { return server_.connections(); }
  std::string last_request() {
    std::lock_guard lock(mu_);
    return last_request_;
  }

 private:
  void serve(int client) {
    std::string carry;
    for (;;) {
      auto request = testutil::read_http_request(client, carry);
      if (!request) {
        if (!carry.empty() && carry[0] == '\x16') {  // a TLS ClientHello: answer in plain HTTP
          const std::string plain = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
          send(client, plain.data(), plain.size(), MSG_NOSIGNAL);
        }
        break;
      }
      {
        std::lock_guard lock(mu_);
        last_request_ = std::move(request->raw);
      }
      if (stall_) {
        while (!server_.stopping()) std::this_thread::sleep_for(10ms);
        break;
      }
      const std::string body = R"({"ok":true})";
      const std::string response =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\nX-Amzn-RequestId: abc\r\nSet-Thing: 1\r\nSet-Thing: 2\r\n"
          "Connection: keep-alive\r\n\r\n" +
          body;
      send(client, response.data(), response.size(), MSG_NOSIGNAL);
    }
    close(client);
  }

  bool stall_;
  std::mutex mu_;
  std::string last_request_;
  testutil::LoopbackHttpServer server_{
      [this](int client) { serve(client); }};  // last: joined first
};

TEST(CurlTransport, AnyStatusIsAResponseWithLowerCaseHeaders) {
  TinyServer server;
  CurlTransport transport;
  auto response = transport.send({"POST", server.url(), {{"X-Amz-Target", "T.Op"}}, "{}"});
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body, R"({"ok":true})");
  EXPECT_EQ(response->header("x-amzn-requestid"), "abc");
  int set_things = 0;
  for (const auto& [name, value] : response->headers) set_things += name == "set-thing";
  EXPECT_EQ(set_things, 2);
  const std::string sent = server.last_request();
  EXPECT_TRUE(sent.starts_with("POST / HTTP/1.1\r\n")) << sent;
  EXPECT_NE(sent.find("X-Amz-Target: T.Op\r\n"), std::string::npos) << sent;
  EXPECT_NE(sent.find("Content-Length: 2\r\n"), std::string::npos) << sent;
  // No libcurl defaults that a signature or a server would trip over.
  EXPECT_EQ(sent.find("application/x-www-form-urlencoded"), std::string::npos) << sent;
  EXPECT_EQ(sent.find("Expect:"), std::string::npos) << sent;
}

TEST(CurlTransport, ReusesTheConnectionAcrossCalls) {
  TinyServer server;
  CurlTransport transport;
  for (int i = 0; i < 5; ++i) {
    auto response = transport.send({"PUT", server.url("/k"), {{"Content-Type", "a/b"}}, "x"});
    ASSERT_TRUE(response) << response.error().message;
  }
  EXPECT_EQ(server.connections(), 1);
  EXPECT_TRUE(server.last_request().starts_with("PUT /k HTTP/1.1\r\n"));
}

TEST(CurlTransport, ConcurrentCallersEachGetAResponse) {
  TinyServer server;
  CurlTransport transport;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) ok += transport.send({"GET", server.url(), {}, ""}).has_value();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 40);
  EXPECT_LE(server.connections(), 4);
}

TEST(CurlTransport, ARefusedConnectionIsAConnectError) {
  int port;
  {
    TinyServer gone;  // a port that was just free, and is closed again
    port = std::stoi(gone.url().substr(17));
  }
  CurlTransport transport;
  auto response = transport.send(
      {"GET", std::string("http://127.0.0.1:") + std::to_string(port) + "/", {}, ""});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, TransportError::Kind::kConnect) << response.error().message;
  EXPECT_TRUE(is_retryable(response.error()));
}

TEST(CurlTransport, AStalledServerIsATimeout) {
  TinyServer server(/*stall=*/true);
  CurlTransport transport({.connect_timeout = 1000ms, .request_timeout = 5000ms, .ca_file = {}});
  HttpRequest request{"GET", server.url(), {}, ""};
  request.timeout = 200ms;  // the per-request limit wins over the transport's
  const auto start = std::chrono::steady_clock::now();
  auto response = transport.send(request);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, TransportError::Kind::kTimeout) << response.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(CurlTransport, ATlsFailureIsATlsErrorAndNotRetryable) {
  // A TLS handshake answered in plain HTTP fails as TLS, not as a network blip worth retrying.
  TinyServer server;
  CurlTransport transport;
  auto response = transport.send({"GET", "https://127.0.0.1:" + server.url().substr(17), {}, ""});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, TransportError::Kind::kTls) << response.error().message;
  EXPECT_FALSE(is_retryable(response.error()));
}

TEST(CurlTransport, NonHttpSchemesAreRefused) {
  CurlTransport transport;
  auto response = transport.send({"GET", "file:///etc/passwd", {}, ""});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, TransportError::Kind::kOther);
}

}  // namespace
}  // namespace sbapi::aws
