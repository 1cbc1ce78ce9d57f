#include "adapters/sqlite/sqlite_observer.h"

namespace sbapi {

SqliteObserver& no_sqlite_observer() {
  static SqliteObserver nothing;
  return nothing;
}

}  // namespace sbapi
