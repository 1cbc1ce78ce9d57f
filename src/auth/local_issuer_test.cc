#include "auth/local_issuer.h"

#include <gtest/gtest.h>

#include <openssl/pem.h>
#include <sys/stat.h>
#include <boost/json/parse.hpp>

#include <fstream>
#include <thread>
#include <vector>

#include "auth/test_tokens.h"
#include "core/base64.h"
#include "testing/files.h"
#include "testing/temp_dir.h"

namespace sbapi::auth {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::int64_t kNow = 1795600800;

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

json::object decode_segment(std::string_view token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  const std::size_t end = token.find('.', start);
  return json::parse(base64url_decode(token.substr(start, end - start)).value()).as_object();
}

class LocalIssuerTest : public ::testing::Test {
 protected:
  LocalIssuer open() {
    auto issuer = LocalIssuer::open(dir.path() / "data");
    EXPECT_TRUE(issuer) << issuer.error();
    return std::move(issuer).value();
  }

  testutil::TempDir dir;
  FixedClock clock{kNow};
};

TEST_F(LocalIssuerTest, IssuedTokensVerify) {
  const LocalIssuer issuer = open();
  auto verifier = issuer.verifier(clock);
  ASSERT_TRUE(verifier) << verifier.error();

  const auto token = issuer.issue("alice", {"admin", "staff"}, std::chrono::hours(1), kNow);
  ASSERT_TRUE(token) << token.error();
  const auto identity = (*verifier)->verify(*token);
  ASSERT_TRUE(identity) << identity.error().reason;
  EXPECT_EQ(identity->subject, "alice");
  EXPECT_EQ(identity->groups, (std::vector<std::string>{"admin", "staff"}));
  EXPECT_TRUE(identity->admin);

  const auto plain = issuer.issue("bob", {}, std::chrono::minutes(5), kNow);
  ASSERT_TRUE(plain);
  const auto bob = (*verifier)->verify(*plain);
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->subject, "bob");
  EXPECT_TRUE(bob->groups.empty());
  EXPECT_FALSE(bob->admin);

  clock.set(kNow + 5 * 60 + 61);
  EXPECT_EQ((*verifier)->verify(*plain).error().reason, reason::kExpired);
}

TEST_F(LocalIssuerTest, TokenHeaderAndClaims) {
  const LocalIssuer issuer = open();
  const std::string token = issuer.issue("alice", {"admin"}, std::chrono::hours(2), kNow).value();
  EXPECT_EQ(decode_segment(token, 0),
            (json::object{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", issuer.kid()}}));
  EXPECT_EQ(decode_segment(token, 1), (json::object{{"iss", "sbapi-local"},
                                                    {"aud", "sbapi-local"},
                                                    {"sub", "alice"},
                                                    {"cognito:groups", json::array{"admin"}},
                                                    {"iat", kNow},
                                                    {"exp", kNow + 7200}}));
  EXPECT_EQ(base64url_decode(token.substr(token.rfind('.') + 1))->size(), 64U);
  EXPECT_FALSE(decode_segment(issuer.issue("bob", {}, std::chrono::hours(1), kNow).value(), 1)
                   .contains("cognito:groups"));
}

TEST_F(LocalIssuerTest, RefusesWhatItCannotSign) {
  const LocalIssuer issuer = open();
  EXPECT_FALSE(issuer.issue("", {}, std::chrono::hours(1), kNow));
  EXPECT_FALSE(issuer.issue("alice", {}, std::chrono::seconds(0), kNow));
  const std::vector<std::string> many(200, std::string(64, 'g'));
  EXPECT_EQ(issuer.issue("alice", many, std::chrono::hours(1), kNow).error(),
            "the token would exceed 8 KiB");
}

TEST_F(LocalIssuerTest, KeyFileIsPrivate) {
  const LocalIssuer issuer = open();
  EXPECT_EQ(issuer.key_path(), dir.path() / "data" / "auth" / "token-signing-key.pem");
  EXPECT_EQ(mode_of(dir.path() / "data" / "auth"), 0700U);
  EXPECT_EQ(mode_of(issuer.key_path()), 0600U);
  const std::string pem = testutil::read_file(issuer.key_path());
  EXPECT_TRUE(pem.starts_with("-----BEGIN PRIVATE KEY-----\n")) << pem;
  // Nothing but the key is left behind (no temporary file).
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir.path() / "data" / "auth")) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"token-signing-key.pem"});
}

TEST_F(LocalIssuerTest, WiderModesAreNarrowed) {
  const fs::path key_path = open().key_path();
  ASSERT_EQ(::chmod(key_path.c_str(), 0644), 0);
  ASSERT_EQ(::chmod(key_path.parent_path().c_str(), 0755), 0);
  open();
  EXPECT_EQ(mode_of(key_path), 0600U);
  EXPECT_EQ(mode_of(key_path.parent_path()), 0700U);
}

TEST_F(LocalIssuerTest, ReopeningKeepsTheKey) {
  const LocalIssuer first = open();
  const LocalIssuer second = open();
  EXPECT_EQ(first.kid(), second.kid());
  EXPECT_EQ(first.jwks_json(), second.jwks_json());
  // A token from one verifies with the other.
  auto verifier = second.verifier(clock);
  ASSERT_TRUE(verifier);
  EXPECT_TRUE((*verifier)->verify(first.issue("alice", {}, std::chrono::hours(1), kNow).value()));
  // Another data dir, another key.
  const auto other = LocalIssuer::open(dir.path() / "other");
  ASSERT_TRUE(other);
  EXPECT_NE(other->kid(), first.kid());
  EXPECT_EQ((*verifier)
                ->verify(other->issue("alice", {}, std::chrono::hours(1), kNow).value())
                .error()
                .reason,
            reason::kUnknownKid);
}

TEST_F(LocalIssuerTest, OpenersStartingTogetherShareOneKey) {
  // Eight openers race through the file system to create the key (as processes would; the
  // black-box test runs two `sbapi token` processes); each must end with the one that landed.
  std::vector<std::string> kids(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < kids.size(); ++i) {
    threads.emplace_back([&, i] {
      auto issuer = LocalIssuer::open(dir.path() / "race");
      kids[i] = issuer ? issuer->kid() : "error: " + issuer.error();
    });
  }
  for (auto& thread : threads) thread.join();
  for (const std::string& kid : kids) EXPECT_EQ(kid, kids[0]);
  const auto reopened = LocalIssuer::open(dir.path() / "race");
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->kid(), kids[0]);
}

TEST_F(LocalIssuerTest, JwksParsesAndKidIsTheRfc7638Thumbprint) {
  const LocalIssuer issuer = open();
  const json::object doc = json::parse(issuer.jwks_json()).as_object();
  const json::object& jwk = doc.at("keys").as_array().at(0).as_object();
  EXPECT_EQ(jwk.at("kty"), "EC");
  EXPECT_EQ(jwk.at("crv"), "P-256");
  EXPECT_EQ(jwk.at("alg"), "ES256");
  EXPECT_EQ(jwk.at("use"), "sig");
  EXPECT_EQ(jwk.at("kid").as_string(), issuer.kid());
  EXPECT_EQ(jwk.size(), 7U);  // nothing private

  const auto keys = parse_jwks(issuer.jwks_json());
  ASSERT_TRUE(keys) << keys.error();
  ASSERT_NE(keys->find(issuer.kid()), nullptr);
  EXPECT_EQ(keys->find(issuer.kid())->algorithm, JwsAlgorithm::kEs256);

  // RFC 7638 §3: SHA-256 over the required members, in lexicographic order, no whitespace.
  const std::string canonical = R"({"crv":"P-256","kty":"EC","x":")" +
                                std::string(jwk.at("x").as_string()) + R"(","y":")" +
                                std::string(jwk.at("y").as_string()) + R"("})";
  unsigned char digest[32];
  unsigned int length = 0;
  ASSERT_EQ(EVP_Digest(canonical.data(), canonical.size(), digest, &length, EVP_sha256(), nullptr),
            1);
  EXPECT_EQ(issuer.kid(),
            base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), length)));
  EXPECT_EQ(issuer.kid().size(), 43U);
}

TEST_F(LocalIssuerTest, RulesAcceptOnlyItsOwnTokens) {
  const LocalIssuer issuer = open();
  const JwtRules rules = LocalIssuer::rules();
  EXPECT_EQ(rules.issuer, "sbapi-local");
  EXPECT_EQ(rules.audiences, std::vector<std::string>{"sbapi-local"});
  const KeySet keys = issuer.key_set();
  EXPECT_EQ(keys.size(), 1U);
  const std::string token = issuer.issue("alice", {}, std::chrono::hours(1), kNow).value();
  EXPECT_TRUE(verify_jwt(token, keys, rules, kNow));
  // The same key signing for another issuer or audience is refused.
  JwtRules other = rules;
  other.issuer = "https://issuer.example";
  EXPECT_EQ(verify_jwt(token, keys, other, kNow).error().reason, reason::kIssuer);
  other = rules;
  other.audiences = {"another-api"};
  EXPECT_EQ(verify_jwt(token, keys, other, kNow).error().reason, reason::kAudience);
}

TEST_F(LocalIssuerTest, AKeyFileThatIsNotAP256KeyIsAnError) {
  const fs::path auth = dir.path() / "data" / "auth";
  fs::create_directories(auth);
  std::ofstream(auth / "token-signing-key.pem") << "not a key\n";
  const auto garbage = LocalIssuer::open(dir.path() / "data");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error(),
            (auth / "token-signing-key.pem").string() + " does not hold a PEM private key");

  const PkeyPtr rsa = testing::generate_rsa();
  const BioPtr bio(BIO_new_file((auth / "token-signing-key.pem").c_str(), "w"));
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio.get(), rsa.get(), nullptr, nullptr, 0, nullptr, nullptr),
            1);
  BIO_flush(bio.get());
  const auto wrong_type = LocalIssuer::open(dir.path() / "data");
  ASSERT_FALSE(wrong_type);
  EXPECT_EQ(wrong_type.error(),
            (auth / "token-signing-key.pem").string() + " is not an EC P-256 private key");
}

TEST_F(LocalIssuerTest, AuthPathThatIsNotADirectoryIsAnError) {
  fs::create_directories(dir.path() / "data");
  std::ofstream(dir.path() / "data" / "auth") << "x";
  const auto issuer = LocalIssuer::open(dir.path() / "data");
  ASSERT_FALSE(issuer);
  EXPECT_EQ(issuer.error(), (dir.path() / "data" / "auth").string() + " is not a directory");
}

}  // namespace
}  // namespace sbapi::auth
