#include "core/page_token_secret_file.h"

#include <openssl/rand.h>

#include <array>
#include <system_error>
#include <utility>

#include "core/private_file.h"

namespace sbapi {
namespace {

constexpr std::size_t kMaxSecretFileBytes = 4096;

StoreError unreadable(std::string detail) {
  return {StoreError::Kind::kInternal, "page-token secret: " + std::move(detail)};
}

std::expected<std::string, std::string> new_secret_text() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return std::unexpected("no random bytes");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  for (unsigned char b : bytes) {
    text.push_back(kHex[b >> 4]);
    text.push_back(kHex[b & 0xf]);
  }
  return text + "\n";
}

}  // namespace

PageTokenSecretLoader page_token_secret_file(std::filesystem::path path, IfMissing if_missing) {
  return [path = std::move(path), if_missing]() -> StoreResult<std::string> {
    // Ours (kCreate) is narrowed back to 0600 if widened; an operator's is refused if open.
    const auto if_open =
        if_missing == IfMissing::kCreate ? OpenToOthers::kNarrow : OpenToOthers::kRefuse;
    auto text = read_private_file(path, kMaxSecretFileBytes, if_open);
    if (text && !*text && if_missing == IfMissing::kCreate) {
      std::error_code ec;  // the data dir, as it is (the file itself is 0600)
      if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
      if (ec) return std::unexpected(unreadable("cannot create " + path.parent_path().string()));
      auto secret = new_secret_text();
      if (!secret) return std::unexpected(unreadable(secret.error()));
      if (auto made = create_private_file(path, *secret); !made) {
        return std::unexpected(unreadable(made.error()));
      }
      text = read_private_file(path, kMaxSecretFileBytes);  // ours, or whoever linked first
    }
    if (!text) return std::unexpected(unreadable(text.error()));
    if (!*text) return std::unexpected(unreadable(path.string() + ": no such file"));
    std::string secret = std::move(**text);
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (secret.size() < kMinPageTokenSecretBytes) {
      return std::unexpected(unreadable(path.string() + " holds " + std::to_string(secret.size()) +
                                        " bytes (without trailing newlines); at least 32 are "
                                        "needed"));
    }
    return secret;
  };
}

}  // namespace sbapi
