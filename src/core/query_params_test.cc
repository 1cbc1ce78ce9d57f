#include "core/query_params.h"

#include <gtest/gtest.h>

#include "testing/handler_support.h"

namespace sbapi {
namespace {

using testutil::error_of;

std::string refusal(std::string_view raw) {
  auto parsed = parse_query(raw, {"email", "limit", "nextToken"});
  if (parsed) return "accepted";
  EXPECT_EQ(parsed.error().status, 400) << raw;
  return error_of(parsed.error());
}

TEST(QueryParamsTest, DecodesPairsAndKeepsPlusAsPlus) {
  auto parsed = parse_query("email=a+b%40x.co&limit=5&nextToken", {"email", "limit", "nextToken"});
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->get("email"), "a+b@x.co");
  EXPECT_EQ(parsed->get("limit"), "5");
  EXPECT_EQ(parsed->get("nextToken"), "");  // present, empty
  EXPECT_FALSE(parsed->get("status"));
}

TEST(QueryParamsTest, AnEmptyQueryHasNoPairs) {
  auto parsed = parse_query("", {"limit"});
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->get("limit"));
}

TEST(QueryParamsTest, RefusesWhatItCannotReadOrDoesNotKnow) {
  EXPECT_EQ(refusal("limit=%zz"), "Malformed percent-encoding in the query string");
  EXPECT_EQ(refusal("limit=1%4"), "Malformed percent-encoding in the query string");
  EXPECT_EQ(refusal("li%mit=1"), "Malformed percent-encoding in the query string");
  EXPECT_EQ(refusal("=1"), "Empty query parameter name");
  EXPECT_EQ(refusal("limit=1&&email=a"), "Empty query parameter name");
  EXPECT_EQ(refusal("limit=1&"), "Empty query parameter name");
  EXPECT_EQ(refusal("foo=1"), "Unknown query parameter: foo");
  EXPECT_EQ(refusal("Limit=1"), "Unknown query parameter: Limit");  // names are case-sensitive
  EXPECT_EQ(refusal("limit=1&limit=2"), "Repeated query parameter: limit");
  EXPECT_EQ(refusal("limit=1&li%6dit=2"), "Repeated query parameter: limit");
  EXPECT_EQ(refusal("email=" + std::string(kMaxQueryValueBytes + 1, 'a')),
            "Query parameter email is too long");
  EXPECT_EQ(refusal("email=" + std::string(kMaxQueryValueBytes, 'a')), "accepted");
}

TEST(QueryParamsTest, EchoesOnlyShortPrintableNames) {
  EXPECT_EQ(refusal("%00x=1"), "Unknown query parameter");
  EXPECT_EQ(refusal("%ff%fe=1"), "Unknown query parameter");
  EXPECT_EQ(refusal("a%22b=1"), "Unknown query parameter");
  EXPECT_EQ(refusal("a%20b=1"), "Unknown query parameter");
  EXPECT_EQ(refusal(std::string(65, 'n') + "=1"), "Unknown query parameter");
  EXPECT_EQ(refusal(std::string(64, 'n') + "=1"),
            "Unknown query parameter: " + std::string(64, 'n'));
}

}  // namespace
}  // namespace sbapi
