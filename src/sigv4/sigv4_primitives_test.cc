// SigV4 building blocks: hashes, keys, encodings, dates, endpoints, and the canonical pieces
// of a request.
#include "sigv4/sigv4.h"

#include <gtest/gtest.h>

#include <string>

namespace sbapi::sigv4 {
namespace {

// ---- primitives ----------------------------------------------------------------------------

TEST(Sigv4Primitives, Sha256Hex) {
  EXPECT_EQ(sha256_hex(""), kEmptyPayloadHash);
  // FIPS 180-2, appendix B.1.
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sigv4Primitives, HmacSha256) {
  // RFC 4231, test case 2.
  EXPECT_EQ(hex_lower(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hmac_sha256("Jefe", "what do ya want for nothing?").size(), 32u);
}

TEST(Sigv4Primitives, SigningKeyFromAwsDocumentation) {
  // "Derive a signing key for Signature Version 4", AWS General Reference (IAM example).
  EXPECT_EQ(hex_lower(signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                                  "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(Sigv4Primitives, UriEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(uri_encode("AZaz09-._~", false), "AZaz09-._~");
  EXPECT_EQ(uri_encode("a b+c=d&e(f)*!'", false), "a%20b%2Bc%3Dd%26e%28f%29%2A%21%27");
  EXPECT_EQ(uri_encode("/a/b", true), "/a/b");
  EXPECT_EQ(uri_encode("/a/b", false), "%2Fa%2Fb");
  EXPECT_EQ(uri_encode("\xC3\xA9", false), "%C3%A9");  // upper-case hex, byte by byte
  EXPECT_EQ(uri_encode("%", false), "%25");
}

TEST(Sigv4Primitives, PercentDecode) {
  EXPECT_EQ(percent_decode("a%20b%2fc%2F"), "a b/c/");
  EXPECT_EQ(percent_decode("a+b"), "a+b");  // RFC 3986: '+' is a plus, not a space
  EXPECT_EQ(percent_decode("%C3%a9"), "\xC3\xA9");
  EXPECT_EQ(percent_decode("%"), std::nullopt);
  EXPECT_EQ(percent_decode("%4"), std::nullopt);
  EXPECT_EQ(percent_decode("%zz"), std::nullopt);
  EXPECT_EQ(percent_decode("ab%4"), std::nullopt);
}

TEST(Sigv4Primitives, AmzDateRoundTrip) {
  EXPECT_EQ(amz_date(1440938160), "20150830T123600Z");
  EXPECT_EQ(amz_date(1369353600), "20130524T000000Z");
  EXPECT_EQ(amz_date(0), "19700101T000000Z");
  EXPECT_EQ(parse_amz_date("20150830T123600Z"), 1440938160);
  EXPECT_EQ(parse_amz_date("20160229T235959Z"), 1456790399);  // leap day
  for (const char* bad :
       {"", "20150830T123600", "20150830 123600Z", "2015-08-30T12:36:00Z", "20150229T000000Z",
        "20151301T000000Z", "20150830T240000Z", "20150830T126000Z", "20150830T123660Z",
        "2015083OT123600Z", "20150830T123600z", "20150830T123600Z "}) {
    EXPECT_EQ(parse_amz_date(bad), std::nullopt) << bad;
  }
}

TEST(Sigv4Primitives, CredentialScope) {
  EXPECT_EQ(credential_scope("20150830", "us-east-1", "s3"), "20150830/us-east-1/s3/aws4_request");
}

TEST(Sigv4Primitives, HostHeaderOmitsDefaultPort) {
  EXPECT_EQ(host_header("http://localhost:3000"), "localhost:3000");
  EXPECT_EQ(host_header("http://localhost:80"), "localhost");
  EXPECT_EQ(host_header("https://s3.amazonaws.com:443/"), "s3.amazonaws.com");
  EXPECT_EQ(host_header("https://example.com:80"), "example.com:80");
  EXPECT_EQ(host_header("http://example.com:443"), "example.com:443");
  EXPECT_EQ(host_header("http://[::1]:8080/x"), "[::1]:8080");
  EXPECT_EQ(host_header("http://[::1]"), "[::1]");
  EXPECT_EQ(host_header("dynamodb.us-east-1.amazonaws.com"), "dynamodb.us-east-1.amazonaws.com");

  const Endpoint endpoint = parse_endpoint("HTTP://minio.local:9000/base/path/?x=1");
  EXPECT_EQ(endpoint.scheme, "http");
  EXPECT_EQ(endpoint.host, "minio.local:9000");
  EXPECT_EQ(endpoint.base_path, "/base/path");
  EXPECT_EQ(parse_endpoint("example.com").scheme, "https");
}

// ---- canonical pieces ----------------------------------------------------------------------

TEST(Sigv4Canonical, UriEncodesEachSegmentOnceWithoutNormalising) {
  EXPECT_EQ(canonical_uri(""), "/");
  EXPECT_EQ(canonical_uri("/"), "/");
  EXPECT_EQ(canonical_uri("/bucket/my file+(1).pdf"), "/bucket/my%20file%2B%281%29.pdf");
  EXPECT_EQ(canonical_uri("//a/./b/../"), "//a/./b/../");
  EXPECT_EQ(canonical_uri("/a%20b"), "/a%2520b");  // the input is unencoded: '%' is data
}

TEST(Sigv4Canonical, QuerySortedByEncodedNameThenValue) {
  EXPECT_EQ(canonical_query_string({}), "");
  EXPECT_EQ(canonical_query_string({{"b", "2"}, {"a", "z"}, {"a", "y"}, {"A", "x"}}),
            "A=x&a=y&a=z&b=2");
  EXPECT_EQ(canonical_query_string({{"flag", ""}, {"k", "a/b c+d"}}), "flag=&k=a%2Fb%20c%2Bd");
  // Sorting happens after encoding: '%' (0x25) sorts before '-' (0x2D) and letters.
  EXPECT_EQ(canonical_query_string({{"-", "1"}, {" ", "2"}}), "%20=2&-=1");
}

TEST(Sigv4Canonical, HeadersLowerCasedTrimmedCollapsedAndJoined) {
  const Fields headers = {{"X-B", "  two   words \t "},
                          {"Host", "example.com"},
                          {"x-a", "first"},
                          {"X-A", " second "},
                          {"X-Empty", ""}};
  EXPECT_EQ(canonical_headers(headers),
            "host:example.com\nx-a:first,second\nx-b:two words\nx-empty:\n");
  EXPECT_EQ(signed_headers(headers), "host;x-a;x-b;x-empty");
  EXPECT_EQ(canonical_header_value("\"a   b   c\""), "\"a b c\"");
  EXPECT_EQ(canonical_header_value("value1\r\n  value2"), "value1 value2");
}

TEST(Sigv4Canonical, RequestAndStringToSignLayout) {
  const std::string request =
      canonical_request("GET", "/", "a=1", "host:h\n", "host", "UNSIGNED-PAYLOAD");
  EXPECT_EQ(request, "GET\n/\na=1\nhost:h\n\nhost\nUNSIGNED-PAYLOAD");
  EXPECT_EQ(string_to_sign("20150830T123600Z", "20150830/us-east-1/s3/aws4_request", request),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/s3/aws4_request\n" +
                sha256_hex(request));
}

}  // namespace
}  // namespace sbapi::sigv4
