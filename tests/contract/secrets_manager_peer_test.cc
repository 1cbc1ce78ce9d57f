// SecretsManagerClient against moto's Secrets Manager (the real protocol: JSON 1.1, SigV4
// service "secretsmanager", its error shapes). Two moto processes: one of our own with
// authentication off (secrets are created and read back), and the shared one of the DynamoDB
// contract tests, which checks SigV4 and whose IAM user may use DynamoDB only (signature and
// authorisation failures). moto unavailable here: skipped (a failure under CI=true).
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "adapters/aws/secrets_manager_client.h"
#include "peers.h"

namespace sbapi::contract {
namespace {

using boost::json::object;

// moto without IAM authentication, started once for this file's tests.
class OpenMoto {
 public:
  static std::expected<std::string, std::string> endpoint() {
    static OpenMoto moto;
    if (!moto.process_) return std::unexpected(moto.error_);
    return moto.process_->endpoint();
  }

 private:
  OpenMoto() {
    const int port = free_port();
    if (port == 0) {
      error_ = "no free port on 127.0.0.1";
      return;
    }
    log_ = std::filesystem::temp_directory_path() /
           ("sbapi-moto-secretsmanager-" + std::to_string(port) + ".log");
    auto started = PeerProcess::start(
        {"python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", std::to_string(port)},
        {{"MOTO_ALLOW_NONEXISTENT_REGION", "true"}}, log_, port);
    if (!started) {
      error_ = "moto unavailable: " + started.error();
      return;
    }
    process_ = std::move(*started);
  }
  ~OpenMoto() {
    process_.reset();
    std::error_code ec;
    std::filesystem::remove(log_, ec);
  }

  std::unique_ptr<PeerProcess> process_;
  std::filesystem::path log_;
  std::string error_;
};

class SecretsManagerPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto endpoint = OpenMoto::endpoint();
    if (!endpoint) {
      if (running_in_ci()) FAIL() << endpoint.error();
      GTEST_SKIP() << endpoint.error();
    }
    client = std::make_unique<aws::SecretsManagerClient>(
        aws::AwsServiceEndpoint{*endpoint, "us-east-1", {"AKIDEXAMPLE", "test-secret", ""}},
        std::make_shared<aws::CurlTransport>());
  }

  static std::string fresh(const std::string& base) {
    static int counter = 0;
    return "sbapi-" + base + "-" + std::to_string(++counter);
  }

  // CreateSecret; the new secret's ARN.
  std::string create(const std::string& name, object value) {
    value["Name"] = name;
    auto created = client->call("CreateSecret", value);
    EXPECT_TRUE(created) << created.error().describe();
    if (!created) return {};
    return std::string(created->at("ARN").as_string());
  }

  std::unique_ptr<aws::SecretsManagerClient> client;
};

TEST_F(SecretsManagerPeerTest, ReadsASecretStringByArnAndByName) {
  const std::string name = fresh("page-tokens");
  const std::string value(64, 'x');
  const std::string arn = create(name, {{"SecretString", value}});
  ASSERT_FALSE(arn.empty());

  auto by_arn = client->get_secret_value(arn);
  ASSERT_TRUE(by_arn) << by_arn.error().describe();
  EXPECT_EQ(by_arn->secret_string, value);
  EXPECT_FALSE(by_arn->secret_binary);
  EXPECT_EQ(by_arn->arn, arn);
  EXPECT_EQ(by_arn->name, name);
  EXPECT_FALSE(by_arn->version_id.empty());

  auto by_name = client->get_secret_value(name);
  ASSERT_TRUE(by_name) << by_name.error().describe();
  EXPECT_EQ(by_name->secret_string, value);
  EXPECT_EQ(by_name->arn, arn);
}

TEST_F(SecretsManagerPeerTest, ReadsASecretBinaryDecoded) {
  const std::string bytes("\x00\x01\xfe\xff key", 8);
  const std::string arn = create(fresh("binary"), {{"SecretBinary", "AAH+/yBrZXk="}});
  ASSERT_FALSE(arn.empty());
  auto got = client->get_secret_value(arn);
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_FALSE(got->secret_string);
  EXPECT_EQ(got->secret_binary, bytes);
}

TEST_F(SecretsManagerPeerTest, VersionStagesAfterARotation) {
  const std::string arn = create(fresh("rotated"), {{"SecretString", "first-value"}});
  ASSERT_FALSE(arn.empty());
  auto put = client->call("PutSecretValue", object{{"SecretId", arn}, {"SecretString", "second"}});
  ASSERT_TRUE(put) << put.error().describe();
  EXPECT_EQ(client->get_secret_value(arn)->secret_string, "second");
  auto previous = client->get_secret_value(arn, "AWSPREVIOUS");
  ASSERT_TRUE(previous) << previous.error().describe();
  EXPECT_EQ(previous->secret_string, "first-value");
}

TEST_F(SecretsManagerPeerTest, AMissingSecretIsAServiceErrorValue) {
  auto got = client->get_secret_value(
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:sbapi-nowhere-AbCdEf");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, aws::AwsJsonError::Kind::kService);
  EXPECT_EQ(got.error().type, "ResourceNotFoundException") << got.error().describe();
  // 400 on AWS; moto answers 404.
  EXPECT_TRUE(got.error().http_status == 400 || got.error().http_status == 404)
      << got.error().describe();
  EXPECT_FALSE(got.error().retryable);
  EXPECT_EQ(got.error().attempts, 1);
}

TEST_F(SecretsManagerPeerTest, ASecretScheduledForDeletionIsRefused) {
  const std::string arn = create(fresh("deleted"), {{"SecretString", std::string(40, 'd')}});
  ASSERT_FALSE(arn.empty());
  auto deleted = client->call("DeleteSecret", object{{"SecretId", arn}});
  ASSERT_TRUE(deleted) << deleted.error().describe();
  auto got = client->get_secret_value(arn);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().type, "InvalidRequestException") << got.error().describe();
  EXPECT_FALSE(got.error().retryable);
}

// The shared moto verifies signatures and IAM policies; its user may use DynamoDB only.
class SecretsManagerAuthPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = dynamo_peer("moto");
    if (!p) {
      if (running_in_ci()) FAIL() << "moto unavailable under CI: " << p.error();
      GTEST_SKIP() << "moto unavailable: " << p.error();
    }
    peer = *p;
  }
  aws::SecretsManagerClient client_with(sigv4::Credentials credentials) const {
    return aws::SecretsManagerClient(
        aws::AwsServiceEndpoint{peer->config.endpoint, peer->config.region, std::move(credentials)},
        std::make_shared<aws::CurlTransport>());
  }
  DynamoPeer* peer = nullptr;
};

TEST_F(SecretsManagerAuthPeerTest, ABadSignatureIsRefused) {
  auto credentials = peer->config.credentials;
  credentials.secret_access_key += "-wrong";
  auto got = client_with(credentials).get_secret_value("anything");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, aws::AwsJsonError::Kind::kService) << got.error().describe();
  // AWS's JSON services say InvalidSignatureException; moto answers every service's
  // authentication failure in the query protocol's XML (<Code>SignatureDoesNotMatch</Code>).
  EXPECT_TRUE(got.error().type == "InvalidSignatureException" ||
              got.error().type == "SignatureDoesNotMatch")
      << got.error().describe();
  EXPECT_EQ(got.error().http_status, 403);
  EXPECT_FALSE(got.error().retryable);
  EXPECT_EQ(got.error().attempts, 1);
}

TEST_F(SecretsManagerAuthPeerTest, ACorrectlySignedCallWithoutPermissionIsAccessDenied) {
  // Signed right (else SignatureDoesNotMatch), refused by policy: the role lacks
  // secretsmanager:GetSecretValue, the error a deployment without the template's grant sees.
  auto got = client_with(peer->config.credentials).get_secret_value("sbapi-page-tokens");
  ASSERT_FALSE(got);
  // AccessDeniedException (HTTP 400) on AWS; moto: <Code>AccessDenied</Code>, HTTP 403.
  EXPECT_TRUE(got.error().type == "AccessDeniedException" || got.error().type == "AccessDenied")
      << got.error().describe();
  EXPECT_NE(got.error().message.find("secretsmanager:GetSecretValue"), std::string::npos)
      << got.error().describe();
  EXPECT_FALSE(got.error().retryable);
}

}  // namespace
}  // namespace sbapi::contract
