#include "core/page_tokens.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "core/base64.h"

namespace sbapi {
namespace {

constexpr unsigned char kVersion = 0x01;
constexpr std::size_t kCreatedBytes = 8;
constexpr std::size_t kMacBytes = 32;  // HMAC-SHA256, not truncated

using Mac = std::array<unsigned char, kMacBytes>;

// An HMAC-SHA256 context per thread, keyed once per secret: each token then costs an update
// and a final, not a fetch of the algorithm and a key schedule (the one-shot HMAC() did both:
// a third of a token's instructions, measured).
class ThreadMac {
 public:
  ThreadMac() : mac_(EVP_MAC_fetch(nullptr, "HMAC", nullptr)) {
    if (mac_ != nullptr) ctx_ = EVP_MAC_CTX_new(mac_);
  }
  ~ThreadMac() {
    EVP_MAC_CTX_free(ctx_);
    EVP_MAC_free(mac_);
  }
  ThreadMac(const ThreadMac&) = delete;
  ThreadMac& operator=(const ThreadMac&) = delete;

  // Starts a MAC under `secret` (the key schedule is kept while the secret stays the same).
  bool begin(std::string_view secret) {
    if (ctx_ == nullptr) return false;
    if (keyed_ && secret == secret_) return EVP_MAC_init(ctx_, nullptr, 0, nullptr) == 1;
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    keyed_ = EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(secret.data()),
                          secret.size(), params) == 1;
    secret_.assign(secret);
    return keyed_;
  }
  bool update(std::string_view data) {
    return EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(data.data()), data.size()) ==
           1;
  }
  bool finish(Mac& out) {
    std::size_t length = 0;
    return EVP_MAC_final(ctx_, out.data(), &length, out.size()) == 1 && length == out.size();
  }

 private:
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* ctx_ = nullptr;
  bool keyed_ = false;
  std::string secret_;
};

// HMAC-SHA256(secret, binding | 0x00 | body): the zero byte keeps a binding from running into the
// body (no binding holds one: they are built from route names, ids and validated values).
std::optional<Mac> mac(std::string_view secret, std::string_view binding, std::string_view body) {
  thread_local ThreadMac hmac;
  Mac out{};
  if (!hmac.begin(secret) || !hmac.update(binding) || !hmac.update(std::string_view("\0", 1)) ||
      !hmac.update(body) || !hmac.finish(out)) {
    return std::nullopt;
  }
  return out;
}

StoreResult<std::string> random_secret() {
  std::string secret(kMinPageTokenSecretBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()),
                 static_cast<int>(secret.size())) != 1) {
    return std::unexpected(
        StoreError{StoreError::Kind::kInternal, "no random bytes for the page-token secret"});
  }
  return secret;
}

}  // namespace

PageTokens::PageTokens() : load_(random_secret) {}

PageTokens::PageTokens(PageTokenSecretLoader load) : load_(std::move(load)) {}

void PageTokens::use(PageTokenSecretLoader load) {
  std::lock_guard lock(mutex_);
  load_ = std::move(load);
  secret_.reset();
}

StoreResult<std::string> PageTokens::secret() {
  std::lock_guard lock(mutex_);
  if (secret_) return *secret_;
  auto loaded = load_();
  if (!loaded) return std::unexpected(std::move(loaded.error()));
  if (loaded->size() < kMinPageTokenSecretBytes) {
    return std::unexpected(StoreError{
        StoreError::Kind::kInternal,
        "the page-token secret has " + std::to_string(loaded->size()) + " bytes, fewer than 32"});
  }
  secret_ = std::move(*loaded);
  return *secret_;
}

StoreResult<std::string> PageTokens::encode(std::string_view binding,
                                            const ListPosition& position) {
  auto key = secret();
  if (!key) return std::unexpected(std::move(key.error()));
  std::string body;
  body.reserve(1 + kCreatedBytes + position.key.size() + kMacBytes);
  body.push_back(static_cast<char>(kVersion));
  const auto created = static_cast<std::uint64_t>(position.created);
  for (int shift = 56; shift >= 0; shift -= 8) {
    body.push_back(static_cast<char>((created >> shift) & 0xff));
  }
  body.append(position.key);
  const auto tag = mac(*key, binding, body);
  if (!tag) return std::unexpected(StoreError{StoreError::Kind::kInternal, "HMAC failed"});
  body.append(reinterpret_cast<const char*>(tag->data()), tag->size());
  return base64url_encode(body);
}

StoreResult<std::optional<ListPosition>> PageTokens::decode(std::string_view binding,
                                                            std::string_view token) {
  using Invalid = std::optional<ListPosition>;
  if (token.empty() || token.size() > kMaxPageTokenLength) return Invalid{};
  // Canonical base64url only: each byte string has one accepted spelling.
  const auto bytes = base64url_decode(token, TrailingBits::kZero);
  if (!bytes || bytes->size() < 1 + kCreatedBytes + kMacBytes ||
      static_cast<unsigned char>((*bytes)[0]) != kVersion) {
    return Invalid{};
  }
  auto key = secret();
  if (!key) return std::unexpected(std::move(key.error()));
  const std::string_view all(*bytes);
  const std::string_view body = all.substr(0, all.size() - kMacBytes);
  const std::string_view tag = all.substr(all.size() - kMacBytes);
  const auto expected = mac(*key, binding, body);
  if (!expected || CRYPTO_memcmp(expected->data(), tag.data(), kMacBytes) != 0) return Invalid{};

  std::uint64_t created = 0;
  for (std::size_t i = 1; i <= kCreatedBytes; ++i) {
    created = (created << 8) | static_cast<unsigned char>(body[i]);
  }
  return Invalid{ListPosition{static_cast<std::int64_t>(created),
                              std::string(body.substr(1 + kCreatedBytes))}};
}

}  // namespace sbapi
