// The authentication options of `sbapi serve` (docs/api.md "Authentication", README
// "Configuration"), and what they build.
//
// --auth none|jwt|local (SBAPI_AUTH). Unset: `none` when --host is a loopback address, else a
// start-up error: an open API is never exposed to a network by default.
//   jwt:   --jwt-issuer (required), --jwt-audience (required, comma-separated), --jwks-url
//          (default <issuer>/.well-known/jwks.json) or --jwks-file, --admin-group,
//          --jwt-groups-claim, --jwt-subject-claim. The JWKS is fetched at start: a failure is a
//          start-up error.
//   local: tokens from `sbapi token` (auth/local_issuer.h), signed by the key in --data-dir;
//          its public key is published at GET /.well-known/jwks.json.
#pragma once

#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/api.h"
#include "core/clock.h"
#include "core/token_verifier.h"

namespace CLI {
class App;
}  // namespace CLI

namespace sbapi {

struct AuthOptions {
  std::string mode;  // "none" | "jwt" | "local"; empty: none on loopback, else an error
  std::string jwt_issuer;
  std::vector<std::string> jwt_audience;
  std::string jwks_url;
  std::string jwks_file;
  IdentityClaims claims;
};

void add_auth_options(CLI::App& command, AuthOptions& options);

// What `serve` authenticates with: nothing (none), or a verifier, and for `local` the JWKS
// document to publish.
struct ServeAuth {
  std::unique_ptr<TokenVerifier> verifier;
  std::optional<std::string> jwks;
  std::string mode;  // for the "listening" log line
  // Configures `api` (which must not outlive this).
  void apply(Api& api) const;
};

// Told of each fetch of the issuer's keys (--auth jwt): whether it succeeded (metrics).
using JwksFetchReport = std::function<void(bool ok)>;

// `host`: the listening address; `data_dir`: where the local issuer's key is.
std::expected<ServeAuth, std::string> make_serve_auth(const AuthOptions& options,
                                                      const std::string& host,
                                                      const std::string& data_dir,
                                                      const Clock& clock,
                                                      JwksFetchReport report = {});

// Whether `host` names a loopback address (127.0.0.0/8, ::1, localhost).
bool is_loopback_host(const std::string& host);

}  // namespace sbapi
