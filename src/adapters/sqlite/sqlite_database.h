// One SQLite database file shared by all tables: a pool of reading connections and one write
// queue.
//
// The file lives at `<data_dir>/sbapi.db` and is opened in WAL mode with `synchronous=FULL`, so
// an acknowledged write survives a crash of the process and of the machine. Reads lease a pooled
// connection (created on demand, reused) for one statement. Writes of every table go through one
// queue (write_queue.h) that group-commits them on a dedicated writer connection: the writes that
// arrive while a COMMIT is being synced share the next transaction and its one fsync, and each is
// acknowledged only once that COMMIT has returned.
//
// One process at a time: `open` locks the data directory (directory_lock.h) for the database's
// lifetime and fails, saying so, if another process (or another open database) holds it.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>

#include "adapters/sqlite/sqlite_observer.h"
#include "core/store_error.h"

namespace sbapi {

namespace sqlite {
class DirectoryLock;
}  // namespace sqlite

class SqliteDatabase {
 public:
  // Creates `data_dir` if needed and opens (or creates) the database in it.
  static std::expected<std::unique_ptr<SqliteDatabase>, StoreError> open(
      const std::filesystem::path& data_dir);
  // Opens a private in-memory database (tests).
  static std::expected<std::unique_ptr<SqliteDatabase>, StoreError> open_in_memory();

  ~SqliteDatabase();
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  // Reports group commits and item-cache lookups to `observer` from now on (metrics); it must
  // outlive the database and its tables.
  void observe(SqliteObserver& observer);

  // Write transactions committed so far, each holding one or more writes (tests, benchmarks).
  [[nodiscard]] std::uint64_t commits() const;

  // Waits until every write queued so far (asynchronous ones included) is committed and its
  // completion has returned. Call it once nothing submits writes any more (a stopped server),
  // before destroying what those completions use.
  void wait_for_writes();

  struct Impl;  // sqlite_database_impl.h
  Impl& impl() { return *impl_; }

 private:
  SqliteDatabase(std::unique_ptr<Impl> impl, std::unique_ptr<sqlite::DirectoryLock> lock);
  std::unique_ptr<sqlite::DirectoryLock> lock_;  // released after the connections are closed
  std::unique_ptr<Impl> impl_;
};

}  // namespace sbapi
