// `sbapi presign`: print a presigned URL for the local object store, like `aws s3 presign`.
//
// Useful by hand (upload a file without creating an asset) and for tests that compare our
// signatures with another implementation's at a fixed time (--time).
#pragma once

#include <cstdint>
#include <string>

#include "cli/local_store_options.h"

namespace CLI {
class App;
}  // namespace CLI

namespace sbapi {

struct PresignOptions {
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
