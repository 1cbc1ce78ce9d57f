// Test support for the PresignedUrlVerifier tests (header-only, not part of any library): requests
// as a client sends them for URLs presigned here, and checks of the verifier's answer.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/local/presigned_url_verifier.h"
#include "sigv4/sigv4.h"

namespace sbapi::presigned_url_test {

inline constexpr std::string_view kEndpoint = "http://localhost:3000";
inline constexpr std::int64_t kT = 1714564800;  // 20240501T120000Z, X-Amz-Date of every URL here
inline const std::string kKey = "/assets-bucket/assets/a1/my file+=&(1) \xC3\xA9 \xC3\xBC.pdf";

inline const sigv4::Credentials kLocal{"AKIDLOCALEXAMPLE", "localsecret/EXAMPLE+KEY", ""};
inline const sigv4::Credentials kTemporary{"ASIALOCALEXAMPLE", "localsecret/EXAMPLE+KEY",
                                           "FQoG/token+with=chars"};

struct RawRequest {
  std::string method;
  std::string path;   // raw
  std::string query;  // raw
  Headers headers;
};

// The request a client sends for `url` (which must be on kEndpoint).
inline RawRequest request_for(std::string method, const std::string& url, Headers extra = {}) {
  EXPECT_TRUE(url.starts_with(kEndpoint)) << url;
  const std::string target = url.substr(kEndpoint.size());
  const auto question = target.find('?');
  RawRequest request{std::move(method),
                     target.substr(0, question),
                     question == std::string::npos ? "" : target.substr(question + 1),
                     {{"host", "localhost:3000"}}};
  for (auto& header : extra) request.headers.push_back(std::move(header));
  return request;
}

inline std::string presigned(std::string method, std::string path,
                             const sigv4::Credentials& credentials,
                             std::vector<std::pair<std::string, std::string>> headers = {},
                             std::int64_t expires = 3600) {
  return sigv4::presign_url(
      {
          .method = std::move(method),
          .endpoint = std::string(kEndpoint),
          .path = std::move(path),
          .headers = std::move(headers),
          .region = "us-east-1",
          .time = kT,
          .expires_seconds = expires,
      },
      credentials);
}

inline RawRequest put_request(const sigv4::Credentials& credentials = kLocal) {
  return request_for("PUT",
                     presigned("PUT", kKey, credentials, {{"content-type", "application/pdf"}}),
                     {{"content-type", "application/pdf"}, {"content-length", "3"}});
}

inline RawRequest get_request(const sigv4::Credentials& credentials = kLocal) {
  return request_for("GET", presigned("GET", kKey, credentials));
}

inline PresignedUrlVerifier make_verifier() {
  return PresignedUrlVerifier({.credentials = {kLocal, kTemporary}, .region = "us-east-1"});
}

inline std::expected<void, VerifyFailure> verify(const RawRequest& request,
                                                 std::int64_t now = kT + 60) {
  return make_verifier().verify(request.method, request.path, request.query, request.headers, now);
}

inline std::string describe(const std::expected<void, VerifyFailure>& result) {
  if (result) return "accepted";
  return std::to_string(result.error().status) + " " + result.error().code + ": " +
         result.error().message;
}

// Replaces the single occurrence of `from` (the test fails if there is not exactly one).
inline std::string replace_once(std::string text, std::string_view from, std::string_view to) {
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << "'" << from << "' not in " << text;
  if (pos == std::string::npos) return text;
  EXPECT_EQ(text.find(from, pos + 1), std::string::npos) << "'" << from << "' twice in " << text;
  return text.replace(pos, from.size(), to);
}

inline void expect_failure(const std::expected<void, VerifyFailure>& result, int status,
                           std::string_view code, std::string_view message = {}) {
  ASSERT_FALSE(result.has_value()) << "expected " << code << ", got accepted";
  EXPECT_EQ(result.error().status, status) << describe(result);
  EXPECT_EQ(result.error().code, code) << describe(result);
  if (!message.empty()) {
    EXPECT_EQ(result.error().message, message);
  }
}

inline constexpr std::string_view kMismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "key and signing method.";

}  // namespace sbapi::presigned_url_test
