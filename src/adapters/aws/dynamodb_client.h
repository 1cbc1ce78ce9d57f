// A DynamoDB client: the JSON 1.0 protocol over a `Transport`, SigV4-signed, with retries.
//
// Contract
// - Every call is one logical operation of an `AwsJsonClient` (aws_json_client.h) for
//   `dynamodb_protocol()`: POST / with `X-Amz-Target: DynamoDB_20120810.<Op>`,
//   `Content-Type: application/x-amz-json-1.0`, signed for service "dynamodb" (plus
//   X-Amz-Security-Token under temporary credentials), retried by `Retrier` on throttling
//   (ProvisionedThroughputExceededException, ThrottlingException, RequestLimitExceeded,
//   TooManyRequestsException, HTTP 429), HTTP 5xx, connection errors and timeouts. Each attempt
//   is re-signed (its time changes) and given at most what is left before the deadline.
// - Items, keys and expression values are plain JSON here (`{"userId": "u1"}`); marshalling to
//   AttributeValues happens inside (attribute_value.h).
// - A failed ConditionExpression is a result (`condition_failed`), not an error. Any other
//   service error is a `DynamoError` (service "DynamoDB") carrying the `__type` after '#', e.g.
//   "ResourceNotFoundException" for a missing table; the type and message come from the JSON
//   body only.
// - Thread-safe; exceptions never escape.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/aws/aws_json_client.h"

namespace sbapi::aws {

using DynamoError = AwsJsonError;

template <typename T>
using DynamoResult = AwsJsonResult<T>;

// Expression attribute names (#n → name) and values (:v → plain JSON value).
using NameMap = std::map<std::string, std::string>;
using ValueMap = boost::json::object;

struct GetItemRequest {
  std::string table;
  boost::json::object key;
  bool consistent_read = true;
};

struct PutItemRequest {
  std::string table;
  boost::json::object item;
  std::string condition;  // empty = unconditional
  NameMap names;
  ValueMap values;
  // ReturnValuesOnConditionCheckFailure ALL_OLD: the item that made the condition fail.
  bool return_old_on_condition_failure = true;
};

struct UpdateItemRequest {
  std::string table;
  boost::json::object key;
  std::string update;  // "SET #a = :a REMOVE #b"
  std::string condition;
  NameMap names;
  ValueMap values;
  std::string return_values = "ALL_NEW";  // NONE | ALL_OLD | UPDATED_OLD | ALL_NEW | UPDATED_NEW
};

struct DeleteItemRequest {
  std::string table;
  boost::json::object key;
  std::string condition;
  NameMap names;
  ValueMap values;
  std::string return_values = "ALL_OLD";  // NONE | ALL_OLD
};

// The outcome of a (conditional) write. `item`: PutItem → the existing item when the condition
// failed (if the endpoint returns it); UpdateItem → the attributes asked for by ReturnValues;
// DeleteItem → the deleted item (ALL_OLD), absent when there was none.
struct WriteOutcome {
  bool condition_failed = false;
  std::optional<boost::json::object> item;
};

struct QueryItemsRequest {
  std::string table;
  std::string index;          // empty = the table itself
  std::string key_condition;  // "#k = :k"
  std::string filter;         // empty = none
  NameMap names;
  ValueMap values;
  std::optional<std::int64_t> limit;  // items *evaluated* (before the filter), as DynamoDB
  std::optional<boost::json::object> exclusive_start_key;
  bool consistent_read = false;
  bool scan_forward = true;  // false: the RANGE key descending (ScanIndexForward)
};

struct ScanItemsRequest {
  std::string table;
  std::string filter;
  NameMap names;
  ValueMap values;
  std::optional<std::int64_t> limit;
  std::optional<boost::json::object> exclusive_start_key;
  bool consistent_read = false;
};

struct ItemsPage {
  std::vector<boost::json::object> items;
  std::optional<boost::json::object> last_evaluated_key;
};

struct AttributeDefinition {
  std::string name;
  std::string type;  // "S" | "N" | "B"
};

struct GlobalIndexDefinition {
  std::string name;
  std::string hash_key;   // projection ALL
  std::string range_key;  // empty = none
  // > 0: sent as its ProvisionedThroughput (an index added to a provisioned table needs one).
  std::int64_t read_capacity = 0;
  std::int64_t write_capacity = 0;
};

struct CreateTableRequest {
  std::string table;
  std::string hash_key;
  std::vector<AttributeDefinition> attributes;  // the key's and every index key's
  std::vector<GlobalIndexDefinition> indexes;
};  // always BillingMode PAY_PER_REQUEST

struct TableDescription {
  std::string status;  // CREATING | ACTIVE | UPDATING | DELETING | ...
  boost::json::object raw;
};

// endpoint ("https://dynamodb.eu-west-1.amazonaws.com", "http://127.0.0.1:8000"), region, keys.
using DynamoDbConfig = AwsServiceEndpoint;

// The DynamoDB flavour of the JSON protocol (service names, target prefix, 1.0).
AwsJsonProtocol dynamodb_protocol();

// The public AWS endpoint for a region: https://dynamodb.<region>.amazonaws.com (".cn" suffix in
// China regions).
std::string default_dynamodb_endpoint(std::string_view region);

class DynamoDbClient {
 public:
  // `clock` supplies the signing time (epoch seconds); it must outlive the client. nullptr = the
  // system clock.
  DynamoDbClient(DynamoDbConfig config, std::shared_ptr<Transport> transport,
                 RetryPolicy retry_policy = {}, RetryHooks retry_hooks = {},
                 const Clock* clock = nullptr);

  DynamoResult<std::optional<boost::json::object>> get_item(const GetItemRequest& request);
  DynamoResult<WriteOutcome> put_item(const PutItemRequest& request);
  DynamoResult<WriteOutcome> update_item(const UpdateItemRequest& request);
  DynamoResult<WriteOutcome> delete_item(const DeleteItemRequest& request);
  DynamoResult<ItemsPage> query(const QueryItemsRequest& request);
  DynamoResult<ItemsPage> scan(const ScanItemsRequest& request);

  DynamoResult<void> create_table(const CreateTableRequest& request);
  // UpdateTable adding one GSI (DynamoDB adds at most one per call); `attributes` defines its
  // key attributes.
  DynamoResult<void> add_global_index(std::string_view table,
                                      const std::vector<AttributeDefinition>& attributes,
                                      const GlobalIndexDefinition& index);
  DynamoResult<TableDescription> describe_table(std::string_view table);
  DynamoResult<void> update_time_to_live(std::string_view table, std::string_view attribute,
                                         bool enabled);
  // "ENABLED", "DISABLED", "ENABLING", "DISABLING"
  DynamoResult<std::string> describe_time_to_live(std::string_view table);

  // One raw call: the request body in DynamoDB JSON (AttributeValues as the protocol wants),
  // the parsed response body. With retries. Used by the typed calls and by tests.
  DynamoResult<boost::json::object> call(std::string_view operation,
                                         const boost::json::object& body) {
    return client_.call(operation, body);
  }

  // The HTTP request (signed for the time `epoch_seconds`) that `call` would send. For tests.
  [[nodiscard]] HttpRequest build_request(std::string_view operation, std::string body,
                                          std::int64_t epoch_seconds) const {
    return client_.build_request(operation, std::move(body), epoch_seconds);
  }

  [[nodiscard]] const DynamoDbConfig& config() const { return client_.endpoint(); }

 private:
  AwsJsonClient client_;
};

}  // namespace sbapi::aws
