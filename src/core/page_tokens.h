// Page tokens: the `nextToken` of a listing, a position in an index signed and bound to its query.
//
// Contract
// - `encode(binding, position)` gives base64url (RFC 4648 §5, no padding) of
//     0x01 | created (8 bytes, big-endian two's complement) | key bytes | MAC (32 bytes)
//   where MAC = HMAC-SHA256(secret, binding | 0x00 | the bytes before the MAC). `binding` names
//   the query the token continues (route, index, filters, caller): a token is valid only for
//   the query that issued it.
// - `decode` accepts exactly what `encode` produced for the same binding under the same secret:
//   a forged, truncated, extended, re-encoded (padding, '+' '/', non-zero trailing bits) or other
//   query's token is nullopt, never an error and never an exception.
// - Tokens carry no expiry: a position stays meaningful for as long as the index exists (a
//   deleted item's position still orders correctly). Rotating the secret invalidates them all.
// - The secret is loaded on the first encode or decode, not before (on AWS the loader calls
//   Secrets Manager: a request that lists nothing never waits for it), then kept. A failed load
//   is a StoreError (the request answers 503) and the next call tries again. Thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/store_error.h"
#include "core/table.h"

namespace sbapi {

// Bytes of secret, at least kMinPageTokenSecretBytes of them.
using PageTokenSecretLoader = std::function<StoreResult<std::string>()>;
inline constexpr std::size_t kMinPageTokenSecretBytes = 32;
// Longer tokens are refused before any decoding (a key is at most 1 KiB: ids are 128 bytes).
inline constexpr std::size_t kMaxPageTokenLength = 2048;

class PageTokens {
 public:
  // Signs with a random secret made for this process: tokens die with it. For tests and for an
  // Api its entry point did not configure.
  PageTokens();
  explicit PageTokens(PageTokenSecretLoader load);

  // Replaces the loader (before the first request).
  void use(PageTokenSecretLoader load);

  StoreResult<std::string> encode(std::string_view binding, const ListPosition& position);
  StoreResult<std::optional<ListPosition>> decode(std::string_view binding, std::string_view token);

 private:
  StoreResult<std::string> secret();

  std::mutex mutex_;
  PageTokenSecretLoader load_;
  std::optional<std::string> secret_;
};

}  // namespace sbapi
