// DynamoDB adapter of the `Table` port, and table setup for `sbapi create-tables`.
//
// Contract (the SQLite adapter's semantics, on DynamoDB)
// - One DynamoDB table per schema, named `schema.name`; partition key `schema.key` (S); one GSI
//   per index (hash key only, projection ALL) with the index's key type (S or N).
// - An item is expired when its TTL attribute is a number ≤ clock.now_seconds(); expired items
//   are invisible to every read, cannot be updated or removed, and do not block put_if_absent
//   (`attribute_not_exists(#k) OR #ttl <= :now`). DynamoDB deletes them only eventually.
// - get is a consistent read; put_if_absent, update_if_exists and remove are single conditional
//   writes, so they are atomic per item (an update never resurrects a deleted item).
// - query/scan return up to `limit` visible items and a cursor when more may follow: the
//   base64url of the JSON of the last returned item's key (plus the index attribute for a
//   query), readable only by this adapter for the same query. A malformed or foreign cursor is a
//   kInternal error whose detail starts with "invalid cursor". Index queries are eventually
//   consistent (GSIs are, on DynamoDB) and their order is DynamoDB's, not the key order.
// - Failures: a retryable DynamoDB failure still failing after the client's retries (throttling,
//   5xx, connection errors, timeouts) → kUnavailable; anything else, including a missing table
//   (ResourceNotFoundException: "run sbapi create-tables") → kInternal.
// - Thread-safe when the client is (it is).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "adapters/aws/dynamodb_client.h"
#include "core/clock.h"
#include "core/table.h"

namespace sbapi::aws {

// DynamoDB's key type of an index: "N" or "S".
std::string index_attribute_type(const IndexSchema& index);

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
  StoreResult<Page> query(const IndexQuery& query) override;
  StoreResult<Page> scan(const ScanRequest& request) override;

 private:
  using Fetch = std::function<DynamoResult<ItemsPage>(std::int64_t limit,
                                                      std::optional<boost::json::object> start)>;
  StoreResult<Page> collect_page(const Fetch& fetch, std::size_t limit,
                                 std::optional<boost::json::object> start,
                                 const std::string* index_attribute, std::string_view context);
  [[nodiscard]] bool visible(const Item& item, std::int64_t now) const;

  std::shared_ptr<DynamoDbClient> client_;
  TableSchema schema_;
  const Clock& clock_;
};

struct EnsureTableOptions {
  std::chrono::milliseconds timeout{120'000};  // for the table (and its indexes) to be ACTIVE
  std::chrono::milliseconds poll_interval{250};
  std::function<void(std::chrono::milliseconds)> sleep;  // default: this_thread::sleep_for
};

struct EnsureTableResult {
  bool created = false;  // false: the table already existed (with the expected key and indexes)
  enum class Ttl { kEnabled, kAlreadyEnabled, kNotSupported, kNotConfigured };
  Ttl ttl = Ttl::kNotConfigured;
  std::string note;  // one human-readable line for the CLI, e.g. TTL "not supported" and why
};

// Creates the schema's table if missing (on demand, key + GSI attribute definitions), waits until
// it and its indexes are ACTIVE, and enables TTL on `schema.ttl_attribute` — reported as
// kNotSupported instead of failing where the endpoint has no UpdateTimeToLive (dynalite). Safe
// to run twice and concurrently. An existing table with another key or without an index is an
// error naming the difference (nothing is changed).
StoreResult<EnsureTableResult> ensure_table(DynamoDbClient& client, const TableSchema& schema,
                                            const EnsureTableOptions& options = {});

// A client over a new CurlTransport.
std::shared_ptr<DynamoDbClient> make_dynamodb_client(DynamoDbConfig config,
                                                     CurlTransportOptions transport = {},
                                                     RetryPolicy retry = {});

}  // namespace sbapi::aws
