// DynamoDbClient and DynamoTable against a scripted Transport. A fake transport is deliberate
// here: it is the only way to make throttling, 500s and connection resets happen on cue, and to
// see the exact bytes we send. Real protocol behaviour is proven against moto and dynalite in
// tests/contract.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <deque>
#include <regex>

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
  EXPECT_EQ(transport->body(0), json::parse(R"J({
    "TableName": "users",
    "Item": )J" + user_av("u1") + R"J(,
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
    "UpdateExpression": "SET #n0 = :v0, #n1 = :v1, #n2 = :v2 REMOVE #n3, #n4",
    "ConditionExpression":
        "attribute_exists(#n5) AND NOT (attribute_type(#n4, :v3) AND #n4 <= :v4)",
    "ExpressionAttributeNames": {"#n0": "name", "#n1": "status", "#n2": "email",
                                 "#n3": "department", "#n4": "ttl", "#n5": "userId"},
    "ExpressionAttributeValues": {":v0": {"S": "Ann"}, ":v1": {"S": "x"}, ":v2": {"S": "n@b.c"},
                                  ":v3": {"S": "N"}, ":v4": {"N": "1700000000"}},
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

TEST_F(DynamoDbClientTest, QueryAsksForOneMoreThanTheLimitAndResumesFromTheCursor) {
  transport->script = {ok(R"({"Items":[)" + user_av("a") + "," + user_av("b") + "," + user_av("c") +
                          R"(],"LastEvaluatedKey":{"userId":{"S":"c"},"email":{"S":"a@b.c"}}})"),
                       ok(R"({"Items":[)" + user_av("c") + "]}")};
  auto table = users();
  auto first = table.query({"email-index", "a@b.c", 2, std::nullopt});
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_EQ(first->items.size(), 2u);
  ASSERT_TRUE(first->next_cursor);
  EXPECT_EQ(transport->body(0), json::parse(R"J({
    "TableName": "users", "IndexName": "email-index",
    "KeyConditionExpression": "#n0 = :v0",
    "FilterExpression": "NOT (attribute_type(#n1, :v1) AND #n1 <= :v2)",
    "ExpressionAttributeNames": {"#n0": "email", "#n1": "ttl"},
    "ExpressionAttributeValues": {":v0": {"S": "a@b.c"}, ":v1": {"S": "N"},
                                  ":v2": {"N": "1700000000"}},
    "Limit": 3})J"));
  auto second = table.query({"email-index", "a@b.c", 2, first->next_cursor});
  ASSERT_TRUE(second) << second.error().detail;
  EXPECT_EQ(second->items.size(), 1u);
  EXPECT_FALSE(second->next_cursor);
  // The cursor is the last returned item's key, with its index attribute.
  EXPECT_EQ(transport->body(1).at("ExclusiveStartKey"),
            json::parse(R"J({"userId":{"S":"b"},"email":{"S":"a@b.c"}})J"));
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

TEST_F(DynamoDbClientTest, QueryValuesOfTheWrongTypeMatchNothingWithoutARequest) {
  auto table = users();
  EXPECT_TRUE(table.query({"createdAt-index", "42", 10, std::nullopt}).value().items.empty());
  EXPECT_TRUE(table.query({"email-index", 42, 10, std::nullopt}).value().items.empty());
  EXPECT_TRUE(table.query({"email-index", "", 10, std::nullopt}).value().items.empty());
  EXPECT_TRUE(transport->sent.empty());
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

TEST_F(DynamoDbClientTest, EnsureTableCreatesOnDemandWithIndexesAndReportsMissingTtl) {
  const std::string active = R"({"Table":{"TableStatus":"ACTIVE",
      "KeySchema":[{"AttributeName":"userId","KeyType":"HASH"}],
      "GlobalSecondaryIndexes":[
        {"IndexName":"email-index","IndexStatus":"ACTIVE",
         "KeySchema":[{"AttributeName":"email","KeyType":"HASH"}]},
        {"IndexName":"createdAt-index","IndexStatus":"ACTIVE",
         "KeySchema":[{"AttributeName":"createdAt","KeyType":"HASH"}]}]}})";
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
                             {"AttributeName": "email", "AttributeType": "S"},
                             {"AttributeName": "createdAt", "AttributeType": "N"}],
    "KeySchema": [{"AttributeName": "userId", "KeyType": "HASH"}],
    "BillingMode": "PAY_PER_REQUEST",
    "GlobalSecondaryIndexes": [
      {"IndexName": "email-index", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
       "Projection": {"ProjectionType": "ALL"}},
      {"IndexName": "createdAt-index",
       "KeySchema": [{"AttributeName": "createdAt", "KeyType": "HASH"}],
       "Projection": {"ProjectionType": "ALL"}}]})J"));
  EXPECT_EQ(transport->body(5), json::parse(R"J({"TableName": "users",
    "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "ttl"}})J"));
}

}  // namespace
}  // namespace sbapi::aws
