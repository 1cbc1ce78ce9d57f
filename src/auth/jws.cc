#include "auth/jws.h"

#include <openssl/core_names.h>

#include <vector>

namespace sbapi::auth {
namespace {

constexpr int kEs256Half = 32;

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

// R || S → the DER ECDSA-Sig-Value OpenSSL verifies; empty when the input is not 64 bytes.
std::string raw_to_der(std::string_view raw) {
  if (raw.size() != 2 * kEs256Half) return {};
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes(raw), kEs256Half, nullptr);
  BIGNUM* s = BN_bin2bn(bytes(raw.substr(kEs256Half)), kEs256Half, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) return {};
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != length) return {};
  return der;
}

// DER → R || S, each left-padded to 32 bytes; empty on failure.
std::string der_to_raw(std::string_view der) {
  const unsigned char* in = bytes(der);
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size())));
  if (!sig) return {};
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(2 * kEs256Half, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, kEs256Half) != kEs256Half ||
      BN_bn2binpad(s, out + kEs256Half, kEs256Half) != kEs256Half) {
    return {};
  }
  return raw;
}

}  // namespace

bool verify_signature(const Jwk& key, std::string_view signing_input, std::string_view signature) {
  std::string der;
  if (key.algorithm == JwsAlgorithm::kEs256) {
    der = raw_to_der(signature);
    if (der.empty()) return false;
    signature = der;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  // RSA keys default to PKCS#1 v1.5 padding: what RS256 is.
  return ctx &&
         EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key.key.get(),
                                 nullptr) == 1 &&
         EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(signing_input),
                          signing_input.size()) == 1;
}

std::expected<std::string, std::string> sign(JwsAlgorithm algorithm, EVP_PKEY* private_key,
                                             std::string_view signing_input) {
  const char* type = algorithm == JwsAlgorithm::kEs256 ? "EC" : "RSA";
  if (private_key == nullptr || EVP_PKEY_is_a(private_key, type) != 1) {
    return std::unexpected(std::string("the signing key is not an ") + type + " key");
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, private_key, nullptr) !=
          1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, bytes(signing_input), signing_input.size()) !=
          1) {
    return std::unexpected("OpenSSL cannot sign with this key");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     bytes(signing_input), signing_input.size()) != 1) {
    return std::unexpected("OpenSSL cannot sign with this key");
  }
  signature.resize(length);
  if (algorithm == JwsAlgorithm::kRs256) return signature;
  std::string raw = der_to_raw(signature);
  if (raw.empty()) return std::unexpected("OpenSSL returned a malformed ECDSA signature");
  return raw;
}

}  // namespace sbapi::auth
