// DynamoDbClient and DynamoTable against a scripted Transport. A fake transport is deliberate
// here: it is the only way to make throttling, 500s and connection resets happen on cue, and to
// see the exact bytes we send. Real protocol behaviour is proven against moto and dynalite in
// tests/contract.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <deque>
#include <regex>
#include <tuple>

#include "adapters/aws/dynamo_table.h"
#include "adapters/aws/dynamodb_client.h"
#include "core/schemas.h"
#include "sigv4/sigv4.h"

namespace sbapi::aws {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::int64_t kNow = 1'700'000'000;  // 2023-11-14T22:13:20Z

using Reply = std::expected<HttpResponse, TransportError>;

class ScriptedTransport final : public Transport {
 public:
  std::expected<HttpResponse, TransportError> send(const HttpRequest& request) override {
    sent.push_back(request);
    if (script.empty()) {
      ADD_FAILURE() << "unexpected request: " << request.body;
      return std::unexpected(TransportError{TransportError::Kind::kOther, "script exhausted"});
    }
    Reply reply = std::move(script.front());
    script.pop_front();
    return reply;
  }
  std::deque<Reply> script;
  std::vector<HttpRequest> sent;

  json::value body(std::size_t i) const { return json::parse(sent.at(i).body); }
  std::string header(std::size_t i, std::string_view name) const {
    for (const auto& [n, v] : sent.at(i).headers) {
      if (n == name) return v;
    }
    return {};
  }
};

Reply ok(std::string body) { return HttpResponse{200, {}, std::move(body)}; }
Reply error(int status, const std::string& type, const std::string& extra = "") {
  return HttpResponse{status,
                      {},
                      R"({"__type":"com.amazonaws.dynamodb.v20120810#)" + type +
                          R"(","message":"scripted")" + extra + "}"};
}
Reply reset() {
  return std::unexpected(
      TransportError{TransportError::Kind::kConnect, "Connection reset by peer"});
}

class DynamoDbClientTest : public ::testing::Test {
 protected:
  DynamoDbClientTest() { client = make_client({}); }

  std::shared_ptr<DynamoDbClient> make_client(std::string session_token) {
    RetryHooks hooks;
    hooks.now = [this] { return steady_now; };
    hooks.sleep = [this](std::chrono::nanoseconds d) {
      sleeps.push_back(d);
      steady_now += d;
    };
    // hooks.random: the default, real jitter; bounds are asserted.
    hooks.deadline = [this] { return deadline; };
    return std::make_shared<DynamoDbClient>(
        DynamoDbConfig{
            "https://dynamodb.eu-west-1.amazonaws.com",
            "eu-west-1",
            {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", std::move(session_token)}},
        transport, RetryPolicy{}, hooks, &clock);
  }

  static json::object user(std::string id) {
    return json::object{
        {"userId", id}, {"email", "a@b.c"}, {"createdAt", kNow}, {"ttl", kNow + 1000}};
  }
  static std::string user_av(const std::string& id) {
    return R"({"userId":{"S":")" + id +
           R"("},"email":{"S":"a@b.c"},"createdAt":{"N":"1700000000"},"ttl":{"N":"1700001000"}})";
  }

  std::shared_ptr<ScriptedTransport> transport = std::make_shared<ScriptedTransport>();
  FixedClock clock{kNow};
  SteadyTime steady_now{};
  std::vector<std::chrono::nanoseconds> sleeps;
  std::optional<SteadyTime> deadline;
  std::shared_ptr<DynamoDbClient> client;
  DynamoTable users() { return DynamoTable(client, users_schema(), clock); }
};

// ---- retries --------------------------------------------------------------------------------

TEST_F(DynamoDbClientTest, ThrottledThen500ThenSuccessTakesThreeAttemptsWithBackoff) {
  transport->script = {error(400, "ProvisionedThroughputExceededException"),
                       error(500, "InternalServerError"), ok(R"({"Item":)" + user_av("u1") + "}")};
  auto got = users().get("u1");
  ASSERT_TRUE(got) << got.error().detail;
  ASSERT_TRUE(*got);
  EXPECT_EQ(**got, user("u1"));
  EXPECT_EQ(transport->sent.size(), 3u);
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_GE(sleeps[0], 80ms);
  EXPECT_LE(sleeps[0], 120ms);
  EXPECT_GE(sleeps[1], 160ms);
  EXPECT_LE(sleeps[1], 240ms);
  // Every attempt is signed afresh and is the same request.
  EXPECT_EQ(transport->sent[0].body, transport->sent[2].body);
}

TEST_F(DynamoDbClientTest, ThrottledThen500ThenResetIsUnavailableAfterThreeAttempts) {
  transport->script = {error(400, "ThrottlingException"), error(503, "ServiceUnavailable"), reset(),
                       ok("{}")};
  auto got = users().get("u1");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, StoreError::Kind::kUnavailable) << got.error().detail;
  EXPECT_EQ(transport->sent.size(), 3u);
  EXPECT_EQ(transport->script.size(), 1u);  // the fourth reply was never asked for
  EXPECT_EQ(sleeps.size(), 2u);
  EXPECT_NE(got.error().detail.find("after 3 attempts"), std::string::npos) << got.error().detail;
}

TEST_F(DynamoDbClientTest, EveryThrottlingTypeIsRetried) {
  for (const char* type : {"ProvisionedThroughputExceededException", "ThrottlingException",
                           "RequestLimitExceeded", "TooManyRequestsException"}) {
    transport->script = {error(400, type), ok("{}")};
    transport->sent.clear();
    auto got = client->get_item({"users", json::object{{"userId", "u1"}}, true});
    ASSERT_TRUE(got) << type;
    EXPECT_EQ(transport->sent.size(), 2u) << type;
  }
}

TEST_F(DynamoDbClientTest, AConnectionResetThenSuccessIsASuccess) {
  transport->script = {reset(), ok("{}")};
  auto got = users().get("u1");
  ASSERT_TRUE(got) << got.error().detail;
  EXPECT_FALSE(*got);
  EXPECT_EQ(transport->sent.size(), 2u);
}

TEST_F(DynamoDbClientTest, AConditionalCheckFailureIsAResultAndNeverRetried) {
  transport->script = {
      error(400, "ConditionalCheckFailedException", R"(,"Item":)" + user_av("u1"))};
  auto put = users().put_if_absent(user("u1"));
  ASSERT_TRUE(put) << put.error().detail;
  EXPECT_FALSE(put->created);
  EXPECT_EQ(put->item, user("u1"));
  EXPECT_EQ(transport->sent.size(), 1u);
  EXPECT_TRUE(sleeps.empty());
}

TEST_F(DynamoDbClientTest, WithoutTheOldItemTheLoserReadsIt) {
  // An endpoint without ReturnValuesOnConditionCheckFailure: a consistent GetItem follows.
  transport->script = {error(400, "ConditionalCheckFailedException"),
                       ok(R"({"Item":)" + user_av("u1") + "}")};
  auto put = users().put_if_absent(user("u1"));
  ASSERT_TRUE(put) << put.error().detail;
  EXPECT_FALSE(put->created);
  EXPECT_EQ(put->item, user("u1"));
  ASSERT_EQ(transport->sent.size(), 2u);
  EXPECT_EQ(transport->header(1, "X-Amz-Target"), "DynamoDB_20120810.GetItem");
  EXPECT_EQ(transport->body(1).at("ConsistentRead"), true);
}

TEST_F(DynamoDbClientTest, Other4xxErrorsAreNeverRetried) {
  for (auto [status, type] :
       {std::pair{400, "ValidationException"}, std::pair{400, "ResourceNotFoundException"},
        std::pair{403, "AccessDeniedException"}, std::pair{400, "UnrecognizedClientException"}}) {
    transport->script = {error(status, type), ok("{}")};
    transport->sent.clear();
    auto got = users().get("u1");
    ASSERT_FALSE(got) << type;
    EXPECT_EQ(got.error().kind, StoreError::Kind::kInternal) << type;
    EXPECT_NE(got.error().detail.find(type), std::string::npos) << got.error().detail;
    EXPECT_EQ(transport->sent.size(), 1u) << type;
    transport->script.clear();
  }
  EXPECT_TRUE(sleeps.empty());
}

TEST_F(DynamoDbClientTest, TheDeadlineStopsRetryingEarly) {
  deadline = steady_now + 150ms;  // room for the first backoff (≤ 0.12 s), not the second
  transport->script = {error(500, "InternalServerError"), error(500, "InternalServerError"),
                       error(500, "InternalServerError")};
  auto got = users().get("u1");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, StoreError::Kind::kUnavailable);
  EXPECT_EQ(transport->sent.size(), 2u);
  EXPECT_EQ(sleeps.size(), 1u);
  EXPECT_LE(steady_now, *deadline);
  // Each attempt may only use what is left of the deadline.
  EXPECT_EQ(transport->sent[0].timeout, 150ms);
  EXPECT_LE(transport->sent[1].timeout, 70ms);
  EXPECT_GT(transport->sent[1].timeout, 0ms);
}

TEST_F(DynamoDbClientTest, ATlsFailureIsNotRetried) {
  transport->script = {std::unexpected(TransportError{TransportError::Kind::kTls, "bad cert"})};
  auto got = users().get("u1");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, StoreError::Kind::kInternal);
  EXPECT_EQ(transport->sent.size(), 1u);
}

TEST_F(DynamoDbClientTest, AGarbled200IsAnInternalError) {
  transport->script = {ok("<html>proxy</html>")};
  auto got = users().get("u1");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, StoreError::Kind::kInternal);
  transport->script = {ok(R"({"Item":{"userId":{"Q":"?"}}})")};
  EXPECT_FALSE(users().get("u1"));
}

// ---- the bytes on the wire ----------------------------------------------------------------

TEST_F(DynamoDbClientTest, PutIfAbsentSendsThisPutItem) {
  transport->script = {ok("{}")};
  auto put = users().put_if_absent(user("u1"));
  ASSERT_TRUE(put) << put.error().detail;
  EXPECT_TRUE(put->created);
  EXPECT_EQ(put->item, user("u1"));  // without the derived attributes
  EXPECT_EQ(transport->body(0), json::parse(R"J({
    "TableName": "users",
    "Item": {"userId":{"S":"u1"},"email":{"S":"a@b.c"},"createdAt":{"N":"1700000000"},
             "ttl":{"N":"1700001000"},
             "gsiOrder":{"S":"0000000001700000000#u1"},"gsiAll":{"S":"all"},
             "emailLower":{"S":"a@b.c"}},
    "ConditionExpression":
        "attribute_not_exists(#n0) OR (attribute_type(#n1, :v0) AND #n1 <= :v1)",
    "ExpressionAttributeNames": {"#n0": "userId", "#n1": "ttl"},
    "ExpressionAttributeValues": {":v0": {"S": "N"}, ":v1": {"N": "1700000000"}},
    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})J"));
  EXPECT_EQ(transport->header(0, "X-Amz-Target"), "DynamoDB_20120810.PutItem");
  EXPECT_EQ(transport->header(0, "Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(transport->sent[0].method, "POST");
  EXPECT_EQ(transport->sent[0].url, "https://dynamodb.eu-west-1.amazonaws.com/");
}

TEST_F(DynamoDbClientTest, DerivedAttributesAreWrittenOnlyWhenTheyCanIndexTheItem) {
  const auto schema = users_schema();
  auto item = user("u1");
  item["email"] = "Ann.B@Example.COM";
  item["gsiOrder"] = "forged";  // the adapter's names: a caller's values are replaced
  item["gsiAll"] = "x";
  auto stored = with_derived_attributes(item, schema);
  EXPECT_EQ(stored.at("gsiOrder"), "0000000001700000000#u1");
  EXPECT_EQ(stored.at("gsiAll"), "all");
  EXPECT_EQ(stored.at("emailLower"), "ann.b@example.com");
  // Only A-Z is folded, as SQLite's lower() does.
  item["email"] = "ÄBC@x";
  EXPECT_EQ(with_derived_attributes(item, schema).at("emailLower"), "Äbc@x");
  for (json::value created : {json::value(-1), json::value(1.5), json::value("1700000000"),
                              json::value(nullptr), json::value(std::uint64_t{1} << 63)}) {
    item["createdAt"] = created;
    stored = with_derived_attributes(item, schema);
    EXPECT_FALSE(stored.contains("gsiOrder")) << json::serialize(created);
    EXPECT_FALSE(stored.contains("gsiAll")) << json::serialize(created);
  }
  item["createdAt"] = 42.0;  // DynamoDB's N cannot tell it from 42
  EXPECT_EQ(with_derived_attributes(item, schema).at("gsiOrder"), "0000000000000000042#u1");
  item["email"] = "";
  EXPECT_FALSE(with_derived_attributes(item, schema).contains("emailLower"));
  item["email"] = 7;
  EXPECT_FALSE(with_derived_attributes(item, schema).contains("emailLower"));
  // assets: ownerId and status are keys themselves; no folded copies.
  auto asset = with_derived_attributes(
      json::object{{"assetId", "a1"}, {"ownerId", "Bob"}, {"createdAt", 5}}, assets_schema());
  EXPECT_EQ(asset, (json::object{{"assetId", "a1"},
                                 {"ownerId", "Bob"},
                                 {"createdAt", 5},
                                 {"gsiOrder", "0000000000000000005#a1"},
                                 {"gsiAll", "all"}}));
  strip_derived_attributes(asset, assets_schema());
  EXPECT_EQ(asset, (json::object{{"assetId", "a1"}, {"ownerId", "Bob"}, {"createdAt", 5}}));
}

TEST_F(DynamoDbClientTest, OrderValuesSortAsPositionsAndParseBackStrictly) {
  EXPECT_EQ(order_value(1764756000, "alice"), "0000000001764756000#alice");
  EXPECT_EQ(order_value(0, "a#b"), "0000000000000000000#a#b");
  EXPECT_EQ(order_value(INT64_MAX, "k"), "9223372036854775807#k");
  EXPECT_LT(order_value(9, "z"), order_value(10, "a"));
  EXPECT_LT(order_value(10, "a"), order_value(10, "ab"));
  EXPECT_EQ(parse_order_value("0000000001764756000#alice"), (ListPosition{1764756000, "alice"}));
  EXPECT_EQ(parse_order_value("0000000000000000000#a#b"), (ListPosition{0, "a#b"}));
  for (std::string_view bad :
       {"", "0000000001764756000#", "000000001764756000#alice", "0000000001764756000alice",
        "00000000017647560x0#alice", "9999999999999999999#k", "-000000001764756000#k",
        "+000000001764756000#k", " 000000001764756000#k"}) {
    EXPECT_FALSE(parse_order_value(bad)) << bad;
  }
}

TEST_F(DynamoDbClientTest, GetAndConditionFailuresNeverShowDerivedAttributes) {
  const std::string stored = R"({"userId":{"S":"u1"},"email":{"S":"a@b.c"},)"
                             R"("createdAt":{"N":"1700000000"},"ttl":{"N":"1700001000"},)"
                             R"("gsiOrder":{"S":"0000000001700000000#u1"},"gsiAll":{"S":"all"},)"
                             R"("emailLower":{"S":"a@b.c"}})";
  transport->script = {ok(R"({"Item":)" + stored + "}"),
                       error(400, "ConditionalCheckFailedException", R"(,"Item":)" + stored)};
  EXPECT_EQ(users().get("u1").value(), user("u1"));
  EXPECT_EQ(users().put_if_absent(user("u1")).value().item, user("u1"));
}

TEST_F(DynamoDbClientTest, UpdateSendsEveryNameThroughExpressionAttributeNames) {
  transport->script = {ok(R"({"Attributes":)" + user_av("u1") + "}")};
  ItemUpdate update{
      json::object{{"name", "Ann"}, {"status", "x"}, {"email", "n@b.c"}, {"userId", "ignored"}},
      {"department", "ttl", "department"}};
  auto updated = users().update_if_exists("u1", update);
  ASSERT_TRUE(updated) << updated.error().detail;
  ASSERT_TRUE(*updated);
  EXPECT_EQ(**updated, user("u1"));
  EXPECT_EQ(transport->body(0), json::parse(R"J({
    "TableName": "users",
    "Key": {"userId": {"S": "u1"}},
    "UpdateExpression": "SET #n0 = :v0, #n1 = :v1, #n2 = :v2, #n5 = :v3 REMOVE #n3, #n4",
    "ConditionExpression":
        "attribute_exists(#n6) AND NOT (attribute_type(#n4, :v4) AND #n4 <= :v5)",
    "ExpressionAttributeNames": {"#n0": "name", "#n1": "status", "#n2": "email",
                                 "#n3": "department", "#n4": "ttl", "#n5": "emailLower",
                                 "#n6": "userId"},
    "ExpressionAttributeValues": {":v0": {"S": "Ann"}, ":v1": {"S": "x"}, ":v2": {"S": "n@b.c"},
                                  ":v3": {"S": "n@b.c"}, ":v4": {"S": "N"},
                                  ":v5": {"N": "1700000000"}},
    "ReturnValues": "ALL_NEW"})J"));
  // No reserved word ever appears bare in an expression.
  const std::string expressions =
      std::string(transport->body(0).at("UpdateExpression").as_string()) + " " +
      std::string(transport->body(0).at("ConditionExpression").as_string());
  for (const char* word : {"name", "status", "ttl", "email", "userId"}) {
    EXPECT_FALSE(std::regex_search(expressions, std::regex(std::string("\\b") + word + "\\b")))
        << word;
  }
}

TEST_F(DynamoDbClientTest, AFailedUpdateConditionIsNotFound) {
  transport->script = {error(400, "ConditionalCheckFailedException")};
  auto updated = users().update_if_exists("ghost", {json::object{{"name", "x"}}, {}});
  ASSERT_TRUE(updated) << updated.error().detail;
  EXPECT_FALSE(*updated);
  EXPECT_EQ(transport->sent.size(), 1u);
}

TEST_F(DynamoDbClientTest, RemoveIsAConditionalDeleteItem) {
  transport->script = {ok(R"({"Attributes":)" + user_av("u1") + "}"),
                       error(400, "ConditionalCheckFailedException")};
  EXPECT_TRUE(users().remove("u1").value());
  EXPECT_FALSE(users().remove("u1").value());
  EXPECT_EQ(transport->body(0), json::parse(R"J({
    "TableName": "users", "Key": {"userId": {"S": "u1"}},
    "ConditionExpression":
        "attribute_exists(#n0) AND NOT (attribute_type(#n1, :v0) AND #n1 <= :v1)",
    "ExpressionAttributeNames": {"#n0": "userId", "#n1": "ttl"},
    "ExpressionAttributeValues": {":v0": {"S": "N"}, ":v1": {"N": "1700000000"}},
    "ReturnValues": "ALL_OLD"})J"));
}

TEST_F(DynamoDbClientTest, UpdateKeepsDerivedAttributesInStepWithTheirSources) {
  const std::string updated = R"({"Attributes":{"userId":{"S":"u1"},"email":{"S":"X@b.c"},)"
                              R"("createdAt":{"N":"5"},"emailLower":{"S":"x@b.c"},)"
                              R"("gsiOrder":{"S":"0000000000000000005#u1"},"gsiAll":{"S":"all"}}})";
  transport->script = {ok(updated), ok(updated), ok(updated)};
  auto table = users();
  auto result = table.update_if_exists(
      "u1", {json::object{{"email", "X@b.c"}, {"createdAt", 5}, {"gsiAll", "forged"}}, {}});
  ASSERT_TRUE(result && *result);
  EXPECT_EQ(**result, (json::object{{"userId", "u1"}, {"email", "X@b.c"}, {"createdAt", 5}}));
  EXPECT_EQ(transport->body(0).at("UpdateExpression"),
            "SET #n0 = :v0, #n1 = :v1, #n2 = :v2, #n3 = :v3, #n4 = :v4");
  EXPECT_EQ(transport->body(0).at("ExpressionAttributeNames"), json::parse(R"J({
    "#n0": "email", "#n1": "createdAt", "#n2": "gsiOrder", "#n3": "gsiAll", "#n4": "emailLower",
    "#n5": "userId", "#n6": "ttl"})J"));
  EXPECT_EQ(transport->body(0).at("ExpressionAttributeValues").at(":v2"),
            json::parse(R"({"S":"0000000000000000005#u1"})"));
  EXPECT_EQ(transport->body(0).at("ExpressionAttributeValues").at(":v4"),
            json::parse(R"({"S":"x@b.c"})"));

  // Removing a source, or giving it a value that cannot be indexed, removes what it derives.
  ASSERT_TRUE(table.update_if_exists("u1", {json::object{{"createdAt", "soon"}}, {"email"}}));
  EXPECT_EQ(transport->body(1).at("UpdateExpression"), "SET #n0 = :v0 REMOVE #n1, #n2, #n3, #n4");
  EXPECT_EQ(transport->body(1).at("ExpressionAttributeNames"), json::parse(R"J({
    "#n0": "createdAt", "#n1": "email", "#n2": "gsiOrder", "#n3": "gsiAll", "#n4": "emailLower",
    "#n5": "userId", "#n6": "ttl"})J"));
  // Other attributes leave them alone.
  ASSERT_TRUE(table.update_if_exists("u1", {json::object{{"name", "Ann"}}, {"gsiOrder"}}));
  EXPECT_EQ(transport->body(2).at("UpdateExpression"), "SET #n0 = :v0");
}

// An item of users' indexes as DynamoDB returns it.
std::string indexed_av(const std::string& id, std::int64_t created,
                       std::int64_t ttl = kNow + 1000) {
  return R"({"userId":{"S":")" + id + R"("},"createdAt":{"N":")" + std::to_string(created) +
         R"("},"ttl":{"N":")" + std::to_string(ttl) + R"("},"gsiAll":{"S":"all"},)" +
         R"("gsiOrder":{"S":")" + order_value(created, id) + R"("}})";
}
std::string index_key_av(const std::string& id, std::int64_t created) {
  return R"({"userId":{"S":")" + id + R"("},"gsiAll":{"S":"all"},"gsiOrder":{"S":")" +
         order_value(created, id) + R"("}})";
}
std::string items_reply(const std::vector<std::string>& items,
                        const std::optional<std::string>& last = std::nullopt) {
  std::string out = R"({"Items":[)";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  out += "]";
  if (last) out += R"(,"LastEvaluatedKey":)" + *last;
  return out + "}";
}

TEST_F(DynamoDbClientTest, ListQueriesNewestFirstForOneMoreThanTheLimit) {
  transport->script = {ok(items_reply(
      {indexed_av("c", 30), indexed_av("b", 20), indexed_av("a", 10)}, index_key_av("a", 10)))};
  auto page =
      users().list({.index = "all-created-index", .limit = 2, .after = ListPosition{40, "d"}});
  ASSERT_TRUE(page) << page.error().detail;
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0],
            (json::object{{"userId", "c"}, {"createdAt", 30}, {"ttl", kNow + 1000}}));
  EXPECT_EQ(page->items[1].at("userId"), "b");
  EXPECT_EQ(page->next, (ListPosition{20, "b"}));  // the page's last item, not the look-ahead
  EXPECT_EQ(transport->body(0), json::parse(R"J({
    "TableName": "users", "IndexName": "all-created-index",
    "KeyConditionExpression": "#n0 = :v0 AND #n1 < :v1",
    "FilterExpression": "NOT (attribute_type(#n2, :v2) AND #n2 <= :v3)",
    "ExpressionAttributeNames": {"#n0": "gsiAll", "#n1": "gsiOrder", "#n2": "ttl"},
    "ExpressionAttributeValues": {":v0": {"S": "all"}, ":v1": {"S": "0000000000000000040#d"},
                                  ":v2": {"S": "N"}, ":v3": {"N": "1700000000"}},
    "Limit": 3, "ScanIndexForward": false})J"));
}

TEST_F(DynamoDbClientTest, ListLooksAheadSoThatNoPageLeadsToAnEmptyOne) {
  // Exactly `limit` items, and a LastEvaluatedKey (as DynamoDB sends when Limit was reached):
  // one more request finds nothing, so the page has no `next`.
  transport->script = {
      ok(items_reply({indexed_av("b", 20), indexed_av("a", 10)}, index_key_av("a", 10)))};
  auto page = users().list({.index = "all-created-index", .limit = 1});
  ASSERT_TRUE(page) << page.error().detail;
  EXPECT_EQ(page->items.size(), 1u);
  EXPECT_TRUE(page->next);
  transport->sent.clear();
  transport->script = {ok(items_reply({indexed_av("a", 10)}, index_key_av("a", 10))),
                       ok(items_reply({}))};
  page = users().list({.index = "all-created-index", .limit = 1});
  ASSERT_TRUE(page) << page.error().detail;
  EXPECT_EQ(page->items.size(), 1u);
  EXPECT_FALSE(page->next);
  ASSERT_EQ(transport->sent.size(), 2u);
  EXPECT_EQ(transport->body(1).at("Limit"), 100);  // a follow-up asks for at least 100
  EXPECT_EQ(transport->body(1).at("ExclusiveStartKey"), json::parse(index_key_av("a", 10)));
}

TEST_F(DynamoDbClientTest, ListFoldsThePartitionAndFiltersOnOtherAttributes) {
  transport->script = {ok(items_reply({})), ok(items_reply({}))};
  ASSERT_TRUE(users().list({.index = "email-created-index", .equals = "Ann@Example.com"}));
  EXPECT_EQ(transport->body(0).at("KeyConditionExpression"), "#n0 = :v0");
  EXPECT_EQ(transport->body(0).at("ExpressionAttributeNames").at("#n0"), "emailLower");
  EXPECT_EQ(transport->body(0).at("ExpressionAttributeValues").at(":v0"),
            json::parse(R"({"S":"ann@example.com"})"));
  EXPECT_EQ(transport->body(0).at("Limit"), 26);
  DynamoTable assets(client, assets_schema(), clock);
  ASSERT_TRUE(assets.list({.index = "owner-created-index",
                           .equals = "Bob",
                           .filter = AttributeEquals{"status", "pending"}}));
  EXPECT_EQ(transport->body(1), json::parse(R"J({
    "TableName": "assets", "IndexName": "owner-created-index",
    "KeyConditionExpression": "#n0 = :v0",
    "FilterExpression": "NOT (attribute_type(#n1, :v1) AND #n1 <= :v2) AND #n2 = :v3",
    "ExpressionAttributeNames": {"#n0": "ownerId", "#n1": "ttl", "#n2": "status"},
    "ExpressionAttributeValues": {":v0": {"S": "Bob"}, ":v1": {"S": "N"},
                                  ":v2": {"N": "1700000000"}, ":v3": {"S": "pending"}},
    "Limit": 26, "ScanIndexForward": false})J"));
}

TEST_F(DynamoDbClientTest, ListStopsAtItsReadBudgetWithThePositionOfTheLastItemRead) {
  // Every request comes back with nothing visible (a filter dropped it all) and more to read.
  for (int i = 0; i < kMaxRequestsPerPage; ++i) {
    transport->script.push_back(
        ok(items_reply({}, index_key_av("x" + std::to_string(i), 100 - i))));
  }
  auto page = users().list({.index = "all-created-index", .limit = 5});
  ASSERT_TRUE(page) << page.error().detail;
  EXPECT_TRUE(page->items.empty());
  EXPECT_EQ(page->next, (ListPosition{100 - kMaxRequestsPerPage + 1,
                                      "x" + std::to_string(kMaxRequestsPerPage - 1)}));
  ASSERT_EQ(transport->sent.size(), static_cast<std::size_t>(kMaxRequestsPerPage));
  EXPECT_EQ(transport->body(0).at("Limit"), 6);
  EXPECT_EQ(transport->body(1).at("Limit"), 100);
}

TEST_F(DynamoDbClientTest, ListDropsItemsExpiredByOurClockAndTopsThePageUp) {
  transport->script = {ok(items_reply({indexed_av("b", 20, kNow - 1)}, index_key_av("b", 20))),
                       ok(items_reply({indexed_av("a", 10)}))};
  auto page = users().list({.index = "all-created-index", .limit = 1});
  ASSERT_TRUE(page) << page.error().detail;
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].at("userId"), "a");
  EXPECT_FALSE(page->next);
}

TEST_F(DynamoDbClientTest, ListRefusesAnItemWithoutAValidOrder) {
  for (std::string item : {R"({"userId":{"S":"a"},"createdAt":{"N":"1"}})",
                           R"({"userId":{"S":"a"},"gsiOrder":{"S":"1#a"}})",
                           R"({"userId":{"S":"a"},"gsiOrder":{"S":"0000000000000000001#b"}})"}) {
    transport->script = {ok(items_reply({item}))};
    auto page = users().list({.index = "all-created-index"});
    ASSERT_FALSE(page) << item;
    EXPECT_EQ(page.error().kind, StoreError::Kind::kInternal);
    EXPECT_NE(page.error().detail.find("gsiOrder"), std::string::npos) << page.error().detail;
  }
}

TEST_F(DynamoDbClientTest, ListOfNothingIndexableSendsNoRequest) {
  auto table = users();
  EXPECT_TRUE(table.list({.index = "email-created-index", .equals = ""}).value().items.empty());
  EXPECT_TRUE(table.list({.index = "email-created-index", .equals = std::string(2049, 'a')})
                  .value()
                  .items.empty());
  EXPECT_TRUE(table.list({.index = "all-created-index", .after = ListPosition{-1, "a"}})
                  .value()
                  .items.empty());
  EXPECT_TRUE(transport->sent.empty());
  auto unknown = table.list({.index = "email-index", .equals = "a@b.c"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, StoreError::Kind::kInternal);
}

TEST_F(DynamoDbClientTest, APageThinnedByExpiredItemsIsToppedUp) {
  // The peer's filter is trusted, but items are checked again here; an item expired by our clock
  // is dropped and the page keeps going from LastEvaluatedKey.
  const std::string expired = R"({"userId":{"S":"x"},"ttl":{"N":"1699999999"}})";
  transport->script = {
      ok(R"({"Items":[)" + expired + R"(],"LastEvaluatedKey":{"userId":{"S":"x"}}})"),
      ok(R"({"Items":[)" + user_av("y") + "]}")};
  auto page = users().scan({1, std::nullopt});
  ASSERT_TRUE(page) << page.error().detail;
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].at("userId"), "y");
  EXPECT_FALSE(page->next_cursor);
  EXPECT_EQ(transport->body(0).at("Limit"), 2);
  EXPECT_EQ(transport->body(0).at("ConsistentRead"), true);
  EXPECT_EQ(transport->body(1).at("ExclusiveStartKey"), json::parse(R"J({"userId":{"S":"x"}})J"));
}

TEST_F(DynamoDbClientTest, RequestsAreSigV4SignedForDynamoDb) {
  transport->script = {ok("{}")};
  ASSERT_TRUE(users().get("u1"));
  const std::string authorization = transport->header(0, "Authorization");
  EXPECT_TRUE(std::regex_match(
      authorization,
      std::regex("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/eu-west-1/dynamodb/"
                 "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                 "Signature=[0-9a-f]{64}")))
      << authorization;
  EXPECT_EQ(transport->header(0, "X-Amz-Date"), "20231114T221320Z");
  EXPECT_EQ(transport->header(0, "X-Amz-Security-Token"), "");

  // The signature is the one the SigV4 steps give for exactly these bytes.
  const auto& body = transport->sent[0].body;
  const sigv4::Fields signed_headers = {{"content-type", "application/x-amz-json-1.0"},
                                        {"host", "dynamodb.eu-west-1.amazonaws.com"},
                                        {"x-amz-date", "20231114T221320Z"},
                                        {"x-amz-target", "DynamoDB_20120810.GetItem"}};
  const auto canonical =
      sigv4::canonical_request("POST", "/", "", sigv4::canonical_headers(signed_headers),
                               sigv4::signed_headers(signed_headers), sigv4::sha256_hex(body));
  const auto to_sign = sigv4::string_to_sign(
      "20231114T221320Z", sigv4::credential_scope("20231114", "eu-west-1", "dynamodb"), canonical);
  const auto key = sigv4::signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20231114",
                                      "eu-west-1", "dynamodb");
  EXPECT_TRUE(authorization.ends_with("Signature=" + sigv4::signature(key, to_sign)));
}

TEST_F(DynamoDbClientTest, TemporaryCredentialsSendAndSignTheSessionToken) {
  client = make_client("session-token-123");
  transport->script = {ok("{}")};
  ASSERT_TRUE(users().get("u1"));
  EXPECT_EQ(transport->header(0, "X-Amz-Security-Token"), "session-token-123");
  EXPECT_NE(transport->header(0, "Authorization")
                .find("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;"
                      "x-amz-target,"),
            std::string::npos)
      << transport->header(0, "Authorization");
}

TEST_F(DynamoDbClientTest, ServiceErrorsCarryTheTypeAfterTheHash) {
  transport->script = {error(400, "ResourceNotFoundException")};
  auto described = client->describe_table("missing");
  ASSERT_FALSE(described);
  EXPECT_EQ(described.error().type, "ResourceNotFoundException");
  EXPECT_EQ(described.error().http_status, 400);
  EXPECT_EQ(described.error().attempts, 1);
  EXPECT_FALSE(described.error().retryable);
}

// ---- setup ---------------------------------------------------------------------------------

// DescribeTable of an ACTIVE users table with these GSIs (name, hash, range; range may be empty).
std::string described_users(
    const std::vector<std::tuple<std::string, std::string, std::string>>& indexes) {
  json::array gsis;
  for (const auto& [name, hash, range] : indexes) {
    json::array key_schema{json::object{{"AttributeName", hash}, {"KeyType", "HASH"}}};
    if (!range.empty()) {
      key_schema.push_back(json::object{{"AttributeName", range}, {"KeyType", "RANGE"}});
    }
    gsis.push_back(json::object{
        {"IndexName", name}, {"IndexStatus", "ACTIVE"}, {"KeySchema", std::move(key_schema)}});
  }
  return json::serialize(json::object{
      {"Table", json::object{{"TableStatus", "ACTIVE"},
                             {"KeySchema", json::array{json::object{{"AttributeName", "userId"},
                                                                    {"KeyType", "HASH"}}}},
                             {"GlobalSecondaryIndexes", std::move(gsis)}}}});
}

TEST_F(DynamoDbClientTest, EnsureTableCreatesOnDemandWithIndexesAndReportsMissingTtl) {
  const std::string active = described_users({{"email-created-index", "emailLower", "gsiOrder"},
                                              {"all-created-index", "gsiAll", "gsiOrder"}});
  transport->script = {error(400, "ResourceNotFoundException"),
                       ok("{}"),
                       ok(R"({"Table":{"TableStatus":"CREATING"}})"),
                       ok(active),
                       ok(R"({"TimeToLiveDescription":{"TimeToLiveStatus":"DISABLED"}})"),
                       error(400, "UnknownOperationException")};
  std::vector<std::chrono::milliseconds> waits;
  EnsureTableOptions options;
  options.sleep = [&](std::chrono::milliseconds d) { waits.push_back(d); };
  auto result = ensure_table(*client, users_schema(), options);
  ASSERT_TRUE(result) << result.error().detail;
  EXPECT_TRUE(result->created);
  EXPECT_EQ(result->ttl, EnsureTableResult::Ttl::kNotSupported);
  EXPECT_NE(result->note.find("not supported"), std::string::npos);
  EXPECT_EQ(waits.size(), 1u);  // polled once while CREATING
  EXPECT_EQ(transport->body(1), json::parse(R"J({
    "TableName": "users",
    "AttributeDefinitions": [{"AttributeName": "userId", "AttributeType": "S"},
                             {"AttributeName": "emailLower", "AttributeType": "S"},
                             {"AttributeName": "gsiOrder", "AttributeType": "S"},
                             {"AttributeName": "gsiAll", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "userId", "KeyType": "HASH"}],
    "BillingMode": "PAY_PER_REQUEST",
    "GlobalSecondaryIndexes": [
      {"IndexName": "email-created-index",
       "KeySchema": [{"AttributeName": "emailLower", "KeyType": "HASH"},
                     {"AttributeName": "gsiOrder", "KeyType": "RANGE"}],
       "Projection": {"ProjectionType": "ALL"}},
      {"IndexName": "all-created-index",
       "KeySchema": [{"AttributeName": "gsiAll", "KeyType": "HASH"},
                     {"AttributeName": "gsiOrder", "KeyType": "RANGE"}],
       "Projection": {"ProjectionType": "ALL"}}]})J"));
  EXPECT_EQ(transport->body(5), json::parse(R"J({"TableName": "users",
    "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "ttl"}})J"));
}

TEST_F(DynamoDbClientTest, EnsureTableRefusesTheSeedsIndexesAndPointsToTheMigration) {
  transport->script = {
      ok(described_users({{"email-index", "email", ""}, {"createdAt-index", "createdAt", ""}})),
      ok(described_users({{"email-index", "email", ""}, {"createdAt-index", "createdAt", ""}}))};
  auto refused = ensure_table(*client, users_schema());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, StoreError::Kind::kInternal);
  const auto& detail = refused.error().detail;
  EXPECT_NE(detail.find("no index email-created-index, all-created-index"), std::string::npos)
      << detail;
  EXPECT_NE(detail.find("docs/deploy.md, \"Migrating the indexes\""), std::string::npos) << detail;
  EXPECT_NE(detail.find("--migrate"), std::string::npos) << detail;
}

TEST_F(DynamoDbClientTest, EnsureTableChecksBothKeysOfEveryIndex) {
  const std::string no_range = described_users(
      {{"email-created-index", "emailLower", ""}, {"all-created-index", "gsiAll", "gsiOrder"}});
  transport->script = {ok(no_range), ok(no_range)};
  auto refused = ensure_table(*client, users_schema());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().detail.find(
                "index email-created-index is keyed by (emailLower, ), not (emailLower, gsiOrder)"),
            std::string::npos)
      << refused.error().detail;
}

TEST_F(DynamoDbClientTest, MigratingBackfillsThenAddsEachMissingIndexAndWaitsForIt) {
  // A provisioned seed table: its new indexes need a throughput, learnt from the first refusal.
  std::string seed = described_users({{"email-index", "email", ""}});
  seed.insert(seed.find(R"("TableStatus")"),
              R"("ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":0},)");
  const std::string one = described_users(
      {{"email-index", "email", ""}, {"email-created-index", "emailLower", "gsiOrder"}});
  // DynamoDB's answer when an index of a provisioned table comes without a throughput.
  const Reply refused = HttpResponse{
      400,
      {},
      R"({"__type":"com.amazonaws.dynamodb.v20120810#ValidationException",)"
      R"("message":"ProvisionedThroughput must be specified for index: email-created-index"})"};
  const std::string both = described_users({{"email-index", "email", ""},
                                            {"email-created-index", "emailLower", "gsiOrder"},
                                            {"all-created-index", "gsiAll", "gsiOrder"}});
  transport->script = {
      ok(seed),
      ok(seed),
      ok(R"({"Items":[{"userId":{"S":"u1"},"email":{"S":"A@b.c"},"createdAt":{"N":"7"}},)"
         R"({"userId":{"S":"u2"}}]})"),
      ok("{}"),  // UpdateItem of u1
      refused,
      ok("{}"),
      ok(one),
      ok("{}"),
      ok(both),
      ok(both),
      ok(R"({"TimeToLiveDescription":{"TimeToLiveStatus":"ENABLED"}})")};
  EnsureTableOptions options;
  options.sleep = [](std::chrono::milliseconds) {};
  options.migrate = true;
  std::vector<std::string> lines;
  options.progress = [&](const std::string& line) { lines.push_back(line); };
  auto result = ensure_table(*client, users_schema(), options);
  ASSERT_TRUE(result) << result.error().detail;
  EXPECT_EQ(result->added_indexes,
            (std::vector<std::string>{"email-created-index", "all-created-index"}));
  EXPECT_EQ(result->backfilled, 1u);
  EXPECT_EQ(lines.size(), 3u);
  EXPECT_TRUE(transport->script.empty());
  EXPECT_EQ(transport->body(3), json::parse(R"J({
    "TableName": "users", "Key": {"userId": {"S": "u1"}},
    "UpdateExpression": "SET #n0 = :v0, #n1 = :v1, #n2 = :v2",
    "ConditionExpression": "attribute_exists(#n3) AND #n4 = :v3 AND #n5 = :v4",
    "ExpressionAttributeNames": {"#n0": "gsiOrder", "#n1": "gsiAll", "#n2": "emailLower",
                                 "#n3": "userId", "#n4": "email", "#n5": "createdAt"},
    "ExpressionAttributeValues": {":v0": {"S": "0000000000000000007#u1"}, ":v1": {"S": "all"},
                                  ":v2": {"S": "a@b.c"}, ":v3": {"S": "A@b.c"},
                                  ":v4": {"N": "7"}},
    "ReturnValues": "NONE"})J"));
  EXPECT_EQ(transport->header(4, "X-Amz-Target"), "DynamoDB_20120810.UpdateTable");
  EXPECT_FALSE(transport->body(4)
                   .at("GlobalSecondaryIndexUpdates")
                   .at(0)
                   .at("Create")
                   .as_object()
                   .contains("ProvisionedThroughput"));
  EXPECT_EQ(transport->body(5), json::parse(R"J({
    "TableName": "users",
    "AttributeDefinitions": [{"AttributeName": "userId", "AttributeType": "S"},
                             {"AttributeName": "emailLower", "AttributeType": "S"},
                             {"AttributeName": "gsiOrder", "AttributeType": "S"}],
    "GlobalSecondaryIndexUpdates": [{"Create": {
      "IndexName": "email-created-index",
      "KeySchema": [{"AttributeName": "emailLower", "KeyType": "HASH"},
                    {"AttributeName": "gsiOrder", "KeyType": "RANGE"}],
      "Projection": {"ProjectionType": "ALL"},
      "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 1}}}]})J"));
  // The second index is asked for with the throughput at once.
  EXPECT_EQ(transport->body(7)
                .at("GlobalSecondaryIndexUpdates")
                .at(0)
                .at("Create")
                .at("ProvisionedThroughput"),
            json::parse(R"({"ReadCapacityUnits": 5, "WriteCapacityUnits": 1})"));
}

}  // namespace
}  // namespace sbapi::aws
