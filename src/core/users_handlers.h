// The users endpoints: POST /users, GET|PUT|DELETE /users/{id}, GET /users (listing).
//
//  - create is idempotent: the first POST of a userId stores the user (201); any later one —
//    even racing it — answers 200 with the stored user. A conditional put decides the winner.
//  - update changes only the given fields and sets `updatedAt`, through a conditional update, so
//    it can never resurrect a user deleted concurrently; a missing user is 404.
//  - `userId`, `createdAt`, `ttl` and `updatedAt` belong to the server; a body naming them, or
//    any unknown field, is a 400.
//  - with authentication on, a caller acts only on the user whose userId is its subject (an
//    admin on every user); anything else is a 403, checked after the request is validated and
//    before storage is touched. User ids are not secret: a 403, not a 404, says why.
//  - list (listing.h): `?email=` gives the users with that address, matched with ASCII letters
//    case-folded; without it, every user. Both newest first. With authentication on, listing
//    every user is for admins (403 otherwise), and a non-admin's email search finds at most
//    their own user.
#pragma once

#include <expected>
#include <optional>
#include <string_view>

#include "core/caller.h"
#include "core/clock.h"
#include "core/http.h"
#include "core/listing.h"
#include "core/router.h"
#include "core/table.h"

namespace sbapi {

inline constexpr std::int64_t kUserTtlSeconds = 90LL * 24 * 3600;

class UsersHandlers {
 public:
  // `users`, `clock` and `tokens` must outlive the handlers.
  UsersHandlers(Table& users, const Clock& clock, PageTokens& tokens = process_page_tokens())
      : users_(users), clock_(clock), tokens_(tokens) {}

  Response create(const Request& request, const Caller& caller);
  // create for a caller that must not wait for the write (Table::put_if_absent_async).
  // The answer is made where `resume` says (router.h), not on the storage's thread.
  void create_async(const Request& request, const Caller& caller, const Resume& resume,
                    Respond respond);
  Response get(std::string_view user_id, const Caller& caller);
  Response update(std::string_view user_id, const Request& request, const Caller& caller);
  void update_async(std::string_view user_id, const Request& request, const Caller& caller,
                    const Resume& resume, Respond respond);
  Response remove(std::string_view user_id, const Caller& caller);
  void remove_async(std::string_view user_id, const Caller& caller, const Resume& resume,
                    Respond respond);
  Response list(const Request& request, const Caller& caller);

 private:
  // The new user a POST asks for, or the 400 that refuses it.
  std::expected<Item, Response> new_user(const Request& request, const Caller& caller) const;
  static Response create_response(StoreResult<PutResult> put);
  // The changes a PUT asks for, or the 400/403 that refuses it.
  std::expected<ItemUpdate, Response> user_update(std::string_view user_id, const Request& request,
                                                  const Caller& caller) const;
  static Response update_response(StoreResult<std::optional<Item>> item);
  // The 400/403 that refuses a DELETE before it reaches storage, if any.
  static std::optional<Response> refuse_remove(std::string_view user_id, const Caller& caller);
  static Response remove_response(StoreResult<bool> removed);
  Response own_user_with_email(std::string_view email, std::optional<std::string_view> next_token,
                               const Caller& caller);

  Table& users_;
  const Clock& clock_;
  PageTokens& tokens_;
};

}  // namespace sbapi
