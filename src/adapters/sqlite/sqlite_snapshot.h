// A consistent copy of a live sbapi.db, and the few operations a backup and a restore need on
// such a copy (never on the live file, whose tables cache items in the server's memory).
//
// Contract
// - `snapshot_database(source, dest)` copies `source` (a database in WAL mode, possibly in use by
//   a running server in another process) into `dest`, a path that must not exist yet: it is
//   created with mode 0600 (it holds users' emails). The copy is SQLite's online backup API in
//   one step (`sqlite3_backup_step(-1)`) from a read-only connection: one read transaction, so
//   the copy is exactly the database as of one commit, and every write committed (so every write
//   the server acknowledged) before the call is in it. In WAL mode the server's writers go on
//   meanwhile (a reader never blocks them; checkpoints just stop short of the snapshot until it
//   ends). It is one step rather than many because a commit by another process restarts an
//   incremental backup from its first page: under steady writes it might never finish.
//   SQLITE_BUSY / SQLITE_LOCKED (e.g. while another connection recovers the WAL) are retried
//   for up to `busy_retry_for`, then an error. The copy is left in rollback-journal mode: one
//   self-contained file, no -wal beside it (the server turns WAL on again when it opens it).
// - `for_each_item(db, table, fn)` calls `fn(pk, item JSON text)` for every row of `table` of a
//   copy, in key order, expired rows included; `fn` returning false stops early.
// - `replace_items(db, table, items)` overwrites the JSON item of existing rows (pk → item
//   text), all in one transaction, and fails if a row is missing.
// - `integrity_check(db)` runs `PRAGMA integrity_check`: an error quoting its first lines unless
//   it says exactly "ok".
// Errors are one line of text for the operator.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sbapi::sqlite {

struct SnapshotStats {
  std::int64_t pages = 0;
  std::int64_t page_size = 0;
  int busy_retries = 0;
};

std::expected<SnapshotStats, std::string> snapshot_database(
    const std::filesystem::path& source, const std::filesystem::path& dest,
    std::chrono::milliseconds busy_retry_for = std::chrono::seconds(30));

std::expected<void, std::string> for_each_item(
    const std::filesystem::path& db, std::string_view table,
    const std::function<bool(std::string_view pk, std::string_view item)>& fn);

std::expected<void, std::string> replace_items(
    const std::filesystem::path& db, std::string_view table,
    const std::vector<std::pair<std::string, std::string>>& items);

std::expected<void, std::string> integrity_check(const std::filesystem::path& db);

}  // namespace sbapi::sqlite
