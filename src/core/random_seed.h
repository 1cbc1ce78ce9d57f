// Seeds for the per-thread pseudo-random engines (request ids, retry jitter).
#pragma once

#include <cstdint>

namespace sbapi {

// 64 bits from the kernel (getrandom(2), glibc 2.25). If the kernel refuses (no getrandom, a
// seccomp filter), a mix of the clock, the thread and a stack address: the engines seeded here
// need distinct streams, not secrets.
//
// Not std::random_device: libstdc++ 12's random_device refers to arc4random, which glibc added
// in 2.36, so any use of it would make the Lambda `bootstrap` (dynamically linked against the
// host's glibc) fail to load on Amazon Linux 2023's glibc 2.34. scripts/package.sh and
// tests/package check the versions the bootstrap needs.
std::uint64_t random_seed();

}  // namespace sbapi
