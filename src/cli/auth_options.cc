#include "cli/auth_options.h"

#include <arpa/inet.h>
#include <CLI/CLI.hpp>

#include <array>

#include "auth/jwt_verifier.h"
#include "auth/local_issuer.h"

namespace sbapi {

void add_auth_options(CLI::App& command, AuthOptions& options) {
  command
      .add_option("--auth", options.mode,
                  "Authentication: none, jwt (bearer tokens of an OIDC/Cognito issuer) or local "
                  "(tokens from `sbapi token`); unset: none on a loopback --host, else an error")
      // Checked by make_serve_auth: CLI11 would check the variable for every subcommand, and
      // on Lambda SBAPI_AUTH=gateway is valid (src/lambda/runtime.h).
      ->envname("SBAPI_AUTH");
  command.add_option("--jwt-issuer", options.jwt_issuer, "jwt: the tokens' required `iss`")
      ->envname("SBAPI_JWT_ISSUER");
  command
      .add_option("--jwt-audience", options.jwt_audience,
                  "jwt: accepted audiences (`aud` of ID tokens, `client_id` of Cognito access "
                  "tokens), comma-separated")
      ->envname("SBAPI_JWT_AUDIENCE")
      ->delimiter(',');
  command
      .add_option("--jwks-url", options.jwks_url,
                  "jwt: the issuer's keys (default <issuer>/.well-known/jwks.json)")
      ->envname("SBAPI_JWKS_URL");
  command.add_option("--jwks-file", options.jwks_file, "jwt: the issuer's keys from a file")
      ->envname("SBAPI_JWKS_FILE");
  command
      .add_option("--admin-group", options.claims.admin_group,
                  "The group whose members may act on every record")
      ->envname("SBAPI_ADMIN_GROUP")
      ->capture_default_str();
  command.add_option("--jwt-groups-claim", options.claims.groups, "jwt: the claim listing groups")
      ->envname("SBAPI_JWT_GROUPS_CLAIM")
      ->capture_default_str();
  command
      .add_option("--jwt-subject-claim", options.claims.subject,
                  "jwt: the claim naming the caller (its userId)")
      ->envname("SBAPI_JWT_SUBJECT_CLAIM")
      ->capture_default_str();
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  std::array<unsigned char, 16> address{};
  if (inet_pton(AF_INET, host.c_str(), address.data()) == 1) return address[0] == 127;
  if (inet_pton(AF_INET6, host.c_str(), address.data()) == 1) {
    static constexpr std::array<unsigned char, 16> kLoopback{0, 0, 0, 0, 0, 0, 0, 0,
                                                             0, 0, 0, 0, 0, 0, 0, 1};
    return address == kLoopback;
  }
  return false;
}

void ServeAuth::apply(Api& api) const {
  if (verifier) api.require_tokens(*verifier);
  if (jwks) api.publish_jwks(*jwks);
}

std::expected<ServeAuth, std::string> make_serve_auth(const AuthOptions& options,
                                                      const std::string& host,
                                                      const std::string& data_dir,
                                                      const Clock& clock, JwksFetchReport report) {
  ServeAuth auth;
  auth.mode = options.mode.empty() ? "none" : options.mode;
  if (auth.mode != "none" && auth.mode != "jwt" && auth.mode != "local") {
    return std::unexpected("--auth must be none, jwt or local, got \"" + auth.mode + "\"");
  }
  if (options.mode.empty() && !is_loopback_host(host)) {
    return std::unexpected("--host " + host +
                           " is not a loopback address: choose --auth jwt or local (or --auth "
                           "none to serve an open API to the network on purpose)");
  }
  if (auth.mode == "none") return auth;

  if (auth.mode == "local") {
    auto issuer = auth::LocalIssuer::open(data_dir);
    if (!issuer) return std::unexpected("--auth local: " + issuer.error());
    auto verifier = issuer->verifier(clock);
    if (!verifier) return std::unexpected("--auth local: " + verifier.error());
    auth.verifier = std::move(*verifier);
    auth.jwks = issuer->jwks_json();
    return auth;
  }

  if (options.jwt_issuer.empty()) return std::unexpected("--auth jwt needs --jwt-issuer");
  if (options.jwt_audience.empty()) return std::unexpected("--auth jwt needs --jwt-audience");
  if (!options.jwks_url.empty() && !options.jwks_file.empty()) {
    return std::unexpected("--jwks-url and --jwks-file: give one");
  }
  auth::JwtRules rules;
  rules.issuer = options.jwt_issuer;
  rules.audiences = options.jwt_audience;
  rules.claims = options.claims;
  std::string location = options.jwks_file;
  if (location.empty()) location = options.jwks_url;
  if (location.empty()) {
    location = options.jwt_issuer;
    if (location.ends_with('/')) location.pop_back();
    location += "/.well-known/jwks.json";
  }
  auth::JwksFetch fetch = auth::jwks_fetch(location);
  if (report) {
    fetch = [fetch = std::move(fetch), report = std::move(report)] {
      auto document = fetch();
      report(document.has_value());
      return document;
    };
  }
  auto verifier = auth::JwtVerifier::create(std::move(rules), std::move(fetch), location, clock);
  if (!verifier) return std::unexpected("--auth jwt: " + verifier.error());
  auth.verifier = std::move(*verifier);
  return auth;
}

}  // namespace sbapi
