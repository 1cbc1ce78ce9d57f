// Fuzz target: the listings' `nextToken` (src/core/page_tokens.cc: base64url of
// version | created | key | HMAC-SHA256, bound to its query) and their query strings
// (src/core/query_params.cc `parse_query`, src/core/listing.cc `page_limit`), under a fixed
// secret and the bindings `page_binding` makes for GET /users and GET /assets.
//
// The input is used three ways:
//   A. as a token, decoded under each binding (and under another secret, and with a secret that
//      cannot be loaded);
//   B. as a position (8 bytes of created time, big-endian, then the key): the target encodes it
//      under one binding and reads the token back, as is and mutated (padding, one character
//      replaced, dropped or added, '-' '_' as '+' '/', the last character's unused bits set);
//   C. as a raw query string, parsed with GET /users' and GET /assets' parameter names.
// Checks, besides ASan/UBSan reports:
//   - no exception escapes decode, encode, parse_query or page_limit;
//   - A: a token that decodes is at most kMaxPageTokenLength base64url characters and is exactly
//     what encode makes of its position under that binding (one spelling per token); it decodes
//     under no other binding and not under another secret; an unloadable secret is an error
//     (never a position);
//   - B: a token is unpadded base64url, decodes to its position under its binding only, and every
//     mutation of it is refused;
//   - C: parse_query agrees with a reference reading of the contract (query_params.h: '&' pairs,
//     split at the first '=', strict %HH, '+' as itself; refused at the first pair with a bad
//     escape, an empty name, an unknown name, a repeated name or a value over 2048 bytes, with
//     that problem's message); a refusal is a 400 whose body is {"error": printable ASCII}; the
//     values of an accepted query, each percent-encoded again, parse back to the same values;
//     page_limit accepts decimal digits worth 1–100 and nothing else (absent: 25).
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/caller.h"
#include "core/listing.h"
#include "core/page_tokens.h"
#include "core/query_params.h"
#include "core/schemas.h"

namespace {

namespace json = boost::json;
using sbapi::ListPosition;

[[noreturn]] void fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "\nFUZZ PROPERTY VIOLATED: %.*s\n%.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// Bytes as C escapes, for messages.
std::string printable(std::string_view bytes) {
  std::string out;
  for (const char c : bytes.substr(0, 4096)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out.push_back(c);
    } else {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", u);
      out += buffer;
    }
  }
  return out;
}

std::string describe(const ListPosition& position) {
  return "created " + std::to_string(position.created) + ", key \"" + printable(position.key) +
         "\"";
}

sbapi::Caller user(std::string subject) {
  return sbapi::Caller::verified(sbapi::Identity{std::move(subject), {}, false});
}
sbapi::Caller admin(std::string subject) {
  return sbapi::Caller::verified(sbapi::Identity{std::move(subject), {"admin"}, true});
}

sbapi::ListQuery list_query(std::string_view index, std::string_view equals,
                            std::optional<sbapi::AttributeEquals> filter = std::nullopt) {
  sbapi::ListQuery query;
  query.index = std::string(index);
  query.equals = std::string(equals);
  query.filter = std::move(filter);
  return query;
}

struct Fixture {
  sbapi::PageTokens tokens{[] { return sbapi::StoreResult<std::string>(std::string(32, 'k')); }};
  sbapi::PageTokens other_secret{
      [] { return sbapi::StoreResult<std::string>(std::string(32, 'K')); }};
  sbapi::PageTokens no_secret{[] {
    return sbapi::StoreResult<std::string>(std::unexpected(
        sbapi::StoreError{sbapi::StoreError::Kind::kUnavailable, "secret store down"}));
  }};
  std::vector<std::string> bindings;

  Fixture() {
    using sbapi::page_binding;
    const auto anyone = sbapi::Caller::anyone();
    const sbapi::AttributeEquals pending{"status", "pending"};
    bindings = {
        page_binding("listUsers", list_query(sbapi::kAllUsers, ""), anyone),
        page_binding("listUsers", list_query(sbapi::kAllUsers, ""), admin("root")),
        page_binding("listUsers", list_query(sbapi::kUsersByEmail, "user@example.com"), anyone),
        page_binding("listUsers", list_query(sbapi::kUsersByEmail, "user@example.co"), anyone),
        page_binding("listAssets", list_query(sbapi::kAllAssets, ""), anyone),
        page_binding("listAssets", list_query(sbapi::kAssetsByStatus, "pending"), anyone),
        page_binding("listAssets", list_query(sbapi::kAssetsByStatus, "uploaded"), admin("root")),
        page_binding("listAssets", list_query(sbapi::kAssetsByOwner, "alice"), user("alice")),
        page_binding("listAssets", list_query(sbapi::kAssetsByOwner, "alice", pending),
                     user("alice")),
        page_binding("listAssets", list_query(sbapi::kAssetsByOwner, "bob"), user("bob")),
    };
    for (std::size_t i = 0; i < bindings.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (bindings[i] == bindings[j]) fail("two queries share a binding", bindings[i]);
      }
    }
  }
  static Fixture& instance() {
    static Fixture fixture;
    return fixture;
  }
};

std::optional<ListPosition> decode(sbapi::PageTokens& tokens, std::string_view binding,
                                   std::string_view token) {
  sbapi::StoreResult<std::optional<ListPosition>> result;
  try {
    result = tokens.decode(binding, token);
  } catch (const std::exception& e) {
    fail("an exception escaped PageTokens::decode",
         std::string(e.what()) + "\n" + printable(token));
  }
  if (!result) fail("decode failed with a loadable secret", result.error().detail);
  return std::move(*result);
}

std::string encode(sbapi::PageTokens& tokens, std::string_view binding,
                   const ListPosition& position) {
  sbapi::StoreResult<std::string> result;
  try {
    result = tokens.encode(binding, position);
  } catch (const std::exception& e) {
    fail("an exception escaped PageTokens::encode", e.what());
  }
  if (!result) fail("encode failed with a loadable secret", result.error().detail);
  return std::move(*result);
}

bool is_base64url(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

// A: the input as a token.
void token_as_input(Fixture& f, std::string_view input) {
  std::optional<std::size_t> accepted_by;
  for (std::size_t i = 0; i < f.bindings.size(); ++i) {
    const auto position = decode(f.tokens, f.bindings[i], input);
    if (!position) continue;
    if (accepted_by) {
      fail("a token decodes under two bindings",
           printable(f.bindings[*accepted_by]) + "\n" + printable(f.bindings[i]));
    }
    accepted_by = i;
    if (input.size() > sbapi::kMaxPageTokenLength || !is_base64url(input)) {
      fail("a token outside the format decodes", printable(input));
    }
    const std::string again = encode(f.tokens, f.bindings[i], *position);
    if (again != input) {
      fail("a decoded token is not what encode makes of its position (two spellings)",
           printable(input) + "\nre-encoded: " + again + "\n" + describe(*position));
    }
  }
  if (accepted_by && decode(f.other_secret, f.bindings[*accepted_by], input)) {
    fail("a token decodes under another secret", printable(input));
  }
  sbapi::StoreResult<std::optional<ListPosition>> unloadable;
  try {
    unloadable = f.no_secret.decode(f.bindings[0], input);
  } catch (const std::exception& e) {
    fail("an exception escaped PageTokens::decode without a secret", e.what());
  }
  if (unloadable && *unloadable) fail("a token decodes without a secret", printable(input));
}

// B: the input as a position, encoded then read back as is and mutated.
void position_as_input(Fixture& f, std::string_view input) {
  if (input.size() < 2) return;
  const std::size_t which = static_cast<unsigned char>(input[0]) % f.bindings.size();
  const auto pick = static_cast<unsigned char>(input[1]);
  input.remove_prefix(2);
  std::uint64_t created = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    created = (created << 8) | (i < input.size() ? static_cast<unsigned char>(input[i]) : 0u);
  }
  // A key is at most 1 KiB (page_tokens.h): ids are 128 bytes, index values 254.
  const ListPosition position{
      static_cast<std::int64_t>(created),
      std::string(input.substr(std::min<std::size_t>(8, input.size()), 1024))};
  const std::string& binding = f.bindings[which];
  const std::string token = encode(f.tokens, binding, position);
  if (token.empty() || token.size() > sbapi::kMaxPageTokenLength || !is_base64url(token)) {
    fail("encode made a token outside the format", token);
  }
  const auto back = decode(f.tokens, binding, token);
  if (!back || *back != position) {
    fail("a token does not decode to its position",
         token + "\n" + describe(position) + "\nback: " + (back ? describe(*back) : "refused"));
  }
  for (std::size_t i = 0; i < f.bindings.size(); ++i) {
    if (i != which && decode(f.tokens, f.bindings[i], token)) {
      fail("a token decodes under another binding",
           token + "\nmade for: " + printable(binding) + "\nread as: " + printable(f.bindings[i]));
    }
  }
  if (decode(f.other_secret, binding, token)) fail("a token decodes under another secret", token);

  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::size_t at = (pick * 7919u + input.size()) % token.size();
  std::vector<std::string> mutations = {
      token + "=", token + "==", token + "A", token.substr(0, token.size() - 1),
      " " + token, token + "\n"};
  std::string replaced = token;
  replaced[at] = kAlphabet[(kAlphabet.find(token[at]) + 1 + pick % 63) % 64];
  mutations.push_back(replaced);
  mutations.push_back(token.substr(0, at) + token.substr(at + 1));
  mutations.push_back(token.substr(0, at) + kAlphabet[pick % 64] + token.substr(at));
  std::string standard = token;  // base64 rather than base64url
  std::replace(standard.begin(), standard.end(), '-', '+');
  std::replace(standard.begin(), standard.end(), '_', '/');
  mutations.push_back(standard);
  if (token.size() % 4 != 0) {  // the last character has unused low bits: set one
    const std::size_t unused = token.size() % 4 == 2 ? 4 : 2;
    std::string bits = token;
    const auto value = kAlphabet.find(bits.back());
    bits.back() = kAlphabet[value | (1u << (pick % unused))];
    mutations.push_back(bits);
  }
  for (const auto& mutated : mutations) {
    if (mutated == token) continue;
    if (const auto read = decode(f.tokens, binding, mutated)) {
      fail("a mutated token decodes",
           token + "\nmutated: " + printable(mutated) + "\n" + describe(*read));
    }
  }
}

// C: the reference reading of query_params.h.
int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
    } else if (text.size() - i >= 3 && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::string escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      constexpr std::string_view kHex = "0123456789ABCDEF";
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

struct Reference {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::optional<std::string> error;  // the expected message of the 400
};

Reference reference_parse(std::string_view raw, const std::vector<std::string_view>& allowed) {
  Reference out;
  if (raw.empty()) return out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = std::min(raw.find('&', start), raw.size());
    const std::string_view pair = raw.substr(start, end - start);
    const std::size_t eq = pair.find('=');
    const auto name = unescape(pair.substr(0, eq));
    const auto value = eq == std::string_view::npos ? std::optional<std::string>("")
                                                    : unescape(pair.substr(eq + 1));
    if (!name || !value) {
      out.error = "Malformed percent-encoding in the query string";
      return out;
    }
    if (name->empty()) {
      out.error = "Empty query parameter name";
      return out;
    }
    if (std::find(allowed.begin(), allowed.end(), *name) == allowed.end()) {
      const bool echo = name->size() <= 64 && std::all_of(name->begin(), name->end(), [](char c) {
                          return c > ' ' && c < 0x7f && c != '"';
                        });
      out.error = "Unknown query parameter" + (echo ? ": " + *name : std::string());
      return out;
    }
    for (const auto& [n, v] : out.pairs) {
      if (n == *name) {
        out.error = "Repeated query parameter: " + *name;
        return out;
      }
    }
    if (value->size() > sbapi::kMaxQueryValueBytes) {
      out.error = "Query parameter " + *name + " is too long";
      return out;
    }
    out.pairs.emplace_back(*name, *value);
    if (end == raw.size()) return out;
    start = end + 1;
  }
}

std::expected<sbapi::QueryParams, sbapi::Response> parse(std::string_view raw, bool assets) {
  try {
    return assets ? sbapi::parse_query(raw, {"status", "limit", "nextToken"})
                  : sbapi::parse_query(raw, {"email", "limit", "nextToken"});
  } catch (const std::exception& e) {
    fail("an exception escaped parse_query", std::string(e.what()) + "\n" + printable(raw));
  }
}

// The message of a 400 {"error": "..."} whose message is printable ASCII, or a failure.
std::string error_message(const sbapi::Response& response, std::string_view raw) {
  if (response.status != 400) {
    fail("a refused query is not a 400", std::to_string(response.status) + "\n" + printable(raw));
  }
  boost::system::error_code ec;
  const json::value body = json::parse(response.body, ec);
  const json::string* message = nullptr;
  if (!ec && body.is_object() && body.get_object().size() == 1) {
    message = body.get_object().if_contains("error") != nullptr
                  ? body.get_object().at("error").if_string()
                  : nullptr;
  }
  if (message == nullptr) {
    fail("a refusal is not {\"error\": string}", printable(response.body) + "\n" + printable(raw));
  }
  if (!std::all_of(message->begin(), message->end(),
                   [](char c) { return c >= 0x20 && c < 0x7f; })) {
    fail("an error message holds bytes outside printable ASCII",
         printable(*message) + "\n" + printable(raw));
  }
  return std::string(*message);
}

void check_limit(const sbapi::QueryParams& params, std::string_view raw) {
  std::expected<std::size_t, sbapi::Response> limit;
  try {
    limit = sbapi::page_limit(params);
  } catch (const std::exception& e) {
    fail("an exception escaped page_limit", std::string(e.what()) + "\n" + printable(raw));
  }
  // listing.h: decimal digits worth 1–100 (leading zeros allowed), nothing else; absent: 25.
  // A refusal of more than 9 digits (listing.cc reads at most 9) is tolerated, never a wrong value.
  const auto text = params.get("limit");
  std::optional<std::size_t> expected = sbapi::kDefaultPageSize;
  bool may_refuse = false;
  if (text) {
    expected.reset();
    if (!text->empty() &&
        std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; })) {
      std::size_t value = 0;
      for (const char c : *text) value = std::min<std::size_t>(value * 10 + (c - '0'), 1000);
      if (value >= 1 && value <= sbapi::kMaxPageSize) expected = value;
      may_refuse = text->size() > 9;
    }
  }
  const bool agrees = limit ? expected && *limit == *expected : !expected || may_refuse;
  if (!agrees) {
    fail("page_limit disagrees with the contract",
         printable(text.value_or("(absent)")) + " → " +
             (limit ? std::to_string(*limit) : "refused") + "\n" + printable(raw));
  }
  if (!limit && error_message(limit.error(), raw) != "limit must be a whole number from 1 to 100") {
    fail("page_limit refused with another message", limit.error().body);
  }
}

void query_as_input(std::string_view raw, bool assets) {
  const std::vector<std::string_view> allowed =
      assets ? std::vector<std::string_view>{"status", "limit", "nextToken"}
             : std::vector<std::string_view>{"email", "limit", "nextToken"};
  const auto params = parse(raw, assets);
  const Reference reference = reference_parse(raw, allowed);
  if (!params) {
    const std::string message = error_message(params.error(), raw);
    if (!reference.error) {
      fail("a query the contract accepts is refused", message + "\n" + printable(raw));
    }
    if (message != *reference.error) {
      fail("a query is refused with another problem than its first",
           message + "\nexpected: " + *reference.error + "\n" + printable(raw));
    }
    return;
  }
  if (reference.error) {
    fail("a query the contract refuses is accepted", *reference.error + "\n" + printable(raw));
  }
  for (const auto name : allowed) {
    const auto got = params->get(name);
    std::optional<std::string_view> want;
    for (const auto& [n, v] : reference.pairs) {
      if (n == name) want = v;
    }
    if (got != want) {
      fail("a parameter's value is not what the query says",
           std::string(name) + ": " + (got ? printable(*got) : "(absent)") + " vs " +
               (want ? printable(*want) : "(absent)") + "\n" + printable(raw));
    }
  }
  // Round trip: the decoded values, percent-encoded again (in reverse order), read back the same.
  std::string again;
  for (auto it = reference.pairs.rbegin(); it != reference.pairs.rend(); ++it) {
    if (!again.empty()) again.push_back('&');
    again += escape(it->first) + "=" + escape(it->second);
  }
  const auto reparsed = parse(again, assets);
  if (!reparsed) {
    fail("a re-encoded accepted query is refused",
         printable(reparsed.error().body) + "\n" + again + "\nfrom: " + printable(raw));
  }
  for (const auto name : allowed) {
    if (reparsed->get(name) != params->get(name)) {
      fail("a re-encoded value reads back differently",
           std::string(name) + "\n" + again + "\nfrom: " + printable(raw));
    }
  }
  check_limit(*params, raw);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Fixture& f = Fixture::instance();
  token_as_input(f, input);
  position_as_input(f, input);
  query_as_input(input, false);
  query_as_input(input, true);
  return 0;
}
