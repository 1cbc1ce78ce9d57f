// The local backend assembled: the SQLite database of a data dir with the users and assets
// tables, and the object store whose presigned URLs point at this machine. Used by `sbapi serve`
// and `sbapi invoke`, as make_aws_backend (adapters/aws/aws_backend.h) is for --backend aws.
//
// Contract
// - `make_local_backend` opens (creating if needed) `<data_dir>/sbapi.db` with both tables, and
//   builds the LocalObjectStore from `objects`; an error text says what could not be opened.
//   The database is locked for this process (SqliteDatabase::open): a second process on the same
//   data dir gets an error.
// - The object store's public URL may be set later (`objects->set_public_url`, e.g. once the
//   server knows its port); presigning is thread-safe meanwhile.
// - Destruction order is the members' in reverse: the store and tables go before the database.
//   The clock must outlive the backend.
#pragma once

#include <expected>
#include <memory>
#include <string>

#include "adapters/local/local_object_store.h"
#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/sqlite_table.h"
#include "core/clock.h"

namespace sbapi {

struct LocalBackend {
  std::unique_ptr<SqliteDatabase> db;
  std::unique_ptr<SqliteTable> users;
  std::unique_ptr<SqliteTable> assets;
  std::unique_ptr<LocalObjectStore> objects;
};

std::expected<LocalBackend, std::string> make_local_backend(const std::string& data_dir,
                                                            LocalObjectConfig objects,
                                                            const Clock& clock);

}  // namespace sbapi
