#include "cli/backup_command.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>

#include "adapters/local/backup.h"
#include "cli/serve_command.h"

namespace sbapi {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

CLI::App* add_backup_command(CLI::App& app, BackupCommandOptions& options) {
  if (options.data_dir.empty()) options.data_dir = ServeOptions{}.data_dir;
  CLI::App* cmd = app.add_subcommand(
      "backup", "Copy a local data dir (database, objects, key files) while the server runs");
  cmd->add_option("--to", options.to, "A new or empty directory to put the backup in")->required();
  cmd->add_option("--data-dir", options.data_dir, "The data directory to back up")
      ->envname("SBAPI_DATA_DIR")
      ->capture_default_str();
  return cmd;
}

int run_backup(const BackupCommandOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const auto report = backup_data_dir({options.data_dir, options.to, options.sbapi_version, {}});
  if (!report) {
    std::fprintf(stderr, "sbapi: backup: %s\n", report.error().c_str());
    return 1;
  }
  std::printf(
      "backup of %s in %s: %llu users, %llu assets (%llu uploaded: %llu objects copied, %llu "
      "records set to a later upload, %llu without their file set back to pending), %llu key "
      "files, %llu bytes, %.2f s\n",
      options.data_dir.c_str(), options.to.c_str(), static_cast<unsigned long long>(report->users),
      static_cast<unsigned long long>(report->assets),
      static_cast<unsigned long long>(report->uploaded_assets),
      static_cast<unsigned long long>(report->objects),
      static_cast<unsigned long long>(report->reconciled),
      static_cast<unsigned long long>(report->missing_objects),
      static_cast<unsigned long long>(report->key_files),
      static_cast<unsigned long long>(report->bytes), seconds_since(start));
  return 0;
}

CLI::App* add_restore_command(CLI::App& app, RestoreCommandOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "restore", "Restore a backup into a data dir that no server is using (new or empty)");
  cmd->add_option("--from", options.from, "The backup's directory (made by sbapi backup)")
      ->required();
  cmd->add_option("--data-dir", options.data_dir, "The data directory to restore into")->required();
  cmd->add_flag("--force", options.force,
                "Replace the contents of a non-empty data dir (never one a server is using)");
  return cmd;
}

int run_restore(const RestoreCommandOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const auto report = restore_data_dir({options.from, options.data_dir, options.force});
  if (!report) {
    std::fprintf(stderr, "sbapi: restore: %s\n", report.error().c_str());
    return 1;
  }
  std::printf(
      "restored %s into %s%s: %llu users, %llu assets, %llu objects, %llu files verified, "
      "integrity_check ok, %.2f s\n",
      options.from.c_str(), options.data_dir.c_str(),
      report->replaced ? " (its previous contents deleted)" : "",
      static_cast<unsigned long long>(report->users),
      static_cast<unsigned long long>(report->assets),
      static_cast<unsigned long long>(report->objects),
      static_cast<unsigned long long>(report->files), seconds_since(start));
  return 0;
}

}  // namespace sbapi
