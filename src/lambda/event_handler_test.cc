// The event handler over the real core and SQLite (in memory): API Gateway events through
// Api::handle and back, S3 ObjectCreated events through record_upload, unsupported events.
#include "lambda/event_handler.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>

#include "adapters/local/local_object_store.h"
#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/sqlite_table.h"
#include "core/schemas.h"
#include "core/trace_context.h"
#include "lambda/runtime.h"
#include "testing/files.h"

namespace sbapi::lambda {
namespace {

namespace json = boost::json;

using testutil::event_sample;

std::string read_all(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  return out;
}

// A table whose every call fails as storage in trouble does.
class FailingTable final : public Table {
 public:
  [[nodiscard]] const TableSchema& schema() const override { return schema_; }
  StoreResult<std::optional<Item>> get(std::string_view) override { return fail(); }
  StoreResult<PutResult> put_if_absent(const Item&) override { return fail(); }
  StoreResult<std::optional<Item>> update_if_exists(std::string_view, const ItemUpdate&) override {
    return fail();
  }
  StoreResult<bool> remove(std::string_view) override { return fail(); }
  StoreResult<ListPage> list(const ListQuery&) override { return fail(); }
  StoreResult<Page> scan(const ScanRequest&) override { return fail(); }

 private:
  static std::unexpected<StoreError> fail() {
    return std::unexpected(StoreError{StoreError::Kind::kUnavailable, "connection refused"});
  }
  TableSchema schema_ = assets_schema();
};

class EventHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log = std::tmpfile();
    ASSERT_NE(log, nullptr);
    db = std::move(*SqliteDatabase::open_in_memory());
    host = std::make_unique<FunctionHost>(log);
    users = std::move(*SqliteTable::open(*db, users_schema(), host->clock()));
    assets = std::move(*SqliteTable::open(*db, assets_schema(), host->clock()));
    objects.emplace(
        LocalObjectConfig{"sbapi-assets", "us-east-1", {"k", "s", ""}, "http://localhost:3000"},
        host->clock());
  }
  void TearDown() override { std::fclose(log); }

  void serve(const FunctionSet& set) { host->serve(set, users.get(), assets.get(), &*objects); }

  // The handler's response JSON (failing the test on an invocation error).
  json::object ok(const std::string& payload, bool cold = false) {
    auto result = host->handle(payload, {"lambda-req-1", cold});
    EXPECT_TRUE(result) << result.error().type << ": " << result.error().message;
    return result ? json::parse(*result).as_object() : json::object{};
  }
  InvocationError error(const std::string& payload) {
    auto result = host->handle(payload, {"lambda-req-2", false});
    EXPECT_FALSE(result) << *result;
    return result ? InvocationError{} : result.error();
  }
  static json::value body(const json::object& response) {
    return json::parse(response.at("body").as_string());
  }

  std::FILE* log = nullptr;
  std::unique_ptr<SqliteDatabase> db;
  std::unique_ptr<FunctionHost> host;
  std::unique_ptr<SqliteTable> users;
  std::unique_ptr<SqliteTable> assets;
  std::optional<LocalObjectStore> objects;
};

TEST_F(EventHandlerTest, V1PostThenV2GetGoThroughTheApi) {
  serve({});
  auto created = ok(event_sample("api-v1-post-user.json"), /*cold=*/true);
  EXPECT_EQ(created.at("statusCode"), 201);
  EXPECT_EQ(body(created).at("message"), "User created");
  EXPECT_EQ(created.at("headers").at("x-request-id"), "5b1c3e2a-9d4f-4c1e-8a7b-1f2e3d4c5b6a");
  EXPECT_EQ(created.at("headers").at("access-control-allow-origin"), "*");
  EXPECT_EQ(created.at("multiValueHeaders").at("content-type"),
            json::parse(R"(["application/json"])"));

  auto got = ok(event_sample("api-v2-get-user.json"));
  EXPECT_EQ(got.at("statusCode"), 200);
  EXPECT_EQ(body(got).at("email"), "ada@example.com");
  EXPECT_EQ(got.at("headers").at("x-request-id"), "JKJaXmPLvHcESHA=");
  EXPECT_FALSE(got.contains("multiValueHeaders"));

  // One access-log line and one EMF line per request; the first one is the cold start.
  const std::string lines = read_all(log);
  EXPECT_NE(lines.find(R"("route":"/users","status":201)"), std::string::npos) << lines;
  EXPECT_NE(lines.find(R"("Route":"POST /users","Latency":)"), std::string::npos) << lines;
  EXPECT_NE(lines.find(R"("Errors":0,"ColdStart":1,"requestId":"5b1c3e2a)"), std::string::npos)
      << lines;
  EXPECT_NE(lines.find(R"("Errors":0,"ColdStart":0,"requestId":"JKJaXmPLvHcESHA=")"),
            std::string::npos)
      << lines;
  EXPECT_EQ(lines.find("ada@example.com"), std::string::npos) << "no emails in logs";
}

TEST_F(EventHandlerTest, ApiEventsAreTracedFromTraceparentElseXRay) {
  serve({});
  const auto trace_of = [](const json::object& response) {
    const std::string header(response.at("headers").at("traceparent").as_string());
    const auto parsed = parse_traceparent(header);
    EXPECT_TRUE(parsed) << header;
    return parsed ? std::string(parsed->trace_id_hex()) : std::string();
  };
  // A client's traceparent (v1), kept over the X-Ray header API Gateway adds.
  const auto v1 = ok(R"({"httpMethod":"GET","path":"/health","headers":{"traceparent":)"
                     R"("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",)"
                     R"("X-Amzn-Trace-Id":"Root=1-5759e988-bd862e3fe1be46a994272793"}})");
  EXPECT_EQ(trace_of(v1), "4bf92f3577b34da6a3ce929d0e0e4736");
  // No traceparent (v2): the event's X-Amzn-Trace-Id, when the runtime gave no trace.
  const std::string v2 =
      R"({"version":"2.0","routeKey":"GET /health","rawPath":"/health","headers":)"
      R"({"x-amzn-trace-id":"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"},)"
      R"("requestContext":{"http":{"method":"GET","path":"/health"},"requestId":"r2"}})";
  EXPECT_EQ(trace_of(ok(v2)), "5759e988bd862e3fe1be46a994272793");
  // The runtime's Lambda-Runtime-Trace-Id wins over the event's header: it is X-Ray's.
  auto result = host->handle(
      v2, {"lambda-req-3", false, "Root=1-5e1b4151-5ac6c58f5b5dbd6a2b2b2b2b;Sampled=0"});
  ASSERT_TRUE(result);
  EXPECT_EQ(trace_of(json::parse(*result).as_object()), "5e1b41515ac6c58f5b5dbd6a2b2b2b2b");

  const std::string lines = read_all(log);
  for (const std::string_view id :
       {"4bf92f3577b34da6a3ce929d0e0e4736", "5759e988bd862e3fe1be46a994272793",
        "5e1b41515ac6c58f5b5dbd6a2b2b2b2b"}) {
    EXPECT_NE(lines.find(R"("traceId":")" + std::string(id) + '"'), std::string::npos) << lines;
  }
}

TEST_F(EventHandlerTest, V1NullBodyAndUnknownRoutesAreClientErrors) {
  serve({});
  auto null_body = ok(event_sample("api-v1-null-body.json"));
  EXPECT_EQ(null_body.at("statusCode"), 400);
  auto unknown = ok(R"({"httpMethod":"GET","path":"/nope","body":null})");
  EXPECT_EQ(unknown.at("statusCode"), 404);
  // Without requestContext.requestId the Lambda request id is the X-Request-Id.
  EXPECT_EQ(unknown.at("headers").at("x-request-id"), "lambda-req-1");
  auto wrong_method = ok(R"({"httpMethod":"PATCH","path":"/users/u1"})");
  EXPECT_EQ(wrong_method.at("statusCode"), 405);
  EXPECT_EQ(wrong_method.at("headers").at("allow"), "GET, PUT, DELETE, OPTIONS");
}

TEST_F(EventHandlerTest, ABodyThatIsNotBase64IsA400WithTheUsualHeaders) {
  serve({});
  auto response = ok(R"({"version":"2.0","rawPath":"/users","body":"***","isBase64Encoded":true,
      "requestContext":{"requestId":"r-64","http":{"method":"POST"}}})");
  EXPECT_EQ(response.at("statusCode"), 400);
  EXPECT_EQ(body(response).at("error"), "Invalid request body");
  EXPECT_EQ(response.at("headers").at("x-request-id"), "lambda-req-1");
  EXPECT_EQ(response.at("headers").at("access-control-allow-origin"), "*");
}

TEST_F(EventHandlerTest, S3ObjectCreatedMarksTheAssetUploaded) {
  serve({});
  auto created = ok(event_sample("api-v1-post-asset.json"));
  ASSERT_EQ(created.at("statusCode"), 201);
  EXPECT_EQ(body(created).at("asset").at("s3Key"),
            "assets/a1/Quarterly report (2026) \xC3\xA9t\xC3\xA9.pdf");

  testing::internal::CaptureStdout();  // operational events are log_event lines on stdout
  auto result = ok(event_sample("s3-object-created.json"));
  const std::string events = testing::internal::GetCapturedStdout();
  EXPECT_EQ(result, json::parse(R"({"records":[{"key":"assets/a1/Quarterly report (2026) )"
                                "\xC3\xA9t\xC3\xA9"
                                R"(.pdf","result":"uploaded"}]})"));
  auto asset = assets->get("a1");
  ASSERT_TRUE(asset && *asset);
  EXPECT_EQ((**asset).at("status"), "uploaded");
  EXPECT_EQ((**asset).at("size"), 1024);
  EXPECT_EQ((**asset).at("etag"), "0123456789abcdef0123456789abcdef");
  // Logs name the asset, never the file name.
  EXPECT_NE(events.find(R"("assetId":"a1","event":"ObjectCreated:Put","result":"uploaded")"),
            std::string::npos)
      << events;
  EXPECT_EQ(events.find("Quarterly"), std::string::npos) << events;
}

TEST_F(EventHandlerTest, S3KeysNoAssetOwnsAndOtherEventsChangeNothing) {
  serve({});
  auto result = ok(R"({"Records":[
      {"eventSource":"aws:s3","eventName":"ObjectCreated:Put",
       "s3":{"object":{"key":"assets/zz/f.bin","size":3,"eTag":"e"}}},
      {"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete",
       "s3":{"object":{"key":"assets/zz/f.bin"}}}]})");
  EXPECT_EQ(result.at("records"), json::parse(R"([{"key":"assets/zz/f.bin","result":"no-asset"},
                                                  {"key":"assets/zz/f.bin","result":"ignored"}])"));
}

TEST_F(EventHandlerTest, AStorageFailureFailsTheInvocationWithAPerRecordReport) {
  FailingTable failing;
  host->serve({.users = false, .assets = false, .uploads = true}, nullptr, &failing, nullptr);
  testing::internal::CaptureStdout();
  auto e = error(R"({"Records":[
      {"eventSource":"aws:s3","eventName":"ObjectCreated:Put",
       "s3":{"object":{"key":"assets/a1/f.bin","size":3,"eTag":"e"}}},
      {"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"object":{"size":3}}}]})");
  EXPECT_EQ(e.type, "Function.UploadNotRecorded");
  EXPECT_EQ(e.message,
            "2 of 2 S3 records not recorded: record 0 (asset a1): storage unavailable; "
            "record 1 (asset -): s3.object.key is missing");
  const std::string events = testing::internal::GetCapturedStdout();
  EXPECT_EQ(e.message.find("connection refused"), std::string::npos);
  EXPECT_NE(events.find(R"("assetId":"a1","detail":"connection refused")"), std::string::npos)
      << "the detail is logged: " << events;
}

TEST_F(EventHandlerTest, UnsupportedEventsAreInvocationErrors) {
  serve({});
  for (const char* payload : {"not json", "[]", "{}", R"({"Records":[{"eventSource":"aws:sqs"}]})",
                              R"({"detail-type":"Scheduled Event","source":"aws.events"})"}) {
    auto e = error(payload);
    EXPECT_EQ(e.type, "Function.UnsupportedEvent") << payload;
    EXPECT_TRUE(e.message.starts_with("Unsupported event")) << e.message;
  }
}

TEST_F(EventHandlerTest, EachFunctionTakesOnlyItsOwnEvents) {
  serve({.users = true, .assets = false, .uploads = false});
  EXPECT_EQ(error(event_sample("s3-object-created.json")).message,
            "Unsupported event: this function does not take S3 events");
  EXPECT_EQ(ok(event_sample("api-v1-post-asset.json")).at("statusCode"), 404);  // no assets routes
  EXPECT_EQ(ok(event_sample("api-v1-post-user.json")).at("statusCode"), 201);
}

TEST_F(EventHandlerTest, TheUploadsFunctionTakesNoApiEvents) {
  serve({.users = false, .assets = false, .uploads = true});
  EXPECT_EQ(error(event_sample("api-v1-get-user.json")).message,
            "Unsupported event: this function does not take API Gateway events");
  EXPECT_EQ(ok(event_sample("s3-object-created.json")).at("records").at(0).at("result"),
            "no-asset");
}

}  // namespace
}  // namespace sbapi::lambda
