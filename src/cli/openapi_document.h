// The API's OpenAPI 3.0.3 document (openapi.yaml at the repository root), embedded at build time
// so that `sbapi serve` answers it at GET /openapi.yaml without reading files.
#pragma once

#include <string_view>

namespace sbapi {

std::string_view openapi_document();

}  // namespace sbapi
