#include "core/docs_page.h"

#include <algorithm>
#include <string>

#include "core/responses.h"

namespace sbapi {
namespace {

// Swagger UI sets style attributes from script (React), hence 'unsafe-inline' for styles only;
// its images are inline SVG data: URLs. Nothing may frame the page (clickjacking a "Try it out").
constexpr std::string_view kPagePolicy =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'";

}  // namespace

Response docs_page_file(std::span<const StaticFile> files, std::string_view name) {
  const auto file = std::ranges::find(files, name, &StaticFile::name);
  if (file == files.end()) return error_response(404, "Not found");
  Response response;
  response.set_header("content-type", std::string(file->content_type));
  response.set_header("x-content-type-options", "nosniff");
  if (name == kDocsPageFile) {
    response.set_header("cache-control", "no-cache");
    response.set_header("content-security-policy", std::string(kPagePolicy));
    response.set_header("x-frame-options", "DENY");
  } else {
    response.set_header("cache-control", "public, max-age=3600");
  }
  response.body.assign(file->bytes);
  return response;
}

}  // namespace sbapi
