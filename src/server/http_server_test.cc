// HttpServer over real sockets: an in-process server on a free port, an in-memory database, and
// a raw-socket client so that the bytes on the wire are exactly what each test says.
#include "server/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
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
#include "server/test_client.h"

namespace sbapi {
namespace {

using namespace std::chrono_literals;
using test_support::Client;
using test_support::lower;
using test_support::RecordingAccessLog;

std::string post_user(std::string_view user_id, std::string_view connection = "") {
  const std::string body = R"({"userId":")" + std::string(user_id) + R"(","email":")" +
                           std::string(user_id) + R"(@example.com"})";
  std::string request =
      "POST /users HTTP/1.1\r\nHost: localhost\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n";
  if (!connection.empty()) request += "Connection: " + std::string(connection) + "\r\n";
  return request + "\r\n" + body;
}

std::string get(std::string_view target) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
}

// Holds every put_if_absent until the test opens the gate: a write that takes as long as the
// test says, which a real disk flush cannot be made to do on demand. Everything else is the real
// table's.
class GatedTable final : public Table {
 public:
  // `async`: put_if_absent_async completes from a thread of its own (as SQLite's write queue
  // does) instead of the Table default, which waits.
  explicit GatedTable(Table& inner, bool async = false)
      : inner_(inner), async_(async), gate_(opened_.get_future().share()) {}
  ~GatedTable() override {
    for (auto& worker : workers_) worker.join();
  }
  GatedTable(const GatedTable&) = delete;
  GatedTable& operator=(const GatedTable&) = delete;
  void open_gate() { opened_.set_value(); }
  int writes_waiting() const { return waiting_.load(); }

  const TableSchema& schema() const override { return inner_.schema(); }
  StoreResult<std::optional<Item>> get(std::string_view key) override { return inner_.get(key); }
  StoreResult<PutResult> put_if_absent(const Item& item) override {
    ++waiting_;
    gate_.wait();
    --waiting_;
    return inner_.put_if_absent(item);
  }
  void put_if_absent_async(const Item& item, PutDone done) override {
    if (!async_) return Table::put_if_absent_async(item, std::move(done));
    workers_.emplace_back([this, item, done = std::move(done)] { done(put_if_absent(item)); });
  }
  StoreResult<std::optional<Item>> update_if_exists(std::string_view key,
                                                    const ItemUpdate& update) override {
    return inner_.update_if_exists(key, update);
  }
  StoreResult<bool> remove(std::string_view key) override { return inner_.remove(key); }
  StoreResult<Page> query(const IndexQuery& query) override { return inner_.query(query); }
  StoreResult<Page> scan(const ScanRequest& request) override { return inner_.scan(request); }

 private:
  Table& inner_;
  const bool async_;
  std::vector<std::thread> workers_;  // started on the server's loop, joined here
  std::promise<void> opened_;
  std::shared_future<void> gate_;
  std::atomic<int> waiting_{0};
};

bool eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 300; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = SqliteDatabase::open_in_memory();
    ASSERT_TRUE(db) << db.error().detail;
    db_ = std::move(*db);
    auto users = SqliteTable::open(*db_, users_schema(), clock_);
    ASSERT_TRUE(users) << users.error().detail;
    users_ = std::move(*users);
    api_ = std::make_unique<Api>(*users_, clock_, log_);
  }

  void TearDown() override {
    if (server_) {
      server_->stop();
      if (runner_.joinable()) runner_.join();
    }
  }

  void start_server(HttpServerOptions options = {}, unsigned threads = 2) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = threads;
    server_ = std::make_unique<HttpServer>(*api_, server_log_, options);
    auto port = server_->start();
    ASSERT_TRUE(port) << port.error();
    ASSERT_NE(*port, 0);
    port_ = *port;
    runner_ = std::thread([this] {
      server_->run();
      run_returned_.set_value();
    });
  }

  bool run_returned_within(std::chrono::milliseconds timeout) {
    return run_returned_future_.wait_for(timeout) == std::future_status::ready;
  }

  FixedClock clock_{1'750'000'000};
  RecordingAccessLog log_;  // the Api's
  RecordingAccessLog server_log_;
  std::unique_ptr<SqliteDatabase> db_;
  std::unique_ptr<SqliteTable> users_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
  std::promise<void> run_returned_;
  std::future<void> run_returned_future_ = run_returned_.get_future();
  std::thread runner_;
};

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(client.connected());

  ASSERT_TRUE(client.send(post_user("u1")));
  auto created = client.read_response();
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(created->header("content-type"), "application/json");
  EXPECT_FALSE(created->header("x-request-id").empty());
  EXPECT_EQ(created->header("access-control-allow-origin"), "*");
  EXPECT_NE(lower(created->header("connection")), "close");

  ASSERT_TRUE(client.send(get("/users/u1")));
  auto fetched = client.read_response();
  ASSERT_TRUE(fetched);
  EXPECT_EQ(fetched->status, 200);
  EXPECT_NE(fetched->body.find("u1@example.com"), std::string::npos) << fetched->body;
  EXPECT_NE(fetched->header("x-request-id"), created->header("x-request-id"));
  EXPECT_FALSE(client.closed_by_server(100ms));
  EXPECT_TRUE(server_log_.lines().empty());  // requests the Api answers, the Api logs
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(client.send(get("/users/nobody") + get("/health") + get("/no/such/path")));
  auto first = client.read_response();
  auto second = client.read_response();
  auto third = client.read_response();
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(first->status, 404);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(third->status, 404);
}

TEST_F(HttpServerTest, NoContentResponseHasNoLengthAndConnectionStaysUsable) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(
      client.send("OPTIONS /users HTTP/1.1\r\nHost: localhost\r\n"
                  "Origin: http://example.com\r\nAccess-Control-Request-Method: POST\r\n"
                  "\r\n" +
                  get("/health")));
  auto preflight = client.read_response();
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_FALSE(preflight->has_header("content-length"));
  EXPECT_EQ(preflight->header("access-control-allow-origin"), "*");
  auto health = client.read_response();
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(HttpServerTest, HeadResponseAnnouncesLengthWithoutBody) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(client.send("HEAD /health HTTP/1.1\r\nHost: localhost\r\n\r\n" + get("/health")));
  auto head = client.read_response(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_TRUE(head->has_header("content-length"));
  // Had the HEAD response carried a body, this would read it as a malformed status line.
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, AbsoluteFormTargetIsRoutedByItsPath) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(
      client.send("GET http://localhost:3000/health?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpServerTest, OversizedBodyGets413AndTheConnectionCloses) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  const std::string body(70 * 1024, 'x');
  // The server may answer before the whole body is sent; what matters is what it answers.
  client.send(
      "POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->body, R"({"error":"Request body too large"})");
  EXPECT_EQ(response->header("content-type"), "application/json");
  EXPECT_EQ(response->header("access-control-allow-origin"), "*");
  EXPECT_FALSE(response->header("x-request-id").empty());
  EXPECT_EQ(lower(response->header("connection")), "close");
  EXPECT_TRUE(client.closed_by_server(3s));

  // The server could not hand it over whole; the Api answers it and logs it: once, with its
  // method and route.
  EXPECT_TRUE(server_log_.lines().empty());
  const auto lines = log_.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].request_id, response->header("x-request-id"));
  EXPECT_EQ(lines[0].method, "POST");
  EXPECT_EQ(lines[0].route, "/users");
  EXPECT_EQ(lines[0].status, 413);
}

TEST_F(HttpServerTest, AnnouncedOversizedBodyIsRejectedBeforeItIsSent) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(
      client.send("POST /users HTTP/1.1\r\nHost: localhost\r\n"
                  "Content-Length: 10000000\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->body, R"({"error":"Request body too large"})");
  EXPECT_TRUE(client.closed_by_server(3s));
}

TEST_F(HttpServerTest, OversizedChunkedBodyGets413) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  std::string request =
      "POST /users HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk(8 * 1024, 'x');
  for (int i = 0; i < 9; ++i) request += "2000\r\n" + chunk + "\r\n";  // 72 KiB in total
  request += "0\r\n\r\n";
  client.send(request);
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_TRUE(client.closed_by_server(3s));
}

TEST_F(HttpServerTest, BodyAtTheLimitIsPassedToTheApi) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  const std::string body(kMaxBodyBytes, ' ');  // not JSON: the Api, not the server, says 400
  ASSERT_TRUE(client.send("POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->body.find("Malformed HTTP"), std::string::npos) << response->body;
  EXPECT_FALSE(client.closed_by_server(100ms));
}

TEST_F(HttpServerTest, MalformedRequestLineGets400AndTheConnectionCloses) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(client.send("THIS IS NOT HTTP\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->body, R"({"error":"Malformed HTTP request"})");
  EXPECT_EQ(response->header("content-type"), "application/json");
  EXPECT_EQ(response->header("access-control-allow-origin"), "*");
  EXPECT_TRUE(client.closed_by_server(3s));

  const auto lines = log_.lines();  // the Api's answer, and its log line
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].method, "-");
  EXPECT_EQ(lines[0].route, "-");
  EXPECT_EQ(lines[0].status, 400);
}

TEST_F(HttpServerTest, MalformedContentLengthGets400) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(
      client.send("POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->body, R"({"error":"Malformed HTTP request"})");
  EXPECT_TRUE(client.closed_by_server(3s));
}

TEST_F(HttpServerTest, OversizedHeadersGet431) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(client.send("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: " +
                          std::string(20 * 1024, 'a') + "\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  EXPECT_TRUE(client.closed_by_server(3s));
}

TEST_F(HttpServerTest, Http10ConnectionClosesAfterTheResponse) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(client.send("GET /health HTTP/1.0\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->version, "HTTP/1.0");
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(client.closed_by_server(3s));
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  ASSERT_TRUE(client.send(post_user("u2", "close")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(lower(response->header("connection")), "close");
  EXPECT_TRUE(client.closed_by_server(3s));
}

TEST_F(HttpServerTest, ExpectContinueIsAnswered) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  Client client(port_);
  const std::string body = R"({"userId":"u3","email":"u3@example.com"})";
  ASSERT_TRUE(
      client.send("POST /users HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
                  "Content-Type: application/json\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n"));
  auto go_ahead = client.read_response();
  ASSERT_TRUE(go_ahead);
  EXPECT_EQ(go_ahead->status, 100);
  ASSERT_TRUE(client.send(body));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 201) << response->body;
}

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

TEST_F(HttpServerTest, AWriteWaitingOnStorageDoesNotHoldUpItsLoop) {
  GatedTable gated(*users_);
  api_ = std::make_unique<Api>(gated, clock_, log_);
  // One I/O thread: had the write run on it, the GET below could not be answered.
  ASSERT_NO_FATAL_FAILURE(start_server({.blocking_threads = 2}, /*threads=*/1));
  Client writer(port_);
  ASSERT_TRUE(writer.send(post_user("gated")));
  ASSERT_TRUE(eventually([&] { return gated.writes_waiting() == 1; }));

  Client reader(port_);
  ASSERT_TRUE(reader.send(get("/users/u-none")));
  auto missing = reader.read_response();
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404) << missing->body;
  EXPECT_EQ(gated.writes_waiting(), 1);

  gated.open_gate();
  auto created = writer.read_response();
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201) << created->body;
  ASSERT_TRUE(reader.send(get("/users/gated")));
  auto read_back = reader.read_response();
  ASSERT_TRUE(read_back);
  EXPECT_EQ(read_back->status, 200) << read_back->body;
}

TEST_F(HttpServerTest, StopWaitsForAWriteOnTheBlockingPool) {
  GatedTable gated(*users_);
  api_ = std::make_unique<Api>(gated, clock_, log_);
  ASSERT_NO_FATAL_FAILURE(start_server({.blocking_threads = 1}));
  Client writer(port_);
  ASSERT_TRUE(writer.send(post_user("late")));
  ASSERT_TRUE(eventually([&] { return gated.writes_waiting() == 1; }));

  server_->stop();
  EXPECT_FALSE(run_returned_within(300ms));  // the write is still in flight
  gated.open_gate();
  auto created = writer.read_response();
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(lower(created->header("connection")), "close");
  EXPECT_TRUE(run_returned_within(3s));
}

TEST_F(HttpServerTest, AnAsynchronousWriteLeavesItsLoopFree) {
  // No blocking pool and one loop: only the asynchronous path can answer the GET meanwhile.
  GatedTable gated(*users_, /*async=*/true);
  api_ = std::make_unique<Api>(gated, clock_, log_);
  ASSERT_NO_FATAL_FAILURE(start_server({.async_api = true}, /*threads=*/1));
  Client writer(port_);
  ASSERT_TRUE(writer.send(post_user("async")));
  ASSERT_TRUE(eventually([&] { return gated.writes_waiting() == 1; }));

  Client reader(port_);
  ASSERT_TRUE(reader.send(get("/health")));
  auto health = reader.read_response();
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  gated.open_gate();
  auto created = writer.read_response();
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201) << created->body;
  EXPECT_FALSE(created->header("x-request-id").empty());
  server_->stop();  // before `gated` goes
  runner_.join();
}

TEST_F(HttpServerTest, StopWaitsForAnAsynchronousWrite) {
  GatedTable gated(*users_, /*async=*/true);
  api_ = std::make_unique<Api>(gated, clock_, log_);
  ASSERT_NO_FATAL_FAILURE(start_server({.async_api = true}));
  Client writer(port_);
  ASSERT_TRUE(writer.send(post_user("async-late")));
  ASSERT_TRUE(eventually([&] { return gated.writes_waiting() == 1; }));
  server_->stop();
  EXPECT_FALSE(run_returned_within(300ms));
  gated.open_gate();
  auto created = writer.read_response();
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(lower(created->header("connection")), "close");
  EXPECT_TRUE(run_returned_within(3s));
  runner_.join();
}

TEST_F(HttpServerTest, ConnectionsAreSpreadOverEveryLoop) {
  // Each loop has one thread: with two loops and no blocking pool, a request held in the Api
  // stops only its own loop. Connections are handed out round robin: the first to the first
  // loop (which also accepts), the second to the other.
  GatedTable gated(*users_);
  api_ = std::make_unique<Api>(gated, clock_, log_);
  ASSERT_NO_FATAL_FAILURE(start_server({}, /*threads=*/2));
  Client first(port_);
  ASSERT_TRUE(first.send(get("/health")));
  ASSERT_TRUE(first.read_response());  // accepted before the second
  Client second(port_);
  ASSERT_TRUE(second.send(post_user("held")));
  ASSERT_TRUE(eventually([&] { return gated.writes_waiting() == 1; }));

  ASSERT_TRUE(first.send(get("/health")));
  auto health = first.read_response();
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  gated.open_gate();
  auto created = second.read_response();
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201) << created->body;
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
