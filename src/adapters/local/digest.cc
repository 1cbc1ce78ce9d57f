#include "adapters/local/digest.h"

namespace sbapi {

Digest::Digest(const EVP_MD* md) : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, md, nullptr); }

Digest::~Digest() { EVP_MD_CTX_free(ctx_); }

void Digest::update(std::string_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }

std::string Digest::hex_final() {
  static constexpr char kDigits[] = "0123456789abcdef";
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  EVP_DigestFinal_ex(ctx_, out, &length);
  std::string text;
  text.reserve(length * 2);
  for (unsigned i = 0; i < length; ++i) {
    text += kDigits[out[i] >> 4];
    text += kDigits[out[i] & 0xf];
  }
  return text;
}

std::string sha256_hex(std::string_view data) {
  Digest digest(EVP_sha256());
  digest.update(data);
  return digest.hex_final();
}

}  // namespace sbapi
