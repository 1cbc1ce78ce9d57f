// `sbapi serve --metrics-listen ADDRESS`: GET /metrics and the health probes on an address of
// their own, without a token, for a scraper (Prometheus) and a supervisor. It is meant for a
// loopback or a private address: the API's port keeps requiring an admin token for /metrics
// when authentication is on.
//
// The listener has its own Api (only the operations routes, authentication off) and its own
// one-thread HttpServer, run on a thread of its own; it stops on SIGINT/SIGTERM like the API's
// server, and at the latest when it is destroyed.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/access_log.h"
#include "core/api.h"
#include "core/clock.h"
#include "core/readiness.h"
#include "server/http_server.h"

namespace sbapi {

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};

// "HOST:PORT", "[IPV6]:PORT", or "PORT" alone (on 127.0.0.1).
std::expected<ListenAddress, std::string> parse_listen_address(std::string_view text);

class MetricsListener {
 public:
  // Binds `address` and starts serving; `clock`, `log` and what the checks and `render` use must
  // outlive the listener.
  static std::expected<std::unique_ptr<MetricsListener>, std::string> start(
      const ListenAddress& address, const Clock& clock, AccessLog& log,
      std::vector<ReadinessCheck> readiness, std::function<std::string()> render);

  ~MetricsListener();
  MetricsListener(const MetricsListener&) = delete;
  MetricsListener& operator=(const MetricsListener&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  MetricsListener(const Clock& clock, AccessLog& log, const ListenAddress& address);

  Api api_;
  HttpServer server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace sbapi
