#include "auth/token_ttl.h"

#include <cstdint>

namespace sbapi::auth {

std::optional<std::chrono::seconds> parse_token_ttl(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 24 * 3600;
      break;
    default:
      return std::nullopt;
  }
  text.remove_suffix(1);
  // Digits only, and few enough that the product cannot overflow before the range check.
  if (text.size() > 9) return std::nullopt;
  std::int64_t count = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    count = count * 10 + (c - '0');
  }
  const std::chrono::seconds ttl{count * unit};
  if (ttl.count() <= 0 || ttl > kMaxTokenTtl) return std::nullopt;
  return ttl;
}

}  // namespace sbapi::auth
