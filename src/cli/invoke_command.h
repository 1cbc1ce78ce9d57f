// `sbapi invoke --event FILE`: run one Lambda event through the handler and print the
// function's response as JSON on stdout, like `sam local invoke`.
//
// --backend local (default; env SBAPI_BACKEND): SQLite under --data-dir (the same database
// `sbapi serve` uses) and the local object store's presigner (its flags / SBAPI_*; URLs point
// at http://localhost:3000 unless --public-url says otherwise). --backend aws: make_aws_backend
// from the environment, exactly as the deployed function. --function (env SBAPI_FUNCTION)
// selects what the function serves, as in Lambda. FILE "-" reads stdin.
//
// stdout carries only the result: the response JSON, or for an invocation error the
// {"errorMessage","errorType"} document Lambda would record (exit code 1). Log lines (access log,
// EMF metrics) go to stderr. A configuration error is one line on stderr, exit code 1.
#pragma once

#include <string>

#include "cli/local_store_options.h"

namespace CLI {
class App;
}  // namespace CLI

namespace sbapi {

struct InvokeOptions {
  std::string event_file;
  std::string backend = "local";  // "local" | "aws"
  std::string data_dir = "./.data";
  std::string function = "all";
  LocalStoreOptions store;
};

CLI::App* add_invoke_command(CLI::App& app, InvokeOptions& options);
int run_invoke(const InvokeOptions& options);

}  // namespace sbapi
