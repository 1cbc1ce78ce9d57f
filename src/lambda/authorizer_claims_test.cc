#include "lambda/authorizer_claims.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace sbapi::lambda {
namespace {

namespace json = boost::json;

std::optional<Identity> identity_of(std::string_view event, EventKind kind,
                                    const IdentityClaims& claims = {}) {
  return authorizer_identity(json::parse(event).as_object(), kind, claims);
}

// Claims as a REST API's Cognito authorizer passes them: every value a string, a list joined
// with ','.
TEST(AuthorizerClaimsTest, RestApiClaims) {
  const auto identity = identity_of(
      R"({"requestContext":{"authorizer":{"claims":{"sub":"alice","cognito:groups":"staff,admin",
          "token_use":"id","exp":"Tue Apr 04 18:39:39 UTC 2023"}}}})",
      EventKind::kApiGatewayV1);
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->subject, "alice");
  EXPECT_EQ(identity->groups, (std::vector<std::string>{"staff", "admin"}));
  EXPECT_TRUE(identity->admin);
}

// Claims as an HTTP API's JWT authorizer passes them: a list as "[a b]".
TEST(AuthorizerClaimsTest, HttpApiClaims) {
  const auto identity = identity_of(
      R"({"requestContext":{"authorizer":{"jwt":{"claims":{"sub":"bob","cognito:groups":"[staff ops]"},
          "scopes":null}}}})",
      EventKind::kHttpApiV2);
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->subject, "bob");
  EXPECT_EQ(identity->groups, (std::vector<std::string>{"staff", "ops"}));
  EXPECT_FALSE(identity->admin);
}

TEST(AuthorizerClaimsTest, AJsonArrayAndOtherClaimNames) {
  IdentityClaims claims;
  claims.subject = "username";
  claims.groups = "roles";
  claims.admin_group = "root";
  const auto identity = identity_of(
      R"({"requestContext":{"authorizer":{"claims":{"username":"carol","roles":["root",7]}}}})",
      EventKind::kApiGatewayV1, claims);
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->subject, "carol");
  EXPECT_EQ(identity->groups, (std::vector<std::string>{"root"}));
  EXPECT_TRUE(identity->admin);
}

TEST(AuthorizerClaimsTest, NoClaimsOrNoSubjectIsNoIdentity) {
  for (const char* event :
       {R"({})", R"({"requestContext":{}})", R"({"requestContext":{"authorizer":{}}})",
        R"({"requestContext":{"authorizer":{"claims":{}}}})",
        R"({"requestContext":{"authorizer":{"claims":{"sub":""}}}})",
        R"({"requestContext":{"authorizer":{"claims":{"sub":5}}}})",
        R"({"requestContext":{"authorizer":{"claims":"sub"}}})"}) {
    EXPECT_FALSE(identity_of(event, EventKind::kApiGatewayV1)) << event;
  }
  // A v2 event's claims are under `jwt`; the v1 place does not count for it.
  EXPECT_FALSE(identity_of(R"({"requestContext":{"authorizer":{"claims":{"sub":"x"}}}})",
                           EventKind::kHttpApiV2));
}

TEST(AuthorizerClaimsTest, RenderedGroups) {
  EXPECT_EQ(rendered_groups(""), std::vector<std::string>{});
  EXPECT_EQ(rendered_groups("[]"), std::vector<std::string>{});
  EXPECT_EQ(rendered_groups("admin"), std::vector<std::string>{"admin"});
  EXPECT_EQ(rendered_groups("a, b"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(rendered_groups("[a  b]"), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace sbapi::lambda
