#include "cli/create_tables_command.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>

#include "adapters/aws/aws_backend.h"
#include "core/clock.h"

namespace sbapi {
namespace {

int failure(const std::string& message) {
  std::fprintf(stderr, "sbapi: %s\n", message.c_str());
  return 1;
}

std::string ttl_line(const aws::EnsureTableResult& result, const TableSchema& schema) {
  using Ttl = aws::EnsureTableResult::Ttl;
  const std::string attribute = "TTL on \"" + schema.ttl_attribute + "\"";
  switch (result.ttl) {
    case Ttl::kEnabled:
      return attribute + " enabled";
    case Ttl::kAlreadyEnabled:
      return attribute + " already enabled";
    case Ttl::kNotSupported:
      // The adapter's note says why (e.g. the endpoint has no UpdateTimeToLive) and what it
      // means for expired items.
      if (result.note.empty()) return attribute + " not supported by this endpoint";
      return attribute + ": " + result.note;
    case Ttl::kNotConfigured:
      break;
  }
  return {};
}

}  // namespace

CLI::App* add_create_tables_command(CLI::App& app, CreateTablesOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "create-tables",
      "Create the DynamoDB tables (and the S3 bucket) for --backend aws; safe to run twice.\n"
      "Reads AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, [AWS_SESSION_TOKEN],\n"
      "[AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3], USERS_TABLE_NAME,\n"
      "ASSETS_TABLE_NAME, ASSETS_BUCKET_NAME from the environment.");
  cmd->add_flag("--no-bucket", options.no_bucket,
                "Do not create the bucket (on AWS the SAM template creates it)");
  cmd->add_flag("--migrate", options.migrate,
                "Give the items of existing tables the attributes the indexes need, then add\n"
                "missing indexes one at a time (docs/deploy.md, \"Migrating the indexes\");\n"
                "safe to run again");
  cmd->add_option("--timeout-seconds", options.timeout_seconds,
                  "How long to wait for each table (with --migrate: each new index) to become "
                  "ACTIVE")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  return cmd;
}

int run_create_tables(const CreateTablesOptions& options) {
  SystemClock clock;
  auto backend = aws::make_aws_backend(
      aws::process_environment(),
      {.users_table = true, .assets_table = true, .bucket = !options.no_bucket}, clock);
  if (!backend) return failure(backend.error());

  aws::EnsureTableOptions ensure;
  ensure.timeout = std::chrono::seconds(options.timeout_seconds);
  ensure.migrate = options.migrate;
  for (const TableSchema* schema : {&backend->users_schema, &backend->assets_schema}) {
    ensure.progress = [&](const std::string& line) {
      std::printf("table %s: %s\n", schema->name.c_str(), line.c_str());
      std::fflush(stdout);
    };
    auto result = aws::ensure_table(*backend->dynamodb, *schema, ensure);
    if (!result) return failure("table " + schema->name + ": " + result.error().detail);
    std::printf("table %s: %s\n", schema->name.c_str(),
                result->created                 ? "created"
                : result->added_indexes.empty() ? "already exists"
                                                : "indexes added");
    if (const std::string ttl = ttl_line(*result, *schema); !ttl.empty()) {
      std::printf("table %s: %s\n", schema->name.c_str(), ttl.c_str());
    }
    std::fflush(stdout);
  }

  if (!options.no_bucket) {
    auto bucket =
        aws::ensure_bucket(*backend->transport, backend->objects->config(), clock.now_seconds());
    if (!bucket) return failure(bucket.error());
    std::printf("bucket %s: %s\n", backend->config.bucket.c_str(),
                *bucket == aws::BucketOutcome::kCreated ? "created" : "already exists");
  }
  return 0;
}

}  // namespace sbapi
