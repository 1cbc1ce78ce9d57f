// `sbapi_icount MODE[-metrics] DATA_DIR CALLS`: the steady-state instructions of one request
// through Api::handle, counted by valgrind's callgrind (bench/instructions.py runs it;
// bench/README.md says how to read the figures).
//
// Run under `valgrind --tool=callgrind --instr-atstart=no`: the set-up below runs with
// instrumentation off, then exactly CALLS requests run between CALLGRIND_START_INSTRUMENTATION
// and CALLGRIND_STOP_INSTRUMENTATION, so callgrind's total ÷ CALLS is the cost of one request
// (every thread's instructions count: the write path's, too). Outside valgrind the client
// requests are a few no-op instructions, and the program is an ordinary smoke run.
//
// What is measured is what `sbapi serve` does per request, minus the transport:
//   get   GET /users/{id} over a SqliteTable of kUsers users, the item cache warm (every user
//         read once before counting: a cache hit, as in a serving steady state); the ids wander
//         over the whole table. Access log formatted and written to /dev/null.
//   post  POST /users of a new user each time, after kUsers earlier POSTs (the warm-up, which is
//         also the table's content): a durable SQLite write (WAL, synchronous=FULL; the fsync
//         costs no user-space instructions, so DATA_DIR may be a tmpfs).
//   get-token  GET /users/{id} as `get`, with authentication on (`--auth local`): every request
//         carries the same admin token, so after the first each is a verification cache hit.
//   list  GET /assets?limit=25 with authentication on, a non-admin owner's token: the owner's
//         newest page of kAssets assets (owner index), answered with a signed nextToken.
//   MODE-metrics: the same with `sbapi serve`'s metrics on (src/metrics: the access log counted
//         by ServeMetrics, the database reporting its commits and cache lookups to it), for the
//         cost of metrics per request.
// DATA_DIR must be empty or missing: the database is created there.
#include <valgrind/callgrind.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/local/local_object_store.h"
#include "adapters/sqlite/sqlite_database.h"
#include "adapters/sqlite/sqlite_table.h"
#include "auth/jwt_verifier.h"
#include "auth/local_issuer.h"
#include "bench_requests.h"
#include "core/access_log.h"
#include "core/api.h"
#include "core/clock.h"
#include "core/schemas.h"
#include "metrics/serve_metrics.h"

namespace {

using sbapi::bench::get_request;
using sbapi::bench::post_asset_request;
using sbapi::bench::post_user_request;
using sbapi::bench::user_id;

constexpr int kUsers = 1000;   // fits the item cache (4 MiB) many times over
constexpr int kAssets = 1000;  // 40 pages of 25

// The clock starts here and moves one second every kCallsPerSecond requests, the same in every
// run: with the wall clock, which requests share a createdAt second (and so how the createdAt
// index compares its keys) would change the count from run to run by ~2 %.
constexpr std::int64_t kStart = 1'795'564'800;  // 2026-11-25T00:00:00Z
constexpr int kCallsPerSecond = 8;

int fail(const std::string& what) {
  std::fprintf(stderr, "sbapi_icount: %s\n", what.c_str());
  return 1;
}

// The requests of a mode, built before counting (making them is the client's work), and the
// status each must get.
struct Workload {
  std::vector<sbapi::Request> requests;
  int status = 200;
  bool wander = false;  // visit the requests in a scattered order, `calls` times in all
};

int count(std::string_view what, const char* data_dir, int calls, bool with_metrics) {
  sbapi::FixedClock clock(kStart);
  int ticks = 0;
  const auto tick = [&] { clock.set(kStart + ticks++ / kCallsPerSecond); };
  std::FILE* dev_null = std::fopen("/dev/null", "w");
  if (dev_null == nullptr) return fail("cannot open /dev/null");
  sbapi::JsonLinesAccessLog log(dev_null);
  sbapi::metrics::ServeMetrics metrics(log);
  auto db = sbapi::SqliteDatabase::open(data_dir);
  if (!db) return fail(std::string("open ") + data_dir + ": " + db.error().detail);
  if (with_metrics) (*db)->observe(metrics);
  auto users = sbapi::SqliteTable::open(**db, sbapi::users_schema(), clock);
  if (!users) return fail("users table: " + users.error().detail);
  sbapi::Api api(**users, clock, with_metrics ? static_cast<sbapi::AccessLog&>(metrics) : log);

  // Authentication on (get-token, list): the local issuer's tokens, as `serve --auth local`.
  const bool auth = what == "get-token" || what == "list";
  std::optional<sbapi::auth::LocalIssuer> issuer;
  std::unique_ptr<sbapi::auth::JwtVerifier> verifier;
  std::unique_ptr<sbapi::Table> assets;
  std::unique_ptr<sbapi::LocalObjectStore> objects;
  std::string admin_token, owner_token;
  if (auth) {
    auto opened = sbapi::auth::LocalIssuer::open(std::string(data_dir) + "/auth");
    if (!opened) return fail("local issuer: " + opened.error());
    issuer.emplace(std::move(*opened));
    auto made = issuer->verifier(clock);
    if (!made) return fail("verifier: " + made.error());
    verifier = std::move(*made);
    api.require_tokens(*verifier);
    const auto ttl = std::chrono::hours(24);
    admin_token = *issuer->issue("bench-admin", {"admin"}, ttl, kStart);
    owner_token = *issuer->issue("bench-owner", {}, ttl, kStart);
    auto opened_assets = sbapi::SqliteTable::open(**db, sbapi::assets_schema(), clock);
    if (!opened_assets) return fail("assets table: " + opened_assets.error().detail);
    assets = std::move(*opened_assets);
    objects = std::make_unique<sbapi::LocalObjectStore>(
        sbapi::LocalObjectConfig{
            "bench", "us-east-1", {"AKID", "SECRET", ""}, "http://127.0.0.1:3000"},
        clock);
    api.serve_assets(*assets, *objects);
  }
  const auto with_token = [](sbapi::Request r, const std::string& token) {
    if (!token.empty()) r.headers.emplace_back("authorization", "Bearer " + token);
    return r;
  };

  for (int i = 0; i < kUsers; ++i) {
    tick();
    auto r = with_token(post_user_request(user_id(i)), admin_token);
    if (api.handle(r).status != 201) return fail("preload failed");
  }

  Workload work;
  if (what == "get" || what == "get-token") {
    for (int i = 0; i < kUsers; ++i) {
      work.requests.push_back(with_token(get_request("/users/" + user_id(i)), admin_token));
    }
    work.wander = true;
  } else if (what == "list") {
    for (int i = 0; i < kAssets; ++i) {
      tick();
      auto r = with_token(post_asset_request(user_id(i, "asset-")), owner_token);
      if (api.handle(r).status != 201) return fail("asset preload failed");
    }
    auto r = with_token(get_request("/assets"), owner_token);
    r.query = "limit=25";
    work.requests.push_back(std::move(r));
    work.wander = true;
  } else {
    for (int i = 0; i < calls; ++i) {
      work.requests.push_back(post_user_request(user_id(i, "post-")));
    }
    work.status = 201;
  }
  int bad = 0;
  if (work.wander) {  // warm: every item in the cache, the token verified once
    for (const auto& r : work.requests) bad += api.handle(r).status != work.status ? 1 : 0;
  }
  std::size_t next = 0;
  CALLGRIND_START_INSTRUMENTATION;
  for (int i = 0; i < calls; ++i) {
    tick();
    bad += api.handle(work.requests[next]).status != work.status ? 1 : 0;
    next = work.wander ? (next * 7919 + 1) % work.requests.size() : next + 1;
  }
  CALLGRIND_STOP_INSTRUMENTATION;
  if (bad != 0) return fail(std::to_string(bad) + " requests did not succeed");
  std::printf("%.*s calls %d\n", static_cast<int>(what.size()), what.data(), calls);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view what = argc == 4 ? argv[1] : "";
  const bool with_metrics = what.ends_with("-metrics");
  if (with_metrics) what.remove_suffix(std::string_view("-metrics").size());
  const int calls = argc == 4 ? std::atoi(argv[3]) : 0;
  if ((what != "get" && what != "post" && what != "get-token" && what != "list") || calls <= 0) {
    std::fprintf(stderr, "usage: sbapi_icount get|post|get-token|list[-metrics] DATA_DIR CALLS\n");
    return 2;
  }
  try {
    return count(what, argv[2], calls, with_metrics);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
