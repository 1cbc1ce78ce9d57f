// The docs page: this API's OpenAPI document rendered by Swagger UI, served from memory.
//
// `sbapi serve` answers GET /docs with the page and GET /docs/{file} with the files it loads
// (Swagger UI's script and styles, the page's own script), all built into the binary
// (cli/embedded_files.h), so the page works offline and needs no CDN. A binary built without
// swagger-ui-dist has no files: both routes answer 404.
#pragma once

#include <span>
#include <string_view>

#include "core/http.h"

namespace sbapi {

// A file built into the binary: its name under /docs/, media type and bytes (static storage).
struct StaticFile {
  std::string_view name;
  std::string_view content_type;
  std::string_view bytes;
};

// The name of the page's HTML file among `files`: what GET /docs answers.
inline constexpr std::string_view kDocsPageFile = "index.html";

// GET /docs/{name} (GET /docs: kDocsPageFile): the file with its media type, or 404. The page
// gets a Content-Security-Policy that lets it load scripts, styles and data from its own origin
// only (so the page never reaches a CDN, and an injected script cannot run) and is never cached
// stale; the other files may be cached for an hour (they change only with a new sbapi).
Response docs_page_file(std::span<const StaticFile> files, std::string_view name);

}  // namespace sbapi
