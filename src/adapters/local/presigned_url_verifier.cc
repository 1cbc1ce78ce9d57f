#include "adapters/local/presigned_url_verifier.h"

#include <openssl/crypto.h>

#include <array>
#include <optional>
#include <utility>

namespace sbapi {
namespace {

constexpr std::string_view kService = "s3";

constexpr std::string_view kAlgorithmParam = "X-Amz-Algorithm";
constexpr std::string_view kCredentialParam = "X-Amz-Credential";
constexpr std::string_view kDateParam = "X-Amz-Date";
constexpr std::string_view kExpiresParam = "X-Amz-Expires";
constexpr std::string_view kSignedHeadersParam = "X-Amz-SignedHeaders";
constexpr std::string_view kSignatureParam = "X-Amz-Signature";
constexpr std::string_view kSecurityTokenParam = "X-Amz-Security-Token";

// The parameters that make a request query-signed; S3 requires all six.
constexpr std::array<std::string_view, 6> kAuthParams = {
    kAlgorithmParam, kCredentialParam,    kSignatureParam,
    kDateParam,      kSignedHeadersParam, kExpiresParam,
};

constexpr std::string_view kSignatureMismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "key and signing method.";
constexpr std::string_view kMalformedCredential =
    "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "
    "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";

std::unexpected<VerifyFailure> fail(int status, std::string_view code, std::string message) {
  return std::unexpected(VerifyFailure{status, std::string(code), std::move(message)});
}

std::unexpected<VerifyFailure> parameters_error(std::string message) {
  return fail(400, "AuthorizationQueryParametersError", std::move(message));
}

std::unexpected<VerifyFailure> access_denied(std::string message) {
  return fail(403, "AccessDenied", std::move(message));
}

std::unexpected<VerifyFailure> invalid_uri() {
  return fail(400, "InvalidURI", "Couldn't parse the specified URI.");
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Raw path -> canonical URI: each segment decoded, then encoded once per AWS rules.
std::optional<std::string> canonical_uri_from_raw(std::string_view raw_path) {
  if (raw_path.empty() || raw_path.front() != '/') return std::nullopt;
  std::string out;
  bool first = true;
  for (std::string_view segment : split(raw_path, '/')) {
    if (!first) out += '/';
    first = false;
    auto decoded = sigv4::percent_decode(segment);
    if (!decoded) return std::nullopt;
    out += sigv4::uri_encode(*decoded, /*keep_slash=*/false);
  }
  return out;
}

// Raw query -> decoded (name, value) pairs in received order; "a" is ("a", ""), empty
// segments ("a=1&&b=2") are skipped.
std::optional<sigv4::Fields> decode_query(std::string_view raw_query) {
  sigv4::Fields params;
  if (raw_query.empty()) return params;
  for (std::string_view item : split(raw_query, '&')) {
    if (item.empty()) continue;
    const auto eq = item.find('=');
    auto name = sigv4::percent_decode(item.substr(0, eq));
    auto value = sigv4::percent_decode(eq == std::string_view::npos ? std::string_view{}
                                                                    : item.substr(eq + 1));
    if (!name || !value) return std::nullopt;
    params.emplace_back(std::move(*name), std::move(*value));
  }
  return params;
}

// Strictly "a;b;c": non-empty lower-case names, sorted, no repeats.
bool is_signed_headers_list(const std::vector<std::string_view>& names) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) return false;
    for (char c : names[i]) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                      c == '.' || c == '!' || c == '#' || c == '$' || c == '%' || c == '&' ||
                      c == '\'' || c == '*' || c == '+' || c == '^' || c == '`' || c == '|' ||
                      c == '~';
      if (!ok) return false;
    }
    if (i > 0 && !(names[i - 1] < names[i])) return false;
  }
  return true;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

PresignedUrlVerifier::PresignedUrlVerifier(VerifierConfig config) : config_(std::move(config)) {}

std::expected<void, VerifyFailure> PresignedUrlVerifier::verify(std::string_view method,
                                                                std::string_view raw_path,
                                                                std::string_view raw_query,
                                                                const Headers& headers,
                                                                std::int64_t now) const {
  const auto uri = canonical_uri_from_raw(raw_path);
  const auto params = decode_query(raw_query);
  if (!uri || !params) return invalid_uri();

  // ---- parameters ----
  auto find_param = [&](std::string_view name) -> const std::string* {
    for (const auto& [n, v] : *params) {
      if (n == name) return &v;
    }
    return nullptr;
  };
  auto count_param = [&](std::string_view name) {
    std::size_t count = 0;
    for (const auto& param : *params) count += param.first == name ? 1 : 0;
    return count;
  };
  bool any_auth = false;
  bool all_auth = true;
  for (std::string_view name : kAuthParams) {
    const std::size_t count = count_param(name);
    any_auth = any_auth || count > 0;
    all_auth = all_auth && count > 0;
  }
  if (!any_auth) return access_denied("Access Denied");
  for (const auto& header : headers) {
    if (to_lower(header.name) == "authorization") {
      return fail(400, "InvalidArgument",
                  "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                  "Signature query string parameter or the Authorization header should be "
                  "specified");
    }
  }
  if (!all_auth) {
    return parameters_error(
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
        "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
  }
  for (std::string_view name : kAuthParams) {
    if (count_param(name) > 1) {
      return parameters_error("Query-string authentication parameter " + std::string(name) +
                              " must be given only once.");
    }
  }
  if (count_param(kSecurityTokenParam) > 1) {
    return parameters_error(
        "Query-string authentication parameter X-Amz-Security-Token must be "
        "given only once.");
  }

  const std::string& algorithm = *find_param(kAlgorithmParam);
  const std::string& credential = *find_param(kCredentialParam);
  const std::string& date = *find_param(kDateParam);
  const std::string& expires_text = *find_param(kExpiresParam);
  const std::string& signed_headers = *find_param(kSignedHeadersParam);
  const std::string& provided_signature = *find_param(kSignatureParam);
  const std::string* token = find_param(kSecurityTokenParam);

  if (algorithm != sigv4::kAlgorithm) {
    return parameters_error("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  }

  const std::vector<std::string_view> scope = split(credential, '/');
  if (scope.size() != 5) return parameters_error(std::string(kMalformedCredential));
  for (std::string_view part : scope) {
    if (part.empty()) return parameters_error(std::string(kMalformedCredential));
  }
  const std::string_view access_key_id = scope[0];
  const std::string_view scope_date = scope[1];
  const std::string_view scope_region = scope[2];
  const std::string_view scope_service = scope[3];
  if (!sigv4::parse_amz_date(std::string(scope_date) + "T000000Z")) {
    return parameters_error(
        "Error parsing the X-Amz-Credential parameter; incorrect date format \"" +
        std::string(scope_date) +
        "\". This date in the credential must be in the format \"yyyyMMdd\".");
  }
  if (scope[4] != "aws4_request") {
    return parameters_error("Error parsing the X-Amz-Credential parameter; incorrect terminal \"" +
                            std::string(scope[4]) + "\". This endpoint uses \"aws4_request\".");
  }

  const auto signed_at = sigv4::parse_amz_date(date);
  if (!signed_at) {
    return parameters_error(
        "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  }

  std::string_view expires_digits = expires_text;
  const bool negative = !expires_digits.empty() && expires_digits.front() == '-';
  if (negative) expires_digits.remove_prefix(1);
  if (!all_digits(expires_digits)) return parameters_error("X-Amz-Expires should be a number");
  if (negative) return parameters_error("X-Amz-Expires must be non-negative");
  std::int64_t expires = 0;
  for (char c : expires_digits) {
    expires = expires * 10 + (c - '0');
    if (expires > sigv4::kMaxExpiresSeconds) break;  // no overflow on long digit strings
  }
  if (expires > sigv4::kMaxExpiresSeconds) {
    return parameters_error("X-Amz-Expires must be less than a week (in seconds) that is; 604800");
  }
  if (expires < 1) return parameters_error("X-Amz-Expires must be greater than 0");

  const std::vector<std::string_view> signed_names = split(signed_headers, ';');
  if (!is_signed_headers_list(signed_names)) {
    return parameters_error(
        "X-Amz-SignedHeaders must be a ';'-separated, sorted list of lower-case header names");
  }
  bool host_signed = false;
  for (std::string_view name : signed_names) host_signed = host_signed || name == "host";
  if (!host_signed) return parameters_error("X-Amz-SignedHeaders must include the host header");

  // ---- access key ----
  const sigv4::Credentials* credentials = nullptr;
  for (const auto& candidate : config_.credentials) {
    if (candidate.access_key_id == access_key_id) {
      credentials = &candidate;
      break;
    }
  }
  if (credentials == nullptr) {
    return fail(403, "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.");
  }
  const bool token_ok =
      credentials->session_token.empty()
          ? token == nullptr
          : token != nullptr && equal_constant_time(*token, credentials->session_token);
  if (!token_ok) {
    return fail(400, "InvalidToken", "The provided token is malformed or otherwise invalid.");
  }

  // ---- scope ----
  if (scope_date != std::string_view(date).substr(0, 8)) {
    return access_denied("Error parsing the X-Amz-Credential parameter; the credential date '" +
                         std::string(scope_date) + "' does not match the date of X-Amz-Date '" +
                         date + "'");
  }
  if (scope_region != config_.region) {
    return access_denied("Error parsing the X-Amz-Credential parameter; the region '" +
                         std::string(scope_region) + "' is wrong; expecting '" + config_.region +
                         "'");
  }
  if (scope_service != kService) {
    return access_denied("Error parsing the X-Amz-Credential parameter; incorrect service \"" +
                         std::string(scope_service) + "\". This endpoint belongs to \"s3\".");
  }

  // ---- expiry ----
  if (*signed_at - now > kMaxPresignClockSkewSeconds) {
    return access_denied("Request is not yet valid");
  }
  if (now > *signed_at + expires) return access_denied("Request has expired");

  // ---- signature ----
  sigv4::Fields signed_header_values;
  std::string payload_hash(sigv4::kUnsignedPayload);
  for (std::string_view name : signed_names) {
    bool found = false;
    for (const auto& header : headers) {
      if (to_lower(header.name) != name) continue;
      found = true;
      signed_header_values.emplace_back(std::string(name), header.value);
      if (name == "x-amz-content-sha256") {
        payload_hash = sigv4::canonical_header_value(header.value);
      }
    }
    if (!found) return fail(403, "SignatureDoesNotMatch", std::string(kSignatureMismatch));
  }

  sigv4::Fields query_params;
  query_params.reserve(params->size());
  for (const auto& param : *params) {
    if (param.first != kSignatureParam) query_params.push_back(param);
  }

  const std::string canonical = sigv4::canonical_request(
      method, *uri, sigv4::canonical_query_string(query_params),
      sigv4::canonical_headers(signed_header_values), signed_headers, payload_hash);
  const std::string to_sign = sigv4::string_to_sign(
      date, sigv4::credential_scope(scope_date, scope_region, scope_service), canonical);
  const std::string expected = sigv4::signature(
      sigv4::signing_key(credentials->secret_access_key, scope_date, scope_region, scope_service),
      to_sign);
  if (!equal_constant_time(expected, provided_signature)) {
    return fail(403, "SignatureDoesNotMatch", std::string(kSignatureMismatch));
  }
  return {};
}

}  // namespace sbapi
