#include "core/readiness.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "testing/handler_support.h"

namespace sbapi {
namespace {

using testutil::body_of;

TEST(ReadinessTest, ReadyWhenEveryCheckHolds) {
  const std::array<ReadinessCheck, 2> checks{
      {{"storage", [] { return std::nullopt; }}, {"disk", [] { return std::nullopt; }}}};
  const Response r = readiness_response(checks);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body_of(r).at("status"), "ready");
  EXPECT_EQ(body_of(r).at("checks").at("storage"), "ok");
  EXPECT_EQ(body_of(r).at("checks").at("disk"), "ok");
  EXPECT_EQ(r.header("retry-after"), nullptr);
}

TEST(ReadinessTest, NotReadyNamesTheFirstFailureAndRunsEveryCheck) {
  int runs = 0;
  const std::array<ReadinessCheck, 3> checks{{{"storage",
                                               [&]() -> std::optional<std::string> {
                                                 ++runs;
                                                 return std::nullopt;
                                               }},
                                              {"disk",
                                               [&]() -> std::optional<std::string> {
                                                 ++runs;
                                                 return "less than 64 MiB free";
                                               }},
                                              {"token_keys", [&]() -> std::optional<std::string> {
                                                 ++runs;
                                                 return "no keys";
                                               }}}};
  const Response r = readiness_response(checks);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(body_of(r).at("status"), "not ready");
  EXPECT_EQ(body_of(r).at("reason"), "disk: less than 64 MiB free");
  EXPECT_EQ(body_of(r).at("checks").at("storage"), "ok");
  EXPECT_EQ(body_of(r).at("checks").at("token_keys"), "no keys");
  ASSERT_NE(r.header("retry-after"), nullptr);
  EXPECT_EQ(*r.header("retry-after"), "5");
}

TEST(ReadinessTest, NoChecksIsReady) { EXPECT_EQ(readiness_response({}).status, 200); }

}  // namespace
}  // namespace sbapi
