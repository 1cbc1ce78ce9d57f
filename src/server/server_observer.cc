#include "server/server_observer.h"

namespace sbapi {

ServerObserver& no_server_observer() {
  static ServerObserver nothing;
  return nothing;
}

}  // namespace sbapi
