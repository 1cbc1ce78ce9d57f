// Test-only, header-only: one case of the aws-c-auth SigV4 test suite (sigv4_aws_suite_test.cc),
// whose cases are spelled out in the sigv4_suite_cases_*.h headers.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "sigv4/sigv4.h"

namespace sbapi::sigv4::suite {

inline constexpr std::int64_t kSuiteTime = 1440938160;  // 2015-08-30T12:36:00Z

struct SuiteCase {
  std::string name;
  std::string method;
  std::string path;  // unencoded
  Fields query;      // unencoded
  Fields headers;    // besides Host: example.amazonaws.com
  std::string body;
  bool sign_body;  // context.json "sign_body": x-amz-content-sha256 header and body hash
  std::string session_token;
  std::string header_canonical_request;
  std::string header_string_to_sign;
  std::string header_signature;
  std::string query_canonical_request;
  std::string query_string_to_sign;
  std::string query_signature;
};

inline void PrintTo(const SuiteCase& c, std::ostream* os) { *os << c.name; }

}  // namespace sbapi::sigv4::suite
