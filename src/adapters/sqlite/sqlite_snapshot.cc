#include "adapters/sqlite/sqlite_snapshot.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace sbapi::sqlite {
namespace {

namespace fs = std::filesystem;

// A connection closed on every path out.
class Db {
 public:
  Db() = default;
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  sqlite3** out() { return &db_; }
  [[nodiscard]] sqlite3* get() const { return db_; }
  [[nodiscard]] std::string message() const {
    return db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
  }

 private:
  sqlite3* db_ = nullptr;
};

class Stmt {
 public:
  Stmt() = default;
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt** out() { return &stmt_; }
  [[nodiscard]] sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

std::expected<void, std::string> open(Db& db, const fs::path& path, int flags) {
  if (sqlite3_open_v2(path.c_str(), db.out(), flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    return std::unexpected("cannot open " + path.string() + ": " + db.message());
  }
  // Only another process's recovery or checkpoint makes a reader wait, and briefly.
  sqlite3_busy_timeout(db.get(), 5000);
  return {};
}

std::expected<void, std::string> exec(Db& db, const char* sql, const fs::path& path) {
  char* message = nullptr;
  if (sqlite3_exec(db.get(), sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string why = message != nullptr ? message : db.message();
    sqlite3_free(message);
    return std::unexpected(std::string(sql) + " on " + path.string() + ": " + why);
  }
  return {};
}

std::expected<void, std::string> prepare(Db& db, Stmt& stmt, const std::string& sql,
                                         const fs::path& path) {
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), static_cast<int>(sql.size()), stmt.out(),
                         nullptr) != SQLITE_OK) {
    return std::unexpected("cannot read " + path.string() + ": " + db.message());
  }
  return {};
}

std::string quoted(std::string_view identifier) {
  std::string out = "\"";
  for (char c : identifier) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

std::string_view column_text(sqlite3_stmt* stmt, int index) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, index));
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, index))};
}

}  // namespace

std::expected<SnapshotStats, std::string> snapshot_database(
    const fs::path& source, const fs::path& dest, std::chrono::milliseconds busy_retry_for) {
  // The destination is created here, private and new: never a file someone else made.
  const int fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return std::unexpected("cannot create " + dest.string() + ": " + std::strerror(errno));
  ::close(fd);

  Db from;
  // Read-only: a backup never writes the live database (and never checkpoints it on close).
  if (auto r = open(from, source, SQLITE_OPEN_READONLY); !r) return std::unexpected(r.error());
  Db to;
  if (auto r = open(to, dest, SQLITE_OPEN_READWRITE); !r) return std::unexpected(r.error());

  SnapshotStats stats;
  sqlite3_backup* backup = sqlite3_backup_init(to.get(), "main", from.get(), "main");
  if (backup == nullptr) {
    return std::unexpected("cannot start the backup of " + source.string() + ": " + to.message());
  }
  const auto deadline = std::chrono::steady_clock::now() + busy_retry_for;
  int rc = SQLITE_OK;
  while (true) {
    rc = sqlite3_backup_step(backup, -1);
    if (rc == SQLITE_DONE) break;
    if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && std::chrono::steady_clock::now() < deadline) {
      ++stats.busy_retries;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    break;
  }
  stats.pages = sqlite3_backup_pagecount(backup);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    return std::unexpected("cannot copy " + source.string() + ": " + sqlite3_errstr(rc));
  }
  if (auto r = exec(to, "PRAGMA journal_mode=DELETE", dest); !r) return std::unexpected(r.error());
  Stmt size;
  if (auto r = prepare(to, size, "PRAGMA page_size", dest); !r) return std::unexpected(r.error());
  if (sqlite3_step(size.get()) == SQLITE_ROW) stats.page_size = sqlite3_column_int64(size.get(), 0);
  return stats;
}

std::expected<void, std::string> for_each_item(
    const fs::path& db_path, std::string_view table,
    const std::function<bool(std::string_view pk, std::string_view item)>& fn) {
  Db db;
  if (auto r = open(db, db_path, SQLITE_OPEN_READONLY); !r) return r;
  Stmt stmt;
  if (auto r = prepare(db, stmt, "SELECT pk, item FROM " + quoted(table) + " ORDER BY pk", db_path);
      !r) {
    return r;
  }
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    if (!fn(column_text(stmt.get(), 0), column_text(stmt.get(), 1))) return {};
  }
  if (rc != SQLITE_DONE) {
    return std::unexpected("cannot read " + db_path.string() + ": " + db.message());
  }
  return {};
}

std::expected<void, std::string> replace_items(
    const fs::path& db_path, std::string_view table,
    const std::vector<std::pair<std::string, std::string>>& items) {
  if (items.empty()) return {};
  Db db;
  if (auto r = open(db, db_path, SQLITE_OPEN_READWRITE); !r) return r;
  if (auto r = exec(db, "BEGIN IMMEDIATE", db_path); !r) return r;
  Stmt stmt;
  if (auto r =
          prepare(db, stmt, "UPDATE " + quoted(table) + " SET item = ?1 WHERE pk = ?2", db_path);
      !r) {
    return r;
  }
  for (const auto& [pk, item] : items) {
    sqlite3_bind_text(stmt.get(), 1, item.data(), static_cast<int>(item.size()), SQLITE_STATIC);
    sqlite3_bind_text(stmt.get(), 2, pk.data(), static_cast<int>(pk.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(stmt.get());
    sqlite3_reset(stmt.get());
    if (rc != SQLITE_DONE) {
      return std::unexpected("cannot update " + db_path.string() + ": " + db.message());
    }
    if (sqlite3_changes(db.get()) != 1) {
      return std::unexpected("no row " + pk + " in table " + std::string(table) + " of " +
                             db_path.string());
    }
  }
  // (A failure above leaves the transaction open: closing the connection rolls it back.)
  return exec(db, "COMMIT", db_path);
}

std::expected<void, std::string> integrity_check(const fs::path& db_path) {
  Db db;
  if (auto r = open(db, db_path, SQLITE_OPEN_READONLY); !r) return r;
  Stmt stmt;
  if (auto r = prepare(db, stmt, "PRAGMA integrity_check", db_path); !r) return r;
  std::vector<std::string> lines;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW && lines.size() < 5) {
    lines.emplace_back(column_text(stmt.get(), 0));
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    return std::unexpected("integrity_check of " + db_path.string() + " failed: " + db.message());
  }
  if (lines.size() == 1 && lines[0] == "ok") return {};
  std::string said;
  for (const auto& line : lines) said += (said.empty() ? "" : "; ") + line;
  return std::unexpected("integrity_check of " + db_path.string() + " says: " + said);
}

}  // namespace sbapi::sqlite
