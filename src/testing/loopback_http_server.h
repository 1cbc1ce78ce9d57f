// Test-only, header-only: a loopback HTTP/1.1 server skeleton for unit tests.
//
// Contract:
// - LoopbackHttpServer binds 127.0.0.1 on a free port (port 0, never any other address), listens,
//   and runs an accept thread. Each accepted connection is handed to `handler(client_fd)` on its
//   own thread; the handler owns the fd and must close it before returning.
// - The destructor sets stopping(), shuts down and closes the listening socket, then joins the
//   accept thread and every connection thread. A handler that blocks must poll stopping(); one
//   that reads from its client returns when the client hangs up.
// - Handlers usually touch state of the object that owns the server, so hold the server as the
//   LAST member of that object: it is then constructed after, and destroyed (joined) before, the
//   state its handler uses.
// - read_http_request() reads one request from a socket: the head up to CRLFCRLF, then exactly
//   Content-Length bytes of body. `carry` holds bytes read past the request (keep-alive,
//   pipelining) and must be passed again for the next request on the same connection. It returns
//   nullopt on EOF/error, or when the first byte received cannot start a request line (e.g. a TLS
//   ClientHello, 0x16); the bytes received are then left in `carry` for the caller to inspect.
// No chunked bodies, no TLS, no limits: this is for tests talking to their own code.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sbapi::testutil {

struct LoopbackRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names; the last of a repeated name
  std::string body;
  std::string raw;  // the request exactly as received: head, CRLFCRLF, body

  // The value of `name` (lower case), or `missing` when the request has no such header.
  [[nodiscard]] std::string header(const std::string& name,
                                   const std::string& missing = "<none>") const {
    auto it = headers.find(name);
    return it == headers.end() ? missing : it->second;
  }
};

inline std::optional<LoopbackRequest> read_http_request(int client, std::string& carry) {
  char chunk[4096];
  auto fill = [&] {
    ssize_t n = recv(client, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    carry.append(chunk, static_cast<std::size_t>(n));
    return true;
  };
  std::size_t end;
  while ((end = carry.find("\r\n\r\n")) == std::string::npos) {
    if (!carry.empty() && !std::isupper(static_cast<unsigned char>(carry[0]))) return std::nullopt;
    if (!fill()) return std::nullopt;
  }
  LoopbackRequest r;
  std::istringstream head(carry.substr(0, end));
  std::string line;
  std::getline(head, line);
  std::istringstream request_line(line);
  request_line >> r.method >> r.target;
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers[name] = std::move(value);
  }
  std::size_t length = 0;
  if (auto it = r.headers.find("content-length"); it != r.headers.end()) {
    length = std::stoul(it->second);
  }
  while (carry.size() < end + 4 + length) {
    if (!fill()) return std::nullopt;
  }
  r.body = carry.substr(end + 4, length);
  r.raw = carry.substr(0, end + 4 + length);
  carry.erase(0, end + 4 + length);
  return r;
}

class LoopbackHttpServer {
 public:
  explicit LoopbackHttpServer(std::function<void(int client)> handler)
      : handler_(std::move(handler)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("loopback server: socket() failed");
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || listen(fd_, 16) != 0) {
      close(fd_);
      throw std::runtime_error("loopback server: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~LoopbackHttpServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    for (auto& t : connections_) t.join();  // the accept thread is gone: no more are added
  }
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] bool stopping() const { return stop_; }
  [[nodiscard]] int connections() const { return accepted_; }  // accepted so far

 private:
  void accept_loop() {
    while (!stop_) {
      int client = accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      ++accepted_;
      connections_.emplace_back([this, client] { handler_(client); });
    }
  }

  std::function<void(int)> handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
  std::vector<std::thread> connections_;
};

}  // namespace sbapi::testutil
