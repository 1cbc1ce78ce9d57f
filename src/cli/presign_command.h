// `sbapi presign`: print a presigned URL, like `aws s3 presign`.
//
// --backend local (default; env SBAPI_BACKEND): for the local object store (its flags / SBAPI_*).
// --backend aws: for S3 or a compatible endpoint, exactly as `serve --backend aws` presigns —
// configured by AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, [AWS_SESSION_TOKEN],
// [AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL] and ASSETS_BUCKET_NAME (the local store flags are
// ignored). Useful by hand (upload a file without creating an asset) and for tests that compare
// our signatures with another implementation's at a fixed time (--time) or run them against an
// S3-compatible server.
#pragma once

#include <cstdint>
#include <string>

#include "cli/local_store_options.h"

namespace CLI {
class App;
}  // namespace CLI

namespace sbapi {

struct PresignOptions {
  std::string backend = "local";  // "local" | "aws"
  LocalStoreOptions store;
  std::uint16_t port = 3000;
  std::string method = "GET";
  std::string key;
  std::string content_type;
  std::int64_t expires = 3600;
  std::string time;  // YYYYMMDDTHHMMSSZ; empty: now
};

CLI::App* add_presign_command(CLI::App& app, PresignOptions& options);
int run_presign(const PresignOptions& options);

}  // namespace sbapi
