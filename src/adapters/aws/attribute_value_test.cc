#include "adapters/aws/attribute_value.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdint>
#include <limits>

namespace sbapi::aws {
namespace {

namespace json = boost::json;

json::value av(const json::value& v) {
  auto r = to_attribute_value(v);
  EXPECT_TRUE(r) << (r ? "" : r.error());
  return r ? *r : json::value();
}

json::value back(const json::value& attribute) {
  auto r = from_attribute_value(attribute);
  EXPECT_TRUE(r) << (r ? "" : r.error());
  return r ? *r : json::value();
}

TEST(AttributeValue, ScalarsMarshalToTheirTypes) {
  EXPECT_EQ(av("x"), json::parse(R"({"S":"x"})"));
  EXPECT_EQ(av(""), json::parse(R"({"S":""})"));
  EXPECT_EQ(av(true), json::parse(R"({"BOOL":true})"));
  EXPECT_EQ(av(nullptr), json::parse(R"({"NULL":true})"));
  EXPECT_EQ(av(0), json::parse(R"({"N":"0"})"));
  EXPECT_EQ(av(-42), json::parse(R"({"N":"-42"})"));
  EXPECT_EQ(av(1.5), json::parse(R"({"N":"1.5"})"));
}

TEST(AttributeValue, IntegersRoundTripExactlyAtTheEdges) {
  const json::value cases[] = {
      json::value(std::numeric_limits<std::int64_t>::max()),
      json::value(std::numeric_limits<std::int64_t>::min()),
      json::value(std::numeric_limits<std::uint64_t>::max()),
      json::value(std::int64_t{9'007'199'254'740'993}),  // not representable as a double
      json::value(0),
      json::value(-1)};
  for (const auto& v : cases) {
    const auto attribute = av(v);
    const auto round = back(attribute);
    EXPECT_EQ(round, v) << json::serialize(attribute);
    EXPECT_EQ(round.kind(), v.kind()) << json::serialize(attribute);
  }
  EXPECT_EQ(av(std::numeric_limits<std::uint64_t>::max()).at("N"), "18446744073709551615");
  EXPECT_EQ(av(std::numeric_limits<std::int64_t>::min()).at("N"), "-9223372036854775808");
}

TEST(AttributeValue, DecimalsUseTheShortestRoundTripForm) {
  for (double d : {0.1, -2.5, 1e-7, 123456.789, 1.7976931348623157e308, 5e-324}) {
    const auto attribute = av(d);
    const auto round = back(attribute);
    ASSERT_TRUE(round.is_double()) << json::serialize(attribute);
    EXPECT_EQ(round.get_double(), d) << json::serialize(attribute);
  }
  EXPECT_EQ(av(0.1).at("N"), "0.1");
}

TEST(AttributeValue, NumbersAsDynamoDbWritesThemComeBackAsJsonNumbers) {
  EXPECT_EQ(number_from_string("5").value(), json::value(5));
  EXPECT_EQ(number_from_string("-0").value(), json::value(0));
  EXPECT_EQ(number_from_string("5.0").value(), json::value(5));  // integral decimal → integer
  EXPECT_EQ(number_from_string("1E+2").value(), json::value(100));
  EXPECT_EQ(number_from_string("0.25").value(), json::value(0.25));
  EXPECT_EQ(number_from_string("+7").value(), json::value(7));
  // Beyond 64 bits: the nearest double, still a number.
  EXPECT_TRUE(number_from_string("123456789012345678901234567890").value().is_double());
  EXPECT_FALSE(number_from_string(""));
  EXPECT_FALSE(number_from_string("12abc"));
  EXPECT_FALSE(number_from_string("NaN"));
}

TEST(AttributeValue, NanAndInfinityCannotBeStored) {
  EXPECT_FALSE(to_attribute_value(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_FALSE(to_attribute_value(std::numeric_limits<double>::infinity()));
  EXPECT_FALSE(to_attribute_map(json::object{{"bad", -std::numeric_limits<double>::infinity()}}));
}

TEST(AttributeValue, NestedMapsAndListsRoundTrip) {
  const json::object item = json::parse(R"({
    "userId": "u1", "n": 3, "tags": ["a", 1, true, null, {"x": [1.5, {"y": "z"}]}],
    "profile": {"name": "Zoë", "empty": {}, "list": []}})")
                                .as_object();
  auto attributes = to_attribute_map(item);
  ASSERT_TRUE(attributes);
  EXPECT_EQ(attributes->at("tags"),
            json::parse(R"({"L":[{"S":"a"},{"N":"1"},{"BOOL":true},{"NULL":true},
                                 {"M":{"x":{"L":[{"N":"1.5"},{"M":{"y":{"S":"z"}}}]}}}]})"));
  EXPECT_EQ(attributes->at("profile").at("M").at("empty"), json::parse(R"({"M":{}})"));
  auto round = from_attribute_map(*attributes);
  ASSERT_TRUE(round);
  EXPECT_EQ(*round, item);
}

TEST(AttributeValue, SetTypesFromOtherWritersBecomeArrays) {
  EXPECT_EQ(back(json::parse(R"({"SS":["a","b"]})")), json::parse(R"(["a","b"])"));
  EXPECT_EQ(back(json::parse(R"({"NS":["1","2.5"]})")), json::parse(R"([1,2.5])"));
}

TEST(AttributeValue, MalformedAttributeValuesAreErrorsNotCrashes) {
  for (const char* bad : {R"({})", R"({"S":1})", R"({"N":"x"})", R"({"Q":"x"})",
                          R"({"S":"a","N":"1"})", R"("plain")", R"({"M":[]})", R"({"L":{}})"}) {
    EXPECT_FALSE(from_attribute_value(json::parse(bad))) << bad;
  }
  EXPECT_FALSE(from_attribute_map(json::parse(R"({"a":{"BOOL":"yes"}})").as_object()));
}

TEST(AttributeValue, AbsurdNestingIsRefused) {
  json::value deep = 1;
  for (int i = 0; i < 40; ++i) deep = json::array{deep};
  EXPECT_FALSE(to_attribute_value(deep));
}

}  // namespace
}  // namespace sbapi::aws
