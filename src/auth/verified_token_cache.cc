#include "auth/verified_token_cache.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "auth/openssl_ptr.h"

namespace sbapi::auth {
namespace {

// Fetched once: EVP_sha256() would look the implementation up in the provider on every use.
const EVP_MD* sha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

VerifiedTokenCache::VerifiedTokenCache(std::size_t capacity)
    : shard_capacity_(std::max<std::size_t>(1, (capacity + kShards - 1) / kShards)) {}

std::optional<VerifiedTokenCache::Digest> VerifiedTokenCache::digest(std::string_view token) {
  // One context per thread, reset by each init: no allocation on the hit path.
  thread_local const MdCtxPtr ctx(EVP_MD_CTX_new());
  Digest out;
  unsigned int length = 0;
  if (!ctx || sha256() == nullptr || EVP_DigestInit_ex2(ctx.get(), sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), token.data(), token.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &length) != 1 || length != out.size()) {
    return std::nullopt;
  }
  return out;
}

std::size_t VerifiedTokenCache::DigestHash::operator()(const Digest& digest) const {
  std::size_t h;  // the digest is uniformly distributed already
  std::memcpy(&h, digest.data() + 8, sizeof h);
  return h;
}

// The shard comes from other bytes than the hash, so that each shard's buckets stay spread.
VerifiedTokenCache::Shard& VerifiedTokenCache::shard_of(const Digest& digest) {
  return shards_[digest[0] % kShards];
}
const VerifiedTokenCache::Shard& VerifiedTokenCache::shard_of(const Digest& digest) const {
  return shards_[digest[0] % kShards];
}

std::optional<Identity> VerifiedTokenCache::find(const Digest& digest, std::int64_t now) const {
  const Shard& shard = shard_of(digest);
  std::shared_lock lock(shard.mutex);
  const auto it = shard.entries.find(digest);
  if (it == shard.entries.end() || now > it->second.expires_at) return std::nullopt;
  return it->second.identity;
}

void VerifiedTokenCache::insert(const Digest& digest, const Identity& identity,
                                std::int64_t expires_at, std::int64_t now) {
  if (now > expires_at) return;  // could never be a hit
  Shard& shard = shard_of(digest);
  std::unique_lock lock(shard.mutex);
  if (shard.entries.size() >= shard_capacity_ && !shard.entries.contains(digest)) {
    std::erase_if(shard.entries,
                  [now](const auto& entry) { return now > entry.second.expires_at; });
    if (shard.entries.size() >= shard_capacity_) shard.entries.clear();
  }
  shard.entries.insert_or_assign(digest, Entry{identity, expires_at});
}

void VerifiedTokenCache::clear() {
  for (Shard& shard : shards_) {
    std::unique_lock lock(shard.mutex);
    shard.entries.clear();
  }
}

std::size_t VerifiedTokenCache::size() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::shared_lock lock(shard.mutex);
    total += shard.entries.size();
  }
  return total;
}

}  // namespace sbapi::auth
