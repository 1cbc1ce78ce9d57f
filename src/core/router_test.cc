#include "core/router.h"

#include <gtest/gtest.h>

namespace sbapi {
namespace {

Handler tagged(const std::string& tag) {
  return [tag](const Request&, const PathParams& params, const Caller&) {
    Response r;
    r.body = tag + ":" + std::string(params.get("id"));
    return r;
  };
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router.add("POST", "/users", tagged("create"));
    router.add("GET", "/users/{id}", tagged("get"));
    router.add("PUT", "/users/{id}", tagged("put"));
    router.add("DELETE", "/users/{id}", tagged("delete"));
    router.add("GET", "/assets/{id}/download", tagged("download"));
  }
  std::string call(std::string_view method, std::string_view path) {
    auto m = router.match(method, path);
    if (m.kind != Router::Match::Kind::kFound) return "none";
    return (*m.handler)(Request{}, m.params, Caller::anyone()).body;
  }
  Router router;
};

TEST_F(RouterTest, MatchesLiteralAndParameterRoutes) {
  EXPECT_EQ(call("POST", "/users"), "create:");
  EXPECT_EQ(call("GET", "/users/u1"), "get:u1");
  EXPECT_EQ(call("PUT", "/users/u1"), "put:u1");
  EXPECT_EQ(call("DELETE", "/users/u1"), "delete:u1");
  EXPECT_EQ(call("GET", "/assets/a9/download"), "download:a9");
}

TEST_F(RouterTest, ReportsTheTemplateOfTheMatchedRoute) {
  EXPECT_EQ(router.match("GET", "/users/abc").route, "/users/{id}");
  EXPECT_EQ(router.match("PATCH", "/users/abc").route, "/users/{id}");
}

TEST_F(RouterTest, PercentDecodesParameters) { EXPECT_EQ(call("GET", "/users/a%2Fb"), "get:a/b"); }

TEST_F(RouterTest, UnknownPathsAreNotFound) {
  for (std::string_view path : {"/", "/nope", "/users/a/b", "/users/", "/users//", "", "users",
                                "/assets/a/download/x", "/nope/%zz"}) {
    EXPECT_EQ(router.match("GET", path).kind, Router::Match::Kind::kNotFound) << path;
  }
}

// Issue 12: "/users/%zz" answered 404, where a malformed id is the client's error.
TEST_F(RouterTest, ABadlyEncodedParameterIsMalformedNotUnknown) {
  for (std::string_view path : {"/users/%zz", "/users/%4", "/users/a%", "/assets/%g0/download"}) {
    const auto m = router.match("GET", path);
    EXPECT_EQ(m.kind, Router::Match::Kind::kMalformedPath) << path;
    EXPECT_FALSE(m.route.empty()) << path;
  }
  // A route that matches despite another's bad parameter still wins.
  router.add("GET", "/users/%zz", tagged("literal"));
  EXPECT_EQ(call("GET", "/users/%zz"), "literal:");
}

TEST_F(RouterTest, WrongMethodListsTheAllowedOnes) {
  auto m = router.match("PATCH", "/users/u1");
  EXPECT_EQ(m.kind, Router::Match::Kind::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, PUT, DELETE");
  auto c = router.match("GET", "/users");
  EXPECT_EQ(c.kind, Router::Match::Kind::kMethodNotAllowed);
  EXPECT_EQ(c.allow, "POST");
}

TEST_F(RouterTest, MethodsAreCaseSensitive) {
  EXPECT_EQ(router.match("get", "/users/u1").kind, Router::Match::Kind::kMethodNotAllowed);
}

TEST_F(RouterTest, ListsRoutesInRegistrationOrder) {
  auto routes = router.routes();
  ASSERT_EQ(routes.size(), 5u);
  EXPECT_EQ(routes[0].method, "POST");
  EXPECT_EQ(routes[4].path_template, "/assets/{id}/download");
}

TEST(PercentDecode, DecodesAndRejectsMalformedEscapes) {
  std::string out;
  EXPECT_TRUE(percent_decode("a%20b%41", out));
  EXPECT_EQ(out, "a bA");
  EXPECT_FALSE(percent_decode("a%2", out));
  EXPECT_FALSE(percent_decode("%", out));
  EXPECT_FALSE(percent_decode("%g1", out));
}

}  // namespace
}  // namespace sbapi
