// Presigned URLs as the local object endpoint and S3 clients use them, checked against botocore's,
// and header signing with a signed payload hash.
#include "sigv4/sigv4.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>

namespace sbapi::sigv4 {
namespace {

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
