// The field rules of the API, as pure functions.
//
// Lengths in "characters" count Unicode code points of valid UTF-8 (Boost.JSON rejects invalid
// UTF-8 before any of these run).
#pragma once

#include <cstddef>
#include <string_view>

namespace sbapi {

inline constexpr std::size_t kMaxIdLength = 128;
inline constexpr std::size_t kMinEmailLength = 3;
inline constexpr std::size_t kMaxEmailLength = 254;
inline constexpr std::size_t kMaxTextLength = 256;  // name, department

// 1–128 characters of A–Z a–z 0–9 . _ -
bool is_valid_id(std::string_view id);

// 3–254 characters, exactly one '@', a non-empty local part, a domain of at least two non-empty
// dot-separated labels, no whitespace (ASCII or Unicode White_Space) and no control characters
// (C0, DEL, C1).
bool is_valid_email(std::string_view email);

// At most `max_chars` characters of valid UTF-8, no control characters (C0, DEL, C1) other than
// tab, and no line or paragraph separator (U+2028, U+2029).
bool is_valid_text(std::string_view text, std::size_t max_chars = kMaxTextLength);

inline constexpr std::size_t kMaxFileNameBytes = 255;
inline constexpr std::size_t kMaxMediaTypeLength = 255;

// 1–255 bytes; no '/', '\\' or control characters; not "." or "..": a file name can never
// reach outside its object key ("assets/{assetId}/{fileName}").
bool is_valid_file_name(std::string_view name);

// A media type "type/subtype" of RFC 9110 tokens, optionally with parameters
// (`; name=value`, value a token or a quoted string), at most 255 characters.
bool is_valid_media_type(std::string_view media_type);

// Number of code points in valid UTF-8.
std::size_t utf8_length(std::string_view text);

// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, ≤ U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace sbapi
