// Request ids: random, UUID-shaped (version 4), for `X-Request-Id` and the logs.
#pragma once

#include <string>

namespace sbapi {

std::string new_request_id();

}  // namespace sbapi
