#include "adapters/aws/aws_backend.h"

#include <utility>

namespace sbapi::aws {

std::expected<AwsBackend, std::string> make_aws_backend(const Environment& env,
                                                        AwsConfigNeeds needs, const Clock& clock,
                                                        CurlTransportOptions transport) {
  auto config = load_aws_config(env, needs);
  if (!config) return std::unexpected(config.error());
  AwsBackend backend;
  backend.config = std::move(*config);
  if (transport.ca_file.empty()) transport.ca_file = backend.config.ca_bundle;
  backend.transport = std::make_shared<CurlTransport>(std::move(transport));
  backend.dynamodb = std::make_shared<DynamoDbClient>(
      DynamoDbConfig{backend.config.dynamodb_endpoint, backend.config.region,
                     backend.config.credentials},
      backend.transport, RetryPolicy{}, RetryHooks{}, &clock);
  if (needs.users_table) {
    backend.users_schema = users_schema(backend.config.users_table);
    backend.users = std::make_unique<DynamoTable>(backend.dynamodb, backend.users_schema, clock);
  }
  if (needs.assets_table) {
    backend.assets_schema = assets_schema(backend.config.assets_table);
    backend.assets = std::make_unique<DynamoTable>(backend.dynamodb, backend.assets_schema, clock);
  }
  if (needs.bucket) {
    backend.objects = std::make_unique<S3ObjectStore>(s3_config(backend.config), clock);
  }
  return backend;
}

}  // namespace sbapi::aws
