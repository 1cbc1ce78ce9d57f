// SQLite adapter of the `Table` port.
//
// One database file in WAL mode holds every table. Each logical table is one SQL table: the key
// column, the item as JSON text, and the TTL and created attributes as stored generated columns;
// each secondary index is an SQL index in the listing's order: (partition value, created, key).
// A table of an earlier version's layout is rebuilt in this one when it is opened.
//
// Reads (`get`, `list`, `scan`) are single statements on pooled connections (one per concurrent
// caller, each with its prepared statements); WAL lets them run beside the writer, and they see
// only committed writes. Writes (`put_if_absent`, `update_if_exists`, `remove`, `sweep_expired`)
// go through the database's write queue (write_queue.h): each runs its statements in a savepoint
// of a group-committed transaction, under the write lock — so a read-modify-write is atomic and
// sees the writes queued before it — and returns only once that transaction's COMMIT is on disk.
// `get` is served from an in-process cache of recently read and written items when it can
// (item_cache.h: the writes above keep it exact, and the database's directory lock keeps other
// processes from writing behind its back). The table is safe to use from many threads.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/table.h"

namespace sbapi {

class SqliteDatabase;

class SqliteTable final : public Table {
 public:
  // Bound of the item cache per table; 0 turns it off.
  static constexpr std::size_t kDefaultCacheBytes = 4 << 20;

  // Creates the SQL table and its indexes if missing. `db` and `clock` must outlive this.
  static std::expected<std::unique_ptr<SqliteTable>, StoreError> open(
      SqliteDatabase& db, TableSchema schema, const Clock& clock,
      std::size_t cache_bytes = kDefaultCacheBytes);
  ~SqliteTable() override;

  [[nodiscard]] const TableSchema& schema() const override;
  StoreResult<std::optional<Item>> get(std::string_view key) override;
  // A cached item's text as stored, with no parse (a miss reads SQLite as get() does).
  StoreResult<std::optional<std::string>> get_json(std::string_view key) override;
  StoreResult<PutResult> put_if_absent(const Item& item) override;
  // Completes on the write queue's thread once the batch is committed (write_queue.h, submit).
  void put_if_absent_async(Item item, PutDone done) override;
  StoreResult<std::optional<Item>> update_if_exists(std::string_view key,
                                                    const ItemUpdate& update) override;
  StoreResult<bool> remove(std::string_view key) override;
  // Like put_if_absent_async: complete on the write queue's thread once committed.
  void update_if_exists_async(std::string key, ItemUpdate update, UpdateDone done) override;
  void remove_async(std::string key, RemoveDone done) override;
  // Strict: every page is one consistent read, filled to `limit` whenever more items exist (no
  // read budget: expired and filtered rows are skipped inside the statement).
  StoreResult<ListPage> list(const ListQuery& query) override;
  // The stored texts as they are: no parse, no serialize.
  StoreResult<ListPageJson> list_json(const ListQuery& query) override;
  StoreResult<Page> scan(const ScanRequest& request) override;

  // Deletes items whose TTL has passed; returns how many. Run by the background sweeper; a write
  // like the others, so it shares a batch with them.
  StoreResult<std::size_t> sweep_expired();

 private:
  struct Impl;
  explicit SqliteTable(std::unique_ptr<Impl> impl);
  // The page's rows in order, each item's stored text given to `row`; returns the page's next.
  StoreResult<std::optional<ListPosition>> list_rows(
      const ListQuery& query, const std::function<StoreResult<void>(std::string_view)>& row);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sbapi
