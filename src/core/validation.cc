#include "core/validation.h"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace sbapi {
namespace {

bool is_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// The code point that starts at text[i] in valid UTF-8, and how many bytes it takes.
std::pair<char32_t, std::size_t> code_point_at(std::string_view text, std::size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c < 0x80) return {c, 1};
  const std::size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
  char32_t code = c & (0x7F >> length);
  for (std::size_t k = 1; k < length && i + k < text.size(); ++k) {
    code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  }
  return {code, length};
}

// Calls `refuse` on each code point of valid UTF-8 until it answers true.
template <class Pred>
bool any_code_point(std::string_view text, Pred refuse) {
  for (std::size_t i = 0; i < text.size();) {
    const auto [code, length] = code_point_at(text, i);
    if (refuse(code)) return true;
    i += length;
  }
  return false;
}

// C0, DEL and C1 (U+0080–U+009F, invisible in most fonts, NEL among them).
bool is_control(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

// Unicode's White_Space outside ASCII (NEL is a control above): no-break and typographic spaces,
// the line and paragraph separators.
bool is_unicode_space(char32_t c) {
  return c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

// RFC 9110 tchar.
bool is_token_char(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Consumes a non-empty token from the front of `s`.
bool take_token(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && is_token_char(s[n])) ++n;
  s.remove_prefix(n);
  return n > 0;
}

void skip_spaces(std::string_view& s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
}

// Consumes a quoted string ("..." with backslash escapes) from the front of `s`.
bool take_quoted(std::string_view& s) {
  if (s.empty() || s.front() != '"') return false;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u < 0x20 && s[i] != '\t') return false;
    if (u == 0x7f) return false;
    if (s[i] == '\\') {
      ++i;
      continue;
    }
    if (s[i] == '"') {
      s.remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

}  // namespace

bool is_valid_file_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxFileNameBytes || name == "." || name == "..") return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return c == '/' || c == '\\' || u < 0x20 || u == 0x7f;
  });
}

bool is_valid_media_type(std::string_view s) {
  if (s.size() > kMaxMediaTypeLength) return false;
  if (!take_token(s) || s.empty() || s.front() != '/') return false;
  s.remove_prefix(1);
  if (!take_token(s)) return false;
  while (true) {
    skip_spaces(s);
    if (s.empty()) return true;
    if (s.front() != ';') return false;
    s.remove_prefix(1);
    skip_spaces(s);
    if (!take_token(s) || s.empty() || s.front() != '=') return false;
    s.remove_prefix(1);
    if (!take_token(s) && !take_quoted(s)) return false;
  }
}

std::size_t utf8_length(std::string_view text) {
  // Count every byte that does not continue a multi-byte sequence.
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      code = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      code = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;  // a continuation byte first, C0/C1 (overlong), or F5..FF
    }
    if (text.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if ((extra == 2 && code < 0x800) || (extra == 3 && code < 0x10000) || code > 0x10FFFF ||
        (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

bool is_valid_id(std::string_view id) {
  // Never exactly "." or "..": an id becomes a path segment of an object key (assets/{id}/…).
  return !id.empty() && id.size() <= kMaxIdLength && id != "." && id != ".." &&
         std::all_of(id.begin(), id.end(), is_id_char);
}

bool is_valid_email(std::string_view email) {
  // A JSON body is valid UTF-8 already; a query string's value (GET /users?email=) may not be.
  if (!is_valid_utf8(email)) return false;
  const std::size_t length = utf8_length(email);
  if (length < kMinEmailLength || length > kMaxEmailLength) return false;
  if (any_code_point(email,
                     [](char32_t c) { return is_control(c) || c == ' ' || is_unicode_space(c); })) {
    return false;
  }
  const std::size_t at = email.find('@');
  if (at == std::string_view::npos || at == 0) return false;
  const std::string_view domain = email.substr(at + 1);
  if (domain.find('@') != std::string_view::npos) return false;
  // At least two labels, none empty: "b.c" yes; "b", ".b.c", "b.c.", "b..c" no.
  if (domain.find('.') == std::string_view::npos) return false;
  if (domain.front() == '.' || domain.back() == '.') return false;
  return domain.find("..") == std::string_view::npos;
}

bool is_valid_text(std::string_view text, std::size_t max_chars) {
  if (utf8_length(text) > max_chars) return false;
  // A line or paragraph separator breaks a line like a newline does.
  return !any_code_point(
      text, [](char32_t c) { return (is_control(c) && c != '\t') || c == 0x2028 || c == 0x2029; });
}

}  // namespace sbapi
