// In-process micro-benchmarks of `make bench` (Google Benchmark). bench/run.py runs them with
// repetitions and reads the medians from the JSON output; see bench/README.md for each row.
//
//   BM_RouterDispatch          Router::match of GET /users/{id} among every route `serve` has
//   BM_UserParseSerialize      Boost.JSON: parse a user document, serialize it back
//   BM_SqliteGet               Api::handle GET /users/{id} over a SqliteTable (file in a temp
//                              dir; its item cache on, as in `serve`: mostly hits)
//   BM_SqlitePost              Api::handle POST /users, a new user each time (durable write)
//   BM_SqlitePostConcurrent    the same from 16 threads at once on one database file: durable
//                              POSTs per second with concurrent writers (items/s is the total of
//                              all threads); posts_per_commit = POSTs sharing one COMMIT
//   BM_SigV4Presign            sigv4::presign_url of a PUT with a signed Content-Type
//   BM_CoreGetNoopStore        Api::handle GET /users/{id} over a table that returns a fixed
//                              item: what the core adds per request (access log to /dev/null)
//   BM_CoreGetNoopStoreNoLog   the same without the access-log line
//   BM_TokenVerifyCacheHit     JwtVerifier::verify of a token it verified before (a local
//                              issuer's ES256 token): the cost per request of a client reusing
//                              its token
//   BM_TokenVerifyEs256        verify_jwt of that token (signature + claims, no cache): a miss
//   BM_TokenVerifyRs256        the same for an RS256 token (2048-bit key: Cognito's kind)
//
// `sbapi_bench --preload-users DATA_DIR COUNT` is a helper of run.py (see preload_users below).
// Temporary files go under $SBAPI_BENCH_TMPDIR (default: /tmp) and are removed at exit. The
// SQLite file of BM_SqlitePost must be on a real disk for its figure to mean "durable". The one
// of BM_SqliteGet (10,000 users, inserted through Api::handle) goes under $SBAPI_BENCH_RAMDIR
// when set (run.py points it at /dev/shm): reads come from the page cache either way, and
// 10,000 fsyncs on a busy shared disk can take half a minute of set-up.
#include <benchmark/benchmark.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/sqlite_table.h"
#include "auth/jwt.h"
#include "auth/jwt_verifier.h"
#include "auth/local_issuer.h"
#include "auth/test_tokens.h"
#include "bench_requests.h"
#include "core/access_log.h"
#include "core/api.h"
#include "core/clock.h"
#include "core/object_store.h"
#include "core/schemas.h"
#include "core/table.h"
#include "sigv4/sigv4.h"

namespace {

using sbapi::Item;
using sbapi::StoreResult;
using sbapi::bench::get_request;
using sbapi::bench::user_body;
using sbapi::bench::user_id;

// Users preloaded into the SQLite table for BM_SqliteGet (one durable insert each).
constexpr int kPreloadedUsers = 10000;

constexpr std::string_view kUserJson =
    R"({"userId":"user-000123","email":"user123@example.com","name":"John Doe",)"
    R"("department":"Engineering","createdAt":1795597326,"ttl":1803373326})";

// ---- stand-ins: a table that answers instantly, an object store that signs nothing ---------

class FixedItemTable final : public sbapi::Table {
 public:
  explicit FixedItemTable(sbapi::TableSchema schema) : schema_(std::move(schema)) {
    item_ = boost::json::parse(kUserJson).as_object();
    item_["ttl"] = 4'000'000'000;  // far future: never expired
  }
  [[nodiscard]] const sbapi::TableSchema& schema() const override { return schema_; }
  StoreResult<std::optional<Item>> get(std::string_view /*key*/) override { return item_; }
  StoreResult<sbapi::PutResult> put_if_absent(const Item& item) override {
    return sbapi::PutResult{true, item};
  }
  StoreResult<std::optional<Item>> update_if_exists(std::string_view /*key*/,
                                                    const sbapi::ItemUpdate& /*u*/) override {
    return item_;
  }
  StoreResult<bool> remove(std::string_view /*key*/) override { return true; }
  StoreResult<sbapi::ListPage> list(const sbapi::ListQuery& /*q*/) override { return {}; }
  StoreResult<sbapi::Page> scan(const sbapi::ScanRequest& /*r*/) override { return {}; }

 private:
  sbapi::TableSchema schema_;
  Item item_;
};

class NullObjectStore final : public sbapi::ObjectStore {
 public:
  [[nodiscard]] const std::string& bucket() const override { return bucket_; }
  std::expected<std::string, sbapi::StoreError> presign_put(std::string_view /*key*/,
                                                            std::string_view /*type*/,
                                                            std::int64_t /*expires*/) override {
    return std::string("http://127.0.0.1/x");
  }
  std::expected<std::string, sbapi::StoreError> presign_get(std::string_view /*key*/,
                                                            std::int64_t /*expires*/) override {
    return std::string("http://127.0.0.1/x");
  }

 private:
  std::string bucket_ = "sbapi-assets";
};

// ---- shared state, built on first use ------------------------------------------------------

std::filesystem::path& temp_root() {
  static std::filesystem::path root;
  return root;
}

std::FILE* dev_null() {
  static std::FILE* f = std::fopen("/dev/null", "w");
  return f;
}

// An Api over stand-in tables with every route `serve` registers (health, users, assets).
struct StubWorld {
  sbapi::SystemClock clock;
  sbapi::JsonLinesAccessLog file_log{dev_null()};
  sbapi::NullAccessLog null_log;
  FixedItemTable users{sbapi::users_schema()};
  FixedItemTable assets{sbapi::assets_schema()};
  NullObjectStore objects;
  sbapi::Api api{clock, file_log};
  sbapi::Api api_no_log{clock, null_log};
  StubWorld() {
    for (auto* a : {&api, &api_no_log}) {
      a->serve_users(users);
      a->serve_assets(assets, objects);
    }
  }
  static StubWorld& instance() {
    static StubWorld world;
    return world;
  }
};

// SQLite in a directory, as `serve` opens it (WAL, synchronous=FULL), with `users` users.
struct SqliteWorld {
  sbapi::SystemClock clock;
  sbapi::JsonLinesAccessLog log{dev_null()};
  std::unique_ptr<sbapi::SqliteDatabase> db;
  std::unique_ptr<sbapi::SqliteTable> users;
  std::unique_ptr<sbapi::Api> api;

  SqliteWorld(const std::filesystem::path& dir, int preloaded) {
    auto opened = sbapi::SqliteDatabase::open(dir);
    if (!opened) throw std::runtime_error("open database: " + opened.error().detail);
    db = std::move(*opened);
    auto table = sbapi::SqliteTable::open(*db, sbapi::users_schema(), clock);
    if (!table) throw std::runtime_error("open users table: " + table.error().detail);
    users = std::move(*table);
    api = std::make_unique<sbapi::Api>(*users, clock, log);
    for (int i = 0; i < preloaded; ++i) {
      sbapi::Request r;
      r.method = "POST";
      r.path = "/users";
      r.body = user_body(user_id(i));
      if (api->handle(r).status != 201) throw std::runtime_error("preload failed");
    }
  }
};

std::filesystem::path& ram_root() {
  static std::filesystem::path root;
  return root;
}

// Closed (in main) before their directories are removed.
std::unique_ptr<SqliteWorld> g_read_world;   // kPreloadedUsers users, for GET
std::unique_ptr<SqliteWorld> g_write_world;  // on disk, for POST

SqliteWorld& read_world() {
  if (!g_read_world) {
    g_read_world = std::make_unique<SqliteWorld>(
        (ram_root().empty() ? temp_root() : ram_root()) / "sqlite-read", kPreloadedUsers);
  }
  return *g_read_world;
}

SqliteWorld& write_world() {
  if (!g_write_world)
    g_write_world = std::make_unique<SqliteWorld>(temp_root() / "sqlite-write", 0);
  return *g_write_world;
}

// ---- the benchmarks --------------------------------------------------------------------------

void BM_RouterDispatch(benchmark::State& state) {
  const sbapi::Router& router = StubWorld::instance().api.router();
  for (auto _ : state) {
    auto match = router.match("GET", "/users/user-000123");
    benchmark::DoNotOptimize(match);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouterDispatch);

void BM_UserParseSerialize(benchmark::State& state) {
  for (auto _ : state) {
    boost::json::value v = boost::json::parse(kUserJson);
    std::string out = boost::json::serialize(v);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UserParseSerialize);

void BM_SqliteGet(benchmark::State& state) {
  SqliteWorld& world = read_world();
  std::vector<sbapi::Request> requests;
  for (int i = 0; i < kPreloadedUsers; ++i) requests.push_back(get_request("/users/" + user_id(i)));
  std::size_t next = 0;
  for (auto _ : state) {
    sbapi::Response r = world.api->handle(requests[next]);
    if (r.status != 200) {
      state.SkipWithError("GET did not answer 200");
      break;
    }
    benchmark::DoNotOptimize(r);
    next = (next * 7919 + 1) % requests.size();  // wander over the table
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SqliteGet);

void BM_SqlitePost(benchmark::State& state) {
  SqliteWorld& world = write_world();
  static int counter = 0;  // unique ids across repetitions
  sbapi::Request r;
  r.method = "POST";
  r.path = "/users";
  r.headers = {{"host", "127.0.0.1:3000"}, {"content-type", "application/json"}};
  for (auto _ : state) {
    r.body = user_body("post-" + std::to_string(counter++));  // ~50 ns beside an fsync
    sbapi::Response response = world.api->handle(r);
    if (response.status != 201) {
      state.SkipWithError("POST did not answer 201");
      break;
    }
    benchmark::DoNotOptimize(response);
  }
  state.SetItemsProcessed(state.iterations());
}
// Each iteration waits for an fsync, which CPU time would not see: wall-clock time.
BENCHMARK(BM_SqlitePost)->UseRealTime();

void BM_SigV4Presign(benchmark::State& state) {
  sbapi::sigv4::PresignRequest request;
  request.method = "PUT";
  request.endpoint = "http://localhost:3000";
  request.path = "/sbapi-assets/assets/asset123/report.pdf";
  request.headers = {{"content-type", "application/pdf"}};
  request.region = "us-east-1";
  request.time = 1'795'597'326;
  request.expires_seconds = 3600;
  const sbapi::sigv4::Credentials credentials{"sbapi-local", "sbapi-local-secret", ""};
  for (auto _ : state) {
    std::string url = sbapi::sigv4::presign_url(request, credentials);
    benchmark::DoNotOptimize(url);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SigV4Presign);

void core_get(benchmark::State& state, sbapi::Api& api) {
  const sbapi::Request request = get_request("/users/user-000123");
  for (auto _ : state) {
    sbapi::Response r = api.handle(request);
    if (r.status != 200) {
      state.SkipWithError("GET did not answer 200");
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_CoreGetNoopStore(benchmark::State& state) { core_get(state, StubWorld::instance().api); }
BENCHMARK(BM_CoreGetNoopStore);
void BM_CoreGetNoopStoreNoLog(benchmark::State& state) {
  core_get(state, StubWorld::instance().api_no_log);
}
BENCHMARK(BM_CoreGetNoopStoreNoLog);

// A local issuer in a temp dir, one token of it, and the key set and rules that verify it.
struct TokenWorld {
  static TokenWorld& instance() {
    static TokenWorld world;
    return world;
  }
  sbapi::SystemClock clock;
  std::optional<sbapi::auth::LocalIssuer> issuer;
  std::unique_ptr<sbapi::auth::JwtVerifier> verifier;
  std::string es256_token;
  std::string rs256_token;
  sbapi::auth::KeySet rsa_keys;

 private:
  TokenWorld() {
    const std::filesystem::path dir = temp_root() / "token";
    auto opened = sbapi::auth::LocalIssuer::open(dir);
    if (!opened) throw std::runtime_error(opened.error());
    issuer.emplace(std::move(*opened));
    verifier = std::move(*issuer->verifier(clock));
    es256_token = *issuer->issue("user-000123", {}, std::chrono::hours(1), clock.now_seconds());
    // RS256 as Cognito signs: a 2048-bit key of its own, in a JWKS.
    auto rsa = sbapi::auth::testing::generate_rsa(2048);
    rsa_keys = *sbapi::auth::parse_jwks(
        sbapi::auth::testing::jwks({sbapi::auth::testing::public_jwk(rsa.get(), "rsa")}));
    const auto rules = sbapi::auth::LocalIssuer::rules();
    rs256_token = sbapi::auth::testing::signed_token({{"alg", "RS256"}, {"kid", "rsa"}},
                                                     {{"iss", rules.issuer},
                                                      {"aud", rules.audiences.front()},
                                                      {"sub", "user-000123"},
                                                      {"exp", clock.now_seconds() + 3600}},
                                                     sbapi::auth::JwsAlgorithm::kRs256, rsa.get());
  }
};

void BM_TokenVerifyCacheHit(benchmark::State& state) {
  auto& world = TokenWorld::instance();
  if (!world.verifier->verify(world.es256_token)) state.SkipWithError("token does not verify");
  for (auto _ : state) {
    auto identity = world.verifier->verify(world.es256_token);
    benchmark::DoNotOptimize(identity);
  }
}
BENCHMARK(BM_TokenVerifyCacheHit);

void verify_uncached(benchmark::State& state, const std::string& token,
                     const sbapi::auth::KeySet& keys) {
  auto& world = TokenWorld::instance();
  const auto rules = sbapi::auth::LocalIssuer::rules();
  if (!sbapi::auth::verify_jwt(token, keys, rules, world.clock.now_seconds())) {
    state.SkipWithError("token does not verify");
  }
  for (auto _ : state) {
    auto verified = sbapi::auth::verify_jwt(token, keys, rules, world.clock.now_seconds());
    benchmark::DoNotOptimize(verified);
  }
}
void BM_TokenVerifyEs256(benchmark::State& state) {
  auto& world = TokenWorld::instance();
  verify_uncached(state, world.es256_token, world.issuer->key_set());
}
BENCHMARK(BM_TokenVerifyEs256);
void BM_TokenVerifyRs256(benchmark::State& state) {
  auto& world = TokenWorld::instance();
  verify_uncached(state, world.rs256_token, world.rsa_keys);
}
BENCHMARK(BM_TokenVerifyRs256);

}  // namespace

// `sbapi_bench --preload-users DATA_DIR COUNT`: POSTs user-000000 .. user-<COUNT-1> through
// Api::handle into the SQLite database of DATA_DIR, exactly as `serve` would store them, then
// exits. bench/run.py uses it to fill the server's data dir before starting it: in-process
// inserts are an order of magnitude faster than concurrent POSTs over HTTP.
int preload_users(const char* data_dir, const char* count_text) {
  const int count = std::atoi(count_text);
  sbapi::SystemClock clock;
  sbapi::NullAccessLog log;
  auto db = sbapi::SqliteDatabase::open(data_dir);
  if (!db) {
    std::fprintf(stderr, "sbapi_bench: open %s: %s\n", data_dir, db.error().detail.c_str());
    return 1;
  }
  auto users = sbapi::SqliteTable::open(**db, sbapi::users_schema(), clock);
  if (!users) {
    std::fprintf(stderr, "sbapi_bench: users table: %s\n", users.error().detail.c_str());
    return 1;
  }
  sbapi::Api api(**users, clock, log);
  sbapi::Request r;
  r.method = "POST";
  r.path = "/users";
  for (int i = 0; i < count; ++i) {
    r.body = user_body(user_id(i));
    const int status = api.handle(r).status;
    if (status != 201 && status != 200) {
      std::fprintf(stderr, "sbapi_bench: preload %s: HTTP %d\n", user_id(i).c_str(), status);
      return 1;
    }
  }
  return 0;
}

namespace {

// Every thread runs the code before its first iteration, so the shared world is built once.
SqliteWorld& shared_write_world() {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  return write_world();
}

void BM_SqlitePostConcurrent(benchmark::State& state) {
  SqliteWorld& world = shared_write_world();
  static std::atomic<long> counter{0};  // unique ids across threads and repetitions
  // Thread 0 reads the commit count before the first and after the last iteration of all threads
  // (Google Benchmark starts and stops the threads together).
  const std::uint64_t commits_before = world.db->commits();
  sbapi::Request r;
  r.method = "POST";
  r.path = "/users";
  r.headers = {{"host", "127.0.0.1:3000"}, {"content-type", "application/json"}};
  for (auto _ : state) {
    r.body = user_body("post-mt-" + std::to_string(counter++));
    sbapi::Response response = world.api->handle(r);
    if (response.status != 201) {
      state.SkipWithError("POST did not answer 201");
      break;
    }
    benchmark::DoNotOptimize(response);
  }
  state.SetItemsProcessed(state.iterations());
  const std::uint64_t commits = world.db->commits() - commits_before;
  if (state.thread_index() == 0 && commits > 0) {
    // POSTs per COMMIT: the mean group-commit batch (1 = one fsync per write).
    state.counters["posts_per_commit"] =
        static_cast<double>(state.iterations()) * state.threads() / static_cast<double>(commits);
  }
}
BENCHMARK(BM_SqlitePostConcurrent)->Threads(16)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string_view(argv[1]) == "--preload-users") {
    return preload_users(argv[2], argv[3]);
  }
  const char* base = std::getenv("SBAPI_BENCH_TMPDIR");
  std::string pattern = (base != nullptr && *base != '\0') ? base : "/tmp";
  pattern += "/sbapi-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("sbapi_bench: mkdtemp");
    return 1;
  }
  temp_root() = pattern;
  const char* ram = std::getenv("SBAPI_BENCH_RAMDIR");
  if (ram != nullptr && *ram != '\0') ram_root() = ram;

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  int rc = 0;
  try {
    benchmark::RunSpecifiedBenchmarks();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sbapi_bench: %s\n", e.what());
    rc = 1;
  }
  benchmark::Shutdown();
  g_read_world.reset();  // close the databases before their directories go
  g_write_world.reset();
  std::error_code ignored;
  std::filesystem::remove_all(temp_root(), ignored);
  if (!ram_root().empty()) std::filesystem::remove_all(ram_root() / "sqlite-read", ignored);
  return rc;
}
