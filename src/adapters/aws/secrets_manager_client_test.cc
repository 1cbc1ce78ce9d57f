// SecretsManagerClient (and the shared AwsJsonClient under it) against a scripted Transport:
// only what a real endpoint cannot be made to do on cue — throttling, 500s, connection resets,
// malformed answers — and the exact request bytes. The protocol itself is proven against moto's
// Secrets Manager in tests/contract/secrets_manager_peer_test.cc.
#include "adapters/aws/secrets_manager_client.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <deque>

#include "sigv4/sigv4.h"

namespace sbapi::aws {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::int64_t kNow = 1'700'000'000;  // 2023-11-14T22:13:20Z
constexpr std::string_view kArn =
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:sbapi-page-tokens-AbCdEf";

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
  std::string header(std::size_t i, std::string_view name) const {
    for (const auto& [n, v] : sent.at(i).headers) {
      if (n == name) return v;
    }
    return "<none>";
  }
  std::deque<Reply> script;
  std::vector<HttpRequest> sent;
};

Reply ok(std::string body) { return HttpResponse{200, {}, std::move(body)}; }
Reply error(int status, const std::string& type) {
  return HttpResponse{status, {}, R"({"__type":")" + type + R"(","Message":"scripted"})"};
}
Reply reset() {
  return std::unexpected(
      TransportError{TransportError::Kind::kConnect, "Connection reset by peer"});
}
std::string secret_answer(const std::string& value_member) {
  return std::string(R"({"ARN":")") + std::string(kArn) +
         R"(","Name":"sbapi-page-tokens","VersionId":"v-1",)" + value_member +
         R"(,"VersionStages":["AWSCURRENT"],"CreatedDate":1.7E9})";
}

class SecretsManagerClientTest : public ::testing::Test {
 protected:
  SecretsManagerClient make(std::string session_token = "") {
    RetryHooks hooks;
    hooks.now = [this] { return steady_now; };
    hooks.sleep = [this](std::chrono::nanoseconds d) {
      sleeps.push_back(d);
      steady_now += d;
    };
    return SecretsManagerClient(
        AwsServiceEndpoint{
            "https://secretsmanager.eu-west-1.amazonaws.com",
            "eu-west-1",
            {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", std::move(session_token)}},
        transport, RetryPolicy{}, hooks, &clock);
  }

  std::shared_ptr<ScriptedTransport> transport = std::make_shared<ScriptedTransport>();
  FixedClock clock{kNow};
  SteadyTime steady_now{};
  std::vector<std::chrono::nanoseconds> sleeps;
};

TEST_F(SecretsManagerClientTest, SendsOneSignedJson11GetSecretValue) {
  transport->script = {ok(secret_answer(R"("SecretString":"s3cr3t")"))};
  auto got = make("session/token").get_secret_value(kArn);
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_EQ(got->secret_string, "s3cr3t");
  EXPECT_FALSE(got->secret_binary);
  EXPECT_EQ(got->arn, kArn);
  EXPECT_EQ(got->name, "sbapi-page-tokens");
  EXPECT_EQ(got->version_id, "v-1");

  ASSERT_EQ(transport->sent.size(), 1u);
  const HttpRequest& sent = transport->sent[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "https://secretsmanager.eu-west-1.amazonaws.com/");
  EXPECT_EQ(transport->header(0, "Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(transport->header(0, "X-Amz-Target"), "secretsmanager.GetSecretValue");
  EXPECT_EQ(json::parse(sent.body), json::parse(R"({"SecretId":")" + std::string(kArn) + "\"}"));
  EXPECT_EQ(transport->header(0, "X-Amz-Date"), "20231114T221320Z");
  EXPECT_EQ(transport->header(0, "X-Amz-Security-Token"), "session/token");
  const std::string authorization = transport->header(0, "Authorization");
  EXPECT_TRUE(
      authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/"
                                "eu-west-1/secretsmanager/aws4_request, "
                                "SignedHeaders=content-type;host;x-amz-date;"
                                "x-amz-security-token;x-amz-target, Signature="))
      << authorization;

  // The signature is the one sigv4 computes for exactly these bytes.
  sigv4::SignRequest sign;
  sign.method = "POST";
  sign.endpoint = "https://secretsmanager.eu-west-1.amazonaws.com";
  sign.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                  {"X-Amz-Target", "secretsmanager.GetSecretValue"}};
  sign.payload_hash = sigv4::sha256_hex(sent.body);
  sign.region = "eu-west-1";
  sign.service = "secretsmanager";
  sign.time = kNow;
  const auto expected = sigv4::sign_headers(
      sign, {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session/token"});
  EXPECT_TRUE(authorization.ends_with("Signature=" + expected.signature));
}

TEST_F(SecretsManagerClientTest, VersionStageIsSentWhenAsked) {
  transport->script = {ok(secret_answer(R"("SecretString":"old")"))};
  ASSERT_TRUE(make().get_secret_value("sbapi-page-tokens", "AWSPREVIOUS"));
  EXPECT_EQ(json::parse(transport->sent[0].body),
            json::parse(R"({"SecretId":"sbapi-page-tokens","VersionStage":"AWSPREVIOUS"})"));
}

TEST_F(SecretsManagerClientTest, SecretBinaryIsDecoded) {
  transport->script = {ok(secret_answer(R"("SecretBinary":"AAECAwQ=")"))};
  auto got = make().get_secret_value(kArn);
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_FALSE(got->secret_string);
  EXPECT_EQ(got->secret_binary, std::string("\x00\x01\x02\x03\x04", 5));
}

TEST_F(SecretsManagerClientTest, ThrottledThen500ThenResetThenSuccess) {
  transport->script = {error(400, "ThrottlingException"), error(500, "InternalServiceError"),
                       ok(secret_answer(R"("SecretString":"x")"))};
  auto got = make().get_secret_value(kArn);
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_EQ(transport->sent.size(), 3u);
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_GE(sleeps[0], 80ms);
  EXPECT_LE(sleeps[1], 240ms);
  EXPECT_EQ(transport->sent[0].body, transport->sent[2].body);
}

TEST_F(SecretsManagerClientTest, RetryableFailuresRunOutAfterThreeAttempts) {
  transport->script = {reset(), error(503, "ServiceUnavailable"), error(429, "Whatever"), ok("{}")};
  auto got = make().get_secret_value(kArn);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, AwsJsonError::Kind::kService);
  EXPECT_TRUE(got.error().retryable);
  EXPECT_EQ(got.error().attempts, 3);
  EXPECT_EQ(transport->script.size(), 1u);
  EXPECT_EQ(got.error().describe(),
            "Secrets Manager Whatever (HTTP 429): scripted after 3 attempts");
}

TEST_F(SecretsManagerClientTest, ServiceErrorsAreValuesAndNotRetried) {
  for (const char* type : {"ResourceNotFoundException", "AccessDeniedException",
                           "DecryptionFailure", "InvalidRequestException"}) {
    transport->sent.clear();
    transport->script = {error(400, type)};
    auto got = make().get_secret_value(kArn);
    ASSERT_FALSE(got) << type;
    EXPECT_EQ(got.error().type, type);
    EXPECT_EQ(got.error().http_status, 400);
    EXPECT_FALSE(got.error().retryable) << type;
    EXPECT_EQ(transport->sent.size(), 1u) << type;
  }
}

TEST_F(SecretsManagerClientTest, ErrorTypeFromTheHeaderWhenTheBodyHasNone) {
  transport->script = {HttpResponse{
      403,
      {{"x-amzn-errortype", "AccessDeniedException:http://internal.amazon.com/coral/"}},
      "<html>denied</html>"}};
  auto got = make().get_secret_value(kArn);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().type, "AccessDeniedException");
  EXPECT_EQ(got.error().http_status, 403);
}

TEST_F(SecretsManagerClientTest, ErrorTypeFromAnXmlErrorBody) {
  transport->script = {
      HttpResponse{403,
                   {},
                   R"(<?xml version="1.0"?><ErrorResponse><Errors><Error><Code>AccessDenied</Code>)"
                   R"(<Message>not authorized</Message></Error></Errors></ErrorResponse>)"}};
  auto got = make().get_secret_value(kArn);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().type, "AccessDenied");
  EXPECT_EQ(got.error().message, "not authorized");
  EXPECT_FALSE(got.error().retryable);
}

TEST_F(SecretsManagerClientTest, MalformedAnswersAreProtocolErrors) {
  for (const char* body : {"not json", "[]", R"({"ARN":"a","Name":"n"})", R"({"SecretString":5})",
                           R"({"SecretBinary":"***"})"}) {
    transport->script = {ok(body)};
    auto got = make().get_secret_value(kArn);
    ASSERT_FALSE(got) << body;
    EXPECT_EQ(got.error().kind, AwsJsonError::Kind::kProtocol) << body;
    EXPECT_EQ(got.error().service, "Secrets Manager");
  }
}

TEST_F(SecretsManagerClientTest, TheSecretNeverAppearsInAnError) {
  // A 200 whose value is there but another member is malformed: the error names the member.
  transport->script = {ok(R"({"SecretString":"top-secret-value","ARN":7})")};
  auto got = make().get_secret_value(kArn);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().describe().find("top-secret-value"), std::string::npos)
      << got.error().describe();
}

}  // namespace
}  // namespace sbapi::aws
