#include "core/request_id.h"

#include <cstdint>
#include <cstdio>
#include <random>

#include "core/random_seed.h"

namespace sbapi {

std::string new_request_id() {
  // One engine per thread: no lock on the hot path.
  thread_local std::mt19937_64 engine{random_seed()};
  const std::uint64_t hi = engine();
  const std::uint64_t lo = engine();
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0x0fff),
                static_cast<unsigned>(0x8000 | ((lo >> 48) & 0x3fff)),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

}  // namespace sbapi
