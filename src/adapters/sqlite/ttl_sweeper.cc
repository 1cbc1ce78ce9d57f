#include "adapters/sqlite/ttl_sweeper.h"

#include "adapters/sqlite/sqlite_table.h"

namespace sbapi {

TtlSweeper::TtlSweeper(std::vector<SqliteTable*> tables, std::chrono::milliseconds interval)
    : tables_(std::move(tables)), interval_(interval), thread_([this] { run(); }) {}

TtlSweeper::~TtlSweeper() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void TtlSweeper::run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    // A failed sweep is harmless (reads hide expired items anyway); the next one retries.
    for (auto* table : tables_) (void)table->sweep_expired();
    lock.lock();
  }
}

}  // namespace sbapi
