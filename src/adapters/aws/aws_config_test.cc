#include "adapters/aws/aws_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>

namespace sbapi::aws {
namespace {

using Env = std::map<std::string, std::string, std::less<>>;

Env complete() {
  return {{"AWS_REGION", "eu-central-1"},
          {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
          {"AWS_SECRET_ACCESS_KEY", "very-secret-key"},
          {"USERS_TABLE_NAME", "users-table"},
          {"ASSETS_TABLE_NAME", "assets-table"},
          {"ASSETS_BUCKET_NAME", "assets-bucket"}};
}

std::string error_of(Env env, AwsConfigNeeds needs = {}) {
  auto config = load_aws_config(map_environment(std::move(env)), needs);
  return config ? "<no error>" : config.error();
}

TEST(AwsConfig, ReadsEverySettingWithAwsDefaultEndpoints) {
  auto config = load_aws_config(map_environment(complete()));
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->region, "eu-central-1");
  EXPECT_EQ(config->credentials.access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(config->credentials.secret_access_key, "very-secret-key");
  EXPECT_EQ(config->credentials.session_token, "");
  EXPECT_EQ(config->dynamodb_endpoint, "https://dynamodb.eu-central-1.amazonaws.com");
  EXPECT_EQ(config->s3_endpoint, "https://s3.eu-central-1.amazonaws.com");
  EXPECT_FALSE(config->custom_dynamodb_endpoint);
  EXPECT_FALSE(config->custom_s3_endpoint);
  EXPECT_EQ(config->users_table, "users-table");
  EXPECT_EQ(config->assets_table, "assets-table");
  EXPECT_EQ(config->bucket, "assets-bucket");
}

TEST(AwsConfig, SessionTokenIsRead) {
  Env env = complete();
  env["AWS_SESSION_TOKEN"] = "token/with+chars=";
  auto config = load_aws_config(map_environment(env));
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->credentials.session_token, "token/with+chars=");
}

TEST(AwsConfig, CaBundleIsRead) {
  Env env = complete();
  EXPECT_EQ(load_aws_config(map_environment(env))->ca_bundle, "");
  env["AWS_CA_BUNDLE"] = "/etc/ssl/certs/ca-certificates.crt";
  EXPECT_EQ(load_aws_config(map_environment(env))->ca_bundle, "/etc/ssl/certs/ca-certificates.crt");
}

TEST(AwsConfig, RegionFallsBackToAwsDefaultRegion) {
  Env env = complete();
  env.erase("AWS_REGION");
  env["AWS_DEFAULT_REGION"] = "ap-southeast-2";
  auto config = load_aws_config(map_environment(env));
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->region, "ap-southeast-2");
  // AWS_REGION wins when both are set.
  env["AWS_REGION"] = "us-west-2";
  EXPECT_EQ(load_aws_config(map_environment(env))->region, "us-west-2");
}

TEST(AwsConfig, ChinaRegionsUseTheirDomain) {
  Env env = complete();
  env["AWS_REGION"] = "cn-north-1";
  auto config = load_aws_config(map_environment(env));
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->dynamodb_endpoint, "https://dynamodb.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(config->s3_endpoint, "https://s3.cn-north-1.amazonaws.com.cn");
}

TEST(AwsConfig, MissingSettingsAreNamed) {
  struct Case {
    const char* unset;
    const char* message;
  };
  for (const Case& c : {
           Case{"AWS_REGION", "AWS_REGION (or AWS_DEFAULT_REGION) is not set"},
           Case{"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID is not set"},
           Case{"AWS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY is not set"},
           Case{"USERS_TABLE_NAME", "USERS_TABLE_NAME is not set"},
           Case{"ASSETS_TABLE_NAME", "ASSETS_TABLE_NAME is not set"},
           Case{"ASSETS_BUCKET_NAME", "ASSETS_BUCKET_NAME is not set"},
       }) {
    Env env = complete();
    env.erase(c.unset);
    EXPECT_EQ(error_of(env), c.message) << c.unset;
    // Empty is unset, as in the AWS SDKs.
    env[c.unset] = "";
    EXPECT_EQ(error_of(env), c.message) << c.unset << " empty";
  }
}

TEST(AwsConfig, NamesAreRequiredOnlyWhenNeeded) {
  Env env = complete();
  env.erase("USERS_TABLE_NAME");
  env.erase("ASSETS_BUCKET_NAME");
  auto config = load_aws_config(map_environment(env),
                                {.users_table = false, .assets_table = true, .bucket = false});
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->users_table, "");
  EXPECT_EQ(config->bucket, "");
  EXPECT_EQ(config->assets_table, "assets-table");
}

TEST(AwsConfig, ServiceEndpointsWinOverTheGeneralOne) {
  Env env = complete();
  env["AWS_ENDPOINT_URL"] = "http://localhost:4566/";
  auto general = load_aws_config(map_environment(env));
  ASSERT_TRUE(general.has_value()) << general.error();
  EXPECT_EQ(general->dynamodb_endpoint, "http://localhost:4566");
  EXPECT_EQ(general->s3_endpoint, "http://localhost:4566");
  EXPECT_TRUE(general->custom_dynamodb_endpoint);
  EXPECT_TRUE(general->custom_s3_endpoint);

  env["AWS_ENDPOINT_URL_DYNAMODB"] = "http://127.0.0.1:8000";
  env["AWS_ENDPOINT_URL_S3"] = "https://minio.example:9000/base";
  auto specific = load_aws_config(map_environment(env));
  ASSERT_TRUE(specific.has_value()) << specific.error();
  EXPECT_EQ(specific->dynamodb_endpoint, "http://127.0.0.1:8000");
  EXPECT_EQ(specific->s3_endpoint, "https://minio.example:9000/base");
}

TEST(AwsConfig, OnlyOneServiceEndpointLeavesTheOtherOnAws) {
  Env env = complete();
  env["AWS_ENDPOINT_URL_DYNAMODB"] = "http://127.0.0.1:8000";
  auto config = load_aws_config(map_environment(env));
  ASSERT_TRUE(config.has_value());
  EXPECT_TRUE(config->custom_dynamodb_endpoint);
  EXPECT_FALSE(config->custom_s3_endpoint);
  EXPECT_EQ(config->s3_endpoint, "https://s3.eu-central-1.amazonaws.com");
}

TEST(AwsConfig, SecretsManagerEndpoint) {
  Env env = complete();
  auto aws = load_aws_config(map_environment(env));
  ASSERT_TRUE(aws.has_value()) << aws.error();
  EXPECT_EQ(aws->secretsmanager_endpoint, "https://secretsmanager.eu-central-1.amazonaws.com");
  EXPECT_FALSE(aws->custom_secretsmanager_endpoint);
  env["AWS_REGION"] = "cn-northwest-1";
  EXPECT_EQ(load_aws_config(map_environment(env))->secretsmanager_endpoint,
            "https://secretsmanager.cn-northwest-1.amazonaws.com.cn");

  env["AWS_ENDPOINT_URL"] = "http://localhost:4566";
  auto general = load_aws_config(map_environment(env));
  ASSERT_TRUE(general.has_value()) << general.error();
  EXPECT_EQ(general->secretsmanager_endpoint, "http://localhost:4566");
  EXPECT_TRUE(general->custom_secretsmanager_endpoint);

  // The SDKs' service-specific name wins, and leaves the others alone.
  env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = "http://127.0.0.1:5001/";
  auto specific = load_aws_config(map_environment(env));
  ASSERT_TRUE(specific.has_value()) << specific.error();
  EXPECT_EQ(specific->secretsmanager_endpoint, "http://127.0.0.1:5001");
  EXPECT_EQ(specific->dynamodb_endpoint, "http://localhost:4566");

  env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = "127.0.0.1:5001";
  EXPECT_TRUE(error_of(env).starts_with("AWS_ENDPOINT_URL_SECRETS_MANAGER must look like"))
      << error_of(env);
}

TEST(AwsConfig, IgnoreConfiguredEndpointUrls) {
  Env env = complete();
  env["AWS_ENDPOINT_URL"] = "http://localhost:4566";
  env["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true";
  auto config = load_aws_config(map_environment(env));
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->dynamodb_endpoint, "https://dynamodb.eu-central-1.amazonaws.com");
  EXPECT_FALSE(config->custom_s3_endpoint);
}

TEST(AwsConfig, BadEndpointsAreNamed) {
  for (const char* bad : {"localhost:4566", "ftp://host", "http://", "http://host:port",
                          "http://host:0", "http://host:65536", "http://host?x=1",
                          "http://user@host", "http://ho st", "http://[::1"}) {
    Env env = complete();
    env["AWS_ENDPOINT_URL_S3"] = bad;
    const std::string error = error_of(env);
    EXPECT_TRUE(error.starts_with("AWS_ENDPOINT_URL_S3 must look like")) << bad << ": " << error;
  }
  Env env = complete();
  env["AWS_ENDPOINT_URL"] = "nope";
  EXPECT_TRUE(error_of(env).starts_with("AWS_ENDPOINT_URL must look like")) << error_of(env);
}

TEST(AwsConfig, GoodEndpointsAreNormalised) {
  EXPECT_EQ(normalize_endpoint("HTTP://127.0.0.1:8000//"), "http://127.0.0.1:8000");
  EXPECT_EQ(normalize_endpoint("https://[::1]:8443"), "https://[::1]:8443");
  EXPECT_EQ(normalize_endpoint("https://s3.example.com/base/"), "https://s3.example.com/base");
  EXPECT_EQ(normalize_endpoint("http://host:65535"), "http://host:65535");
}

TEST(AwsConfig, BadRegionBucketAndTableNamesAreNamed) {
  Env env = complete();
  env["AWS_REGION"] = "evil.com/";
  EXPECT_TRUE(error_of(env).starts_with("AWS_REGION \"evil.com/\" is not a region"))
      << error_of(env);
  env = complete();
  env["ASSETS_BUCKET_NAME"] = "Upper_Case";
  EXPECT_TRUE(error_of(env).starts_with("ASSETS_BUCKET_NAME \"Upper_Case\" is not a valid"))
      << error_of(env);
  env = complete();
  env["USERS_TABLE_NAME"] = "a b";
  EXPECT_TRUE(error_of(env).starts_with("USERS_TABLE_NAME \"a b\" is not a valid"))
      << error_of(env);
}

TEST(AwsConfig, SecretNeverInErrors) {
  Env env = complete();
  env["AWS_ENDPOINT_URL"] = "bad";
  EXPECT_EQ(error_of(env).find("very-secret-key"), std::string::npos);
}

TEST(AwsConfig, BucketNameRules) {
  const std::string longest(63, 'a');
  const std::string too_long(64, 'a');
  for (const std::string& good :
       {std::string("abc"), std::string("my-bucket.example"), std::string("a1-b2"), longest}) {
    EXPECT_TRUE(is_valid_bucket_name(good)) << good;
  }
  for (const std::string& bad :
       {std::string("ab"), std::string("-abc"), std::string("abc-"), std::string("a..b"),
        std::string("ABC"), std::string("a_b"), std::string("192.168.1.1"), too_long}) {
    EXPECT_FALSE(is_valid_bucket_name(bad)) << bad;
  }
}

TEST(AwsConfig, ProcessEnvironmentReadsGetenv) {
  ::setenv("SBAPI_AWS_CONFIG_TEST_VAR", "value-1", 1);
  EXPECT_EQ(process_environment()("SBAPI_AWS_CONFIG_TEST_VAR"), "value-1");
  ::unsetenv("SBAPI_AWS_CONFIG_TEST_VAR");
  EXPECT_EQ(process_environment()("SBAPI_AWS_CONFIG_TEST_VAR"), std::nullopt);
}

}  // namespace
}  // namespace sbapi::aws
