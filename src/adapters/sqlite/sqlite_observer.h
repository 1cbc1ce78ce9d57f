// What the SQLite adapter reports while it works, for metrics (src/metrics).
//
// Called on the adapter's threads (the write queue's leaders, readers), concurrently: an
// implementation must be thread-safe and cheap (an atomic add, no lock shared across requests).
// The default methods do nothing.
#pragma once

#include <chrono>
#include <cstddef>

namespace sbapi {

class SqliteObserver {
 public:
  virtual ~SqliteObserver() = default;
  // A group commit succeeded: `writes` writes in one transaction that took `took` from BEGIN to
  // the end of COMMIT (its fsync included).
  virtual void committed(std::size_t /*writes*/, std::chrono::nanoseconds /*took*/) {}
  // A read by key looked in the item cache first: `hit` when the cache answered it.
  virtual void cache_lookup(bool /*hit*/) {}
};

// The observer that does nothing (the adapter's default).
SqliteObserver& no_sqlite_observer();

}  // namespace sbapi
