#!/usr/bin/env bash
# `make package`: build/lambda/bootstrap.zip, the Lambda package (provided.al2023, x86_64).
#
# The zip holds `bootstrap` (the sbapi binary under the name the custom runtime executes) and
# lib/ with the C library it was linked against. It needs nothing from the host image:
#   - libstdc++, libgcc, OpenSSL, SQLite, Boost.JSON/URL: linked statically (Debian's .a files);
#   - libcurl: Debian's libcurl.a needs ~25 libraries that have no .a (Kerberos, LDAP, nghttp2,
#     libpsl, libssh2, rtmp...), so we build a static HTTP(S)-only libcurl from Debian's own
#     source package of the installed version (same code and security patches as
#     libcurl4-openssl-dev), fetched with apt-get source into a private apt state;
#   - glibc: Debian's 2.36 is newer than Amazon Linux 2023's 2.34, and a static glibc would
#     dlopen the host's NSS modules of another glibc version for some host-name lookups, so
#     glibc's ld.so, libc.so.6 and libm.so.6 are bundled under lib/. The binary's interpreter is
#     /var/task/lib/ld-linux-x86-64.so.2 (Lambda unpacks the zip in /var/task) and its DT_RPATH
#     is /var/task/lib: DT_RPATH, unlike DT_RUNPATH, wins over the LD_LIBRARY_PATH Lambda sets
#     (/lib64, /usr/lib64, ...), so the host's older libc is never mixed in; absolute rather than
#     $ORIGIN/lib, which ld.so resolves through /proc/self/exe. No shell wrapper.
# libcurl's default CA bundle is Amazon Linux's /etc/pki/tls/certs/ca-bundle.crt
# (AWS_CA_BUNDLE still overrides it). Size and start-up: -O2 + LTO, sections collected
# (--gc-sections), packed relative relocations (-z pack-relative-relocs: DT_RELR, which the
# bundled glibc 2.36 supports), stripped. docs/deploy.md has the sizes and what bounds them.
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
task_dir=/var/task  # where Lambda unpacks the zip

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

# --- 2. sbapi: Release -O2, LTO, sections collected, everything but glibc static -----------
multiarch=$(gcc -print-multiarch)
libdir=/usr/lib/$multiarch
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
      "-DCMAKE_CXX_FLAGS=-ffunction-sections -fdata-sections" \
      "-DCMAKE_EXE_LINKER_FLAGS=-static-libstdc++ -static-libgcc -Wl,--gc-sections -Wl,-O1 -Wl,--as-needed -Wl,-z,pack-relative-relocs" \
      -DCMAKE_INTERPROCEDURAL_OPTIMIZATION="$lto" -DSBAPI_TESTS=OFF -DSBAPI_BENCH=OFF \
      -DBoost_USE_STATIC_LIBS=ON -DOPENSSL_USE_STATIC_LIBS=ON \
      -DSQLite3_LIBRARY="$libdir/libsqlite3.a" \
      -DCMAKE_PREFIX_PATH="$curl_prefix" -DCURL_DIR="$curl_prefix/lib/cmake/CURL" >/dev/null
cmake --build "$build_dir" -j "$jobs" --target sbapi

# --- 3. The package tree: bootstrap + lib/ (glibc), interpreter and rpath into the package --
stage="$root/$build_dir/package"
rm -rf "$stage" && mkdir -p "$stage/lib"
cp "$build_dir/sbapi" "$stage/bootstrap"
strip --strip-all "$stage/bootstrap"

# Every NEEDED entry must be a glibc library we bundle: anything else means a dependency slipped
# in dynamically (a missing .a), and the package would not be self-contained.
interp=$(readelf -p .interp "$stage/bootstrap" | sed -n 's/.*\]  *//p' | head -n 1)
bundled=("$interp")
for needed in $(readelf -d "$stage/bootstrap" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  case "$needed" in
    libc.so.6 | libm.so.6 | ld-linux-x86-64.so.2) bundled+=("$libdir/$needed") ;;
    *) echo "package: unexpected shared library dependency $needed" >&2; exit 1 ;;
  esac
done
for lib in "${bundled[@]}"; do
  cp -L "$lib" "$stage/lib/$(basename "$lib")"  # Debian's are stripped already
done
patchelf --set-interpreter "$task_dir/lib/$(basename "$interp")" --set-rpath "$task_dir/lib" \
         --force-rpath \
         "$stage/bootstrap"
chmod 755 "$stage/bootstrap" "$stage/lib/"*

mkdir -p "$out_dir"
zip_path="$root/$out_dir/bootstrap.zip"
rm -f "$zip_path"
# Same bytes in, same zip out: fixed timestamps, no extra attributes (-X), fixed member order, so
# an unchanged build uploads nothing new on deploy. The mode bits (755) are kept in the zip.
touch -d @946684800 "$stage/bootstrap" "$stage/lib" "$stage/lib/"*
(cd "$stage" && TZ=UTC zip -q -9 -X "$zip_path" bootstrap lib/*)

size=$(stat -c %s "$zip_path")
unpacked=$(du -cb "$stage/bootstrap" "$stage/lib/"* | tail -n 1 | cut -f 1)
echo "package: $out_dir/bootstrap.zip: $size bytes ($((size / 1024)) KiB zipped, $((unpacked / 1024)) KiB unpacked)"
unzip -Z -l "$zip_path" | sed 's/^/  /'
