// Options of the local object store, shared by `sbapi serve` and `sbapi presign`: the bucket,
// the region and credentials that presigned URLs are signed with, and the public URL they
// point at.
#pragma once

#include <cstdint>
#include <expected>
#include <string>

#include "adapters/local/local_object_store.h"

namespace CLI {
class App;
}  // namespace CLI

namespace sbapi {

// The documented development key pair. Anyone can read it here: fine for a laptop, so a server
// reachable by others must be given its own (--access-key-id/--secret-access-key or env).
inline constexpr const char* kDefaultAccessKeyId = "sbapi-local";
inline constexpr const char* kDefaultSecretAccessKey = "sbapi-local-secret";

struct LocalStoreOptions {
  std::string bucket = "sbapi-assets";
  std::string region = "us-east-1";
  std::string access_key_id = kDefaultAccessKeyId;
  std::string secret_access_key = kDefaultSecretAccessKey;
  std::string public_url;  // empty: http://localhost:<port>
};

void add_local_store_options(CLI::App& command, LocalStoreOptions& options);

// The object store configuration, with `public_url` checked (scheme://host[:port], no path) or
// defaulted to http://localhost:<port>.
std::expected<LocalObjectConfig, std::string> local_object_config(const LocalStoreOptions& options,
                                                                  std::uint16_t port);

}  // namespace sbapi
