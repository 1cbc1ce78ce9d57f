// SQLite adapter of the `Table` port.
//
// One database file in WAL mode holds every table. Each logical table is one SQL table: the key
// column, the item as JSON text, the TTL and one generated, SQL-indexed column per secondary
// index. Every `Table` operation is a single SQL statement, so it is atomic without explicit
// transactions; SQLite serialises writers and WAL lets readers run beside them.
//
// Connections are pooled (one per concurrent caller, each with its prepared statements), so the
// table is safe to use from many threads.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/table.h"

namespace sbapi {

class SqliteDatabase;

class SqliteTable final : public Table {
 public:
  // Creates the SQL table and its indexes if missing. `db` and `clock` must outlive this.
  static std::expected<std::unique_ptr<SqliteTable>, StoreError> open(SqliteDatabase& db,
                                                                      TableSchema schema,
                                                                      const Clock& clock);
  ~SqliteTable() override;

  [[nodiscard]] const TableSchema& schema() const override;
  StoreResult<std::optional<Item>> get(std::string_view key) override;
  StoreResult<PutResult> put_if_absent(const Item& item) override;
  StoreResult<std::optional<Item>> update_if_exists(std::string_view key,
                                                    const ItemUpdate& update) override;
  StoreResult<bool> remove(std::string_view key) override;
  StoreResult<Page> query(const IndexQuery& query) override;
  StoreResult<Page> scan(const ScanRequest& request) override;

  // Deletes items whose TTL has passed; returns how many. Run by the background sweeper.
  StoreResult<std::size_t> sweep_expired();

 private:
  struct Impl;
  explicit SqliteTable(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sbapi
