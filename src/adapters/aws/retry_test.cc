#include "adapters/aws/retry.h"

#include <gtest/gtest.h>

#include <vector>

namespace sbapi::aws {
namespace {

using namespace std::chrono_literals;

// A fake steady clock that only moves when the retrier sleeps.
struct FakeTime {
  SteadyTime now{};
  std::vector<std::chrono::nanoseconds> sleeps;
  double random = 0.5;  // no jitter
  std::optional<SteadyTime> deadline;

  RetryHooks hooks() {
    return {[this] { return now; },
            [this](std::chrono::nanoseconds d) {
              sleeps.push_back(d);
              now += d;
            },
            [this] { return random; }, [this] { return deadline; }};
  }
};

TEST(Retrier, ANonRetryableOutcomeIsNotRetried) {
  FakeTime t;
  Retrier retrier({}, t.hooks());
  int calls = 0;
  EXPECT_EQ(retrier.run([&](int) {
    ++calls;
    return false;
  }),
            1);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(t.sleeps.empty());
}

TEST(Retrier, AtMostThreeAttemptsWithDelaysOfPointOneThenPointTwoSeconds) {
  FakeTime t;
  Retrier retrier({}, t.hooks());
  std::vector<int> attempts;
  EXPECT_EQ(retrier.run([&](int n) {
    attempts.push_back(n);
    return true;
  }),
            3);
  EXPECT_EQ(attempts, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(t.sleeps, (std::vector<std::chrono::nanoseconds>{100ms, 200ms}));
  EXPECT_EQ(retrier.delay_before_retry(3), 400ms);  // the next one, were it allowed
}

TEST(Retrier, JitterStaysWithinTwentyPercent) {
  FakeTime t;
  Retrier retrier({}, t.hooks());
  t.random = 0.0;
  EXPECT_EQ(retrier.delay_before_retry(1), 80ms);
  t.random = 0.999999;
  EXPECT_NEAR(std::chrono::duration<double>(retrier.delay_before_retry(2)).count(), 0.24, 1e-5);
  // The default random source, many times.
  Retrier real_random;
  for (int i = 0; i < 1000; ++i) {
    auto d = real_random.delay_before_retry(1);
    EXPECT_GE(d, 80ms);
    EXPECT_LE(d, 120ms);
  }
}

TEST(Retrier, SucceedsOnTheAttemptThatSucceeds) {
  FakeTime t;
  Retrier retrier({}, t.hooks());
  EXPECT_EQ(retrier.run([&](int n) { return n < 2; }), 2);
  EXPECT_EQ(t.sleeps.size(), 1u);
}

TEST(Retrier, NeverSleepsPastTheDeadline) {
  FakeTime t;
  t.deadline = t.now + 250ms;  // room for the 0.1 s sleep, not for 0.1 + 0.2
  Retrier retrier({}, t.hooks());
  EXPECT_EQ(retrier.run([](int) { return true; }), 2);
  EXPECT_EQ(t.sleeps, (std::vector<std::chrono::nanoseconds>{100ms}));
  EXPECT_LE(t.now, *t.deadline);

  FakeTime tight;
  tight.deadline = tight.now + 50ms;  // not even the first sleep fits
  Retrier early({}, tight.hooks());
  EXPECT_EQ(early.run([](int) { return true; }), 1);
  EXPECT_TRUE(tight.sleeps.empty());
}

TEST(Retrier, TheThreadsScopedDeadlineCountsAndNests) {
  FakeTime t;
  t.now = std::chrono::steady_clock::now();
  const SteadyTime start = t.now;
  Retrier retrier({}, t.hooks());
  EXPECT_FALSE(retrier.deadline());
  {
    ScopedDeadline outer(start + 1s);
    EXPECT_EQ(retrier.deadline(), start + 1s);
    {
      ScopedDeadline inner(start + 150ms);
      EXPECT_EQ(retrier.run([](int) { return true; }), 2);  // 0.1 fits, 0.2 more does not
    }
    EXPECT_EQ(current_thread_deadline(), start + 1s);
  }
  EXPECT_FALSE(current_thread_deadline());
}

TEST(Retrier, EpochMillisecondDeadlinesMapOntoTheSteadyClock) {
  const auto epoch_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count() +
                        3000;
  const auto left = steady_deadline_from_epoch_ms(epoch_ms) - std::chrono::steady_clock::now();
  EXPECT_GT(left, 2900ms);
  EXPECT_LE(left, 3001ms);  // epoch_ms was truncated to whole milliseconds
}

}  // namespace
}  // namespace sbapi::aws
