// Test-only, header-only: waiting, with a deadline, for something another thread does.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace sbapi::testutil {

// Polls `condition` until it holds (true) or `timeout` has passed (false).
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace sbapi::testutil
