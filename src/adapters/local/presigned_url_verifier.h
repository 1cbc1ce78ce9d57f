// Verification of S3 SigV4 query-signed (presigned) URLs, as S3 does it, for the local object
// endpoint (path-style requests: /<bucket>/<key>).
//
// Contract
// - `verify` looks only at the request head (method, raw path, raw query, headers) and the time;
//   it is const and thread-safe. Success means: the URL was signed with one of the configured
//   credentials, for the configured region and service "s3", is valid at `now`, and its signature
//   covers exactly this method, path, query and the values of the signed headers. The body is
//   never looked at: the payload hash is UNSIGNED-PAYLOAD, or the x-amz-content-sha256 header's
//   value when that header is signed (then the caller must check the body against it).
// - Checks run in S3's order, and the first failure is returned (status, S3 error code, message):
//     query/path not decodable ......................... 400 InvalidURI
//     no query-auth parameter at all .................... 403 AccessDenied "Access Denied"
//     query auth together with an Authorization header .. 400 InvalidArgument
//     missing/duplicated/malformed auth parameter, X-Amz-Expires outside 1..604800, algorithm
//       other than AWS4-HMAC-SHA256, X-Amz-SignedHeaders not a sorted lower-case list or
//       without host ..................................... 400 AuthorizationQueryParametersError
//     unknown access key id ............................. 403 InvalidAccessKeyId
//     session token absent/unexpected/different from the configured one
//                                                         400 InvalidToken
//     scope date != X-Amz-Date's date, wrong region, service != s3
//                                                         403 AccessDenied (message names it)
//     X-Amz-Date more than 15 minutes ahead of `now` .... 403 AccessDenied "Request is not yet
//     valid" now > X-Amz-Date + X-Amz-Expires .................. 403 AccessDenied "Request has
//     expired" a signed header absent from the request, or a signature mismatch (compared in
//     constant
//       time) ........................................... 403 SignatureDoesNotMatch
// - Canonical request from what was received: the canonical URI is the raw path with each
//   '/'-separated segment percent-decoded and re-encoded per AWS rules (so %20, %2B, %28, raw
//   '(' or any other valid client encoding of the same bytes verify; an encoded slash %2F stays
//   inside its segment); the query is every parameter except X-Amz-Signature, decoded,
//   re-encoded and sorted ('+' is a literal plus, as in RFC 3986, not a space); header values
//   are canonicalised (trimmed, whitespace runs collapsed, repeats joined with ',').
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "core/http.h"
#include "server/object_endpoint.h"
#include "sigv4/sigv4.h"

namespace sbapi {

struct VerifierConfig {
  std::vector<sigv4::Credentials> credentials{};  // accepted signers
  std::string region{};                           // the only accepted scope region
};

// status, S3 error code, message — the endpoint's own error type, so it can be returned as is.
using VerifyFailure = ObjectError;

inline constexpr std::int64_t kMaxPresignClockSkewSeconds = 15 * 60;

class PresignedUrlVerifier {
 public:
  explicit PresignedUrlVerifier(VerifierConfig config);

  // `method` upper-case; `raw_path` and `raw_query` exactly as received (still percent-encoded,
  // query without '?'); `headers` with lower-case names; `now` in epoch seconds.
  [[nodiscard]] std::expected<void, VerifyFailure> verify(std::string_view method,
                                                          std::string_view raw_path,
                                                          std::string_view raw_query,
                                                          const Headers& headers,
                                                          std::int64_t now) const;

 private:
  VerifierConfig config_;
};

}  // namespace sbapi
