#include "auth/local_issuer.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>
#include <boost/json/serialize.hpp>

#include <cerrno>
#include <cstring>
#include <random>
#include <system_error>
#include <utility>

#include "auth/jws.h"
#include "core/base64.h"

namespace sbapi::auth {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;

std::string errno_text() { return std::strerror(errno); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

// `auth/` under the data dir, created 0700 (or narrowed to it); it must be a real directory.
std::expected<fs::path, std::string> auth_dir(const fs::path& data_dir) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return std::unexpected("cannot create " + data_dir.string() + ": " + ec.message());
  fs::path dir = data_dir / "auth";
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return std::unexpected("cannot create " + dir.string() + ": " + errno_text());
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    return std::unexpected("cannot inspect " + dir.string() + ": " + errno_text());
  }
  if (!S_ISDIR(st.st_mode)) return std::unexpected(dir.string() + " is not a directory");
  if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0) {
    return std::unexpected("cannot make " + dir.string() + " private: " + errno_text());
  }
  return dir;
}

// The private key of a PEM file, or nullopt when there is no such file.
std::expected<std::optional<PkeyPtr>, std::string> read_key(const fs::path& path) {
  const Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<PkeyPtr>();
    return std::unexpected("cannot open " + path.string() + ": " + errno_text());
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return std::unexpected(path.string() + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0 && ::fchmod(fd.get(), 0600) != 0) {
    return std::unexpected("cannot make " + path.string() + " private: " + errno_text());
  }
  std::string pem(kMaxKeyFileBytes, '\0');
  std::size_t size = 0;
  while (size < pem.size()) {
    const ssize_t n = ::read(fd.get(), pem.data() + size, pem.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected("cannot read " + path.string() + ": " + errno_text());
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  const BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(size)));
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return std::unexpected(path.string() + " does not hold a PEM private key");
  return std::optional<PkeyPtr>(std::move(key));
}

std::expected<std::string, std::string> to_pem(EVP_PKEY* key) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return std::unexpected("OpenSSL cannot write the key as PEM");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// A new key at `path`, unless another process put one there first (then theirs stays).
std::expected<void, std::string> create_key(const fs::path& dir, const fs::path& path) {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return std::unexpected("OpenSSL cannot generate a P-256 key");
  const auto pem = to_pem(key.get());
  if (!pem) return std::unexpected(pem.error());
  std::random_device random;
  const fs::path temp = dir / (path.filename().string() + ".tmp-" + std::to_string(::getpid()) +
                               "-" + std::to_string(random()));
  {
    const Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0) {
      return std::unexpected("cannot create " + temp.string() + ": " + errno_text());
    }
    if (!write_all(fd.get(), *pem) || ::fsync(fd.get()) != 0) {
      const std::string why = errno_text();
      ::unlink(temp.c_str());
      return std::unexpected("cannot write " + temp.string() + ": " + why);
    }
  }
  // link(2), unlike rename(2), fails when the name exists: the first key to land is the key.
  const int linked = ::link(temp.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(temp.c_str());
  if (linked != 0 && link_errno != EEXIST) {
    return std::unexpected("cannot create " + path.string() + ": " + std::strerror(link_errno));
  }
  const Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) ::fsync(dir_fd.get());  // the new name survives a crash
  return {};
}

// The base64url affine coordinate `name` (OSSL_PKEY_PARAM_EC_PUB_X/Y) of a P-256 key.
std::optional<std::string> coordinate(EVP_PKEY* key, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) return std::nullopt;
  const BignumPtr bn(raw);
  unsigned char bytes[32];
  if (BN_bn2binpad(bn.get(), bytes, sizeof bytes) != static_cast<int>(sizeof bytes)) {
    return std::nullopt;
  }
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

std::string json_segment(const json::object& object) {
  return base64url_encode(json::serialize(object));
}

}  // namespace

LocalIssuer::LocalIssuer(PkeyPtr key, std::string x, std::string y, fs::path key_path)
    : key_(std::move(key)), x_(std::move(x)), y_(std::move(y)), key_path_(std::move(key_path)) {
  kid_ = jwk_thumbprint(public_jwk()).value_or("");
}

std::expected<LocalIssuer, std::string> LocalIssuer::open(const fs::path& data_dir) {
  const auto dir = auth_dir(data_dir);
  if (!dir) return std::unexpected(dir.error());
  const fs::path path = *dir / "token-signing-key.pem";
  auto key = read_key(path);
  if (key && !*key) {
    if (auto created = create_key(*dir, path); !created) return std::unexpected(created.error());
    key = read_key(path);  // ours, or the one another process linked first
  }
  if (!key) return std::unexpected(key.error());
  if (!*key) return std::unexpected(path.string() + " vanished while it was being created");
  EVP_PKEY* pkey = (*key)->get();
  char group[64] = "";
  if (EVP_PKEY_is_a(pkey, "EC") != 1 ||
      EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                     nullptr) != 1 ||
      std::string_view(group) != "prime256v1") {
    return std::unexpected(path.string() + " is not an EC P-256 private key");
  }
  auto x = coordinate(pkey, OSSL_PKEY_PARAM_EC_PUB_X);
  auto y = coordinate(pkey, OSSL_PKEY_PARAM_EC_PUB_Y);
  if (!x || !y) return std::unexpected("cannot read the public key of " + path.string());
  return LocalIssuer(std::move(**key), std::move(*x), std::move(*y), path);
}

json::object LocalIssuer::public_jwk() const {
  return {{"kty", "EC"}, {"crv", "P-256"}, {"x", x_}, {"y", y_}};
}

std::expected<std::string, std::string> LocalIssuer::issue(std::string_view subject,
                                                           const std::vector<std::string>& groups,
                                                           std::chrono::seconds ttl,
                                                           std::int64_t now) const {
  if (subject.empty()) return std::unexpected("the subject is empty");
  if (ttl.count() <= 0) return std::unexpected("the lifetime must be positive");
  const json::object header{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", kid_}};
  json::object claims{{"iss", kIssuer}, {"aud", kAudience}, {"sub", subject}};
  if (!groups.empty()) {
    json::array list;
    for (const std::string& group : groups) list.emplace_back(group);
    claims[rules().claims.groups] = std::move(list);
  }
  claims["iat"] = now;
  claims["exp"] = now + ttl.count();
  const std::string signing_input = json_segment(header) + "." + json_segment(claims);
  const auto signature = sign(JwsAlgorithm::kEs256, key_.get(), signing_input);
  if (!signature) return std::unexpected(signature.error());
  std::string token = signing_input + "." + base64url_encode(*signature);
  if (token.size() > kMaxTokenBytes) return std::unexpected("the token would exceed 8 KiB");
  return token;
}

std::string LocalIssuer::jwks_json() const {
  json::object jwk = public_jwk();
  jwk["alg"] = "ES256";
  jwk["use"] = "sig";
  jwk["kid"] = kid_;
  return json::serialize(json::object{{"keys", json::array{std::move(jwk)}}});
}

JwtRules LocalIssuer::rules() {
  JwtRules rules;
  rules.issuer = std::string(kIssuer);
  rules.audiences = {std::string(kAudience)};
  return rules;
}

KeySet LocalIssuer::key_set() const {
  auto keys = parse_jwks(jwks_json());
  return keys ? std::move(*keys) : KeySet();
}

std::expected<std::unique_ptr<JwtVerifier>, std::string> LocalIssuer::verifier(
    const Clock& clock) const {
  return JwtVerifier::with_keys(rules(), key_set(), clock);
}

}  // namespace sbapi::auth
