// `sbapi backup` and `sbapi restore`: a local data dir copied while the server runs, and put
// back (adapters/local/backup.h has the contract; docs/operations.md the procedure).
//
//   sbapi backup --to DIR [--data-dir D]              D: env SBAPI_DATA_DIR, default serve's
//   sbapi restore --from DIR --data-dir D [--force]
//
// Each prints one summary line on stdout and exits 0; a refusal or failure is one stderr line
// and exit 1 (a usage error: exit 2). restore's --data-dir is never defaulted: it replaces what
// it names.
#pragma once

#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace sbapi {

struct BackupCommandOptions {
  std::string data_dir;  // add_backup_command sets serve's default
  std::string to;
  std::string sbapi_version;
};

struct RestoreCommandOptions {
  std::string from;
  std::string data_dir;
  bool force = false;
};

CLI::App* add_backup_command(CLI::App& app, BackupCommandOptions& options);
int run_backup(const BackupCommandOptions& options);

CLI::App* add_restore_command(CLI::App& app, RestoreCommandOptions& options);
int run_restore(const RestoreCommandOptions& options);

}  // namespace sbapi
