#include "auth/jwt_verifier.h"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>
#include <boost/json/object.hpp>

#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

#include "auth/test_tokens.h"
#include "testing/loopback_http_server.h"
#include "testing/temp_dir.h"

namespace sbapi::auth {
namespace {

namespace json = boost::json;

constexpr std::int64_t kNow = 1795600800;

struct Keys {
  PkeyPtr first = testing::generate_rsa();
  PkeyPtr second = testing::generate_p256();
  std::string one_key = testing::jwks({testing::public_jwk(first.get(), "k1")});
  std::string two_keys = testing::jwks(
      {testing::public_jwk(first.get(), "k1"), testing::public_jwk(second.get(), "k2")});
};

const Keys& keys() {
  static const Keys k;
  return k;
}

JwtRules rules() {
  JwtRules r;
  r.issuer = "https://issuer.example";
  r.audiences = {"api"};
  return r;
}

std::string token(std::string_view kid, std::int64_t exp = kNow + 3600,
                  std::string_view subject = "alice") {
  const json::object claims{
      {"iss", "https://issuer.example"}, {"aud", "api"}, {"sub", subject}, {"exp", exp}};
  if (kid == "k2") {
    return testing::signed_token({{"alg", "ES256"}, {"kid", kid}}, claims, JwsAlgorithm::kEs256,
                                 keys().second.get());
  }
  return testing::signed_token({{"alg", "RS256"}, {"kid", kid}}, claims, JwsAlgorithm::kRs256,
                               keys().first.get());
}

// The JWKS endpoint as the verifier sees it. The fetch is a seam: through it a test counts the
// fetches and makes one fail (an issuer that is down or answers garbage mid-run), faults a unit
// test cannot otherwise cause at a chosen moment.
struct FakeIssuer {
  std::atomic<int> fetches{0};
  std::string document = keys().one_key;
  std::atomic<bool> down{false};

  JwksFetch fetch() {
    return [this]() -> std::expected<std::string, std::string> {
      ++fetches;
      if (down) return std::unexpected("cannot fetch the JWKS from fake: HTTP status 503");
      return document;
    };
  }
};

class JwtVerifierTest : public ::testing::Test {
 protected:
  std::unique_ptr<JwtVerifier> make() {
    auto verifier = JwtVerifier::create(rules(), issuer.fetch(), "fake", clock);
    EXPECT_TRUE(verifier) << verifier.error();
    return verifier ? std::move(*verifier) : nullptr;
  }
  std::string_view reason_of(JwtVerifier& verifier, const std::string& t) {
    const auto result = verifier.verify(t);
    return result ? "accepted" : result.error().reason;
  }

  FixedClock clock{kNow};
  FakeIssuer issuer;
};

TEST_F(JwtVerifierTest, KeysAreFetchedOnceAtCreation) {
  auto verifier = make();
  EXPECT_EQ(issuer.fetches, 1);
  EXPECT_EQ(verifier->key_count(), 1U);
  EXPECT_EQ(reason_of(*verifier, token("k1")), "accepted");
  EXPECT_EQ(reason_of(*verifier, token("k1", kNow + 60, "bob")), "accepted");
  EXPECT_EQ(issuer.fetches, 1);
}

TEST_F(JwtVerifierTest, UnknownKidRefetchesAtMostOncePerMinute) {
  auto verifier = make();
  issuer.document = keys().two_keys;  // the issuer rotates in k2
  // Right after creation (its fetch counts): no refetch yet.
  EXPECT_EQ(reason_of(*verifier, token("k2")), reason::kUnknownKid);
  clock.set(kNow + 59);
  EXPECT_EQ(reason_of(*verifier, token("k2")), reason::kUnknownKid);
  EXPECT_EQ(issuer.fetches, 1);

  clock.set(kNow + 60);
  EXPECT_EQ(reason_of(*verifier, token("k2")), "accepted");
  EXPECT_EQ(issuer.fetches, 2);
  EXPECT_EQ(verifier->key_count(), 2U);

  // A flood of unknown kids (an attacker's) costs one fetch a minute.
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(reason_of(*verifier, token("k" + std::to_string(100 + i))), reason::kUnknownKid);
  }
  EXPECT_EQ(issuer.fetches, 2);
  clock.set(kNow + 119);
  EXPECT_EQ(reason_of(*verifier, token("k9")), reason::kUnknownKid);
  EXPECT_EQ(issuer.fetches, 2);
  clock.set(kNow + 120);
  EXPECT_EQ(reason_of(*verifier, token("k9")), reason::kUnknownKid);
  EXPECT_EQ(issuer.fetches, 3);
  // Known kids never fetch.
  clock.set(kNow + 1000);
  EXPECT_EQ(reason_of(*verifier, token("k1", kNow + 3600, "carol")), "accepted");
  EXPECT_EQ(issuer.fetches, 3);
}

TEST_F(JwtVerifierTest, AFailedRefetchKeepsTheKeysAndIsLogged) {
  auto verifier = make();
  issuer.down = true;
  clock.set(kNow + 61);
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(reason_of(*verifier, token("k2")), reason::kUnknownKid);
  const std::string log = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(issuer.fetches, 2);
  EXPECT_NE(
      log.find(R"("level":"warn","msg":"cannot refresh the JWKS; keeping the previous keys")"),
      std::string::npos)
      << log;
  EXPECT_NE(log.find("HTTP status 503"), std::string::npos) << log;
  // Not a token in the log.
  EXPECT_EQ(log.find(token("k2").substr(0, 20)), std::string::npos) << log;

  EXPECT_EQ(verifier->key_count(), 1U);
  EXPECT_EQ(reason_of(*verifier, token("k1", kNow + 3600, "dave")), "accepted");

  // An answer that is no key set is a failure too.
  issuer.down = false;
  issuer.document = R"({"keys":[]})";
  clock.set(kNow + 200);
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(reason_of(*verifier, token("k2")), reason::kUnknownKid);
  EXPECT_NE(::testing::internal::GetCapturedStdout().find("no usable key"), std::string::npos);
  EXPECT_EQ(issuer.fetches, 3);
  EXPECT_EQ(reason_of(*verifier, token("k1", kNow + 3600, "erin")), "accepted");

  // Once the issuer is back, the next allowed refetch picks the new key up.
  issuer.document = keys().two_keys;
  clock.set(kNow + 260);
  EXPECT_EQ(reason_of(*verifier, token("k2")), "accepted");
}

TEST_F(JwtVerifierTest, CreationFailsWithAOneLineReason) {
  issuer.down = true;
  auto down = JwtVerifier::create(rules(), issuer.fetch(), "fake", clock);
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error(), "cannot fetch the JWKS from fake: HTTP status 503");

  issuer.down = false;
  issuer.document = "<html>";
  auto garbage = JwtVerifier::create(rules(), issuer.fetch(), "fake", clock);
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error(), "the JWKS from fake is unusable: the JWKS is not a JSON object");

  JwtRules no_audience = rules();
  no_audience.audiences.clear();
  issuer.document = keys().one_key;
  auto bad_rules = JwtVerifier::create(no_audience, issuer.fetch(), "fake", clock);
  ASSERT_FALSE(bad_rules);
  EXPECT_EQ(bad_rules.error(), "invalid JWT rules: no audience is accepted");
  JwtRules no_issuer = rules();
  no_issuer.issuer.clear();
  EXPECT_EQ(JwtVerifier::with_keys(no_issuer, parse_jwks(keys().one_key).value(), clock).error(),
            "invalid JWT rules: the issuer is empty");
  EXPECT_EQ(JwtVerifier::with_keys(rules(), KeySet(), clock).error(),
            "no key to verify tokens with");
}

TEST_F(JwtVerifierTest, CachedTokensAnswerUntilTheirExpiry) {
  auto verifier = make();
  const std::string t = token("k1", kNow + 100);
  const auto first = verifier->verify(t);
  ASSERT_TRUE(first);
  EXPECT_EQ(verifier->cached_tokens(), 1U);
  const auto again = verifier->verify(t);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->subject, first->subject);
  EXPECT_EQ(again->groups, first->groups);
  EXPECT_EQ(again->admin, first->admin);
  EXPECT_EQ(verifier->cached_tokens(), 1U);

  clock.set(kNow + 100);  // exp itself: still a hit
  EXPECT_TRUE(verifier->verify(t));
  clock.set(kNow + 130);  // past exp: verified again, within the leeway, and not cached
  EXPECT_TRUE(verifier->verify(t));
  clock.set(kNow + 161);  // past exp + leeway: the cache must not vouch for it
  const auto expired = verifier->verify(t);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().reason, reason::kExpired);
  // Rejections are never cached.
  EXPECT_FALSE(verifier->verify(token("nope")));
  EXPECT_LE(verifier->cached_tokens(), 1U);
}

TEST_F(JwtVerifierTest, NewKeysEmptyTheCache) {
  auto verifier = make();
  ASSERT_TRUE(verifier->verify(token("k1")));
  EXPECT_EQ(verifier->cached_tokens(), 1U);
  issuer.document = testing::jwks({testing::public_jwk(keys().second.get(), "k2")});
  clock.set(kNow + 60);
  EXPECT_EQ(reason_of(*verifier, token("k2")), "accepted");
  // k1 left the set: a token it signed no longer verifies, cached or not.
  EXPECT_EQ(reason_of(*verifier, token("k1")), reason::kUnknownKid);
}

TEST_F(JwtVerifierTest, ConcurrentUnknownKidsShareOneRefetch) {
  auto verifier = make();
  issuer.document = keys().two_keys;
  clock.set(kNow + 60);
  std::vector<std::string> tokens;
  for (int i = 0; i < 32; ++i) {
    tokens.push_back(token(i % 2 == 0 ? "k2" : "k1", kNow + 3600, "u" + std::to_string(i)));
  }
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 20; ++round) {
        for (const std::string& tok : tokens) accepted += verifier->verify(tok) ? 1 : 0;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(accepted, 4 * 20 * 32);
  EXPECT_EQ(issuer.fetches, 2);
}

// The real fetches: a file, and a URL served on 127.0.0.1.
class JwksFetchTest : public ::testing::Test {
 protected:
  FixedClock clock{kNow};
};

TEST_F(JwksFetchTest, ReadsAFile) {
  testutil::TempDir dir;
  const auto path = dir.path() / "jwks.json";
  std::ofstream(path) << keys().two_keys;
  auto verifier = JwtVerifier::create(rules(), path.string(), clock);
  ASSERT_TRUE(verifier) << verifier.error();
  EXPECT_EQ((*verifier)->key_count(), 2U);
  EXPECT_TRUE((*verifier)->verify(token("k2")));

  const auto missing = JwtVerifier::create(rules(), (dir.path() / "nope.json").string(), clock);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), "cannot read the JWKS file " + (dir.path() / "nope.json").string() +
                                 ": No such file or directory");
}

// Answers every request with `status` and `body`, counting them.
struct JwksServer {
  std::atomic<int> requests{0};
  std::string target;
  int status = 200;
  std::string body = keys().one_key;
  testutil::LoopbackHttpServer server{[this](int client) {
    std::string carry;
    if (auto request = testutil::read_http_request(client, carry)) {
      ++requests;
      target = request->target;
      const std::string response =
          "HTTP/1.1 " + std::to_string(status) +
          " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\nConnection: close\r\n\r\n" + body;
      ::send(client, response.data(), response.size(), MSG_NOSIGNAL);
    }
    ::close(client);
  }};
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server.port()) + "/pool/.well-known/jwks.json";
  }
};

TEST_F(JwksFetchTest, FetchesAUrl) {
  JwksServer jwks;
  auto verifier = JwtVerifier::create(rules(), jwks.url(), clock);
  ASSERT_TRUE(verifier) << verifier.error();
  EXPECT_EQ(jwks.requests, 1);
  EXPECT_EQ(jwks.target, "/pool/.well-known/jwks.json");
  EXPECT_TRUE((*verifier)->verify(token("k1")));

  // A refetch goes to the same URL.
  jwks.body = keys().two_keys;
  clock.set(kNow + 60);
  EXPECT_TRUE((*verifier)->verify(token("k2")));
  EXPECT_EQ(jwks.requests, 2);
}

TEST_F(JwksFetchTest, AnUnreachableOrFailingUrlIsAStartUpError) {
  JwksServer jwks;
  jwks.status = 404;
  const auto not_found = JwtVerifier::create(rules(), jwks.url(), clock);
  ASSERT_FALSE(not_found);
  EXPECT_EQ(not_found.error(), "cannot fetch the JWKS from " + jwks.url() + ": HTTP status 404");

  jwks.status = 200;
  jwks.body = std::string(kMaxJwksBytes + 1, ' ');
  const auto huge = JwtVerifier::create(rules(), jwks.url(), clock);
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error(),
            "cannot fetch the JWKS from " + jwks.url() + ": the document exceeds 1 MiB");

  std::string closed_url;
  {
    JwksServer gone;
    closed_url = gone.url();
  }  // nothing listens on that port any more
  const auto refused = JwtVerifier::create(rules(), closed_url, clock);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().starts_with("cannot fetch the JWKS from " + closed_url + ": "))
      << refused.error();
  EXPECT_EQ(refused.error().find('\n'), std::string::npos);

  const auto ftp = JwtVerifier::create(rules(), "ftp://127.0.0.1/jwks.json", clock);
  ASSERT_FALSE(ftp);  // not a URL we fetch: read as a path, which does not exist
  EXPECT_TRUE(ftp.error().starts_with("cannot read the JWKS file ftp://")) << ftp.error();
}

}  // namespace
}  // namespace sbapi::auth
