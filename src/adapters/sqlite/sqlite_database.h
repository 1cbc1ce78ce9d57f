// One SQLite database file shared by all tables, with a pool of connections.
//
// The file lives at `<data_dir>/sbapi.db` and is opened in WAL mode with `synchronous=FULL`, so
// an acknowledged write survives a crash of the process and of the machine. Connections are
// created on demand and reused; each caller holds one for the duration of one statement.
#pragma once

#include <expected>
#include <filesystem>
#include <memory>
#include <string>

#include "core/table.h"

namespace sbapi {

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

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  explicit SqliteDatabase(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sbapi
