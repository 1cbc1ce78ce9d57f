#include "adapters/sqlite/sqlite_connection.h"

namespace sbapi::sqlite {

StoreError to_store_error(int rc, std::string_view what) {
  std::string detail = std::string(what) + ": " + sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
      return {StoreError::Kind::kUnavailable, std::move(detail)};
    default:
      return {StoreError::Kind::kInternal, std::move(detail)};
  }
}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}
void Statement::bind(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
void Statement::bind(int index, double value) { sqlite3_bind_double(stmt_, index, value); }
void Statement::bind_null(int index) { sqlite3_bind_null(stmt_, index); }

std::string_view Statement::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))};
}

std::expected<std::unique_ptr<Connection>, StoreError> Connection::open(const std::string& uri) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      uri.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_close(db);
    return std::unexpected(to_store_error(rc, "open database"));
  }
  std::unique_ptr<Connection> conn(new Connection(db));
  // WAL: readers never block the writer. synchronous=FULL: a commit is on disk before we
  // acknowledge it. busy_timeout: writers queue for the lock instead of failing at once.
  // cache_size 1 MiB (default 2 MiB) per connection: hot items are in the tables' item cache,
  // the file in the OS page cache, and every pooled connection has its own page cache.
  for (const char* pragma : {"PRAGMA busy_timeout=5000", "PRAGMA journal_mode=WAL",
                             "PRAGMA synchronous=FULL", "PRAGMA cache_size=-1024"}) {
    if (auto r = conn->exec(pragma); !r) return std::unexpected(r.error());
  }
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

std::expected<Statement, StoreError> Connection::prepare(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return Statement(it->second);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return std::unexpected(to_store_error(rc, std::string("prepare: ") + sqlite3_errmsg(db_)));
  }
  statements_.emplace(sql, stmt);
  return Statement(stmt);
}

std::expected<void, StoreError> Connection::exec(const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string what = message != nullptr ? message : "exec";
    sqlite3_free(message);
    return std::unexpected(to_store_error(rc, what));
  }
  return {};
}

ConnectionPool::Lease::~Lease() {
  if (conn_) pool_->release(std::move(conn_));
}

std::expected<ConnectionPool::Lease, StoreError> ConnectionPool::acquire() {
  std::unique_lock lock(mutex_);
  returned_.wait(lock, [this] { return !idle_.empty() || open_ < max_connections_; });
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn));
  }
  ++open_;
  lock.unlock();
  auto conn = Connection::open(uri_);
  if (!conn) {
    lock.lock();
    --open_;
    returned_.notify_one();
    return std::unexpected(conn.error());
  }
  return Lease(this, std::move(*conn));
}

void ConnectionPool::release(std::unique_ptr<Connection> conn) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(conn));
  }
  returned_.notify_one();
}

}  // namespace sbapi::sqlite
