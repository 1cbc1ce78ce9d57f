#include "adapters/aws/dynamodb_client.h"

#include <boost/json/array.hpp>

#include <utility>

#include "adapters/aws/attribute_value.h"

namespace sbapi::aws {
namespace {

namespace json = boost::json;

constexpr std::string_view kServiceName = "DynamoDB";

DynamoError protocol_error(std::string message) {
  DynamoError e;
  e.kind = DynamoError::Kind::kProtocol;
  e.service = kServiceName;
  e.message = std::move(message);
  return e;
}

std::string string_member(const json::object& object, std::string_view name) {
  const auto* v = object.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// Adds ExpressionAttributeNames / ExpressionAttributeValues when there are any.
std::expected<void, DynamoError> add_expression_maps(json::object& body, const NameMap& names,
                                                     const ValueMap& values) {
  if (!names.empty()) {
    json::object n;
    for (const auto& [placeholder, name] : names) n.emplace(placeholder, name);
    body.emplace("ExpressionAttributeNames", std::move(n));
  }
  if (!values.empty()) {
    auto v = to_attribute_map(values);
    if (!v) return std::unexpected(protocol_error("expression value " + v.error()));
    body.emplace("ExpressionAttributeValues", std::move(*v));
  }
  return {};
}

std::expected<json::object, DynamoError> marshal(const json::object& item, std::string_view what) {
  auto m = to_attribute_map(item);
  if (!m) return std::unexpected(protocol_error(std::string(what) + ": " + m.error()));
  return std::move(*m);
}

// An optional attribute map member of a response, unmarshalled.
std::expected<std::optional<json::object>, DynamoError> unmarshal_member(
    const json::object& response, std::string_view member) {
  const auto* v = response.if_contains(member);
  if (v == nullptr || v->is_null()) return std::optional<json::object>{};
  if (!v->is_object())
    return std::unexpected(protocol_error(std::string(member) + " is not a map"));
  auto item = from_attribute_map(v->get_object());
  if (!item) return std::unexpected(protocol_error(std::string(member) + ": " + item.error()));
  return std::optional<json::object>(std::move(*item));
}

std::expected<ItemsPage, DynamoError> read_page(const json::object& response) {
  ItemsPage page;
  if (const auto* items = response.if_contains("Items")) {
    if (!items->is_array()) return std::unexpected(protocol_error("Items is not a list"));
    for (const auto& raw : items->get_array()) {
      if (!raw.is_object()) return std::unexpected(protocol_error("an item is not a map"));
      auto item = from_attribute_map(raw.get_object());
      if (!item) return std::unexpected(protocol_error("item: " + item.error()));
      page.items.push_back(std::move(*item));
    }
  }
  auto last = unmarshal_member(response, "LastEvaluatedKey");
  if (!last) return std::unexpected(last.error());
  page.last_evaluated_key = std::move(*last);
  return page;
}

// A write whose ConditionExpression failed is a result: the old item may come with it.
std::expected<WriteOutcome, DynamoError> write_outcome(DynamoResult<json::object> response,
                                                       std::string_view item_member) {
  if (!response) {
    if (response.error().kind == DynamoError::Kind::kService &&
        response.error().type == "ConditionalCheckFailedException") {
      WriteOutcome outcome{true, std::nullopt};
      if (auto old = unmarshal_member(response.error().body, "Item"); old) {
        outcome.item = std::move(*old);
      }
      return outcome;
    }
    return std::unexpected(std::move(response.error()));
  }
  auto item = unmarshal_member(*response, item_member);
  if (!item) return std::unexpected(item.error());
  return WriteOutcome{false, std::move(*item)};
}

json::array attribute_definitions(const std::vector<AttributeDefinition>& attributes) {
  json::array definitions;
  for (const auto& a : attributes) {
    definitions.push_back(json::object{{"AttributeName", a.name}, {"AttributeType", a.type}});
  }
  return definitions;
}

json::object index_json(const GlobalIndexDefinition& index) {
  json::array key_schema{json::object{{"AttributeName", index.hash_key}, {"KeyType", "HASH"}}};
  if (!index.range_key.empty()) {
    key_schema.push_back(json::object{{"AttributeName", index.range_key}, {"KeyType", "RANGE"}});
  }
  json::object out{{"IndexName", index.name},
                   {"KeySchema", std::move(key_schema)},
                   {"Projection", json::object{{"ProjectionType", "ALL"}}}};
  if (index.read_capacity > 0 && index.write_capacity > 0) {
    out.emplace("ProvisionedThroughput",
                json::object{{"ReadCapacityUnits", index.read_capacity},
                             {"WriteCapacityUnits", index.write_capacity}});
  }
  return out;
}

}  // namespace

std::string default_dynamodb_endpoint(std::string_view region) {
  std::string host = "https://dynamodb." + std::string(region) + ".amazonaws.com";
  if (region.starts_with("cn-")) host += ".cn";
  return host;
}

AwsJsonProtocol dynamodb_protocol() {
  AwsJsonProtocol protocol;
  protocol.service_name = std::string(kServiceName);
  protocol.signing_name = "dynamodb";
  protocol.target_prefix = "DynamoDB_20120810.";
  protocol.json_version = "1.0";
  protocol.json_errors_only = true;
  return protocol;
}

DynamoDbClient::DynamoDbClient(DynamoDbConfig config, std::shared_ptr<Transport> transport,
                               RetryPolicy retry_policy, RetryHooks retry_hooks, const Clock* clock)
    : client_(dynamodb_protocol(), std::move(config), std::move(transport), retry_policy,
              std::move(retry_hooks), clock) {}

DynamoResult<std::optional<json::object>> DynamoDbClient::get_item(const GetItemRequest& request) {
  auto key = marshal(request.key, "key");
  if (!key) return std::unexpected(key.error());
  json::object body{{"TableName", request.table},
                    {"Key", std::move(*key)},
                    {"ConsistentRead", request.consistent_read}};
  auto response = call("GetItem", body);
  if (!response) return std::unexpected(std::move(response.error()));
  return unmarshal_member(*response, "Item");
}

DynamoResult<WriteOutcome> DynamoDbClient::put_item(const PutItemRequest& request) {
  auto item = marshal(request.item, "item");
  if (!item) return std::unexpected(item.error());
  json::object body{{"TableName", request.table}, {"Item", std::move(*item)}};
  if (!request.condition.empty()) body.emplace("ConditionExpression", request.condition);
  if (auto r = add_expression_maps(body, request.names, request.values); !r) {
    return std::unexpected(r.error());
  }
  if (request.return_old_on_condition_failure) {
    body.emplace("ReturnValuesOnConditionCheckFailure", "ALL_OLD");
  }
  return write_outcome(call("PutItem", body), "Attributes");
}

DynamoResult<WriteOutcome> DynamoDbClient::update_item(const UpdateItemRequest& request) {
  auto key = marshal(request.key, "key");
  if (!key) return std::unexpected(key.error());
  json::object body{{"TableName", request.table}, {"Key", std::move(*key)}};
  if (!request.update.empty()) body.emplace("UpdateExpression", request.update);
  if (!request.condition.empty()) body.emplace("ConditionExpression", request.condition);
  if (auto r = add_expression_maps(body, request.names, request.values); !r) {
    return std::unexpected(r.error());
  }
  body.emplace("ReturnValues", request.return_values);
  return write_outcome(call("UpdateItem", body), "Attributes");
}

DynamoResult<WriteOutcome> DynamoDbClient::delete_item(const DeleteItemRequest& request) {
  auto key = marshal(request.key, "key");
  if (!key) return std::unexpected(key.error());
  json::object body{{"TableName", request.table}, {"Key", std::move(*key)}};
  if (!request.condition.empty()) body.emplace("ConditionExpression", request.condition);
  if (auto r = add_expression_maps(body, request.names, request.values); !r) {
    return std::unexpected(r.error());
  }
  body.emplace("ReturnValues", request.return_values);
  return write_outcome(call("DeleteItem", body), "Attributes");
}

DynamoResult<ItemsPage> DynamoDbClient::query(const QueryItemsRequest& request) {
  json::object body{{"TableName", request.table},
                    {"KeyConditionExpression", request.key_condition}};
  if (!request.index.empty()) body.emplace("IndexName", request.index);
  if (!request.filter.empty()) body.emplace("FilterExpression", request.filter);
  if (auto r = add_expression_maps(body, request.names, request.values); !r) {
    return std::unexpected(r.error());
  }
  if (request.limit) body.emplace("Limit", *request.limit);
  if (request.exclusive_start_key) {
    auto start = marshal(*request.exclusive_start_key, "ExclusiveStartKey");
    if (!start) return std::unexpected(start.error());
    body.emplace("ExclusiveStartKey", std::move(*start));
  }
  if (request.consistent_read) body.emplace("ConsistentRead", true);
  if (!request.scan_forward) body.emplace("ScanIndexForward", false);
  auto response = call("Query", body);
  if (!response) return std::unexpected(std::move(response.error()));
  return read_page(*response);
}

DynamoResult<ItemsPage> DynamoDbClient::scan(const ScanItemsRequest& request) {
  json::object body{{"TableName", request.table}};
  if (!request.filter.empty()) body.emplace("FilterExpression", request.filter);
  if (auto r = add_expression_maps(body, request.names, request.values); !r) {
    return std::unexpected(r.error());
  }
  if (request.limit) body.emplace("Limit", *request.limit);
  if (request.exclusive_start_key) {
    auto start = marshal(*request.exclusive_start_key, "ExclusiveStartKey");
    if (!start) return std::unexpected(start.error());
    body.emplace("ExclusiveStartKey", std::move(*start));
  }
  if (request.consistent_read) body.emplace("ConsistentRead", true);
  auto response = call("Scan", body);
  if (!response) return std::unexpected(std::move(response.error()));
  return read_page(*response);
}

DynamoResult<void> DynamoDbClient::create_table(const CreateTableRequest& request) {
  json::object body{{"TableName", request.table},
                    {"AttributeDefinitions", attribute_definitions(request.attributes)},
                    {"KeySchema", json::array{json::object{{"AttributeName", request.hash_key},
                                                           {"KeyType", "HASH"}}}},
                    {"BillingMode", "PAY_PER_REQUEST"}};
  if (!request.indexes.empty()) {
    json::array indexes;
    for (const auto& index : request.indexes) indexes.push_back(index_json(index));
    body.emplace("GlobalSecondaryIndexes", std::move(indexes));
  }
  auto response = call("CreateTable", body);
  if (!response) return std::unexpected(std::move(response.error()));
  return {};
}

DynamoResult<void> DynamoDbClient::add_global_index(
    std::string_view table, const std::vector<AttributeDefinition>& attributes,
    const GlobalIndexDefinition& index) {
  json::object body{
      {"TableName", table},
      {"AttributeDefinitions", attribute_definitions(attributes)},
      {"GlobalSecondaryIndexUpdates", json::array{json::object{{"Create", index_json(index)}}}}};
  auto response = call("UpdateTable", body);
  if (!response) return std::unexpected(std::move(response.error()));
  return {};
}

DynamoResult<TableDescription> DynamoDbClient::describe_table(std::string_view table) {
  auto response = call("DescribeTable", json::object{{"TableName", table}});
  if (!response) return std::unexpected(std::move(response.error()));
  const auto* t = response->if_contains("Table");
  if (t == nullptr || !t->is_object()) {
    return std::unexpected(protocol_error("DescribeTable without Table"));
  }
  return TableDescription{string_member(t->get_object(), "TableStatus"), t->get_object()};
}

DynamoResult<void> DynamoDbClient::update_time_to_live(std::string_view table,
                                                       std::string_view attribute, bool enabled) {
  json::object body{{"TableName", table},
                    {"TimeToLiveSpecification",
                     json::object{{"Enabled", enabled}, {"AttributeName", attribute}}}};
  auto response = call("UpdateTimeToLive", body);
  if (!response) return std::unexpected(std::move(response.error()));
  return {};
}

DynamoResult<std::string> DynamoDbClient::describe_time_to_live(std::string_view table) {
  auto response = call("DescribeTimeToLive", json::object{{"TableName", table}});
  if (!response) return std::unexpected(std::move(response.error()));
  const auto* d = response->if_contains("TimeToLiveDescription");
  if (d == nullptr || !d->is_object()) return std::string("DISABLED");
  auto status = string_member(d->get_object(), "TimeToLiveStatus");
  return status.empty() ? std::string("DISABLED") : status;
}

}  // namespace sbapi::aws
