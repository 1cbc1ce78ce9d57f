#include "adapters/sqlite/sqlite_table.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>

#include "adapters/sqlite/item_cache.h"
#include "adapters/sqlite/sqlite_connection.h"
#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/sqlite_database_impl.h"
#include "adapters/sqlite/write_queue.h"

namespace sbapi {
namespace {

using sqlite::Connection;
using sqlite::Statement;
using sqlite::to_store_error;

StoreError internal(std::string detail) { return {StoreError::Kind::kInternal, std::move(detail)}; }

// Names reach SQL text (identifiers, JSON paths), so they are restricted to a safe alphabet.
bool is_safe_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

// `prefix` + `text` + `suffix`, appended into one reserved string. Not `"..." + std::string(...)`:
// at -O3 (a plain CMake Release build) GCC 12 inlines that into a memcpy it then reports as a
// -Wrestrict overlap that cannot happen (GCC bug 105651; see CMakeLists.txt).
std::string enclose(std::string_view prefix, std::string_view text, std::string_view suffix) {
  std::string out;
  out.reserve(prefix.size() + text.size() + suffix.size());
  out.append(prefix).append(text).append(suffix);
  return out;
}

std::string sql_identifier(std::string_view identifier) { return enclose("\"", identifier, "\""); }

std::string json_path(std::string_view attribute) { return enclose("'$.\"", attribute, "\"'"); }

// Text as SQLite's numeric affinity reads it: a whole number literal, spaces around allowed.
std::optional<double> numeric_text(std::string_view text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string_view::npos) return std::nullopt;
  text = text.substr(first, text.find_last_not_of(' ') - first + 1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

StoreResult<Item> parse_item(std::string_view text) {
  boost::system::error_code ec;
  auto value = boost::json::parse(text, ec);
  if (ec || !value.is_object())
    return std::unexpected(internal("stored item is not a JSON object"));
  return std::move(value.get_object());
}

// A listed item's created: a whole number in [0, 2^63), 5.0 as 5 (DynamoDB's N cannot tell them
// apart); anything else (text, a fraction, negative, null) keeps the item out of the listing.
std::optional<std::int64_t> whole_created(sqlite3_stmt* stmt, int column) {
  switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_INTEGER: {
      const std::int64_t value = sqlite3_column_int64(stmt, column);
      return value >= 0 ? std::optional(value) : std::nullopt;
    }
    case SQLITE_FLOAT: {
      const double value = sqlite3_column_double(stmt, column);
      constexpr double kTwoTo63 = 9223372036854775808.0;
      if (!(value >= 0 && value < kTwoTo63) || value != std::floor(value)) return std::nullopt;
      return static_cast<std::int64_t>(value);
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

struct SqliteTable::Impl {
  Impl(SqliteDatabase& db, TableSchema schema, const Clock& clock, std::size_t cache_bytes)
      : db(db), schema(std::move(schema)), clock(clock), cache(cache_bytes) {}

  SqliteDatabase& db;
  TableSchema schema;
  const Clock& clock;
  sqlite::ItemCache cache;

  // Asynchronous puts not yet completed: their completions use this Impl, so the table's
  // destructor waits for them.
  std::mutex async_mutex;
  std::condition_variable async_done;
  std::size_t async_pending = 0;

  // When SQL considers the item expired (`expires_at <= now`), mirrored for the cache: a number
  // is compared as such (true/false as 1/0), and so is text that reads as a number (the
  // column's INTEGER affinity converts it); a missing or null TTL, or other text (which SQLite
  // orders after every number), never expires.
  std::optional<double> expiry_of(const Item& item) const {
    if (schema.ttl_attribute.empty()) return std::nullopt;
    const auto* ttl = item.if_contains(schema.ttl_attribute);
    if (ttl == nullptr) return std::nullopt;
    switch (ttl->kind()) {
      case boost::json::kind::int64:
        return static_cast<double>(ttl->get_int64());
      case boost::json::kind::uint64:
        return static_cast<double>(ttl->get_uint64());
      case boost::json::kind::double_:
        return ttl->get_double();
      case boost::json::kind::bool_:
        return ttl->get_bool() ? 1.0 : 0.0;
      case boost::json::kind::string:
        return numeric_text(ttl->get_string());
      default:
        return std::nullopt;
    }
  }

  // SQL text of every statement, built once from the schema.
  std::string get_sql;
  std::string insert_sql;
  std::string select_existing_sql;
  std::string write_sql;
  std::string delete_sql;
  std::string scan_sql;
  std::vector<std::string> list_sql;  // per index
  std::string sweep_sql;

  // For reads: any pooled connection, outside any write transaction.
  std::expected<sqlite::ConnectionPool::Lease, StoreError> connection() {
    return db.impl().pool.acquire();
  }
  // For writes: the database's group commit (write_queue.h).
  sqlite::WriteQueue& writes() { return db.impl().writes; }

  // A read by key that missed the cache: the row's text and its item, from SQLite, offered to
  // the cache; nullopt when no visible row has the key.
  struct Row {
    std::string text;
    Item item;
  };
  StoreResult<std::optional<Row>> read_row(std::string_view key, std::int64_t now) {
    const auto ticket = cache.ticket(key);
    auto conn = connection();
    if (!conn) return std::unexpected(conn.error());
    auto stmt = (*conn)->prepare(get_sql);
    if (!stmt) return std::unexpected(stmt.error());
    stmt->bind(1, now);
    stmt->bind(2, key);
    const int rc = stmt->step();
    if (rc == SQLITE_DONE) return std::optional<Row>{};
    if (rc != SQLITE_ROW) return std::unexpected(to_store_error(rc, "get"));
    std::string text(stmt->column_text(0));
    auto item = parse_item(text);
    if (!item) return std::unexpected(item.error());
    cache.fill(key, text, expiry_of(*item), ticket);
    return std::optional<Row>(Row{std::move(text), std::move(*item)});
  }

  StoreResult<std::string_view> key_of(const Item& item) const {
    const auto* key = item.if_contains(schema.key);
    if (key == nullptr || !key->is_string()) {
      return std::unexpected(internal("item has no string key " + schema.key));
    }
    return std::string_view(key->get_string());
  }

  // put_if_absent's statements, run in a batch of the write queue (under the write lock): the
  // item already stored under the key, or nullopt when `text` was stored.
  StoreResult<std::optional<Item>> insert_or_read(Connection& conn, std::string_view key,
                                                  const std::string& text, std::int64_t now) {
    {
      auto stmt = conn.prepare(insert_sql);
      if (!stmt) return std::unexpected(stmt.error());
      stmt->bind(1, now);
      stmt->bind(2, key);
      stmt->bind(3, text);
      int rc = stmt->step();
      if (rc != SQLITE_DONE) return std::unexpected(to_store_error(rc, "put_if_absent"));
      if (conn.changes() == 1) return std::optional<Item>();
    }
    // A visible item holds the key. The batch holds the write lock, so it is still there (an
    // earlier write of the same batch included).
    auto stmt = conn.prepare(select_existing_sql);
    if (!stmt) return std::unexpected(stmt.error());
    stmt->bind(1, now);
    stmt->bind(2, key);
    int rc = stmt->step();
    if (rc == SQLITE_DONE) return std::unexpected(internal("put_if_absent: conflict without item"));
    if (rc != SQLITE_ROW) return std::unexpected(to_store_error(rc, "put_if_absent read"));
    auto existing = parse_item(stmt->column_text(0));
    if (!existing) return std::unexpected(existing.error());
    return std::optional<Item>(std::move(*existing));
  }

  // update_if_exists's statements, run in a batch of the write queue: read-modify-write under
  // the batch's write lock, so that a concurrent delete is either committed before (no item,
  // nothing written) or comes after, and an update never resurrects an item. `written`: the
  // stored text.
  StoreResult<std::optional<Item>> apply_update(Connection& conn, std::string_view key,
                                                const ItemUpdate& update, std::int64_t now,
                                                std::string& written) {
    Item item;
    {
      auto stmt = conn.prepare(get_sql);
      if (!stmt) return std::unexpected(stmt.error());
      stmt->bind(1, now);
      stmt->bind(2, key);
      int rc = stmt->step();
      if (rc == SQLITE_DONE) return std::optional<Item>{};
      if (rc != SQLITE_ROW) return std::unexpected(to_store_error(rc, "update read"));
      auto parsed = parse_item(stmt->column_text(0));
      if (!parsed) return std::unexpected(parsed.error());
      item = std::move(*parsed);
    }
    for (const auto& name : update.remove) {
      if (name != schema.key) item.erase(name);
    }
    for (const auto& [name, value] : update.set) {
      if (name != schema.key) item[name] = value;
    }
    auto stmt = conn.prepare(write_sql);
    if (!stmt) return std::unexpected(stmt.error());
    written = boost::json::serialize(item);
    stmt->bind(2, written);
    stmt->bind(3, key);
    int rc = stmt->step();
    if (rc != SQLITE_DONE) return std::unexpected(to_store_error(rc, "update write"));
    return std::optional<Item>(std::move(item));
  }

  // After an update's batch: the cache learns the new item (or forgets the key).
  void end_update(std::string_view key, const StoreResult<std::optional<Item>>& result,
                  const std::string& written) {
    const bool stored = result && result->has_value();
    cache.end_write(key, stored ? &written : nullptr, stored ? expiry_of(**result) : std::nullopt);
  }

  // remove's statement: true if a visible item was deleted.
  StoreResult<bool> delete_row(Connection& conn, std::string_view key, std::int64_t now) {
    auto stmt = conn.prepare(delete_sql);
    if (!stmt) return std::unexpected(stmt.error());
    stmt->bind(1, now);
    stmt->bind(2, key);
    int rc = stmt->step();
    if (rc != SQLITE_DONE) return std::unexpected(to_store_error(rc, "remove"));
    return conn.changes() == 1;
  }

  // Queues an asynchronous write; the table's destructor waits for every one to complete.
  void submit_async(std::function<std::expected<void, StoreError>(Connection&)> write,
                    std::function<void(std::expected<void, StoreError>)> complete) {
    {
      std::lock_guard lock(async_mutex);
      ++async_pending;
    }
    writes().submit(std::move(write),
                    [this, complete = std::move(complete)](std::expected<void, StoreError> r) {
                      complete(std::move(r));
                      std::lock_guard lock(async_mutex);
                      if (--async_pending == 0) async_done.notify_all();
                    });
  }

  // After a put's batch: the cache learns the stored item (or forgets the key).
  void end_put(std::string_view key, bool stored, const std::string& text, const Item& item) {
    cache.end_write(key, stored ? &text : nullptr, expiry_of(item));
  }

  // A table made by an earlier version (expires_at VIRTUAL, no created_at; maybe the seed's
  // generated columns ix0, ix1…) is rebuilt in the current layout, in the opening's transaction:
  // the items are copied as they are, the stored columns computed once; its indexes go with it
  // and are made again by the caller. A no-op for a current or a missing table.
  template <class TableDdl>
  std::expected<void, StoreError> rebuild_if_older(Connection& conn, const TableDdl& table_ddl) {
    bool older = false;
    {
      auto stmt = conn.prepare(
          "SELECT count(*) > 0 AND sum(name = 'created_at') = 0 FROM pragma_table_xinfo(?1)");
      if (!stmt) return std::unexpected(stmt.error());
      stmt->bind(1, std::string_view(schema.name));
      if (int rc = stmt->step(); rc != SQLITE_ROW) {
        return std::unexpected(to_store_error(rc, "table layout"));
      }
      older = sqlite3_column_int64(stmt->raw(), 0) != 0;
    }
    if (!older) return {};
    const std::string table = sql_identifier(schema.name);
    const std::string rebuilt = sql_identifier(schema.name + ".rebuilt");
    return conn.exec("DROP TABLE IF EXISTS " + rebuilt + ";\n" + table_ddl(rebuilt) +
                     "INSERT INTO " + rebuilt + " (pk, item) SELECT pk, item FROM " + table +
                     ";\nDROP TABLE " + table + ";\nALTER TABLE " + rebuilt + " RENAME TO " +
                     table + ";\n");
  }

  // Drops the SQL indexes of this table that the schema no longer has (the seed's email-index,
  // status-index and createdAt-index, in databases made by earlier versions): each costs writes.
  std::expected<void, StoreError> drop_unknown_indexes(Connection& conn) {
    std::vector<std::string> stale;
    {
      auto stmt = conn.prepare(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND "
          "substr(name, 1, length(?1) + 1) = ?1 || '.'");
      if (!stmt) return std::unexpected(stmt.error());
      stmt->bind(1, std::string_view(schema.name));
      int rc;
      while ((rc = stmt->step()) == SQLITE_ROW) {
        const std::string name(stmt->column_text(0));
        const std::string_view suffix = std::string_view(name).substr(schema.name.size() + 1);
        const bool wanted =
            suffix == "ttl" ||
            std::any_of(schema.indexes.begin(), schema.indexes.end(),
                        [&](const IndexSchema& index) { return index.name == suffix; });
        if (!wanted) stale.push_back(name);
      }
      if (rc != SQLITE_DONE) return std::unexpected(to_store_error(rc, "list indexes"));
    }
    for (const auto& name : stale) {
      if (auto dropped = conn.exec("DROP INDEX IF EXISTS " + sql_identifier(name)); !dropped) {
        return dropped;
      }
    }
    return {};
  }

  StoreResult<Page> read_page(Statement& stmt, std::size_t limit) {
    Page page;
    int rc;
    std::string last_key;
    while ((rc = stmt.step()) == SQLITE_ROW) {
      if (page.items.size() == limit) {  // one row beyond the page: there is more
        page.next_cursor = last_key;
        break;
      }
      last_key = stmt.column_text(0);
      auto item = parse_item(stmt.column_text(1));
      if (!item) return std::unexpected(item.error());
      page.items.push_back(std::move(*item));
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return std::unexpected(to_store_error(rc, "page"));
    return page;
  }
};

SqliteTable::SqliteTable(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteTable::~SqliteTable() {
  std::unique_lock lock(impl_->async_mutex);
  impl_->async_done.wait(lock, [this] { return impl_->async_pending == 0; });
}

std::expected<std::unique_ptr<SqliteTable>, StoreError> SqliteTable::open(SqliteDatabase& db,
                                                                          TableSchema schema,
                                                                          const Clock& clock,
                                                                          std::size_t cache_bytes) {
  bool safe = is_safe_name(schema.name) && is_safe_name(schema.key) &&
              is_safe_name(schema.created_attribute) &&
              (schema.ttl_attribute.empty() || is_safe_name(schema.ttl_attribute));
  for (const auto& index : schema.indexes) {
    safe = safe && is_safe_name(index.name) &&
           (index.partition.empty() || is_safe_name(index.partition));
  }
  if (!safe) return std::unexpected(internal("unsafe name in schema of " + schema.name));

  const std::string table = sql_identifier(schema.name);
  const std::string ttl_expr = schema.ttl_attribute.empty()
                                   ? std::string("NULL")
                                   : "json_extract(item, " + json_path(schema.ttl_attribute) + ")";
  const std::string created = "json_extract(item, " + json_path(schema.created_attribute) + ")";
  // Both generated columns are STORED: a read (the visibility check, a listing's order and
  // position) takes them from the row instead of parsing the item's JSON (a listing page parsed
  // every row: 60 % of its SQL work, measured). created_at is the attribute as it is (no
  // affinity; one json_extract per write: the listing checks that it is a whole number);
  // expires_at keeps INTEGER affinity ("100" compares as 100), as it always had.
  const auto table_ddl = [&](const std::string& name) {
    return "CREATE TABLE IF NOT EXISTS " + name +
           " (pk TEXT PRIMARY KEY NOT NULL, item TEXT NOT NULL, "
           "expires_at INTEGER GENERATED ALWAYS AS (" +
           ttl_expr + ") STORED, created_at GENERATED ALWAYS AS (" + created +
           ") STORED) WITHOUT ROWID;\n";
  };
  std::string ddl = table_ddl(table);
  ddl += "CREATE INDEX IF NOT EXISTS " + sql_identifier(schema.name + ".ttl") + " ON " + table +
         " (expires_at);\n";
  // Per index: "<partition expression> = ?5 AND " (empty for an all-items index). Only strings
  // are in a partition, as on DynamoDB (where the attribute is a string key): ?5 is bound as
  // text, and SQL never finds a number equal to a text, so only a folded value (lower() would
  // turn 5 into '5') needs its type in the expression.
  std::vector<std::string> partitions;
  for (const auto& index : schema.indexes) {
    std::string partition;
    if (!index.partition.empty()) {
      const std::string raw = "json_extract(item, " + json_path(index.partition) + ")";
      partition = index.fold_case  // ASCII only, as documented
                      ? "(CASE WHEN typeof(" + raw + ") = 'text' THEN lower(" + raw + ") END)"
                      : raw;
    }
    // Indexes in the listing's order (SQLite walks them backwards for DESC).
    ddl += "CREATE INDEX IF NOT EXISTS " + sql_identifier(schema.name + "." + index.name) + " ON " +
           table + " (" + (partition.empty() ? "" : partition + ", ") + "created_at, pk);\n";
    partitions.push_back(partition.empty() ? std::string() : partition + " = ?5 AND ");
  }

  auto impl = std::unique_ptr<Impl>(new Impl(db, std::move(schema), clock, cache_bytes));
  // A write like any other, so that it never waits for the write lock beside the queue.
  if (auto r = impl->writes().run([&](Connection& conn) -> std::expected<void, StoreError> {
        if (auto rebuilt = impl->rebuild_if_older(conn, table_ddl); !rebuilt) return rebuilt;
        if (auto made = conn.exec(ddl); !made) return made;
        return impl->drop_unknown_indexes(conn);
      });
      !r) {
    return std::unexpected(r.error());
  }

  // ?1 is always "now" so that expired items are invisible to every read.
  const std::string visible = "(expires_at IS NULL OR expires_at > ?1)";
  impl->get_sql = "SELECT item FROM " + table + " WHERE pk = ?2 AND " + visible;
  // An expired item is invisible, so it must not block a put-if-absent: overwrite it.
  impl->insert_sql = "INSERT INTO " + table + " (pk, item) VALUES (?2, ?3) ON CONFLICT (pk) " +
                     "DO UPDATE SET item = excluded.item WHERE NOT " + visible;
  impl->select_existing_sql = impl->get_sql;
  impl->write_sql = "UPDATE " + table + " SET item = ?2 WHERE pk = ?3";
  impl->delete_sql = "DELETE FROM " + table + " WHERE pk = ?2 AND " + visible;
  impl->scan_sql =
      "SELECT pk, item FROM " + table + " WHERE " + visible + " AND pk > ?2 ORDER BY pk LIMIT ?3";
  // ?2/?3: the position to continue after ((created_at, pk) row values compare like the order;
  // SQLite 3.40 searches an index by the plain `created_at <= ?2` only, 30× faster); ?5: the
  // partition value; ?6/?7: an optional filter's JSON path and value. No LIMIT: the caller reads
  // rows until its page is full, skipping those whose created is not a whole number in [0, 2^63)
  // (whole_created; SQLite walks the index lazily either way).
  for (const auto& match : partitions) {
    impl->list_sql.push_back("SELECT pk, item, created_at FROM " + table + " WHERE " + match +
                             "created_at <= ?2 AND (created_at, pk) < (?2, ?3) AND " + visible +
                             " AND (?6 IS NULL OR json_extract(item, ?6) = ?7) ORDER BY "
                             "created_at DESC, pk DESC");
  }
  impl->sweep_sql = "DELETE FROM " + table + " WHERE expires_at <= ?1";
  return std::unique_ptr<SqliteTable>(new SqliteTable(std::move(impl)));
}

const TableSchema& SqliteTable::schema() const { return impl_->schema; }

StoreResult<std::optional<Item>> SqliteTable::get(std::string_view key) {
  const std::int64_t now = impl_->clock.now_seconds();
  auto cached = impl_->cache.find(key, now);
  impl_->db.impl().observer.load(std::memory_order_relaxed)->cache_lookup(cached.has_value());
  if (cached) {
    auto item = parse_item(*cached);
    if (!item) return std::unexpected(item.error());
    return std::optional<Item>(std::move(*item));
  }
  auto row = impl_->read_row(key, now);
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<Item>{};
  return std::optional<Item>(std::move((*row)->item));
}

StoreResult<std::optional<std::string>> SqliteTable::get_json(std::string_view key) {
  const std::int64_t now = impl_->clock.now_seconds();
  auto cached = impl_->cache.find(key, now);
  impl_->db.impl().observer.load(std::memory_order_relaxed)->cache_lookup(cached.has_value());
  if (cached) return cached;
  auto row = impl_->read_row(key, now);
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<std::string>{};
  return std::optional<std::string>(std::move((*row)->text));
}

StoreResult<PutResult> SqliteTable::put_if_absent(const Item& item) {
  auto key = impl_->key_of(item);
  if (!key) return std::unexpected(key.error());
  const std::string text = boost::json::serialize(item);
  const std::int64_t now = impl_->clock.now_seconds();
  impl_->cache.begin_write(*key);
  auto existing = impl_->writes().write(
      [&](Connection& conn) { return impl_->insert_or_read(conn, *key, text, now); });
  StoreResult<PutResult> result =
      !existing   ? StoreResult<PutResult>(std::unexpected(std::move(existing.error())))
      : *existing ? PutResult{false, std::move(**existing)}
                  : PutResult{true, item};
  impl_->end_put(*key, result && result->created, text, item);
  return result;
}

void SqliteTable::put_if_absent_async(Item item, PutDone done) {
  auto key = impl_->key_of(item);
  if (!key) return done(std::unexpected(key.error()));
  // What the write and its completion need outlives this call: the queue runs them later. The
  // item is moved along, never copied: into the result when it is the one stored.
  struct Put {
    std::string key;
    std::string text;
    Item item;
    std::int64_t now = 0;
    std::optional<Item> existing;
  };
  std::string text = boost::json::serialize(item);
  auto put = std::make_shared<Put>(Put{std::string(*key), std::move(text), std::move(item),
                                       impl_->clock.now_seconds(), std::nullopt});
  impl_->cache.begin_write(put->key);
  Impl* impl = impl_.get();
  impl->submit_async(
      [impl, put](Connection& conn) -> std::expected<void, StoreError> {
        auto existing = impl->insert_or_read(conn, put->key, put->text, put->now);
        if (!existing) return std::unexpected(std::move(existing.error()));
        put->existing = std::move(*existing);
        return {};
      },
      [impl, put, done = std::move(done)](std::expected<void, StoreError> committed) {
        const bool created = committed && !put->existing;
        impl->end_put(put->key, created, put->text, put->item);
        StoreResult<PutResult> result =
            !committed ? StoreResult<PutResult>(std::unexpected(std::move(committed.error())))
            : created  ? PutResult{true, std::move(put->item)}
                       : PutResult{false, std::move(*put->existing)};
        done(std::move(result));
      });
}

StoreResult<std::optional<Item>> SqliteTable::update_if_exists(std::string_view key,
                                                               const ItemUpdate& update) {
  const std::int64_t now = impl_->clock.now_seconds();
  std::string written;
  impl_->cache.begin_write(key);
  auto result = impl_->writes().write(
      [&](Connection& conn) { return impl_->apply_update(conn, key, update, now, written); });
  impl_->end_update(key, result, written);
  return result;
}

StoreResult<bool> SqliteTable::remove(std::string_view key) {
  const std::int64_t now = impl_->clock.now_seconds();
  impl_->cache.begin_write(key);
  auto result =
      impl_->writes().write([&](Connection& conn) { return impl_->delete_row(conn, key, now); });
  impl_->cache.end_write(key, nullptr, std::nullopt);
  return result;
}

void SqliteTable::update_if_exists_async(std::string key, ItemUpdate update, UpdateDone done) {
  struct Update {
    std::string key;
    ItemUpdate update;
    std::int64_t now = 0;
    std::string written;
    StoreResult<std::optional<Item>> result = std::optional<Item>();
  };
  auto state = std::make_shared<Update>(
      Update{std::move(key), std::move(update), impl_->clock.now_seconds(), {}, {}});
  impl_->cache.begin_write(state->key);
  Impl* impl = impl_.get();
  impl->submit_async(
      [impl, state](Connection& conn) -> std::expected<void, StoreError> {
        state->result =
            impl->apply_update(conn, state->key, state->update, state->now, state->written);
        if (!state->result) return std::unexpected(state->result.error());
        return {};
      },
      [impl, state, done = std::move(done)](std::expected<void, StoreError> committed) {
        if (!committed) state->result = std::unexpected(std::move(committed.error()));
        impl->end_update(state->key, state->result, state->written);
        done(std::move(state->result));
      });
}

void SqliteTable::remove_async(std::string key, RemoveDone done) {
  struct Remove {
    std::string key;
    std::int64_t now = 0;
    StoreResult<bool> result = false;
  };
  auto state = std::make_shared<Remove>(Remove{std::move(key), impl_->clock.now_seconds(), false});
  impl_->cache.begin_write(state->key);
  Impl* impl = impl_.get();
  impl->submit_async(
      [impl, state](Connection& conn) -> std::expected<void, StoreError> {
        state->result = impl->delete_row(conn, state->key, state->now);
        if (!state->result) return std::unexpected(state->result.error());
        return {};
      },
      [impl, state, done = std::move(done)](std::expected<void, StoreError> committed) {
        if (!committed) state->result = std::unexpected(std::move(committed.error()));
        impl->cache.end_write(state->key, nullptr, std::nullopt);
        done(std::move(state->result));
      });
}

StoreResult<std::optional<ListPosition>> SqliteTable::list_rows(
    const ListQuery& query, const std::function<StoreResult<void>(std::string_view)>& row) {
  const auto& indexes = impl_->schema.indexes;
  auto it = std::find_if(indexes.begin(), indexes.end(),
                         [&](const IndexSchema& i) { return i.name == query.index; });
  if (it == indexes.end()) return std::unexpected(internal("no index " + query.index));
  if (query.filter && !is_safe_name(query.filter->attribute)) {
    return std::unexpected(internal("unsafe filter attribute " + query.filter->attribute));
  }
  if (!it->partition.empty() && query.equals.empty()) return std::optional<ListPosition>{};
  const std::size_t limit = std::max<std::size_t>(query.limit, 1);
  std::string equals = query.equals;
  if (it->fold_case) {
    for (char& c : equals) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
  }

  auto conn = impl_->connection();
  if (!conn) return std::unexpected(conn.error());
  auto stmt = (*conn)->prepare(impl_->list_sql[static_cast<std::size_t>(it - indexes.begin())]);
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, impl_->clock.now_seconds());
  if (query.after) {
    stmt->bind(2, query.after->created);
    stmt->bind(3, std::string_view(query.after->key));
  } else {  // before every position: the largest created, and any key
    stmt->bind(2, std::numeric_limits<std::int64_t>::max());
    stmt->bind(3, std::string_view());
  }
  if (!it->partition.empty()) stmt->bind(5, std::string_view(equals));
  std::string filter_path;
  if (query.filter) {
    filter_path = enclose("$.\"", query.filter->attribute, "\"");
    stmt->bind(6, std::string_view(filter_path));
    stmt->bind(7, std::string_view(query.filter->value));
  }

  std::optional<ListPosition> next;
  ListPosition last;
  std::size_t rows = 0;
  int rc;
  while ((rc = stmt->step()) == SQLITE_ROW) {
    const auto created = whole_created(stmt->raw(), 2);
    if (!created) continue;  // not in the index's order, as on DynamoDB
    if (rows == limit) {     // a visible item beyond the page: the next is not empty
      next = std::move(last);
      break;
    }
    if (auto r = row(stmt->column_text(1)); !r) return std::unexpected(std::move(r.error()));
    ++rows;
    last.key = stmt->column_text(0);
    last.created = *created;
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return std::unexpected(to_store_error(rc, "list"));
  return next;
}

StoreResult<ListPage> SqliteTable::list(const ListQuery& query) {
  ListPage page;
  auto next = list_rows(query, [&](std::string_view text) -> StoreResult<void> {
    auto item = parse_item(text);
    if (!item) return std::unexpected(std::move(item.error()));
    page.items.push_back(std::move(*item));
    return {};
  });
  if (!next) return std::unexpected(std::move(next.error()));
  page.next = std::move(*next);
  return page;
}

StoreResult<ListPageJson> SqliteTable::list_json(const ListQuery& query) {
  ListPageJson page;
  page.items.reserve(query.limit * 256);  // a user or an asset is ~150–250 bytes
  auto next = list_rows(query, [&](std::string_view text) -> StoreResult<void> {
    if (page.count++ != 0) page.items += ',';
    page.items += text;
    return {};
  });
  if (!next) return std::unexpected(std::move(next.error()));
  page.next = std::move(*next);
  return page;
}

StoreResult<Page> SqliteTable::scan(const ScanRequest& request) {
  auto conn = impl_->connection();
  if (!conn) return std::unexpected(conn.error());
  auto stmt = (*conn)->prepare(impl_->scan_sql);
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, impl_->clock.now_seconds());
  stmt->bind(2, std::string_view(request.cursor.value_or("")));
  stmt->bind(3, static_cast<std::int64_t>(request.limit + 1));
  return impl_->read_page(*stmt, request.limit);
}

StoreResult<std::size_t> SqliteTable::sweep_expired() {
  const std::int64_t now = impl_->clock.now_seconds();
  auto result = impl_->writes().write([&](Connection& conn) -> StoreResult<std::size_t> {
    auto stmt = conn.prepare(impl_->sweep_sql);
    if (!stmt) return std::unexpected(stmt.error());
    stmt->bind(1, now);
    int rc = stmt->step();
    if (rc != SQLITE_DONE) return std::unexpected(to_store_error(rc, "sweep"));
    return static_cast<std::size_t>(conn.changes());
  });
  if (result) impl_->cache.drop_expired(now);
  return result;
}

}  // namespace sbapi
