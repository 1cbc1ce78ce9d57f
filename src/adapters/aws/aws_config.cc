#include "adapters/aws/aws_config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <utility>

namespace sbapi::aws {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The value of a variable, nullopt when unset or empty.
std::optional<std::string> read(const Environment& env, std::string_view name) {
  auto value = env(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

bool is_valid_region(std::string_view region) {
  return !region.empty() && region.size() <= 64 && region.front() != '-' && region.back() != '-' &&
         std::all_of(region.begin(), region.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

// The endpoint of one service: its own variable, then AWS_ENDPOINT_URL, then the default.
std::expected<std::pair<std::string, bool>, std::string> endpoint_for(const Environment& env,
                                                                      std::string_view service,
                                                                      std::string_view variable,
                                                                      std::string_view region) {
  const auto ignore = read(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  if (!ignore || lower(*ignore) != "true") {
    for (std::string_view name : {variable, std::string_view("AWS_ENDPOINT_URL")}) {
      if (auto url = read(env, name)) {
        auto normalized = normalize_endpoint(*url);
        if (!normalized) return std::unexpected(std::string(name) + " " + normalized.error());
        return std::pair{std::move(*normalized), true};
      }
    }
  }
  return std::pair{default_endpoint(service, region), false};
}

}  // namespace

Environment process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Environment map_environment(std::map<std::string, std::string, std::less<>> variables) {
  return [variables = std::move(variables)](std::string_view name) -> std::optional<std::string> {
    auto it = variables.find(name);
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

std::string default_endpoint(std::string_view service, std::string_view region) {
  const std::string_view suffix = region.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return "https://" + std::string(service) + "." + std::string(region) + "." + std::string(suffix);
}

bool is_valid_bucket_name(std::string_view name) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (name.size() < 3 || name.size() > 63 || !alnum(name.front()) || !alnum(name.back())) {
    return false;
  }
  if (!std::all_of(name.begin(), name.end(),
                   [&](char c) { return alnum(c) || c == '.' || c == '-'; })) {
    return false;
  }
  if (name.find("..") != std::string_view::npos) return false;
  // Not formatted like an IP address (four dot-separated groups of digits).
  const bool digits_and_dots = std::all_of(
      name.begin(), name.end(), [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
  return !(digits_and_dots && std::count(name.begin(), name.end(), '.') == 3);
}

bool is_valid_table_name(std::string_view name) {
  return name.size() >= 3 && name.size() <= 255 &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
         });
}

std::expected<std::string, std::string> normalize_endpoint(std::string_view url) {
  const auto bad = [&] {
    return std::unexpected<std::string>("must look like http(s)://host[:port][/path], got \"" +
                                        std::string(url) + "\"");
  };
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return bad();
  const std::string scheme = lower(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return bad();
  std::string rest(url.substr(scheme_end + 3));
  if (rest.find_first_of("?#@ \t\r\n\\") != std::string::npos) return bad();
  while (rest.ends_with('/')) rest.pop_back();
  const std::size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  if (authority.empty()) return bad();
  // host[:port], host may be a bracketed IPv6 literal.
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string::npos || close == 1) return bad();
    host = std::string_view(authority).substr(0, close + 1);
    const std::string_view after = std::string_view(authority).substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad();
      port = after.substr(1);
      if (port.empty()) return bad();
    }
  } else if (const std::size_t colon = authority.find(':'); colon != std::string::npos) {
    host = std::string_view(authority).substr(0, colon);
    port = std::string_view(authority).substr(colon + 1);
    if (port.empty()) return bad();
  }
  if (host.empty()) return bad();
  if (!port.empty() &&
      (port.size() > 5 ||
       !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
       std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535)) {
    return bad();
  }
  return scheme + "://" + rest;
}

std::expected<AwsConfig, std::string> load_aws_config(const Environment& env,
                                                      AwsConfigNeeds needs) {
  AwsConfig config;
  auto region = read(env, "AWS_REGION");
  if (!region) region = read(env, "AWS_DEFAULT_REGION");
  if (!region) return std::unexpected("AWS_REGION (or AWS_DEFAULT_REGION) is not set");
  if (!is_valid_region(*region)) {
    return std::unexpected("AWS_REGION \"" + *region + "\" is not a region name (e.g. us-east-1)");
  }
  config.region = *region;

  auto key_id = read(env, "AWS_ACCESS_KEY_ID");
  if (!key_id) return std::unexpected(std::string("AWS_ACCESS_KEY_ID is not set"));
  auto secret = read(env, "AWS_SECRET_ACCESS_KEY");
  if (!secret) return std::unexpected(std::string("AWS_SECRET_ACCESS_KEY is not set"));
  config.credentials.access_key_id = std::move(*key_id);
  config.credentials.secret_access_key = std::move(*secret);
  config.credentials.session_token = read(env, "AWS_SESSION_TOKEN").value_or("");

  config.ca_bundle = read(env, "AWS_CA_BUNDLE").value_or("");

  auto dynamodb = endpoint_for(env, "dynamodb", "AWS_ENDPOINT_URL_DYNAMODB", config.region);
  if (!dynamodb) return std::unexpected(dynamodb.error());
  std::tie(config.dynamodb_endpoint, config.custom_dynamodb_endpoint) = *dynamodb;
  auto s3 = endpoint_for(env, "s3", "AWS_ENDPOINT_URL_S3", config.region);
  if (!s3) return std::unexpected(s3.error());
  std::tie(config.s3_endpoint, config.custom_s3_endpoint) = *s3;
  auto secretsmanager =
      endpoint_for(env, "secretsmanager", "AWS_ENDPOINT_URL_SECRETS_MANAGER", config.region);
  if (!secretsmanager) return std::unexpected(secretsmanager.error());
  std::tie(config.secretsmanager_endpoint, config.custom_secretsmanager_endpoint) = *secretsmanager;

  const auto name = [&](std::string_view variable, bool needed,
                        std::string& out) -> std::optional<std::string> {
    auto value = read(env, variable);
    if (!value) {
      if (needed) return std::string(variable) + " is not set";
      return std::nullopt;
    }
    out = std::move(*value);
    return std::nullopt;
  };
  if (auto error = name("USERS_TABLE_NAME", needs.users_table, config.users_table)) {
    return std::unexpected(*error);
  }
  if (auto error = name("ASSETS_TABLE_NAME", needs.assets_table, config.assets_table)) {
    return std::unexpected(*error);
  }
  if (auto error = name("ASSETS_BUCKET_NAME", needs.bucket, config.bucket)) {
    return std::unexpected(*error);
  }
  for (const auto& [variable, table] : {std::pair{"USERS_TABLE_NAME", &config.users_table},
                                        std::pair{"ASSETS_TABLE_NAME", &config.assets_table}}) {
    if (!table->empty() && !is_valid_table_name(*table)) {
      return std::unexpected(std::string(variable) + " \"" + *table +
                             "\" is not a valid DynamoDB table name (3-255 characters of "
                             "A-Z a-z 0-9 _ . -)");
    }
  }
  if (!config.bucket.empty() && !is_valid_bucket_name(config.bucket)) {
    return std::unexpected("ASSETS_BUCKET_NAME \"" + config.bucket +
                           "\" is not a valid S3 bucket name (3-63 characters of a-z 0-9 . -)");
  }
  return config;
}

}  // namespace sbapi::aws
