// Files built into `sbapi` at build time (CMakeLists.txt, "Files built into sbapi"), so that
// `sbapi serve` answers them without reading the disk or the network: this API's OpenAPI
// document (openapi.yaml at the repository root) and the docs page (src/docs_page: its own
// HTML and script, and Swagger UI's files from the pinned swagger-ui-dist package).
#pragma once

#include <span>
#include <string_view>

#include "core/docs_page.h"

namespace sbapi {

// openapi.yaml, as it was when sbapi was built.
std::string_view openapi_document();

// The docs page's files, the page itself (kDocsPageFile) among them; empty when sbapi was built
// without swagger-ui-dist (npm was missing: scripts/setup.sh installs it).
std::span<const StaticFile> docs_page_files();

}  // namespace sbapi
