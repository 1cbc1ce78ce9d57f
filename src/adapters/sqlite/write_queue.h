// Group commit: the one queue through which every write of a SQLite database goes.
//
// A database file has one WAL and one write lock, so its writes are serialised anyway; this
// queue makes them share fsyncs instead of each paying for one (leader/follower, as leveldb's
// DBImpl::Write). A write is a callable that runs its statements on the writer connection.
// Callers enqueue their write and wait; the caller at the front becomes the leader, takes up to
// `max_batch` queued writes and runs them in ONE `BEGIN IMMEDIATE … COMMIT`, each inside its own
// SAVEPOINT, then marks them done and hands the lead to the next caller in line.
//
// Contract:
//   - `run` returns only after the COMMIT of its batch returned: a success is durable (WAL,
//     synchronous=FULL) and visible to every read that starts afterwards; no other connection
//     sees it before.
//   - The writes of a batch run in queue order, and each sees those before it.
//   - A write that returns an error (or throws) is rolled back to its savepoint and gets its
//     own error; the other writes of the batch are unaffected.
//   - When the transaction fails (no writer connection, BEGIN, a savepoint, COMMIT, or a write's
//     error after which SQLite rolled the whole transaction back, e.g. a full disk), every write
//     of the batch gets that error and none of them is committed.
//   - A write runs on the leader's thread while its caller waits: it must not enter the queue
//     again or take a connection from a pool (in memory the writer is the pool's only one), and
//     it should be short, since the whole batch waits for it.
//   - `submit` is the same without a waiting caller: the write joins the queue like any other
//     and its completion is called once its batch is committed (or has failed), on the thread
//     that led the batch — a waiting writer's, or the queue's own committer thread, which leads
//     whenever the write at the front has no caller waiting. A completion must be short and
//     must not enter the queue. The destructor waits until every submitted write is complete.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "adapters/sqlite/sqlite_connection.h"
#include "adapters/sqlite/sqlite_observer.h"
#include "core/store_error.h"

namespace sbapi::sqlite {

class WriteQueue {
 public:
  using Write = std::function<std::expected<void, StoreError>(Connection&)>;

  using Completion = std::function<void(std::expected<void, StoreError>)>;

  static constexpr std::size_t kDefaultMaxBatch = 128;

  // Batches run on a connection leased from `writer` (which must outlive the queue).
  explicit WriteQueue(ConnectionPool& writer, std::size_t max_batch = kDefaultMaxBatch);
  ~WriteQueue();
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // Runs `write` in the next batch; returns once that batch is committed or has failed.
  std::expected<void, StoreError> run(const Write& write);

  // Queues `write` and returns at once; `done` gets its result once its batch is committed (or
  // has failed), on another thread.
  void submit(Write write, Completion done);

  // Waits until no write is queued or running and no completion is being called. A server calls
  // it after it stops, before what the completions refer to goes away.
  void wait_until_idle();

  // `run` for a write with a result (`F(Connection&) -> StoreResult<T>`): the value is handed
  // out only once the batch is committed.
  template <typename F>
  std::invoke_result_t<F&, Connection&> write(F&& write);

  // Reports each successful COMMIT to `observer` (which must outlive the queue); may be called
  // while writes run.
  void observe(SqliteObserver& observer) { observer_.store(&observer, std::memory_order_release); }

  // Successful COMMITs so far (tests and benchmarks: writes ÷ commits = mean batch size).
  [[nodiscard]] std::uint64_t commits() const { return commits_.load(); }
  // Writes enqueued and not yet done, the running batch included (tests).
  [[nodiscard]] std::size_t queued() const;

 private:
  struct Writer {
    explicit Writer(const Write& w) : write(&w) {}
    Writer(Write w, Completion c) : owned(std::move(w)), write(&owned), completion(std::move(c)) {}
    Write owned;  // a submitted write's own copy
    const Write* write;
    Completion completion;  // set for a submitted write, which no caller waits for
    std::optional<std::expected<void, StoreError>> result;
    bool done = false;
    std::condition_variable wake;  // done, or at the front of the queue (waiting writers only)
  };

  // With the lock held and the batch at the front of the queue: runs it, marks it done, wakes
  // its waiting writers and the next leader, and calls the completions of its submitted writes
  // (without the lock). `self`: the leading waiting writer, if any (it is not woken).
  void lead(std::unique_lock<std::mutex>& lock, Writer* self);
  void wake_next_leader_locked();
  void run_committer();
  void run_batch(std::span<Writer* const> batch);

  ConnectionPool& writer_;
  const std::size_t max_batch_;
  mutable std::mutex mutex_;
  std::deque<Writer*> queue_;   // the running batch first, in order
  std::vector<Writer*> batch_;  // the running batch; only its leader touches it
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<SqliteObserver*> observer_{&no_sqlite_observer()};
  std::condition_variable committer_wake_;  // a submitted write is at the front, or stopping
  std::condition_variable idle_;            // the queue emptied and no completion is running
  std::size_t completing_ = 0;              // batches whose completions are being called
  bool stopping_ = false;
  std::thread committer_;  // last: started once everything above exists
};

template <typename F>
std::invoke_result_t<F&, Connection&> WriteQueue::write(F&& write) {
  using Result = std::invoke_result_t<F&, Connection&>;
  std::optional<typename Result::value_type> value;
  auto done = run([&](Connection& conn) -> std::expected<void, StoreError> {
    auto result = write(conn);
    if (!result) return std::unexpected(std::move(result.error()));
    value = std::move(*result);
    return {};
  });
  if (!done) return std::unexpected(std::move(done.error()));
  return std::move(*value);
}

}  // namespace sbapi::sqlite
