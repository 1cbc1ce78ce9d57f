// Background deletion of expired items.
//
// Reads already hide expired items; the sweeper only reclaims their space. It runs on its own
// thread every `interval` and stops (promptly, without waiting out the interval) when destroyed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace sbapi {

class SqliteTable;

class TtlSweeper {
 public:
  TtlSweeper(std::vector<SqliteTable*> tables, std::chrono::milliseconds interval);
  ~TtlSweeper();
  TtlSweeper(const TtlSweeper&) = delete;
  TtlSweeper& operator=(const TtlSweeper&) = delete;

 private:
  void run();

  std::vector<SqliteTable*> tables_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sbapi
