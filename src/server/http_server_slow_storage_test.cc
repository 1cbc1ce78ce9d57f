// HttpServer over real sockets in front of storage that takes as long as the test says: a write
// waiting on storage holds up neither its loop nor the others, and stop() waits for it.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/api.h"
#include "core/table.h"
#include "server/http_server_test_fixture.h"
#include "testing/eventually.h"

namespace sbapi {
namespace {

using namespace std::chrono_literals;
using test_support::Client;
using test_support::get;
using test_support::HttpServerTest;
using test_support::lower;
using test_support::post_user;
using testutil::eventually;

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
  void put_if_absent_async(Item item, PutDone done) override {
    if (!async_) return Table::put_if_absent_async(std::move(item), std::move(done));
    workers_.emplace_back(
        [this, item = std::move(item), done = std::move(done)] { done(put_if_absent(item)); });
  }
  StoreResult<std::optional<Item>> update_if_exists(std::string_view key,
                                                    const ItemUpdate& update) override {
    return inner_.update_if_exists(key, update);
  }
  StoreResult<bool> remove(std::string_view key) override { return inner_.remove(key); }
  StoreResult<ListPage> list(const ListQuery& query) override { return inner_.list(query); }
  StoreResult<Page> scan(const ScanRequest& request) override { return inner_.scan(request); }

 private:
  Table& inner_;
  const bool async_;
  std::vector<std::thread> workers_;  // started on the server's loop, joined here
  std::promise<void> opened_;
  std::shared_future<void> gate_;
  std::atomic<int> waiting_{0};
};

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

}  // namespace
}  // namespace sbapi
