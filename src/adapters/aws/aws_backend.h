// The aws backend assembled from the environment: DynamoDB tables and the S3 object store over
// one shared HTTPS transport. Used by `sbapi serve --backend aws` and `sbapi create-tables` (and
// meant for the Lambda entry point too).
//
// Contract
// - `make_aws_backend` reads the configuration (aws_config.h; a missing setting is an error text
//   naming it) and builds, for what `needs` asks: the users table (USERS_TABLE_NAME), the assets
//   table (ASSETS_TABLE_NAME), the S3 object store (ASSETS_BUCKET_NAME). Nothing is contacted:
//   a wrong endpoint or a missing table shows up on the first request (or in create-tables).
// - One CurlTransport (keep-alive pool; CA bundle from AWS_CA_BUNDLE unless `transport` names
//   one) serves DynamoDB and S3 setup calls; the DynamoDB client retries as SPEC §2 says. The
//   clock must outlive the backend.
#pragma once

#include <expected>
#include <memory>
#include <string>

#include "adapters/aws/aws_config.h"
#include "adapters/aws/dynamo_table.h"
#include "adapters/aws/dynamodb_client.h"
#include "adapters/aws/http_transport.h"
#include "adapters/aws/s3_object_store.h"
#include "core/clock.h"
#include "core/schemas.h"

namespace sbapi::aws {

struct AwsBackend {
  AwsConfig config;
  std::shared_ptr<Transport> transport;
  std::shared_ptr<DynamoDbClient> dynamodb;
  TableSchema users_schema;                // named USERS_TABLE_NAME (when needed)
  TableSchema assets_schema;               // named ASSETS_TABLE_NAME (when needed)
  std::unique_ptr<DynamoTable> users;      // null unless needs.users_table
  std::unique_ptr<DynamoTable> assets;     // null unless needs.assets_table
  std::unique_ptr<S3ObjectStore> objects;  // null unless needs.bucket
};

std::expected<AwsBackend, std::string> make_aws_backend(const Environment& env,
                                                        AwsConfigNeeds needs, const Clock& clock,
                                                        CurlTransportOptions transport = {});

}  // namespace sbapi::aws
