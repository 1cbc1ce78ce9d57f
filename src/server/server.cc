#include "server/server.h"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <csignal>
#include <exception>
#include <thread>
#include <utility>

#include "server/connection.h"

namespace sbapi {
namespace server {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// Accepting fails on resource exhaustion (EMFILE); retrying at once would only spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

std::vector<std::unique_ptr<Loop>> make_loops(unsigned count) {
  std::vector<std::unique_ptr<Loop>> loops;
  for (unsigned i = 0; i < std::max(1u, count); ++i) {
    // Concurrency hint 1: each loop is run by one thread only.
    loops.push_back(std::make_unique<Loop>(1));
  }
  return loops;
}

}  // namespace

Server::Server(Api& api, AccessLog& access_log, HttpServerOptions options)
    : api_(api),
      access_log_(access_log),
      options_(std::move(options)),
      observer_(options_.observer != nullptr ? *options_.observer : no_server_observer()),
      loops_(make_loops(options_.threads)),
      acceptor_(*loops_.front()),
      accept_retry_(*loops_.front()) {
  // A loop with nothing to do would return from run() at once; these keep every loop running
  // until do_stop() lets go.
  for (auto& loop : loops_) keep_running_.push_back(asio::make_work_guard(*loop));
  if (options_.blocking_threads > 0) blocking_.emplace(options_.blocking_threads);
}

void Server::add(const std::shared_ptr<Connection>& connection) {
  {
    std::lock_guard lock(connections_mutex_);
    connections_.emplace(connection.get(), connection);
  }
  observer_.connection_opened();
}

void Server::remove(Connection* connection) {
  {
    std::lock_guard lock(connections_mutex_);
    connections_.erase(connection);
  }
  observer_.connection_closed();
}

bool Server::shed_idle_connection() {
  std::shared_ptr<Connection> victim;
  {
    std::lock_guard lock(connections_mutex_);
    for (auto& [raw, weak] : connections_) {
      if (raw->idle()) {
        victim = weak.lock();
        if (victim) break;
      }
    }
  }
  if (!victim) return false;
  observer_.idle_connection_shed();
  victim->shutdown();  // on its own loop: closes it if it is still idle there
  return true;
}

std::expected<std::uint16_t, std::string> Server::start() {
  {
    std::lock_guard lock(run_mutex_);
    if (started_ || stop_requested_) return std::unexpected("server already started or stopped");
    started_ = true;
  }
  const bool ipv6 = options_.host.find(':') != std::string::npos;
  const std::string where =
      (ipv6 ? "[" + options_.host + "]" : options_.host) + ":" + std::to_string(options_.port);
  error_code ec;
  tcp::endpoint endpoint;
  const auto address = asio::ip::make_address(options_.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, options_.port);
  } else {
    tcp::resolver resolver(*loops_.front());
    const auto results =
        resolver.resolve(options_.host, std::to_string(options_.port), tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      return std::unexpected("cannot resolve host '" + options_.host +
                             "': " + (ec ? ec.message() : "no address"));
    }
    endpoint = results.begin()->endpoint();
  }

  if (acceptor_.open(endpoint.protocol(), ec); ec) {
    return std::unexpected("cannot listen on " + where + ": " + ec.message());
  }
  // Lets a restarted server bind while old connections sit in TIME_WAIT; Linux still refuses a
  // port that another socket is listening on.
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (acceptor_.bind(endpoint, ec); !ec) {
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  }
  const auto local = ec ? tcp::endpoint() : acceptor_.local_endpoint(ec);
  if (ec) {
    error_code ignored;
    acceptor_.close(ignored);
    return std::unexpected("cannot listen on " + where + ": " + ec.message());
  }

  if (options_.stop_on_signals) {
    signals_.emplace(*loops_.front(), SIGINT, SIGTERM);
    signals_->async_wait([this](error_code ec, int) {
      if (!ec) stop();
    });
  }
  asio::post(*loops_.front(), [this] { do_accept(); });
  return local.port();
}

void Server::do_accept() {
  Loop& loop = *loops_[next_loop_++ % loops_.size()];
  acceptor_.async_accept(
      loop, [this](error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void Server::on_accept(error_code ec, tcp::socket socket) {
  if (stopping() || ec == asio::error::operation_aborted) return;
  if (ec == asio::error::connection_aborted) return do_accept();  // that client gave up
  if (ec) {
    // Typically EMFILE: retried every 100 ms, said once a second.
    const auto now = std::chrono::steady_clock::now();
    if (now - last_accept_error_log_ >= std::chrono::seconds(1)) {
      last_accept_error_log_ = now;
      log_event("error", "accept failed", {{"detail", ec.message()}});
    }
    accept_retry_.expires_after(kAcceptRetryDelay);
    accept_retry_.async_wait([this](error_code ec) {
      if (!ec && !stopping()) do_accept();
    });
    return;
  }
  // Small responses on a kept-alive connection: do not let Nagle hold them back.
  socket.set_option(tcp::no_delay(true), ec);
  auto connection = std::make_shared<Connection>(*this, std::move(socket));
  std::size_t open = 0;
  {
    std::lock_guard lock(connections_mutex_);
    open = connections_.size();
  }
  // At the cap an idle connection makes room (it closes on its loop soon after); with none idle
  // the new one is told to come back later.
  if (options_.max_connections > 0 && open >= options_.max_connections && !shed_idle_connection()) {
    observer_.connection_refused();
    connection->refuse();
  } else {
    connection->start();
  }
  do_accept();
}

void Server::run() {
  {
    std::lock_guard lock(run_mutex_);
    if (running_) return;
    running_ = true;
  }
  {
    std::lock_guard lock(run_mutex_);
    running_workers_ = static_cast<unsigned>(loops_.size());
  }
  std::vector<std::thread> workers;
  workers.reserve(loops_.size());
  for (auto& loop : loops_) {
    workers.emplace_back([this, &loop = *loop] {
      for (;;) {
        try {
          loop.run();  // returns when all work is done, or at the hard stop
          break;
        } catch (const std::exception& e) {
          // A handler threw: that connection is lost, the server goes on.
          log_event("error", "unhandled exception in HTTP server", {{"detail", e.what()}});
        }
      }
      {
        std::lock_guard lock(run_mutex_);
        --running_workers_;
      }
      run_cv_.notify_all();
    });
  }

  {
    // The loops run out of work by themselves once stopped and drained; the hard cap only
    // counts from the stop request.
    std::unique_lock lock(run_mutex_);
    run_cv_.wait(lock, [this] { return running_workers_ == 0 || stop_requested_; });
    if (!run_cv_.wait_for(lock, options_.shutdown_timeout,
                          [this] { return running_workers_ == 0; })) {
      for (auto& loop : loops_) loop->stop();
      if (blocking_) blocking_->stop();  // tasks not started yet are dropped
    }
  }
  for (auto& worker : workers) worker.join();
  if (blocking_) blocking_->join();
}

void Server::stop() {
  {
    std::lock_guard lock(run_mutex_);
    if (stop_requested_) return;
    stop_requested_ = true;
  }
  stopping_.store(true, std::memory_order_release);
  run_cv_.notify_all();
  asio::post(*loops_.front(), [this] { do_stop(); });
}

void Server::do_stop() {
  error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  if (signals_) {
    // Restores the default dispositions: a second Ctrl-C ends the process at once.
    signals_->clear(ignored);
    signals_->cancel(ignored);
  }
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(connections_mutex_);
    live.reserve(connections_.size());
    for (auto& [raw, weak] : connections_) {
      if (auto connection = weak.lock()) live.push_back(std::move(connection));
    }
  }
  for (auto& connection : live) connection->shutdown();
  // Each loop now ends once its connections are done.
  keep_running_.clear();
}

}  // namespace server

struct HttpServer::Impl {
  Impl(Api& api, AccessLog& access_log, HttpServerOptions options)
      : server(api, access_log, std::move(options)) {}
  server::Server server;
};

HttpServer::HttpServer(Api& api, AccessLog& access_log, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(api, access_log, std::move(options))) {}
HttpServer::~HttpServer() = default;

std::expected<std::uint16_t, std::string> HttpServer::start() { return impl_->server.start(); }
void HttpServer::run() { impl_->server.run(); }
void HttpServer::stop() { impl_->server.stop(); }

}  // namespace sbapi
