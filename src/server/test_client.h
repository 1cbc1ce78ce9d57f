// Test support for the server tests (header-only, not part of any library): a raw-socket HTTP
// client, so that the bytes on the wire are exactly what each test says, and an access log that
// records its lines.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/access_log.h"

namespace sbapi::test_support {

struct RawResponse {
  std::string version;  // "HTTP/1.1"
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  [[nodiscard]] std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  [[nodiscard]] bool has_header(const std::string& name) const { return headers.contains(name); }
};

inline std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A blocking TCP client with send and receive timeouts, so a broken server fails a test instead
// of hanging it.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  [[nodiscard]] bool connected() const { return connected_; }

  // False if the server closed or reset the connection before everything was sent.
  bool send(std::string_view data) {
    while (!data.empty()) {
      const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // One response, framed by Content-Length (none: no body). nullopt on close or timeout.
  // `head`: the response to a HEAD request, whose Content-Length announces no body.
  std::optional<RawResponse> read_response(bool head = false) {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    RawResponse response;
    const std::string head_text = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);

    std::size_t line_end = head_text.find("\r\n");
    const std::string status_line = head_text.substr(0, line_end);
    const auto space = status_line.find(' ');
    response.version = status_line.substr(0, space);
    response.status = std::stoi(status_line.substr(space + 1, 3));
    while (line_end != std::string::npos) {
      const auto start = line_end + 2;
      line_end = head_text.find("\r\n", start);
      const std::string line = head_text.substr(start, line_end - start);
      const auto colon = line.find(':');
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      response.headers[lower(line.substr(0, colon))] = value;
    }
    if (!head && response.has_header("content-length")) {
      const auto length = std::stoul(response.header("content-length"));
      while (buffer_.size() < length) {
        if (!fill()) return std::nullopt;
      }
      response.body = buffer_.substr(0, length);
      buffer_.erase(0, length);
    }
    return response;
  }

  // True if the server closes (or resets) the connection within `timeout` without sending
  // anything more.
  bool closed_by_server(std::chrono::milliseconds timeout) {
    if (!buffer_.empty()) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
    char c;
    const auto n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  bool fill() {
    char chunk[4096];
    const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

// The server's own access-log lines (the Api in these tests logs to a NullAccessLog).
class RecordingAccessLog final : public AccessLog {
 public:
  struct Line {
    std::string request_id, method, route;
    int status;
  };
  void write(const AccessLogEntry& e) override {
    std::lock_guard lock(mutex_);
    lines_.push_back(
        {std::string(e.request_id), std::string(e.method), std::string(e.route), e.status});
  }
  std::vector<Line> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::vector<Line> lines_;
};

}  // namespace sbapi::test_support
