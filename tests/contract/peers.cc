#include "peers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "adapters/aws/http_transport.h"
#include "sigv4/sigv4.h"

extern char** environ;

namespace sbapi::contract {
namespace {

using namespace std::chrono_literals;

bool port_open(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

std::string tail_of(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  return text.size() > 1500 ? text.substr(text.size() - 1500) : text;
}

// Runs a command to completion; its exit status (-1 if it could not run).
int run_quietly(std::vector<std::string> argv) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::filesystem::path scratch_dir() {
  static std::filesystem::path dir = [] {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "sbapi-contract-XXXXXX").string();
    return std::filesystem::path(mkdtemp(pattern.data()));
  }();
  return dir;
}

std::map<std::string, std::unique_ptr<DynamoPeer>>& peers() {
  static std::map<std::string, std::unique_ptr<DynamoPeer>> all;
  return all;
}
std::map<std::string, std::string>& unavailable() {
  static std::map<std::string, std::string> reasons;
  return reasons;
}

// ---- moto ----------------------------------------------------------------------------------

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += sigv4::uri_encode(name, false) + "=" + sigv4::uri_encode(value, false);
  }
  return out;
}

std::string xml_text(const std::string& xml, const std::string& tag) {
  auto begin = xml.find("<" + tag + ">");
  auto end = xml.find("</" + tag + ">");
  if (begin == std::string::npos || end == std::string::npos) return {};
  begin += tag.size() + 2;
  return xml.substr(begin, end - begin);
}

// An IAM query-API call to moto (signed; moto routes on the credential scope's service).
std::expected<std::string, std::string> iam_call(
    aws::Transport& transport, const std::string& endpoint,
    std::vector<std::pair<std::string, std::string>> fields) {
  fields.emplace_back("Version", "2010-05-08");
  const std::string body = form_encode(fields);
  sigv4::SignRequest sign;
  sign.method = "POST";
  sign.endpoint = endpoint;
  sign.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  sign.payload_hash = sigv4::sha256_hex(body);
  sign.region = "us-east-1";
  sign.service = "iam";
  sign.time = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  auto signed_request = sigv4::sign_headers(sign, {"AKIAIOSFODNN7EXAMPLE", "bootstrap-secret", ""});
  aws::HttpRequest request{"POST", endpoint + "/", sign.headers, body};
  for (auto& h : signed_request.headers) request.headers.push_back(h);
  auto response = transport.send(request);
  if (!response) return std::unexpected(response.error().message);
  if (response->status != 200) {
    return std::unexpected("IAM " + fields.front().second + " → HTTP " +
                           std::to_string(response->status) + ": " + response->body);
  }
  return response->body;
}

// moto with IAM authentication on: requests must be SigV4-signed with the access key of an IAM
// user it knows (allowed dynamodb:*), else 403. The user is made while auth is still off, then
// /moto-api/reset-auth with 0 switches verification on for every later request.
std::expected<std::unique_ptr<DynamoPeer>, std::string> start_moto() {
  if (run_quietly({"python3", "-c", "import moto.server, flask, werkzeug"}) != 0) {
    return std::unexpected("python3 with moto[server] 5 is not installed (python3 -m moto.server)");
  }
  const int port = free_port();
  if (port == 0) return std::unexpected("no free port on 127.0.0.1");
  auto process = PeerProcess::start(
      {"python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", std::to_string(port)},
      {{"MOTO_ALLOW_NONEXISTENT_REGION", "true"}}, scratch_dir() / "moto.log", port);
  if (!process) return std::unexpected(process.error());
  const std::string endpoint = (*process)->endpoint();

  aws::CurlTransport transport;
  if (auto r = iam_call(transport, endpoint, {{"Action", "CreateUser"}, {"UserName", "sbapi"}});
      !r) {
    return std::unexpected("moto IAM setup: " + r.error());
  }
  auto key = iam_call(transport, endpoint, {{"Action", "CreateAccessKey"}, {"UserName", "sbapi"}});
  if (!key) return std::unexpected("moto IAM setup: " + key.error());
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]})";
  if (auto r = iam_call(transport, endpoint,
                        {{"Action", "PutUserPolicy"},
                         {"UserName", "sbapi"},
                         {"PolicyName", "dynamodb-all"},
                         {"PolicyDocument", policy}});
      !r) {
    return std::unexpected("moto IAM setup: " + r.error());
  }
  auto reset = transport.send({"POST", endpoint + "/moto-api/reset-auth", {}, "0"});
  if (!reset || reset->status != 200) return std::unexpected("moto: reset-auth failed");

  auto peer = std::make_unique<DynamoPeer>();
  peer->name = "moto";
  peer->config.endpoint = endpoint;
  peer->config.region = "us-east-1";
  peer->config.credentials.access_key_id = xml_text(*key, "AccessKeyId");
  peer->config.credentials.secret_access_key = xml_text(*key, "SecretAccessKey");
  if (peer->config.credentials.access_key_id.empty()) {
    return std::unexpected("moto: no access key in CreateAccessKey response");
  }
  peer->process = std::move(*process);
  return peer;
}

// ---- dynalite ------------------------------------------------------------------------------

std::expected<std::unique_ptr<DynamoPeer>, std::string> start_dynalite() {
  const auto cli = source_dir() / "tests/peers/node_modules/dynalite/cli.js";
  if (!std::filesystem::exists(cli)) {
    return std::unexpected(cli.string() +
                           " is missing (run scripts/setup.sh: npm ci in tests/peers)");
  }
  if (run_quietly({"node", "--version"}) != 0) return std::unexpected("node is not installed");
  const int port = free_port();
  if (port == 0) return std::unexpected("no free port on 127.0.0.1");
  // Started through its module rather than its cli.js, which would listen on every interface.
  // Tables become ACTIVE at once instead of after dynalite's default 500 ms.
  const std::string script = "require(" + std::string("'") + cli.parent_path().string() +
                             "')({createTableMs: 0, deleteTableMs: 0, updateTableMs: 0})" +
                             ".listen(" + std::to_string(port) + ", '127.0.0.1')";
  auto process =
      PeerProcess::start({"node", "-e", script}, {}, scratch_dir() / "dynalite.log", port);
  if (!process) return std::unexpected(process.error());
  auto peer = std::make_unique<DynamoPeer>();
  peer->name = "dynalite";
  peer->config.endpoint = (*process)->endpoint();
  peer->config.region = "us-east-1";
  // dynalite checks that requests are signed, not the signature itself.
  peer->config.credentials = {"AKIDDYNALITE", "dynalite-secret", ""};
  peer->process = std::move(*process);
  return peer;
}

class PeersEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { stop_all_peers(); }
};
[[maybe_unused]] auto* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new PeersEnvironment);

}  // namespace

bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && (std::strcmp(ci, "true") == 0 || std::strcmp(ci, "1") == 0);
}

std::filesystem::path source_dir() {
  // ctest sets the variable; the compiled-in checkout lets the binary run by hand as well.
  const char* dir = std::getenv("SBAPI_SOURCE_DIR");
  return dir != nullptr && *dir != '\0' ? std::filesystem::path(dir)
                                        : std::filesystem::path(SBAPI_SOURCE_DIR_DEFAULT);
}

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  close(fd);
  return ok ? ntohs(addr.sin_port) : 0;
}

std::expected<std::unique_ptr<PeerProcess>, std::string> PeerProcess::start(
    std::vector<std::string> argv, const std::map<std::string, std::string>& env,
    const std::filesystem::path& log_file, int port) {
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) environment.emplace_back(*e);
  for (const auto& [name, value] : env) environment.push_back(name + "=" + value);
  std::vector<char*> envp, args;
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return std::unexpected("cannot start " + argv[0] + ": " + std::strerror(rc));
  auto process = std::unique_ptr<PeerProcess>(new PeerProcess(pid, port));

  const auto give_up = std::chrono::steady_clock::now() + 30s;
  while (!port_open(port)) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      process->pid_ = -1;
      return std::unexpected(argv[0] + " exited at start-up: " + tail_of(log_file));
    }
    if (std::chrono::steady_clock::now() > give_up) {
      return std::unexpected(argv[0] + std::string(" did not listen on port ") +
                             std::to_string(port) + " within 30 s: " + tail_of(log_file));
    }
    std::this_thread::sleep_for(50ms);
  }
  return process;
}

PeerProcess::~PeerProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 60; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(50ms);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

std::string PeerProcess::endpoint() const {
  return std::string("http://127.0.0.1:") + std::to_string(port_);
}

std::expected<DynamoPeer*, std::string> dynamo_peer(const std::string& name) {
  if (auto it = peers().find(name); it != peers().end()) return it->second.get();
  if (auto it = unavailable().find(name); it != unavailable().end()) {
    return std::unexpected(it->second);
  }
  auto started = name == "moto"       ? start_moto()
                 : name == "dynalite" ? start_dynalite()
                                      : std::unexpected("unknown peer " + name);
  if (!started) {
    unavailable()[name] = started.error();
    return std::unexpected(started.error());
  }
  auto* peer = started->get();
  peers()[name] = std::move(*started);
  return peer;
}

void stop_all_peers() {
  peers().clear();
  std::error_code ec;
  std::filesystem::remove_all(scratch_dir(), ec);
}

}  // namespace sbapi::contract
