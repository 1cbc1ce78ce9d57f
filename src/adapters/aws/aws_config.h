// Configuration of the aws backend, read from the environment the way the AWS SDKs read it.
//
// Contract
// - `load_aws_config` reads only through the injected `Environment` (a getenv-like function), so
//   tests pass a map and production passes `process_environment()`. An unset variable and a
//   variable set to "" are the same (as in the AWS SDKs).
// - Region: AWS_REGION, else AWS_DEFAULT_REGION. Required; a-z 0-9 '-' only (it becomes part of a
//   host name).
// - Credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (required; Lambda sets them),
//   AWS_SESSION_TOKEN (optional: temporary credentials). No profile files or instance metadata.
// - Endpoints: AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_S3 /
//   AWS_ENDPOINT_URL_SECRETS_MANAGER (the SDKs' service-specific names) win over
//   AWS_ENDPOINT_URL; with none set (or AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true) the AWS
//   defaults https://dynamodb.<region>.amazonaws.com, https://s3.<region>.amazonaws.com and
//   https://secretsmanager.<region>.amazonaws.com (amazonaws.com.cn for cn-* regions). A configured
//   endpoint is http(s)://host[:port][/path], plain http allowed (local engines); a trailing '/' is
//   dropped. `custom_*_endpoint` tells whether the endpoint was configured (S3 then uses path-style
//   URLs).
// - AWS_CA_BUNDLE (optional): a PEM file of CA certificates to verify TLS peers with, instead
//   of the system store.
// - Names: USERS_TABLE_NAME, ASSETS_TABLE_NAME, ASSETS_BUCKET_NAME, each required only when the
//   caller says so (`AwsConfigNeeds`); the bucket name must follow S3's rules.
// - Errors: one message naming the variable, e.g. "AWS_REGION (or AWS_DEFAULT_REGION) is not
//   set". The secret never appears in a message.
#pragma once

#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "sigv4/sigv4.h"

namespace sbapi::aws {

// getenv-like: the value of a variable, nullopt when unset.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;

// The real process environment (std::getenv).
Environment process_environment();
// A fixed environment (tests, tools).
Environment map_environment(std::map<std::string, std::string, std::less<>> variables);

struct AwsConfigNeeds {
  bool users_table = true;
  bool assets_table = true;
  bool bucket = true;
};

struct AwsConfig {
  std::string region;
  sigv4::Credentials credentials;
  std::string dynamodb_endpoint;        // scheme://host[:port][/path], no trailing '/'
  std::string s3_endpoint;              // idem
  std::string secretsmanager_endpoint;  // idem (the page-token secret on Lambda)
  bool custom_dynamodb_endpoint = false;
  bool custom_s3_endpoint = false;
  bool custom_secretsmanager_endpoint = false;
  std::string ca_bundle;     // AWS_CA_BUNDLE; empty: the system store
  std::string users_table;   // empty when not needed and not set
  std::string assets_table;  // idem
  std::string bucket;        // idem
};

std::expected<AwsConfig, std::string> load_aws_config(const Environment& env,
                                                      AwsConfigNeeds needs = {});

// Building blocks (exposed for tests).
// "https://s3.eu-west-1.amazonaws.com" and the like.
std::string default_endpoint(std::string_view service, std::string_view region);
// S3 bucket naming rules: 3-63 of a-z 0-9 . -, starting and ending with a letter or digit, no
// "..", not an IPv4 address.
bool is_valid_bucket_name(std::string_view name);
// DynamoDB table naming rules: 3-255 of A-Z a-z 0-9 _ . -
bool is_valid_table_name(std::string_view name);
// An endpoint URL as described above, normalised (no trailing '/'), or an error text.
std::expected<std::string, std::string> normalize_endpoint(std::string_view url);

}  // namespace sbapi::aws
