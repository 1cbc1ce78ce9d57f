#include "core/request_id.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

namespace sbapi {
namespace {

TEST(RequestIdTest, IsALowerCaseVersion4Uuid) {
  const std::regex uuid_v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_request_id();
    EXPECT_TRUE(std::regex_match(id, uuid_v4)) << id;
  }
}

TEST(RequestIdTest, IdsDoNotRepeatAndEveryRandomDigitVaries) {
  std::set<std::string> seen;
  std::string varied(36, ' ');  // a digit position that ever differed from the first id's
  const std::string first = new_request_id();
  for (int i = 0; i < 10000; ++i) {
    const std::string id = new_request_id();
    EXPECT_TRUE(seen.insert(id).second) << id;
    for (std::size_t p = 0; p < id.size(); ++p) {
      if (id[p] != first[p]) varied[p] = 'v';
    }
  }
  // All 32 hex digits but the version digit vary; the dashes and the '4' never do.
  EXPECT_EQ(varied, "vvvvvvvv vvvv  vvv vvvv vvvvvvvvvvvv");
}

}  // namespace
}  // namespace sbapi
