#include "core/random_seed.h"

#include <sys/random.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <functional>
#include <thread>

namespace sbapi {
namespace {

// splitmix64's finaliser: spreads the bits of a weak seed over the whole word.
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::uint64_t random_seed() {
  std::uint64_t seed = 0;
  auto* bytes = reinterpret_cast<unsigned char*>(&seed);
  std::size_t got = 0;
  while (got < sizeof seed) {
    const ssize_t n = ::getrandom(bytes + got, sizeof seed - got, 0);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      break;
    }
  }
  if (got == sizeof seed) return seed;

  const auto now = static_cast<std::uint64_t>(
      std::chrono::high_resolution_clock::now().time_since_epoch().count());
  const auto thread =
      static_cast<std::uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  const auto stack = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&seed));
  return mix(mix(now) ^ thread ^ (stack << 1));
}

}  // namespace sbapi
