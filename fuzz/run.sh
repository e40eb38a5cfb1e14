#!/usr/bin/env bash
# Runs every fuzz target in BUILD for SECONDS each, from its seed corpus in
# fuzz/corpus/<target> (copied to a temp dir: the tree is never written).
set -euo pipefail
build=$(cd "${1:-build-fuzz}" && pwd)
secs=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
status=0
for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  work=$(mktemp -d "${TMPDIR:-/var/tmp}/wkfuzz-$name-XXXXXX")
  [ -d "$here/corpus/$name" ] && cp -r "$here/corpus/$name/." "$work/"
  echo "fuzz: $name for ${secs}s"
  if ! (cd "$work" && "$bin" -max_total_time="$secs" -max_len=65536 \
          -rss_limit_mb=2048 "$work" 2>&1 | tail -3); then
    status=1
  fi
  rm -rf "$work"
done
exit $status
