#include "adapters/sqlite/item_cache.h"

#include <functional>
#include <utility>

namespace sbapi::sqlite {

ItemCache::ItemCache(std::size_t max_bytes) : max_shard_bytes_(max_bytes / kShards) {}

ItemCache::Shard& ItemCache::shard_of(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) % kShards];
}

std::optional<std::string> ItemCache::find(std::string_view key, std::int64_t now) {
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  auto it = shard.index.find(key);
  if (it == shard.index.end()) return std::nullopt;
  const Entry& entry = *it->second;
  if (entry.expires_at && *entry.expires_at <= static_cast<double>(now)) {
    erase_locked(shard, key);
    return std::nullopt;
  }
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  return entry.text;
}

ItemCache::Ticket ItemCache::ticket(std::string_view key) {
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  return shard.epoch;
}

void ItemCache::fill(std::string_view key, std::string text, std::optional<double> expires_at,
                     Ticket ticket) {
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  if (shard.epoch != ticket) return;
  if (shard.in_flight.find(std::string(key)) != shard.in_flight.end()) return;
  insert_locked(shard, key, std::move(text), expires_at);
}

void ItemCache::begin_write(std::string_view key) {
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  ++shard.epoch;
  erase_locked(shard, key);
  InFlight& flight = shard.in_flight[std::string(key)];
  if (flight.writes > 0) flight.overlapped = true;
  ++flight.writes;
}

void ItemCache::end_write(std::string_view key, const std::string* committed,
                          std::optional<double> expires_at) {
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  ++shard.epoch;
  auto flight = shard.in_flight.find(std::string(key));
  if (flight == shard.in_flight.end()) return;  // not begun: a caller's mistake, cache nothing
  if (--flight->second.writes > 0) {
    flight->second.overlapped = true;
    return;
  }
  const bool overlapped = flight->second.overlapped;
  shard.in_flight.erase(flight);
  erase_locked(shard, key);
  if (committed != nullptr && !overlapped) insert_locked(shard, key, *committed, expires_at);
}

void ItemCache::drop_expired(std::int64_t now) {
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    ++shard.epoch;  // a read of the rows just deleted must not fill them back
    for (auto it = shard.lru.begin(); it != shard.lru.end();) {
      const auto entry = it++;
      if (entry->expires_at && *entry->expires_at <= static_cast<double>(now)) {
        erase_locked(shard, entry->key);
      }
    }
  }
}

std::size_t ItemCache::bytes() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.bytes;
  }
  return total;
}

void ItemCache::insert_locked(Shard& shard, std::string_view key, std::string text,
                              std::optional<double> expires_at) {
  erase_locked(shard, key);
  const std::size_t size = key.size() + text.size() + kEntryOverhead;
  if (size > max_shard_bytes_) return;
  while (shard.bytes + size > max_shard_bytes_ && !shard.lru.empty()) {
    erase_locked(shard, shard.lru.back().key);
  }
  shard.lru.push_front(Entry{std::string(key), std::move(text), expires_at});
  shard.index.emplace(shard.lru.front().key, shard.lru.begin());
  shard.bytes += size;
}

void ItemCache::erase_locked(Shard& shard, std::string_view key) {
  auto it = shard.index.find(key);
  if (it == shard.index.end()) return;
  auto entry = it->second;
  shard.bytes -= entry->key.size() + entry->text.size() + kEntryOverhead;
  shard.index.erase(it);  // before the entry whose key the index's view points into
  shard.lru.erase(entry);
}

}  // namespace sbapi::sqlite
