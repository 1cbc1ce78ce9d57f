#include "lambda/runtime.h"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <utility>

#include "adapters/aws/aws_backend.h"
#include "adapters/aws/retry.h"
#include "adapters/aws/secrets_manager_client.h"
#include "core/page_token_secret_file.h"

namespace sbapi::lambda {

std::expected<FunctionSet, std::string> parse_function_set(std::string_view name) {
  if (name.empty() || name == "all") return FunctionSet{};
  if (name == "users") return FunctionSet{.users = true, .assets = false, .uploads = false};
  if (name == "assets") return FunctionSet{.users = false, .assets = true, .uploads = false};
  if (name == "uploads") return FunctionSet{.users = false, .assets = false, .uploads = true};
  return std::unexpected("SBAPI_FUNCTION must be users, assets, uploads or all, got \"" +
                         std::string(name) + "\"");
}

std::expected<std::optional<IdentityClaims>, std::string> parse_function_auth(
    const aws::Environment& env) {
  const std::string mode = env("SBAPI_AUTH").value_or("");
  if (mode.empty() || mode == "none") return std::nullopt;
  if (mode != "gateway") {
    return std::unexpected("SBAPI_AUTH must be none or gateway on Lambda, got \"" + mode + "\"");
  }
  IdentityClaims claims;
  if (auto v = env("SBAPI_JWT_SUBJECT_CLAIM"); v && !v->empty()) claims.subject = *v;
  if (auto v = env("SBAPI_JWT_GROUPS_CLAIM"); v && !v->empty()) claims.groups = *v;
  if (auto v = env("SBAPI_ADMIN_GROUP"); v && !v->empty()) claims.admin_group = *v;
  return claims;
}

aws::AwsConfigNeeds needs_of(const FunctionSet& set) {
  return {
      .users_table = set.users, .assets_table = set.assets || set.uploads, .bucket = set.assets};
}

namespace {

// SBAPI_PAGE_TOKEN_SECRET_ARN: GetSecretValue on the first call of the loader.
std::expected<PageTokenSecretLoader, std::string> secrets_manager_loader(
    const aws::Environment& env, std::string arn, const Clock& clock,
    std::shared_ptr<aws::Transport> transport) {
  auto config =
      aws::load_aws_config(env, {.users_table = false, .assets_table = false, .bucket = false});
  if (!config) return std::unexpected("SBAPI_PAGE_TOKEN_SECRET_ARN is set, but " + config.error());
  if (!transport) {
    transport = std::make_shared<aws::CurlTransport>(
        aws::CurlTransportOptions{.ca_file = config->ca_bundle});
  }
  auto client = std::make_shared<aws::SecretsManagerClient>(
      aws::AwsServiceEndpoint{config->secretsmanager_endpoint, config->region, config->credentials},
      std::move(transport), aws::RetryPolicy{}, aws::RetryHooks{}, &clock);
  return [client, arn = std::move(arn)]() -> StoreResult<std::string> {
    const std::string what = "page-token secret " + arn + ": ";
    auto value = client->get_secret_value(arn);
    if (!value) {
      const auto& e = value.error();
      // Throttled, unreachable, 5xx after the retries: try again with the next request. Anything
      // else (access denied, no such secret, ...) is the deployment's fault.
      const bool transient = e.retryable || e.kind == aws::AwsJsonError::Kind::kTransport;
      return std::unexpected(
          StoreError{transient ? StoreError::Kind::kUnavailable : StoreError::Kind::kInternal,
                     what + "GetSecretValue failed: " + e.describe()});
    }
    std::string secret = value->secret_string ? std::move(*value->secret_string)
                                              : std::move(value->secret_binary).value_or("");
    if (secret.size() < kMinPageTokenSecretBytes) {
      return std::unexpected(
          StoreError{StoreError::Kind::kInternal,
                     what + "holds " + std::to_string(secret.size()) + " bytes; at least " +
                         std::to_string(kMinPageTokenSecretBytes) + " are needed"});
    }
    return secret;
  };
}

}  // namespace

std::expected<std::optional<PageTokenSecretLoader>, std::string> page_token_secret_loader(
    const aws::Environment& env, const Clock& clock, std::shared_ptr<aws::Transport> transport) {
  if (auto arn = env("SBAPI_PAGE_TOKEN_SECRET_ARN"); arn && !arn->empty()) {
    auto loader = secrets_manager_loader(env, std::move(*arn), clock, std::move(transport));
    if (!loader) return std::unexpected(loader.error());
    return std::optional<PageTokenSecretLoader>(std::move(*loader));
  }
  if (auto path = env("SBAPI_PAGE_TOKEN_SECRET_FILE"); path && !path->empty()) {
    // Read and checked now (init), as `serve --page-token-secret-file` does.
    auto secret = page_token_secret_file(*path, IfMissing::kFail)();
    if (!secret) return std::unexpected("SBAPI_PAGE_TOKEN_SECRET_FILE: " + secret.error().detail);
    return std::optional<PageTokenSecretLoader>(
        [secret = std::move(*secret)]() -> StoreResult<std::string> { return secret; });
  }
  return std::optional<PageTokenSecretLoader>();
}

FunctionHost::FunctionHost(std::FILE* log_out)
    : access_log_(log_out), metrics_(access_log_, log_out) {}

FunctionHost::~FunctionHost() = default;

void FunctionHost::serve(const FunctionSet& set, Table* users, Table* assets, ObjectStore* objects,
                         const std::optional<IdentityClaims>& gateway_claims) {
  if (set.users || set.assets) {
    api_ = std::make_unique<Api>(clock_, metrics_);
    if (set.users) api_->serve_users(*users);
    if (set.assets) api_->serve_assets(*assets, *objects);
    if (page_token_secret_) api_->sign_page_tokens(*page_token_secret_);
    if (gateway_claims) api_->trust_transport_identity();
  }
  handler_ = std::make_unique<EventHandler>(api_.get(), set.uploads ? assets : nullptr, clock_,
                                            gateway_claims);
}

void FunctionHost::sign_page_tokens(PageTokenSecretLoader load) {
  page_token_secret_ = std::move(load);
  if (api_) api_->sign_page_tokens(*page_token_secret_);
}

std::expected<void, std::string> FunctionHost::configure_page_tokens(
    const FunctionSet& set, const aws::Environment& env,
    std::shared_ptr<aws::Transport> transport) {
  if (!set.users && !set.assets) return {};  // nothing lists
  auto loader = page_token_secret_loader(env, clock_, std::move(transport));
  if (!loader) return std::unexpected(loader.error());
  if (*loader) {
    sign_page_tokens(std::move(**loader));
  } else {
    log_event("warn",
              "no SBAPI_PAGE_TOKEN_SECRET_ARN or SBAPI_PAGE_TOKEN_SECRET_FILE: page tokens are "
              "signed with a secret of this process and will not survive it");
  }
  return {};
}

std::expected<std::unique_ptr<FunctionHost>, std::string> make_aws_function(
    const aws::Environment& env) {
  auto set = parse_function_set(env("SBAPI_FUNCTION").value_or(""));
  if (!set) return std::unexpected(set.error());
  auto auth = parse_function_auth(env);
  if (!auth) return std::unexpected(auth.error());
  auto host = std::make_unique<FunctionHost>();
  auto backend = aws::make_aws_backend(env, needs_of(*set), host->clock());
  if (!backend) return std::unexpected(backend.error());
  auto owned = std::make_shared<aws::AwsBackend>(std::move(*backend));
  Table* users = owned->users.get();
  Table* assets = owned->assets.get();
  ObjectStore* objects = owned->objects.get();
  if (auto tokens = host->configure_page_tokens(*set, env, owned->transport); !tokens) {
    return std::unexpected(tokens.error());
  }
  host->keep_alive(std::move(owned));
  host->serve(*set, users, assets, objects, *auth);
  return host;
}

namespace {

bool fatal(const RuntimeFailure& failure) {
  return failure.kind != RuntimeFailure::Kind::kRejected;
}

int exit_on(const RuntimeFailure& failure) {
  log_event("error",
            failure.kind == RuntimeFailure::Kind::kShutdown ? "Runtime API is shutting down"
                                                            : "Runtime API failure, exiting",
            {{"status", failure.status}, {"detail", failure.message}});
  return 1;
}

}  // namespace

int run_runtime(RuntimeClient& client, const Init& init) {
  auto handler = init();
  if (!handler) {
    log_event("error", "init failed", {{"detail", handler.error()}});
    if (auto posted = client.init_error({kConfigInvalid, handler.error()}); !posted) {
      log_event("error", "cannot post the init error", {{"detail", posted.error().message}});
    }
    return 1;
  }

  bool cold = true;
  for (;;) {
    auto invocation = client.next();
    if (!invocation) return exit_on(invocation.error());

    if (invocation->trace_id.empty()) {
      unsetenv("_X_AMZN_TRACE_ID");
    } else {
      setenv("_X_AMZN_TRACE_ID", invocation->trace_id.c_str(), 1);
    }
    std::optional<aws::ScopedDeadline> deadline;
    if (invocation->deadline_ms > 0) {
      deadline.emplace(aws::steady_deadline_from_epoch_ms(invocation->deadline_ms) -
                       kDeadlineMargin);
    }

    const InvocationInfo info{invocation->request_id, cold, invocation->trace_id};
    cold = false;
    auto result = (*handler)(invocation->payload, info);
    deadline.reset();

    std::expected<void, RuntimeFailure> posted;
    if (result) {
      posted = client.respond(invocation->request_id, std::move(*result));
      if (!posted && !fatal(posted.error())) {
        // E.g. 413: the response is too large for Lambda. Tell the caller it failed.
        log_event("error", "response rejected by the Runtime API",
                  {{"requestId", invocation->request_id}, {"detail", posted.error().message}});
        posted = client.fail(invocation->request_id,
                             {kUnknownReason, "The response was rejected by the Runtime API"});
      }
    } else {
      log_event("error", "invocation failed",
                {{"requestId", invocation->request_id},
                 {"errorType", result.error().type},
                 {"errorMessage", result.error().message}});
      posted = client.fail(invocation->request_id, result.error());
    }
    if (!posted) {
      if (fatal(posted.error())) return exit_on(posted.error());
      log_event("error", "post rejected by the Runtime API",
                {{"requestId", invocation->request_id}, {"detail", posted.error().message}});
    }
  }
}

int run_lambda(const aws::Environment& env) {
  // A client that goes away must not kill the process mid-invocation; writes just fail.
  std::signal(SIGPIPE, SIG_IGN);
  const auto endpoint = env("AWS_LAMBDA_RUNTIME_API");
  if (!endpoint || endpoint->empty()) {
    std::fprintf(stderr,
                 "sbapi lambda: AWS_LAMBDA_RUNTIME_API is not set (Lambda sets it; to run one "
                 "event by hand use `sbapi invoke --event FILE`)\n");
    return 1;
  }
  RuntimeClient client(*endpoint, std::make_shared<aws::CurlTransport>());
  std::unique_ptr<FunctionHost> host;  // outlives the loop
  return run_runtime(client, [&]() -> std::expected<Handler, std::string> {
    auto made = make_aws_function(env);
    if (!made) return std::unexpected(made.error());
    host = std::move(*made);
    return [h = host.get()](std::string_view payload, const InvocationInfo& info) {
      return h->handle(payload, info);
    };
  });
}

int run_lambda() { return run_lambda(aws::process_environment()); }

}  // namespace sbapi::lambda
