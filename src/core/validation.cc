#include "core/validation.h"

#include <algorithm>

namespace sbapi {
namespace {

bool is_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool is_control_or_space(char c) {
  auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7f;
}

}  // namespace

std::size_t utf8_length(std::string_view text) {
  // Count every byte that does not continue a multi-byte sequence.
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

bool is_valid_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxIdLength && std::all_of(id.begin(), id.end(), is_id_char);
}

bool is_valid_email(std::string_view email) {
  const std::size_t length = utf8_length(email);
  if (length < kMinEmailLength || length > kMaxEmailLength) return false;
  if (std::any_of(email.begin(), email.end(), is_control_or_space)) return false;
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
  return std::none_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

}  // namespace sbapi
