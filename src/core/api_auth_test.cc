// Authentication and ownership through Api::handle: the users and assets routes over real SQLite
// tables and the real local presigner. Tokens are checked by a TokenVerifier that knows a fixed
// set of tokens: this tests the Api's rules, not token cryptography (src/auth/ has those tests).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <array>
#include <string>

#include "testing/api_fixture.h"
#include "testing/handler_support.h"

namespace sbapi {
namespace {

using testutil::body_of;
using testutil::error_of;

using ApiAuthTest = testutil::ApiFixture;

TEST_F(ApiAuthTest, OffByDefaultEveryRouteIsOpenAndAssetsHaveNoOwner) {
  EXPECT_FALSE(api->authentication_on());
  EXPECT_EQ(create_user("u1", "").status, 201);
  EXPECT_EQ(call("GET", "/users/u1").status, 200);
  const Response asset = create_asset("a1", "");
  EXPECT_EQ(asset.status, 201);
  EXPECT_FALSE(body_of(asset).at("asset").as_object().contains("ownerId"));
  EXPECT_EQ(verifier.calls, 0);
}

TEST_F(ApiAuthTest, WithoutATokenEveryProtectedRouteIs401WithABearerChallenge) {
  api->require_tokens(verifier);
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"POST", "/users"},
                                                        {"GET", "/users/u1"},
                                                        {"PUT", "/users/u1"},
                                                        {"DELETE", "/users/u1"},
                                                        {"POST", "/assets"},
                                                        {"GET", "/assets/a1"},
                                                        {"GET", "/assets/a1/download"}}) {
    const Response r = call(method, path, "", "{}");
    EXPECT_EQ(r.status, 401) << method << " " << path;
    ASSERT_NE(r.header("www-authenticate"), nullptr);
    EXPECT_EQ(*r.header("www-authenticate"), R"(Bearer realm="sbapi")");
    EXPECT_EQ(error_of(r), "Authentication required: send Authorization: Bearer <token>");
  }
  EXPECT_EQ(verifier.calls, 0);
}

TEST_F(ApiAuthTest, PublicRoutesNeedNoToken) {
  api->require_tokens(verifier);
  EXPECT_EQ(call("GET", "/health").status, 200);
  EXPECT_EQ(call("OPTIONS", "/users/u1").status, 204);
  api->publish_jwks(R"({"keys":[]})");
  const Response jwks = call("GET", "/.well-known/jwks.json");
  EXPECT_EQ(jwks.status, 200);
  EXPECT_EQ(jwks.body, R"({"keys":[]})");
  constexpr std::array<StaticFile, 1> page{{{"index.html", "text/html", "<p>docs</p>"}}};
  api->publish_docs("openapi: 3.0.3", page);
  EXPECT_EQ(call("GET", "/openapi.yaml").body, "openapi: 3.0.3");
  EXPECT_EQ(call("GET", "/docs").body, "<p>docs</p>");
  EXPECT_EQ(call("GET", "/docs/index.html").body, "<p>docs</p>");
  EXPECT_EQ(call("GET", "/docs/missing.js").status, 404);
  EXPECT_EQ(verifier.calls, 0);
}

TEST_F(ApiAuthTest, ProbesArePublicAndMetricsAreForAdmins) {
  api->require_tokens(verifier);
  api->serve_operations({{"storage", [] { return std::nullopt; }}},
                        [] { return std::string("sbapi_up 1\n"); });
  EXPECT_EQ(call("GET", "/health/live").status, 200);
  EXPECT_EQ(call("GET", "/health/ready").status, 200);
  EXPECT_EQ(call("GET", "/metrics").status, 401);
  EXPECT_EQ(call("GET", "/metrics", "alice-token").status, 403);
  const Response metrics = call("GET", "/metrics", "admin-token");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.body, "sbapi_up 1\n");
  EXPECT_EQ(*metrics.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
}

TEST_F(ApiAuthTest, WithAuthenticationOffMetricsAreOpenAndWithoutARendererAbsent) {
  api->serve_operations({}, {});
  EXPECT_EQ(call("GET", "/metrics").status, 404);
  EXPECT_EQ(call("GET", "/health/ready").status, 200);
}

TEST_F(ApiAuthTest, AnUnknownPathIs404AndAWrongMethod405BeforeAnyToken) {
  api->require_tokens(verifier);
  EXPECT_EQ(call("GET", "/nope").status, 404);
  EXPECT_EQ(call("PATCH", "/users/u1").status, 405);
}

TEST_F(ApiAuthTest, ABadTokenIs401InvalidTokenAndNothingIsWritten) {
  api->require_tokens(verifier);
  const Response r = create_user("alice", "forged");
  EXPECT_EQ(r.status, 401);
  ASSERT_NE(r.header("www-authenticate"), nullptr);
  EXPECT_EQ(*r.header("www-authenticate"),
            R"(Bearer realm="sbapi", error="invalid_token", error_description="Invalid token")");
  EXPECT_EQ(create_user("alice", "alice-token").status, 201);  // it was not created before
}

TEST_F(ApiAuthTest, TheSchemeIsCaseInsensitiveAndOtherSchemesAreNoToken) {
  api->require_tokens(verifier);
  ASSERT_EQ(create_user("alice", "alice-token").status, 201);
  for (const char* header :
       {"bearer alice-token", "BEARER   alice-token", "Bearer alice-token  "}) {
    Request r{"GET", "/users/alice", "", {{"authorization", header}}, ""};
    EXPECT_EQ(api->handle(r).status, 200) << header;
  }
  Request basic{"GET", "/users/alice", "", {{"authorization", "Basic YWxpY2U6cHc="}}, ""};
  const Response r = api->handle(basic);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(*r.header("www-authenticate"), R"(Bearer realm="sbapi")");
}

TEST_F(ApiAuthTest, MalformedOrRepeatedCredentialsAreRefused) {
  api->require_tokens(verifier);
  for (const char* header : {"Bearer", "Bearer ", "Bearer a b", "Bearer a=b", "Bearer ä"}) {
    Request r{"GET", "/users/alice", "", {{"authorization", header}}, ""};
    const Response response = api->handle(r);
    EXPECT_EQ(response.status, 401) << header;
    EXPECT_EQ(error_of(response), "Malformed bearer token") << header;
  }
  Request twice{"GET",
                "/users/alice",
                "",
                {{"authorization", "Bearer alice-token"}, {"authorization", "Bearer alice-token"}},
                ""};
  const Response r = api->handle(twice);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r), "Repeated Authorization header");
  EXPECT_EQ(verifier.calls, 0);
}

TEST_F(ApiAuthTest, ACallerActsOnlyOnTheUserWhoseIdIsItsSubject) {
  api->require_tokens(verifier);
  EXPECT_EQ(create_user("alice", "alice-token").status, 201);
  EXPECT_EQ(create_user("bob", "bob-token").status, 201);
  const Response other = create_user("carol", "alice-token");
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(error_of(other), "You may only act on your own user");
  EXPECT_EQ(call("GET", "/users/alice", "alice-token").status, 200);
  EXPECT_EQ(call("GET", "/users/bob", "alice-token").status, 403);
  EXPECT_EQ(call("PUT", "/users/bob", "alice-token", R"({"name":"x"})").status, 403);
  EXPECT_EQ(call("DELETE", "/users/bob", "alice-token").status, 403);
  EXPECT_EQ(call("GET", "/users/bob", "bob-token").status, 200);  // bob is untouched
  EXPECT_EQ(body_of(call("GET", "/users/bob", "bob-token")).as_object().count("name"), 0u);
  EXPECT_EQ(call("GET", "/users/carol", "admin-token").status, 404);  // never created
}

TEST_F(ApiAuthTest, ABadRequestIs400BeforeTheOwnershipCheck) {
  api->require_tokens(verifier);
  ASSERT_EQ(create_user("bob", "bob-token").status, 201);
  EXPECT_EQ(call("PUT", "/users/bob", "alice-token", R"({"ttl":1})").status, 400);
  EXPECT_EQ(call("POST", "/users", "alice-token", R"({"userId":"bob"})").status, 400);
  EXPECT_EQ(call("GET", "/users/bad%20id", "alice-token").status, 400);
}

TEST_F(ApiAuthTest, AnAdminActsOnEveryUser) {
  api->require_tokens(verifier);
  EXPECT_EQ(create_user("carol", "admin-token").status, 201);
  EXPECT_EQ(create_user("alice", "alice-token").status, 201);
  EXPECT_EQ(call("GET", "/users/alice", "admin-token").status, 200);
  EXPECT_EQ(call("PUT", "/users/alice", "admin-token", R"({"name":"A"})").status, 200);
  EXPECT_EQ(call("DELETE", "/users/alice", "admin-token").status, 200);
}

TEST_F(ApiAuthTest, ASubjectThatIsNotAUserIdOwnsNoUser) {
  api->require_tokens(verifier);
  const Response r = call("GET", "/users/alice", "odd-token");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(error_of(r), "Your token's subject is not a valid userId, so it owns no user");
}

TEST_F(ApiAuthTest, AssetsBelongToTheirCreatorAndAreInvisibleToOthers) {
  api->require_tokens(verifier);
  const Response created = create_asset("a1", "alice-token");
  ASSERT_EQ(created.status, 201);
  EXPECT_EQ(body_of(created).at("asset").at("ownerId"), "alice");
  EXPECT_EQ(call("GET", "/assets/a1", "alice-token").status, 200);
  EXPECT_EQ(call("GET", "/assets/a1/download", "alice-token").status, 200);

  for (const char* path : {"/assets/a1", "/assets/a1/download"}) {
    const Response hidden = call("GET", path, "bob-token");
    EXPECT_EQ(hidden.status, 404) << path;
    EXPECT_EQ(hidden.body, call("GET", "/assets/none", "bob-token").body) << path;
    EXPECT_EQ(call("GET", path, "admin-token").status, 200) << path;
  }
}

TEST_F(ApiAuthTest, AnAssetIdHeldByAnotherOwnerIs409AndTheAssetIsUnchanged) {
  api->require_tokens(verifier);
  ASSERT_EQ(create_asset("a1", "alice-token").status, 201);
  const Response taken = create_asset("a1", "bob-token");
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(error_of(taken), "assetId is already taken");
  EXPECT_FALSE(body_of(taken).as_object().contains("uploadUrl"));
  // The owner's repeat is the usual idempotent answer.
  const Response again = create_asset("a1", "alice-token");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(body_of(again).at("asset").at("ownerId"), "alice");
  EXPECT_EQ(create_asset("a1", "admin-token").status, 200);
}

TEST_F(ApiAuthTest, OwnerIdIsTheServers) {
  api->require_tokens(verifier);
  const Response r = call("POST", "/assets", "alice-token",
                          R"({"assetId":"a1","fileName":"f.txt","ownerId":"bob"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r), "ownerId is set by the server");
}

TEST_F(ApiAuthTest, RecordsMadeWithAuthOffAreSeenOnlyByAdmins) {
  ASSERT_EQ(create_asset("old", "").status, 201);
  api->require_tokens(verifier);
  EXPECT_EQ(call("GET", "/assets/old", "alice-token").status, 404);
  EXPECT_EQ(create_asset("old", "alice-token").status, 409);
  EXPECT_EQ(call("GET", "/assets/old", "admin-token").status, 200);
}

TEST_F(ApiAuthTest, TransportIdentityIsTrustedAndItsAbsenceIs401) {
  api->trust_transport_identity();
  Request r{"GET", "/users/alice", "", {{"authorization", "Bearer alice-token"}}, ""};
  EXPECT_EQ(api->handle(r).status, 401);  // a header alone proves nothing here
  EXPECT_EQ(verifier.calls, 0);
  RequestContext context;
  context.identity = Identity{"alice", {}, false};
  Request create{"POST", "/users", "", {}, R"({"userId":"alice","email":"a@example.com"})"};
  EXPECT_EQ(api->handle(create, context).status, 201);
  EXPECT_EQ(api->handle(r, context).status, 200);
  context.identity = Identity{"bob", {}, false};
  EXPECT_EQ(api->handle(r, context).status, 403);
}

}  // namespace
}  // namespace sbapi
