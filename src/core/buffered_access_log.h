// An AccessLog that takes the write off the request path.
//
// Contract:
// - `write()` formats the entry exactly as JsonLinesAccessLog does (one JSON line) on the
//   caller's thread and appends it to a buffer; one background thread writes the buffer to `out`
//   and flushes it. A busy server thus makes one write(2) per batch of lines instead of one per
//   request, and a request never waits on a slow terminal or pipe.
// - Lines are never split or interleaved, and lines from one thread keep their order.
// - A line is handed to `out` as soon as the writer thread is free, which is at once unless a
//   batch is being written; the writer then pauses `coalesce` before taking the next batch, so
//   under load lines travel in batches of up to that long.
// - Memory is bounded: with `max_pending_bytes` waiting, `write()` blocks until the writer
//   thread has taken them (back-pressure, never a dropped line).
// - The destructor writes every line still pending, then joins the writer thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "core/access_log.h"

namespace sbapi {

class BufferedAccessLog final : public AccessLog {
 public:
  explicit BufferedAccessLog(std::FILE* out,
                             std::chrono::microseconds coalesce = std::chrono::milliseconds(1),
                             std::size_t max_pending_bytes = 1 << 20);
  ~BufferedAccessLog() override;
  BufferedAccessLog(const BufferedAccessLog&) = delete;
  BufferedAccessLog& operator=(const BufferedAccessLog&) = delete;

  void write(const AccessLogEntry& entry) override;

 private:
  void run_writer();

  std::FILE* const out_;
  const std::chrono::microseconds coalesce_;
  const std::size_t max_pending_bytes_;

  std::mutex mutex_;
  std::condition_variable has_lines_;  // writer waits for lines (or stop)
  std::condition_variable has_room_;   // callers wait for room under back-pressure
  std::string pending_;
  bool stopping_ = false;
  std::thread writer_;  // last: started once everything above exists
};

}  // namespace sbapi
