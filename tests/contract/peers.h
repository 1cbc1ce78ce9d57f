// Protocol peers for the contract tests: processes we start on a free 127.0.0.1 port, wait for,
// and stop (by PID) at the end of the test program.
//
// A peer that cannot be started here (no python3 moto, no tests/peers/node_modules) is
// "unavailable" with a reason; tests then skip, except under CI=true, where they fail
// (`require_peer`).
#pragma once

#include <sys/types.h>

#include <expected>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapters/aws/dynamodb_client.h"

namespace sbapi::contract {

// True when env CI is "true" (or "1"): a missing peer is then a failure, not a skip.
bool running_in_ci();

// The repository root from env SBAPI_SOURCE_DIR (set by ctest), else the current directory.
std::filesystem::path source_dir();

// A port on 127.0.0.1 nobody listens on right now.
int free_port();

class PeerProcess {
 public:
  // Starts argv (argv[0] looked up in PATH) with extra environment; output goes to `log_file`.
  static std::expected<std::unique_ptr<PeerProcess>, std::string> start(
      std::vector<std::string> argv, const std::map<std::string, std::string>& env,
      const std::filesystem::path& log_file, int port);
  ~PeerProcess();  // SIGTERM, then SIGKILL after 3 s; waits for it

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string endpoint() const;
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  PeerProcess(pid_t pid, int port) : pid_(pid), port_(port) {}
  pid_t pid_;
  int port_;
};

// A running DynamoDB-compatible peer and the configuration to reach it.
struct DynamoPeer {
  std::string name;  // "moto" | "dynalite"
  std::unique_ptr<PeerProcess> process;
  aws::DynamoDbConfig config;  // endpoint, region, credentials it accepts
};

// The peer of that name, started on first use and kept for the whole test program; or why it
// cannot run here. Thread-compatible (tests run on one thread).
std::expected<DynamoPeer*, std::string> dynamo_peer(const std::string& name);

// Stops every peer started (registered as a gtest global environment).
void stop_all_peers();

}  // namespace sbapi::contract
