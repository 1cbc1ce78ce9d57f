#include "core/users_handlers.h"

#include <array>
#include <functional>
#include <string>

#include "core/responses.h"
#include "core/schemas.h"
#include "core/validation.h"

namespace sbapi {
namespace {

using boost::json::object;

constexpr std::array<std::string_view, 4> kServerOwnedFields = {"userId", "createdAt", "ttl",
                                                                "updatedAt"};
constexpr std::array<std::string_view, 3> kEditableFields = {"email", "name", "department"};

// The rest of an asynchronous request, where `resume` puts it (router.h), else right here.
void resume_or_run(const Resume& resume, std::function<void()> rest) {
  if (resume) return resume(std::move(rest));
  rest();
}

bool contains(auto const& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// Checks the editable fields present in `body` (types and rules); nullopt when all are valid.
std::optional<Response> check_editable_fields(const object& body) {
  for (std::string_view name : kEditableFields) {
    const auto* value = body.if_contains(name);
    if (value == nullptr) continue;
    if (!value->is_string()) {
      return error_response(400, std::string(name) + " must be a string");
    }
    std::string_view text = value->get_string();
    if (name == "email" && !is_valid_email(text)) {
      return error_response(400, "email must be a valid address of 3 to 254 characters");
    }
    if (name != "email" && !is_valid_text(text)) {
      return error_response(
          400, std::string(name) + " must be at most 256 characters, without control characters");
    }
  }
  return std::nullopt;
}

Response invalid_user_id() {
  return error_response(400, "userId must be 1-128 characters of A-Z a-z 0-9 . _ -");
}

// The 403 for a caller that may not act on a user (!caller.owns_or_administers(userId)).
Response forbidden(const Caller& caller) {
  if (!is_valid_id(caller.subject())) {
    return error_response(403, "Your token's subject is not a valid userId, so it owns no user");
  }
  return error_response(403, "You may only act on your own user");
}

}  // namespace

Response UsersHandlers::create(const Request& request, const Caller& caller) {
  auto user = new_user(request, caller);
  if (!user) return std::move(user.error());
  return create_response(users_.put_if_absent(*user));
}

void UsersHandlers::create_async(const Request& request, const Caller& caller, const Resume& resume,
                                 Respond respond) {
  auto user = new_user(request, caller);
  if (!user) return respond(std::move(user.error()));
  users_.put_if_absent_async(
      std::move(*user), [resume, respond = std::move(respond)](StoreResult<PutResult> put) mutable {
        resume_or_run(resume, [respond = std::move(respond), put = std::move(put)]() mutable {
          respond(create_response(std::move(put)));
        });
      });
}

std::expected<Item, Response> UsersHandlers::new_user(const Request& request,
                                                      const Caller& caller) const {
  auto body = parse_object_body(request);
  if (!body) return std::unexpected(std::move(body.error()));

  for (const auto& [name, value] : *body) {
    if (name != "userId" && !contains(kEditableFields, name)) {
      if (contains(kServerOwnedFields, name)) {
        return std::unexpected(error_response(400, std::string(name) + " is set by the server"));
      }
      return std::unexpected(error_response(400, "Unknown field: " + std::string(name)));
    }
  }
  const auto* user_id = body->if_contains("userId");
  const auto* email = body->if_contains("email");
  if (user_id == nullptr || email == nullptr) {
    return std::unexpected(error_response(400, "userId and email are required"));
  }
  if (!user_id->is_string()) return std::unexpected(error_response(400, "userId must be a string"));
  if (!is_valid_id(user_id->get_string())) return std::unexpected(invalid_user_id());
  if (auto bad = check_editable_fields(*body)) return std::unexpected(std::move(*bad));
  if (!caller.owns_or_administers(user_id->get_string())) {
    return std::unexpected(forbidden(caller));
  }

  const std::int64_t now = clock_.now_seconds();
  object user;
  user.reserve(kEditableFields.size() + 3);  // + userId, createdAt, ttl: no rehash on the way
  user["userId"] = *user_id;
  for (std::string_view name : kEditableFields) {
    if (const auto* value = body->if_contains(name)) user[name] = *value;
  }
  user["createdAt"] = now;
  user["ttl"] = now + kUserTtlSeconds;
  return user;
}

Response UsersHandlers::create_response(StoreResult<PutResult> put) {
  if (!put) return store_failure_response(put.error());
  if (put->created) {
    return json_response(201, object{{"message", "User created"}, {"user", std::move(put->item)}});
  }
  return json_response(200,
                       object{{"message", "User already exists"}, {"user", std::move(put->item)}});
}

Response UsersHandlers::get(std::string_view user_id, const Caller& caller) {
  if (!is_valid_id(user_id)) return invalid_user_id();
  if (!caller.owns_or_administers(user_id)) return forbidden(caller);
  // The stored text is the answer: no parse and serialize (Table::get_json).
  auto text = users_.get_json(user_id);
  if (!text) return store_failure_response(text.error());
  if (!*text) return error_response(404, "User not found");
  return json_text_response(200, std::move(**text));
}

Response UsersHandlers::update(std::string_view user_id, const Request& request,
                               const Caller& caller) {
  auto update = user_update(user_id, request, caller);
  if (!update) return std::move(update.error());
  return update_response(users_.update_if_exists(user_id, *update));
}

void UsersHandlers::update_async(std::string_view user_id, const Request& request,
                                 const Caller& caller, const Resume& resume, Respond respond) {
  auto update = user_update(user_id, request, caller);
  if (!update) return respond(std::move(update.error()));
  users_.update_if_exists_async(
      std::string(user_id), std::move(*update),
      [resume, respond = std::move(respond)](StoreResult<std::optional<Item>> item) mutable {
        resume_or_run(resume, [respond = std::move(respond), item = std::move(item)]() mutable {
          respond(update_response(std::move(item)));
        });
      });
}

Response UsersHandlers::update_response(StoreResult<std::optional<Item>> item) {
  if (!item) return store_failure_response(item.error());
  if (!*item) return error_response(404, "User not found");
  return json_response(200, std::move(**item));
}

std::expected<ItemUpdate, Response> UsersHandlers::user_update(std::string_view user_id,
                                                               const Request& request,
                                                               const Caller& caller) const {
  if (!is_valid_id(user_id)) return std::unexpected(invalid_user_id());
  auto body = parse_object_body(request);
  if (!body) return std::unexpected(std::move(body.error()));

  for (const auto& [name, value] : *body) {
    if (contains(kServerOwnedFields, name)) {
      return std::unexpected(error_response(400, std::string(name) + " cannot be updated"));
    }
    if (!contains(kEditableFields, name)) {
      return std::unexpected(error_response(400, "Unknown field: " + std::string(name)));
    }
  }
  if (body->empty()) {
    return std::unexpected(
        error_response(400, "At least one of email, name, department is required"));
  }
  if (auto bad = check_editable_fields(*body)) return std::unexpected(std::move(*bad));
  if (!caller.owns_or_administers(user_id)) return std::unexpected(forbidden(caller));

  ItemUpdate update{std::move(*body), {}};
  update.set["updatedAt"] = clock_.now_seconds();
  return update;
}

Response UsersHandlers::remove(std::string_view user_id, const Caller& caller) {
  if (auto refused = refuse_remove(user_id, caller)) return std::move(*refused);
  return remove_response(users_.remove(user_id));
}

void UsersHandlers::remove_async(std::string_view user_id, const Caller& caller,
                                 const Resume& resume, Respond respond) {
  if (auto refused = refuse_remove(user_id, caller)) return respond(std::move(*refused));
  users_.remove_async(std::string(user_id), [resume, respond = std::move(respond)](
                                                StoreResult<bool> removed) mutable {
    resume_or_run(resume, [respond = std::move(respond), removed = std::move(removed)]() mutable {
      respond(remove_response(std::move(removed)));
    });
  });
}

std::optional<Response> UsersHandlers::refuse_remove(std::string_view user_id,
                                                     const Caller& caller) {
  if (!is_valid_id(user_id)) return invalid_user_id();
  if (!caller.owns_or_administers(user_id)) return forbidden(caller);
  return std::nullopt;
}

Response UsersHandlers::remove_response(StoreResult<bool> removed) {
  if (!removed) return store_failure_response(removed.error());
  if (!*removed) return error_response(404, "User not found");
  return json_response(200, object{{"message", "User deleted successfully"}});
}

Response UsersHandlers::list(const Request& request, const Caller& caller) {
  auto params = parse_query(request.query, {"email", "limit", "nextToken"});
  if (!params) return std::move(params.error());
  auto limit = page_limit(*params);
  if (!limit) return std::move(limit.error());
  const bool sees_all = !caller.authenticated() || caller.admin();

  ListQuery query;
  query.limit = *limit;
  if (const auto email = params->get("email")) {
    if (!is_valid_email(*email)) {
      return error_response(400, "email must be a valid address of 3 to 254 characters");
    }
    if (!sees_all) return own_user_with_email(*email, params->get("nextToken"), caller);
    query.index = kUsersByEmail;
    query.equals = fold_ascii_case(*email);
  } else {
    if (!sees_all) return error_response(403, "Only admins may list every user");
    query.index = kAllUsers;
  }
  const std::string binding = page_binding("listUsers", query, caller);
  return list_page(users_, tokens_, std::move(query), binding, params->get("nextToken"));
}

// A non-admin's email search: their own user when its email matches, read by key (one item, so
// never a next page, and never a token to continue one).
Response UsersHandlers::own_user_with_email(std::string_view email,
                                            std::optional<std::string_view> next_token,
                                            const Caller& caller) {
  if (next_token) return invalid_next_token();
  boost::json::array items;
  if (is_valid_id(caller.subject())) {
    auto item = users_.get(caller.subject());
    if (!item) return store_failure_response(item.error());
    if (*item) {
      const auto* stored = (*item)->if_contains("email");
      if (stored != nullptr && stored->is_string() &&
          fold_ascii_case(stored->get_string()) == fold_ascii_case(email)) {
        items.emplace_back(std::move(**item));
      }
    }
  }
  return items_response(std::move(items));
}

}  // namespace sbapi
