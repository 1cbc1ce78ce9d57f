// Retries of AWS calls, as SPEC §2 says.
//
// Contract
// - Only a retryable outcome is retried (the caller classifies: throttling, HTTP 5xx, connection
//   errors, timeouts). Everything else — a conditional-check failure, any other 4xx — returns
//   after its first attempt.
// - At most `max_attempts` (3) attempts. Before retry n (n = 1, 2, ...) the caller sleeps
//   base_delay * 2^(n-1) (0.1 s, 0.2 s, then 0.4 s if more attempts were allowed), scaled by a
//   random factor in [1 - jitter, 1 + jitter] so that clients throttled together do not retry in
//   step.
// - Never sleeps past the deadline: when the next sleep would end at or after the deadline, no
//   further attempt is made and the last outcome stands. The deadline is the earlier of the
//   policy's `deadline` hook and the calling thread's `ScopedDeadline` (the Lambda runtime sets
//   one per invocation from Lambda-Runtime-Deadline-Ms).
// - Time, sleeping and randomness are injected (`RetryHooks`) so tests are exact and instant.
// - Thread-safe when the hooks are (the defaults are).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

namespace sbapi::aws {

using SteadyTime = std::chrono::steady_clock::time_point;

struct RetryPolicy {
  int max_attempts = 3;
  std::chrono::milliseconds base_delay{100};
  double jitter = 0.2;  // ± fraction of each delay
};

struct RetryHooks {
  std::function<SteadyTime()> now;                      // default: steady_clock::now
  std::function<void(std::chrono::nanoseconds)> sleep;  // default: this_thread::sleep_for
  std::function<double()> random;                       // uniform in [0, 1); default: per thread
  std::function<std::optional<SteadyTime>()> deadline;  // default: none (besides ScopedDeadline)
};

// Sets the calling thread's deadline for as long as it lives (nests; the inner one wins).
class ScopedDeadline {
 public:
  explicit ScopedDeadline(SteadyTime deadline);
  ~ScopedDeadline();
  ScopedDeadline(const ScopedDeadline&) = delete;
  ScopedDeadline& operator=(const ScopedDeadline&) = delete;

 private:
  std::optional<SteadyTime> previous_;
};

// The calling thread's deadline from ScopedDeadline, if any.
std::optional<SteadyTime> current_thread_deadline();

// An epoch-milliseconds deadline (Lambda-Runtime-Deadline-Ms) on the steady clock.
SteadyTime steady_deadline_from_epoch_ms(std::int64_t epoch_ms);

class Retrier {
 public:
  explicit Retrier(RetryPolicy policy = {}, RetryHooks hooks = {});

  // Calls `attempt(n)` for n = 1, 2, ... until it reports a non-retryable outcome (returns
  // false), the attempts run out, or the next sleep would pass the deadline. Returns the number
  // of attempts made (at least 1).
  int run(const std::function<bool(int attempt)>& attempt) const;

  // The sleep before retry `retry` (1-based), jitter applied.
  [[nodiscard]] std::chrono::nanoseconds delay_before_retry(int retry) const;

  // The effective deadline now (the policy's hook and the thread's ScopedDeadline, earliest).
  [[nodiscard]] std::optional<SteadyTime> deadline() const;
  [[nodiscard]] SteadyTime now() const { return hooks_.now(); }
  [[nodiscard]] const RetryPolicy& policy() const { return policy_; }

 private:
  RetryPolicy policy_;
  RetryHooks hooks_;
};

}  // namespace sbapi::aws
