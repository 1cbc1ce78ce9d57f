#include "core/route_table.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>

namespace sbapi {
namespace {

TEST(RouteTableTest, OperationsAndRoutesAreUnique) {
  std::set<std::string_view> operations;
  std::set<std::pair<std::string_view, std::string_view>> routes;
  for (const RouteSpec& r : route_table()) {
    EXPECT_TRUE(operations.insert(r.operation).second) << r.operation;
    EXPECT_TRUE(routes.insert({r.method, r.path}).second) << r.method << " " << r.path;
    EXPECT_FALSE(r.summary.empty()) << r.operation;
  }
  EXPECT_GE(operations.size(), 11u);
}

TEST(RouteTableTest, TheApiAnswersEveryRouteServedEverywhereAndTheServerTheRest) {
  for (const RouteSpec& r : route_table()) {
    const bool api_route = r.group != RouteGroup::kObjects;
    EXPECT_EQ(r.bind != nullptr, api_route) << r.operation;
    // The local issuer's keys, the API document and the operations routes (probes, metrics)
    // are `sbapi serve`'s only.
    const bool everywhere = api_route && r.group != RouteGroup::kAuth &&
                            r.group != RouteGroup::kDocs && r.group != RouteGroup::kOperations;
    EXPECT_EQ(r.served == Served::kEverywhere, everywhere) << r.operation;
  }
  // Only the writes of users complete on the storage's thread.
  for (const RouteSpec& r : route_table()) {
    const bool user_write =
        r.operation == "createUser" || r.operation == "updateUser" || r.operation == "deleteUser";
    EXPECT_EQ(r.bind_async != nullptr, user_write) << r.operation;
  }
}

TEST(RouteTableTest, OnlyHealthTheProbesTheKeysTheDocumentAndTheObjectEndpointArePublic) {
  for (const RouteSpec& r : route_table()) {
    const bool probe = r.group == RouteGroup::kOperations && r.operation != "getMetrics";
    const bool expected = r.group == RouteGroup::kHealth || probe || r.group == RouteGroup::kAuth ||
                          r.group == RouteGroup::kDocs || r.group == RouteGroup::kObjects;
    EXPECT_EQ(r.is_public, expected) << r.operation;
  }
}

TEST(RouteTableTest, MethodListsDeriveFromTheTable) {
  EXPECT_EQ(route_methods(","), "GET,POST,PUT,DELETE,OPTIONS");
  EXPECT_EQ(route_methods(RouteGroup::kObjects, ", "), "GET, HEAD, PUT, OPTIONS");
  EXPECT_EQ(route_methods(RouteGroup::kAssets, ","), "GET,POST,OPTIONS");
}

TEST(RouteTableTest, FindsARouteByOperation) {
  const RouteSpec* get_user = find_route("getUser");
  ASSERT_NE(get_user, nullptr);
  EXPECT_EQ(get_user->method, "GET");
  EXPECT_EQ(get_user->path, "/users/{id}");
  EXPECT_EQ(group_name(get_user->group), "users");
  EXPECT_EQ(find_route("getObject")->path, "/{bucket}/{key}");
  EXPECT_EQ(find_route("noSuchOperation"), nullptr);
}

}  // namespace
}  // namespace sbapi
