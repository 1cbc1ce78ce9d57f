// The lifetime of a local token as `sbapi token --ttl` reads it: a positive whole number and one
// unit, s (seconds), m (minutes), h (hours) or d (days) — "30s", "15m", "1h", "7d" — from one
// second up to kMaxTokenTtl (30 days). No spaces, signs, fractions or combinations ("1h30m").
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace sbapi::auth {

inline constexpr std::chrono::seconds kMaxTokenTtl{30LL * 24 * 3600};

// The lifetime `text` says, or nullopt when it is not of that shape or is out of range.
std::optional<std::chrono::seconds> parse_token_ttl(std::string_view text);

}  // namespace sbapi::auth
