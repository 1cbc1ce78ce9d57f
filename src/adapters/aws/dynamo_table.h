// DynamoDB adapter of the `Table` port, and table setup for `sbapi create-tables`.
//
// Contract (the SQLite adapter's semantics, on DynamoDB)
// - One DynamoDB table per schema, named `schema.name`; partition key `schema.key` (S).
// - An item is expired when its TTL attribute is a number ≤ clock.now_seconds(); expired items
//   are invisible to every read, cannot be updated or removed, and do not block put_if_absent
//   (`attribute_not_exists(#k) OR #ttl <= :now`). DynamoDB deletes them only eventually.
// - get is a consistent read; put_if_absent, update_if_exists and remove are single conditional
//   writes, so they are atomic per item (an update never resurrects a deleted item).
//
// Indexes (one GSI per IndexSchema, projection ALL, HASH + RANGE, both S)
// - RANGE is always `gsiOrder`; HASH is `gsiAll` for an index without a partition, `<p>Lower`
//   for a fold_case index on attribute p (e.g. `emailLower`), else p itself (e.g. `ownerId`).
//   users: email-created-index (emailLower), all-created-index (gsiAll); assets:
//   owner-created-index (ownerId), status-created-index (status), all-created-index (gsiAll).
// - Derived attributes, written by every write and stripped from every item returned (get, put,
//   update, list, scan); their names are the adapter's (a caller's values for them are ignored):
//   `gsiOrder` = created as 19 zero-padded decimal digits, '#', the key
//   ("0000000001764756000#alice"), so byte order is (created, key) order, as on SQLite;
//   `gsiAll` = "all". Both only when created is a whole number in [0, 2^63) (integral doubles
//   count: DynamoDB's N cannot tell 5.0 from 5), else the item is in no index (sparse).
//   `<p>Lower` = p with A–Z folded (SQLite's lower()), only when p is a non-empty string.
//   A derived value DynamoDB would refuse as a key (gsiOrder over 1024 bytes, `<p>Lower` over
//   2048) is not written: that item is not listed, but stored.
//   An update that sets or removes a source attribute (created, a folded p) sets or removes its
//   derived attributes in the same UpdateItem: no read, still one atomic write.
//   A non-folded partition attribute is itself a GSI key: DynamoDB refuses an item whose value
//   there is not a non-empty string (ValidationException → kInternal).
// - list(q): Query on the index, newest first (ScanIndexForward=false), `#hash = :v` plus
//   `AND gsiOrder < :after` for `q.after`; FilterExpression: not expired, and `q.filter` (one on
//   a key attribute, which DynamoDB refuses there, is applied by the adapter). An empty partition
//   value (or one longer than a key may be), or an `after` no indexed item can follow (created
//   < 0), is an empty page without a request.
//   Look ahead: items are collected until limit+1 visible ones are held (then `next` = the
//   position of the page's last item) or the index ends (no `next`): a page never points at an
//   empty one. Read budget: at most kMaxRequestsPerPage Query requests per page, the first asking
//   for limit+1 items, each later one (needed only when the filter dropped items, or a response
//   hit DynamoDB's 1 MB cap) for max(still needed + 1, 100); when the budget runs out first,
//   `next` is the position of the last item read (from LastEvaluatedKey) and the page may be
//   short, even empty.
//   Positions come from gsiOrder, parsed strictly (19 digits, '#', the item's own key): an item
//   in an index without such a gsiOrder was not written by this adapter, and listing it is a
//   kInternal error naming the key (never a guessed position).
//   Index reads are eventually consistent (a GSI has no consistent read): a write may take a
//   moment (typically well under a second) to be listed, and a walk over pages may miss an item
//   written or see one deleted within that window before the page was read. The peers (moto,
//   dynalite) are consistent, and the contract suite checks the strict rule on them.
// - scan returns up to `limit` visible items and a cursor when more may follow: the base64url of
//   the JSON of the last returned item's key, readable only by this adapter. A malformed cursor
//   is a kInternal error whose detail starts with "invalid cursor". Same read budget.
// - Failures: a retryable DynamoDB failure still failing after the client's retries (throttling,
//   5xx, connection errors, timeouts) → kUnavailable; anything else, including a missing table
//   (ResourceNotFoundException: "run sbapi create-tables") or an unknown index → kInternal.
// - Thread-safe when the client is (it is).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/aws/dynamodb_client.h"
#include "core/clock.h"
#include "core/table.h"

namespace sbapi::aws {

// Query requests one list or scan page may make before it returns short (with a position).
inline constexpr int kMaxRequestsPerPage = 8;

inline constexpr std::string_view kOrderAttribute = "gsiOrder";  // every index's RANGE key
inline constexpr std::string_view kAllAttribute = "gsiAll";      // HASH of unpartitioned ones
inline constexpr std::string_view kAllValue = "all";

// An index's DynamoDB key attributes (both of type S).
struct IndexKeys {
  std::string hash;
  std::string range;
};
IndexKeys index_keys(const IndexSchema& index);

// gsiOrder of a position ("0000000001764756000#alice"); `created` must be ≥ 0.
std::string order_value(std::int64_t created, std::string_view key);
// The position a gsiOrder value encodes, or nullopt unless it is exactly order_value's form.
std::optional<ListPosition> parse_order_value(std::string_view value);

// The item as stored: `item` with its derived attributes (set or removed as the contract says).
Item with_derived_attributes(const Item& item, const TableSchema& schema);
// Removes the derived attributes from an item read from DynamoDB.
void strip_derived_attributes(Item& item, const TableSchema& schema);

// The StoreError for a DynamoError (see the contract).
StoreError to_store_error(const DynamoError& error, std::string_view context);

class DynamoTable final : public Table {
 public:
  // `clock` must outlive the table; it decides which items are expired.
  DynamoTable(std::shared_ptr<DynamoDbClient> client, TableSchema schema, const Clock& clock);

  [[nodiscard]] const TableSchema& schema() const override { return schema_; }
  StoreResult<std::optional<Item>> get(std::string_view key) override;
  StoreResult<PutResult> put_if_absent(const Item& item) override;
  StoreResult<std::optional<Item>> update_if_exists(std::string_view key,
                                                    const ItemUpdate& update) override;
  StoreResult<bool> remove(std::string_view key) override;
  StoreResult<ListPage> list(const ListQuery& query) override;
  StoreResult<Page> scan(const ScanRequest& request) override;

 private:
  [[nodiscard]] bool visible(const Item& item, std::int64_t now) const;

  std::shared_ptr<DynamoDbClient> client_;
  TableSchema schema_;
  const Clock& clock_;
};

struct EnsureTableOptions {
  std::chrono::milliseconds timeout{120'000};  // for the table (and its indexes) to be ACTIVE
  std::chrono::milliseconds poll_interval{250};
  std::function<void(std::chrono::milliseconds)> sleep;  // default: this_thread::sleep_for
  // For an existing table: back-fill the derived attributes of its items (always: items written
  // by older code lack them even when the indexes exist), then add the schema's missing indexes
  // instead of refusing the table (one UpdateTable at a time, each waited for until ACTIVE;
  // `timeout` applies to each). `progress` gets one line per step.
  bool migrate = false;
  std::function<void(const std::string&)> progress;
};

struct EnsureTableResult {
  bool created = false;  // false: the table already existed (with the expected key and indexes)
  enum class Ttl { kEnabled, kAlreadyEnabled, kNotSupported, kNotConfigured };
  Ttl ttl = Ttl::kNotConfigured;
  std::string note;                        // one human-readable line for the CLI, e.g. TTL
  std::vector<std::string> added_indexes;  // by a migration
  std::size_t backfilled = 0;              // items a migration gave derived attributes
};

// Creates the schema's table if missing (on demand, key + every index key attribute defined),
// waits until it and its indexes are ACTIVE, and enables TTL on `schema.ttl_attribute` —
// reported as kNotSupported instead of failing where the endpoint has no UpdateTimeToLive
// (dynalite). Safe to run twice and concurrently. An existing table with another key, or an
// index missing or keyed otherwise, is an error naming the difference (nothing is changed); a
// missing index points to docs/deploy.md ("Migrating the indexes") and `--migrate`, which
// adds it (options.migrate; an index keyed otherwise is never replaced).
StoreResult<EnsureTableResult> ensure_table(DynamoDbClient& client, const TableSchema& schema,
                                            const EnsureTableOptions& options = {});

// Gives every item of the table the derived attributes it should have (Scan, then one
// UpdateItem per item that lacks them, conditional on the item and its created value being
// unchanged: `attribute_exists(key) AND created = :seen`, so a concurrent write wins). Returns
// the number of items updated. Run by a migration; safe to run again.
StoreResult<std::size_t> backfill_derived_attributes(DynamoDbClient& client,
                                                     const TableSchema& schema);

// A client over a new CurlTransport.
std::shared_ptr<DynamoDbClient> make_dynamodb_client(DynamoDbConfig config,
                                                     CurlTransportOptions transport = {},
                                                     RetryPolicy retry = {});

}  // namespace sbapi::aws
