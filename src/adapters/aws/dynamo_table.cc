#include "adapters/aws/dynamo_table.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <set>
#include <thread>

#include "core/base64.h"

namespace sbapi::aws {
namespace {

namespace json = boost::json;

// A put_if_absent whose blocker vanishes before we can read it is tried again this often.
constexpr int kMaxPutAttempts = 8;
// A page whose items were mostly filtered out (expired) is topped up with at most this many
// requests; then it is returned short, with a cursor.
constexpr int kMaxRequestsPerPage = 8;
constexpr std::size_t kMaxCursorLength = 4096;

StoreError internal(std::string detail) { return {StoreError::Kind::kInternal, std::move(detail)}; }

// Placeholders for expression attribute names and values: one per distinct name.
class Expressions {
 public:
  std::string name(const std::string& attribute) {
    for (const auto& [placeholder, existing] : names_) {
      if (existing == attribute) return placeholder;
    }
    std::string placeholder = std::string("#n") + std::to_string(names_.size());
    names_.emplace(placeholder, attribute);
    return placeholder;
  }
  std::string value(json::value v) {
    std::string placeholder = std::string(":v") + std::to_string(values_.size());
    values_.emplace(placeholder, std::move(v));
    return placeholder;
  }
  NameMap& names() { return names_; }
  ValueMap& values() { return values_; }

 private:
  NameMap names_;
  ValueMap values_;
};

// "The item is expired": its TTL attribute is a number ≤ now. The attribute_type guard keeps a
// non-numeric ttl from being compared with a number (false on DynamoDB, an error on moto).
std::string expired_expression(Expressions& e, const std::string& ttl_attribute, std::int64_t now) {
  // Placeholders are numbered in order of creation, so create them in reading order.
  const std::string ttl = e.name(ttl_attribute);
  const std::string number_type = e.value("N");
  const std::string now_value = e.value(now);
  return "(attribute_type(" + ttl + ", " + number_type + ") AND " + ttl + " <= " + now_value + ")";
}

bool matches_type(const json::value& value, std::string_view type) {
  return type == "N" ? value.is_number() : value.is_string() && !value.get_string().empty();
}

// The JSON object a cursor carries, or nullopt when it is not base64url of a JSON object; the
// callers check its shape against their query.
std::optional<json::object> decode_cursor(const std::string& cursor) {
  if (cursor.size() > kMaxCursorLength) return std::nullopt;
  // Trailing bits ignored: cursors were always read so.
  const auto decoded = base64url_decode(cursor, TrailingBits::kIgnored);
  if (!decoded) return std::nullopt;
  boost::system::error_code ec;
  json::value value = json::parse(*decoded, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.get_object());
}

// The condition of writes that need a visible item: it exists and has not expired.
std::string exists_and_visible(Expressions& e, const TableSchema& schema, std::int64_t now) {
  std::string condition = "attribute_exists(" + e.name(schema.key) + ")";
  if (!schema.ttl_attribute.empty()) {
    condition += " AND NOT " + expired_expression(e, schema.ttl_attribute, now);
  }
  return condition;
}

}  // namespace

std::string index_attribute_type(const IndexSchema& index) {
  return index.type == IndexSchema::Type::kNumber ? "N" : "S";
}

StoreError to_store_error(const DynamoError& error, std::string_view context) {
  std::string detail = std::string(context) + ": " + error.describe();
  if (error.type == "ResourceNotFoundException") {
    detail += " (does the table exist? run `sbapi create-tables`)";
  }
  return {error.retryable ? StoreError::Kind::kUnavailable : StoreError::Kind::kInternal,
          std::move(detail)};
}

DynamoTable::DynamoTable(std::shared_ptr<DynamoDbClient> client, TableSchema schema,
                         const Clock& clock)
    : client_(std::move(client)), schema_(std::move(schema)), clock_(clock) {}

bool DynamoTable::visible(const Item& item, std::int64_t now) const {
  if (schema_.ttl_attribute.empty()) return true;
  const auto* ttl = item.if_contains(schema_.ttl_attribute);
  if (ttl == nullptr) return true;
  if (ttl->is_int64()) return ttl->get_int64() > now;
  if (ttl->is_uint64())
    return ttl->get_uint64() > static_cast<std::uint64_t>(std::max<std::int64_t>(now, 0));
  if (ttl->is_double()) return ttl->get_double() > static_cast<double>(now);
  return true;  // not a number: DynamoDB's TTL ignores it, so do we
}

StoreResult<std::optional<Item>> DynamoTable::get(std::string_view key) {
  auto got = client_->get_item({schema_.name, json::object{{schema_.key, key}}, true});
  if (!got) return std::unexpected(to_store_error(got.error(), schema_.name + " get"));
  if (!*got || !visible(**got, clock_.now_seconds())) return std::optional<Item>{};
  return std::move(*got);
}

StoreResult<PutResult> DynamoTable::put_if_absent(const Item& item) {
  const auto* key = item.if_contains(schema_.key);
  if (key == nullptr || !key->is_string()) {
    return std::unexpected(internal("item has no string key " + schema_.key));
  }
  for (int attempt = 0; attempt < kMaxPutAttempts; ++attempt) {
    const std::int64_t now = clock_.now_seconds();
    Expressions e;
    PutItemRequest put{schema_.name, item, "", {}, {}, true};
    put.condition = "attribute_not_exists(" + e.name(schema_.key) + ")";
    // An expired item is invisible, so it must not block the put: overwrite it.
    if (!schema_.ttl_attribute.empty()) {
      put.condition += " OR " + expired_expression(e, schema_.ttl_attribute, now);
    }
    put.names = std::move(e.names());
    put.values = std::move(e.values());
    auto outcome = client_->put_item(put);
    if (!outcome) return std::unexpected(to_store_error(outcome.error(), schema_.name + " put"));
    if (!outcome->condition_failed) return PutResult{true, item};
    // Endpoints without ReturnValuesOnConditionCheckFailure send no old item: read it.
    if (outcome->item && visible(*outcome->item, now)) {
      return PutResult{false, std::move(*outcome->item)};
    }
    auto existing = get(key->get_string());
    if (!existing) return std::unexpected(existing.error());
    if (*existing) return PutResult{false, std::move(**existing)};
    // It was deleted (or expired) in between: try the put again.
  }
  return std::unexpected(StoreError{StoreError::Kind::kUnavailable, "put_if_absent contention"});
}

StoreResult<std::optional<Item>> DynamoTable::update_if_exists(std::string_view key,
                                                               const ItemUpdate& update) {
  // The key never changes; an attribute both set and removed is set (as in the SQLite adapter);
  // DynamoDB rejects overlapping paths, so such a remove is dropped here.
  Expressions e;
  std::string set_clause, remove_clause;
  for (const auto& [name, value] : update.set) {
    if (name == schema_.key) continue;
    const std::string placeholder = e.name(std::string(name));
    set_clause += (set_clause.empty() ? "SET " : ", ") + placeholder + " = " + e.value(value);
  }
  std::set<std::string> removed;
  for (const auto& name : update.remove) {
    if (name == schema_.key || update.set.contains(name) || !removed.insert(name).second) continue;
    remove_clause += (remove_clause.empty() ? "REMOVE " : ", ") + e.name(name);
  }
  if (set_clause.empty() && remove_clause.empty()) return get(key);

  UpdateItemRequest request;
  request.table = schema_.name;
  request.key = json::object{{schema_.key, key}};
  request.update =
      set_clause + (set_clause.empty() || remove_clause.empty() ? "" : " ") + remove_clause;
  request.condition = exists_and_visible(e, schema_, clock_.now_seconds());
  request.names = std::move(e.names());
  request.values = std::move(e.values());
  request.return_values = "ALL_NEW";
  auto outcome = client_->update_item(request);
  if (!outcome) return std::unexpected(to_store_error(outcome.error(), schema_.name + " update"));
  if (outcome->condition_failed) return std::optional<Item>{};
  if (!outcome->item) return std::unexpected(internal(schema_.name + " update: no ALL_NEW item"));
  return std::optional<Item>(std::move(*outcome->item));
}

StoreResult<bool> DynamoTable::remove(std::string_view key) {
  Expressions e;
  DeleteItemRequest request;
  request.table = schema_.name;
  request.key = json::object{{schema_.key, key}};
  request.condition = exists_and_visible(e, schema_, clock_.now_seconds());
  request.names = std::move(e.names());
  request.values = std::move(e.values());
  request.return_values = "ALL_OLD";
  auto outcome = client_->delete_item(request);
  if (!outcome) return std::unexpected(to_store_error(outcome.error(), schema_.name + " remove"));
  return !outcome->condition_failed;
}

StoreResult<Page> DynamoTable::collect_page(const Fetch& fetch, std::size_t limit,
                                            std::optional<json::object> start,
                                            const std::string* index_attribute,
                                            std::string_view context) {
  limit = std::max<std::size_t>(limit, 1);
  const std::int64_t now = clock_.now_seconds();
  Page page;
  for (int request = 1;; ++request) {
    // One more than still needed: if it comes, a further page certainly exists.
    const auto want = static_cast<std::int64_t>(limit - page.items.size() + 1);
    auto fetched = fetch(want, std::move(start));
    if (!fetched) return std::unexpected(to_store_error(fetched.error(), context));
    for (auto& item : fetched->items) {
      if (visible(item, now)) page.items.push_back(std::move(item));
    }
    std::optional<json::object> next;
    if (page.items.size() > limit) {
      page.items.resize(limit);
      const Item& last = page.items.back();
      const json::value* last_key = last.if_contains(schema_.key);
      if (last_key == nullptr) {  // a peer that breaks DynamoDB's contract (found by fuzzing)
        return std::unexpected(
            StoreError{StoreError::Kind::kInternal,
                       std::string(context) + ": an item without " + schema_.key});
      }
      json::object key{{schema_.key, *last_key}};
      if (index_attribute != nullptr) {
        if (const auto* v = last.if_contains(*index_attribute)) key.emplace(*index_attribute, *v);
      }
      next = std::move(key);
    } else if (!fetched->last_evaluated_key) {
      return page;
    } else if (request < kMaxRequestsPerPage) {
      start = std::move(fetched->last_evaluated_key);
      continue;
    } else {
      next = std::move(fetched->last_evaluated_key);  // a short page; more may follow
    }
    page.next_cursor = base64url_encode(json::serialize(*next));
    return page;
  }
}

StoreResult<Page> DynamoTable::query(const IndexQuery& query) {
  auto it = std::find_if(schema_.indexes.begin(), schema_.indexes.end(),
                         [&](const IndexSchema& i) { return i.name == query.index; });
  if (it == schema_.indexes.end()) return std::unexpected(internal("no index " + query.index));
  const std::string& attribute = it->attribute;
  // A value of the wrong type (or an empty string) can match no item; DynamoDB would reject it.
  if (!matches_type(query.equals, index_attribute_type(*it))) return Page{};

  std::optional<json::object> start;
  if (query.cursor) {
    // The cursor must be the key of an item of *this* query: key and index value, nothing else.
    const auto key = decode_cursor(*query.cursor);
    if (!key || key->size() != 2 || !key->contains(schema_.key) ||
        !key->at(schema_.key).is_string() || !key->contains(attribute) ||
        key->at(attribute) != query.equals) {
      return std::unexpected(internal("invalid cursor for " + schema_.name + " " + query.index));
    }
    start = *key;
  }
  const std::int64_t now = clock_.now_seconds();
  Fetch fetch = [&](std::int64_t limit, std::optional<json::object> from) {
    Expressions e;
    QueryItemsRequest request;
    request.table = schema_.name;
    request.index = query.index;
    const std::string name = e.name(attribute);
    request.key_condition = name + " = " + e.value(query.equals);
    if (!schema_.ttl_attribute.empty()) {
      request.filter = "NOT " + expired_expression(e, schema_.ttl_attribute, now);
    }
    request.names = std::move(e.names());
    request.values = std::move(e.values());
    request.limit = limit;
    request.exclusive_start_key = std::move(from);
    return client_->query(request);
  };
  return collect_page(fetch, query.limit, std::move(start), &attribute,
                      schema_.name + " query " + query.index);
}

StoreResult<Page> DynamoTable::scan(const ScanRequest& scan) {
  std::optional<json::object> start;
  if (scan.cursor) {
    const auto key = decode_cursor(*scan.cursor);
    if (!key || key->size() != 1 || !key->contains(schema_.key) ||
        !key->at(schema_.key).is_string()) {
      return std::unexpected(internal("invalid cursor for " + schema_.name + " scan"));
    }
    start = *key;
  }
  const std::int64_t now = clock_.now_seconds();
  Fetch fetch = [&](std::int64_t limit, std::optional<json::object> from) {
    Expressions e;
    ScanItemsRequest request;
    request.table = schema_.name;
    if (!schema_.ttl_attribute.empty()) {
      request.filter = "NOT " + expired_expression(e, schema_.ttl_attribute, now);
    }
    request.names = std::move(e.names());
    request.values = std::move(e.values());
    request.limit = limit;
    request.exclusive_start_key = std::move(from);
    // Scans read the base table, where a consistent read is available and cheap to ask for.
    request.consistent_read = true;
    return client_->scan(request);
  };
  return collect_page(fetch, scan.limit, std::move(start), nullptr, schema_.name + " scan");
}

// ---- setup ---------------------------------------------------------------------------------

namespace {

std::string first_hash_key(const json::value* key_schema) {
  if (key_schema == nullptr || !key_schema->is_array()) return {};
  for (const auto& k : key_schema->get_array()) {
    if (!k.is_object()) continue;
    const auto* type = k.get_object().if_contains("KeyType");
    const auto* name = k.get_object().if_contains("AttributeName");
    if (type && name && type->is_string() && name->is_string() && type->get_string() == "HASH") {
      return std::string(name->get_string());
    }
  }
  return {};
}

// Checks key and indexes of an existing table; empty when it is as the schema says.
std::string schema_difference(const json::object& table, const TableSchema& schema) {
  if (auto key = first_hash_key(table.if_contains("KeySchema")); key != schema.key) {
    return "its partition key is \"" + key + "\", not \"" + schema.key + "\"";
  }
  for (const auto& index : schema.indexes) {
    bool found = false;
    if (const auto* gsis = table.if_contains("GlobalSecondaryIndexes"); gsis && gsis->is_array()) {
      for (const auto& g : gsis->get_array()) {
        if (!g.is_object()) continue;
        const auto* name = g.get_object().if_contains("IndexName");
        if (name && name->is_string() && name->get_string() == index.name) {
          found = first_hash_key(g.get_object().if_contains("KeySchema")) == index.attribute;
          if (!found) return "its index " + index.name + " is not keyed by " + index.attribute;
        }
      }
    }
    if (!found) return "it has no index " + index.name;
  }
  return {};
}

bool all_active(const TableDescription& d) {
  if (d.status != "ACTIVE") return false;
  if (const auto* gsis = d.raw.if_contains("GlobalSecondaryIndexes"); gsis && gsis->is_array()) {
    for (const auto& g : gsis->get_array()) {
      if (!g.is_object()) continue;
      const auto* status = g.get_object().if_contains("IndexStatus");
      if (status && status->is_string() && status->get_string() != "ACTIVE") return false;
    }
  }
  return true;
}

bool is_unsupported_operation(const DynamoError& e) {
  return e.kind == DynamoError::Kind::kService &&
         (e.type == "UnknownOperationException" || e.type == "UnrecognizedClientException" ||
          e.type == "NotImplementedException" || e.http_status == 501 ||
          (e.type == "ValidationException" &&
           e.message.find("not supported") != std::string::npos));
}

}  // namespace

StoreResult<EnsureTableResult> ensure_table(DynamoDbClient& client, const TableSchema& schema,
                                            const EnsureTableOptions& options) {
  EnsureTableResult result;
  const std::string& name = schema.name;
  auto sleep = options.sleep ? options.sleep
                             : [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };

  auto described = client.describe_table(name);
  if (!described && described.error().type != "ResourceNotFoundException") {
    return std::unexpected(to_store_error(described.error(), "describe " + name));
  }
  if (!described) {
    CreateTableRequest create{name, schema.key, {{schema.key, "S"}}, {}};
    for (const auto& index : schema.indexes) {
      const bool defined = std::any_of(create.attributes.begin(), create.attributes.end(),
                                       [&](const auto& a) { return a.name == index.attribute; });
      if (!defined) create.attributes.push_back({index.attribute, index_attribute_type(index)});
      create.indexes.push_back({index.name, index.attribute});
    }
    auto created = client.create_table(create);
    // Someone else creating it at the same moment is as good as creating it ourselves.
    if (!created && created.error().type != "ResourceInUseException") {
      return std::unexpected(to_store_error(created.error(), "create " + name));
    }
    result.created = created.has_value();
  }

  const auto give_up = std::chrono::steady_clock::now() + options.timeout;
  for (;;) {
    auto d = client.describe_table(name);
    if (!d) return std::unexpected(to_store_error(d.error(), "describe " + name));
    if (all_active(*d)) {
      if (auto diff = schema_difference(d->raw, schema); !diff.empty()) {
        return std::unexpected(internal("table " + name + " exists but " + diff +
                                        "; delete it or choose another table name"));
      }
      break;
    }
    if (std::chrono::steady_clock::now() >= give_up) {
      return std::unexpected(
          StoreError{StoreError::Kind::kUnavailable, "table " + name + " is still " + d->status});
    }
    sleep(options.poll_interval);
  }

  if (schema.ttl_attribute.empty()) {
    result.ttl = EnsureTableResult::Ttl::kNotConfigured;
    result.note = "no TTL attribute";
    return result;
  }
  auto status = client.describe_time_to_live(name);
  if (!status && is_unsupported_operation(status.error())) {
    result.ttl = EnsureTableResult::Ttl::kNotSupported;
    result.note = "TTL not supported by this endpoint (DescribeTimeToLive: " + status.error().type +
                  "); expired items stay stored but are hidden by sbapi";
    return result;
  }
  if (!status) return std::unexpected(to_store_error(status.error(), "describe TTL of " + name));
  if (*status == "ENABLED" || *status == "ENABLING") {
    result.ttl = EnsureTableResult::Ttl::kAlreadyEnabled;
    result.note = "TTL on " + schema.ttl_attribute + " already " + *status;
    return result;
  }
  auto enabled = client.update_time_to_live(name, schema.ttl_attribute, true);
  if (!enabled && is_unsupported_operation(enabled.error())) {
    result.ttl = EnsureTableResult::Ttl::kNotSupported;
    result.note = "TTL not supported by this endpoint (UpdateTimeToLive: " + enabled.error().type +
                  "); expired items stay stored but are hidden by sbapi";
    return result;
  }
  if (!enabled) return std::unexpected(to_store_error(enabled.error(), "enable TTL on " + name));
  result.ttl = EnsureTableResult::Ttl::kEnabled;
  result.note = "TTL enabled on " + schema.ttl_attribute;
  return result;
}

std::shared_ptr<DynamoDbClient> make_dynamodb_client(DynamoDbConfig config,
                                                     CurlTransportOptions transport,
                                                     RetryPolicy retry) {
  return std::make_shared<DynamoDbClient>(
      std::move(config), std::make_shared<CurlTransport>(std::move(transport)), retry);
}

}  // namespace sbapi::aws
