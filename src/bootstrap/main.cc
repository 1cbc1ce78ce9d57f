// `sbapi-lambda`: the Lambda custom runtime alone, packaged as `bootstrap` by scripts/package.sh.
//
// The same loop as `sbapi lambda` (src/lambda/runtime.h, `run_lambda`), without what only the
// CLI needs (the HTTP server, SQLite, the local object store, CLI11): a smaller package and less
// to load at a cold start. Arguments are ignored; the environment is the configuration
// (src/lambda/README.md).
#include <openssl/ssl.h>

#include "bootstrap/dl_find_object.h"
#include "lambda/runtime.h"

int main() {
  // OpenSSL is linked into the package, so it initialises before anything else asks it to (libcurl
  // would): without reading a host's openssl.cnf (on Lambda there is none at Debian's OPENSSLDIR;
  // on a host it would be another build's), without its error strings (an error shows library
  // and reason codes: `openssl errstr CODE` spells them out), and without the legacy table of
  // cipher names, which OpenSSL 3 copies into its name map at the first fetch: TLS and SigV4
  // fetch their algorithms by the providers' own names. 58 % of a cold start's instructions
  // (docs/aws.md); test_package's test_https_endpoint proves TLS 1.3 and 1.2 still work.
  OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_SSL_STRINGS |
                       OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_NO_ADD_ALL_CIPHERS,
                   nullptr);
  return sbapi::lambda::run_lambda();
}

#ifdef DLFO_STRUCT_HAS_EH_DBASE
// libgcc's unwinder, linked statically in the package, calls this instead of glibc's
// _dl_find_object (-Wl,--wrap=_dl_find_object): see bootstrap/dl_find_object.h.
extern "C" int __wrap__dl_find_object(void* address,  // NOLINT(bugprone-reserved-identifier)
                                      dl_find_object* result) {
  return sbapi::bootstrap::find_object(address, result);
}
#endif
