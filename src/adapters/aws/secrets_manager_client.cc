#include "adapters/aws/secrets_manager_client.h"

#include <utility>

#include "core/base64.h"

namespace sbapi::aws {
namespace {

namespace json = boost::json;

// A string member, or nullopt when absent or null; `wrong` when it is there but not a string.
std::optional<std::string> optional_string(const json::object& object, std::string_view name,
                                           bool& wrong) {
  const auto* v = object.if_contains(name);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_string()) {
    wrong = true;
    return std::nullopt;
  }
  return std::string(v->get_string());
}

}  // namespace

AwsJsonProtocol secrets_manager_protocol() {
  AwsJsonProtocol protocol;
  protocol.service_name = "Secrets Manager";
  protocol.signing_name = "secretsmanager";
  protocol.target_prefix = "secretsmanager.";
  protocol.json_version = "1.1";
  return protocol;
}

SecretsManagerClient::SecretsManagerClient(AwsServiceEndpoint config,
                                           std::shared_ptr<Transport> transport,
                                           RetryPolicy retry_policy, RetryHooks retry_hooks,
                                           const Clock* clock)
    : client_(secrets_manager_protocol(), std::move(config), std::move(transport), retry_policy,
              std::move(retry_hooks), clock) {}

AwsJsonResult<SecretValue> SecretsManagerClient::get_secret_value(
    std::string_view secret_id, std::string_view version_stage) const {
  json::object body{{"SecretId", secret_id}};
  if (!version_stage.empty()) body.emplace("VersionStage", version_stage);
  auto response = client_.call("GetSecretValue", body);
  if (!response) return std::unexpected(std::move(response.error()));

  SecretValue value;
  bool wrong = false;
  value.arn = optional_string(*response, "ARN", wrong).value_or("");
  value.name = optional_string(*response, "Name", wrong).value_or("");
  value.version_id = optional_string(*response, "VersionId", wrong).value_or("");
  value.secret_string = optional_string(*response, "SecretString", wrong);
  auto binary = optional_string(*response, "SecretBinary", wrong);
  if (wrong) {
    return std::unexpected(client_.protocol_error("GetSecretValue: a member is not a string"));
  }
  if (binary) {
    value.secret_binary = base64_decode(*binary);
    if (!value.secret_binary) {
      return std::unexpected(client_.protocol_error("GetSecretValue: SecretBinary is not base64"));
    }
  }
  if (!value.secret_string && !value.secret_binary) {
    return std::unexpected(
        client_.protocol_error("GetSecretValue: neither SecretString nor SecretBinary"));
  }
  return value;
}

}  // namespace sbapi::aws
