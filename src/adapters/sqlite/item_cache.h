// An in-process cache of one table's items by key, in front of SQLite's reads.
//
// Why: a SQLite read in WAL mode takes a process-wide shared-memory mutex, a file lock (fcntl)
// and an fstat per transaction; under concurrent readers that mutex is contended. A hit here
// costs a hash lookup under one of 16 shard mutexes.
//
// Contract (the owner, SqliteTable, keeps its side of it):
// - Correct only while every write to the table goes through this process's SqliteTable, which
//   calls `begin_write(key)` before it queues the write and `end_write(...)` after the write's
//   COMMIT returned (or failed) and before it acknowledges it. SqliteDatabase::open holds a lock
//   on the data directory so that no other process writes the file.
// - `find` returns an entry only if it was committed and no write of that key has begun since:
//   a write in flight makes its key miss, so readers go to SQLite, whose snapshots are consistent.
// - A read that missed takes a `ticket` before reading SQLite and offers what it read to `fill`,
//   which keeps it only if no write of any key of the shard began or ended since the ticket
//   (the read may have seen the state before a write that has since committed).
// - After a write: the committed item is cached only if no other write of the same key
//   overlapped it (their commit order is not known here); otherwise the key is dropped and the
//   next read fills it from SQLite.
// - Entries carry the item's expiry (its TTL attribute as SQL compares it); an expired entry is
//   a miss, like the row SQLite hides.
// - Bounded by `max_bytes` (keys + JSON text + a fixed overhead per entry), least recently used
//   first out. Thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sbapi::sqlite {

class ItemCache {
 public:
  explicit ItemCache(std::size_t max_bytes);

  // The JSON text of a cached, visible item, or nullopt.
  std::optional<std::string> find(std::string_view key, std::int64_t now);

  using Ticket = std::uint64_t;
  Ticket ticket(std::string_view key);
  // `expires_at`: the expiry as SQL sees it (nullopt: never expires).
  void fill(std::string_view key, std::string text, std::optional<double> expires_at,
            Ticket ticket);

  void begin_write(std::string_view key);
  // `committed`: the item's text after the write, or nullptr if the key's state is not known
  // (the write failed) or the item is gone.
  void end_write(std::string_view key, const std::string* committed,
                 std::optional<double> expires_at);

  // After the sweeper deleted the rows expired at `now`: their entries go too, so that a clock
  // set back cannot bring them back from here (SQLite no longer has them).
  void drop_expired(std::int64_t now);

  std::size_t bytes() const;  // for tests

 private:
  struct Entry {
    std::string key;
    std::string text;
    std::optional<double> expires_at;
  };
  struct InFlight {
    int writes = 0;
    bool overlapped = false;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::list<Entry> lru;  // most recently used first
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index;  // views into lru
    std::unordered_map<std::string, InFlight> in_flight;
    std::uint64_t epoch = 0;  // bumped by every write's begin and end
    std::size_t bytes = 0;
  };
  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kEntryOverhead = 96;  // list node, index slot, allocations

  Shard& shard_of(std::string_view key);
  void insert_locked(Shard& shard, std::string_view key, std::string text,
                     std::optional<double> expires_at);
  void erase_locked(Shard& shard, std::string_view key);

  const std::size_t max_shard_bytes_;
  std::array<Shard, kShards> shards_;
};

}  // namespace sbapi::sqlite
