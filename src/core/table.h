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
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/store_error.h"

namespace sbapi {

using Item = boost::json::object;

// An ordered index (a DynamoDB global secondary index): the items whose `partition` attribute
// equals a value, or every item when `partition` is empty, newest first — by the schema's
// `created_attribute` descending, ties broken by the key descending (byte order). Only items
// whose created attribute is a whole number are in an index; with a partition, only items whose
// partition attribute is a non-empty string.
struct IndexSchema {
  std::string name;       // e.g. "owner-created-index"
  std::string partition;  // e.g. "ownerId"; empty: every item
  // The partition value is matched with ASCII letters folded to lower case (an email address);
  // other characters match exactly.
  bool fold_case = false;
};

struct TableSchema {
  std::string name;                  // e.g. "users"
  std::string key;                   // partition key attribute, a string
  std::vector<IndexSchema> indexes;  // secondary indexes, all ordered by created_attribute
  std::string ttl_attribute;         // epoch seconds; empty = no TTL
  std::string created_attribute = "createdAt";  // epoch seconds, set once when an item is made
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

// Where an item stands in an index's order: its created time and key. A listing continues after
// the position of the last item it returned, so a page never depends on how the adapter paged.
struct ListPosition {
  std::int64_t created = 0;
  std::string key;
  friend bool operator==(const ListPosition&, const ListPosition&) = default;
};

// An attribute an item must have, with this (string) value.
struct AttributeEquals {
  std::string attribute;
  std::string value;
};

struct ListQuery {
  std::string index = {};                                // index name from the schema
  std::string equals = {};                               // partition value (none: all-items index)
  std::size_t limit = 25;                                // at least 1
  std::optional<ListPosition> after = std::nullopt;      // only items after this position
  std::optional<AttributeEquals> filter = std::nullopt;  // only items that also match this
};

// One page of a listing, at most `limit` visible items in index order. `next` is set exactly
// when a further page may hold items: always when a visible item beyond the page was seen (look
// ahead: the next page is not empty), and when the adapter stopped at its read budget before
// knowing (then the page may be short, even empty, and the position is the last item read).
struct ListPage {
  std::vector<Item> items;
  std::optional<ListPosition> next;
};

// The same page as JSON text: the items' texts joined by commas (a JSON array's elements, as a
// response sends them).
struct ListPageJson {
  std::string items;
  std::size_t count = 0;
  std::optional<ListPosition> next;
};

// One page of a scan (every item, in no particular order). `next_cursor` is set when more items
// may follow; it is an adapter-defined string that only the same adapter can read back.
struct Page {
  std::vector<Item> items;
  std::optional<std::string> next_cursor;
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

  // The same item as its JSON text (a response body as is): get() serialized by default; an
  // adapter that keeps items as text (SQLite, its cache) answers without a parse/serialize
  // round trip (two thirds of a cached GET's work, measured). Parses to what get() returns.
  virtual StoreResult<std::optional<std::string>> get_json(std::string_view key) {
    auto item = get(key);
    if (!item) return std::unexpected(item.error());
    if (!*item) return std::optional<std::string>();
    return std::optional<std::string>(boost::json::serialize(**item));
  }

  // Stores `item` only if no (visible) item has its key: `attribute_not_exists(key)`.
  virtual StoreResult<PutResult> put_if_absent(const Item& item) = 0;

  // put_if_absent for a caller that must not wait: `done` gets the same result, exactly once,
  // maybe later and on another thread. The default calls put_if_absent and completes before it
  // returns (so it waits after all); an adapter whose writes complete on their own (SQLite's
  // group commit) overrides it. `done` must be short: it may run on the adapter's thread.
  using PutDone = std::function<void(StoreResult<PutResult>)>;
  // Both by value: an override keeps them until its write completes, and moves the item into
  // the result (no copy between the handler, the write and the answer).
  virtual void put_if_absent_async(Item item,       // NOLINT(performance-unnecessary-value-param)
                                   PutDone done) {  // NOLINT(performance-unnecessary-value-param)
    done(put_if_absent(item));
  }

  // Applies `update` only if the item exists (`attribute_exists(key)`), returning the new item;
  // nullopt when it does not exist, in which case nothing is written.
  virtual StoreResult<std::optional<Item>> update_if_exists(std::string_view key,
                                                            const ItemUpdate& update) = 0;

  // Deletes the item; true if a (visible) item was deleted.
  virtual StoreResult<bool> remove(std::string_view key) = 0;

  // update_if_exists and remove for a caller that must not wait, as put_if_absent_async: `done`
  // gets the same result exactly once, maybe later and on the adapter's thread; the defaults
  // complete before they return.
  using UpdateDone = std::function<void(StoreResult<std::optional<Item>>)>;
  using RemoveDone = std::function<void(StoreResult<bool>)>;
  virtual void update_if_exists_async(
      std::string key,    // NOLINT(performance-unnecessary-value-param)
      ItemUpdate update,  // NOLINT(performance-unnecessary-value-param)
      UpdateDone done) {  // NOLINT(performance-unnecessary-value-param)
    done(update_if_exists(key, update));
  }
  virtual void remove_async(std::string key,    // NOLINT(performance-unnecessary-value-param)
                            RemoveDone done) {  // NOLINT(performance-unnecessary-value-param)
    done(remove(key));
  }

  // A page of an index, in its order (IndexSchema). Expired items never appear, and a page
  // filtered so still fills up to `limit` while the read budget lasts. An unknown index is an
  // internal error.
  virtual StoreResult<ListPage> list(const ListQuery& query) = 0;

  // list() as JSON text: list() serialized by default; an adapter that keeps items as text
  // (SQLite) answers without a parse/serialize round trip (60 % of a 25-item page's
  // instructions, measured). `"[" + items + "]"` parses to the items list() returns.
  virtual StoreResult<ListPageJson> list_json(const ListQuery& query) {
    auto page = list(query);
    if (!page) return std::unexpected(page.error());
    ListPageJson out{{}, page->items.size(), std::move(page->next)};
    for (const auto& item : page->items) {
      if (!out.items.empty()) out.items += ',';
      out.items += boost::json::serialize(item);
    }
    return out;
  }

  // All items, a page at a time, in no particular order (tests, maintenance; not for requests).
  virtual StoreResult<Page> scan(const ScanRequest& request) = 0;
};

}  // namespace sbapi
