#include "core/buffered_access_log.h"

#include <utility>

namespace sbapi {

BufferedAccessLog::BufferedAccessLog(std::FILE* out, std::chrono::microseconds coalesce,
                                     std::size_t max_pending_bytes)
    : out_(out),
      coalesce_(coalesce),
      max_pending_bytes_(max_pending_bytes),
      writer_([this] { run_writer(); }) {}

BufferedAccessLog::~BufferedAccessLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  has_lines_.notify_one();
  writer_.join();
}

void BufferedAccessLog::write(const AccessLogEntry& entry) {
  std::string line = JsonLinesAccessLog::format(entry, now_epoch_micros());
  line += '\n';
  bool first = false;
  {
    std::unique_lock lock(mutex_);
    has_room_.wait(lock, [this] { return pending_.size() < max_pending_bytes_; });
    first = pending_.empty();
    pending_ += line;
  }
  // Only the first line of a batch needs to wake the writer; the others find it awake (and a
  // notify with no waiter is no system call). Outside the lock, so the writer does not wake
  // only to wait for it.
  if (first) has_lines_.notify_one();
}

void BufferedAccessLog::run_writer() {
  std::string batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    has_lines_.wait(lock, [this] { return !pending_.empty() || stopping_; });
    if (pending_.empty()) return;  // stopping, and everything is written
    batch.swap(pending_);          // pending_ keeps the old batch's capacity
    lock.unlock();
    has_room_.notify_all();
    std::fwrite(batch.data(), 1, batch.size(), out_);
    std::fflush(out_);
    batch.clear();
    if (coalesce_.count() > 0) std::this_thread::sleep_for(coalesce_);
    lock.lock();
  }
}

}  // namespace sbapi
