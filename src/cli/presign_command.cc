#include "cli/presign_command.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <ctime>

#include "adapters/aws/aws_config.h"
#include "adapters/aws/s3_object_store.h"
#include "core/clock.h"

namespace sbapi {
namespace {

// "20130524T000000Z" → epoch seconds.
std::optional<std::int64_t> parse_amz_date(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y%m%dT%H%M%SZ", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace

CLI::App* add_presign_command(CLI::App& app, PresignOptions& options) {
  CLI::App* cmd = app.add_subcommand("presign", "Print a presigned URL of the object store");
  cmd->add_option("--backend", options.backend,
                  "local (the local object store) or aws (S3 / a compatible endpoint, "
                  "configured by AWS_* and ASSETS_BUCKET_NAME env vars)")
      ->envname("SBAPI_BACKEND")
      ->check(CLI::IsMember({"local", "aws"}))
      ->capture_default_str();
  cmd->add_option("--method", options.method, "HTTP method the URL is for")
      ->check(CLI::IsMember({"GET", "PUT", "HEAD"}))
      ->capture_default_str();
  cmd->add_option("--key", options.key, "Object key, e.g. assets/a1/report.pdf")->required();
  cmd->add_option("--content-type", options.content_type,
                  "Content-Type the upload must carry (signed; PUT only)");
  cmd->add_option("--expires", options.expires, "Seconds the URL stays valid")
      ->check(CLI::Range(1, 604800))
      ->capture_default_str();
  cmd->add_option("--time", options.time, "Signing time as YYYYMMDDTHHMMSSZ (default: now)");
  cmd->add_option("--port", options.port, "Port of the server, for the default public URL")
      ->envname("SBAPI_PORT")
      ->capture_default_str();
  add_local_store_options(*cmd, options.store);
  return cmd;
}

int run_presign(const PresignOptions& options) {
  std::int64_t time = SystemClock().now_seconds();
  if (!options.time.empty()) {
    auto parsed = parse_amz_date(options.time);
    if (!parsed) {
      std::fprintf(stderr, "sbapi: --time must look like 20250101T000000Z\n");
      return 2;
    }
    time = *parsed;
  }
  SystemClock clock;
  if (options.backend == "aws") {
    auto aws_config = aws::load_aws_config(
        aws::process_environment(), {.users_table = false, .assets_table = false, .bucket = true});
    if (!aws_config) {
      std::fprintf(stderr, "sbapi: --backend aws: %s\n", aws_config.error().c_str());
      return 2;
    }
    const aws::S3ObjectStore store(aws::s3_config(*aws_config), clock);
    std::printf(
        "%s\n",
        store.presign(options.method, options.key, options.content_type, time, options.expires)
            .c_str());
    return 0;
  }
  auto config = local_object_config(options.store, options.port);
  if (!config) {
    std::fprintf(stderr, "sbapi: %s\n", config.error().c_str());
    return 2;
  }
  LocalObjectStore store(std::move(*config), clock);
  std::printf(
      "%s\n",
      store.presign(options.method, options.key, options.content_type, time, options.expires)
          .c_str());
  return 0;
}

}  // namespace sbapi
