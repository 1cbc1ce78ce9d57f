// PresignedUrlVerifier: the requests it refuses, and with which S3 error: tampered URLs, missing
// or malformed parameters, the wrong scope or token, malformed requests; and the order of the
// checks.
#include "adapters/local/presigned_url_verifier.h"

#include <gtest/gtest.h>

#include <string>

#include "adapters/local/presigned_url_test_support.h"
#include "sigv4/sigv4.h"

namespace sbapi {
namespace {

using namespace presigned_url_test;

// ---- single tamperings -----------------------------------------------------------------------

TEST(PresignedUrlVerifier, RejectsChangedSignature) {
  RawRequest request = put_request();
  const char last = request.query.back();
  request.query.back() = last == '0' ? '1' : '0';
  expect_failure(verify(request), 403, "SignatureDoesNotMatch", kMismatch);
  request.query += "0";  // a longer signature
  expect_failure(verify(request), 403, "SignatureDoesNotMatch", kMismatch);
}

TEST(PresignedUrlVerifier, RejectsChangedExpires) {
  RawRequest request = put_request();
  request.query = replace_once(request.query, "X-Amz-Expires=3600", "X-Amz-Expires=7200");
  expect_failure(verify(request), 403, "SignatureDoesNotMatch", kMismatch);
}

TEST(PresignedUrlVerifier, RejectsChangedDate) {
  RawRequest request = put_request();
  request.query =
      replace_once(request.query, "X-Amz-Date=20240501T120000Z", "X-Amz-Date=20240501T120100Z");
  expect_failure(verify(request), 403, "SignatureDoesNotMatch", kMismatch);
}

TEST(PresignedUrlVerifier, RejectsChangedAccessKeyId) {
  RawRequest request = put_request();
  request.query = replace_once(request.query, "AKIDLOCALEXAMPLE%2F", "AKIDLOCALEXAMPLF%2F");
  expect_failure(verify(request), 403, "InvalidAccessKeyId",
                 "The AWS Access Key Id you provided does not exist in our records.");
}

TEST(PresignedUrlVerifier, RejectsChangedRegion) {
  RawRequest request = put_request();
  request.query = replace_once(request.query, "%2Fus-east-1%2F", "%2Feu-west-1%2F");
  expect_failure(verify(request), 403, "AccessDenied",
                 "Error parsing the X-Amz-Credential parameter; the region 'eu-west-1' is wrong; "
                 "expecting 'us-east-1'");
}

TEST(PresignedUrlVerifier, RejectsUrlSignedForAnotherRegion) {
  const std::string url = sigv4::presign_url({.method = "GET",
                                              .endpoint = std::string(kEndpoint),
                                              .path = kKey,
                                              .region = "eu-west-1",
                                              .time = kT},
                                             kLocal);
  expect_failure(verify(request_for("GET", url)), 403, "AccessDenied");
}

TEST(PresignedUrlVerifier, RejectsChangedKeyPath) {
  RawRequest request = put_request();
  request.path = replace_once(request.path, "/a1/", "/a2/");
  expect_failure(verify(request), 403, "SignatureDoesNotMatch", kMismatch);
  request = put_request();
  request.path = replace_once(request.path, "/assets/", "/assets//");
  expect_failure(verify(request), 403, "SignatureDoesNotMatch", kMismatch);
}

TEST(PresignedUrlVerifier, RejectsChangedMethod) {
  RawRequest request = put_request();
  request.method = "GET";
  expect_failure(verify(request), 403, "SignatureDoesNotMatch", kMismatch);
  request = get_request();
  request.method = "HEAD";
  expect_failure(verify(request), 403, "SignatureDoesNotMatch", kMismatch);
}

TEST(PresignedUrlVerifier, RejectsDifferentContentType) {
  RawRequest request = put_request();
  request.headers = {{"host", "localhost:3000"}, {"content-type", "text/html"}};
  expect_failure(verify(request), 403, "SignatureDoesNotMatch", kMismatch);
}

TEST(PresignedUrlVerifier, RejectsMissingSignedHeader) {
  RawRequest request = put_request();
  request.headers = {{"host", "localhost:3000"}, {"content-length", "3"}};
  expect_failure(verify(request), 403, "SignatureDoesNotMatch");
  request.headers = {{"content-type", "application/pdf"}};  // no host
  expect_failure(verify(request), 403, "SignatureDoesNotMatch");
}

TEST(PresignedUrlVerifier, RejectsOtherHost) {
  RawRequest request = get_request();
  request.headers = {{"host", "127.0.0.1:3000"}};
  expect_failure(verify(request), 403, "SignatureDoesNotMatch", kMismatch);
}

TEST(PresignedUrlVerifier, RejectsAddedQueryParameter) {
  RawRequest request = get_request();
  request.query += "&response-content-type=text%2Fhtml";
  expect_failure(verify(request), 403, "SignatureDoesNotMatch", kMismatch);
}

// ---- parameters --------------------------------------------------------------------------------

TEST(PresignedUrlVerifier, NoQueryAuthenticationIsAccessDenied) {
  for (const char* query : {"", "x=1", "X-Amz-Security-Token=abc", "AWSAccessKeyId=AKID"}) {
    const RawRequest request{"GET", "/assets-bucket/a", query, {{"host", "localhost:3000"}}};
    expect_failure(verify(request), 403, "AccessDenied", "Access Denied");
  }
}

TEST(PresignedUrlVerifier, RejectsMissingParameter) {
  for (const char* name : {"X-Amz-Algorithm=", "X-Amz-Credential=", "X-Amz-Date=", "X-Amz-Expires=",
                           "X-Amz-SignedHeaders=", "X-Amz-Signature="}) {
    RawRequest request = get_request();
    request.query = replace_once(request.query, name, "X-Renamed=");
    expect_failure(verify(request), 400, "AuthorizationQueryParametersError",
                   "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                   "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                   "X-Amz-Expires parameters.");
  }
}

TEST(PresignedUrlVerifier, RejectsRepeatedParameter) {
  RawRequest request = get_request();
  request.query += "&X-Amz-Date=20240501T120000Z";
  expect_failure(verify(request), 400, "AuthorizationQueryParametersError");
}

TEST(PresignedUrlVerifier, RejectsExpiresOverAWeek) {
  RawRequest request = get_request();
  request.query = replace_once(request.query, "X-Amz-Expires=3600", "X-Amz-Expires=604801");
  expect_failure(verify(request), 400, "AuthorizationQueryParametersError",
                 "X-Amz-Expires must be less than a week (in seconds) that is; 604800");
  request = get_request();
  request.query =
      replace_once(request.query, "X-Amz-Expires=3600", "X-Amz-Expires=99999999999999999999999");
  expect_failure(verify(request), 400, "AuthorizationQueryParametersError",
                 "X-Amz-Expires must be less than a week (in seconds) that is; 604800");
}

TEST(PresignedUrlVerifier, RejectsMalformedExpires) {
  const std::pair<const char*, const char*> cases[] = {
      {"X-Amz-Expires=abc", "X-Amz-Expires should be a number"},
      {"X-Amz-Expires=", "X-Amz-Expires should be a number"},
      {"X-Amz-Expires=%2B5", "X-Amz-Expires should be a number"},
      {"X-Amz-Expires=1.5", "X-Amz-Expires should be a number"},
      {"X-Amz-Expires=-1", "X-Amz-Expires must be non-negative"},
      {"X-Amz-Expires=0", "X-Amz-Expires must be greater than 0"},
  };
  for (const auto& [replacement, message] : cases) {
    RawRequest request = get_request();
    request.query = replace_once(request.query, "X-Amz-Expires=3600", replacement);
    expect_failure(verify(request), 400, "AuthorizationQueryParametersError", message);
  }
}

TEST(PresignedUrlVerifier, RejectsMalformedDate) {
  for (const char* date : {"20240501T120000", "2024-05-01T12:00:00Z", "20240532T120000Z", ""}) {
    RawRequest request = get_request();
    request.query = replace_once(request.query, "X-Amz-Date=20240501T120000Z",
                                 std::string("X-Amz-Date=") + date);
    expect_failure(verify(request), 400, "AuthorizationQueryParametersError",
                   "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  }
}

TEST(PresignedUrlVerifier, RejectsOtherAlgorithm) {
  RawRequest request = get_request();
  request.query = replace_once(request.query, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512");
  expect_failure(verify(request), 400, "AuthorizationQueryParametersError",
                 "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
}

TEST(PresignedUrlVerifier, RejectsMalformedCredential) {
  const char* credentials[] = {
      "AKIDLOCALEXAMPLE%2F20240501%2Fus-east-1%2Fs3",                     // 4 parts
      "AKIDLOCALEXAMPLE%2F20240501%2Fus-east-1%2Fs3%2Faws4_request%2Fx",  // 6 parts
      "%2F20240501%2Fus-east-1%2Fs3%2Faws4_request",                      // no key
      "AKIDLOCALEXAMPLE%2F2024051%2Fus-east-1%2Fs3%2Faws4_request",       // 7-digit date
      "AKIDLOCALEXAMPLE%2F20241301%2Fus-east-1%2Fs3%2Faws4_request",      // month 13
      "AKIDLOCALEXAMPLE%2F20240501%2Fus-east-1%2Fs3%2Faws4_requesT",      // terminal
      "AKIDLOCALEXAMPLE%2F20240501%2F%2Fs3%2Faws4_request",               // no region
  };
  for (const char* credential : credentials) {
    RawRequest request = get_request();
    request.query = replace_once(
        request.query, "AKIDLOCALEXAMPLE%2F20240501%2Fus-east-1%2Fs3%2Faws4_request", credential);
    expect_failure(verify(request), 400, "AuthorizationQueryParametersError");
    EXPECT_TRUE(verify(request).error().message.starts_with(
        "Error parsing the X-Amz-Credential parameter;"))
        << describe(verify(request));
  }
}

TEST(PresignedUrlVerifier, RejectsSignedHeadersWithoutHost) {
  const std::pair<const char*, const char*> cases[] = {
      {"X-Amz-SignedHeaders=content-type", "X-Amz-SignedHeaders must include the host header"},
      {"X-Amz-SignedHeaders=host%3Bcontent-type", nullptr},     // not sorted
      {"X-Amz-SignedHeaders=Content-Type%3Bhost", nullptr},     // not lower-case
      {"X-Amz-SignedHeaders=content-type%3B%3Bhost", nullptr},  // empty name
      {"X-Amz-SignedHeaders=", nullptr},
  };
  for (const auto& [replacement, message] : cases) {
    RawRequest request = put_request();
    request.query =
        replace_once(request.query, "X-Amz-SignedHeaders=content-type%3Bhost", replacement);
    expect_failure(verify(request), 400, "AuthorizationQueryParametersError",
                   message == nullptr ? "" : message);
  }
}

// ---- scope and token ----------------------------------------------------------------------------

TEST(PresignedUrlVerifier, RejectsScopeDateOtherThanRequestDate) {
  RawRequest request = get_request();
  request.query = replace_once(request.query, "%2F20240501%2F", "%2F20240502%2F");
  expect_failure(verify(request), 403, "AccessDenied");
  EXPECT_NE(verify(request).error().message.find("20240502"), std::string::npos);
}

TEST(PresignedUrlVerifier, RejectsServiceOtherThanS3) {
  RawRequest request = get_request();
  request.query = replace_once(request.query, "%2Fs3%2F", "%2Fdynamodb%2F");
  expect_failure(verify(request), 403, "AccessDenied",
                 "Error parsing the X-Amz-Credential parameter; incorrect service \"dynamodb\". "
                 "This endpoint belongs to \"s3\".");
}

TEST(PresignedUrlVerifier, SessionTokenMustMatchTheCredentials) {
  RawRequest changed = get_request(kTemporary);
  changed.query = replace_once(changed.query, "FQoG%2Ftoken", "FQoG%2Ftoken2");
  expect_failure(verify(changed), 400, "InvalidToken");

  RawRequest removed = get_request(kTemporary);
  removed.query =
      replace_once(removed.query, "X-Amz-Security-Token=FQoG%2Ftoken%2Bwith%3Dchars&", "");
  expect_failure(verify(removed), 400, "InvalidToken");

  // A token on a URL signed by long-term credentials (here signed in, so only the token is off).
  const sigv4::Credentials local_with_token{kLocal.access_key_id, kLocal.secret_access_key,
                                            "unexpected"};
  expect_failure(verify(get_request(local_with_token)), 400, "InvalidToken");
}

// ---- order of the checks ------------------------------------------------------------------------

TEST(PresignedUrlVerifier, ChecksInS3Order) {
  // parameters before access key
  RawRequest request = get_request();
  request.query = replace_once(request.query, "AKIDLOCALEXAMPLE", "NOBODY");
  request.query = replace_once(request.query, "X-Amz-Expires=3600", "X-Amz-Expires=604801");
  expect_failure(verify(request), 400, "AuthorizationQueryParametersError");

  // access key before scope and expiry
  request = get_request();
  request.query = replace_once(request.query, "AKIDLOCALEXAMPLE", "NOBODY");
  request.query = replace_once(request.query, "%2Fus-east-1%2F", "%2Feu-west-1%2F");
  expect_failure(verify(request, kT + 99999), 403, "InvalidAccessKeyId");

  // scope before expiry
  request = get_request();
  request.query = replace_once(request.query, "%2Fus-east-1%2F", "%2Feu-west-1%2F");
  const auto scope_first = verify(request, kT + 99999);
  expect_failure(scope_first, 403, "AccessDenied");
  EXPECT_NE(scope_first.error().message, "Request has expired");

  // expiry before signature
  request = get_request();
  request.query.back() = request.query.back() == '0' ? '1' : '0';
  expect_failure(verify(request, kT + 3601), 403, "AccessDenied", "Request has expired");
  expect_failure(verify(request, kT - 901), 403, "AccessDenied", "Request is not yet valid");
}

// ---- malformed requests ---------------------------------------------------------------------

TEST(PresignedUrlVerifier, RejectsUndecodablePathOrQuery) {
  RawRequest request = get_request();
  request.path += "%G0";
  expect_failure(verify(request), 400, "InvalidURI");
  request = get_request();
  request.query += "&x=%";
  expect_failure(verify(request), 400, "InvalidURI");
}

TEST(PresignedUrlVerifier, RejectsQueryAuthTogetherWithAuthorizationHeader) {
  RawRequest request = get_request();
  request.headers.push_back({"authorization", "AWS4-HMAC-SHA256 Credential=..."});
  expect_failure(verify(request), 400, "InvalidArgument");
}

TEST(PresignedUrlVerifier, RejectsUnknownCredentialsEvenWhenWellSigned) {
  const sigv4::Credentials stranger{"AKIDSTRANGER", "some-secret", ""};
  expect_failure(verify(get_request(stranger)), 403, "InvalidAccessKeyId");
  const sigv4::Credentials wrong_secret{kLocal.access_key_id, "not-the-secret", ""};
  expect_failure(verify(get_request(wrong_secret)), 403, "SignatureDoesNotMatch", kMismatch);
}

}  // namespace
}  // namespace sbapi
