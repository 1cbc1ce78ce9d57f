#include "adapters/sqlite/write_queue.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <exception>
#include <string>

namespace sbapi::sqlite {
namespace {

// Statements of the batch transaction, kept as strings so that the connection's statement cache
// prepares each once.
const std::string kBegin = "BEGIN IMMEDIATE";
const std::string kCommit = "COMMIT";
const std::string kRollback = "ROLLBACK";
const std::string kSavepoint = "SAVEPOINT write";
const std::string kRollbackTo = "ROLLBACK TO write";
const std::string kRelease = "RELEASE write";

std::expected<void, StoreError> step(Connection& conn, const std::string& sql) {
  auto stmt = conn.prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  int rc = stmt->step();
  if (rc != SQLITE_DONE) {
    return std::unexpected(to_store_error(rc, sql + ": " + sqlite3_errmsg(conn.raw())));
  }
  return {};
}

bool in_transaction(Connection& conn) { return sqlite3_get_autocommit(conn.raw()) == 0; }

// A write's exception must not escape the leader: the other writers would never be woken.
std::expected<void, StoreError> run_guarded(const WriteQueue::Write& write, Connection& conn) {
  try {
    return write(conn);
  } catch (const std::exception& e) {
    return std::unexpected(
        StoreError{StoreError::Kind::kInternal, std::string("write: ") + e.what()});
  } catch (...) {
    return std::unexpected(StoreError{StoreError::Kind::kInternal, "write: unknown exception"});
  }
}

}  // namespace

WriteQueue::WriteQueue(ConnectionPool& writer, std::size_t max_batch)
    : writer_(writer),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      committer_([this] { run_committer(); }) {
  batch_.reserve(max_batch_);
}

WriteQueue::~WriteQueue() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  committer_wake_.notify_one();
  committer_.join();  // once every submitted write is complete
}

std::expected<void, StoreError> WriteQueue::run(const Write& write) {
  Writer self(write);
  std::unique_lock lock(mutex_);
  queue_.push_back(&self);
  while (!self.done && queue_.front() != &self) self.wake.wait(lock);
  if (self.done) return std::move(*self.result);  // a leader ran it
  lead(lock, &self);
  return std::move(*self.result);
}

void WriteQueue::submit(Write write, Completion done) {
  auto* writer = new Writer(std::move(write), std::move(done));  // owned by the queue until done
  bool front = false;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(writer);
    front = queue_.front() == writer;
  }
  if (front) committer_wake_.notify_one();
}

void WriteQueue::lead(std::unique_lock<std::mutex>& lock, Writer* self) {
  // Everything queued so far (up to max_batch_) goes into one transaction. Writers arriving
  // meanwhile queue behind it and form the next batch.
  const std::size_t size = std::min(queue_.size(), max_batch_);
  batch_.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(size));
  lock.unlock();
  try {
    run_batch(batch_);
  } catch (...) {
    // Only an allocation can fail here; every writer must still be answered, or those waiting
    // would wait for ever.
    for (Writer* writer : batch_) {
      if (!writer->result) {
        writer->result = std::unexpected(StoreError{StoreError::Kind::kInternal, "write batch"});
      }
    }
  }
  lock.lock();
  std::vector<Writer*> submitted;
  for (Writer* writer : batch_) {
    queue_.pop_front();
    writer->done = true;
    if (writer->completion) {
      submitted.push_back(writer);
    } else if (writer != self) {
      // Under the lock: once it is released, a woken writer may return and destroy its `wake`.
      writer->wake.notify_one();
    }
  }
  wake_next_leader_locked();
  ++completing_;
  lock.unlock();
  for (Writer* writer : submitted) {
    try {
      writer->completion(std::move(*writer->result));
    } catch (...) {
      // A completion's failure is its own; the queue and the other writes go on.
    }
    delete writer;
  }
  lock.lock();
  if (--completing_ == 0 && queue_.empty()) idle_.notify_all();
}

void WriteQueue::wait_until_idle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && completing_ == 0; });
}

void WriteQueue::wake_next_leader_locked() {
  if (queue_.empty()) {
    if (stopping_) committer_wake_.notify_one();
    return;
  }
  if (queue_.front()->completion) {
    committer_wake_.notify_one();
  } else {
    queue_.front()->wake.notify_one();
  }
}

void WriteQueue::run_committer() {
  std::unique_lock lock(mutex_);
  for (;;) {
    committer_wake_.wait(lock, [this] {
      return (stopping_ && queue_.empty()) || (!queue_.empty() && queue_.front()->completion);
    });
    if (queue_.empty()) return;  // stopping, and nothing left
    lead(lock, nullptr);
  }
}

void WriteQueue::run_batch(std::span<Writer* const> batch) {
  auto fail_all = [&](const StoreError& error) {
    for (Writer* writer : batch) writer->result = std::unexpected(error);
  };
  const auto began = std::chrono::steady_clock::now();
  auto lease = writer_.acquire();
  if (!lease) return fail_all(lease.error());
  Connection& conn = **lease;
  // Whatever fails below leaves no transaction open for the next batch.
  auto abort = [&](const StoreError& error) {
    if (in_transaction(conn)) (void)step(conn, kRollback);
    fail_all(error);
  };
  if (in_transaction(conn)) (void)step(conn, kRollback);  // an earlier ROLLBACK failed
  if (auto begun = step(conn, kBegin); !begun) return abort(begun.error());

  for (Writer* writer : batch) {
    if (auto saved = step(conn, kSavepoint); !saved) return abort(saved.error());
    writer->result = run_guarded(*writer->write, conn);
    if (!writer->result->has_value()) {
      // Some errors (a full disk, I/O) make SQLite roll back the whole transaction itself.
      if (!in_transaction(conn)) return abort(writer->result->error());
      if (auto undone = step(conn, kRollbackTo); !undone) return abort(undone.error());
    }
    if (auto released = step(conn, kRelease); !released) return abort(released.error());
  }

  // The one fsync of the batch. Until it returns nothing of the batch is acknowledged.
  if (auto committed = step(conn, kCommit); !committed) return abort(committed.error());
  commits_.fetch_add(1);
  observer_.load(std::memory_order_acquire)
      ->committed(batch.size(), std::chrono::steady_clock::now() - began);
}

std::size_t WriteQueue::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

}  // namespace sbapi::sqlite
