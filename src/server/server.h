// Behind HttpServer: the listener, its event loops and the blocking pool, and the registry of
// open connections a graceful stop goes through. Internal to src/server.
//
// Lifetimes: connections hold a reference to the server; every connection either ends while the
// loops run, or (after a hard stop) is destroyed with its loop; the loops are declared after the
// connection registry so they go first, and the blocking pool (whose tasks hold connections)
// after the loops, so it goes before them.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/access_log.h"
#include "core/api.h"
#include "server/http_server.h"

namespace sbapi::server {

class Connection;

using Loop = boost::asio::io_context;

class Server {
 public:
  Server(Api& api, AccessLog& access_log, HttpServerOptions options);

  std::expected<std::uint16_t, std::string> start();
  void run();
  void stop();

  Api& api() { return api_; }
  AccessLog& access_log() { return access_log_; }
  const HttpServerOptions& options() const { return options_; }
  ServerObserver& observer() { return observer_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  // The pool for work that may block (see http_server.h), or null when there is none.
  boost::asio::thread_pool* blocking_pool() { return blocking_ ? &*blocking_ : nullptr; }

  // The pool for an Api request with this method, or null when it runs on the loop.
  boost::asio::thread_pool* blocking_pool_for(std::string_view method) {
    const bool read = method == "GET" || method == "HEAD" || method == "OPTIONS";
    return (options_.offload_reads || !read) ? blocking_pool() : nullptr;
  }

  void add(const std::shared_ptr<Connection>& connection);
  void remove(Connection* connection);
  // At the connection cap: asks one idle connection to close, and says whether there was one.
  bool shed_idle_connection();

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  void do_stop();

  Api& api_;
  AccessLog& access_log_;
  const HttpServerOptions options_;
  ServerObserver& observer_;
  std::atomic<bool> stopping_{false};

  std::mutex connections_mutex_;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections_;
  std::chrono::steady_clock::time_point last_accept_error_log_{};

  // run() ↔ stop() handshake.
  std::mutex run_mutex_;
  std::condition_variable run_cv_;
  bool started_ = false;
  bool running_ = false;
  bool stop_requested_ = false;
  unsigned running_workers_ = 0;

  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<boost::asio::executor_work_guard<Loop::executor_type>> keep_running_;
  std::size_t next_loop_ = 0;  // round robin of accepted connections; used on the first loop
  // Acceptor, accept retry timer and signals live on the first loop, and so does do_stop().
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;
  std::optional<boost::asio::signal_set> signals_;
  std::optional<boost::asio::thread_pool> blocking_;
};

}  // namespace sbapi::server
