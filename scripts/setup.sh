#!/usr/bin/env bash
# Installs every Debian package that building, running and testing sbapi needs.
# Idempotent and non-interactive: packages already present are skipped, so it is cheap to rerun.
set -euo pipefail

packages=(
  build-essential cmake make pkg-config git ca-certificates curl
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libssl-dev libcli11-dev libcurl4-openssl-dev prometheus-cpp-dev libsystemd-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-yaml
  wrk
)

# Extra modes add packages for one task each; several may be given (`setup.sh --lint --fuzz`).
modes=" $* "
for mode in "$@"; do
  case "$mode" in
    --test | --lint | --package | --bench | --fuzz) ;;
    *) echo "setup: unknown option $mode (known: --test --lint --package --bench --fuzz)" >&2; exit 2 ;;
  esac
done

# `setup.sh --test` (run by `make test`) adds Debian's Chromium, the real browser that opens the
# docs page (tests/blackbox/test_docs_page.py, driven by playwright-core from npm), and
# Prometheus (its promtool checks GET /metrics, its server scrapes sbapi in a test; the package's
# service is not started, see policy-rc.d below). `make local` needs neither.
if [[ "$modes" == *" --test "* ]]; then
  packages+=(chromium prometheus)
fi
# `setup.sh --lint` adds the linters (`make lint`); CI's test run does not need them. clang-tidy 16:
# Debian's default 14 cannot parse libstdc++ 12's <expected>.
if [[ "$modes" == *" --lint "* ]]; then
  packages+=(clang-format clang-tidy-16)
fi
# `setup.sh --package` adds what `make package` uses: zip, unzip and dpkg-dev (apt-get source
# unpacks Debian's curl source with it).
if [[ "$modes" == *" --package "* ]]; then
  packages+=(zip unzip dpkg-dev)
fi
# `setup.sh --bench` adds nginx, the reference server of `make bench` (wrk is in the main list),
# and valgrind, whose callgrind counts instructions (and whose header sbapi_icount includes).
# Only its binary is used, from a temporary config; the bench never touches the system's nginx.
if [[ "$modes" == *" --bench "* ]]; then
  packages+=(nginx valgrind)
fi
# `setup.sh --fuzz` adds what `make fuzz` builds with (fuzz/README.md): clang 16 (Debian's default
# 14 cannot compile our std::expected code) and its compiler-rt, which holds libFuzzer and the
# sanitizer runtimes — only a Recommends of clang-16, so it is named here — and llvm-16 for
# llvm-symbolizer-16, which turns the addresses of a crash report into files and lines.
if [[ "$modes" == *" --fuzz "* ]]; then
  packages+=(clang-16 libclang-rt-16-dev llvm-16)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all Debian packages present"
else
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # Installing a server package (nginx, for the bench) must not start a system service on port
  # 80: the bench runs the binary itself from a temporary config. policy-rc.d is Debian's switch.
  policy=/usr/sbin/policy-rc.d
  added_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod +x "$policy"
    added_policy=yes
  fi
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [ -n "$added_policy" ]; then $SUDO rm -f "$policy"; fi
fi

# From npm, exactly as pinned in each lock file (npm ci), and only when npm is there:
# - src/docs_page: swagger-ui-dist, which CMake builds into sbapi for GET /docs (without it sbapi
#   is built without the docs page);
# - tests/peers: dynalite and s3rver, the protocol peers of the conformance suites (skipped
#   without them, failed under CI=true);
# - tests/openapi (`--test`): the tools that check openapi.yaml and the server against it
#   (tests/openapi/README.md).
root="$(cd "$(dirname "$0")/.." && pwd)"
npm_dirs=("$root/src/docs_page" "$root/tests/peers")
if [[ "$modes" == *" --test "* ]]; then
  npm_dirs+=("$root/tests/openapi")
fi
if command -v npm >/dev/null 2>&1; then
  for dir in "${npm_dirs[@]}"; do
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
      echo "setup: npm ci in ${dir#"$root"/}"
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
  done
else
  echo "setup: npm not found: sbapi is built without the docs page, and the tests that need npm packages are skipped"
fi
