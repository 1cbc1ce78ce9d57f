#include "lambda/authorizer_claims.h"

#include <algorithm>

namespace sbapi::lambda {
namespace {

namespace json = boost::json;

const json::object* object_at(const json::object& parent, std::string_view name) {
  const json::value* v = parent.if_contains(name);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

void add_split(std::vector<std::string>& out, std::string_view text, char separator) {
  while (!text.empty()) {
    const auto end = text.find(separator);
    std::string_view part = text.substr(0, end);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

}  // namespace

std::vector<std::string> rendered_groups(std::string_view value) {
  std::vector<std::string> groups;
  if (value.size() >= 2 && value.front() == '[' && value.back() == ']') {
    add_split(groups, value.substr(1, value.size() - 2), ' ');
  } else {
    add_split(groups, value, ',');
  }
  return groups;
}

std::optional<Identity> authorizer_identity(const json::object& event, EventKind kind,
                                            const IdentityClaims& claims) {
  const json::object* context = object_at(event, "requestContext");
  const json::object* authorizer = context != nullptr ? object_at(*context, "authorizer") : nullptr;
  if (authorizer == nullptr) return std::nullopt;
  if (kind == EventKind::kHttpApiV2) authorizer = object_at(*authorizer, "jwt");
  const json::object* values = authorizer != nullptr ? object_at(*authorizer, "claims") : nullptr;
  if (values == nullptr) return std::nullopt;

  const json::value* subject = values->if_contains(claims.subject);
  if (subject == nullptr || !subject->is_string() || subject->get_string().empty()) {
    return std::nullopt;
  }
  Identity identity;
  identity.subject = std::string(subject->get_string());
  if (const json::value* groups = values->if_contains(claims.groups)) {
    if (groups->is_string()) {
      identity.groups = rendered_groups(groups->get_string());
    } else if (groups->is_array()) {
      for (const json::value& group : groups->get_array()) {
        if (group.is_string()) identity.groups.emplace_back(group.get_string());
      }
    }
  }
  identity.admin = std::find(identity.groups.begin(), identity.groups.end(), claims.admin_group) !=
                   identity.groups.end();
  return identity;
}

}  // namespace sbapi::lambda
