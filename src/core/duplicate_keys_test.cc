#include "core/duplicate_keys.h"

#include <gtest/gtest.h>

namespace sbapi {
namespace {

TEST(DuplicateKeysTest, FindsARepeatedKeyAtAnyDepth) {
  EXPECT_TRUE(has_duplicate_keys(R"({"userId":"me","userId":"victim"})"));
  EXPECT_TRUE(has_duplicate_keys(R"({"a":1,"b":{"c":1,"c":2}})"));
  EXPECT_TRUE(has_duplicate_keys(R"([{"x":1},{"y":1,"y":1}])"));
  // The same key spelt with an escape is the same key.
  EXPECT_TRUE(has_duplicate_keys(R"({"email":"a","\u0065mail":"b"})"));
}

TEST(DuplicateKeysTest, SameKeysInDifferentObjectsAreFine) {
  EXPECT_FALSE(has_duplicate_keys(R"({"userId":"u1","email":"a@b.co"})"));
  EXPECT_FALSE(has_duplicate_keys(R"({"a":{"x":1},"b":{"x":1}})"));
  EXPECT_FALSE(has_duplicate_keys(R"([{"x":1},{"x":2}])"));
  EXPECT_FALSE(has_duplicate_keys("{}"));
}

TEST(DuplicateKeysTest, InvalidJsonIsNotItsBusiness) {
  EXPECT_FALSE(has_duplicate_keys("{"));
  EXPECT_FALSE(has_duplicate_keys(""));
  EXPECT_FALSE(has_duplicate_keys("nonsense"));
}

}  // namespace
}  // namespace sbapi
