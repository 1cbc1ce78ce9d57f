#include "core/request_id.h"

#include <cstdint>
#include <random>
#include <string_view>

#include "core/random_seed.h"

namespace sbapi {
namespace {

constexpr std::string_view kHex = "0123456789abcdef";

// Writes the low `digits` hex digits of `value` at `out`, most significant first.
void put_hex(char* out, std::uint64_t value, int digits) {
  for (int i = digits - 1; i >= 0; --i, value >>= 4) out[i] = kHex[value & 0xf];
}

}  // namespace

std::string new_request_id() {
  // One engine per thread: no lock on the hot path.
  thread_local std::mt19937_64 engine{random_seed()};
  const std::uint64_t hi = engine();
  const std::uint64_t lo = engine();
  // RFC 9562 version 4: "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", y one of 8 9 a b. Written digit
  // by digit: snprintf took 2,600 of a cached GET's 21,400 instructions (callgrind).
  std::string id(36, '-');
  put_hex(&id[0], hi >> 32, 8);
  put_hex(&id[9], hi >> 16, 4);
  id[14] = '4';
  put_hex(&id[15], hi, 3);
  put_hex(&id[19], 0x8000 | ((lo >> 48) & 0x3fff), 4);
  put_hex(&id[24], lo, 12);
  return id;
}

}  // namespace sbapi
