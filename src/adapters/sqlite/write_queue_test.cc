#include "adapters/sqlite/write_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "testing/temp_dir.h"

namespace sbapi::sqlite {
namespace {

using testutil::TempDir;

using Result = std::expected<void, StoreError>;

void wait_until_queued(const WriteQueue& queue, std::size_t n) {
  while (queue.queued() < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

Result insert(Connection& conn, const std::string& key) {
  auto stmt = conn.prepare("INSERT INTO t (k) VALUES (?1)");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, key);
  if (int rc = stmt->step(); rc != SQLITE_DONE)
    return std::unexpected(to_store_error(rc, "insert"));
  return {};
}

// On a private in-memory database: the queue and the test share the pool's one connection.
class WriteQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // foreign_keys is a no-op inside a transaction, so it is set before any batch runs.
    auto conn = pool.acquire();
    ASSERT_TRUE(conn);
    ASSERT_TRUE(
        (*conn)->exec("PRAGMA foreign_keys=ON;"
                      "CREATE TABLE t (k TEXT PRIMARY KEY);"
                      "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
                      "CREATE TABLE child (parent INTEGER REFERENCES parent (id)"
                      "  DEFERRABLE INITIALLY DEFERRED);"));
  }

  std::vector<std::string> keys() {
    auto conn = pool.acquire();
    auto stmt = (*conn)->prepare("SELECT k FROM t ORDER BY k");
    std::vector<std::string> out;
    while (stmt->step() == SQLITE_ROW) out.emplace_back(stmt->column_text(0));
    return out;
  }

  // Runs `write` on a new thread once `ahead` writes are queued, so that queue order is known:
  // the writes behind a gate (below) stay queued, so the count only grows until the gate opens.
  std::thread enqueue_after(std::size_t ahead, WriteQueue::Write write, Result& result) {
    wait_until_queued(queue, ahead);
    return std::thread([this, write = std::move(write), &result] { result = queue.run(write); });
  }

  // The first write blocks the queue until `n` writes (itself included) are queued: those
  // behind it then form one batch.
  WriteQueue::Write gate(std::size_t n) {
    return [this, n](Connection&) -> Result {
      wait_until_queued(queue, n);
      return {};
    };
  }

  ConnectionPool pool{":memory:", 1};
  WriteQueue queue{pool};
};

TEST_F(WriteQueueTest, AWriteIsCommittedBeforeRunReturns) {
  ASSERT_TRUE(queue.run([](Connection& conn) { return insert(conn, "a"); }));
  EXPECT_EQ(queue.commits(), 1u);
  EXPECT_EQ(keys(), std::vector<std::string>{"a"});
  EXPECT_EQ(queue.queued(), 0u);
}

TEST_F(WriteQueueTest, WritesQueuedBehindABatchShareTheNextCommit) {
  Result gate_result, r1, r2, r3;
  auto gate_thread = enqueue_after(0, gate(4), gate_result);
  auto t1 = enqueue_after(
      1, [](Connection& c) { return insert(c, "a"); }, r1);
  auto t2 = enqueue_after(
      2, [](Connection& c) { return insert(c, "b"); }, r2);
  auto t3 = enqueue_after(
      3, [](Connection& c) { return insert(c, "c"); }, r3);
  for (auto* t : {&gate_thread, &t1, &t2, &t3}) t->join();
  EXPECT_TRUE(gate_result && r1 && r2 && r3);
  EXPECT_EQ(queue.commits(), 2u);  // the gate alone, then the three together
  EXPECT_EQ(keys(), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(WriteQueueTest, AFailingWriteIsRolledBackAloneAndGetsItsOwnError) {
  Result gate_result, r1, r2, r3;
  auto gate_thread = enqueue_after(0, gate(4), gate_result);
  auto t1 = enqueue_after(
      1, [](Connection& c) { return insert(c, "a"); }, r1);
  auto t2 = enqueue_after(
      2,
      [](Connection& c) -> Result {
        if (auto r = insert(c, "b"); !r) return r;  // written, then undone by its savepoint
        return std::unexpected(StoreError{StoreError::Kind::kUnavailable, "b failed"});
      },
      r2);
  auto t3 = enqueue_after(
      3, [](Connection& c) { return insert(c, "c"); }, r3);
  for (auto* t : {&gate_thread, &t1, &t2, &t3}) t->join();
  EXPECT_TRUE(r1);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().kind, StoreError::Kind::kUnavailable);
  EXPECT_EQ(r2.error().detail, "b failed");
  EXPECT_TRUE(r3);
  EXPECT_EQ(queue.commits(), 2u);
  EXPECT_EQ(keys(), (std::vector<std::string>{"a", "c"}));
}

TEST_F(WriteQueueTest, AFailingStatementIsRolledBackAloneToo) {
  ASSERT_TRUE(queue.run([](Connection& c) { return insert(c, "dup"); }));
  Result gate_result, r1, r2, r3;
  auto gate_thread = enqueue_after(0, gate(4), gate_result);
  auto t1 = enqueue_after(
      1, [](Connection& c) { return insert(c, "a"); }, r1);
  auto t2 = enqueue_after(
      2,
      [](Connection& c) -> Result {
        if (auto r = insert(c, "b"); !r) return r;
        return insert(c, "dup");  // a constraint violation from SQLite itself
      },
      r2);
  auto t3 = enqueue_after(
      3, [](Connection& c) { return insert(c, "c"); }, r3);
  for (auto* t : {&gate_thread, &t1, &t2, &t3}) t->join();
  EXPECT_TRUE(r1);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().kind, StoreError::Kind::kInternal);
  EXPECT_TRUE(r3);
  EXPECT_EQ(keys(), (std::vector<std::string>{"a", "c", "dup"}));
}

TEST_F(WriteQueueTest, AThrowingWriteGetsAnInternalErrorAndTheOthersCommit) {
  Result gate_result, r1, r2;
  auto gate_thread = enqueue_after(0, gate(3), gate_result);
  auto t1 = enqueue_after(
      1,
      [](Connection& c) -> Result {
        (void)insert(c, "thrown");
        throw std::runtime_error("boom");
      },
      r1);
  auto t2 = enqueue_after(
      2, [](Connection& c) { return insert(c, "kept"); }, r2);
  for (auto* t : {&gate_thread, &t1, &t2}) t->join();
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error().kind, StoreError::Kind::kInternal);
  EXPECT_TRUE(r2);
  EXPECT_EQ(keys(), std::vector<std::string>{"kept"});
}

TEST_F(WriteQueueTest, AWriteSeesTheEarlierWritesOfItsBatch) {
  Result gate_result, r1, r2;
  int seen = -1;
  auto gate_thread = enqueue_after(0, gate(3), gate_result);
  auto t1 = enqueue_after(
      1, [](Connection& c) { return insert(c, "first"); }, r1);
  auto t2 = enqueue_after(
      2,
      [&seen](Connection& c) -> Result {
        auto stmt = c.prepare("SELECT count(*) FROM t WHERE k = 'first'");
        if (!stmt) return std::unexpected(stmt.error());
        if (stmt->step() != SQLITE_ROW) return std::unexpected(StoreError{});
        seen = sqlite3_column_int(stmt->raw(), 0);
        return {};
      },
      r2);
  for (auto* t : {&gate_thread, &t1, &t2}) t->join();
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(queue.commits(), 2u);  // so "first" was not committed yet when it was seen
  EXPECT_EQ(seen, 1);
}

// A real COMMIT failure: a deferred foreign key is checked only at COMMIT, so every statement of
// the batch succeeds and the COMMIT fails (and leaves the transaction open, to be rolled back).
TEST_F(WriteQueueTest, ACommitFailureFailsEveryWriteOfTheBatchAndCommitsNothing) {
  Result gate_result, r1, r2;
  auto gate_thread = enqueue_after(0, gate(3), gate_result);
  auto t1 = enqueue_after(
      1, [](Connection& c) { return insert(c, "lost"); }, r1);
  auto t2 = enqueue_after(
      2, [](Connection& c) { return c.exec("INSERT INTO child (parent) VALUES (42)"); }, r2);
  for (auto* t : {&gate_thread, &t1, &t2}) t->join();
  ASSERT_FALSE(r1);
  ASSERT_FALSE(r2);
  EXPECT_NE(r1.error().detail.find("FOREIGN KEY"), std::string::npos) << r1.error().detail;
  EXPECT_EQ(r2.error().detail, r1.error().detail);
  EXPECT_EQ(queue.commits(), 1u);  // the gate's
  EXPECT_TRUE(keys().empty());
  // The failed transaction was rolled back: the next write commits normally.
  EXPECT_TRUE(queue.run([](Connection& c) { return insert(c, "after"); }));
  EXPECT_EQ(keys(), std::vector<std::string>{"after"});
}

TEST_F(WriteQueueTest, ABatchHoldsAtMostMaxBatchWrites) {
  WriteQueue small(pool, 2);
  std::vector<Result> results(6);
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    results[0] = small.run([&](Connection&) -> Result {
      wait_until_queued(small, 6);
      return {};
    });
  });
  for (std::size_t i = 1; i < 6; ++i) {
    wait_until_queued(small, i);
    threads.emplace_back([&, i] {
      results[i] = small.run([i](Connection& c) { return insert(c, std::to_string(i)); });
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_TRUE(r);
  EXPECT_EQ(small.commits(), 4u);  // the gate, then 2 + 2 + 1
}

TEST_F(WriteQueueTest, WriteHandsOutTheValueOfACommittedWrite) {
  auto value = queue.write([](Connection& c) -> StoreResult<int> {
    if (auto r = insert(c, "v"); !r) return std::unexpected(r.error());
    return c.changes();
  });
  ASSERT_TRUE(value);
  EXPECT_EQ(*value, 1);
  auto failed = queue.write([](Connection&) -> StoreResult<int> {
    return std::unexpected(StoreError{StoreError::Kind::kInternal, "no"});
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().detail, "no");
}

// On a file: many threads, each write durable once acknowledged, far fewer commits than writes.
// ---- submit: writes no caller waits for ----

// Collects the results of submitted writes, and lets a test wait for them.
class Completions {
 public:
  WriteQueue::Completion add(std::string name) {
    return [this, name = std::move(name)](Result result) {
      std::lock_guard lock(mutex_);
      results_.emplace_back(name, std::move(result));
      changed_.notify_all();
    };
  }
  std::vector<std::pair<std::string, Result>> wait_for(std::size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(10), [&] { return results_.size() >= n; });
    return results_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::pair<std::string, Result>> results_;
};

TEST_F(WriteQueueTest, ASubmittedWriteCompletesOnceCommitted) {
  Completions done;
  std::atomic<std::uint64_t> commits_seen{~0ull};
  queue.submit([](Connection& c) { return insert(c, "a"); },
               [&](Result result) {
                 commits_seen = queue.commits();  // the COMMIT is counted before completions run
                 done.add("a")(std::move(result));
               });
  const auto results = done.wait_for(1);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].second);
  EXPECT_EQ(commits_seen.load(), 1u);
  EXPECT_EQ(keys(), std::vector<std::string>{"a"});
}

TEST_F(WriteQueueTest, SubmittedAndWaitingWritesShareABatchInQueueOrder) {
  // A waiting writer holds the queue until three more writes are queued: two submitted ones and
  // a waiting one, in that order. They then share one batch, and the second submitted write
  // fails alone (a duplicate of the first).
  Completions done;
  Result gate_result, waited;
  auto gate_thread = enqueue_after(0, gate(4), gate_result);
  wait_until_queued(queue, 1);
  queue.submit([](Connection& c) { return insert(c, "x"); }, done.add("x"));
  wait_until_queued(queue, 2);
  queue.submit([](Connection& c) { return insert(c, "x"); }, done.add("x again"));
  auto waiter = enqueue_after(
      3, [](Connection& c) { return insert(c, "y"); }, waited);
  gate_thread.join();
  waiter.join();
  const auto results = done.wait_for(2);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].first, "x");  // completions in queue order, on the leader's thread
  EXPECT_TRUE(results[0].second);
  EXPECT_FALSE(results[1].second) << "a duplicate key must fail";
  EXPECT_TRUE(gate_result && waited);
  EXPECT_EQ(queue.commits(), 2u);  // the gate, then x, x again and y together
  EXPECT_EQ(keys(), (std::vector<std::string>{"x", "y"}));
}

TEST_F(WriteQueueTest, ACommitFailureReachesEverySubmittedWriteOfTheBatch) {
  Completions done;
  Result gate_result;
  auto gate_thread = enqueue_after(0, gate(3), gate_result);
  wait_until_queued(queue, 1);
  queue.submit([](Connection& c) { return insert(c, "lost"); }, done.add("lost"));
  wait_until_queued(queue, 2);
  // A child row without its parent: accepted now, refused at COMMIT (deferred foreign key).
  queue.submit([](Connection& c) { return c.exec("INSERT INTO child (parent) VALUES (42)"); },
               done.add("orphan"));
  gate_thread.join();
  const auto results = done.wait_for(2);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[0].second);
  EXPECT_FALSE(results[1].second);
  EXPECT_TRUE(keys().empty());
}

TEST_F(WriteQueueTest, WaitUntilIdleReturnsOnceEverySubmittedWriteIsComplete) {
  std::atomic<int> completed{0};
  for (int i = 0; i < 50; ++i) {
    queue.submit([i](Connection& c) { return insert(c, "w" + std::to_string(i)); },
                 [&completed](Result result) {
                   std::this_thread::sleep_for(std::chrono::microseconds(200));  // a slow one
                   if (result) ++completed;
                 });
  }
  queue.wait_until_idle();
  EXPECT_EQ(completed.load(), 50);
  EXPECT_EQ(queue.queued(), 0u);
  EXPECT_EQ(keys().size(), 50u);
}

TEST(WriteQueueSubmit, TheDestructorWaitsForEverySubmittedWrite) {
  TempDir dir("sbapi-wq");
  const std::string uri = (dir.path() / "q.db").string();
  ConnectionPool writer(uri, 1);
  {
    auto conn = writer.acquire();
    ASSERT_TRUE(conn);
    ASSERT_TRUE((*conn)->exec("CREATE TABLE t (k TEXT PRIMARY KEY)"));
  }
  std::atomic<int> completed{0};
  {
    WriteQueue queue(writer);
    for (int i = 0; i < 200; ++i) {
      queue.submit([i](Connection& c) { return insert(c, "k" + std::to_string(i)); },
                   [&completed](Result result) {
                     if (result) ++completed;
                   });
    }
  }  // destroyed with writes still queued
  EXPECT_EQ(completed.load(), 200);
  auto conn = writer.acquire();
  ASSERT_TRUE(conn);
  auto count = (*conn)->prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count);
  ASSERT_EQ(count->step(), SQLITE_ROW);
  EXPECT_EQ(count->column_text(0), "200");
}

TEST(WriteQueueFile, SixteenThreadsOfWritesAllCommitInFewerTransactions) {
  TempDir dir("sbapi-wq");
  const std::string uri = (dir.path() / "q.db").string();
  ConnectionPool writer(uri, 1);
  WriteQueue queue(writer);
  ASSERT_TRUE(
      queue.run([](Connection& c) { return c.exec("CREATE TABLE t (k TEXT PRIMARY KEY)"); }));
  constexpr int kThreads = 16, kWrites = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        const std::string key = std::to_string(t) + "-" + std::to_string(i);
        if (!queue.run([&](Connection& c) { return insert(c, key); })) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LT(queue.commits(), 1u + kThreads * kWrites);
  // A connection of its own, as a reader: every acknowledged write is there.
  auto reader = Connection::open(uri);
  ASSERT_TRUE(reader);
  auto stmt = (*reader)->prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(stmt);
  ASSERT_EQ(stmt->step(), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt->raw(), 0), kThreads * kWrites);
}

}  // namespace
}  // namespace sbapi::sqlite
