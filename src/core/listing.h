// What every listing endpoint shares (GET /users, GET /assets): the `limit` and `nextToken`
// parameters, the page token's binding to its query, and the answer
// `200 {"items": [...], "nextToken": "..." | null}`.
//
// Contract
// - `limit` is a whole number 1–100 written in decimal digits only (no sign, no spaces, no
//   leading '+'); absent: 25. Anything else is a 400 naming it.
// - A page token is valid only for the query that issued it: the binding names the operation,
//   the index, its partition value, the filter, and the caller (subject and admin flag, or
//   "anyone" with authentication off). Any other token is a 400 `{"error":"Invalid nextToken"}`.
// - `nextToken` is null exactly when the adapter says nothing follows (ListPage::next).
#pragma once

#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "core/caller.h"
#include "core/http.h"
#include "core/page_tokens.h"
#include "core/query_params.h"
#include "core/table.h"

namespace sbapi {

inline constexpr std::size_t kDefaultPageSize = 25;
inline constexpr std::size_t kMaxPageSize = 100;

// The `limit` parameter, or the 400 that refuses it.
std::expected<std::size_t, Response> page_limit(const QueryParams& params);

// The binding of a page token: `operation` (the route's), the query and the caller.
std::string page_binding(std::string_view operation, const ListQuery& query, const Caller& caller);

// One page of `query`, continuing after `next_token` (when given), as the listing's answer.
Response list_page(Table& table, PageTokens& tokens, ListQuery query, std::string_view binding,
                   std::optional<std::string_view> next_token);

// The answer for a listing computed without the index (a caller that may see one record only).
Response items_response(boost::json::array items);

// 400 Invalid nextToken.
Response invalid_next_token();

// ASCII letters A–Z to lower case, other bytes as they are (the email index's folding, the same
// as SQLite's lower() and the DynamoDB adapter's).
std::string fold_ascii_case(std::string_view text);

// The page tokens of a handler its Api did not give any: a per-process random secret.
PageTokens& process_page_tokens();

}  // namespace sbapi
