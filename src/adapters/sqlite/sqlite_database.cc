#include "adapters/sqlite/sqlite_database.h"

#include <system_error>

#include "adapters/sqlite/directory_lock.h"
#include "adapters/sqlite/sqlite_database_impl.h"

namespace sbapi {
namespace {

// Readers: enough for every server thread; callers beyond it wait for a connection. The writer
// connection comes on top.
constexpr std::size_t kMaxFileConnections = 64;

std::expected<std::unique_ptr<SqliteDatabase::Impl>, StoreError> open_impl(const std::string& uri,
                                                                           std::size_t readers,
                                                                           bool dedicated_writer) {
  auto impl = std::make_unique<SqliteDatabase::Impl>(uri, readers, dedicated_writer);
  // Open the connections now so that a bad path fails at start-up, not on the first request.
  auto lease = impl->pool.acquire();
  if (!lease) return std::unexpected(lease.error());
  if (impl->writer_pool) {
    auto writer = impl->writer_pool->acquire();
    if (!writer) return std::unexpected(writer.error());
  }
  return impl;
}

}  // namespace

SqliteDatabase::SqliteDatabase(std::unique_ptr<Impl> impl,
                               std::unique_ptr<sqlite::DirectoryLock> lock)
    : lock_(std::move(lock)), impl_(std::move(impl)) {}
SqliteDatabase::~SqliteDatabase() = default;

void SqliteDatabase::observe(SqliteObserver& observer) {
  impl_->observer.store(&observer, std::memory_order_release);
  impl_->writes.observe(observer);
}

std::uint64_t SqliteDatabase::commits() const { return impl_->writes.commits(); }

void SqliteDatabase::wait_for_writes() { impl_->writes.wait_until_idle(); }

std::expected<std::unique_ptr<SqliteDatabase>, StoreError> SqliteDatabase::open(
    const std::filesystem::path& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return std::unexpected(StoreError{StoreError::Kind::kUnavailable,
                                      "cannot create " + data_dir.string() + ": " + ec.message()});
  }
  auto lock = sqlite::DirectoryLock::acquire(data_dir);
  if (!lock) return std::unexpected(StoreError{StoreError::Kind::kUnavailable, lock.error()});
  auto impl = open_impl((data_dir / "sbapi.db").string(), kMaxFileConnections, true);
  if (!impl) return std::unexpected(impl.error());
  return std::unique_ptr<SqliteDatabase>(new SqliteDatabase(std::move(*impl), std::move(*lock)));
}

std::expected<std::unique_ptr<SqliteDatabase>, StoreError> SqliteDatabase::open_in_memory() {
  // A private in-memory database exists per connection, so the pool holds exactly one and the
  // write queue uses it too.
  auto impl = open_impl(":memory:", 1, false);
  if (!impl) return std::unexpected(impl.error());
  return std::unique_ptr<SqliteDatabase>(new SqliteDatabase(std::move(*impl), nullptr));
}

}  // namespace sbapi
