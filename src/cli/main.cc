// The `sbapi` command: one binary, one subcommand per way to run.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/backup_command.h"
#include "cli/create_tables_command.h"
#include "cli/invoke_command.h"
#include "cli/lambda_command.h"
#include "cli/presign_command.h"
#include "cli/routes_command.h"
#include "cli/serve_command.h"
#include "cli/token_command.h"

#ifndef SBAPI_VERSION
#define SBAPI_VERSION "0.1.0"
#endif

int main(int argc, char** argv) {
  // As a Lambda `bootstrap` nothing else is parsed or set up: cold starts count.
  if (sbapi::invoked_as_lambda_runtime(argc, argv)) return sbapi::run_lambda_command();

  CLI::App app{"sbapi: a REST API for users and file assets", "sbapi"};
  app.set_version_flag("--version", SBAPI_VERSION);
  app.require_subcommand(0, 1);

  sbapi::ServeOptions serve_options;
  CLI::App* serve = sbapi::add_serve_command(app, serve_options);
  sbapi::PresignOptions presign_options;
  CLI::App* presign = sbapi::add_presign_command(app, presign_options);
  sbapi::CreateTablesOptions create_tables_options;
  CLI::App* create_tables = sbapi::add_create_tables_command(app, create_tables_options);
  CLI::App* lambda = sbapi::add_lambda_command(app);
  sbapi::InvokeOptions invoke_options;
  CLI::App* invoke = sbapi::add_invoke_command(app, invoke_options);
  sbapi::RoutesOptions routes_options;
  CLI::App* routes = sbapi::add_routes_command(app, routes_options);
  sbapi::TokenOptions token_options;
  CLI::App* token = sbapi::add_token_command(app, token_options);
  sbapi::BackupCommandOptions backup_options;
  backup_options.sbapi_version = SBAPI_VERSION;
  CLI::App* backup = sbapi::add_backup_command(app, backup_options);
  sbapi::RestoreCommandOptions restore_options;
  CLI::App* restore = sbapi::add_restore_command(app, restore_options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; a usage error exits 2, as is customary.
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (serve->parsed()) return sbapi::run_serve(serve_options);
  if (presign->parsed()) return sbapi::run_presign(presign_options);
  if (create_tables->parsed()) return sbapi::run_create_tables(create_tables_options);
  if (lambda->parsed()) return sbapi::run_lambda_command();
  if (invoke->parsed()) return sbapi::run_invoke(invoke_options);
  if (routes->parsed()) return sbapi::run_routes(routes_options);
  if (token->parsed()) return sbapi::run_token(token_options);
  if (backup->parsed()) return sbapi::run_backup(backup_options);
  if (restore->parsed()) return sbapi::run_restore(restore_options);
  std::cout << app.help();
  return 0;
}
