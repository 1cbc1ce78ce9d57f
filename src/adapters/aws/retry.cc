#include "adapters/aws/retry.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

#include "core/random_seed.h"

namespace sbapi::aws {
namespace {

thread_local std::optional<SteadyTime> thread_deadline;

double default_random() {
  thread_local std::mt19937_64 engine{sbapi::random_seed()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace

ScopedDeadline::ScopedDeadline(SteadyTime deadline) : previous_(thread_deadline) {
  thread_deadline = deadline;
}
ScopedDeadline::~ScopedDeadline() { thread_deadline = previous_; }

std::optional<SteadyTime> current_thread_deadline() { return thread_deadline; }

SteadyTime steady_deadline_from_epoch_ms(std::int64_t epoch_ms) {
  const auto system_now = std::chrono::system_clock::now();
  const auto steady_now = std::chrono::steady_clock::now();
  const auto left =
      std::chrono::milliseconds(epoch_ms) -
      std::chrono::duration_cast<std::chrono::milliseconds>(system_now.time_since_epoch());
  return steady_now + left;
}

Retrier::Retrier(RetryPolicy policy, RetryHooks hooks) : policy_(policy), hooks_(std::move(hooks)) {
  if (!hooks_.now) hooks_.now = [] { return std::chrono::steady_clock::now(); };
  if (!hooks_.sleep)
    hooks_.sleep = [](std::chrono::nanoseconds d) { std::this_thread::sleep_for(d); };
  if (!hooks_.random) hooks_.random = default_random;
  policy_.max_attempts = std::max(1, policy_.max_attempts);
  policy_.jitter = std::clamp(policy_.jitter, 0.0, 1.0);
}

std::chrono::nanoseconds Retrier::delay_before_retry(int retry) const {
  const double nominal = std::chrono::duration<double>(policy_.base_delay).count() *
                         std::ldexp(1.0, std::max(0, retry - 1));
  const double factor = 1.0 + policy_.jitter * (2.0 * hooks_.random() - 1.0);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(nominal * factor));
}

std::optional<SteadyTime> Retrier::deadline() const {
  std::optional<SteadyTime> result = hooks_.deadline ? hooks_.deadline() : std::nullopt;
  if (auto thread = current_thread_deadline(); thread && (!result || *thread < *result)) {
    result = thread;
  }
  return result;
}

int Retrier::run(const std::function<bool(int attempt)>& attempt) const {
  int n = 1;
  while (attempt(n) && n < policy_.max_attempts) {
    const auto delay = delay_before_retry(n);
    if (auto end = deadline(); end && hooks_.now() + delay >= *end) break;
    hooks_.sleep(delay);
    ++n;
  }
  return n;
}

}  // namespace sbapi::aws
