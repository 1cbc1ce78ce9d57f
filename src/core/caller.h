// Who sent a request, as the authorization rules see it.
//
// With authentication off every request comes from `Caller::anyone()`: every rule allows it and
// nothing it creates has an owner. With authentication on, a request reaches a handler only with
// a verified identity: its subject (an opaque id from the token, e.g. Cognito's `sub`) and
// whether it is in the admin group. The rules (docs/api.md, "Authentication"):
//   - a user record is the caller's own when its userId is the caller's subject;
//   - an asset is the caller's own when its ownerId is the caller's subject;
//   - an admin may act on every record; nobody else on another's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sbapi {

struct Identity {
  std::string subject;              // never empty
  std::vector<std::string> groups;  // as the token lists them
  bool admin = false;               // in the configured admin group
};

// Where a token's claims say who the caller is (`--jwt-subject-claim`, `--jwt-groups-claim`,
// `--admin-group`), the same whether sbapi verifies the token or API Gateway did.
struct IdentityClaims {
  std::string subject = "sub";
  std::string groups = "cognito:groups";
  std::string admin_group = "admin";
};

class Caller {
 public:
  // Authentication is off: every rule allows, nothing gets an owner.
  static Caller anyone() { return Caller(); }
  static Caller verified(Identity identity) { return Caller(std::move(identity)); }

  [[nodiscard]] bool authenticated() const { return authenticated_; }
  // The verified subject; empty when not authenticated.
  [[nodiscard]] const std::string& subject() const { return identity_.subject; }
  [[nodiscard]] bool admin() const { return identity_.admin; }
  // May act on a record owned by `owner` (a userId, or an asset's ownerId; empty: no owner).
  [[nodiscard]] bool owns_or_administers(std::string_view owner) const {
    return !authenticated_ || identity_.admin || (!owner.empty() && owner == identity_.subject);
  }

 private:
  Caller() = default;
  explicit Caller(Identity identity) : authenticated_(true), identity_(std::move(identity)) {}

  bool authenticated_ = false;
  Identity identity_;
};

}  // namespace sbapi
