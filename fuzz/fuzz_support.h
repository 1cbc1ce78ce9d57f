// What the fuzz targets share: an in-memory `Table`, an `ObjectStore` that presigns real local
// URLs, and an Api over them with a fixed clock, reset to the same few items before every input
// (so that one input never depends on the ones before it).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <expected>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/access_log.h"
#include "core/api.h"
#include "core/clock.h"
#include "core/listing.h"
#include "core/object_store.h"
#include "core/schemas.h"
#include "core/table.h"
#include "sigv4/s3_presigner.h"
#include "sigv4/sigv4.h"

namespace sbapi::fuzz {

// 2026-11-25T10:00:00Z: the time of events/ and of the presigned URLs in fuzz/corpus.
inline constexpr std::int64_t kNow = 1795600800;
inline constexpr std::string_view kPublicUrl = "http://localhost:3000";
inline constexpr std::string_view kHost = "localhost:3000";
inline constexpr std::string_view kBucket = "sbapi-assets";
inline constexpr std::string_view kRegion = "us-east-1";

inline sigv4::Credentials local_credentials() { return {"sbapi-local", "sbapi-local-secret", ""}; }

// Fails the run (libFuzzer saves the input) with a message; used for the properties each target
// checks besides "no sanitizer report".
[[noreturn]] inline void fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "\nFUZZ PROPERTY VIOLATED: %.*s\n%.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// A Table with the port's semantics (table.h), in a std::map; expired items are invisible.
class MemoryTable final : public Table {
 public:
  MemoryTable(TableSchema schema, const Clock& clock) : schema_(std::move(schema)), clock_(clock) {}

  [[nodiscard]] const TableSchema& schema() const override { return schema_; }

  void clear() { items_.clear(); }
  void insert(Item item) {
    std::string key(item.at(schema_.key).as_string());
    items_.insert_or_assign(std::move(key), std::move(item));
  }

  StoreResult<std::optional<Item>> get(std::string_view key) override {
    const Item* item = visible(key);
    if (item == nullptr) return std::optional<Item>();
    return std::optional<Item>(*item);
  }

  StoreResult<PutResult> put_if_absent(const Item& item) override {
    const auto* key = item.if_contains(schema_.key);
    if (key == nullptr || !key->is_string() || key->get_string().empty()) {
      return std::unexpected(StoreError{StoreError::Kind::kInternal, "item without a string key"});
    }
    const std::string k(key->get_string());
    if (const Item* existing = visible(k)) return PutResult{false, *existing};
    items_.insert_or_assign(k, item);
    return PutResult{true, item};
  }

  StoreResult<std::optional<Item>> update_if_exists(std::string_view key,
                                                    const ItemUpdate& update) override {
    if (visible(key) == nullptr) return std::optional<Item>();
    Item& item = items_.find(std::string(key))->second;
    for (const auto& [name, value] : update.set) item[name] = value;
    for (const auto& name : update.remove) item.erase(name);
    return std::optional<Item>(item);
  }

  StoreResult<bool> remove(std::string_view key) override {
    if (visible(key) == nullptr) return false;
    items_.erase(std::string(key));
    return true;
  }

  // The port's index order (table.h): newest first by created, ties by key descending; `next`
  // only when a visible item follows the page (no read budget here).
  StoreResult<ListPage> list(const ListQuery& query) override {
    const IndexSchema* index = nullptr;
    for (const auto& candidate : schema_.indexes) {
      if (candidate.name == query.index) index = &candidate;
    }
    if (index == nullptr) {
      return std::unexpected(StoreError{StoreError::Kind::kInternal, "no index " + query.index});
    }
    const std::string want = index->fold_case ? fold_ascii_case(query.equals) : query.equals;
    std::vector<std::pair<ListPosition, const Item*>> matches;
    for (const auto& [key, item] : items_) {
      if (expired(item)) continue;
      const auto created = indexed_created(item.if_contains(schema_.created_attribute));
      if (!created) continue;
      if (!index->partition.empty()) {
        const auto* value = item.if_contains(index->partition);
        if (value == nullptr || !value->is_string() || value->get_string().empty()) continue;
        const std::string_view text = value->get_string();
        if ((index->fold_case ? fold_ascii_case(text) : std::string(text)) != want) continue;
      }
      if (query.filter) {
        const auto* value = item.if_contains(query.filter->attribute);
        if (value == nullptr || !value->is_string() || value->get_string() != query.filter->value) {
          continue;
        }
      }
      ListPosition position{*created, key};
      if (query.after &&
          !(position.created < query.after->created ||
            (position.created == query.after->created && position.key < query.after->key))) {
        continue;
      }
      matches.emplace_back(std::move(position), &item);
    }
    std::sort(matches.begin(), matches.end(), [](const auto& a, const auto& b) {
      return a.first.created != b.first.created ? a.first.created > b.first.created
                                                : a.first.key > b.first.key;
    });
    const std::size_t limit = std::max<std::size_t>(query.limit, 1);  // as the adapters read 0
    ListPage page;
    for (std::size_t i = 0; i < matches.size() && i < limit; ++i) {
      page.items.push_back(*matches[i].second);
    }
    if (matches.size() > limit) page.next = matches[limit - 1].first;
    return page;
  }

  // In key order; the cursor is the last key of the page.
  StoreResult<Page> scan(const ScanRequest& request) override {
    Page out;
    auto it = request.cursor ? items_.upper_bound(*request.cursor) : items_.begin();
    for (; it != items_.end(); ++it) {
      if (expired(it->second)) continue;
      if (out.items.size() == request.limit) {
        out.next_cursor = out.items.empty()
                              ? std::string()
                              : std::string(out.items.back().at(schema_.key).as_string());
        break;
      }
      out.items.push_back(it->second);
    }
    return out;
  }

 private:
  const Item* visible(std::string_view key) const {
    const auto it = items_.find(std::string(key));
    if (it == items_.end() || expired(it->second)) return nullptr;
    return &it->second;
  }

  bool expired(const Item& item) const {
    if (schema_.ttl_attribute.empty()) return false;
    const auto* ttl = item.if_contains(schema_.ttl_attribute);
    return ttl != nullptr && ttl->is_int64() && ttl->get_int64() <= clock_.now_seconds();
  }

  // The created value an item is indexed by, as both adapters read it: a whole number in
  // [0, 2^63) (an integral double too: DynamoDB's N cannot tell 5.0 from 5).
  static std::optional<std::int64_t> indexed_created(const boost::json::value* v) {
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return v->get_int64() >= 0 ? std::optional(v->get_int64()) : std::nullopt;
    if (v->is_uint64()) {
      if (v->get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return std::nullopt;
      }
      return static_cast<std::int64_t>(v->get_uint64());
    }
    if (!v->is_double()) return std::nullopt;
    const double d = v->get_double();
    if (!(d >= 0.0 && d < 9223372036854775808.0) || std::trunc(d) != d) return std::nullopt;
    return static_cast<std::int64_t>(d);
  }

  TableSchema schema_;
  const Clock& clock_;
  std::map<std::string, Item, std::less<>> items_;
};

// The local object store's URLs (path-style, to this server, local credentials), at the clock's
// time: what LocalObjectStore makes, without its library.
class PresigningObjectStore final : public ObjectStore {
 public:
  explicit PresigningObjectStore(const Clock& clock)
      : presigner_({.bucket = std::string(kBucket),
                    .region = std::string(kRegion),
                    .credentials = local_credentials(),
                    .endpoint = std::string(kPublicUrl),
                    .path_style = true}),
        clock_(clock) {}

  [[nodiscard]] const std::string& bucket() const override { return presigner_.bucket(); }
  std::expected<std::string, StoreError> presign_put(std::string_view key,
                                                     std::string_view content_type,
                                                     std::int64_t expires_seconds) override {
    return presigner_.presign("PUT", key, content_type, clock_.now_seconds(), expires_seconds);
  }
  std::expected<std::string, StoreError> presign_get(std::string_view key,
                                                     std::int64_t expires_seconds) override {
    return presigner_.presign("GET", key, {}, clock_.now_seconds(), expires_seconds);
  }

 private:
  sigv4::S3Presigner presigner_;
  const Clock& clock_;
};

// An Api serving users and assets over memory tables. `reset` restores the same items before
// each input: user u1, asset a1 (pending upload), asset a2 (uploaded).
struct World {
  FixedClock clock{kNow};
  std::FILE* dev_null = std::fopen("/dev/null", "w");
  JsonLinesAccessLog log{dev_null};  // formats every line, as the server does
  MemoryTable users{users_schema(), clock};
  MemoryTable assets{assets_schema(), clock};
  PresigningObjectStore objects{clock};
  Api api{clock, log};

  World() {
    api.serve_users(users);
    api.serve_assets(assets, objects);
    reset();
  }

  void reset() {
    clock.set(kNow);
    users.clear();
    assets.clear();
    users.insert(boost::json::object{{"userId", "u1"},
                                     {"email", "user@example.com"},
                                     {"name", "John Doe"},
                                     {"department", "Engineering"},
                                     {"createdAt", kNow - 3600},
                                     {"ttl", kNow + 90LL * 24 * 3600}});
    assets.insert(boost::json::object{{"assetId", "a1"},
                                      {"fileName", "report.pdf"},
                                      {"contentType", "application/pdf"},
                                      {"s3Key", "assets/a1/report.pdf"},
                                      {"s3Bucket", kBucket},
                                      {"status", "pending"},
                                      {"createdAt", kNow - 60},
                                      {"ttl", kNow + 30LL * 24 * 3600}});
    assets.insert(boost::json::object{{"assetId", "a2"},
                                      {"fileName", "photo.png"},
                                      {"contentType", "image/png"},
                                      {"s3Key", "assets/a2/photo.png"},
                                      {"s3Bucket", kBucket},
                                      {"status", "uploaded"},
                                      {"size", 11},
                                      {"etag", "838d3870873a75639041ff8940f397db"},
                                      {"createdAt", kNow - 120},
                                      {"ttl", kNow + 30LL * 24 * 3600}});
  }

  static World& instance() {
    static World world;
    return world;
  }
};

// Every API response body is a JSON object (or empty: 204); anything else is a bug.
inline void check_json_body(const Response& response, std::string_view context) {
  if (response.body.empty() && response.status == 204) return;
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(response.body, ec);
  if (ec || !v.is_object()) fail("response body is not a JSON object", context);
}

}  // namespace sbapi::fuzz
