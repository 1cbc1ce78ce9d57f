// The listing endpoints through Api::handle over real SQLite tables: parameters, page tokens and
// the identity rules. The order and paging semantics of the index itself are the Table
// contract's (tests/contract); here they are checked only as far as the handlers shape them.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <string>
#include <vector>

#include "testing/api_fixture.h"
#include "testing/handler_support.h"

namespace sbapi {
namespace {

using testutil::body_of;
using testutil::error_of;

class ApiListingTest : public testutil::ApiFixture {
 protected:
  Response make_user(const std::string& id, const std::string& email, std::int64_t at,
                     const std::string& token = {}) {
    clock.set(at);
    return call("POST", "/users", token,
                R"({"userId":")" + id + R"(","email":")" + email + R"("})");
  }
  Response make_asset(const std::string& id, std::int64_t at, const std::string& token = {}) {
    clock.set(at);
    return create_asset(id, token);
  }

  // The ids of a listing's items, and its nextToken ("" when null).
  struct Listed {
    int status = 0;
    std::vector<std::string> ids;
    std::string next;
  };
  Listed list(const std::string& target, const std::string& token = {}) {
    const Response r = call("GET", target, token);
    Listed out{r.status, {}, {}};
    if (r.status != 200) return out;
    const auto body = body_of(r).as_object();
    for (const auto& item : body.at("items").as_array()) {
      const auto& o = item.as_object();
      out.ids.emplace_back(o.contains("userId") ? o.at("userId").as_string()
                                                : o.at("assetId").as_string());
    }
    if (!body.at("nextToken").is_null()) out.next = body.at("nextToken").as_string();
    return out;
  }
  // Every page of `target` (which has no nextToken yet) with `limit`.
  std::vector<std::string> walk(const std::string& target, int limit, const std::string& token = {},
                                int* pages = nullptr) {
    std::vector<std::string> ids;
    std::string next;
    const char sep = target.find('?') == std::string::npos ? '?' : '&';
    for (int n = 1;; ++n) {
      const Listed page = list(target + sep + "limit=" + std::to_string(limit) +
                                   (next.empty() ? "" : "&nextToken=" + next),
                               token);
      EXPECT_EQ(page.status, 200);
      ids.insert(ids.end(), page.ids.begin(), page.ids.end());
      if (pages != nullptr) *pages = n;
      if (page.status != 200 || page.next.empty()) return ids;
      next = page.next;
    }
  }
};

constexpr std::int64_t kT = 1'750'000'000;

TEST_F(ApiListingTest, UsersComeNewestFirstTiesByIdDescendingAcrossPages) {
  ASSERT_EQ(make_user("a", "a@x.co", kT).status, 201);
  ASSERT_EQ(make_user("c", "c@x.co", kT).status, 201);
  ASSERT_EQ(make_user("b", "b@x.co", kT).status, 201);
  ASSERT_EQ(make_user("z", "z@x.co", kT - 5).status, 201);
  ASSERT_EQ(make_user("n", "n@x.co", kT + 5).status, 201);
  int pages = 0;
  EXPECT_EQ(walk("/users", 2, {}, &pages), (std::vector<std::string>{"n", "c", "b", "a", "z"}));
  EXPECT_EQ(pages, 3);
}

TEST_F(ApiListingTest, APageOfExactlyTheRestHasANullToken) {
  for (const char* id : {"a", "b", "c", "d"}) ASSERT_EQ(make_user(id, "e@x.co", kT).status, 201);
  int pages = 0;
  EXPECT_EQ(walk("/users", 2, {}, &pages).size(), 4u);
  EXPECT_EQ(pages, 2);  // not a third, empty page
  const Listed all = list("/users?limit=4");
  EXPECT_EQ(all.ids.size(), 4u);
  EXPECT_EQ(all.next, "");
}

TEST_F(ApiListingTest, TheDefaultLimitIs25AndLimitMayChangeBetweenPages) {
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(make_user("u" + std::to_string(100 + i), "e@x.co", kT + i).status, 201);
  }
  const Listed first = list("/users");
  EXPECT_EQ(first.ids.size(), 25u);
  EXPECT_EQ(first.ids.front(), "u129");
  ASSERT_FALSE(first.next.empty());
  const Listed rest = list("/users?limit=100&nextToken=" + first.next);
  EXPECT_EQ(rest.ids, (std::vector<std::string>{"u104", "u103", "u102", "u101", "u100"}));
  EXPECT_EQ(rest.next, "");
}

TEST_F(ApiListingTest, LimitOutsideOneToAHundredIs400) {
  for (const char* bad : {"0", "101", "-1", "1.5", "", "+5", "%205", "5%20", "abc", "0x10",
                          "99999999999999999999", "0000000101", "1e1"}) {
    const Response r = call("GET", std::string("/users?limit=") + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(error_of(r), "limit must be a whole number from 1 to 100") << bad;
  }
  EXPECT_EQ(call("GET", "/users?limit=100").status, 200);
  EXPECT_EQ(call("GET", "/users?limit=001").status, 200);
  EXPECT_EQ(call("GET", "/users?limit=000000100").status, 200);
}

TEST_F(ApiListingTest, UnknownParametersAndValuesAre400NamingThem) {
  EXPECT_EQ(error_of(call("GET", "/users?status=pending")), "Unknown query parameter: status");
  EXPECT_EQ(error_of(call("GET", "/assets?email=a@b.co")), "Unknown query parameter: email");
  EXPECT_EQ(error_of(call("GET", "/assets?status=deleted")), "status must be pending or uploaded");
  EXPECT_EQ(error_of(call("GET", "/users?email=nope")),
            "email must be a valid address of 3 to 254 characters");
  EXPECT_EQ(error_of(call("GET", "/users?nextToken=abc")), "Invalid nextToken");
}

TEST_F(ApiListingTest, EmailSearchFoldsAsciiCaseAndTakesPlusLiterally) {
  ASSERT_EQ(make_user("u1", "Ann+News@Example.com", kT).status, 201);
  ASSERT_EQ(make_user("u2", "ann+news@example.com", kT + 1).status, 201);
  ASSERT_EQ(make_user("u3", "ann-news@example.com", kT + 2).status, 201);
  EXPECT_EQ(list("/users?email=ANN+news@EXAMPLE.COM").ids, (std::vector<std::string>{"u2", "u1"}));
  EXPECT_EQ(list("/users?email=ann%2Bnews%40example.com").ids,
            (std::vector<std::string>{"u2", "u1"}));
  EXPECT_TRUE(list("/users?email=other@example.com").ids.empty());
}

TEST_F(ApiListingTest, AssetsByStatusAndAll) {
  ASSERT_EQ(make_asset("a1", kT).status, 201);
  ASSERT_EQ(make_asset("a2", kT + 1).status, 201);
  ASSERT_TRUE(assets->update_if_exists("a1", {{{"status", "uploaded"}}, {}}).value());
  EXPECT_EQ(list("/assets").ids, (std::vector<std::string>{"a2", "a1"}));
  EXPECT_EQ(list("/assets?status=uploaded").ids, std::vector<std::string>{"a1"});
  EXPECT_EQ(list("/assets?status=pending").ids, std::vector<std::string>{"a2"});
}

TEST_F(ApiListingTest, ATokenContinuesOnlyTheQueryThatIssuedIt) {
  for (const char* id : {"a", "b", "c"}) ASSERT_EQ(make_user(id, "e@x.co", kT).status, 201);
  for (const char* id : {"a", "b", "c"}) ASSERT_EQ(make_asset(id, kT).status, 201);
  const std::string users_token = list("/users?limit=1").next;
  const std::string email_token = list("/users?email=e@x.co&limit=1").next;
  const std::string assets_token = list("/assets?limit=1").next;
  ASSERT_FALSE(users_token.empty());
  EXPECT_EQ(list("/users?limit=1&nextToken=" + users_token).status, 200);
  EXPECT_EQ(list("/users?email=e@x.co&limit=1&nextToken=" + email_token).status, 200);
  for (const std::string& target :
       {"/users?email=e@x.co&nextToken=" + users_token,
        "/users?email=f@x.co&nextToken=" + email_token, "/users?nextToken=" + email_token,
        "/assets?nextToken=" + users_token, "/assets?status=pending&nextToken=" + assets_token}) {
    const Response r = call("GET", target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_EQ(error_of(r), "Invalid nextToken") << target;
  }
}

TEST_F(ApiListingTest, TokensDependOnTheSecretNotTheProcess) {
  for (const char* id : {"a", "b"}) ASSERT_EQ(make_user(id, "e@x.co", kT).status, 201);
  int loads = 0;
  auto secret = [&loads]() -> StoreResult<std::string> {
    ++loads;
    return std::string(40, 'k');
  };
  api->sign_page_tokens(secret);
  EXPECT_EQ(call("GET", "/users/a").status, 200);
  EXPECT_EQ(loads, 0);  // only a listing needs the secret
  const std::string token = list("/users?limit=1").next;
  EXPECT_EQ(loads, 1);
  // "Restart": a new Api with the same secret accepts it, one with another does not.
  Api restarted(*users, clock, log);
  restarted.sign_page_tokens(secret);
  Request r{"GET", "/users", "limit=1&nextToken=" + token, {}, ""};
  const Response same = restarted.handle(r);
  EXPECT_EQ(same.status, 200);
  EXPECT_EQ(body_of(same).at("items").as_array()[0].at("userId"), "a");
  Api other(*users, clock, log);
  other.sign_page_tokens([] { return StoreResult<std::string>(std::string(40, 'o')); });
  EXPECT_EQ(other.handle(r).status, 400);
}

TEST_F(ApiListingTest, ASecretThatCannotBeLoadedIs503) {
  ASSERT_EQ(make_user("a", "e@x.co", kT).status, 201);
  ASSERT_EQ(make_user("b", "e@x.co", kT).status, 201);
  api->sign_page_tokens([] {
    return StoreResult<std::string>(
        std::unexpected(StoreError{StoreError::Kind::kUnavailable, "down"}));
  });
  const Response r = call("GET", "/users?limit=1");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.header("retry-after"), nullptr);
  EXPECT_EQ(call("GET", "/users?limit=5").status, 200);  // one page: no token to sign
}

TEST_F(ApiListingTest, WithAuthANonAdminListsOnlyTheirOwnAssets) {
  ASSERT_EQ(make_asset("ownerless", kT - 10).status, 201);  // made with auth off: no owner
  api->require_tokens(verifier);
  ASSERT_EQ(make_asset("a1", kT, "alice-token").status, 201);
  ASSERT_EQ(make_asset("b1", kT + 1, "bob-token").status, 201);
  ASSERT_EQ(make_asset("a2", kT + 2, "alice-token").status, 201);
  ASSERT_EQ(make_asset("r1", kT + 3, "admin-token").status, 201);
  ASSERT_TRUE(assets->update_if_exists("a1", {{{"status", "uploaded"}}, {}}).value());
  EXPECT_EQ(list("/assets").status, 401);
  EXPECT_EQ(walk("/assets", 1, "alice-token"), (std::vector<std::string>{"a2", "a1"}));
  EXPECT_EQ(walk("/assets?status=uploaded", 1, "alice-token"), std::vector<std::string>{"a1"});
  EXPECT_EQ(walk("/assets?status=pending", 1, "alice-token"), std::vector<std::string>{"a2"});
  EXPECT_EQ(list("/assets", "bob-token").ids, std::vector<std::string>{"b1"});
  EXPECT_EQ(list("/assets", "admin-token").ids,
            (std::vector<std::string>{"r1", "a2", "b1", "a1", "ownerless"}));
  EXPECT_EQ(list("/assets?status=pending", "admin-token").ids,
            (std::vector<std::string>{"r1", "a2", "b1", "ownerless"}));
  // A token is bound to its caller: alice's cannot continue bob's listing.
  const std::string alice_next = list("/assets?limit=1", "alice-token").next;
  ASSERT_FALSE(alice_next.empty());
  EXPECT_EQ(list("/assets?limit=1&nextToken=" + alice_next, "alice-token").ids,
            std::vector<std::string>{"a1"});
  EXPECT_EQ(call("GET", "/assets?limit=1&nextToken=" + alice_next, "bob-token").status, 400);
}

TEST_F(ApiListingTest, WithAuthOnlyAdminsListEveryUserAndOthersFindOnlyThemselves) {
  ASSERT_EQ(make_user("alice", "Shared@x.co", kT).status, 201);  // made with auth off
  ASSERT_EQ(make_user("bob", "shared@x.co", kT + 1).status, 201);
  api->require_tokens(verifier);
  const Response all = call("GET", "/users", "alice-token");
  EXPECT_EQ(all.status, 403);
  EXPECT_EQ(error_of(all), "Only admins may list every user");
  EXPECT_EQ(list("/users", "admin-token").ids, (std::vector<std::string>{"bob", "alice"}));
  EXPECT_EQ(list("/users?email=shared@X.CO", "alice-token").ids, std::vector<std::string>{"alice"});
  EXPECT_TRUE(list("/users?email=other@x.co", "alice-token").ids.empty());
  EXPECT_EQ(list("/users?email=shared@x.co", "admin-token").ids,
            (std::vector<std::string>{"bob", "alice"}));
  EXPECT_TRUE(list("/users?email=shared@x.co", "odd-token").ids.empty());  // owns no user
  EXPECT_EQ(error_of(call("GET", "/users?email=shared@x.co&nextToken=x", "alice-token")),
            "Invalid nextToken");
}

}  // namespace
}  // namespace sbapi
