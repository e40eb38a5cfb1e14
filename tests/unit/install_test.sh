#!/usr/bin/env bash
# Installs walkit into a temporary prefix and builds two tiny consumers
# against it: one with pkg-config (walkit.pc), one with CMake's
# find_package(walkit). Proves headers, libraries (with SOVERSION) and both
# package descriptions are installed and usable.
set -euo pipefail
build=$1
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/wkt-install-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
libdir=$(ls -d "$tmp"/prefix/lib*/ | head -1)
ls "$libdir"/libwalkit.so.0 >/dev/null
ls "$libdir"/libwalkit.a >/dev/null
test -f "$tmp/prefix/include/walkit.h"
cat > "$tmp/use.c" <<'C'
#include <stdio.h>
#include <walkit.h>
int main(void) {
    printf("%s %s\n", wk_version(), wk_errname(WK_ECORRUPT));
    return 0;
}
C
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046
cc -o "$tmp/use_pc" "$tmp/use.c" $(pkg-config --cflags --libs walkit) -Wl,-rpath,"$libdir"
out=$("$tmp/use_pc")
[ "$out" = "$(pkg-config --modversion walkit) WK_ECORRUPT" ] || { echo "pkg-config consumer printed: $out"; exit 1; }
mkdir -p "$tmp/cm"
cat > "$tmp/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.20)
project(use C)
find_package(walkit REQUIRED)
add_executable(use_cm ../use.c)
target_link_libraries(use_cm walkit::walkit)
CM
cmake -S "$tmp/cm" -B "$tmp/cm/b" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cm/b" >/dev/null
out=$("$tmp/cm/b/use_cm")
case "$out" in *" WK_ECORRUPT") ;; *) echo "find_package consumer printed: $out"; exit 1 ;; esac
echo "install: pkg-config and find_package consumers OK"
