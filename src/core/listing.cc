#include "core/listing.h"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string_view.hpp>

#include <algorithm>
#include <charconv>

#include "core/responses.h"

namespace sbapi {

std::expected<std::size_t, Response> page_limit(const QueryParams& params) {
  const auto text = params.get("limit");
  if (!text) return kDefaultPageSize;
  std::size_t limit = 0;
  const bool digits =
      !text->empty() && text->size() <= 9 &&  // fits a size_t; leading zeros allowed
      std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) std::from_chars(text->data(), text->data() + text->size(), limit);
  if (!digits || limit < 1 || limit > kMaxPageSize) {
    return std::unexpected(error_response(400, "limit must be a whole number from 1 to 100"));
  }
  return limit;
}

std::string page_binding(std::string_view operation, const ListQuery& query, const Caller& caller) {
  // Fields joined by '\n': none of them can hold one (route names, index names, validated ids,
  // emails and statuses).
  std::string binding;
  binding.append(operation).append("\n").append(query.index).append("\n").append(query.equals);
  binding.append("\n");
  if (query.filter) binding.append(query.filter->attribute).append("=").append(query.filter->value);
  binding.append("\n");
  if (!caller.authenticated()) {
    binding.append("anyone");
  } else {
    binding.append(caller.admin() ? "admin:" : "user:").append(caller.subject());
  }
  return binding;
}

Response invalid_next_token() { return error_response(400, "Invalid nextToken"); }

Response items_response(boost::json::array items) {
  return json_response(200,
                       boost::json::object{{"items", std::move(items)}, {"nextToken", nullptr}});
}

Response list_page(Table& table, PageTokens& tokens, ListQuery query, std::string_view binding,
                   std::optional<std::string_view> next_token) {
  if (next_token) {
    auto position = tokens.decode(binding, *next_token);
    if (!position) return store_failure_response(position.error());
    if (!*position) return invalid_next_token();
    query.after = std::move(**position);
  }
  // The items' stored texts joined as they are (Table::list_json): no parse and serialize.
  auto page = table.list_json(query);
  if (!page) return store_failure_response(page.error());
  std::string next = "null";
  if (page->next) {
    auto token = tokens.encode(binding, *page->next);
    if (!token) return store_failure_response(token.error());
    next = boost::json::serialize(boost::json::string_view(*token));
  }
  std::string body;
  body.reserve(32 + page->items.size() + next.size());
  body += R"({"items":[)";
  body += page->items;
  body += R"(],"nextToken":)";
  body += next;
  body += '}';
  return json_text_response(200, std::move(body));
}

std::string fold_ascii_case(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

PageTokens& process_page_tokens() {
  static PageTokens tokens;
  return tokens;
}

}  // namespace sbapi
