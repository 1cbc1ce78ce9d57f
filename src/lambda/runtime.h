// The Lambda custom runtime: which function this process is, how it is assembled, and the
// Runtime API loop. See src/lambda/README.md for the environment and the exit codes.
//
// Contract
// - SBAPI_FUNCTION selects what one deployed function serves (default `all`):
//     users   — the users routes; needs USERS_TABLE_NAME only
//     assets  — the assets routes; needs ASSETS_TABLE_NAME and ASSETS_BUCKET_NAME
//     uploads — S3 ObjectCreated events only; needs ASSETS_TABLE_NAME only
//     all     — all of the above
//   Only what the function needs is read and built (a users function never asks for ASSETS_*).
// - SBAPI_AUTH: `none` (default: the open API) or `gateway`: API Gateway's authorizer verified
//   the token, and the function takes the identity from its claims (authorizer_claims.h; claim
//   names from SBAPI_JWT_SUBJECT_CLAIM, SBAPI_JWT_GROUPS_CLAIM, SBAPI_ADMIN_GROUP); a request
//   to a route that is not public without claims is a 401.
// - Page tokens (the `nextToken` of listings, core/page_tokens.h) of a function that serves
//   users or assets are signed with, in this order:
//     SBAPI_PAGE_TOKEN_SECRET_ARN  — the SecretString (else SecretBinary) of that Secrets
//       Manager secret, fetched on the first request that encodes or decodes a token (never at
//       init, never for other requests), then kept for the process. Needs AWS_REGION and
//       credentials; endpoint AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL.
//     SBAPI_PAGE_TOKEN_SECRET_FILE — the file's bytes without trailing newlines (the format of
//       `sbapi serve`'s <data-dir>/page-token-secret), read at init: refused when it is not a
//       regular file, is readable or writable by group or others, or holds fewer than 32
//       bytes.
//     neither                      — a random secret made for this process, and one warning
//       line at init: tokens then do not survive the process (nor work on another instance).
// - `FunctionHost` holds one assembled function: clock, access log (+ EMF metrics), the Api and
//   the EventHandler, and keeps the storage it was given alive. Built once per process (cold),
//   reused by every invocation (warm).
// - `run_runtime`: init → (next → handle → response | error)*. Init failure → POST init/error
//   (Runtime.ConfigInvalid, the message names the missing setting) and exit code 1. The Runtime
//   API answering 500 (shutting down) or being unreachable → exit code 1 at once. A rejected
//   response post (400/403/413) is reported as an invocation error and the loop goes on.
//   Per invocation: the first is flagged cold; `_X_AMZN_TRACE_ID` is set from
//   Lambda-Runtime-Trace-Id (unset when absent); the deadline, minus kDeadlineMargin to leave
//   time for posting the answer, becomes the thread's retry deadline (aws::ScopedDeadline), so
//   storage retries never run past the invocation.
#pragma once

#include <chrono>
#include <cstdio>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/aws/aws_config.h"
#include "core/access_log.h"
#include "core/api.h"
#include "core/clock.h"
#include "core/object_store.h"
#include "core/page_tokens.h"
#include "core/table.h"
#include "lambda/event_handler.h"
#include "lambda/metrics.h"
#include "lambda/runtime_client.h"

namespace sbapi::lambda {

inline constexpr std::chrono::milliseconds kDeadlineMargin{100};

struct FunctionSet {
  bool users = true;    // users routes
  bool assets = true;   // assets routes (table + bucket)
  bool uploads = true;  // S3 ObjectCreated events (assets table)
};

// "users" | "assets" | "uploads" | "all" (empty = all); anything else is an error text.
std::expected<FunctionSet, std::string> parse_function_set(std::string_view name);
// SBAPI_AUTH and the claim names: the claims to read (`gateway`), nullopt (`none`), or an error.
std::expected<std::optional<IdentityClaims>, std::string> parse_function_auth(
    const aws::Environment& env);
aws::AwsConfigNeeds needs_of(const FunctionSet& set);

// The page-token secret from the environment, as the contract says: a loader
// (SBAPI_PAGE_TOKEN_SECRET_ARN, SBAPI_PAGE_TOKEN_SECRET_FILE), nullopt when neither is set, or a
// configuration error naming the variable. Nothing is contacted here. With an ARN the calls go
// over `transport` (null: a CurlTransport of its own) and are signed with `clock`'s time (it
// must outlive the loader).
std::expected<std::optional<PageTokenSecretLoader>, std::string> page_token_secret_loader(
    const aws::Environment& env, const Clock& clock,
    std::shared_ptr<aws::Transport> transport = nullptr);

class FunctionHost {
 public:
  // Access-log and EMF lines go to `log_out`.
  explicit FunctionHost(std::FILE* log_out = stdout);
  ~FunctionHost();
  FunctionHost(const FunctionHost&) = delete;
  FunctionHost& operator=(const FunctionHost&) = delete;

  [[nodiscard]] const Clock& clock() const { return clock_; }
  // Storage that must live as long as the host (e.g. the aws backend); call before serve().
  void keep_alive(std::shared_ptr<void> storage) { storage_ = std::move(storage); }
  // Serves `set` over these ports; each one `set` asks for must be non-null. With
  // `gateway_claims`, API routes need the authorizer's claims (SBAPI_AUTH=gateway).
  void serve(const FunctionSet& set, Table* users, Table* assets, ObjectStore* objects,
             const std::optional<IdentityClaims>& gateway_claims = std::nullopt);
  // Page tokens signed with the secret `load` gives (before or after serve()).
  void sign_page_tokens(PageTokenSecretLoader load);
  // The page-token secret of a function serving `set` from the environment
  // (page_token_secret_loader), or the warning of the ephemeral secret; a function serving
  // neither users nor assets needs none. An error is a configuration error.
  std::expected<void, std::string> configure_page_tokens(
      const FunctionSet& set, const aws::Environment& env,
      std::shared_ptr<aws::Transport> transport = nullptr);

  std::expected<std::string, InvocationError> handle(std::string_view payload,
                                                     const InvocationInfo& info) {
    return handler_->handle(payload, info);
  }

 private:
  SystemClock clock_;
  JsonLinesAccessLog access_log_;
  EmfAccessLog metrics_;
  std::shared_ptr<void> storage_;
  std::optional<PageTokenSecretLoader> page_token_secret_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<EventHandler> handler_;
};

// The aws-backed function from the environment (SBAPI_FUNCTION, AWS_*, *_TABLE_NAME,
// ASSETS_BUCKET_NAME, SBAPI_PAGE_TOKEN_SECRET_*), or the configuration error text.
std::expected<std::unique_ptr<FunctionHost>, std::string> make_aws_function(
    const aws::Environment& env);

using Handler = std::function<std::expected<std::string, InvocationError>(
    std::string_view payload, const InvocationInfo& info)>;
using Init = std::function<std::expected<Handler, std::string>()>;

// The loop; returns the process exit code (it returns only on a fatal condition).
int run_runtime(RuntimeClient& client, const Init& init);

// `sbapi lambda` / `bootstrap`: AWS_LAMBDA_RUNTIME_API from `env`, the aws function from `env`,
// the loop over a CurlTransport. Exit code 1 when AWS_LAMBDA_RUNTIME_API is not set.
int run_lambda(const aws::Environment& env);
// The same from the process environment: the one start-up of both `sbapi lambda` (src/cli) and
// the packaged `bootstrap` (src/bootstrap, executable sbapi-lambda).
int run_lambda();

}  // namespace sbapi::lambda
