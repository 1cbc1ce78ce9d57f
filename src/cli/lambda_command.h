// `sbapi lambda`: run as an AWS Lambda custom runtime (the Runtime API loop, src/lambda).
//
// The same loop starts without a subcommand when the binary is invoked as `bootstrap` (what a
// provided.al2023 function executes) or when AWS_LAMBDA_RUNTIME_API is set and no arguments
// were given (main.cc decides before parsing anything, to keep the cold path short).
// Configuration is the environment only: AWS_LAMBDA_RUNTIME_API, SBAPI_FUNCTION
// (users | assets | uploads | all) and the aws backend's variables (docs/aws.md).
#pragma once

namespace CLI {
class App;
}  // namespace CLI

namespace sbapi {

CLI::App* add_lambda_command(CLI::App& app);
int run_lambda_command();

// True when main() should run the Lambda loop without parsing a command line: argv[0]'s base
// name is `bootstrap`, or AWS_LAMBDA_RUNTIME_API is set (non-empty) and there are no arguments.
bool invoked_as_lambda_runtime(int argc, const char* const* argv);

}  // namespace sbapi
