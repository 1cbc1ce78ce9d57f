#include "sigv4/sigv4.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

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

// ---- aws-c-auth SigV4 test suite ------------------------------------------------------------
//
// Known-answer vectors from the SigV4 signing test suite published with awslabs/aws-c-auth
// (tests/aws-signing-test-suite/v4, Apache License 2.0): for each case the request, and the
// expected canonical request, string to sign and signature of both the header form and the query
// (presigned) form. Every case uses AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
// us-east-1, service "service", 2015-08-30T12:36:00Z and expiration 3600 s. In the query form
// aws-c-auth signs the payload hash of the (empty) body, not UNSIGNED-PAYLOAD (that is an S3
// convention; "service" is not S3), so the tests pass that payload hash explicitly.
//
// Cases left out, and why:
// - the "*-normalized" path cases (get-relative-normalized, get-slash-normalized, ...): they
//   expect RFC 3986 dot-segment removal and '//' merging, which S3 (our target) never does. Their
//   "*-unnormalized" twins, which sign the path as is, are included. (get-space-normalized has the
//   same expected values as get-space-unnormalized, which is included.)
// - post-sts-header-after: signs with "omit_session_token" (the token is added to the request
//   after signing); this module always signs the token, as the AWS SDKs do for S3 and DynamoDB.
//   post-sts-header-before (token signed) is included.

constexpr std::int64_t kSuiteTime = 1440938160;  // 2015-08-30T12:36:00Z

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

const std::vector<SuiteCase>& suite_cases() {
  static const std::vector<SuiteCase> cases = {
      {
          "get-vanilla",
          "GET",
          "/",
          {},
          {},
          "",
          false,
          "",
          R"cr(GET
/

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63)cr",
          "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
          R"cr(GET
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
bb7705b4aa3cb8e8f5e1e0b3d4c0b64030797a313c8ceee43e33117cc43eadc5)cr",
          "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d",
      },
      {
          "get-vanilla-query",
          "GET",
          "/",
          {},
          {},
          "",
          false,
          "",
          R"cr(GET
/

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63)cr",
          "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
          R"cr(GET
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
bb7705b4aa3cb8e8f5e1e0b3d4c0b64030797a313c8ceee43e33117cc43eadc5)cr",
          "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d",
      },
      {
          "get-vanilla-empty-query-key",
          "GET",
          "/",
          {{"Param1", "value1"}},
          {},
          "",
          false,
          "",
          R"cr(GET
/
Param1=value1
host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab)cr",
          "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
          R"cr(GET
/
Param1=value1&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
74828b608f939673ed5a839190452a943b0178760f258da766209b21f8ca3f86)cr",
          "49096700cbbaa5753443850f40df10f904fc2fdb544dc9512203cc77c471a9de",
      },
      {
          "get-vanilla-query-order-key-case",
          "GET",
          "/",
          {{"Param2", "value2"}, {"Param1", "value1"}},
          {},
          "",
          false,
          "",
          R"cr(GET
/
Param1=value1&Param2=value2
host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0)cr",
          "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
          R"cr(GET
/
Param1=value1&Param2=value2&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
b82878ecb2ab7ad194b9fe79b2946c2a36ee1627a219408089b2d774c1a0cedb)cr",
          "86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5",
      },
      {
          "get-vanilla-query-order-encoded",
          "GET",
          "/",
          {{"Param-3", "Value3"}, {"Param", "Value2"}, {"\xE1\x88\xB4", "Value1"}},
          {},
          "",
          false,
          "",
          R"cr(GET
/
%E1%88%B4=Value1&Param=Value2&Param-3=Value3
host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
868294f5c38bd141c4972a373a76654f1418a8e4fc18b2e7903ae45e8ae0ec71)cr",
          "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
          R"cr(GET
/
%E1%88%B4=Value1&Param=Value2&Param-3=Value3&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
9808d6cdc8245c74e705c68350fc6a62b91778cdd613890e5d177998c02c6f53)cr",
          "c5f1848ceec943ac2ca68ee720460c23aaae30a2300586597ada94c4a65e4787",
      },
      {
          "get-vanilla-query-unreserved",
          "GET",
          "/",
          {{"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}},
          {},
          "",
          false,
          "",
          R"cr(GET
/
-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz
host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177)cr",
          "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
          R"cr(GET
/
-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
c77f27ef2b499fbfee3f0b3c88bba7057b2b31ee9b62047078a5e0d6be91fd58)cr",
          "8e76a88a7433637b12778d5592799b29ad21ecd6cf6325051c21d86f0acda2bf",
      },
      {
          "get-vanilla-utf8-query",
          "GET",
          "/",
          {{"\xE1\x88\xB4", "bar"}},
          {},
          "",
          false,
          "",
          R"cr(GET
/
%E1%88%B4=bar
host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073)cr",
          "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
          R"cr(GET
/
%E1%88%B4=bar&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
b2e8ae8e48ec880defebc6f6dc1d9fbc9f1856b33146f2943060ca71a50a7a77)cr",
          "0bdd809b1519ac4f0c1dc3540e2cc46bd0c7f778eda408b2ebf3b913d21ff600",
      },
      {
          "get-utf8",
          "GET",
          "/\xE1\x88\xB4",
          {},
          {},
          "",
          false,
          "",
          R"cr(GET
/%E1%88%B4

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102)cr",
          "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
          R"cr(GET
/%E1%88%B4
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
d8f78e05d0d9bb1c16ae1e60ed405de76cfb8fdcd3e414ffe65fad563b996d66)cr",
          "10eae3f14a260bd3911cc6d008d3c576d143b05b62f09782a7a4b37f52178e44",
      },
      {
          "get-unreserved",
          "GET",
          "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
          {},
          {},
          "",
          false,
          "",
          R"cr(GET
/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9)cr",
          "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
          R"cr(GET
/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
3134f2fbc6ef58f34b74b01643a159bfccbc121ea4288a4b75e65bc805d08219)cr",
          "95968482db1b9e0fadef6efc1bd24689f77c77d9ef56919c96a28cc92e0d6005",
      },
      {
          "get-space-unnormalized",
          "GET",
          "/example space/",
          {},
          {},
          "",
          false,
          "",
          R"cr(GET
/example%20space/

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86)cr",
          "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
          R"cr(GET
/example%20space/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
cc3dd817bd405e51225826ec4934a96d065d6af5b6b0163c7a5abbd26a84519e)cr",
          "7a1f416954786484c9824d93c1f26ef64acb9b1b6c9154d08c9f07d0e394abf6",
      },
      {
          "get-slash-unnormalized",
          "GET",
          "//",
          {},
          {},
          "",
          false,
          "",
          R"cr(GET
//

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
80cb39203d058af815de2b79250ff56e1b73eb9b4718c86556cdc6f150c5d209)cr",
          "c88bcd3d312d75078c0cd961d6deae3f4c754924b01669efcfcb439fd5e5b76e",
          R"cr(GET
//
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
e10a01494cafa1f2207c4de80c69b7a36d6f2d282aa63ee64a5ca50e175cf730)cr",
          "b2a9542809db687769200f56a844a03f2bd0291d6eb90232d5101c6a579446cd",
      },
      {
          "get-slashes-unnormalized",
          "GET",
          "//example//",
          {},
          {},
          "",
          false,
          "",
          R"cr(GET
//example//

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
528ec3105ee1f34ab014bb0a1a45da0ed2742a4fea3555149e5b4d5d201eb240)cr",
          "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5",
          R"cr(GET
//example//
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
82241114f9a6320f054333c890952474aa7a0069d28a4326c3a8d95bbecc69ee)cr",
          "822a5a9ba28072c5ab2bb4a6307d0c88276d40e49fec6b724c03fb4d4ba60fc2",
      },
      {
          "get-slash-dot-slash-unnormalized",
          "GET",
          "/./",
          {},
          {},
          "",
          false,
          "",
          R"cr(GET
/./

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
d67825e2268bd77a97c7688b8d72c31a3c1855b309808505ba0a9747d2465aa7)cr",
          "68714168e6557f8f2de0ef956fc24dc2593a4bd2961f8df51898d8a134695145",
          R"cr(GET
/./
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
21b2da17873f30c1a7410efdc271738b318ccc2c9c6fbe1289fc242aeb1a8ae1)cr",
          "a9b13e8f3484d9505bf1a6f347219f8f35b0fe8f128ceea597efc146a3dfe90c",
      },
      {
          "get-slash-pointless-dot-unnormalized",
          "GET",
          "/./example",
          {},
          {},
          "",
          false,
          "",
          R"cr(GET
/./example

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
73895e0e829507e28e39fd24669aedc2434a8e179e547e3c075b42921f952cdb)cr",
          "beb03f223f7deae4146464f06e29eebbee9c8afbe15c290cf07aa8b119e14cff",
          R"cr(GET
/./example
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
cb23444939471187ac1f0fb25d437337af0d5f48b5ae0ede5baa3727c8c6af92)cr",
          "72b11f16d9530b18204bfb71f2d6ab085894c0ed8d352730a6e76234c58b5e10",
      },
      {
          "get-relative-unnormalized",
          "GET",
          "/example/..",
          {},
          {},
          "",
          false,
          "",
          R"cr(GET
/example/..

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
0511f456aa502b456d135fcb9d749374a55228f9dbeedda1eacf659e05b0615b)cr",
          "eca7ead57bb5aa5c8e28007acd4ff04e1ff9a0ff3b237ec1554a184887ff9282",
          R"cr(GET
/example/..
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
6e02e2dba21d6f269bae339b86ff27a4b7bbc9d88c482abccbfbf8a49d602482)cr",
          "cbcb213b928a077e43275df47b500f1dfaa864ab3f5a18f6b95f4ff0938167ee",
      },
      {
          "get-relative-relative-unnormalized",
          "GET",
          "/example1/example2/../..",
          {},
          {},
          "",
          false,
          "",
          R"cr(GET
/example1/example2/../..

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
76115030c0f3ff06c20fdff5ceb6d5e0b835a1743e00b94fea7c7f381269437b)cr",
          "dc33e0856fd4baca4d7aa2146c38958283844764f38c74252a333df5e613003b",
          R"cr(GET
/example1/example2/../..
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
13b7758115ec070fe36a7ae9d754154ad73f6ee9a5eac022494857d0e7effc18)cr",
          "b45db0bfd1cf15003493b733e33aa208dd981bd0e63037a6ed953f71d2118a16",
      },
      {
          "get-header-value-trim",
          "GET",
          "/",
          {},
          {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
          "",
          false,
          "",
          R"cr(GET
/

host:example.amazonaws.com
my-header1:value1
my-header2:"a b c"
x-amz-date:20150830T123600Z

host;my-header1;my-header2;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7)cr",
          "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
          R"cr(GET
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host%3Bmy-header1%3Bmy-header2
host:example.amazonaws.com
my-header1:value1
my-header2:"a b c"

host;my-header1;my-header2
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
84c9e353b6161b689210977f93b93e6a7182f9ecb2ceae8af8c3d86b080a88ae)cr",
          "e7bb0fd515e125e1aec2ecc4c0c17484fb06f6846b927c35e46005dd3df3acd4",
      },
      {
          "get-header-key-duplicate",
          "GET",
          "/",
          {},
          {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
          "",
          false,
          "",
          R"cr(GET
/

host:example.amazonaws.com
my-header1:value2,value2,value1
x-amz-date:20150830T123600Z

host;my-header1;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c)cr",
          "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
          R"cr(GET
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host%3Bmy-header1
host:example.amazonaws.com
my-header1:value2,value2,value1

host;my-header1
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
fe8b58fb44117d598520befc07c144a5699c661a8db78f9ce4caee1655dec813)cr",
          "3349ee0b81b4b589da0ff28a395c3591e04de515651dd74f298fa992d1507a97",
      },
      {
          "get-header-value-order",
          "GET",
          "/",
          {},
          {{"My-Header1", "value4"},
           {"My-Header1", "value1"},
           {"My-Header1", "value3"},
           {"My-Header1", "value2"}},
          "",
          false,
          "",
          R"cr(GET
/

host:example.amazonaws.com
my-header1:value4,value1,value3,value2
x-amz-date:20150830T123600Z

host;my-header1;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86)cr",
          "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
          R"cr(GET
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host%3Bmy-header1
host:example.amazonaws.com
my-header1:value4,value1,value3,value2

host;my-header1
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
f4d3f13084ba7664111670ce26458291d3e0c620acd9384f8cd6b60d8e83423e)cr",
          "313720e71ca6202fdcfa9b20f88de01a4eb0638a83c833b1c184359a4eda864e",
      },
      {
          "get-header-value-multiline",
          "GET",
          "/",
          {},
          {{"My-Header1", "value1\x0A  value2\x0A     value3"}},
          "",
          false,
          "",
          R"cr(GET
/

host:example.amazonaws.com
my-header1:value1 value2 value3
x-amz-date:20150830T123600Z

host;my-header1;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
e99419459a677bc11de234014be3c4e72c1ea5b454ceb58b613061f5d7a162e8)cr",
          "cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd",
          R"cr(GET
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host%3Bmy-header1
host:example.amazonaws.com
my-header1:value1 value2 value3

host;my-header1
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
0e73c10e35324b4d215da4bb70be61d13a3d30d569be4ed6e8fd8948965341ca)cr",
          "e6f5def831211aca02987a44b96826706278c7bc078112ae0263659c5b2f2d56",
      },
      {
          "get-vanilla-with-session-token",
          "GET",
          "/",
          {},
          {},
          "",
          false,
          "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
          R"cr(GET
/

host:example.amazonaws.com
x-amz-date:20150830T123600Z
x-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267

host;x-amz-date;x-amz-security-token
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b)cr",
          "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
          R"cr(GET
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-Security-Token=6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
cb30434103085aa9e73780fc60dc9a9df818fd2a7b1de12a9f6f4d791f898761)cr",
          "7ff2b50b376cb4d151970630573d6291dc128cc5c2a12ffb237f73cc53f67b6c",
      },
      {
          "post-vanilla",
          "POST",
          "/",
          {},
          {},
          "",
          false,
          "",
          R"cr(POST
/

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87)cr",
          "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
          R"cr(POST
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
d27fc6fe1afc1d88b248c5ae9194ec0943a693dd6d81d8d815c88a369eb0471e)cr",
          "2ce6e6d2e0cf2f9d1b55fafec88cd20574c31dc2e7631979f71ba2310083e95b",
      },
      {
          "post-vanilla-query",
          "POST",
          "/",
          {{"Param1", "value1"}},
          {},
          "",
          false,
          "",
          R"cr(POST
/
Param1=value1
host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd)cr",
          "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
          R"cr(POST
/
Param1=value1&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
98241d1c6f938789d34b92e16e08b7fc8fdaa774c5437ba30d505eedae43dd2b)cr",
          "a9ef26247f293bffe40eeff86a0480ba8c14d31503b2e0c3399e3a16bf1a3682",
      },
      {
          "post-vanilla-empty-query-value",
          "POST",
          "/",
          {{"Param1", "value1"}},
          {},
          "",
          false,
          "",
          R"cr(POST
/
Param1=value1
host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd)cr",
          "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
          R"cr(POST
/
Param1=value1&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
98241d1c6f938789d34b92e16e08b7fc8fdaa774c5437ba30d505eedae43dd2b)cr",
          "a9ef26247f293bffe40eeff86a0480ba8c14d31503b2e0c3399e3a16bf1a3682",
      },
      {
          "post-header-key-case",
          "POST",
          "/",
          {},
          {},
          "",
          false,
          "",
          R"cr(POST
/

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87)cr",
          "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
          R"cr(POST
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
d27fc6fe1afc1d88b248c5ae9194ec0943a693dd6d81d8d815c88a369eb0471e)cr",
          "2ce6e6d2e0cf2f9d1b55fafec88cd20574c31dc2e7631979f71ba2310083e95b",
      },
      {
          "post-header-key-sort",
          "POST",
          "/",
          {},
          {{"My-Header1", "value1"}},
          "",
          false,
          "",
          R"cr(POST
/

host:example.amazonaws.com
my-header1:value1
x-amz-date:20150830T123600Z

host;my-header1;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65)cr",
          "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
          R"cr(POST
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host%3Bmy-header1
host:example.amazonaws.com
my-header1:value1

host;my-header1
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
1295ed77e4ef8b18b32815e493e0b0f78ee47615c0ecbebfec7c75709eb58c88)cr",
          "c09d07e0d55871f10f2a6d350d994acf6825a3cae70673d7def55616e6119dd7",
      },
      {
          "post-header-value-case",
          "POST",
          "/",
          {},
          {{"My-Header1", "VALUE1"}},
          "",
          false,
          "",
          R"cr(POST
/

host:example.amazonaws.com
my-header1:VALUE1
x-amz-date:20150830T123600Z

host;my-header1;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93)cr",
          "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
          R"cr(POST
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host%3Bmy-header1
host:example.amazonaws.com
my-header1:VALUE1

host;my-header1
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
9d4d1de88f0149695a91a01275fc72dc00fb50bdc78e424f012ec860d5f8c41d)cr",
          "0698bc9e4f7f9139065ba2909c0e99da257e8e2a42492a097bcd46d792391fed",
      },
      {
          "post-sts-header-before",
          "POST",
          "/",
          {},
          {},
          "",
          false,
          "AQoDYXdzEPT//////////"
          "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YU"
          "uwthAx7mSEI/qkPpKPi/"
          "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8"
          "YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
          "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==",
          R"cr(POST
/

host:example.amazonaws.com
x-amz-date:20150830T123600Z
x-amz-security-token:AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==

host;x-amz-date;x-amz-security-token
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6)cr",
          "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
          R"cr(POST
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-Security-Token=AQoDYXdzEPT%2F%2F%2F%2F%2F%2F%2F%2F%2F%2FwEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI%2FqkPpKPi%2FkMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d%2Bxo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz%2BscqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR%2FoLxBA%3D%3D&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
37f7ba7a2ec89e8b29a0d637bcc70d8e8d0fdba854ddfc5bc06a12398cfe8605)cr",
          "46c2e3c63c1dbe7d39f8ada16fe7f001c1f56c5791441565323677f96308871c",
      },
      {
          "post-x-www-form-urlencoded",
          "POST",
          "/",
          {},
          {{"Content-Type", "application/x-www-form-urlencoded"}, {"Content-Length", "13"}},
          "Param1=value1",
          true,
          "",
          R"cr(POST
/

content-length:13
content-type:application/x-www-form-urlencoded
host:example.amazonaws.com
x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e
x-amz-date:20150830T123600Z

content-length;content-type;host;x-amz-content-sha256;x-amz-date
9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb)cr",
          "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
          R"cr(POST
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost
content-length:13
content-type:application/x-www-form-urlencoded
host:example.amazonaws.com

content-length;content-type;host
9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
ee5059a7c437165a28d0e775e6498be428761255d657d8c04cb1baa41de6514c)cr",
          "89a40deed0f26f9461242825a082d2222717248abc7ab41f552ad84a94ad46e9",
      },
      {
          "post-x-www-form-urlencoded-parameters",
          "POST",
          "/",
          {},
          {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
           {"Content-Length", "13"}},
          "Param1=value1",
          true,
          "",
          R"cr(POST
/

content-length:13
content-type:application/x-www-form-urlencoded; charset=utf-8
host:example.amazonaws.com
x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e
x-amz-date:20150830T123600Z

content-length;content-type;host;x-amz-content-sha256;x-amz-date
9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
a89f1a5b53e37702ee6363ce1da3ce8f54386f3c8f352ae652153c2982a0bc4d)cr",
          "328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422",
          R"cr(POST
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost
content-length:13
content-type:application/x-www-form-urlencoded; charset=utf-8
host:example.amazonaws.com

content-length;content-type;host
9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
32192353b8ae6d857fac1c71cda066e6af2d3a3127ea7ac1fee22621ab4f05dc)cr",
          "0dbeb9b026c7b6675f266b8427efec9b4fa8b1f6ef1477d717aea231106eab4d",
      },
  };
  return cases;
}

Credentials suite_credentials(const SuiteCase& c) {
  return {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", c.session_token};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return lines;
    start = end + 1;
  }
}

// "b=2&a=1" -> "a=1&b=2": sorted by name, then value.
std::string sorted_query(const std::string& query) {
  std::vector<std::pair<std::string, std::string>> items;
  std::size_t start = 0;
  while (true) {
    const auto end = query.find('&', start);
    const std::string item = query.substr(start, end - start);
    const auto eq = item.find('=');
    items.emplace_back(item.substr(0, eq), eq == std::string::npos ? "" : item.substr(eq + 1));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  std::sort(items.begin(), items.end());
  std::string out;
  for (const auto& [name, value] : items) out += (out.empty() ? "" : "&") + name + "=" + value;
  return out;
}

void PrintTo(const SuiteCase& c, std::ostream* os) { *os << c.name; }

class Sigv4SuiteTest : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(Sigv4SuiteTest, HeaderForm) {
  const SuiteCase& c = GetParam();
  const SignRequest request{
      .method = c.method,
      .endpoint = "https://example.amazonaws.com",
      .path = c.path,
      .query = c.query,
      .headers = c.headers,
      .payload_hash = c.sign_body ? sha256_hex(c.body) : "",
      .add_content_sha256_header = c.sign_body,
      .region = "us-east-1",
      .service = "service",
      .time = kSuiteTime,
  };
  const SignResult result = sign_headers(request, suite_credentials(c));
  EXPECT_EQ(result.canonical_request, c.header_canonical_request);
  EXPECT_EQ(result.string_to_sign, c.header_string_to_sign);
  EXPECT_EQ(result.signature, c.header_signature);

  // The headers to send, as in the suite's header-signed-request.txt.
  const std::vector<std::string> canonical_lines = lines_of(c.header_canonical_request);
  const std::string& signed_names = canonical_lines[canonical_lines.size() - 2];
  Fields expected = {{"X-Amz-Date", "20150830T123600Z"}};
  if (!c.session_token.empty()) expected.emplace_back("X-Amz-Security-Token", c.session_token);
  if (c.sign_body) expected.emplace_back("x-amz-content-sha256", sha256_hex(c.body));
  expected.emplace_back("Authorization",
                        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                        "aws4_request, SignedHeaders=" +
                            signed_names + ", Signature=" + c.header_signature);
  EXPECT_EQ(result.headers, expected);
}

TEST_P(Sigv4SuiteTest, QueryForm) {
  const SuiteCase& c = GetParam();
  const PresignRequest request{
      .method = c.method,
      .endpoint = "https://example.amazonaws.com",
      .path = c.path,
      .headers = c.headers,
      .region = "us-east-1",
      .service = "service",
      .time = kSuiteTime,
      .expires_seconds = 3600,
      .query = c.query,
      .payload_hash = c.sign_body ? sha256_hex(c.body) : std::string(kEmptyPayloadHash),
  };
  const PresignResult result = presign(request, suite_credentials(c));
  EXPECT_EQ(result.canonical_request, c.query_canonical_request);
  EXPECT_EQ(result.string_to_sign, c.query_string_to_sign);
  EXPECT_EQ(result.signature, c.query_signature);

  // The URL: canonical path, the canonical query's parameters (in botocore's order, which is not
  // the suite's), then the signature.
  const std::vector<std::string> canonical_lines = lines_of(c.query_canonical_request);
  const std::string prefix = "https://example.amazonaws.com" + canonical_lines[1] + "?";
  const std::string suffix = "&X-Amz-Signature=" + c.query_signature;
  ASSERT_TRUE(result.url.starts_with(prefix)) << result.url;
  ASSERT_TRUE(result.url.ends_with(suffix)) << result.url;
  const std::string url_query =
      result.url.substr(prefix.size(), result.url.size() - prefix.size() - suffix.size());
  EXPECT_EQ(sorted_query(url_query), canonical_lines[2]);
  EXPECT_EQ(presign_url(request, suite_credentials(c)), result.url);
}

std::string suite_case_name(const ::testing::TestParamInfo<SuiteCase>& info) {
  std::string name = info.param.name;
  for (char& ch : name) {
    if (ch == '-') ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Sigv4AwsCAuth, Sigv4SuiteTest, ::testing::ValuesIn(suite_cases()),
                         suite_case_name);

// The two vectors singled out by shared/testdata/README.md, spelled out.
TEST(Sigv4KnownAnswer, GetVanillaQueryForm) {
  const PresignRequest request{
      .method = "GET",
      .endpoint = "https://example.amazonaws.com",
      .path = "/",
      .region = "us-east-1",
      .service = "service",
      .time = kSuiteTime,  // 20150830T123600Z
      .expires_seconds = 3600,
      .payload_hash = std::string(kEmptyPayloadHash),
  };
  EXPECT_EQ(presign_url(request, {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""}),
            "https://example.amazonaws.com/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
            "AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date="
            "20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature="
            "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d");
}

TEST(Sigv4KnownAnswer, S3DocumentationPresignedGet) {
  // Amazon S3 API Reference, "Authenticating Requests: Using Query Parameters (AWS Signature
  // Version 4)", example presigned GET of examplebucket/test.txt.
  const PresignRequest request{
      .method = "GET",
      .endpoint = "https://examplebucket.s3.amazonaws.com",
      .path = "/test.txt",
      .region = "us-east-1",
      .time = 1369353600,  // 20130524T000000Z
      .expires_seconds = 86400,
  };
  const PresignResult result =
      presign(request, {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""});
  EXPECT_EQ(result.canonical_request,
            "GET\n/test.txt\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
            "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date="
            "20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\n"
            "host:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD");
  EXPECT_EQ(result.signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_EQ(result.url,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

// ---- presigning as the local endpoint and S3 clients use it --------------------------------

// URLs produced by botocore 1.43.11 (`generate_presigned_url`, signature_version s3v4,
// addressing_style path, endpoint http://localhost:3000, the clock pinned to
// 2024-05-01T12:00:00Z): presign_url must produce the same bytes.
constexpr std::int64_t kBotoTime = 1714564800;  // 20240501T120000Z

TEST(Sigv4Presign, PutWithContentTypeMatchesBotocore) {
  const PresignRequest request{
      .method = "PUT",
      .endpoint = "http://localhost:3000",
      .path = "/assets-bucket/assets/a1/my file+=&(1) \xC3\xA9.pdf",
      .headers = {{"content-type", "application/pdf"}},
      .region = "us-east-1",
      .time = kBotoTime,
      .expires_seconds = 3600,
  };
  EXPECT_EQ(presign_url(request, {"AKIDLOCALEXAMPLE", "localsecret/EXAMPLE+KEY", ""}),
            "http://localhost:3000/assets-bucket/assets/a1/my%20file%2B%3D%26%281%29%20%C3%A9.pdf"
            "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDLOCALEXAMPLE%2F20240501%2F"
            "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240501T120000Z&X-Amz-Expires=3600"
            "&X-Amz-SignedHeaders=content-type%3Bhost&X-Amz-Signature="
            "b166f114ad8bee14e4a4b709f42108a594067367bc7b84d76271dd32806c5cc5");
}

TEST(Sigv4Presign, GetWithSessionTokenMatchesBotocore) {
  const PresignRequest request{
      .method = "GET",
      .endpoint = "http://localhost:3000",
      .path = "/assets-bucket/assets/a1/report.txt",
      .region = "us-east-1",
      .time = kBotoTime,
      .expires_seconds = 900,
  };
  EXPECT_EQ(presign_url(request,
                        {"ASIALOCALEXAMPLE", "localsecret/EXAMPLE+KEY", "FQoG/token+with=chars"}),
            "http://localhost:3000/assets-bucket/assets/a1/report.txt?X-Amz-Algorithm="
            "AWS4-HMAC-SHA256&X-Amz-Credential=ASIALOCALEXAMPLE%2F20240501%2Fus-east-1%2Fs3%2F"
            "aws4_request&X-Amz-Date=20240501T120000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host"
            "&X-Amz-Security-Token=FQoG%2Ftoken%2Bwith%3Dchars&X-Amz-Signature="
            "b64df93166714f972e699ecad05e3671e5ead0466d5aaf25bcfa0285d6f56b3b");
}

TEST(Sigv4Presign, ExtraQueryParametersMatchBotocore) {
  const PresignRequest request{
      .method = "GET",
      .endpoint = "http://localhost:3000",
      .path = "/assets-bucket/assets/a1/report.txt",
      .region = "us-east-1",
      .time = kBotoTime,
      .expires_seconds = 900,
      .query = {{"response-content-disposition", "attachment; filename=\"a b.pdf\""},
                {"response-cache-control", "no-cache"}},
  };
  EXPECT_EQ(presign_url(request,
                        {"ASIALOCALEXAMPLE", "localsecret/EXAMPLE+KEY", "FQoG/token+with=chars"}),
            "http://localhost:3000/assets-bucket/assets/a1/report.txt?response-content-disposition="
            "attachment%3B%20filename%3D%22a%20b.pdf%22&response-cache-control=no-cache"
            "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIALOCALEXAMPLE%2F20240501%2F"
            "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240501T120000Z&X-Amz-Expires=900"
            "&X-Amz-SignedHeaders=host&X-Amz-Security-Token=FQoG%2Ftoken%2Bwith%3Dchars"
            "&X-Amz-Signature=64add9be2ee61e97e18a990091abc3122a23cb438f0c9690d16033627364382d");
}

TEST(Sigv4Presign, SignedContentSha256HeaderIsThePayloadHash) {
  const PresignRequest request{
      .method = "PUT",
      .endpoint = "http://localhost:3000",
      .path = "/b/k",
      .headers = {{"X-Amz-Content-Sha256", sha256_hex("abc")}},
      .region = "us-east-1",
      .time = kBotoTime,
  };
  const PresignResult result = presign(request, {"AKID", "secret", ""});
  EXPECT_TRUE(
      result.canonical_request.ends_with("\nhost;x-amz-content-sha256\n" + sha256_hex("abc")))
      << result.canonical_request;
}

TEST(Sigv4Presign, BasePathAndExtraQueryAreSigned) {
  const Credentials credentials{"AKID", "secret", ""};
  PresignRequest request{
      .method = "GET",
      .endpoint = "https://minio.example:9000/storage/",
      .path = "/b/k",
      .region = "eu-west-1",
      .time = kBotoTime,
      .query = {{"response-content-disposition", "attachment; filename=\"a b.pdf\""}},
  };
  const PresignResult result = presign(request, credentials);
  EXPECT_TRUE(result.url.starts_with(
      "https://minio.example:9000/storage/b/k?response-content-disposition=attachment%3B%20"
      "filename%3D%22a%20b.pdf%22&X-Amz-Algorithm=AWS4-HMAC-SHA256&"))
      << result.url;
  EXPECT_NE(result.canonical_request.find(
                "&X-Amz-SignedHeaders=host&response-content-disposition=attachment%3B%20"
                "filename%3D%22a%20b.pdf%22\n"),
            std::string::npos)
      << result.canonical_request;
  EXPECT_NE(result.canonical_request.find("\nhost:minio.example:9000\n"), std::string::npos);
  EXPECT_TRUE(result.canonical_request.starts_with("GET\n/storage/b/k\n"));

  request.query.clear();
  EXPECT_NE(presign(request, credentials).signature, result.signature);
}

TEST(Sigv4SignHeaders, ContentSha256HeaderIsSentAndSigned) {
  const SignRequest request{
      .method = "PUT",
      .endpoint = "http://localhost:9000",
      .path = "/b/k",
      .headers = {{"Content-Type", "text/plain"}},
      .payload_hash = sha256_hex("hello"),
      .add_content_sha256_header = true,
      .region = "us-east-1",
      .service = "s3",
      .time = kBotoTime,
  };
  const SignResult result = sign_headers(request, {"AKID", "secret", "token"});
  EXPECT_EQ(result.canonical_request,
            "PUT\n/b/k\n\ncontent-type:text/plain\nhost:localhost:9000\n"
            "x-amz-content-sha256:" +
                sha256_hex("hello") +
                "\nx-amz-date:20240501T120000Z\nx-amz-security-token:token\n\n"
                "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token\n" +
                sha256_hex("hello"));
  ASSERT_EQ(result.headers.size(), 4u);
  EXPECT_EQ(result.headers[0],
            (std::pair<std::string, std::string>{"X-Amz-Date", "20240501T120000Z"}));
  EXPECT_EQ(result.headers[1].first, "X-Amz-Security-Token");
  EXPECT_EQ(result.headers[2],
            (std::pair<std::string, std::string>{"x-amz-content-sha256", sha256_hex("hello")}));
  EXPECT_EQ(result.headers[3].second,
            "AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/s3/aws4_request, SignedHeaders="
            "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=" +
                result.signature);
}

}  // namespace
}  // namespace sbapi::sigv4
