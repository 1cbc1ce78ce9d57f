// Incremental MD5 (S3's single-part ETag) or SHA-256 over OpenSSL's EVP interface, as lower-case
// hex: the object files' ETags and key hashes, and the backup manifest's checksums.
#pragma once

#include <openssl/evp.h>

#include <string>
#include <string_view>

namespace sbapi {

class Digest {
 public:
  explicit Digest(const EVP_MD* md);
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  void update(std::string_view data);
  // The digest of everything updated so far; call once.
  std::string hex_final();

 private:
  EVP_MD_CTX* ctx_;
};

std::string sha256_hex(std::string_view data);

}  // namespace sbapi
