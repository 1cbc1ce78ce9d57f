// Internals of the SQLite adapter: a connection with its cached prepared statements, a pool of
// such connections, and the mapping from SQLite result codes to `StoreError`s.
//
// A connection is used by one thread at a time (the pool hands it out exclusively), so
// connections are opened with SQLITE_OPEN_NOMUTEX.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <cstddef>
#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/store_error.h"

namespace sbapi::sqlite {

StoreError to_store_error(int rc, std::string_view what);

// A prepared statement borrowed from a connection's cache; reset when it goes out of scope so
// the next user finds it clean.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;

  void bind(int index, std::string_view text);
  void bind(int index, std::int64_t value);
  void bind(int index, double value);
  void bind_null(int index);
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  [[nodiscard]] std::string_view column_text(int index) const;
  [[nodiscard]] sqlite3_stmt* raw() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  static std::expected<std::unique_ptr<Connection>, StoreError> open(const std::string& uri);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The cached prepared statement for `sql`, preparing it on first use.
  std::expected<Statement, StoreError> prepare(const std::string& sql);
  // Runs statements without results (schema, pragmas, BEGIN/COMMIT).
  std::expected<void, StoreError> exec(const std::string& sql);
  [[nodiscard]] int changes() const { return sqlite3_changes(db_); }
  [[nodiscard]] sqlite3* raw() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

// Hands out connections exclusively; opens new ones on demand up to `max_connections`, then
// makes callers wait for one to come back.
class ConnectionPool {
 public:
  ConnectionPool(std::string uri, std::size_t max_connections)
      : uri_(std::move(uri)), max_connections_(max_connections) {}

  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) noexcept = default;
    ~Lease();
    Connection* operator->() const { return conn_.get(); }
    Connection& operator*() const { return *conn_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  std::expected<Lease, StoreError> acquire();

 private:
  void release(std::unique_ptr<Connection> conn);

  std::string uri_;
  std::size_t max_connections_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;
};

}  // namespace sbapi::sqlite
