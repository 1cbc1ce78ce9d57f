// Backup and restore of a local data dir (`sbapi backup`, `sbapi restore`), safe while the
// server runs. docs/operations.md ("Backup and restore") has the procedure.
//
// What a backup holds (`--to DIR`, new or empty, created 0700; every file 0600):
//   sbapi.db                    the database as of one commit (sqlite_snapshot.h)
//   objects/<bucket>/<key>      the file of every asset that database marks `uploaded`
//   page-token-secret           the listing cursors' secret (when the data dir has one)
//   auth/token-signing-key.pem  the local token issuer's key (when the data dir has one)
//   backup.json                 the manifest: sbapi version, times, counts, each file's size and
//                               SHA-256, and each object's bucket, key, content type, ETag, date
//   backup.json.sha256          `sha256sum -c` line of the manifest; written last: a backup
//                               without it is incomplete and restore refuses it
// A backup that fails removes what it wrote. The live data dir is only read.
//
// Consistency, while writers go on:
// 1. The database is snapshotted first, in one read transaction (SQLite's online backup): it
//    holds every write committed before the backup began, so every acknowledged one.
// 2. Then the objects of the assets the snapshot marks `uploaded` are copied, each from an open
//    fd (an upload renames a new file into place, so the fd reads one whole version) to a temp
//    file that is fsynced and renamed. The server renames an upload's file into place *before*
//    it records its size and ETag, so the file copied is the one the snapshot describes or a
//    later re-upload (no older version exists any more). For a later one the backup's record is
//    set to the copied file's size, ETag and date (`uploadedAt`): the record the server wrote or
//    was about to write for it. Every object and its metadata thus agree, and no write is older
//    than at the start.
// 3. Files of assets that are not `uploaded` in the snapshot (uploads that came after it) are
//    left out: such an asset restores `pending`, and the client uploads again. An `uploaded`
//    asset whose file is gone (never, short of someone deleting files) is set back to `pending`
//    and counted in `missingObjects`.
// The key files are copied last (they only ever change by an operator's hand).
//
// Restore (`--from DIR --data-dir D`):
// - Refused while D is in use: restore takes D's directory lock (directory_lock.h), the one a
//   server takes, and holds it to the end, so no server starts on D meanwhile either. Refused
//   when D holds anything but `sbapi.lock` unless `force` (whose old contents are then deleted).
// - Builds the data dir in `D.restore-tmp` (a sibling, same file system): every file is checked
//   against the manifest's SHA-256 as it is copied, objects are written through ObjectFiles (so
//   their sidecars name the new files), then `PRAGMA integrity_check` must say ok and every
//   `uploaded` asset must have its object with the same size and ETag.
// - Only then is it swapped with D in one step (renameat2 RENAME_EXCHANGE): an interrupted or
//   refused restore leaves D exactly as it was, plus a `D.restore-tmp` the next restore removes.
// Errors are one line of text for the operator.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <string>

namespace sbapi {

struct BackupOptions {
  std::filesystem::path data_dir;
  std::filesystem::path to;
  std::string sbapi_version;
  std::function<void()> after_snapshot;  // tests: runs between the snapshot and the objects
};

struct BackupReport {
  std::uint64_t users = 0;
  std::uint64_t assets = 0;
  std::uint64_t uploaded_assets = 0;
  std::uint64_t objects = 0;     // copied (= uploaded_assets - missing_objects)
  std::uint64_t reconciled = 0;  // records set to a file re-uploaded after the snapshot
  std::uint64_t missing_objects = 0;
  std::uint64_t key_files = 0;
  std::uint64_t bytes = 0;  // of every file listed in the manifest
};

std::expected<BackupReport, std::string> backup_data_dir(const BackupOptions& options);

struct RestoreOptions {
  std::filesystem::path from;
  std::filesystem::path data_dir;
  bool force = false;
};

struct RestoreReport {
  std::uint64_t users = 0;
  std::uint64_t assets = 0;
  std::uint64_t objects = 0;
  std::uint64_t files = 0;
  bool replaced = false;  // D had contents (--force)
};

std::expected<RestoreReport, std::string> restore_data_dir(const RestoreOptions& options);

}  // namespace sbapi
