#include "cli/local_store_options.h"

#include <CLI/CLI.hpp>

#include <algorithm>

namespace sbapi {
namespace {

// S3's bucket naming rules, the part that matters here: 3–63 of a–z 0–9 . -, starting and
// ending with a letter or digit.
bool is_valid_bucket(std::string_view name) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return name.size() >= 3 && name.size() <= 63 && alnum(name.front()) && alnum(name.back()) &&
         std::all_of(name.begin(), name.end(),
                     [&](char c) { return alnum(c) || c == '.' || c == '-'; });
}

}  // namespace

void add_local_store_options(CLI::App& command, LocalStoreOptions& options) {
  command.add_option("--bucket", options.bucket, "Bucket name of the local object store")
      ->envname("SBAPI_BUCKET")
      ->capture_default_str();
  command.add_option("--region", options.region, "Region that presigned URLs are scoped to")
      ->envname("SBAPI_REGION")
      ->capture_default_str();
  command
      .add_option("--access-key-id", options.access_key_id,
                  "Access key id of the local object store (a documented dev default)")
      ->envname("SBAPI_ACCESS_KEY_ID")
      ->capture_default_str();
  command
      .add_option("--secret-access-key", options.secret_access_key,
                  "Secret key of the local object store (a documented dev default)")
      ->envname("SBAPI_SECRET_ACCESS_KEY");
  command
      .add_option("--public-url", options.public_url,
                  "Base URL clients reach this server at, for presigned URLs "
                  "(default http://localhost:<port>)")
      ->envname("SBAPI_PUBLIC_URL");
}

std::expected<LocalObjectConfig, std::string> local_object_config(const LocalStoreOptions& options,
                                                                  std::uint16_t port) {
  if (!is_valid_bucket(options.bucket)) {
    return std::unexpected("--bucket must be 3-63 characters of a-z 0-9 . - (S3 rules)");
  }
  if (options.access_key_id.empty() || options.secret_access_key.empty()) {
    return std::unexpected("--access-key-id and --secret-access-key must not be empty");
  }
  std::string url =
      options.public_url.empty() ? "http://localhost:" + std::to_string(port) : options.public_url;
  while (url.ends_with('/')) url.pop_back();
  const std::size_t scheme_end = url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if ((scheme != "http" && scheme != "https") || url.size() == scheme_end + 3 ||
      url.find('/', scheme_end + 3) != std::string::npos ||
      url.find_first_of("?# ") != std::string::npos) {
    return std::unexpected("--public-url must look like http(s)://host[:port], without a path");
  }
  return LocalObjectConfig{
      options.bucket, options.region, {options.access_key_id, options.secret_access_key, ""}, url};
}

}  // namespace sbapi
