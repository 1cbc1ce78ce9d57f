#include "core/bearer_token.h"

#include <gtest/gtest.h>

namespace sbapi {
namespace {

BearerToken of(std::initializer_list<const char*> values) {
  static Request request;  // the token points into it
  request = Request{};
  for (const char* value : values) request.headers.push_back({"authorization", value});
  return bearer_token(request);
}

TEST(BearerTokenTest, FindsTheTokenWhateverTheSchemesCase) {
  for (const char* value : {"Bearer abc.DEF-_~+/==", "bearer abc.DEF-_~+/==",
                            "BEARER    abc.DEF-_~+/==", "Bearer abc.DEF-_~+/==   "}) {
    const BearerToken bearer = of({value});
    EXPECT_EQ(bearer.kind, BearerToken::Kind::kFound) << value;
    EXPECT_EQ(bearer.token, "abc.DEF-_~+/==") << value;
  }
}

TEST(BearerTokenTest, TellsAbsentOtherSchemeRepeatedAndMalformedApart) {
  EXPECT_EQ(of({}).kind, BearerToken::Kind::kAbsent);
  EXPECT_EQ(of({"Basic dXNlcjpwdw=="}).kind, BearerToken::Kind::kOtherScheme);
  EXPECT_EQ(of({"Bearerx abc"}).kind, BearerToken::Kind::kOtherScheme);
  EXPECT_EQ(of({""}).kind, BearerToken::Kind::kOtherScheme);
  EXPECT_EQ(of({"Bearer a", "Bearer a"}).kind, BearerToken::Kind::kRepeated);
  for (const char* value : {"Bearer", "Bearer ", "Bearer =abc", "Bearer a=b", "Bearer a b",
                            "Bearer a\tb", "Bearer a,b", "Bearer \xc3\xa4", "Bearer \"abc\""}) {
    EXPECT_EQ(of({value}).kind, BearerToken::Kind::kMalformed) << value;
  }
}

TEST(BearerTokenTest, ReadsOnlyTheAuthorizationHeader) {
  Request request;
  request.headers.push_back({"x-authorization", "Bearer abc"});
  request.query = "access_token=abc";
  EXPECT_EQ(bearer_token(request).kind, BearerToken::Kind::kAbsent);
}

}  // namespace
}  // namespace sbapi
