// DynamoDB-specific conformance against the protocol peers (moto, dynalite): table setup for
// `sbapi create-tables`, SigV4 verification, and what each peer lacks — reported as a skip with
// the reason, never a silent pass. Peers unavailable here skip (fail under CI=true).
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <tuple>
#include <vector>

#include "adapters/aws/dynamo_table.h"
#include "core/schemas.h"
#include "peers.h"

namespace sbapi::contract {
namespace {

using boost::json::object;

class DynamoPeerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto p = dynamo_peer(GetParam());
    if (!p) {
      if (running_in_ci()) FAIL() << GetParam() << " unavailable under CI: " << p.error();
      GTEST_SKIP() << GetParam() << " unavailable: " << p.error();
    }
    peer = *p;
    client = aws::make_dynamodb_client(peer->config);
    options.poll_interval = std::chrono::milliseconds(20);
  }

  static std::string fresh(const std::string& base) {
    static int counter = 0;
    return base + std::string("_peer_") + std::to_string(++counter);
  }

  DynamoPeer* peer = nullptr;
  std::shared_ptr<aws::DynamoDbClient> client;
  aws::EnsureTableOptions options;
};

TEST_P(DynamoPeerTest, EnsureTableCreatesTheTableWithItsIndexesAndIsSafeToRunTwice) {
  const auto schema = assets_schema(fresh("assets"));
  auto first = aws::ensure_table(*client, schema, options);
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_TRUE(first->created);
  auto second = aws::ensure_table(*client, schema, options);
  ASSERT_TRUE(second) << second.error().detail;
  EXPECT_FALSE(second->created);

  auto described = client->describe_table(schema.name);
  ASSERT_TRUE(described) << described.error().describe();
  EXPECT_EQ(described->status, "ACTIVE");
  std::vector<std::string> indexes;
  for (const auto& g : described->raw.at("GlobalSecondaryIndexes").as_array()) {
    indexes.emplace_back(g.at("IndexName").as_string());
  }
  std::sort(indexes.begin(), indexes.end());
  EXPECT_EQ(indexes, (std::vector<std::string>{"all-created-index", "owner-created-index",
                                               "status-created-index"}));
  // Every key attribute is a string; every index is ordered by gsiOrder.
  std::vector<std::string> attributes;
  for (const auto& a : described->raw.at("AttributeDefinitions").as_array()) {
    attributes.emplace_back(a.at("AttributeName").as_string());
    EXPECT_EQ(a.at("AttributeType"), "S") << attributes.back();
  }
  std::sort(attributes.begin(), attributes.end());
  EXPECT_EQ(attributes,
            (std::vector<std::string>{"assetId", "gsiAll", "gsiOrder", "ownerId", "status"}));
  for (const auto& g : described->raw.at("GlobalSecondaryIndexes").as_array()) {
    const auto& keys = g.at("KeySchema").as_array();
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_EQ(keys[1].at("AttributeName"), "gsiOrder");
    EXPECT_EQ(keys[1].at("KeyType"), "RANGE");
    EXPECT_EQ(g.at("Projection").at("ProjectionType"), "ALL");
  }
}

TEST_P(DynamoPeerTest, EnsureTableEnablesTtlWhereTheEndpointSupportsIt) {
  const auto schema = users_schema(fresh("users"));
  auto first = aws::ensure_table(*client, schema, options);
  ASSERT_TRUE(first) << first.error().detail;
  if (first->ttl == aws::EnsureTableResult::Ttl::kNotSupported) {
    // The table is still usable: sbapi hides expired items itself (TableContract proves it).
    EXPECT_NE(first->note.find("not supported"), std::string::npos) << first->note;
    GTEST_SKIP() << peer->name << " lacks UpdateTimeToLive — " << first->note;
  }
  EXPECT_EQ(first->ttl, aws::EnsureTableResult::Ttl::kEnabled) << first->note;
  auto status = client->describe_time_to_live(schema.name);
  ASSERT_TRUE(status) << status.error().describe();
  EXPECT_TRUE(*status == "ENABLED" || *status == "ENABLING") << *status;
  auto second = aws::ensure_table(*client, schema, options);
  ASSERT_TRUE(second) << second.error().detail;
  EXPECT_EQ(second->ttl, aws::EnsureTableResult::Ttl::kAlreadyEnabled) << second->note;
}

TEST_P(DynamoPeerTest, EnsureTableRefusesAnExistingTableWithAnotherShape) {
  auto schema = users_schema(fresh("users"));
  ASSERT_TRUE(aws::ensure_table(*client, schema, options));
  auto other = schema;
  other.key = "assetId";
  auto refused = aws::ensure_table(*client, other, options);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().detail.find("partition key"), std::string::npos)
      << refused.error().detail;
  auto more_indexes = schema;
  more_indexes.indexes.push_back({"status-created-index", "status", false});
  refused = aws::ensure_table(*client, more_indexes, options);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().detail.find("no index status-created-index"), std::string::npos)
      << refused.error().detail;
}

TEST_P(DynamoPeerTest, AMissingTableIsAClearInternalError) {
  FixedClock clock{1'700'000'000};
  aws::DynamoTable table(client, users_schema("no_such_table"), clock);
  auto got = table.get("u1");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, StoreError::Kind::kInternal);
  EXPECT_NE(got.error().detail.find("ResourceNotFoundException"), std::string::npos)
      << got.error().detail;
  EXPECT_NE(got.error().detail.find("create-tables"), std::string::npos) << got.error().detail;
}

TEST_P(DynamoPeerTest, AMalformedCursorIsAnError) {
  const auto schema = users_schema(fresh("users"));
  ASSERT_TRUE(aws::ensure_table(*client, schema, options));
  FixedClock clock{1'700'000'000};
  aws::DynamoTable table(client, schema, clock);
  for (std::string cursor :
       {"not base64!", "e30", /* {} */ "eyJ1c2VySWQiOjF9" /* {"userId":1} */}) {
    auto page = table.scan({10, cursor});
    ASSERT_FALSE(page) << cursor;
    EXPECT_NE(page.error().detail.find("invalid cursor"), std::string::npos) << cursor;
  }
}

// A users table as the seed made it: GSIs keyed by email (S) and createdAt (N), items without
// the derived attributes.
void make_seed_users_table(aws::DynamoDbClient& client, const std::string& name) {
  aws::CreateTableRequest create{
      name,
      "userId",
      {{"userId", "S"}, {"email", "S"}, {"createdAt", "N"}},
      {{"email-index", "email", ""}, {"createdAt-index", "createdAt", ""}}};
  ASSERT_TRUE(client.create_table(create));
  // dynalite keeps a new table CREATING for a moment and refuses writes meanwhile.
  for (int i = 0; i < 200; ++i) {
    auto described = client.describe_table(name);
    ASSERT_TRUE(described);
    if (described->status == "ACTIVE") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL() << name << " never became ACTIVE";
}

TEST_P(DynamoPeerTest, ATableWithTheSeedsIndexesIsRefusedThenMigrated) {
  const auto schema = users_schema(fresh("seed_users"));
  make_seed_users_table(*client, schema.name);
  const std::int64_t now = 1'700'000'000;
  for (const auto& [id, email, created] : std::vector<std::tuple<std::string, std::string, int>>{
           {"a", "Ann@X.com", 3}, {"b", "ann@x.com", 1}, {"c", "bob@x.com", 2}}) {
    ASSERT_TRUE(client->put_item(
        {schema.name,
         object{
             {"userId", id}, {"email", email}, {"createdAt", now + created}, {"ttl", now + 1000}},
         "",
         {},
         {},
         false}));
  }
  ASSERT_TRUE(client->put_item({schema.name, object{{"userId", "no-created"}}, "", {}, {}, false}));

  auto refused = aws::ensure_table(*client, schema, options);
  ASSERT_FALSE(refused);
  const auto& detail = refused.error().detail;
  EXPECT_NE(detail.find("no index email-created-index, all-created-index"), std::string::npos)
      << detail;
  EXPECT_NE(detail.find("docs/deploy.md, \"Migrating the indexes\""), std::string::npos) << detail;

  std::vector<std::string> lines;
  auto migrate = options;
  migrate.migrate = true;
  migrate.progress = [&](const std::string& line) { lines.push_back(line); };
  auto migrated = aws::ensure_table(*client, schema, migrate);
  if (!migrated && migrated.error().detail.find("after migration: no index") != std::string::npos) {
    // Record the limitation rather than assume it: UpdateTable answers 200 and adds nothing.
    EXPECT_EQ(peer->name, "dynalite") << migrated.error().detail;
    GTEST_SKIP() << peer->name
                 << " ignores UpdateTable's GlobalSecondaryIndexUpdates Create (no index is ever "
                    "added); moto runs the migration";
  }
  ASSERT_TRUE(migrated) << migrated.error().detail;
  EXPECT_FALSE(migrated->created);
  EXPECT_EQ(migrated->added_indexes,
            (std::vector<std::string>{"email-created-index", "all-created-index"}));
  EXPECT_EQ(migrated->backfilled, 3u);  // not "no-created": it has nothing to derive
  EXPECT_EQ(lines.size(), 3u);

  FixedClock clock{now};
  aws::DynamoTable table(client, schema, clock);
  auto ids = [](const StoreResult<ListPage>& page) {
    std::vector<std::string> out;
    if (page) {
      for (const auto& item : page->items) out.emplace_back(item.at("userId").as_string());
    }
    return out;
  };
  EXPECT_EQ(ids(table.list({.index = "all-created-index"})),
            (std::vector<std::string>{"a", "c", "b"}));
  EXPECT_EQ(ids(table.list({.index = "email-created-index", .equals = "ANN@x.com"})),
            (std::vector<std::string>{"a", "b"}));
  // The items read back as they were written.
  EXPECT_EQ(
      **table.get("a"),
      (object{
          {"userId", "a"}, {"email", "Ann@X.com"}, {"createdAt", now + 3}, {"ttl", now + 1000}}));
  // Done: the next run finds nothing to do, and a back-fill again changes nothing.
  auto again = aws::ensure_table(*client, schema, options);
  ASSERT_TRUE(again) << again.error().detail;
  EXPECT_TRUE(again->added_indexes.empty());
  EXPECT_EQ(aws::backfill_derived_attributes(*client, schema).value_or(99), 0u);
}

TEST_P(DynamoPeerTest, RequestsWithATamperedSignatureAreRejectedWith403) {
  aws::CurlTransport transport;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::string body = R"({"TableName":"no_such_table"})";
  if (peer->name == "dynalite") {
    // Record the limitation rather than assume it: a bad signature gets through.
    auto tampered = client->build_request("DescribeTable", body, now);
    for (auto& [name, value] : tampered.headers) {
      if (name == "Authorization") value.back() = value.back() == '0' ? '1' : '0';
    }
    auto response = transport.send(tampered);
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_NE(response->status, 403) << "dynalite verifies signatures now: enable this test";
    GTEST_SKIP() << "dynalite does not verify SigV4 signatures (a tampered one got HTTP "
                 << response->status << "); moto runs this check";
  }
  // Correctly signed: the request is understood (a 400 about the table, not a 403).
  auto good = transport.send(client->build_request("DescribeTable", body, now));
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_EQ(good->status, 400) << good->body;
  EXPECT_NE(good->body.find("ResourceNotFoundException"), std::string::npos) << good->body;

  auto tampered = client->build_request("DescribeTable", body, now);
  for (auto& [name, value] : tampered.headers) {
    if (name == "Authorization") value.back() = value.back() == '0' ? '1' : '0';
  }
  auto rejected = transport.send(tampered);
  ASSERT_TRUE(rejected) << rejected.error().message;
  EXPECT_EQ(rejected->status, 403) << rejected->body;

  // A signed body that was changed afterwards is caught too.
  auto changed = client->build_request("DescribeTable", body, now);
  changed.body = R"({"TableName":"another_table"})";
  rejected = transport.send(changed);
  ASSERT_TRUE(rejected) << rejected.error().message;
  EXPECT_EQ(rejected->status, 403) << rejected->body;

  // And the wrong secret for a known key.
  auto config = peer->config;
  config.credentials.secret_access_key += "x";
  aws::DynamoDbClient wrong_secret(config, std::make_shared<aws::CurlTransport>());
  auto denied = wrong_secret.describe_table("no_such_table");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().http_status, 403) << denied.error().describe();
  EXPECT_EQ(denied.error().attempts, 1);  // a 4xx is never retried
}

TEST_P(DynamoPeerTest, TransactionsAreReportedWhereMissing) {
  // sbapi uses no transactions; this records which peers have them.
  const auto schema = users_schema(fresh("users"));
  ASSERT_TRUE(aws::ensure_table(*client, schema, options));
  object put{{"Put", object{{"TableName", schema.name},
                            {"Item", object{{"userId", object{{"S", "t1"}}}}}}}};
  auto result =
      client->call("TransactWriteItems", object{{"TransactItems", boost::json::array{put}}});
  if (!result && result.error().type == "UnknownOperationException") {
    GTEST_SKIP() << peer->name << " lacks transactions (TransactWriteItems → "
                 << result.error().type << "); sbapi does not use them";
  }
  ASSERT_TRUE(result) << result.error().describe();
  FixedClock clock{1'700'000'000};
  aws::DynamoTable table(client, schema, clock);
  EXPECT_TRUE(*table.get("t1"));
}

std::string peer_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

INSTANTIATE_TEST_SUITE_P(Peers, DynamoPeerTest, ::testing::Values("moto", "dynalite"), peer_name);

}  // namespace
}  // namespace sbapi::contract

namespace sbapi::contract {
namespace {

// Not a test: the figure for the closing note. Run with
//   sbapi_contract_tests --gtest_also_run_disabled_tests --gtest_filter='*Latency*'
// Medians of warm calls against dynalite: the transport alone (a pre-signed request), the bare
// client (sign + JSON + parse), and DynamoTable::get (+ marshalling and the TTL check).
TEST(DynamoLatency, DISABLED_WarmGetItemOnDynalite) {
  auto p = dynamo_peer("dynalite");
  if (!p) GTEST_SKIP() << "dynalite unavailable: " << p.error();
  auto transport = std::make_shared<aws::CurlTransport>();
  auto client = std::make_shared<aws::DynamoDbClient>((*p)->config, transport);
  auto schema = users_schema("latency_users");
  ASSERT_TRUE(aws::ensure_table(*client, schema));
  FixedClock clock{1'700'000'000};
  aws::DynamoTable table(client, schema, clock);
  (void)table.put_if_absent(object{{"userId", "u1"},
                                   {"email", "a@b.c"},
                                   {"name", "Ann"},
                                   {"createdAt", 1'700'000'000},
                                   {"ttl", 1'800'000'000}});
  const object raw_body{{"TableName", schema.name},
                        {"Key", object{{"userId", object{{"S", "u1"}}}}},
                        {"ConsistentRead", true}};
  const auto signed_request =
      client->build_request("GetItem", boost::json::serialize(raw_body),
                            std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());

  // The three are interleaved call by call so that each sees the same peer and machine state.
  std::vector<double> samples[3];
  auto timed = [](auto&& call) {
    const auto start = std::chrono::steady_clock::now();
    call();
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
        .count();
  };
  for (int i = 0; i < 1100; ++i) {
    double t[3] = {};  // each is set below; GCC 12 at -O3 cannot see it (maybe-uninitialized)
    for (int k = 0; k < 3; ++k) {  // the order rotates too: no variant always goes first
      switch ((i + k) % 3) {
        case 0:
          t[0] = timed([&] { ASSERT_EQ(transport->send(signed_request)->status, 200); });
          break;
        case 1:
          t[1] = timed([&] { ASSERT_TRUE(client->call("GetItem", raw_body)); });
          break;
        default:
          t[2] = timed([&] { ASSERT_TRUE(table.get("u1").value()); });
          break;
      }
    }
    if (i < 100) continue;  // warm-up
    for (int k = 0; k < 3; ++k) samples[k].push_back(t[k]);
  }
  auto stats = [](std::vector<double>& v) {
    std::sort(v.begin(), v.end());
    return std::pair{v[v.size() / 2], v[v.size() * 9 / 10]};
  };
  const auto transport_only = stats(samples[0]);
  const auto bare_client = stats(samples[1]);
  const auto through_table = stats(samples[2]);
  std::printf(
      "warm GetItem on dynalite, median (p90) of 1000 calls:\n"
      "  transport only (pre-signed) %8.1f us (%8.1f)\n"
      "  DynamoDbClient::call        %8.1f us (%8.1f)\n"
      "  DynamoTable::get            %8.1f us (%8.1f)\n",
      transport_only.first, transport_only.second, bare_client.first, bare_client.second,
      through_table.first, through_table.second);
  EXPECT_GT(through_table.first, 0.0);
}

}  // namespace
}  // namespace sbapi::contract
