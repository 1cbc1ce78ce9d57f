// Fuzz target: the page cursors of the DynamoDB adapter (src/adapters/aws/dynamo_table.cc: the
// base64url of the JSON of a page's last key, read back by `decode_cursor` and checked against
// the query) and the AttributeValue (un)marshalling of attribute_value.cc, through `DynamoTable`
// over a `DynamoDbClient` whose transport is a fake DynamoDB answering from memory.
// (The SQLite adapter's cursor is the last key as is, bound as an SQL parameter: no decoder.)
//
// The input is used three ways:
//   A. as a cursor, for a scan of users and a query of users' email-index;
//   B. as a key (≤ 128 bytes, the longest userId) and an email (≤ 254 bytes): the fake answers
//      a page with one item too many, so the table makes a cursor of that item's key; the cursor
//      is then sent back;
//   C. as the body of DynamoDB's answer to a Scan (items, LastEvaluatedKey).
// Checks, besides ASan/UBSan reports:
//   - A: a cursor is refused only as a kInternal "invalid cursor …" error, and accepted exactly
//     when it is base64url (no padding) of a JSON object with the query's key shape (decoded here
//     independently); an accepted cursor reaches DynamoDB as that key's ExclusiveStartKey;
//   - B: every cursor the table hands out for a real key is accepted back, and resumes from that
//     key;
//   - A, B, C: no exception escapes the table (errors are values across the ports).
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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
constexpr std::string_view kEmail = "user@example.com";

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
  // The ExclusiveStartKey of the last request, as plain JSON.
  std::optional<json::object> start_key() const {
    const json::object body = json::parse(fake->last_body).as_object();
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

// The key a cursor must carry, or nullopt: base64url of a JSON object with exactly `attributes`.
std::optional<json::object> expected_key(std::string_view cursor, bool query) {
  if (cursor.size() > 4096) return std::nullopt;
  const auto text = base64url(cursor);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  json::object& key = v.get_object();
  const auto* id = key.if_contains("userId");
  if (id == nullptr || !id->is_string()) return std::nullopt;
  if (!query) return key.size() == 1 ? std::optional(key) : std::nullopt;
  const auto* email = key.if_contains("email");
  if (key.size() != 2 || email == nullptr || *email != json::value(kEmail)) return std::nullopt;
  return key;
}

template <typename Call>
sbapi::StoreResult<sbapi::Page> no_throw(Call call, std::string_view what, std::string_view input) {
  try {
    return call();
  } catch (const std::exception& e) {
    fail("an exception escaped DynamoTable",
         std::string(what) + ": " + e.what() + "\n" + std::string(input));
  }
}

void cursor_as_input(Fixture& f, std::string_view input) {
  for (const bool query : {false, true}) {
    f.answer(R"({"Items":[],"Count":0})");
    const auto page = no_throw(
        [&] {
          return query ? f.users.query({.index = "email-index",
                                        .equals = json::value(kEmail),
                                        .limit = 10,
                                        .cursor = std::string(input)})
                       : f.users.scan({.limit = 10, .cursor = std::string(input)});
        },
        "A", input);
    const auto expected = expected_key(input, query);
    if (!page) {
      if (page.error().kind != sbapi::StoreError::Kind::kInternal ||
          !page.error().detail.starts_with("invalid cursor")) {
        fail("a cursor failed other than as an invalid cursor", page.error().detail);
      }
      if (expected) fail("a well-formed cursor was refused", input);
      continue;
    }
    if (!expected) fail("a malformed cursor was accepted", input);
    if (f.start_key() != expected)
      fail("an accepted cursor did not become the ExclusiveStartKey", input);
  }
}

// A Query/Scan answer with two items (userId = id, email), so a page of one has a cursor.
std::string two_items(std::string_view id, std::string_view email) {
  json::array items;
  for (std::string_view uid : {id, std::string_view("~last")}) {
    items.push_back(json::object{{"userId", json::object{{"S", uid}}},
                                 {"email", json::object{{"S", email}}},
                                 {"ttl", json::object{{"N", std::to_string(kNow + 3600)}}}});
  }
  return json::serialize(json::object{{"Items", std::move(items)}, {"Count", 2}});
}

void round_trip(Fixture& f, std::string_view input) {
  // Only what DynamoDB could hold: a string DynamoDB sends back is valid UTF-8 JSON.
  boost::system::error_code ec;
  (void)json::parse(json::serialize(json::value(json::string(input))), ec);
  if (ec || input.empty()) return;

  if (input.size() <= 128) {
    f.answer(two_items(input, kEmail));
    const auto first = no_throw([&] { return f.users.scan({.limit = 1}); }, "B scan", input);
    if (!first) fail("a scan page failed", first.error().detail);
    if (!first->next_cursor) fail("a full scan page has no cursor", input);
    f.answer(R"({"Items":[]})");
    const auto next = no_throw(
        [&] { return f.users.scan({.limit = 1, .cursor = first->next_cursor}); }, "B scan", input);
    if (!next)
      fail("the table refused its own scan cursor",
           *first->next_cursor + "\n" + next.error().detail);
    if (f.start_key() != json::object{{"userId", input}})
      fail("a scan cursor resumed elsewhere", input);
  }
  if (input.size() <= 254) {
    const json::value email = json::string(input);
    f.answer(two_items("u1", input));
    const auto first = no_throw(
        [&] { return f.users.query({.index = "email-index", .equals = email, .limit = 1}); },
        "B query", input);
    if (!first) fail("a query page failed", first.error().detail);
    if (!first->next_cursor) fail("a full query page has no cursor", input);
    f.answer(R"({"Items":[]})");
    const auto next = no_throw(
        [&] {
          return f.users.query(
              {.index = "email-index", .equals = email, .limit = 1, .cursor = first->next_cursor});
        },
        "B query", input);
    if (!next)
      fail("the table refused its own query cursor",
           *first->next_cursor + "\n" + next.error().detail);
    if (f.start_key() != json::object{{"userId", "u1"}, {"email", email}}) {
      fail("a query cursor resumed elsewhere", input);
    }
  }
}

void answer_as_input(Fixture& f, std::string_view input) {
  f.answer(std::string(input));
  const auto page = no_throw([&] { return f.users.scan({.limit = 2}); }, "C", input);
  if (page && page->next_cursor) {
    f.answer(R"({"Items":[]})");
    (void)no_throw([&] { return f.users.scan({.limit = 2, .cursor = page->next_cursor}); }, "C",
                   input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto& f = Fixture::instance();
  cursor_as_input(f, input);
  round_trip(f, input);
  answer_as_input(f, input);
  return 0;
}
