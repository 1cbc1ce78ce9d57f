// Fuzz target: where the DynamoDB adapter's pages continue (src/adapters/aws/dynamo_table.cc) and
// the AttributeValue (un)marshalling of attribute_value.cc, through `DynamoTable` over a
// `DynamoDbClient` whose transport is a fake DynamoDB answering from memory. A scan continues
// after its cursor (the base64url of the JSON of a page's last key, read back by
// `decode_cursor`); a list (a Query on an index) after a `ListPosition` {created, key}, which
// travels as the index's RANGE key gsiOrder (`order_value` ⇄ `parse_order_value`) and comes back
// from the gsiOrder of the items read.
// (The SQLite adapter's cursor is the last key as is, bound as an SQL parameter: no decoder.)
//
// The input is used three ways:
//   A. as a cursor for a scan of users; and as a key (≤ 128 bytes, the longest userId): the fake
//      answers a scan page with one item too many, so the table makes a cursor of that item's
//      key; the cursor is then sent back;
//   B. as a key (≤ 128 bytes) with a created time from its first 8 bytes (big-endian, ≥ 0), a
//      position: the fake answers a list of users' email-created-index with limit + 1 items
//      (limit 1–3), the position's item last on the page; the page's `next` is then sent back
//      as `after`; the input is also read by `parse_order_value` as a gsiOrder value;
//   C. as the body of DynamoDB's answer to a Query (Items, LastEvaluatedKey) for a list of
//      email-created-index and of all-created-index filtered by userId (a key attribute: the
//      adapter filters), and to a Scan.
// Checks, besides ASan/UBSan reports:
//   - A: a cursor is refused only as a kInternal "invalid cursor …" error, and accepted exactly
//     when it is base64url (no padding) of a JSON object with the scan's key shape (decoded
//     here independently); an accepted cursor reaches DynamoDB as that key's ExclusiveStartKey;
//     every cursor the table hands out for a real key is accepted back, and resumes from it;
//   - B: `order_value(created, key)` parses back to {created, key}, and a string
//     `parse_order_value` accepts is `order_value` of what it parsed (one spelling per
//     position); the page holds the first `limit` items of the answer (ttl, email, createdAt as
//     answered; no gsiOrder, gsiAll or emailLower) and `next` is the position of its last item;
//     a list after that position sends one Query to the index with ScanIndexForward false,
//     Limit limit + 1 and KeyConditionExpression `emailLower = :email AND gsiOrder < :after`,
//     :email the listed email folded and :after that position's gsiOrder;
//   - C: a list's answer is a page or an error value (kInternal: the fake never fails to
//     connect); a page holds at most `limit` items, none with gsiOrder, gsiAll or emailLower,
//     the filtered list's only items with that userId; at most kMaxRequestsPerPage Queries per
//     page; a page short of `limit` has a `next` only when that budget ran out, and without one
//     comes from a single answer (the fake answers the same: an answer with a LastEvaluatedKey
//     is asked again);
//   - A, B, C: no exception escapes the table (errors are values across the ports).
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <expected>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/aws/attribute_value.h"
#include "adapters/aws/dynamo_table.h"
#include "adapters/aws/dynamodb_client.h"
#include "adapters/aws/http_transport.h"
#include "core/clock.h"
#include "core/schemas.h"

namespace {

namespace json = boost::json;
namespace aws = sbapi::aws;

[[noreturn]] void fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "\nFUZZ PROPERTY VIOLATED: %.*s\n%.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

constexpr std::int64_t kNow = 1795600800;
constexpr std::string_view kEmail = "User@Example.com";  // listed as this, folded on the index
constexpr std::string_view kEmailLower = "user@example.com";
constexpr std::string_view kDerived[] = {"gsiOrder", "gsiAll", "emailLower"};

// Answers every request with `answer`, and remembers the last request's body.
class FakeDynamo final : public aws::Transport {
 public:
  std::expected<aws::HttpResponse, aws::TransportError> send(
      const aws::HttpRequest& request) override {
    last_body = request.body;
    ++requests;
    return aws::HttpResponse{200, {{"content-type", "application/x-amz-json-1.0"}}, answer};
  }
  std::string answer = R"({"Items":[],"Count":0})";
  std::string last_body;
  int requests = 0;
};

struct Fixture {
  sbapi::FixedClock clock{kNow};
  std::shared_ptr<FakeDynamo> fake = std::make_shared<FakeDynamo>();
  std::shared_ptr<aws::DynamoDbClient> client = std::make_shared<aws::DynamoDbClient>(
      aws::DynamoDbConfig{"http://127.0.0.1:8000", "us-east-1", {"AKIDFUZZ", "secret", ""}}, fake,
      aws::RetryPolicy{.max_attempts = 1}, aws::RetryHooks{}, &clock);
  aws::DynamoTable users{client, sbapi::users_schema(), clock};

  void answer(std::string body) {
    fake->answer = std::move(body);
    fake->last_body.clear();
    fake->requests = 0;
  }
  // The last request's body.
  json::object last_request() const {
    boost::system::error_code ec;
    json::value body = json::parse(fake->last_body, ec);
    if (ec || !body.is_object()) fail("a request body is not a JSON object", fake->last_body);
    return std::move(body.get_object());
  }
  // The ExclusiveStartKey of the last request, as plain JSON.
  std::optional<json::object> start_key() const {
    const json::object body = last_request();
    const auto* key = body.if_contains("ExclusiveStartKey");
    if (key == nullptr) return std::nullopt;
    auto plain = aws::from_attribute_map(key->as_object());
    if (!plain) fail("ExclusiveStartKey does not unmarshal", fake->last_body);
    return std::move(*plain);
  }
  static Fixture& instance() {
    static Fixture fixture;
    return fixture;
  }
};

// RFC 4648 §5 base64url without padding, decoded by groups of four.
std::optional<std::string> base64url(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const std::string_view group = text.substr(i, 4);
    std::uint32_t bits = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const int v = j < group.size() ? value(group[j]) : 0;
      if (v < 0) return std::nullopt;
      bits = (bits << 6) | static_cast<std::uint32_t>(v);
    }
    const std::size_t bytes = group.size() - 1;  // 4 → 3, 3 → 2, 2 → 1
    for (std::size_t j = 0; j < bytes; ++j) out += static_cast<char>((bits >> (16 - 8 * j)) & 0xFF);
  }
  return out;
}

// The key a scan cursor must carry, or nullopt: base64url of a JSON object {"userId": string}.
std::optional<json::object> expected_key(std::string_view cursor) {
  if (cursor.size() > 4096) return std::nullopt;
  const auto text = base64url(cursor);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  json::object& key = v.get_object();
  const auto* id = key.if_contains("userId");
  if (id == nullptr || !id->is_string() || key.size() != 1) return std::nullopt;
  return key;
}

template <typename Call>
auto no_throw(Call call, std::string_view what, std::string_view input) -> decltype(call()) {
  try {
    return call();
  } catch (const std::exception& e) {
    fail("an exception escaped DynamoTable",
         std::string(what) + ": " + e.what() + "\n" + std::string(input));
  }
}

// Only what DynamoDB could hold: a string DynamoDB sends back is valid UTF-8 JSON.
bool json_string(std::string_view text) {
  boost::system::error_code ec;
  (void)json::parse(json::serialize(json::value(json::string(text))), ec);
  return !ec;
}

std::string describe(const sbapi::ListPosition& p) {
  return std::to_string(p.created) + " " + json::serialize(json::value(json::string(p.key)));
}

// ---- A: scan cursors ------------------------------------------------------------------------

void cursor_as_input(Fixture& f, std::string_view input) {
  f.answer(R"({"Items":[],"Count":0})");
  const auto page = no_throw(
      [&] { return f.users.scan({.limit = 10, .cursor = std::string(input)}); }, "A", input);
  const auto expected = expected_key(input);
  if (!page) {
    if (page.error().kind != sbapi::StoreError::Kind::kInternal ||
        !page.error().detail.starts_with("invalid cursor")) {
      fail("a cursor failed other than as an invalid cursor", page.error().detail);
    }
    if (expected) fail("a well-formed cursor was refused", input);
    return;
  }
  if (!expected) fail("a malformed cursor was accepted", input);
  if (f.start_key() != expected)
    fail("an accepted cursor did not become the ExclusiveStartKey", input);
}

// A Scan answer with two items (userId = id), so a page of one has a cursor.
std::string two_items(std::string_view id) {
  json::array items;
  for (std::string_view uid : {id, std::string_view("~last")}) {
    items.push_back(json::object{{"userId", json::object{{"S", uid}}},
                                 {"email", json::object{{"S", kEmail}}},
                                 {"ttl", json::object{{"N", std::to_string(kNow + 3600)}}}});
  }
  return json::serialize(json::object{{"Items", std::move(items)}, {"Count", 2}});
}

void scan_round_trip(Fixture& f, std::string_view input) {
  if (input.empty() || input.size() > 128 || !json_string(input)) return;
  f.answer(two_items(input));
  const auto first =
      no_throw([&] { return f.users.scan({.limit = 1, .cursor = std::nullopt}); }, "A scan", input);
  if (!first) fail("a scan page failed", first.error().detail);
  if (!first->next_cursor) fail("a full scan page has no cursor", input);
  f.answer(R"({"Items":[]})");
  const auto next = no_throw(
      [&] { return f.users.scan({.limit = 1, .cursor = first->next_cursor}); }, "A scan", input);
  if (!next)
    fail("the table refused its own scan cursor", *first->next_cursor + "\n" + next.error().detail);
  if (f.start_key() != json::object{{"userId", input}})
    fail("a scan cursor resumed elsewhere", input);
}

// ---- B: list positions ----------------------------------------------------------------------

// An item of email-created-index as the adapter stores it: derived attributes included.
json::object stored_user(std::string_view id, std::int64_t created) {
  return json::object{{"userId", id},
                      {"email", kEmail},
                      {"createdAt", created},
                      {"ttl", kNow + 3600},
                      {"gsiOrder", aws::order_value(created, id)},
                      {"gsiAll", "all"},
                      {"emailLower", kEmailLower}};
}

std::string query_answer(const std::vector<json::object>& items) {
  json::array out;
  for (const auto& item : items) {
    auto marshalled = aws::to_attribute_map(item);
    if (!marshalled) fail("a test item does not marshal", marshalled.error());
    out.push_back(std::move(*marshalled));
  }
  const auto count = static_cast<std::int64_t>(out.size());
  return json::serialize(json::object{{"Items", std::move(out)}, {"Count", count}});
}

// The one attribute name and value an expression's `#name <op> :value` stands for.
struct Comparison {
  std::string name;
  std::string op;
  json::value value;
};

std::vector<Comparison> key_condition(const json::object& body, const std::string& text) {
  const auto* names = body.if_contains("ExpressionAttributeNames");
  const auto* values = body.if_contains("ExpressionAttributeValues");
  if (names == nullptr || !names->is_object() || values == nullptr || !values->is_object()) {
    fail("a Query without expression attributes", json::serialize(body));
  }
  std::istringstream words(text);
  std::vector<std::string> tokens;
  for (std::string w; words >> w;) tokens.push_back(w);
  std::vector<Comparison> out;
  for (std::size_t i = 0; i < tokens.size(); i += 4) {
    if (i + 2 >= tokens.size() || (i + 3 < tokens.size() && tokens[i + 3] != "AND")) {
      fail("a KeyConditionExpression is not `#n op :v AND …`", text);
    }
    const auto* name = names->get_object().if_contains(tokens[i]);
    const auto* value = values->get_object().if_contains(tokens[i + 2]);
    if (name == nullptr || !name->is_string() || value == nullptr || !value->is_object()) {
      fail("a KeyConditionExpression placeholder is not defined", json::serialize(body));
    }
    auto plain = aws::from_attribute_value(*value);
    if (!plain) fail("an expression value does not unmarshal", json::serialize(*value));
    out.push_back({std::string(name->get_string()), tokens[i + 1], std::move(*plain)});
  }
  return out;
}

void has_no_derived_attributes(const std::vector<sbapi::Item>& items, std::string_view context) {
  for (const auto& item : items) {
    for (const auto name : kDerived) {
      if (item.contains(name)) {
        fail("a listed item kept a derived attribute",
             std::string(context) + ": " + json::serialize(item));
      }
    }
  }
}

void list_positions(Fixture& f, std::string_view input) {
  // The input as a gsiOrder value: one spelling per position.
  if (const auto read = aws::parse_order_value(input)) {
    if (read->created < 0) fail("parse_order_value read a negative created", input);
    if (aws::order_value(read->created, read->key) != input) {
      fail("a gsiOrder parse_order_value accepts is not order_value of it", input);
    }
  }
  // Keys are non-empty (DynamoDB refuses an empty key value) and at most 128 bytes.
  if (input.empty() || input.size() > 128) return;
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < std::min<std::size_t>(input.size(), 8); ++i) {
    bits = (bits << 8) | static_cast<unsigned char>(input[i]);
  }
  const sbapi::ListPosition position{
      static_cast<std::int64_t>(
          bits & static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())),
      std::string(input)};
  const std::string order = aws::order_value(position.created, position.key);
  if (aws::parse_order_value(order) != position) {
    fail("order_value does not parse back to its position", describe(position) + "\n" + order);
  }
  if (!json_string(input)) return;

  // A page of `limit` whose last item is at `position`, one more item answered.
  const std::size_t limit = 1 + input.size() % 3;
  std::vector<json::object> answered;
  for (std::size_t i = 0; i <= limit; ++i) {
    if (i + 1 == limit) {
      answered.push_back(stored_user(input, position.created));
    } else {
      answered.push_back(stored_user("u" + std::to_string(i), kNow - static_cast<std::int64_t>(i)));
    }
  }
  f.answer(query_answer(answered));
  const sbapi::ListQuery first_query{
      .index = "email-created-index", .equals = std::string(kEmail), .limit = limit};
  const auto first = no_throw([&] { return f.users.list(first_query); }, "B list", input);
  if (!first) fail("a list page failed", first.error().detail);
  if (f.fake->requests != 1) fail("a full list page took more than one Query", input);
  has_no_derived_attributes(first->items, "B");
  if (first->items.size() != limit) fail("a list page is not full", input);
  for (std::size_t i = 0; i < limit; ++i) {
    json::object plain = answered[i];
    for (const auto name : kDerived) plain.erase(name);
    if (first->items[i] != plain) {
      fail("a listed item is not the item answered",
           json::serialize(plain) + "\n" + json::serialize(first->items[i]));
    }
  }
  if (first->next != position) {
    fail("next is not the position of the page's last item",
         describe(position) + "\n" + (first->next ? describe(*first->next) : "(none)"));
  }

  f.answer(R"({"Items":[],"Count":0})");
  auto next_query = first_query;
  next_query.after = first->next;
  const auto next = no_throw([&] { return f.users.list(next_query); }, "B list after", input);
  if (!next) fail("a list after a position failed", next.error().detail);
  if (f.fake->requests != 1 || !next->items.empty() || next->next) {
    fail("an empty answer is not one Query and an empty last page", input);
  }
  const json::object body = f.last_request();
  const auto string_of = [&](std::string_view name) -> std::string {
    const auto* v = body.if_contains(name);
    if (v == nullptr || !v->is_string()) fail("a Query without a string member", name);
    return std::string(v->get_string());
  };
  if (string_of("TableName") != "users" || string_of("IndexName") != "email-created-index") {
    fail("a list queried another table or index", f.fake->last_body);
  }
  const auto* forward = body.if_contains("ScanIndexForward");
  if (forward == nullptr || *forward != json::value(false)) {
    fail("a list Query is not newest first (ScanIndexForward false)", f.fake->last_body);
  }
  const auto* request_limit = body.if_contains("Limit");
  if (request_limit == nullptr ||
      *request_limit != json::value(static_cast<std::int64_t>(limit) + 1)) {
    fail("a list Query does not ask for limit + 1 items", f.fake->last_body);
  }
  const auto condition = key_condition(body, string_of("KeyConditionExpression"));
  if (condition.size() != 2 || condition[0].name != "emailLower" || condition[0].op != "=" ||
      condition[0].value != json::value(kEmailLower) || condition[1].name != "gsiOrder" ||
      condition[1].op != "<" ||
      condition[1].value != json::value(aws::order_value(position.created, position.key))) {
    fail("a list after a position does not query `emailLower = :email AND gsiOrder < :after`",
         f.fake->last_body);
  }
}

// ---- C: DynamoDB's answers --------------------------------------------------------------------

void check_list_answer(Fixture& f, std::string_view input, const sbapi::ListQuery& query,
                       std::string_view what) {
  f.answer(std::string(input));
  const auto page = no_throw([&] { return f.users.list(query); }, what, input);
  if (f.fake->requests > aws::kMaxRequestsPerPage) {
    fail("a list page took more Queries than its budget", std::to_string(f.fake->requests));
  }
  if (!page) {
    if (page.error().kind != sbapi::StoreError::Kind::kInternal) {
      fail("an answer's failure is not kInternal", page.error().detail);
    }
    return;
  }
  has_no_derived_attributes(page->items, what);
  if (page->items.size() > query.limit) fail("a list page holds more than limit items", input);
  if (query.filter) {
    for (const auto& item : page->items) {
      const auto* v = item.if_contains(query.filter->attribute);
      if (v == nullptr || *v != json::value(query.filter->value)) {
        fail("a filtered list returned an item that does not match", json::serialize(item));
      }
    }
  }
  if (page->items.size() < query.limit) {
    if (page->next && f.fake->requests != aws::kMaxRequestsPerPage) {
      fail("a short page has a next position before its budget ran out", input);
    }
    if (!page->next && f.fake->requests != 1) {
      fail("a short page without next after an answer with a LastEvaluatedKey", input);
    }
  }
  if (page->next && page->next->created < 0) fail("a next position with created < 0", input);
}

void answer_as_input(Fixture& f, std::string_view input) {
  check_list_answer(f, input,
                    {.index = "email-created-index", .equals = std::string(kEmail), .limit = 2},
                    "C list");
  check_list_answer(
      f, input,
      {.index = "all-created-index", .limit = 1, .filter = sbapi::AttributeEquals{"userId", "u1"}},
      "C list filtered");

  f.answer(std::string(input));
  const auto page =
      no_throw([&] { return f.users.scan({.limit = 2, .cursor = std::nullopt}); }, "C scan", input);
  if (page && page->next_cursor) {
    f.answer(R"({"Items":[]})");
    (void)no_throw([&] { return f.users.scan({.limit = 2, .cursor = page->next_cursor}); },
                   "C scan", input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto& f = Fixture::instance();
  cursor_as_input(f, input);
  scan_round_trip(f, input);
  list_positions(f, input);
  answer_as_input(f, input);
  return 0;
}
