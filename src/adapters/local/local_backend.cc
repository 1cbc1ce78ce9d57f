#include "adapters/local/local_backend.h"

#include <utility>

#include "core/schemas.h"

namespace sbapi {

std::expected<LocalBackend, std::string> make_local_backend(const std::string& data_dir,
                                                            LocalObjectConfig objects,
                                                            const Clock& clock) {
  LocalBackend backend;
  auto db = SqliteDatabase::open(data_dir);
  if (!db)
    return std::unexpected("cannot open the database in " + data_dir + ": " + db.error().detail);
  backend.db = std::move(*db);
  auto users = SqliteTable::open(*backend.db, users_schema(), clock);
  if (!users) return std::unexpected("cannot open the users table: " + users.error().detail);
  backend.users = std::move(*users);
  auto assets = SqliteTable::open(*backend.db, assets_schema(), clock);
  if (!assets) return std::unexpected("cannot open the assets table: " + assets.error().detail);
  backend.assets = std::move(*assets);
  backend.objects = std::make_unique<LocalObjectStore>(std::move(objects), clock);
  return backend;
}

}  // namespace sbapi
