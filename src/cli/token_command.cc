#include "cli/token_command.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>

#include "auth/local_issuer.h"
#include "auth/token_ttl.h"
#include "cli/serve_command.h"
#include "core/clock.h"
#include "core/validation.h"

namespace sbapi {
namespace {

constexpr std::size_t kMaxGroupLength = 128;

// 1–128 bytes without control characters (Cognito allows any printable group name).
bool is_valid_group(std::string_view group) {
  return !group.empty() && group.size() <= kMaxGroupLength &&
         std::none_of(group.begin(), group.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

}  // namespace

CLI::App* add_token_command(CLI::App& app, TokenOptions& options) {
  // The same data dir as `serve` by default, so that it accepts the token.
  if (options.data_dir.empty()) options.data_dir = ServeOptions{}.data_dir;
  CLI::App* cmd = app.add_subcommand(
      "token", "Print a bearer token signed by the local issuer (for serve with authentication)");
  cmd->add_option("--sub", options.subject,
                  "Subject: the userId the token's holder may act on (1-128 of A-Z a-z 0-9 . _ -)")
      ->required();
  cmd->add_option("--group", options.groups, "A group of the subject (repeatable), e.g. admin")
      ->allow_extra_args(false);
  cmd->add_option("--ttl", options.ttl, "Lifetime: 30s, 15m, 1h, 7d... (at most 30d)")
      ->capture_default_str();
  cmd->add_option("--data-dir", options.data_dir,
                  "Data directory holding the signing key (auth/token-signing-key.pem)")
      ->envname("SBAPI_DATA_DIR")
      ->capture_default_str();
  return cmd;
}

int run_token(const TokenOptions& options) {
  if (!is_valid_id(options.subject)) {
    std::fprintf(stderr,
                 "sbapi: --sub must be a valid userId (1-128 of A-Z a-z 0-9 . _ -): the token's "
                 "subject is the user its holder may act on\n");
    return 2;
  }
  if (!std::all_of(options.groups.begin(), options.groups.end(), is_valid_group)) {
    std::fprintf(stderr, "sbapi: --group must be 1-128 characters without control characters\n");
    return 2;
  }
  const auto ttl = auth::parse_token_ttl(options.ttl);
  if (!ttl) {
    std::fprintf(stderr, "sbapi: --ttl must look like 30s, 15m, 1h or 7d, at most 30d\n");
    return 2;
  }
  const auto issuer = auth::LocalIssuer::open(options.data_dir);
  if (!issuer) {
    std::fprintf(stderr, "sbapi: %s\n", issuer.error().c_str());
    return 1;
  }
  const auto token =
      issuer->issue(options.subject, options.groups, *ttl, SystemClock().now_seconds());
  if (!token) {
    std::fprintf(stderr, "sbapi: cannot issue a token: %s\n", token.error().c_str());
    return 1;
  }
  std::printf("%s\n", token->c_str());
  return 0;
}

}  // namespace sbapi
