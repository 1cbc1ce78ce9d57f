#include "core/bearer_token.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace sbapi {
namespace {

// RFC 7235 token68 characters, from a table: std::isalnum per character was 5 % of the server's
// CPU with a 300-byte token (perf, GET /users/{id} with --auth local).
constexpr auto kToken68 = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[c] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
  }
  return table;
}();

bool is_token68_char(char c) { return kToken68[static_cast<unsigned char>(c)]; }

bool is_token68(std::string_view text) {
  const auto body_end = std::find_if_not(text.begin(), text.end(), is_token68_char);
  return body_end != text.begin() &&
         std::all_of(body_end, text.end(), [](char c) { return c == '='; });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

BearerToken bearer_token(const Request& request) {
  const std::string* value = nullptr;
  for (const Header& header : request.headers) {
    if (header.name != "authorization") continue;
    if (value != nullptr) return {BearerToken::Kind::kRepeated, {}};
    value = &header.value;
  }
  if (value == nullptr) return {};
  std::string_view credentials = *value;
  const auto space = credentials.find(' ');
  if (!iequals(credentials.substr(0, space), "Bearer"))
    return {BearerToken::Kind::kOtherScheme, {}};
  if (space == std::string_view::npos) return {BearerToken::Kind::kMalformed, {}};
  credentials.remove_prefix(space);
  while (!credentials.empty() && credentials.front() == ' ') credentials.remove_prefix(1);
  while (!credentials.empty() && credentials.back() == ' ') credentials.remove_suffix(1);
  if (!is_token68(credentials)) return {BearerToken::Kind::kMalformed, {}};
  return {BearerToken::Kind::kFound, credentials};
}

}  // namespace sbapi
