#!/usr/bin/env bash
# `make package`: build/lambda/bootstrap.zip, the Lambda package (provided.al2023, x86_64).
#
# The zip holds one file, `bootstrap`: the executable sbapi-lambda (src/bootstrap: the Lambda
# runtime loop of `sbapi lambda`, without the CLI, the HTTP server, SQLite or the local store)
# under the name the custom runtime executes. It needs nothing from the host image but glibc:
#   - libstdc++, libgcc, OpenSSL, Boost.JSON: linked statically (Debian's .a files);
#   - libcurl: Debian's libcurl.a needs ~25 libraries that have no .a (Kerberos, LDAP, nghttp2,
#     libpsl, libssh2, rtmp...), so we build a static HTTP(S)-only libcurl from Debian's own
#     source package of the installed version (same code and security patches as
#     libcurl4-openssl-dev), fetched with apt-get source into a private apt state;
#   - glibc: the host's, as for any program on Amazon Linux 2023 (glibc 2.34; Debian 12 builds
#     against 2.36). glibc's symbol versioning makes that work as long as every versioned symbol
#     the binary imports is GLIBC_2.34 or older, which step 3 checks (tests/package too):
#       . std::random_device is not used (libstdc++ 12's refers to arc4random, GLIBC_2.36):
#         src/core/random_seed.h;
#       . the static libgcc's unwinder calls _dl_find_object (GLIBC_2.35): sbapi-lambda links
#         with -Wl,--wrap=_dl_find_object and a dl_iterate_phdr version of it
#         (src/bootstrap/dl_find_object.h);
#       . no packed relative relocations (-z pack-relative-relocs, DT_RELR: glibc >= 2.36).
#     Not a static glibc: it would dlopen the host's NSS modules (another glibc) for any host-name
#     lookup service but files/dns. Not a bundled glibc (what this package did before): 1.4 MB
#     zipped, for nothing the host lacks.
# The interpreter is the standard /lib64/ld-linux-x86-64.so.2, no RPATH: the host's loader finds
# libc.so.6 and libm.so.6 in /lib64 as for any program. No shell wrapper.
# libcurl's default CA bundle is Amazon Linux's /etc/pki/tls/certs/ca-bundle.crt
# (AWS_CA_BUNDLE still overrides it). Size and start-up: -O2 + LTO, sections collected
# (--gc-sections), stripped. docs/deploy.md has the sizes and what bounds them.
#
# Environment: PKG_BUILD_DIR (default build-lambda-pkg), PKG_OUT (default build/lambda),
# JOBS (default nproc), PKG_LTO (ON|OFF, default ON).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

build_dir=${PKG_BUILD_DIR:-build-lambda-pkg}
out_dir=${PKG_OUT:-build/lambda}
jobs=${JOBS:-$(nproc)}
lto=${PKG_LTO:-ON}
deps="$root/$build_dir/deps"
# Amazon Linux 2023's glibc, what provided.al2023 runs the bootstrap with: the newest symbol
# version the binary may need.
glibc_max=2.34

if [ "$(uname -m)" != x86_64 ]; then
  echo "package: builds the x86_64 Lambda package; this machine is $(uname -m)" >&2
  exit 1
fi

bash scripts/setup.sh --package

# --- 1. A static, HTTP(S)-only libcurl from Debian's source of the installed version ----------
curl_version=$(dpkg-query -W -f='${Version}' libcurl4-openssl-dev)
curl_prefix="$deps/curl-$curl_version"
if [ ! -f "$curl_prefix/.done" ]; then
  echo "package: building static libcurl $curl_version (HTTP/HTTPS over OpenSSL only)"
  apt_dir="$deps/apt"
  rm -rf "$apt_dir" "$deps"/curl-*
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/parts" "$deps/src"
  # The machine's own Debian mirrors, as deb-src, in a private apt state: the system's apt
  # configuration and lists are not touched.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && sed 's/^Types:.*/Types: deb-src/' "$f" >"$apt_dir/parts/$(basename "$f")"
  done
  : >"$apt_dir/sources.list"
  if [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list >"$apt_dir/sources.list"
  fi
  apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=$apt_dir/parts"
            -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
            -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Sandbox::User=root
            -o Debug::NoLocking=1)
  apt-get "${apt_opts[@]}" -qq update
  (cd "$deps/src" &&
     { apt-get "${apt_opts[@]}" -qq source "curl=$curl_version" >/dev/null ||
       { echo "package: curl source $curl_version not found; using the newest of this release" >&2
         apt-get "${apt_opts[@]}" -qq source curl >/dev/null; }; })
  curl_src=$(find "$deps/src" -mindepth 1 -maxdepth 1 -type d -name 'curl-*' | head -n 1)
  cmake -S "$curl_src" -B "$deps/curl-build" -DCMAKE_BUILD_TYPE=Release \
        "-DCMAKE_C_FLAGS_RELEASE=-O2 -DNDEBUG -ffunction-sections -fdata-sections" \
        -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
        -DCMAKE_INSTALL_PREFIX="$curl_prefix" -DCMAKE_INSTALL_LIBDIR=lib \
        -DBUILD_SHARED_LIBS=OFF -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DENABLE_MANUAL=OFF \
        -DCURL_ENABLE_EXPORT_TARGET=ON -DPICKY_COMPILER=OFF \
        -DHTTP_ONLY=ON -DCURL_USE_OPENSSL=ON -DOPENSSL_USE_STATIC_LIBS=ON \
        -DENABLE_THREADED_RESOLVER=ON -DENABLE_IPV6=ON \
        -DCURL_DISABLE_LDAP=ON -DCURL_DISABLE_LDAPS=ON -DCURL_USE_LIBSSH2=OFF \
        -DCURL_USE_LIBSSH=OFF -DCURL_USE_GSSAPI=OFF -DUSE_NGHTTP2=OFF -DUSE_LIBIDN2=OFF \
        -DCURL_ZLIB=OFF -DCURL_BROTLI=OFF -DCURL_ZSTD=OFF -DUSE_LIBRTMP=OFF \
        -DCURL_DISABLE_ALTSVC=ON -DCURL_DISABLE_HSTS=ON -DCURL_DISABLE_COOKIES=ON \
        -DCURL_DISABLE_NETRC=ON -DCURL_DISABLE_DOH=ON -DCURL_DISABLE_MIME=ON \
        -DCURL_DISABLE_NTLM=ON \
        -DCURL_CA_BUNDLE=/etc/pki/tls/certs/ca-bundle.crt -DCURL_CA_PATH=none >/dev/null
  cmake --build "$deps/curl-build" -j "$jobs" >/dev/null
  cmake --install "$deps/curl-build" >/dev/null
  touch "$curl_prefix/.done"
fi

# --- 2. sbapi-lambda: Release -O2, LTO, sections collected, everything but glibc static ------
# (The configure step still finds SQLite and CLI11 for the other targets; only sbapi-lambda is
# built, and it links neither.)
multiarch=$(gcc -print-multiarch)
libdir=/usr/lib/$multiarch
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
      "-DCMAKE_CXX_FLAGS=-ffunction-sections -fdata-sections" \
      "-DCMAKE_EXE_LINKER_FLAGS=-static-libstdc++ -static-libgcc -Wl,--gc-sections -Wl,-O1 -Wl,--as-needed" \
      -DCMAKE_INTERPROCEDURAL_OPTIMIZATION="$lto" -DSBAPI_TESTS=OFF -DSBAPI_BENCH=OFF \
      -DBoost_USE_STATIC_LIBS=ON -DOPENSSL_USE_STATIC_LIBS=ON \
      -DSQLite3_LIBRARY="$libdir/libsqlite3.a" \
      -DCMAKE_PREFIX_PATH="$curl_prefix" -DCURL_DIR="$curl_prefix/lib/cmake/CURL" >/dev/null
cmake --build "$build_dir" -j "$jobs" --target sbapi-lambda

# --- 3. The package tree: bootstrap alone, checked against Amazon Linux 2023's glibc ---------
stage="$root/$build_dir/package"
rm -rf "$stage" && mkdir -p "$stage"
bootstrap="$stage/bootstrap"
cp "$build_dir/sbapi-lambda" "$bootstrap"
strip --strip-all "$bootstrap"
chmod 755 "$bootstrap"

fail() {
  echo "package: $build_dir/sbapi-lambda $*" >&2
  exit 1
}
# Only glibc's libraries may be NEEDED (libpthread and libdl are empty stubs since glibc 2.34):
# anything else means a dependency slipped in dynamically (a missing .a).
for needed in $(readelf -d "$bootstrap" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  case "$needed" in
    libc.so.6 | libm.so.6 | ld-linux-x86-64.so.2 | libpthread.so.0 | libdl.so.2) ;;
    *) fail "needs the shared library $needed; only glibc's may be dynamic" ;;
  esac
done
interp=$(readelf -p .interp "$bootstrap" | sed -n 's/.*\]  *//p' | head -n 1)
[ "$interp" = /lib64/ld-linux-x86-64.so.2 ] || fail "has the interpreter '$interp'"
# Every symbol version it needs must be GLIBC_2.x <= $glibc_max: glibc 2.34 then loads it.
too_new=()
while read -r version; do
  case "$version" in
    GLIBC_2.*)
      newest=$(printf '%s\n' "$version" "GLIBC_$glibc_max" | sort -V | tail -n 1)
      [ "$newest" = "GLIBC_$glibc_max" ] || too_new+=("$version")
      ;;
    *) too_new+=("$version") ;;
  esac
done < <(readelf -W -V "$bootstrap" | sed -n '/Version needs section/,$p' |
           sed -n 's/.*Name: \([^ ]*\).*/\1/p' | sort -u)
if [ ${#too_new[@]} -gt 0 ]; then
  for version in "${too_new[@]}"; do
    symbols=$(readelf -W --dyn-syms "$bootstrap" | awk -v v="$version" \
                '{ n = split($8, p, "@"); if (n > 1 && p[n] == v) printf " %s", p[1] }')
    echo "package: sbapi-lambda needs $version:${symbols:- (no symbol: a file-level need)}" >&2
  done
  fail "needs symbol versions newer than Amazon Linux 2023's glibc $glibc_max (see above)"
fi

# No RPATH/RUNPATH (glibc is the host's, where its loader looks) and no DT_RELR (glibc >= 2.36).
tags=$(readelf -d "$bootstrap" | sed -n 's/.*(\(RPATH\|RUNPATH\|RELR\)).*/DT_\1/p' | tr '\n' ' ')
[ -z "$tags" ] || fail "has ${tags}entries: no RPATH/RUNPATH (glibc is the host's), no RELR (2.36)"

mkdir -p "$out_dir"
zip_path="$root/$out_dir/bootstrap.zip"
rm -f "$zip_path"
# Same bytes in, same zip out: fixed timestamp, no extra attributes (-X), so an unchanged build
# uploads nothing new on deploy. The mode bits (755) are kept in the zip.
touch -d @946684800 "$bootstrap"
(cd "$stage" && TZ=UTC zip -q -9 -X "$zip_path" bootstrap)

size=$(stat -c %s "$zip_path")
unpacked=$(stat -c %s "$bootstrap")
echo "package: $out_dir/bootstrap.zip: $size bytes ($((size / 1024)) KiB zipped, $((unpacked / 1024)) KiB unpacked)"
unzip -Z -l "$zip_path" | sed 's/^/  /'
