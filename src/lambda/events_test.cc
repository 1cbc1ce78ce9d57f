// Event parsing and response mapping, on the sample events of events/ and on hand-made edge
// cases (body null, base64 bodies, duplicate headers, stage prefixes, URL-encoded S3 keys).
#include "lambda/events.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <string>

#include "testing/files.h"

namespace sbapi::lambda {
namespace {

namespace json = boost::json;

// A sample event of events/, as a JSON object.
json::object sample(const std::string& name) {
  return json::parse(testutil::event_sample(name)).as_object();
}

std::string header(const Request& r, std::string_view name) {
  const std::string* value = r.header(name);
  return value == nullptr ? "<none>" : *value;
}

TEST(Classify, TellsTheSampleEventsApart) {
  EXPECT_EQ(classify(sample("api-v1-get-user.json")), EventKind::kApiGatewayV1);
  EXPECT_EQ(classify(sample("api-v1-post-user.json")), EventKind::kApiGatewayV1);
  EXPECT_EQ(classify(sample("api-v1-null-body.json")), EventKind::kApiGatewayV1);
  EXPECT_EQ(classify(sample("api-v2-get-user.json")), EventKind::kHttpApiV2);
  EXPECT_EQ(classify(sample("api-v2-post-user-base64.json")), EventKind::kHttpApiV2);
  EXPECT_EQ(classify(sample("s3-object-created.json")), EventKind::kS3);
}

TEST(Classify, AnythingElseIsUnsupported) {
  for (const char* text : {
           R"([1,2])",
           R"("text")",
           R"({})",
           R"({"key":"value"})",
           R"({"version":"2.0","rawPath":"/users"})",                // no requestContext.http
           R"({"httpMethod":"GET"})",                                // no path
           R"({"Records":[]})",                                      // no record
           R"({"Records":[{"eventSource":"aws:sqs","body":"x"}]})",  // SQS
           R"({"source":"aws.events","detail-type":"Scheduled Event"})",
       }) {
    EXPECT_EQ(classify(json::parse(text)), EventKind::kUnsupported) << text;
  }
}

TEST(ApiV1, GetUserRoutesFromThePathWithTheApiGatewayRequestId) {
  auto parsed = parse_api_v1(sample("api-v1-get-user.json"));
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->request.method, "GET");
  // `path` has no stage ("/v1" is only in requestContext.path) and is used as it is.
  EXPECT_EQ(parsed->request.path, "/users/u1");
  EXPECT_EQ(parsed->request.query, "");
  EXPECT_EQ(parsed->request.body, "");
  EXPECT_EQ(header(parsed->request, "accept"), "application/json");
  EXPECT_EQ(header(parsed->request, "x-forwarded-proto"), "https");
  EXPECT_EQ(parsed->request_id, "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
}

TEST(ApiV1, PostUserKeepsTheBodyStringJoinsDuplicateHeadersAndEncodesTheQuery) {
  auto parsed = parse_api_v1(sample("api-v1-post-user.json"));
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->request.method, "POST");
  EXPECT_EQ(parsed->request.path, "/users");
  EXPECT_EQ(json::parse(parsed->request.body).at("email"), "ada@example.com");
  // multiValueHeaders wins over headers (which only holds the last value, "a").
  EXPECT_EQ(header(parsed->request, "x-custom"), "a, b");
  EXPECT_EQ(header(parsed->request, "content-type"), "application/json");
  EXPECT_EQ(parsed->request.query, "source=sample%20event");
}

TEST(ApiV1, NullBodyIsAnEmptyBody) {
  auto parsed = parse_api_v1(sample("api-v1-null-body.json"));
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->request.method, "POST");
  EXPECT_TRUE(parsed->request.body.empty());
}

TEST(ApiV1, Base64BodiesAreDecodedAndBadOnesRefused) {
  auto event = json::parse(R"({"httpMethod":"PUT","path":"/users/u1","body":"eyJuYW1lIjoiw6kifQ==",
                               "isBase64Encoded":true})")
                   .as_object();
  auto parsed = parse_api_v1(event);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->request.body, "{\"name\":\"\xC3\xA9\"}");
  EXPECT_EQ(parsed->request_id, "");  // no requestContext: the caller uses the Lambda id

  event["body"] = "not base64!";
  EXPECT_FALSE(parse_api_v1(event));
}

TEST(ApiV1, WithoutMultiValueFieldsTheSingleValuedOnesAreUsed) {
  auto event = json::parse(R"({"httpMethod":"get","path":"/users",
      "headers":{"X-Api-Key":"k1","Cookie":"a=1"},"multiValueHeaders":null,
      "queryStringParameters":{"email":"a+b@example.com","limit":"5"},
      "multiValueQueryStringParameters":null})")
                   .as_object();
  auto parsed = parse_api_v1(event);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->request.method, "GET");
  EXPECT_EQ(header(parsed->request, "x-api-key"), "k1");
  EXPECT_EQ(parsed->request.query, "email=a%2Bb%40example.com&limit=5");
}

TEST(ApiV1, RepeatedQueryParametersAndCookiesKeepEveryValue) {
  auto event = json::parse(R"({"httpMethod":"GET","path":"/users",
      "multiValueHeaders":{"Cookie":["a=1","b=2"]},
      "multiValueQueryStringParameters":{"status":["pending","uploaded"]}})")
                   .as_object();
  auto parsed = parse_api_v1(event);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(header(parsed->request, "cookie"), "a=1; b=2");
  EXPECT_EQ(parsed->request.query, "status=pending&status=uploaded");
}

TEST(ApiV2, GetUserStripsTheNamedStageAndTurnsCookiesIntoACookieHeader) {
  auto parsed = parse_api_v2(sample("api-v2-get-user.json"));
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->request.method, "GET");
  EXPECT_EQ(parsed->request.path, "/users/u1");  // rawPath "/v1/users/u1", stage "v1"
  EXPECT_EQ(header(parsed->request, "cookie"), "session=abc; theme=dark");
  EXPECT_EQ(header(parsed->request, "x-multi"), "one,two");  // API Gateway joined it already
  EXPECT_EQ(parsed->request_id, "JKJaXmPLvHcESHA=");
  EXPECT_TRUE(parsed->request.body.empty());
}

TEST(ApiV2, PostUserDecodesTheBase64BodyAndKeepsTheRawQuery) {
  auto parsed = parse_api_v2(sample("api-v2-post-user-base64.json"));
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->request.method, "POST");
  EXPECT_EQ(parsed->request.path, "/users");  // stage "$default": nothing to strip
  EXPECT_EQ(parsed->request.query, "a=1&b=x%20y");
  EXPECT_EQ(json::parse(parsed->request.body).at("userId"), "u2");
  EXPECT_EQ(header(parsed->request, "content-type"), "application/json");
}

TEST(ApiV2, OnlyAWholeStageSegmentIsStripped) {
  auto event = json::parse(R"({"version":"2.0","rawPath":"/v1x/users",
      "requestContext":{"stage":"v1","http":{"method":"GET"}}})")
                   .as_object();
  EXPECT_EQ(parse_api_v2(event)->request.path, "/v1x/users");
  event["rawPath"] = "/v1";
  EXPECT_EQ(parse_api_v2(event)->request.path, "/");
  event["rawPath"] = "/users/v1";
  EXPECT_EQ(parse_api_v2(event)->request.path, "/users/v1");
}

TEST(ApiV2, BodyNullAndBadBase64) {
  auto event = json::parse(R"({"version":"2.0","rawPath":"/users","body":null,
      "requestContext":{"http":{"method":"POST"}}})")
                   .as_object();
  auto parsed = parse_api_v2(event);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->request.body.empty());
  event["body"] = "%%%";
  event["isBase64Encoded"] = true;
  EXPECT_FALSE(parse_api_v2(event));
}

Response sample_response() {
  Response r;
  r.status = 405;
  r.headers = {{"content-type", "application/json"},
               {"allow", "GET, OPTIONS"},
               {"vary", "Origin"},
               {"vary", "Accept"},
               {"set-cookie", "a=1; Path=/"},
               {"set-cookie", "b=2; Path=/"}};
  r.body = R"({"error":"Method not allowed"})";
  return r;
}

TEST(Responses, V1HasSingleAndMultiValueHeadersAndAPlainBody) {
  auto out = json::parse(to_api_v1_response(sample_response())).as_object();
  EXPECT_EQ(out.at("statusCode"), 405);
  EXPECT_EQ(out.at("body"), R"({"error":"Method not allowed"})");
  EXPECT_EQ(out.at("isBase64Encoded"), false);
  const auto& headers = out.at("headers").as_object();
  EXPECT_EQ(headers.at("allow"), "GET, OPTIONS");
  EXPECT_EQ(headers.at("content-type"), "application/json");
  // A repeated header is only in multiValueHeaders (API Gateway merges the two maps).
  EXPECT_FALSE(headers.contains("vary"));
  EXPECT_FALSE(headers.contains("set-cookie"));
  const auto& multi = out.at("multiValueHeaders").as_object();
  EXPECT_EQ(multi.at("vary"), json::parse(R"(["Origin","Accept"])"));
  EXPECT_EQ(multi.at("set-cookie"), json::parse(R"(["a=1; Path=/","b=2; Path=/"])"));
  EXPECT_EQ(multi.at("allow"), json::parse(R"(["GET, OPTIONS"])"));
}

TEST(Responses, V2JoinsRepeatedHeadersAndMovesSetCookieToCookies) {
  auto out = json::parse(to_api_v2_response(sample_response())).as_object();
  EXPECT_EQ(out.at("statusCode"), 405);
  EXPECT_EQ(out.at("body"), R"({"error":"Method not allowed"})");
  EXPECT_EQ(out.at("isBase64Encoded"), false);
  EXPECT_FALSE(out.contains("multiValueHeaders"));
  const auto& headers = out.at("headers").as_object();
  EXPECT_EQ(headers.at("vary"), "Origin,Accept");
  EXPECT_EQ(headers.at("allow"), "GET, OPTIONS");
  EXPECT_FALSE(headers.contains("set-cookie"));
  EXPECT_EQ(out.at("cookies"), json::parse(R"(["a=1; Path=/","b=2; Path=/"])"));
}

TEST(Responses, V2WithoutCookiesHasNoCookiesField) {
  Response r;
  r.status = 204;
  auto out = json::parse(to_api_v2_response(r)).as_object();
  EXPECT_EQ(out.at("statusCode"), 204);
  EXPECT_FALSE(out.contains("cookies"));
  EXPECT_EQ(out.at("body"), "");
}

TEST(S3, SampleRecordHasTheDecodedKeySizeAndEtag) {
  auto records = parse_s3(sample("s3-object-created.json"));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].error, "");
  EXPECT_EQ(records[0].event_name, "ObjectCreated:Put");
  EXPECT_EQ(records[0].bucket, "sbapi-assets");
  // "Quarterly+report+%282026%29+%C3%A9t%C3%A9.pdf"
  EXPECT_EQ(records[0].key, "assets/a1/Quarterly report (2026) \xC3\xA9t\xC3\xA9.pdf");
  EXPECT_EQ(records[0].size, 1024u);
  EXPECT_EQ(records[0].etag, "0123456789abcdef0123456789abcdef");
}

TEST(S3, EachRecordStandsAlone) {
  auto records = parse_s3(json::parse(R"({"Records":[
      {"eventSource":"aws:s3","eventName":"ObjectCreated:CompleteMultipartUpload",
       "s3":{"bucket":{"name":"b"},"object":{"key":"assets/a2/a%2Bb.bin","size":5,"eTag":"\"e-2\""}}},
      {"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"object":{"size":1}}},
      {"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"object":{"key":"bad%zz"}}},
      {"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"object":{"key":"k"}}},
      {"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"object":{"key":"k2"}}},
      7
  ]})")
                              .as_object());
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records[0].error, "");
  EXPECT_EQ(records[0].key, "assets/a2/a+b.bin");  // %2B is a literal '+'
  EXPECT_EQ(records[0].etag, "e-2");               // quotes dropped
  EXPECT_EQ(records[0].size, 5u);
  EXPECT_EQ(records[1].error, "s3.object.key is missing");
  EXPECT_EQ(records[2].error, "s3.object.key is not URL-encoded UTF-8");
  EXPECT_EQ(records[3].error, "s3.object.size is missing");
  EXPECT_EQ(records[4].error, "");  // removals carry no size; they are ignored later
  EXPECT_EQ(records[5].error, "the record is not an object");
  // Fuzzing found a key that decodes to a byte that is not UTF-8 ("%A9"): echoed into the JSON
  // answer it made the answer invalid JSON. Now it is a record error.
  const auto not_utf8 = parse_s3(boost::json::parse(R"({"Records":[
      {"eventSource":"aws:s3","eventName":"ObjectCreated:Put",
       "s3":{"object":{"key":"assets/a1/%A9.pdf","size":1}}}]})")
                                     .as_object());
  ASSERT_EQ(not_utf8.size(), 1u);
  EXPECT_EQ(not_utf8[0].error, "s3.object.key is not URL-encoded UTF-8");
}

TEST(Codecs, Base64) {
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zm9v"), "foo");
  EXPECT_EQ(base64_decode("Zm9vYg"), "foob");  // padding optional
  EXPECT_EQ(base64_decode("AP8="), std::string("\x00\xFF", 2));
  EXPECT_EQ(base64_decode("Zm9v!"), std::nullopt);
  EXPECT_EQ(base64_decode("Z"), std::nullopt);
  EXPECT_EQ(base64_decode("Zg="), std::nullopt);  // padding must complete a quantum
  EXPECT_EQ(base64_decode("Zg==="), std::nullopt);
}

TEST(Codecs, S3Keys) {
  EXPECT_EQ(decode_s3_key("a+b%2Bc%20d"), "a b+c d");
  EXPECT_EQ(decode_s3_key("%E2%82%AC"), "\xE2\x82\xAC");
  EXPECT_EQ(decode_s3_key("100%"), std::nullopt);
  EXPECT_EQ(decode_s3_key("%g0"), std::nullopt);
}

}  // namespace
}  // namespace sbapi::lambda
