// What the HTTP server reports while it works, for metrics (src/metrics): connections, requests
// under way, object uploads. Requests themselves (route, status, latency) are reported through
// the access log, which sees every answer.
//
// Called on the server's threads, concurrently: an implementation must be thread-safe and cheap
// (an atomic add; no lock shared across requests). The default methods do nothing.
#pragma once

#include <chrono>
#include <cstdint>

namespace sbapi {

class ServerObserver {
 public:
  virtual ~ServerObserver() = default;
  // Every accepted connection opens and later closes exactly once, refused ones included.
  virtual void connection_opened() {}
  virtual void connection_closed() {}
  // A connection answered 503 at the connection cap, or an idle one closed to make room.
  virtual void connection_refused() {}
  virtual void idle_connection_shed() {}
  // A request's first byte arrived / its response was written or its connection closed.
  virtual void request_started() {}
  virtual void request_finished() {}
  // An object upload (PUT to the object endpoint) was stored: its size and the time from the
  // request's first byte to the commit.
  virtual void object_uploaded(std::uint64_t /*bytes*/, std::chrono::nanoseconds /*took*/) {}
};

// The observer that does nothing (the server's default).
ServerObserver& no_server_observer();

}  // namespace sbapi
