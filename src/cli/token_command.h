// `sbapi token`: print a bearer token signed by the local development issuer
// (auth/local_issuer.h), for trying `sbapi serve` with authentication on.
//
//   sbapi token --sub alice [--group admin]... [--ttl 1h] [--data-dir ./.data]
//
// The token (one line on stdout) is an ES256 JWT whose subject is --sub: a caller may act on the
// user whose userId is its subject (and on every record when in the admin group), so --sub must
// be a valid userId. --ttl: 30s, 15m, 1h, 7d… (auth/token_ttl.h; default 1h, at most 30d).
// --data-dir (env SBAPI_DATA_DIR; default that of `sbapi serve`) holds the signing key
// (`auth/token-signing-key.pem`, created on first use), so `serve` on the same data dir accepts
// the token. A usage error (a bad --sub, --group or --ttl) is one stderr line and exit 2; a key
// that cannot be read or created, one line and exit 1.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace sbapi {

struct TokenOptions {
  std::string subject;
  std::vector<std::string> groups;
  std::string ttl = "1h";
  std::string data_dir;  // add_token_command sets serve's default
};

CLI::App* add_token_command(CLI::App& app, TokenOptions& options);
int run_token(const TokenOptions& options);

}  // namespace sbapi
