// The users handlers over the real SQLite table (in memory), with a pinned clock.
#include "core/users_handlers.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/sqlite_table.h"
#include "core/schemas.h"
#include "testing/handler_support.h"

namespace sbapi {
namespace {

using boost::json::object;
using boost::json::value;

constexpr std::int64_t kNow = 1'750'000'000;

using testutil::body_of;
using testutil::body_request;
using testutil::error_of;

class UsersHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db = std::move(*SqliteDatabase::open_in_memory());
    table = std::move(*SqliteTable::open(*db, users_schema(), clock));
    handlers = std::make_unique<UsersHandlers>(*table, clock);
  }
  Response create(std::string body) {
    return handlers->create(body_request(std::move(body)), anyone);
  }
  Response update(std::string_view id, std::string body) {
    return handlers->update(id, body_request(std::move(body)), anyone);
  }

  const Caller anyone = Caller::anyone();
  FixedClock clock{kNow};
  std::unique_ptr<SqliteDatabase> db;
  std::unique_ptr<SqliteTable> table;
  std::unique_ptr<UsersHandlers> handlers;
};

TEST_F(UsersHandlersTest, CreateStoresTheUserWithCreatedAtAndTtl) {
  auto r = create(R"({"userId":"u1","email":"a@b.c","name":"Ann","department":"R&D"})");
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(*r.header("content-type"), "application/json");
  auto body = body_of(r).as_object();
  EXPECT_EQ(body.at("message"), "User created");
  const auto& user = body.at("user").as_object();
  EXPECT_EQ(user.at("userId"), "u1");
  EXPECT_EQ(user.at("name"), "Ann");
  EXPECT_EQ(user.at("department"), "R&D");
  EXPECT_EQ(user.at("createdAt"), kNow);
  EXPECT_EQ(user.at("ttl"), kNow + 90 * 86400);
  EXPECT_EQ(body_of(handlers->get("u1", anyone)), user);
}

TEST_F(UsersHandlersTest, CreateAgainAnswersTheStoredUser) {
  ASSERT_EQ(create(R"({"userId":"u1","email":"a@b.c"})").status, 201);
  clock.set(kNow + 5);
  auto r = create(R"({"userId":"u1","email":"changed@b.c"})");
  ASSERT_EQ(r.status, 200);
  auto body = body_of(r).as_object();
  EXPECT_EQ(body.at("message"), "User already exists");
  EXPECT_EQ(body.at("user").at("email"), "a@b.c");
  EXPECT_EQ(body.at("user").at("createdAt"), kNow);
}

TEST_F(UsersHandlersTest, CreateRequiresUserIdAndEmail) {
  for (const char* body : {R"({"email":"a@b.c"})", R"({"userId":"u1"})", "{}"}) {
    auto r = create(body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_NE(error_of(r).find("required"), std::string::npos) << body;
  }
}

TEST_F(UsersHandlersTest, CreateRejectsBadBodies) {
  struct Case {
    const char* body;
    const char* error_contains;
  };
  for (auto [body, needle] : std::initializer_list<Case>{
           {"not json", "Invalid JSON"},
           {"[1,2]", "JSON object"},
           {"\"str\"", "JSON object"},
           {R"({"userId":5,"email":"a@b.c"})", "userId"},
           {R"({"userId":"u1","email":5})", "email"},
           {R"({"userId":"u1","email":"a@b.c","name":["x"]})", "name"},
           {R"({"userId":"u1","email":"a@b.c","department":null})", "department"},
           {R"({"userId":"u 1","email":"a@b.c"})", "userId"},
           {R"({"userId":"u1","email":"nope"})", "email"},
           {R"({"userId":"u1","email":"a@b.c","role":"admin"})", "role"},
           {R"({"userId":"u1","email":"a@b.c","createdAt":1})", "createdAt"},
           {R"({"userId":"u1","email":"a@b.c","name":"a\u0001b"})", "without control characters"},
       }) {
    auto r = create(body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_NE(error_of(r).find(needle), std::string::npos) << body << " -> " << r.body;
  }
  EXPECT_FALSE(*table->get("u1"));  // nothing stored by any of them
}

TEST_F(UsersHandlersTest, CreateChecksBothSidesOfEachBound) {
  const std::string id128(128, 'i'), id129(129, 'i'), text256(256, 't'), text257(257, 't');
  EXPECT_EQ(create(R"({"userId":")" + id128 + R"(","email":"a@b.c"})").status, 201);
  EXPECT_EQ(create(R"({"userId":")" + id129 + R"(","email":"a@b.c"})").status, 400);
  EXPECT_EQ(create(R"({"userId":"n1","email":"a@b.c","name":")" + text256 + "\"}").status, 201);
  EXPECT_EQ(create(R"({"userId":"n2","email":"a@b.c","name":")" + text257 + "\"}").status, 400);
  EXPECT_EQ(create(R"({"userId":"d1","email":"a@b.c","department":")" + text256 + "\"}").status,
            201);
  EXPECT_EQ(create(R"({"userId":"d2","email":"a@b.c","department":")" + text257 + "\"}").status,
            400);
  EXPECT_EQ(create(R"({"userId":"","email":"a@b.c"})").status, 400);
}

TEST_F(UsersHandlersTest, GetUnknownIs404) {
  auto r = handlers->get("ghost", anyone);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_of(r), "User not found");
  EXPECT_EQ(handlers->get("bad id", anyone).status, 400);
}

TEST_F(UsersHandlersTest, UpdateChangesOnlyTheGivenFields) {
  ASSERT_EQ(create(R"({"userId":"u1","email":"a@b.c","name":"Ann"})").status, 201);
  clock.set(kNow + 60);
  auto r = update("u1", R"({"department":"Ops","name":"Anna"})");
  ASSERT_EQ(r.status, 200);
  auto user = body_of(r).as_object();
  EXPECT_EQ(user.at("email"), "a@b.c");
  EXPECT_EQ(user.at("name"), "Anna");
  EXPECT_EQ(user.at("department"), "Ops");
  EXPECT_EQ(user.at("createdAt"), kNow);
  EXPECT_EQ(user.at("ttl"), kNow + 90 * 86400);
  EXPECT_EQ(user.at("updatedAt"), kNow + 60);
  EXPECT_EQ(body_of(handlers->get("u1", anyone)), user);
}

TEST_F(UsersHandlersTest, UpdateRejectsServerOwnedUnknownAndInvalidFields) {
  ASSERT_EQ(create(R"({"userId":"u1","email":"a@b.c"})").status, 201);
  for (const char* body :
       {R"({"userId":"u2"})", R"({"createdAt":1})", R"({"ttl":1})", R"({"updatedAt":1})",
        R"({"role":"x"})", R"({"email":"bad"})", R"({"name":1})", "{}", "[]", "nope"}) {
    EXPECT_EQ(update("u1", body).status, 400) << body;
  }
  auto r = update("u1", R"({"createdAt":1})");
  EXPECT_NE(error_of(r).find("createdAt"), std::string::npos);
  EXPECT_FALSE(body_of(handlers->get("u1", anyone)).as_object().contains("updatedAt"));
}

TEST_F(UsersHandlersTest, UpdateOfAMissingUserIs404AndCreatesNothing) {
  auto r = update("ghost", R"({"name":"x"})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_of(r), "User not found");
  EXPECT_EQ(handlers->get("ghost", anyone).status, 404);
}

TEST_F(UsersHandlersTest, DeleteThenGetIs404) {
  ASSERT_EQ(create(R"({"userId":"u1","email":"a@b.c"})").status, 201);
  auto r = handlers->remove("u1", anyone);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body_of(r).at("message"), "User deleted successfully");
  EXPECT_EQ(handlers->get("u1", anyone).status, 404);
  EXPECT_EQ(handlers->remove("u1", anyone).status, 404);
}

TEST_F(UsersHandlersTest, AnExpiredUserIsGone) {
  ASSERT_EQ(create(R"({"userId":"u1","email":"a@b.c"})").status, 201);
  clock.set(kNow + 90 * 86400);
  EXPECT_EQ(handlers->get("u1", anyone).status, 404);
  EXPECT_EQ(create(R"({"userId":"u1","email":"a@b.c"})").status, 201);
}

// A table whose storage always fails: the only way to see the 503 path without breaking a disk.
class FailingTable final : public Table {
 public:
  explicit FailingTable(StoreError::Kind kind) : error_{kind, "disk on fire"} {}
  const TableSchema& schema() const override { return schema_; }
  StoreResult<std::optional<Item>> get(std::string_view) override { return fail(); }
  StoreResult<PutResult> put_if_absent(const Item&) override { return fail(); }
  StoreResult<std::optional<Item>> update_if_exists(std::string_view, const ItemUpdate&) override {
    return fail();
  }
  StoreResult<bool> remove(std::string_view) override { return fail(); }
  StoreResult<ListPage> list(const ListQuery&) override { return fail(); }
  StoreResult<Page> scan(const ScanRequest&) override { return fail(); }

 private:
  std::unexpected<StoreError> fail() const { return std::unexpected(error_); }
  StoreError error_;
  TableSchema schema_ = users_schema();
};

TEST(UsersHandlersStorageFailure, UnavailableStorageIs503WithRetryAfterAndNoDetail) {
  FailingTable failing(StoreError::Kind::kUnavailable);
  FixedClock clock{kNow};
  UsersHandlers handlers(failing, clock);
  const Caller anyone = Caller::anyone();
  for (const Response& r :
       {handlers.get("u1", anyone), handlers.remove("u1", anyone),
        handlers.create(body_request(R"({"userId":"u1","email":"a@b.c"})"), anyone),
        handlers.update("u1", body_request(R"({"name":"x"})"), anyone)}) {
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(error_of(r), "Service temporarily unavailable");
    ASSERT_NE(r.header("retry-after"), nullptr);
    EXPECT_EQ(r.body.find("fire"), std::string::npos);
  }
}

TEST(UsersHandlersStorageFailure, InternalStorageErrorIs500) {
  FailingTable failing(StoreError::Kind::kInternal);
  FixedClock clock{kNow};
  UsersHandlers handlers(failing, clock);
  auto r = handlers.get("u1", Caller::anyone());
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(error_of(r), "Internal server error");
}

}  // namespace
}  // namespace sbapi
