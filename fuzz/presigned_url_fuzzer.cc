// Fuzz target: presigned URL verification, src/adapters/local/presigned_url_verifier.cc (what the
// local object endpoint checks before it reads a byte of an upload or sends a file).
//
// Input: the first line is a request target as received (raw path, '?', raw query); each further
// line "name: value" is a request header (when there are none: host and content-type as a client
// of a presigned PUT sends them). The verifier knows two signers: the local development key, and
// a temporary key with a session token. Its clock is fixed at the time of the URLs in the corpus.
//
// Checks, besides ASan/UBSan reports:
//   - raw: `verify` with PUT, GET and HEAD either succeeds or fails with 400/403 and one of the
//     documented S3 error codes; no request verifies for two methods (the method is signed);
//   - presign → verify: the first line used as an object key (the second, if it is a valid media
//     type, as the Content-Type; else application/pdf), presigned by S3Presigner as the local
//     object store does, by one of the signers: the PUT URL and the GET URL verify as sent; the PUT
//     URL fails for GET (SignatureDoesNotMatch), without its Content-Type header
//     (SignatureDoesNotMatch), and once expired (AccessDenied).
#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/local/presigned_url_verifier.h"
#include "core/validation.h"
#include "fuzz_support.h"
#include "sigv4/s3_presigner.h"

namespace {

using sbapi::fuzz::fail;
using sbapi::fuzz::kNow;

const std::array<sbapi::sigv4::Credentials, 2>& signers() {
  static const std::array<sbapi::sigv4::Credentials, 2> kSigners{
      sbapi::fuzz::local_credentials(),
      sbapi::sigv4::Credentials{"ASIAFUZZTEMPORARY", "temporary-secret", "session-token-1"}};
  return kSigners;
}

const sbapi::PresignedUrlVerifier& verifier() {
  static const sbapi::PresignedUrlVerifier kVerifier(
      sbapi::VerifierConfig{.credentials = {signers().begin(), signers().end()},
                            .region = std::string(sbapi::fuzz::kRegion)});
  return kVerifier;
}

std::string_view line_at(std::string_view& rest) {
  const auto eol = rest.find('\n');
  std::string_view line = rest.substr(0, eol);
  rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

void check_failure(const sbapi::VerifyFailure& failure, std::string_view context) {
  static constexpr std::array<std::string_view, 7> kCodes{
      "InvalidURI",           "AccessDenied",
      "InvalidArgument",      "AuthorizationQueryParametersError",
      "InvalidAccessKeyId",   "InvalidToken",
      "SignatureDoesNotMatch"};
  if (failure.status != 400 && failure.status != 403)
    fail("verify failed with a status not 400/403", context);
  bool known = false;
  for (std::string_view code : kCodes) known = known || failure.code == code;
  if (!known) fail("verify failed with an undocumented code", failure.code);
  if (failure.message.empty()) fail("verify failed without a message", context);
}

void raw(std::string_view target, const sbapi::Headers& headers) {
  const auto [path, query] = split_target(target);
  int verified = 0;
  for (std::string_view method : {"PUT", "GET", "HEAD"}) {
    const auto result = verifier().verify(method, path, query, headers, kNow);
    if (result) {
      ++verified;
    } else {
      check_failure(result.error(), target);
    }
  }
  if (verified > 1) fail("one presigned URL verified for two methods", target);
}

void expect_failure(const std::expected<void, sbapi::VerifyFailure>& result, std::string_view code,
                    std::string_view what, std::string_view key) {
  if (result) fail(what, key);
  if (result.error().code != code) {
    fail(what, std::string(key) + " -> " + result.error().code + ": " + result.error().message);
  }
}

void round_trip(std::string_view key, std::string_view content_type) {
  const std::string host(sbapi::fuzz::kHost);
  // One signer per input (signing is what costs here), each for half of the inputs.
  const auto& credentials = signers()[key.size() % signers().size()];
  const sbapi::sigv4::S3Presigner presigner({.bucket = std::string(sbapi::fuzz::kBucket),
                                             .region = std::string(sbapi::fuzz::kRegion),
                                             .credentials = credentials,
                                             .endpoint = std::string(sbapi::fuzz::kPublicUrl),
                                             .path_style = true});
  const std::string put_url = presigner.presign("PUT", key, content_type, kNow, 3600);
  const std::string get_url = presigner.presign("GET", key, {}, kNow, 3600);
  for (const std::string* url : {&put_url, &get_url}) {
    if (!url->starts_with(sbapi::fuzz::kPublicUrl)) fail("presigned URL not on the endpoint", *url);
  }
  const auto [put_path, put_query] =
      split_target(std::string_view(put_url).substr(sbapi::fuzz::kPublicUrl.size()));
  const auto [get_path, get_query] =
      split_target(std::string_view(get_url).substr(sbapi::fuzz::kPublicUrl.size()));
  const sbapi::Headers put_headers{{"host", host}, {"content-type", std::string(content_type)}};
  const sbapi::Headers get_headers{{"host", host}};

  if (const auto r = verifier().verify("PUT", put_path, put_query, put_headers, kNow); !r) {
    fail("a presigned PUT URL does not verify",
         std::string(key) + "\n" + put_url + "\n-> " + r.error().code + ": " + r.error().message);
  }
  if (const auto r = verifier().verify("GET", get_path, get_query, get_headers, kNow + 10); !r) {
    fail("a presigned GET URL does not verify",
         std::string(key) + "\n" + get_url + "\n-> " + r.error().code + ": " + r.error().message);
  }
  expect_failure(verifier().verify("GET", put_path, put_query, put_headers, kNow),
                 "SignatureDoesNotMatch", "a PUT URL verified for GET", key);
  expect_failure(verifier().verify("PUT", put_path, put_query, get_headers, kNow),
                 "SignatureDoesNotMatch", "a PUT URL verified without its Content-Type", key);
  expect_failure(verifier().verify("PUT", put_path, put_query, put_headers, kNow + 3601),
                 "AccessDenied", "an expired PUT URL verified", key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string_view target = line_at(rest);
  const std::string_view second = rest.substr(0, rest.find('\n'));

  sbapi::Headers headers;
  while (!rest.empty()) {
    const std::string_view line = line_at(rest);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
  }
  if (headers.empty()) {
    headers = {{"host", std::string(sbapi::fuzz::kHost)}, {"content-type", "application/pdf"}};
  }
  raw(target, headers);

  const std::string_view content_type =
      sbapi::is_valid_media_type(second) ? second : std::string_view("application/pdf");
  round_trip(target, content_type);
  return 0;
}
