// Internals of `SqliteDatabase`: the readers' connection pool and the write queue.
//
// Reads lease any pooled connection. Every write goes through `writes` (group commit, see
// write_queue.h), which runs its batches on the one writer connection: a dedicated connection
// for a database file, the pool's only connection for a private in-memory database (which
// exists inside that one connection alone).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "adapters/sqlite/sqlite_connection.h"
#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/write_queue.h"

namespace sbapi {

struct SqliteDatabase::Impl {
  Impl(const std::string& uri, std::size_t readers, bool dedicated_writer)
      : pool(uri, readers),
        writer_pool(dedicated_writer ? std::make_unique<sqlite::ConnectionPool>(uri, 1) : nullptr),
        writes(writer_pool ? *writer_pool : pool) {}

  sqlite::ConnectionPool pool;
  std::unique_ptr<sqlite::ConnectionPool> writer_pool;  // null: the writer is `pool`'s
  sqlite::WriteQueue writes;
  std::atomic<SqliteObserver*> observer{&no_sqlite_observer()};
};

}  // namespace sbapi
