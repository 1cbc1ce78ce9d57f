// Base64 (RFC 4648) as sbapi reads and writes it: base64url without padding (JWS segments,
// RFC 7515 §2; DynamoDB page cursors) and standard base64 (API Gateway's isBase64Encoded bodies).
//
// Contract
// - Decoders never throw and never skip characters: anything outside the alphabet (whitespace,
//   '=' where not allowed, '+' or '/' in base64url, '-' or '_' in base64) gives nullopt, and so
//   does a length no encoding has (len % 4 == 1 once padding is removed).
// - `base64url_decode` with TrailingBits::kZero (the default) accepts only what
//   `base64url_encode` produces: the unused low bits of the last character must be zero, so each
//   byte string has exactly one accepted encoding (what a signature covers is what was decoded).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sbapi {

// RFC 4648 §5 (A-Z a-z 0-9 - _), no padding.
std::string base64url_encode(std::string_view bytes);

enum class TrailingBits {
  kZero,     // the unused bits of the last character must be zero (canonical; JWS)
  kIgnored,  // they are dropped, whatever they are (DynamoDB cursors, as they always were read)
};

// Base64url without padding (no '='), strictly: see the contract above.
std::optional<std::string> base64url_decode(std::string_view text,
                                            TrailingBits trailing = TrailingBits::kZero);

// RFC 4648 §4 (A-Z a-z 0-9 + /). Padding is optional; when present ("=" or "==") it must complete
// the last quantum. The unused bits of the last character are ignored.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace sbapi
