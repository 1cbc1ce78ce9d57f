// The identities of tokens verified already, so that a client sending the same bearer token again
// costs a SHA-256 and a hash lookup instead of a signature verification.
//
// Contract
// - Keyed by the SHA-256 of the whole token (never the token itself); an entry holds the Identity
//   and the token's exp, and is a hit only while now <= exp (no leeway: a token past its exp is
//   verified again, with the leeway, by the caller).
// - Bounded: at most `capacity` entries, spread over kShards shards (each holds capacity ÷
//   kShards). An insert into a full shard first drops its expired entries, and clears the shard if
//   it is still full.
// - Thread-safe: one shared_mutex per shard; lookups take it shared.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>

#include "core/caller.h"

namespace sbapi::auth {

class VerifiedTokenCache {
 public:
  using Digest = std::array<unsigned char, 32>;
  static constexpr std::size_t kShards = 16;

  explicit VerifiedTokenCache(std::size_t capacity = 10000);

  // SHA-256 of `token`; nullopt only if OpenSSL fails (then the caller just verifies).
  static std::optional<Digest> digest(std::string_view token);

  [[nodiscard]] std::optional<Identity> find(const Digest& digest, std::int64_t now) const;
  void insert(const Digest& digest, const Identity& identity, std::int64_t expires_at,
              std::int64_t now);
  void clear();
  [[nodiscard]] std::size_t size() const;

 private:
  struct DigestHash {
    std::size_t operator()(const Digest& digest) const;
  };
  struct Entry {
    Identity identity;
    std::int64_t expires_at = 0;
  };
  struct Shard {
    mutable std::shared_mutex mutex;
    std::unordered_map<Digest, Entry, DigestHash> entries;
  };

  Shard& shard_of(const Digest& digest);
  const Shard& shard_of(const Digest& digest) const;

  std::size_t shard_capacity_;
  std::array<Shard, kShards> shards_;
};

}  // namespace sbapi::auth
