#include "core/random_seed.h"

#include <gtest/gtest.h>

#include <set>

namespace sbapi {
namespace {

TEST(RandomSeed, SeedsDiffer) {
  std::set<std::uint64_t> seeds;
  for (int i = 0; i < 64; ++i) seeds.insert(random_seed());
  EXPECT_EQ(seeds.size(), 64U);  // 64 bits each: a repeat means it is not random
}

}  // namespace
}  // namespace sbapi
