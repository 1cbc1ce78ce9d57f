// `sbapi create-tables`: creates what `serve --backend aws` needs on DynamoDB and S3 — or on
// compatible endpoints (moto, dynalite, ScyllaDB Alternator, MinIO, s3rver…).
//
// Configured like `serve --backend aws` (AWS_REGION, credentials, AWS_ENDPOINT_URL[_DYNAMODB|_S3],
// USERS_TABLE_NAME, ASSETS_TABLE_NAME, ASSETS_BUCKET_NAME). Creates both tables (on-demand, their
// GSIs, TTL on `ttl` where the endpoint supports it) and waits until they are ACTIVE, then the
// bucket (unless --no-bucket: on AWS the SAM template owns it). Safe to run twice: what exists is
// reported and left alone. A table made by an older sbapi (the seed's indexes) is refused with
// the missing index named, unless --migrate: with it, the items of an existing table get the
// attributes the indexes need (a back-fill, also when every index exists: items written by older
// code lack them), then each missing GSI is added, one at a time (docs/deploy.md, "Migrating
// the indexes"). Prints one line per table / migration step / TTL / bucket on stdout, e.g.
//   table sbapi-users: created
//   table sbapi-users: TTL on "ttl" not supported by this endpoint (…)
//   table sbapi-users: back-filled the index attributes of 1200 items
//   table sbapi-users: added index email-created-index
//   bucket sbapi-assets: already exists
// Exit 0 when everything is there, 1 on the first failure (one "sbapi: …" line on stderr; a
// missing setting is named).
#pragma once

#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace sbapi {

struct CreateTablesOptions {
  bool no_bucket = false;
  bool migrate = false;            // back-fill existing tables' items, add their missing indexes
  unsigned timeout_seconds = 120;  // for each table to become ACTIVE
};

CLI::App* add_create_tables_command(CLI::App& app, CreateTablesOptions& options);
int run_create_tables(const CreateTablesOptions& options);

}  // namespace sbapi
