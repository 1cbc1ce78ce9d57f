#include "cli/invoke_command.h"

#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>

#include "adapters/aws/aws_backend.h"
#include "adapters/local/local_backend.h"
#include "core/page_token_secret_file.h"
#include "core/request_id.h"
#include "lambda/runtime.h"

namespace sbapi {
namespace {

// The port `sbapi serve` listens on by default: where local presigned URLs point.
constexpr std::uint16_t kServePort = 3000;

int failure(const std::string& message) {
  std::fprintf(stderr, "sbapi invoke: %s\n", message.c_str());
  return 1;
}

std::optional<std::string> read_event(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

std::expected<std::unique_ptr<lambda::FunctionHost>, std::string> make_local_function(
    const InvokeOptions& options, const lambda::FunctionSet& set) {
  auto host = std::make_unique<lambda::FunctionHost>(stderr);
  auto config = local_object_config(options.store, kServePort);
  if (!config) return std::unexpected(config.error());
  auto backend = make_local_backend(options.data_dir, std::move(*config), host->clock());
  if (!backend) return std::unexpected(backend.error());
  // SBAPI_AUTH=gateway as on Lambda: the event's authorizer claims say who the caller is.
  auto auth = lambda::parse_function_auth(aws::process_environment());
  if (!auth) return std::unexpected(auth.error());
  // Page tokens: SBAPI_PAGE_TOKEN_SECRET_ARN / _FILE as on Lambda, else the data dir's secret,
  // as `sbapi serve` keeps it (so tokens of one are valid in the other).
  if (set.users || set.assets) {
    auto loader = lambda::page_token_secret_loader(aws::process_environment(), host->clock());
    if (!loader) return std::unexpected(loader.error());
    host->sign_page_tokens(*loader
                               ? std::move(**loader)
                               : page_token_secret_file(std::filesystem::path(options.data_dir) /
                                                            std::string(kPageTokenSecretFileName),
                                                        IfMissing::kCreate));
  }
  auto storage = std::make_shared<LocalBackend>(std::move(*backend));
  host->serve(set, storage->users.get(), storage->assets.get(), storage->objects.get(), *auth);
  host->keep_alive(std::move(storage));
  return host;
}

}  // namespace

CLI::App* add_invoke_command(CLI::App& app, InvokeOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "invoke",
      "Handle one Lambda event (API Gateway v1/v2 or S3 ObjectCreated) and print the function's\n"
      "response JSON, like `sam local invoke`. Logs go to stderr.");
  cmd->add_option("--event", options.event_file, "Event JSON file (- for stdin)")->required();
  cmd->add_option("--backend", options.backend,
                  "Storage: local (SQLite under --data-dir) or aws (from the AWS_* environment)")
      ->envname("SBAPI_BACKEND")
      ->check(CLI::IsMember({"local", "aws"}))
      ->capture_default_str();
  cmd->add_option("--data-dir", options.data_dir, "Directory of the local database")
      ->envname("SBAPI_DATA_DIR")
      ->capture_default_str();
  cmd->add_option("--function", options.function,
                  "What the function serves: users, assets, uploads or all")
      ->envname("SBAPI_FUNCTION")  // checked by run_invoke: CLI11 would check it for every
      ->capture_default_str();     // subcommand, breaking `sbapi lambda`'s own error report
  add_local_store_options(*cmd, options.store);
  return cmd;
}

int run_invoke(const InvokeOptions& options) {
  auto payload = read_event(options.event_file);
  if (!payload) return failure("cannot read " + options.event_file);
  auto set = lambda::parse_function_set(options.function);
  if (!set) return failure(set.error());

  // stdout is the result only: keep a handle on it, and send everything else printed to stdout
  // (the JSON log lines) to stderr.
  std::fflush(stdout);
  const int result_fd = dup(STDOUT_FILENO);
  if (result_fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
    return failure("cannot set up stdout");
  std::FILE* result_out = fdopen(result_fd, "w");
  if (result_out == nullptr) return failure("cannot set up stdout");

  std::expected<std::unique_ptr<lambda::FunctionHost>, std::string> host;
  if (options.backend == "aws") {
    // The environment, with --function winning over SBAPI_FUNCTION.
    const aws::Environment process = aws::process_environment();
    const std::string function = options.function;
    host = lambda::make_aws_function([process, function](std::string_view name) {
      if (name == "SBAPI_FUNCTION") return std::optional<std::string>(function);
      return process(name);
    });
  } else {
    host = make_local_function(options, *set);
  }
  if (!host) {
    std::fclose(result_out);
    return failure(host.error());
  }

  const std::string request_id = new_request_id();
  auto result = (*host)->handle(*payload, {request_id, true});
  const std::string out = result ? *result : lambda::error_document(result.error());
  std::fprintf(result_out, "%s\n", out.c_str());
  std::fclose(result_out);
  return result ? 0 : 1;
}

}  // namespace sbapi
