#include "core/base64.h"

#include <array>
#include <cstdint>

namespace sbapi {
namespace {

constexpr std::string_view kStandard =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using DecodeTable = std::array<signed char, 256>;

constexpr DecodeTable decode_table(std::string_view alphabet) {
  DecodeTable t{};
  t.fill(-1);
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
  }
  return t;
}

constexpr DecodeTable kStandardTable = decode_table(kStandard);
constexpr DecodeTable kUrlTable = decode_table(kUrl);

// Unpadded text in one alphabet; nullopt on a foreign character or an impossible length.
std::optional<std::string> decode(std::string_view text, const DecodeTable& table,
                                  TrailingBits trailing) {
  if (text.size() % 4 == 1) return std::nullopt;  // 6 bits: not even one byte
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const signed char v = table[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  // 2 or 4 bits are left over after a partial quantum; only zeros make the encoding canonical.
  if (trailing == TrailingBits::kZero && (buffer & ((1U << bits) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kUrl[(buffer >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kUrl[(buffer << (6 - bits)) & 0x3F]);
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text, TrailingBits trailing) {
  return decode(text, kUrlTable, trailing);
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::size_t end = text.size();
  std::size_t padding = 0;
  while (end > 0 && text[end - 1] == '=' && padding < 2) {
    --end;
    ++padding;
  }
  if (padding > 0 && text.size() % 4 != 0) return std::nullopt;
  return decode(text.substr(0, end), kStandardTable, TrailingBits::kIgnored);
}

}  // namespace sbapi
