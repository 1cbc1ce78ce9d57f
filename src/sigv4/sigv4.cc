#include "sigv4/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <stdexcept>

namespace sbapi::sigv4 {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::string_view kHexDigitsUpper = "0123456789ABCDEF";

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The headers that are signed: the caller's (less those named in `dropped`), plus the endpoint's
// host unless the caller gave one.
Fields headers_to_sign(const Fields& caller_headers, const Endpoint& endpoint,
                       std::initializer_list<std::string_view> dropped) {
  Fields out;
  bool has_host = false;
  for (const auto& [name, value] : caller_headers) {
    const std::string lower = to_lower(name);
    if (std::find(dropped.begin(), dropped.end(), lower) != dropped.end()) continue;
    has_host = has_host || lower == "host";
    out.emplace_back(name, value);
  }
  if (!has_host) out.emplace_back("host", endpoint.host);
  return out;
}

std::string full_path(const Endpoint& endpoint, std::string_view path) {
  std::string out = endpoint.base_path;
  if (path.empty() || path.front() != '/') out += '/';
  out += path;
  return out;
}

}  // namespace

// ---- primitives ----------------------------------------------------------------------------

std::string hex_lower(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHexDigits[c >> 4];
    out += kHexDigits[c & 0x0f];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), md.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("sigv4: EVP_Digest(SHA-256) failed");
  }
  return hex_lower({reinterpret_cast<const char*>(md.data()), length});
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  static constexpr unsigned char kNoKey = 0;
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int length = 0;
  const void* key_bytes = key.empty() ? static_cast<const void*>(&kNoKey) : key.data();
  static constexpr unsigned char kNoData = 0;
  const auto* data_bytes =
      data.empty() ? &kNoData : reinterpret_cast<const unsigned char*>(data.data());
  if (HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()), data_bytes, data.size(),
           out.data(), &length) == nullptr) {
    throw std::runtime_error("sigv4: HMAC-SHA256 failed");
  }
  return {reinterpret_cast<const char*>(out.data()), length};
}

std::string uri_encode(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHexDigitsUpper[c >> 4];
      out += kHexDigitsUpper[c & 0x0f];
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex_value(text[i + 1]);
    const int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

std::string amz_date(std::int64_t epoch_seconds) {
  using namespace std::chrono;
  const sys_seconds tp{seconds{epoch_seconds}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss hms{tp - day};
  std::array<char, 32> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%04d%02u%02uT%02d%02d%02dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return buffer.data();
}

std::optional<std::int64_t> parse_amz_date(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  for (std::size_t i = 0; i < 15; ++i) {
    if (i != 8 && !is_digit(text[i])) return std::nullopt;
  }
  auto number = [&](std::size_t pos, std::size_t len) {
    int value = 0;
    for (std::size_t i = pos; i < pos + len; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  using namespace std::chrono;
  const year_month_day ymd{year{number(0, 4)}, month{static_cast<unsigned>(number(4, 2))},
                           day{static_cast<unsigned>(number(6, 2))}};
  const int hour = number(9, 2);
  const int minute = number(11, 2);
  const int second = number(13, 2);
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const sys_seconds tp = sys_days{ymd} + hours{hour} + minutes{minute} + seconds{second};
  return tp.time_since_epoch().count();
}

std::string credential_scope(std::string_view date_stamp, std::string_view region,
                             std::string_view service) {
  std::string out;
  out.append(date_stamp).append("/").append(region).append("/").append(service);
  out.append("/aws4_request");
  return out;
}

Endpoint parse_endpoint(std::string_view endpoint) {
  Endpoint out;
  std::string_view rest = endpoint;
  if (const auto sep = rest.find("://"); sep != std::string_view::npos) {
    out.scheme = to_lower(rest.substr(0, sep));
    rest.remove_prefix(sep + 3);
  } else {
    out.scheme = "https";
  }
  const auto authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view path =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  path = path.substr(0, path.find_first_of("?#"));
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out.base_path = std::string(path);

  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);  // user info is never part of Host
  }
  std::string_view host = authority;
  std::string_view port;
  const auto bracket = authority.rfind(']');  // IPv6 literal: [::1]:8080
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  const bool default_port = port.empty() || (out.scheme == "http" && port == "80") ||
                            (out.scheme == "https" && port == "443");
  out.host = std::string(host);
  if (!default_port) out.host.append(":").append(port);
  return out;
}

std::string host_header(std::string_view endpoint) { return parse_endpoint(endpoint).host; }

// ---- canonical pieces ----------------------------------------------------------------------

std::string canonical_uri(std::string_view path) {
  if (path.empty()) return "/";
  std::string out = path.front() == '/' ? "" : "/";
  out += uri_encode(path, /*keep_slash=*/true);
  return out;
}

std::string canonical_query_string(const Fields& params) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const auto& [name, value] : params) {
    encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out.append(name).append("=").append(value);
  }
  return out;
}

std::string canonical_header_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::string canonical_headers(const Fields& headers) {
  std::vector<std::pair<std::string, std::string>> items;
  items.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    items.emplace_back(to_lower(name), canonical_header_value(value));
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0 && items[i].first == items[i - 1].first) {
      out.back() = ',';  // replaces the previous line's '\n'
    } else {
      out.append(items[i].first).append(":");
    }
    out.append(items[i].second).append("\n");
  }
  return out;
}

std::string signed_headers(const Fields& headers) {
  std::vector<std::string> names;
  names.reserve(headers.size());
  for (const auto& header : headers) names.push_back(to_lower(header.first));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ';';
    out += name;
  }
  return out;
}

std::string canonical_request(std::string_view method, std::string_view canonical_uri,
                              std::string_view canonical_query, std::string_view canonical_headers,
                              std::string_view signed_headers, std::string_view payload_hash) {
  std::string out;
  out.append(method).append("\n");
  out.append(canonical_uri).append("\n");
  out.append(canonical_query).append("\n");
  out.append(canonical_headers).append("\n");  // each header line already ends with '\n'
  out.append(signed_headers).append("\n");
  out.append(payload_hash);
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out.append("\n").append(amz_date).append("\n").append(scope).append("\n");
  out.append(sha256_hex(canonical_request));
  return out;
}

std::string signing_key(std::string_view secret_access_key, std::string_view date_stamp,
                        std::string_view region, std::string_view service) {
  const std::string k_date = hmac_sha256("AWS4" + std::string(secret_access_key), date_stamp);
  const std::string k_region = hmac_sha256(k_date, region);
  const std::string k_service = hmac_sha256(k_region, service);
  return hmac_sha256(k_service, "aws4_request");
}

std::string signature(std::string_view signing_key, std::string_view string_to_sign) {
  return hex_lower(hmac_sha256(signing_key, string_to_sign));
}

// ---- signing -------------------------------------------------------------------------------

SignResult sign_headers(const SignRequest& request, const Credentials& credentials) {
  const Endpoint endpoint = parse_endpoint(request.endpoint);
  const std::string date = amz_date(request.time);
  const std::string date_stamp = date.substr(0, 8);
  const std::string scope = credential_scope(date_stamp, request.region, request.service);
  const std::string payload_hash =
      request.payload_hash.empty() ? std::string(kEmptyPayloadHash) : request.payload_hash;

  SignResult result;
  result.headers.emplace_back("X-Amz-Date", date);
  if (!credentials.session_token.empty()) {
    result.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  if (request.add_content_sha256_header) {
    result.headers.emplace_back("x-amz-content-sha256", payload_hash);
  }
  Fields to_sign = headers_to_sign(
      request.headers, endpoint,
      {"x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "authorization"});
  to_sign.insert(to_sign.end(), result.headers.begin(), result.headers.end());

  const std::string signed_names = signed_headers(to_sign);
  result.canonical_request =
      canonical_request(request.method, canonical_uri(full_path(endpoint, request.path)),
                        canonical_query_string(request.query), canonical_headers(to_sign),
                        signed_names, payload_hash);
  result.string_to_sign = string_to_sign(date, scope, result.canonical_request);
  result.signature = signature(
      signing_key(credentials.secret_access_key, date_stamp, request.region, request.service),
      result.string_to_sign);
  result.headers.emplace_back("Authorization", std::string(kAlgorithm) +
                                                   " Credential=" + credentials.access_key_id +
                                                   "/" + scope + ", SignedHeaders=" + signed_names +
                                                   ", Signature=" + result.signature);
  return result;
}

PresignResult presign(const PresignRequest& request, const Credentials& credentials) {
  const Endpoint endpoint = parse_endpoint(request.endpoint);
  const std::string date = amz_date(request.time);
  const std::string date_stamp = date.substr(0, 8);
  const std::string scope = credential_scope(date_stamp, request.region, request.service);

  const Fields to_sign = headers_to_sign(request.headers, endpoint, {});
  const std::string signed_names = signed_headers(to_sign);
  // A signed x-amz-content-sha256 header is the payload hash S3 will use.
  std::string payload_hash = request.payload_hash;
  for (const auto& [name, value] : request.headers) {
    if (to_lower(name) == "x-amz-content-sha256") payload_hash = canonical_header_value(value);
  }

  // In the URL, as botocore writes it: the caller's parameters in their order, then the
  // X-Amz-* ones, X-Amz-Signature last. Signed is the canonical (sorted) form of the same set.
  Fields auth;
  auth.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
  auth.emplace_back("X-Amz-Credential", credentials.access_key_id + "/" + scope);
  auth.emplace_back("X-Amz-Date", date);
  auth.emplace_back("X-Amz-Expires", std::to_string(request.expires_seconds));
  auth.emplace_back("X-Amz-SignedHeaders", signed_names);
  if (!credentials.session_token.empty()) {
    auth.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  Fields params = request.query;
  params.insert(params.end(), auth.begin(), auth.end());
  const std::string uri = canonical_uri(full_path(endpoint, request.path));

  PresignResult result;
  result.canonical_request =
      canonical_request(request.method, uri, canonical_query_string(params),
                        canonical_headers(to_sign), signed_names, payload_hash);
  result.string_to_sign = string_to_sign(date, scope, result.canonical_request);
  result.signature = signature(
      signing_key(credentials.secret_access_key, date_stamp, request.region, request.service),
      result.string_to_sign);
  result.url = endpoint.scheme + "://" + endpoint.host + uri + "?";
  for (const auto& [name, value] : params) {
    result.url.append(uri_encode(name, false)).append("=").append(uri_encode(value, false));
    result.url += '&';
  }
  result.url.append("X-Amz-Signature=").append(result.signature);
  return result;
}

std::string presign_url(const PresignRequest& request, const Credentials& credentials) {
  return presign(request, credentials).url;
}

}  // namespace sbapi::sigv4
