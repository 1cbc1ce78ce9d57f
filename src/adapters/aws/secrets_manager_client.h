// An AWS Secrets Manager client: GetSecretValue over the JSON 1.1 protocol (aws_json_client.h).
//
// Contract
// - `get_secret_value(id)`: POST / with `X-Amz-Target: secretsmanager.GetSecretValue`,
//   `Content-Type: application/x-amz-json-1.1`, body `{"SecretId": id}` (+ "VersionStage" when
//   given), SigV4 service "secretsmanager"; retried as every AWS call (retry.h: 5xx, 429,
//   throttling, connection errors, timeouts; at most 3 attempts within the thread's deadline).
// - The answer: the secret's ARN, Name, VersionId and its value — SecretString as is, or
//   SecretBinary base64-decoded. A 200 without either, or with a SecretBinary that is not
//   base64, is a kProtocol error. Every failure is an `AwsJsonError` value (service
//   "Secrets Manager"; e.g. type "ResourceNotFoundException", "AccessDeniedException",
//   "DecryptionFailure"), never an exception. The secret value never appears in an error.
// - Nothing is contacted by the constructor. Thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/aws/aws_json_client.h"

namespace sbapi::aws {

struct SecretValue {
  std::string arn;
  std::string name;
  std::string version_id;
  std::optional<std::string> secret_string;  // SecretString
  std::optional<std::string> secret_binary;  // SecretBinary, decoded bytes
};

// The Secrets Manager flavour of the JSON protocol (service names, target prefix, 1.1).
AwsJsonProtocol secrets_manager_protocol();

class SecretsManagerClient {
 public:
  // `config.endpoint`: e.g. AwsConfig::secretsmanager_endpoint. `clock` as AwsJsonClient.
  SecretsManagerClient(AwsServiceEndpoint config, std::shared_ptr<Transport> transport,
                       RetryPolicy retry_policy = {}, RetryHooks retry_hooks = {},
                       const Clock* clock = nullptr);

  // The current value (AWSCURRENT) of the secret named by ARN or name, or of `version_stage`.
  AwsJsonResult<SecretValue> get_secret_value(std::string_view secret_id,
                                              std::string_view version_stage = {}) const;

  // One raw call of any operation (tests set up secrets on a peer with CreateSecret).
  AwsJsonResult<boost::json::object> call(std::string_view operation,
                                          const boost::json::object& body) const {
    return client_.call(operation, body);
  }
  [[nodiscard]] const AwsJsonClient& json_client() const { return client_; }

 private:
  AwsJsonClient client_;
};

}  // namespace sbapi::aws
