#include "cli/metrics_listener.h"

#include <charconv>

namespace sbapi {

std::expected<ListenAddress, std::string> parse_listen_address(std::string_view text) {
  ListenAddress address{"127.0.0.1", 0};
  std::string_view port = text;
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return std::unexpected("expected [IPV6]:PORT");
    address.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    address.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), address.port);
  if (address.host.empty() || port.empty() || ec != std::errc{} ||
      end != port.data() + port.size()) {
    return std::unexpected("expected HOST:PORT or PORT, got \"" + std::string(text) + "\"");
  }
  return address;
}

MetricsListener::MetricsListener(const Clock& clock, AccessLog& log, const ListenAddress& address)
    : api_(clock, log),
      server_(api_, log,
              {.host = address.host,
               .port = address.port,
               .threads = 1,
               .max_connections = 64,
               .stop_on_signals = true}) {}

std::expected<std::unique_ptr<MetricsListener>, std::string> MetricsListener::start(
    const ListenAddress& address, const Clock& clock, AccessLog& log,
    std::vector<ReadinessCheck> readiness, std::function<std::string()> render) {
  std::unique_ptr<MetricsListener> listener(new MetricsListener(clock, log, address));
  listener->api_.serve_operations(std::move(readiness), std::move(render));
  auto port = listener->server_.start();
  if (!port) return std::unexpected("--metrics-listen: " + port.error());
  listener->port_ = *port;
  listener->thread_ = std::thread([server = &listener->server_] { server->run(); });
  return listener;
}

MetricsListener::~MetricsListener() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace sbapi
