#include "cli/lambda_command.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <string_view>

#include "lambda/runtime.h"

namespace sbapi {

CLI::App* add_lambda_command(CLI::App& app) {
  return app.add_subcommand(
      "lambda",
      "Run as an AWS Lambda custom runtime: poll the Runtime API, handle API Gateway (REST v1,\n"
      "HTTP API v2) and S3 ObjectCreated events, post the results. Also started when the binary\n"
      "runs as `bootstrap`, or with AWS_LAMBDA_RUNTIME_API set and no arguments.\n"
      "Environment: AWS_LAMBDA_RUNTIME_API (host:port, set by Lambda); SBAPI_FUNCTION = users |\n"
      "assets | uploads | all (default all: users needs USERS_TABLE_NAME, assets needs\n"
      "ASSETS_TABLE_NAME and ASSETS_BUCKET_NAME, uploads needs ASSETS_TABLE_NAME); AWS_REGION,\n"
      "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, [AWS_SESSION_TOKEN], [AWS_ENDPOINT_URL*];\n"
      "the secret of listings' page tokens: [SBAPI_PAGE_TOKEN_SECRET_ARN] (Secrets Manager,\n"
      "fetched on the first listing) or [SBAPI_PAGE_TOKEN_SECRET_FILE] (>= 32 bytes, mode 0600),\n"
      "else one made for the process.\n"
      "A configuration error is posted to the Runtime API's init/error; exit code 1.");
}

int run_lambda_command() { return lambda::run_lambda(); }

bool invoked_as_lambda_runtime(int argc, const char* const* argv) {
  if (argc > 0 && argv[0] != nullptr) {
    std::string_view name = argv[0];
    if (auto slash = name.rfind('/'); slash != std::string_view::npos) {
      name.remove_prefix(slash + 1);
    }
    if (name == "bootstrap") return true;
  }
  const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
  return argc <= 1 && api != nullptr && *api != '\0';
}

}  // namespace sbapi
