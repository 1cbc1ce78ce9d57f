#include "adapters/aws/dynamo_table.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <thread>

#include "core/base64.h"

namespace sbapi::aws {
namespace {

namespace json = boost::json;

// A put_if_absent whose blocker vanishes before we can read it is tried again this often.
constexpr int kMaxPutAttempts = 8;
constexpr std::size_t kMaxCursorLength = 4096;
// DynamoDB's limits on key values: a GSI's RANGE key, its HASH key.
constexpr std::size_t kMaxRangeKeyBytes = 1024;
constexpr std::size_t kMaxHashKeyBytes = 2048;
constexpr std::size_t kCreatedDigits = 19;  // every int64 ≥ 0 fits
// Follow-up Query requests of a list page (only made when the filter dropped items) ask for at
// least this many, so that a sparse filter does not spend the budget a few items at a time.
constexpr std::int64_t kMinFollowUpLimit = 100;

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

// The JSON object a cursor carries, or nullopt when it is not base64url of a JSON object; the
// callers check its shape.
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

// ---- derived attributes ---------------------------------------------------------------------

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string folded_attribute(const std::string& partition) { return partition + "Lower"; }

// The created value an item is indexed by: a whole number in [0, 2^63).
std::optional<std::int64_t> whole_created(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) {
    return v->get_int64() >= 0 ? std::optional(v->get_int64()) : std::nullopt;
  }
  if (v->is_uint64()) {
    if (v->get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(v->get_uint64());
  }
  if (v->is_double()) {
    const double d = v->get_double();
    // 2^63 itself does not fit; every double below it that is whole does.
    if (!(d >= 0.0 && d < 9223372036854775808.0) || std::trunc(d) != d) return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

bool has_unpartitioned_index(const TableSchema& schema) {
  return std::any_of(schema.indexes.begin(), schema.indexes.end(),
                     [](const IndexSchema& i) { return i.partition.empty(); });
}

// The attributes the adapter owns for this schema.
std::vector<std::string> derived_names(const TableSchema& schema) {
  std::vector<std::string> names;
  if (schema.indexes.empty()) return names;
  names.emplace_back(kOrderAttribute);
  if (has_unpartitioned_index(schema)) names.emplace_back(kAllAttribute);
  for (const auto& index : schema.indexes) {
    if (!index.fold_case || index.partition.empty()) continue;
    std::string name = folded_attribute(index.partition);
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

// The partition attributes that have a folded copy.
std::vector<std::string> folded_sources(const TableSchema& schema) {
  std::vector<std::string> sources;
  for (const auto& index : schema.indexes) {
    if (!index.fold_case || index.partition.empty()) continue;
    if (std::find(sources.begin(), sources.end(), index.partition) == sources.end()) {
      sources.push_back(index.partition);
    }
  }
  return sources;
}

// gsiOrder for an item with this created value, when it is indexed at all.
std::optional<std::string> order_for(const json::value* created, std::string_view key) {
  const auto c = whole_created(created);
  if (!c) return std::nullopt;
  std::string order = order_value(*c, key);
  if (order.size() > kMaxRangeKeyBytes) return std::nullopt;
  return order;
}

// The folded copy of a partition value, when it can be a key.
std::optional<std::string> folded_for(const json::value* value) {
  if (value == nullptr || !value->is_string() || value->get_string().empty()) return std::nullopt;
  if (value->get_string().size() > kMaxHashKeyBytes) return std::nullopt;
  return ascii_lower(value->get_string());
}

// The position of an item read from an index: from its gsiOrder, which must name its own key.
StoreResult<ListPosition> position_of(const Item& item, const std::string& key,
                                      std::string_view context) {
  const auto* order = item.if_contains(kOrderAttribute);
  const auto* k = item.if_contains(key);
  std::optional<ListPosition> position;
  if (order != nullptr && order->is_string()) position = parse_order_value(order->get_string());
  if (!position || k == nullptr || !k->is_string() || position->key != k->get_string()) {
    const std::string name = k != nullptr && k->is_string() ? std::string(k->get_string()) : "?";
    return std::unexpected(internal(std::string(context) + ": item " + name + " has no valid " +
                                    std::string(kOrderAttribute) +
                                    " (not written by sbapi? run create-tables --migrate)"));
  }
  return std::move(*position);
}

}  // namespace

IndexKeys index_keys(const IndexSchema& index) {
  IndexKeys keys;
  keys.range = std::string(kOrderAttribute);
  if (index.partition.empty()) {
    keys.hash = std::string(kAllAttribute);
  } else if (index.fold_case) {
    keys.hash = folded_attribute(index.partition);
  } else {
    keys.hash = index.partition;
  }
  return keys;
}

std::string order_value(std::int64_t created, std::string_view key) {
  std::string digits = std::to_string(std::max<std::int64_t>(created, 0));
  std::string out(kCreatedDigits - std::min(digits.size(), kCreatedDigits), '0');
  out += digits;
  out += '#';
  out += key;
  return out;
}

std::optional<ListPosition> parse_order_value(std::string_view value) {
  if (value.size() < kCreatedDigits + 2 || value[kCreatedDigits] != '#') return std::nullopt;
  std::int64_t created = 0;
  const char* begin = value.data();
  const char* end = begin + kCreatedDigits;
  if (!std::all_of(begin, end, [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  auto [ptr, ec] = std::from_chars(begin, end, created);
  if (ec != std::errc() || ptr != end) return std::nullopt;  // 19 nines overflow int64
  return ListPosition{created, std::string(value.substr(kCreatedDigits + 1))};
}

Item with_derived_attributes(const Item& item, const TableSchema& schema) {
  Item out = item;
  for (const auto& name : derived_names(schema)) out.erase(name);
  if (schema.indexes.empty()) return out;
  const auto* key = item.if_contains(schema.key);
  if (key != nullptr && key->is_string()) {
    if (auto order = order_for(item.if_contains(schema.created_attribute), key->get_string())) {
      out[kOrderAttribute] = *order;
      if (has_unpartitioned_index(schema)) out[kAllAttribute] = kAllValue;
    }
  }
  for (const auto& source : folded_sources(schema)) {
    if (auto folded = folded_for(item.if_contains(source))) out[folded_attribute(source)] = *folded;
  }
  return out;
}

void strip_derived_attributes(Item& item, const TableSchema& schema) {
  for (const auto& name : derived_names(schema)) item.erase(name);
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
  strip_derived_attributes(**got, schema_);
  return std::move(*got);
}

StoreResult<PutResult> DynamoTable::put_if_absent(const Item& item) {
  const auto* key = item.if_contains(schema_.key);
  if (key == nullptr || !key->is_string()) {
    return std::unexpected(internal("item has no string key " + schema_.key));
  }
  const Item stored = with_derived_attributes(item, schema_);
  Item returned = item;
  strip_derived_attributes(returned, schema_);
  for (int attempt = 0; attempt < kMaxPutAttempts; ++attempt) {
    const std::int64_t now = clock_.now_seconds();
    Expressions e;
    PutItemRequest put{schema_.name, stored, "", {}, {}, true};
    put.condition = "attribute_not_exists(" + e.name(schema_.key) + ")";
    // An expired item is invisible, so it must not block the put: overwrite it.
    if (!schema_.ttl_attribute.empty()) {
      put.condition += " OR " + expired_expression(e, schema_.ttl_attribute, now);
    }
    put.names = std::move(e.names());
    put.values = std::move(e.values());
    auto outcome = client_->put_item(put);
    if (!outcome) return std::unexpected(to_store_error(outcome.error(), schema_.name + " put"));
    if (!outcome->condition_failed) return PutResult{true, returned};
    // Endpoints without ReturnValuesOnConditionCheckFailure send no old item: read it.
    if (outcome->item && visible(*outcome->item, now)) {
      strip_derived_attributes(*outcome->item, schema_);
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
  // The key never changes and derived attributes are the adapter's; an attribute both set and
  // removed is set (as in the SQLite adapter); DynamoDB rejects overlapping paths, so such a
  // remove is dropped here.
  const auto derived = derived_names(schema_);
  const auto is_derived = [&](std::string_view name) {
    return std::find(derived.begin(), derived.end(), name) != derived.end();
  };
  Expressions e;
  std::string set_clause, remove_clause;
  std::set<std::string> touched;
  const auto set = [&](const std::string& name, json::value value) {
    const std::string placeholder = e.name(name);
    set_clause += (set_clause.empty() ? "SET " : ", ") + placeholder + " = " + e.value(value);
  };
  const auto remove = [&](const std::string& name) {
    if (!touched.insert(name).second) return;
    remove_clause += (remove_clause.empty() ? "REMOVE " : ", ") + e.name(name);
  };
  for (const auto& [name, value] : update.set) {
    if (name == schema_.key || is_derived(name)) continue;
    set(std::string(name), value);
  }
  for (const auto& name : update.remove) {
    if (name == schema_.key || is_derived(name) || update.set.contains(name)) continue;
    remove(name);
  }
  if (set_clause.empty() && remove_clause.empty()) return get(key);

  // Derived attributes follow their sources in the same write.
  const auto& created = schema_.created_attribute;
  const bool created_removed =
      std::find(update.remove.begin(), update.remove.end(), created) != update.remove.end();
  if (!schema_.indexes.empty() && created != schema_.key &&
      (update.set.contains(created) || created_removed)) {
    const auto order = order_for(update.set.if_contains(created), key);
    if (order) {
      set(std::string(kOrderAttribute), json::string(*order));
      if (has_unpartitioned_index(schema_))
        set(std::string(kAllAttribute), json::string(kAllValue));
    } else {
      remove(std::string(kOrderAttribute));
      if (has_unpartitioned_index(schema_)) remove(std::string(kAllAttribute));
    }
  }
  for (const auto& source : folded_sources(schema_)) {
    const bool removed =
        std::find(update.remove.begin(), update.remove.end(), source) != update.remove.end();
    if (!update.set.contains(source) && !removed) continue;
    if (auto folded = folded_for(update.set.if_contains(source))) {
      set(folded_attribute(source), json::string(*folded));
    } else {
      remove(folded_attribute(source));
    }
  }

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
  strip_derived_attributes(*outcome->item, schema_);
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

StoreResult<ListPage> DynamoTable::list(const ListQuery& query) {
  const auto index = std::find_if(schema_.indexes.begin(), schema_.indexes.end(),
                                  [&](const IndexSchema& i) { return i.name == query.index; });
  if (index == schema_.indexes.end()) {
    return std::unexpected(internal(schema_.name + " list: no index " + query.index));
  }
  const IndexKeys keys = index_keys(*index);
  const std::string context = schema_.name + " list " + query.index;

  // What DynamoDB would refuse as a key value can match no item.
  std::string partition(kAllValue);
  if (!index->partition.empty()) {
    partition = index->fold_case ? ascii_lower(query.equals) : query.equals;
    if (partition.empty() || partition.size() > kMaxHashKeyBytes) return ListPage{};
  }
  std::optional<std::string> after;
  if (query.after) {
    // Every indexed item has created ≥ 0 and a gsiOrder that fits, so nothing follows these.
    if (query.after->created < 0) return ListPage{};
    after = order_value(query.after->created, query.after->key);
    if (after->size() > kMaxRangeKeyBytes) return ListPage{};
  }
  // DynamoDB refuses a FilterExpression on a key attribute: such a filter is applied here.
  const bool filter_here = query.filter && (query.filter->attribute == schema_.key ||
                                            query.filter->attribute == keys.hash ||
                                            query.filter->attribute == keys.range);
  const auto matches_filter = [&](const Item& item) {
    if (!filter_here) return true;
    const auto* v = item.if_contains(query.filter->attribute);
    return v != nullptr && v->is_string() && v->get_string() == query.filter->value;
  };

  const std::size_t limit = std::max<std::size_t>(query.limit, 1);
  const std::int64_t now = clock_.now_seconds();
  ListPage page;
  std::vector<ListPosition> positions;  // of page.items
  std::optional<json::object> start;
  for (int request = 1;; ++request) {
    Expressions e;
    QueryItemsRequest q;
    q.table = schema_.name;
    q.index = query.index;
    q.scan_forward = false;
    q.key_condition = e.name(keys.hash) + " = " + e.value(json::string(partition));
    if (after) {
      q.key_condition += " AND " + e.name(keys.range) + " < " + e.value(json::string(*after));
    }
    if (!schema_.ttl_attribute.empty()) {
      q.filter = "NOT " + expired_expression(e, schema_.ttl_attribute, now);
    }
    if (query.filter && !filter_here) {
      q.filter += (q.filter.empty() ? "" : " AND ") + e.name(query.filter->attribute) + " = " +
                  e.value(json::string(query.filter->value));
    }
    q.names = std::move(e.names());
    q.values = std::move(e.values());
    // One more than still needed: if it comes, the next page is certainly not empty.
    std::int64_t want = static_cast<std::int64_t>(limit - page.items.size()) + 1;
    if (request > 1) want = std::max(want, kMinFollowUpLimit);
    q.limit = want;
    q.exclusive_start_key = std::move(start);
    auto fetched = client_->query(q);
    if (!fetched) return std::unexpected(to_store_error(fetched.error(), context));

    for (auto& item : fetched->items) {
      if (!visible(item, now) || !matches_filter(item)) continue;
      auto position = position_of(item, schema_.key, context);
      if (!position) return std::unexpected(position.error());
      strip_derived_attributes(item, schema_);
      page.items.push_back(std::move(item));
      positions.push_back(std::move(*position));
    }
    if (page.items.size() > limit) {
      page.items.resize(limit);
      page.next = std::move(positions[limit - 1]);
      return page;
    }
    if (!fetched->last_evaluated_key) return page;
    if (request >= kMaxRequestsPerPage) {
      // Out of budget: continue after the last item read, whatever became of it.
      auto last = position_of(*fetched->last_evaluated_key, schema_.key, context);
      if (!last) return std::unexpected(last.error());
      page.next = std::move(*last);
      return page;
    }
    start = std::move(fetched->last_evaluated_key);
  }
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
  const std::string context = schema_.name + " scan";
  const std::size_t limit = std::max<std::size_t>(scan.limit, 1);
  const std::int64_t now = clock_.now_seconds();
  Page page;
  for (int request = 1;; ++request) {
    Expressions e;
    ScanItemsRequest s;
    s.table = schema_.name;
    if (!schema_.ttl_attribute.empty()) {
      s.filter = "NOT " + expired_expression(e, schema_.ttl_attribute, now);
    }
    s.names = std::move(e.names());
    s.values = std::move(e.values());
    // One more than still needed: if it comes, a further page certainly exists.
    s.limit = static_cast<std::int64_t>(limit - page.items.size() + 1);
    s.exclusive_start_key = std::move(start);
    // Scans read the base table, where a consistent read is available and cheap to ask for.
    s.consistent_read = true;
    auto fetched = client_->scan(s);
    if (!fetched) return std::unexpected(to_store_error(fetched.error(), context));
    for (auto& item : fetched->items) {
      if (!visible(item, now)) continue;
      strip_derived_attributes(item, schema_);
      page.items.push_back(std::move(item));
    }
    std::optional<json::object> next;
    if (page.items.size() > limit) {
      page.items.resize(limit);
      const json::value* last_key = page.items.back().if_contains(schema_.key);
      if (last_key == nullptr) {  // a peer that breaks DynamoDB's contract (found by fuzzing)
        return std::unexpected(internal(context + ": an item without " + schema_.key));
      }
      next = json::object{{schema_.key, *last_key}};
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

// ---- setup ---------------------------------------------------------------------------------

namespace {

std::string key_of_type(const json::value* key_schema, std::string_view type) {
  if (key_schema == nullptr || !key_schema->is_array()) return {};
  for (const auto& k : key_schema->get_array()) {
    if (!k.is_object()) continue;
    const auto* t = k.get_object().if_contains("KeyType");
    const auto* name = k.get_object().if_contains("AttributeName");
    if (t && name && t->is_string() && name->is_string() && t->get_string() == type) {
      return std::string(name->get_string());
    }
  }
  return {};
}

const json::object* find_index(const json::object& table, const std::string& name) {
  const auto* gsis = table.if_contains("GlobalSecondaryIndexes");
  if (gsis == nullptr || !gsis->is_array()) return nullptr;
  for (const auto& g : gsis->get_array()) {
    if (!g.is_object()) continue;
    const auto* n = g.get_object().if_contains("IndexName");
    if (n && n->is_string() && n->get_string() == name) return &g.get_object();
  }
  return nullptr;
}

struct SchemaDifference {
  std::string problem;                      // what no migration fixes; empty = none
  std::vector<const IndexSchema*> missing;  // indexes a migration may add
};

// Checks key and indexes of an existing table against the schema.
SchemaDifference schema_difference(const json::object& table, const TableSchema& schema) {
  SchemaDifference diff;
  if (auto key = key_of_type(table.if_contains("KeySchema"), "HASH"); key != schema.key) {
    diff.problem = "its partition key is \"" + key + "\", not \"" + schema.key + "\"";
    return diff;
  }
  for (const auto& index : schema.indexes) {
    const auto* found = find_index(table, index.name);
    if (found == nullptr) {
      diff.missing.push_back(&index);
      continue;
    }
    const IndexKeys want = index_keys(index);
    const std::string hash = key_of_type(found->if_contains("KeySchema"), "HASH");
    const std::string range = key_of_type(found->if_contains("KeySchema"), "RANGE");
    if (hash != want.hash || range != want.range) {
      diff.problem = "its index " + index.name + " is keyed by (" + hash + ", " + range +
                     "), not (" + want.hash + ", " + want.range + ")";
      return diff;
    }
  }
  return diff;
}

std::string missing_names(const SchemaDifference& diff) {
  std::string names;
  for (const auto* index : diff.missing) names += (names.empty() ? "" : ", ") + index->name;
  return names;
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

// Waits until the table and all its indexes are ACTIVE; its description then.
StoreResult<TableDescription> wait_active(DynamoDbClient& client, const std::string& name,
                                          const EnsureTableOptions& options) {
  auto sleep = options.sleep ? options.sleep
                             : [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  const auto give_up = std::chrono::steady_clock::now() + options.timeout;
  for (;;) {
    auto d = client.describe_table(name);
    if (!d) return std::unexpected(to_store_error(d.error(), "describe " + name));
    if (all_active(*d)) return std::move(*d);
    if (std::chrono::steady_clock::now() >= give_up) {
      return std::unexpected(StoreError{StoreError::Kind::kUnavailable,
                                        "table " + name + " (or an index) is still " + d->status});
    }
    sleep(options.poll_interval);
  }
}

// The table's provisioned read and write capacity, each at least 1.
std::pair<std::int64_t, std::int64_t> table_throughput(const json::object& table) {
  std::int64_t read = 1, write = 1;
  if (const auto* t = table.if_contains("ProvisionedThroughput"); t && t->is_object()) {
    const auto* r = t->get_object().if_contains("ReadCapacityUnits");
    const auto* w = t->get_object().if_contains("WriteCapacityUnits");
    if (r && r->is_int64()) read = std::max<std::int64_t>(r->get_int64(), 1);
    if (w && w->is_int64()) write = std::max<std::int64_t>(w->get_int64(), 1);
  }
  return {read, write};
}

std::vector<AttributeDefinition> index_attributes(const TableSchema& schema,
                                                  const std::vector<const IndexSchema*>& indexes) {
  std::vector<AttributeDefinition> attributes;
  const auto define = [&](const std::string& name) {
    const bool defined = std::any_of(attributes.begin(), attributes.end(),
                                     [&](const auto& a) { return a.name == name; });
    if (!defined) attributes.push_back({name, "S"});
  };
  define(schema.key);
  for (const auto* index : indexes) {
    const IndexKeys keys = index_keys(*index);
    define(keys.hash);
    define(keys.range);
  }
  return attributes;
}

}  // namespace

StoreResult<std::size_t> backfill_derived_attributes(DynamoDbClient& client,
                                                     const TableSchema& schema) {
  const auto derived = derived_names(schema);
  if (derived.empty()) return std::size_t{0};
  std::vector<std::string> sources = folded_sources(schema);
  sources.push_back(schema.created_attribute);
  std::size_t updated = 0;
  std::optional<json::object> start;
  do {
    ScanItemsRequest scan;
    scan.table = schema.name;
    scan.limit = 100;
    scan.exclusive_start_key = std::move(start);
    scan.consistent_read = true;
    auto page = client.scan(scan);
    if (!page)
      return std::unexpected(to_store_error(page.error(), "back-fill scan " + schema.name));
    for (const auto& item : page->items) {
      const auto* key = item.if_contains(schema.key);
      if (key == nullptr || !key->is_string()) continue;
      const Item want = with_derived_attributes(item, schema);
      Expressions e;
      std::string set_clause, remove_clause;
      for (const auto& name : derived) {
        const auto* have = item.if_contains(name);
        const auto* should = want.if_contains(name);
        if (should != nullptr && (have == nullptr || *have != *should)) {
          set_clause +=
              (set_clause.empty() ? "SET " : ", ") + e.name(name) + " = " + e.value(*should);
        } else if (should == nullptr && have != nullptr) {
          remove_clause += (remove_clause.empty() ? "REMOVE " : ", ") + e.name(name);
        }
      }
      if (set_clause.empty() && remove_clause.empty()) continue;
      // Only if nothing they derive from changed since the scan: a concurrent write (which sets
      // its own derived attributes) wins.
      std::string condition = "attribute_exists(" + e.name(schema.key) + ")";
      for (const auto& source : sources) {
        const auto* seen = item.if_contains(source);
        condition += seen != nullptr ? " AND " + e.name(source) + " = " + e.value(*seen)
                                     : " AND attribute_not_exists(" + e.name(source) + ")";
      }
      UpdateItemRequest request;
      request.table = schema.name;
      request.key = json::object{{schema.key, *key}};
      request.update =
          set_clause + (set_clause.empty() || remove_clause.empty() ? "" : " ") + remove_clause;
      request.condition = std::move(condition);
      request.names = std::move(e.names());
      request.values = std::move(e.values());
      request.return_values = "NONE";
      auto outcome = client.update_item(request);
      if (!outcome) {
        return std::unexpected(to_store_error(outcome.error(), "back-fill " + schema.name));
      }
      if (!outcome->condition_failed) ++updated;
    }
    start = std::move(page->last_evaluated_key);
  } while (start);
  return updated;
}

StoreResult<EnsureTableResult> ensure_table(DynamoDbClient& client, const TableSchema& schema,
                                            const EnsureTableOptions& options) {
  EnsureTableResult result;
  const std::string& name = schema.name;
  const auto progress = [&](const std::string& line) {
    if (options.progress) options.progress(line);
  };

  auto described = client.describe_table(name);
  if (!described && described.error().type != "ResourceNotFoundException") {
    return std::unexpected(to_store_error(described.error(), "describe " + name));
  }
  if (!described) {
    std::vector<const IndexSchema*> all;
    for (const auto& index : schema.indexes) all.push_back(&index);
    CreateTableRequest create{name, schema.key, index_attributes(schema, all), {}};
    for (const auto& index : schema.indexes) {
      const IndexKeys keys = index_keys(index);
      create.indexes.push_back({index.name, keys.hash, keys.range});
    }
    auto created = client.create_table(create);
    // Someone else creating it at the same moment is as good as creating it ourselves.
    if (!created && created.error().type != "ResourceInUseException") {
      return std::unexpected(to_store_error(created.error(), "create " + name));
    }
    result.created = created.has_value();
  }

  auto active = wait_active(client, name, options);
  if (!active) return std::unexpected(active.error());
  auto diff = schema_difference(active->raw, schema);
  if (!diff.problem.empty()) {
    return std::unexpected(internal("table " + name + " exists but " + diff.problem +
                                    "; delete it or choose another table name"));
  }
  if (!diff.missing.empty() && !options.migrate) {
    return std::unexpected(internal(
        "table " + name + " exists but has no index " + missing_names(diff) +
        " (made by an older sbapi?): see docs/deploy.md, \"Migrating the indexes\", or run "
        "`sbapi create-tables --migrate`"));
  }
  if (options.migrate && !result.created) {
    // Derived attributes first: each new index is then built once, over items that have them.
    // Also run when every index exists (CloudFormation added them): items written by older
    // code lack the attributes.
    auto filled = backfill_derived_attributes(client, schema);
    if (!filled) return std::unexpected(filled.error());
    result.backfilled = *filled;
    progress("back-filled the index attributes of " + std::to_string(*filled) + " items");
  }
  if (!diff.missing.empty()) {
    // DynamoDB adds one GSI per UpdateTable, and only while no other is being built.
    std::pair<std::int64_t, std::int64_t> throughput{0, 0};  // none: an on-demand table
    for (const auto* index : diff.missing) {
      const IndexKeys keys = index_keys(*index);
      GlobalIndexDefinition definition{index->name, keys.hash, keys.range, throughput.first,
                                       throughput.second};
      const auto attributes = index_attributes(schema, {index});
      auto added = client.add_global_index(name, attributes, definition);
      // A provisioned table's index needs a throughput (so does any index on dynalite, which
      // asks for one even on an on-demand table): the table's own, at least 1.
      if (!added && throughput.first == 0 && added.error().type == "ValidationException" &&
          added.error().message.find("rovisionedThroughput") != std::string::npos) {
        throughput = table_throughput(active->raw);
        definition.read_capacity = throughput.first;
        definition.write_capacity = throughput.second;
        added = client.add_global_index(name, attributes, definition);
      }
      if (!added) return std::unexpected(to_store_error(added.error(), "add index " + index->name));
      auto built = wait_active(client, name, options);
      if (!built) return std::unexpected(built.error());
      result.added_indexes.push_back(index->name);
      progress("added index " + index->name);
    }
    auto again = wait_active(client, name, options);
    if (!again) return std::unexpected(again.error());
    diff = schema_difference(again->raw, schema);
    if (!diff.problem.empty() || !diff.missing.empty()) {
      return std::unexpected(
          internal("table " + name + " after migration: " +
                   (diff.problem.empty() ? "no index " + missing_names(diff) : diff.problem)));
    }
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
