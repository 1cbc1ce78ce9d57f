#include "cli/readiness_checks.h"

#include <sys/statvfs.h>

#include <string>
#include <utility>

namespace sbapi {

ReadinessCheck storage_check(Table& table) {
  return {"storage", [&table]() -> std::optional<std::string> {
            if (table.get("sbapi-readiness-probe")) return std::nullopt;
            return "a read failed";  // the adapter logged why
          }};
}

ReadinessCheck disk_check(std::filesystem::path dir, std::uint64_t min_free_bytes) {
  return {"disk", [dir = std::move(dir), min_free_bytes]() -> std::optional<std::string> {
            struct statvfs fs {};
            if (statvfs(dir.c_str(), &fs) != 0) return "cannot read the free space";
            const std::uint64_t free = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
            if (free >= min_free_bytes) return std::nullopt;
            return "less than " + std::to_string(min_free_bytes / (1024 * 1024)) +
                   " MiB free in the data directory";
          }};
}

ReadinessCheck token_keys_check(const TokenVerifier& verifier) {
  return {"token_keys", [&verifier] { return verifier.not_ready(); }};
}

}  // namespace sbapi
