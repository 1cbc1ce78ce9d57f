// The `Table` port: a key-value table with DynamoDB semantics.
//
// Items are JSON objects keyed by one string attribute (the schema's `key`). Every operation is
// atomic on one item. Items whose TTL attribute holds an epoch second in the past are invisible
// to every read and can neither be updated nor block a put-if-absent (DynamoDB deletes expired
// items only eventually, so both backends must hide them themselves).
//
// Failures are values, never exceptions: a failed condition is a normal outcome (nullopt /
// `created == false`), and a `StoreError` (core/store_error.h) means the storage itself is in
// trouble.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/store_error.h"

namespace sbapi {

using Item = boost::json::object;

// A global secondary index: items are found by the value of one attribute.
struct IndexSchema {
  enum class Type { kString, kNumber };  // DynamoDB's S and N key types
  std::string name;                      // e.g. "email-index"
  std::string attribute;                 // e.g. "email"
  Type type = Type::kString;
};

struct TableSchema {
  std::string name;                  // e.g. "users"
  std::string key;                   // partition key attribute, a string
  std::vector<IndexSchema> indexes;  // secondary indexes
  std::string ttl_attribute;         // epoch seconds; empty = no TTL
};

struct PutResult {
  bool created = false;  // false: an item with that key already existed
  Item item;             // the stored item if created, else the existing one
};

// Changes for `update_if_exists`: attributes to set and attributes to remove.
struct ItemUpdate {
  Item set;
  std::vector<std::string> remove;
};

// One page of a query or scan. `next_cursor` is set when more items may follow; it is an
// adapter-defined string that only the same adapter can read back.
struct Page {
  std::vector<Item> items;
  std::optional<std::string> next_cursor;
};

struct IndexQuery {
  std::string index;          // index name from the schema
  boost::json::value equals;  // items whose indexed attribute equals this
  std::size_t limit = 25;
  std::optional<std::string> cursor;  // from a previous page
};

struct ScanRequest {
  std::size_t limit = 25;
  std::optional<std::string> cursor;
};

class Table {
 public:
  virtual ~Table() = default;

  [[nodiscard]] virtual const TableSchema& schema() const = 0;

  // The item with this key, or nullopt.
  virtual StoreResult<std::optional<Item>> get(std::string_view key) = 0;

  // Stores `item` only if no (visible) item has its key: `attribute_not_exists(key)`.
  virtual StoreResult<PutResult> put_if_absent(const Item& item) = 0;

  // put_if_absent for a caller that must not wait: `done` gets the same result, exactly once,
  // maybe later and on another thread. The default calls put_if_absent and completes before it
  // returns (so it waits after all); an adapter whose writes complete on their own (SQLite's
  // group commit) overrides it. `done` must be short: it may run on the adapter's thread.
  using PutDone = std::function<void(StoreResult<PutResult>)>;
  // By value: an override keeps `done` until its write completes.
  virtual void put_if_absent_async(const Item& item,
                                   PutDone done) {  // NOLINT(performance-unnecessary-value-param)
    done(put_if_absent(item));
  }

  // Applies `update` only if the item exists (`attribute_exists(key)`), returning the new item;
  // nullopt when it does not exist, in which case nothing is written.
  virtual StoreResult<std::optional<Item>> update_if_exists(std::string_view key,
                                                            const ItemUpdate& update) = 0;

  // Deletes the item; true if a (visible) item was deleted.
  virtual StoreResult<bool> remove(std::string_view key) = 0;

  // Items of a secondary index whose attribute equals `query.equals`, a page at a time.
  virtual StoreResult<Page> query(const IndexQuery& query) = 0;

  // All items, a page at a time.
  virtual StoreResult<Page> scan(const ScanRequest& request) = 0;
};

}  // namespace sbapi
