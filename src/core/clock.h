// Wall-clock time as Unix epoch seconds, behind an interface so tests can pin it.
#pragma once

#include <cstdint>

namespace sbapi {

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual std::int64_t now_seconds() const = 0;
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] std::int64_t now_seconds() const override;
};

// A clock that reads whatever the test sets.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(std::int64_t now) : now_(now) {}
  [[nodiscard]] std::int64_t now_seconds() const override { return now_; }
  void set(std::int64_t now) { now_ = now; }

 private:
  std::int64_t now_;
};

}  // namespace sbapi
