#!/usr/bin/env bash
# Installs the Debian packages walkit's build, tests and benchmarks need,
# when they are missing. As root it runs apt-get; otherwise it prints the
# command to run and fails.
#   scripts/deps.sh            build + tests
#   scripts/deps.sh bench      + peers (RocksDB, LevelDB, SQLite) and gnuplot
#   scripts/deps.sh fuzz       + clang and its runtime (libFuzzer)
set -euo pipefail

pkgs=(cmake make gcc pkg-config libcmocka-dev libzstd-dev liburing-dev)
for want in "$@"; do
  case "$want" in
    bench) pkgs+=(librocksdb-dev libleveldb-dev libsqlite3-dev gnuplot-nox) ;;
    fuzz) pkgs+=(clang libclang-rt-14-dev) ;;
    format) pkgs+=(clang-format) ;;
    tsan) pkgs+=(clang libclang-rt-14-dev) ;;
    "") ;;
    *) echo "deps.sh: unknown group '$want' (bench, fuzz, format, tsan)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages: ${missing[*]}" >&2
  echo "deps.sh: run as root:  apt-get update && $cmd" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
$cmd >&2
