#include "adapters/aws/s3_object_store.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <string>
#include <vector>

namespace sbapi::aws {
namespace {

// The expected URLs and headers below were written by boto3 1.43 / botocore (the machine's
// python3) with botocore's clock pinned to 2025-03-14T15:09:26Z and these example credentials:
//   boto3.client("s3", region_name=…, endpoint_url=…, aws_access_key_id="AKIDEXAMPLE",
//                aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
//                aws_session_token=…, config=Config(signature_version="s3v4",
//                s3={"addressing_style": "virtual" | "path"}))
//   .generate_presigned_url("put_object" | "get_object", Params={…}, ExpiresIn=…)
// and, for CreateBucket, botocore.auth.S3SigV4Auth(...).add_auth(AWSRequest(...)).
constexpr std::int64_t kTime = 1741964966;  // 20250314T150926Z
constexpr const char* kKeyId = "AKIDEXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* kToken = "FQoGZXIvYXdzEJr//////////wEaDO+token/with+special=chars";

AwsConfig aws_config(std::map<std::string, std::string, std::less<>> env) {
  env.emplace("AWS_ACCESS_KEY_ID", kKeyId);
  env.emplace("AWS_SECRET_ACCESS_KEY", kSecret);
  env.emplace("ASSETS_BUCKET_NAME", "sbapi-assets-prod");
  auto config = load_aws_config(map_environment(std::move(env)),
                                {.users_table = false, .assets_table = false, .bucket = true});
  EXPECT_TRUE(config.has_value()) << config.error();
  return *config;
}

S3ObjectStore store_for(const S3Config& config) {
  static const FixedClock clock(kTime);
  return S3ObjectStore(config, clock);
}

std::string query_param(const std::string& url, const std::string& name) {
  const std::string needle = name + "=";
  std::size_t pos = url.find('?');
  while (pos != std::string::npos) {
    ++pos;
    if (url.compare(pos, needle.size(), needle) == 0) {
      const std::size_t end = url.find('&', pos);
      return url.substr(pos + needle.size(),
                        end == std::string::npos ? std::string::npos : end - pos - needle.size());
    }
    pos = url.find('&', pos);
  }
  return "<absent>";
}

// ---- configuration to S3 addressing --------------------------------------------------------

TEST(S3Config, AwsUsesVirtualHostedRegionalEndpoint) {
  const S3Config config = s3_config(aws_config({{"AWS_REGION", "eu-west-1"}}));
  EXPECT_FALSE(config.path_style);
  EXPECT_EQ(config.endpoint, "https://s3.eu-west-1.amazonaws.com");
  const S3Target target = s3_target(config, "assets/a1/x.bin");
  EXPECT_EQ(target.endpoint, "https://sbapi-assets-prod.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(target.path, "/assets/a1/x.bin");
}

TEST(S3Config, CustomEndpointUsesPathStyle) {
  for (const char* variable : {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}) {
    const S3Config config =
        s3_config(aws_config({{"AWS_REGION", "us-east-1"}, {variable, "http://127.0.0.1:4569/"}}));
    EXPECT_TRUE(config.path_style) << variable;
    const S3Target target = s3_target(config, "assets/a1/x.bin");
    EXPECT_EQ(target.endpoint, "http://127.0.0.1:4569") << variable;
    EXPECT_EQ(target.path, "/sbapi-assets-prod/assets/a1/x.bin") << variable;
  }
}

TEST(S3Config, DottedBucketOnAwsUsesPathStyle) {
  auto config = aws_config({{"AWS_REGION", "eu-west-1"}});
  config.bucket = "assets.example.com";
  EXPECT_TRUE(s3_config(config).path_style);
}

// ---- presigned URLs, byte for byte as boto3 ----------------------------------------------------

TEST(S3ObjectStore, PresignedPutOnAwsEqualsBoto3) {
  const S3ObjectStore store = store_for(s3_config(aws_config({{"AWS_REGION", "eu-west-1"}})));
  EXPECT_EQ(
      store.presign("PUT", "assets/a1/my report \xC3\xA9.pdf", "application/pdf", kTime, 3600),
      "https://sbapi-assets-prod.s3.eu-west-1.amazonaws.com/assets/a1/my%20report%20%C3%A9.pdf"
      "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
      "&X-Amz-Credential=AKIDEXAMPLE%2F20250314%2Feu-west-1%2Fs3%2Faws4_request"
      "&X-Amz-Date=20250314T150926Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=content-type%3Bhost"
      "&X-Amz-Signature=c90759055121b7f92374c049197345ef4e4a54f87aa947f940db9becebaf6ac5");
}

TEST(S3ObjectStore, PresignedGetOnAwsEqualsBoto3) {
  S3ObjectStore store = store_for(s3_config(aws_config({{"AWS_REGION", "eu-west-1"}})));
  const std::string expected =
      "https://sbapi-assets-prod.s3.eu-west-1.amazonaws.com/assets/a1/my%20report%20%C3%A9.pdf"
      "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
      "&X-Amz-Credential=AKIDEXAMPLE%2F20250314%2Feu-west-1%2Fs3%2Faws4_request"
      "&X-Amz-Date=20250314T150926Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
      "&X-Amz-Signature=26b0d786a19a423fb3cc47f0d4797843dbc7c391256d93d0e22968858fc9923f";
  EXPECT_EQ(store.presign("GET", "assets/a1/my report \xC3\xA9.pdf", "", kTime, 3600), expected);
  // The port's presign_get reads the injected clock.
  auto url = store.presign_get("assets/a1/my report \xC3\xA9.pdf", 3600);
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(*url, expected);
}

TEST(S3ObjectStore, SessionTokenIsInTheUrlAndSigned) {
  const S3ObjectStore store = store_for(
      s3_config(aws_config({{"AWS_REGION", "eu-west-1"}, {"AWS_SESSION_TOKEN", kToken}})));
  const std::string url =
      store.presign("PUT", "assets/a1/x.bin", "application/octet-stream", kTime, 3600);
  EXPECT_EQ(url,
            "https://sbapi-assets-prod.s3.eu-west-1.amazonaws.com/assets/a1/x.bin"
            "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIDEXAMPLE%2F20250314%2Feu-west-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20250314T150926Z&X-Amz-Expires=3600"
            "&X-Amz-SignedHeaders=content-type%3Bhost"
            "&X-Amz-Security-Token=FQoGZXIvYXdzEJr%2F%2F%2F%2F%2F%2F%2F%2F%2F%2FwEaDO%2Btoken%2F"
            "with%2Bspecial%3Dchars"
            "&X-Amz-Signature=4737da6586ea9897d7e742f7eb8ed952f24c38cb3588ccd3bc5d25a4d7b5f20b");
  // The token is signed: the same request without it has another signature.
  const S3ObjectStore no_token = store_for(s3_config(aws_config({{"AWS_REGION", "eu-west-1"}})));
  const std::string plain =
      no_token.presign("PUT", "assets/a1/x.bin", "application/octet-stream", kTime, 3600);
  EXPECT_EQ(query_param(plain, "X-Amz-Security-Token"), "<absent>");
  EXPECT_NE(query_param(plain, "X-Amz-Signature"), query_param(url, "X-Amz-Signature"));
}

TEST(S3ObjectStore, PresignedUrlsOnCustomEndpointEqualBoto3PathStyle) {
  auto config =
      aws_config({{"AWS_REGION", "us-east-1"}, {"AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4569"}});
  config.bucket = "sbapi-assets";
  const S3ObjectStore store = store_for(s3_config(config));
  EXPECT_EQ(
      store.presign("PUT", "assets/a1/file (1).txt", "text/plain; charset=utf-8", kTime, 3600),
      "http://127.0.0.1:4569/sbapi-assets/assets/a1/file%20%281%29.txt"
      "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
      "&X-Amz-Credential=AKIDEXAMPLE%2F20250314%2Fus-east-1%2Fs3%2Faws4_request"
      "&X-Amz-Date=20250314T150926Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=content-type%3Bhost"
      "&X-Amz-Signature=5b2c762a58e2d62195a0d82c189545b4be5241ea95a8b8269d27c6578ef0be87");
  EXPECT_EQ(store.presign("GET", "assets/a1/file (1).txt", "", kTime, 600),
            "http://127.0.0.1:4569/sbapi-assets/assets/a1/file%20%281%29.txt"
            "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIDEXAMPLE%2F20250314%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20250314T150926Z&X-Amz-Expires=600&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=d8c78e483a595997c6845588ea9327ba2379f1afacdeeba3c1ae89a05fc054fe");
}

TEST(S3ObjectStore, DottedBucketUrlEqualsBoto3) {
  auto config = aws_config({{"AWS_REGION", "eu-west-1"}});
  config.bucket = "assets.example.com";
  const S3ObjectStore store = store_for(s3_config(config));
  EXPECT_EQ(store.presign("GET", "assets/a1/x.bin", "", kTime, 3600),
            "https://s3.eu-west-1.amazonaws.com/assets.example.com/assets/a1/x.bin"
            "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIDEXAMPLE%2F20250314%2Feu-west-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20250314T150926Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=5a3df4c73394ce65c861e96d00cf8c6fff3659b5fcbe66c6cd24821228846665");
}

TEST(S3ObjectStore, UsEast1UsesTheRegionalEndpoint) {
  auto config = aws_config({{"AWS_REGION", "us-east-1"}});
  config.bucket = "sbapi-assets";
  const S3ObjectStore store = store_for(s3_config(config));
  // boto3 with s3={"us_east_1_regional_endpoint": "regional"}.
  EXPECT_EQ(store.presign("GET", "assets/a1/x.bin", "", kTime, 3600),
            "https://sbapi-assets.s3.us-east-1.amazonaws.com/assets/a1/x.bin"
            "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIDEXAMPLE%2F20250314%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20250314T150926Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=043204ba6d61cde164e9b77868c898558859c30fac219a98b5f332f267d1f9b2");
}

TEST(S3ObjectStore, PresignPutReadsTheClockAndSignsTheContentType) {
  FixedClock clock(kTime);
  S3ObjectStore store(s3_config(aws_config({{"AWS_REGION", "eu-west-1"}})), clock);
  auto first = store.presign_put("assets/a1/x.bin", "image/png", 3600);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(query_param(*first, "X-Amz-Date"), "20250314T150926Z");
  EXPECT_EQ(query_param(*first, "X-Amz-SignedHeaders"), "content-type%3Bhost");
  EXPECT_EQ(query_param(*first, "X-Amz-Expires"), "3600");
  clock.set(kTime + 61);
  auto later = store.presign_put("assets/a1/x.bin", "image/png", 3600);
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(query_param(*later, "X-Amz-Date"), "20250314T151027Z");
  auto other_type = store.presign_put("assets/a1/x.bin", "image/jpeg", 3600);
  ASSERT_TRUE(other_type.has_value());
  EXPECT_NE(query_param(*other_type, "X-Amz-Signature"), query_param(*later, "X-Amz-Signature"));
  EXPECT_EQ(store.bucket(), "sbapi-assets-prod");
}

// ---- CreateBucket ----------------------------------------------------------------------------

class ScriptedTransport final : public Transport {
 public:
  std::deque<std::expected<HttpResponse, TransportError>> answers;
  std::vector<HttpRequest> requests;

  std::expected<HttpResponse, TransportError> send(const HttpRequest& request) override {
    requests.push_back(request);
    if (answers.empty()) return std::unexpected(TransportError{TransportError::Kind::kOther, "?"});
    auto answer = std::move(answers.front());
    answers.pop_front();
    return answer;
  }
};

HttpResponse s3_answer(int status, const std::string& code = "") {
  HttpResponse response;
  response.status = status;
  if (!code.empty()) {
    response.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code +
                    "</Code><Message>Some message</Message></Error>";
  }
  return response;
}

std::string header(const HttpRequest& request, std::string_view name) {
  for (const auto& [n, v] : request.headers) {
    std::string lower = n;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == name) return v;
  }
  return "<absent>";
}

S3Config custom_endpoint_config(std::string region) {
  return {"sbapi-assets", std::move(region), {kKeyId, kSecret, ""}, "http://127.0.0.1:4569", true};
}

TEST(EnsureBucket, CreateBucketRequestIsSignedAsBotocoreSignsIt) {
  ScriptedTransport transport;
  transport.answers.push_back(s3_answer(200));
  auto outcome = ensure_bucket(transport, custom_endpoint_config("eu-west-1"), kTime);
  ASSERT_TRUE(outcome.has_value()) << outcome.error();
  EXPECT_EQ(*outcome, BucketOutcome::kCreated);
  ASSERT_EQ(transport.requests.size(), 1u);
  const HttpRequest& request = transport.requests[0];
  EXPECT_EQ(request.method, "PUT");
  EXPECT_EQ(request.url, "http://127.0.0.1:4569/sbapi-assets");
  EXPECT_EQ(request.body,
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>");
  EXPECT_EQ(header(request, "content-type"), "application/xml");
  EXPECT_EQ(header(request, "x-amz-date"), "20250314T150926Z");
  EXPECT_EQ(header(request, "x-amz-content-sha256"),
            "a2531158b25edb57200e54140cc1b12d0af943f596ea467c2fbbedcc16223cc5");
  EXPECT_EQ(header(request, "authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250314/eu-west-1/s3/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, "
            "Signature=76f4177183806e1c3b6e48f39a16754db676833fd95eef6dc2855164350dc7a3");
}

TEST(EnsureBucket, UsEast1OnAwsHasNoBodyAndIsVirtualHosted) {
  ScriptedTransport transport;
  transport.answers.push_back(s3_answer(200));
  const S3Config config{"sbapi-assets",
                        "us-east-1",
                        {kKeyId, kSecret, ""},
                        "https://s3.us-east-1.amazonaws.com",
                        false};
  ASSERT_TRUE(ensure_bucket(transport, config, kTime).has_value());
  ASSERT_EQ(transport.requests.size(), 1u);
  const HttpRequest& request = transport.requests[0];
  EXPECT_EQ(request.url, "https://sbapi-assets.s3.us-east-1.amazonaws.com/");
  EXPECT_EQ(request.body, "");
  EXPECT_EQ(header(request, "content-type"), "<absent>");
  EXPECT_EQ(header(request, "authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250314/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
            "Signature=ca5c5ee317a262e05489b954edbc29932b98d0395ce69db01e827236f47dba0a");
}

TEST(EnsureBucket, SessionTokenIsSentAndSigned) {
  ScriptedTransport transport;
  transport.answers.push_back(s3_answer(200));
  S3Config config = custom_endpoint_config("us-east-1");
  config.credentials.session_token = kToken;
  ASSERT_TRUE(ensure_bucket(transport, config, kTime).has_value());
  EXPECT_EQ(header(transport.requests[0], "x-amz-security-token"), kToken);
  EXPECT_NE(header(transport.requests[0], "authorization").find("x-amz-security-token"),
            std::string::npos);
}

TEST(EnsureBucket, OwnedByYouIsFine) {
  ScriptedTransport transport;
  transport.answers.push_back(s3_answer(409, "BucketAlreadyOwnedByYou"));
  auto outcome = ensure_bucket(transport, custom_endpoint_config("us-east-1"), kTime);
  ASSERT_TRUE(outcome.has_value()) << outcome.error();
  EXPECT_EQ(*outcome, BucketOutcome::kAlreadyExists);
  EXPECT_EQ(transport.requests.size(), 1u);
}

TEST(EnsureBucket, AlreadyExistsIsFineWhenHeadBucketSucceeds) {
  ScriptedTransport transport;
  transport.answers.push_back(s3_answer(409, "BucketAlreadyExists"));
  transport.answers.push_back(s3_answer(200));
  auto outcome = ensure_bucket(transport, custom_endpoint_config("us-east-1"), kTime);
  ASSERT_TRUE(outcome.has_value()) << outcome.error();
  EXPECT_EQ(*outcome, BucketOutcome::kAlreadyExists);
  ASSERT_EQ(transport.requests.size(), 2u);
  EXPECT_EQ(transport.requests[1].method, "HEAD");
  EXPECT_EQ(transport.requests[1].url, "http://127.0.0.1:4569/sbapi-assets");
  EXPECT_NE(header(transport.requests[1], "authorization"), "<absent>");
}

TEST(EnsureBucket, SomeoneElsesBucketIsAnError) {
  ScriptedTransport transport;
  transport.answers.push_back(s3_answer(409, "BucketAlreadyExists"));
  transport.answers.push_back(s3_answer(403));
  auto outcome = ensure_bucket(transport, custom_endpoint_config("us-east-1"), kTime);
  ASSERT_FALSE(outcome.has_value());
  EXPECT_NE(outcome.error().find("sbapi-assets"), std::string::npos) << outcome.error();
  EXPECT_NE(outcome.error().find("403"), std::string::npos) << outcome.error();
}

TEST(EnsureBucket, OtherAnswersAndTransportFailuresAreErrorsWithoutSecrets) {
  ScriptedTransport transport;
  transport.answers.push_back(s3_answer(403, "SignatureDoesNotMatch"));
  auto denied = ensure_bucket(transport, custom_endpoint_config("us-east-1"), kTime);
  ASSERT_FALSE(denied.has_value());
  EXPECT_NE(denied.error().find("403 SignatureDoesNotMatch: Some message"), std::string::npos)
      << denied.error();
  EXPECT_EQ(denied.error().find(kSecret), std::string::npos);

  transport.answers.push_back(
      std::unexpected(TransportError{TransportError::Kind::kConnect, "connection refused"}));
  auto down = ensure_bucket(transport, custom_endpoint_config("us-east-1"), kTime);
  ASSERT_FALSE(down.has_value());
  EXPECT_NE(down.error().find("connection refused"), std::string::npos) << down.error();
}

}  // namespace
}  // namespace sbapi::aws
