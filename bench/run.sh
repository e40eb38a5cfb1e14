#!/usr/bin/env bash
# Runs walkit's benchmark suite and writes the results.
#
#   bench/run.sh BUILD quick|full
#
# BUILD is the CMake build directory (programs in BUILD/bench/). Data goes to
# $BENCH_DIR (default ./bench-data, on the real disk; wiped per point),
# results to $RESULTS_DIR (default ./results): raw.jsonl (every run),
# bench.json (median of the repetitions per point), bench.md (tables and
# targets), cdf/*.dat; then docs/bench.md's results section and the plots in
# docs/bench/ are regenerated ($BENCH_DOCS=0 skips that).
#
#   quick: 2 s per point (+0.5 s warm-up), 1 repetition, W3/W4 on 256 MiB
#   full : 5 s per point (+1 s warm-up), 3 repetitions (median), 1 GiB
#
# Later workloads plug in with a file bench/<name>.points.sh, sourced here,
# that calls `point SYSTEM PROGRAM ARGS...` (see docs/bench.md).
set -euo pipefail

BUILD=${1:?usage: bench/run.sh BUILD quick|full}
MODE=${2:-quick}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "$BUILD" && pwd)/bench
BENCH_DIR=${BENCH_DIR:-./bench-data}
RESULTS_DIR=${RESULTS_DIR:-./results}
BENCH_DOCS=${BENCH_DOCS:-1}
DOCS_DIR=${BENCH_DOCS_DIR:-$ROOT/docs}

case "$MODE" in
  quick) SECS=2; WARM=0.5; REPS=1; BULK=256M ;;
  full) SECS=5; WARM=1; REPS=3; BULK=1G ;;
  *) echo "run.sh: mode must be quick or full" >&2; exit 2 ;;
esac
SECS=${BENCH_SECONDS:-$SECS}
REPS=${BENCH_REPS:-$REPS}

mkdir -p "$BENCH_DIR" "$RESULTS_DIR/cdf"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
RESULTS_DIR=$(cd "$RESULTS_DIR" && pwd)
RAW=$RESULTS_DIR/raw.jsonl
: >"$RAW"
FAILED=0
START=$(date +%s)

# point SYSTEM PROGRAM ARGS... : runs BIN/PROGRAM on a fresh data dir and
# appends its JSON line(s) to raw.jsonl. Missing programs are skipped.
point() {
  local sys=$1 prog=$2
  shift 2
  if [ ! -x "$BIN/$prog" ]; then
    echo "  skip $sys: $BIN/$prog not built" >&2
    return 0
  fi
  local dir=$BENCH_DIR/$sys
  rm -rf "$dir"
  echo "  $sys $*" >&2
  if ! "$BIN/$prog" --dir "$dir" "$@" >>"$RAW"; then
    echo "  FAILED: $prog $*" >&2
    FAILED=$((FAILED + 1))
  fi
  rm -rf "$dir"
}

# commit_point SYSTEM PROGRAM WORKLOAD WRITERS SIZE [EXTRA...]
commit_point() {
  local sys=$1 prog=$2 w=$3 n=$4 s=$5
  shift 5
  point "$sys" "$prog" --workload "$w" --writers "$n" --size "$s" \
    --seconds "$SECS" --warmup "$WARM" \
    --cdf "$RESULTS_DIR/cdf/$sys-$w-$n-$s.dat" "$@"
}

echo "bench: $MODE run, data in $BENCH_DIR ($(df -T "$BENCH_DIR" | awk 'NR==2{print $2}')), results in $RESULTS_DIR" >&2
for rep in $(seq 1 "$REPS"); do
  echo "bench: repetition $rep/$REPS" >&2
  # The floor: pwrite+fdatasync into written space, and sequential bandwidth.
  for s in 128 4096; do
    commit_point floor bench_floor floor 1 "$s"
  done
  point floor bench_floor --mode seq --bytes "$BULK"

  # W1 / W2: durable commits, every system.
  for sp in walkit:bench_walkit rocksdb:bench_rocksdb leveldb:bench_leveldb \
            sqlite:bench_sqlite; do
    sys=${sp%%:*}
    prog=${sp#*:}
    for s in 128 4096; do
      commit_point "$sys" "$prog" W1 1 "$s"
      for n in 4 16; do
        commit_point "$sys" "$prog" W2 "$n" "$s"
      done
    done
  done

  # M1 for the peers (walkit's M1 is in bench/m1.points.sh): 4 writers,
  # atomic batches of 100 items of 32 B.
  for sp in rocksdb:bench_rocksdb leveldb:bench_leveldb sqlite:bench_sqlite; do
    commit_point "${sp%%:*}" "${sp#*:}" M1 4 32 --batch 100
  done

  # W3 bulk append, then W4 recovery of that same log (warm cache).
  if [ -x "$BIN/bench_walkit" ]; then
    dir=$BENCH_DIR/walkit-w3
    rm -rf "$dir"
    echo "  walkit W3 + W4 ($BULK)" >&2
    "$BIN/bench_walkit" --workload W3 --size 4096 --bytes "$BULK" --dir "$dir" \
      >>"$RAW" || { echo "  FAILED: W3" >&2; FAILED=$((FAILED + 1)); }
    "$BIN/bench_walkit" --workload W4 --bytes "$BULK" --dir "$dir" \
      >>"$RAW" || { echo "  FAILED: W4" >&2; FAILED=$((FAILED + 1)); }
    rm -rf "$dir"

    # W5: okaywal's workload (fixed counts per thread).
    for t in 1 2 4 8 16; do
      for sc in 256:500 1024:250 4096:125 1048576:75; do
        point walkit bench_walkit --workload W5 --writers "$t" \
          --size "${sc%%:*}" --count "${sc#*:}"
      done
    done
  else
    echo "  skip walkit: $BIN/bench_walkit not built" >&2
  fi

  # Later components: bench/<name>.points.sh (J1, M1, B1, ...).
  for frag in "$ROOT"/bench/*.points.sh; do
    [ -e "$frag" ] || continue
    # shellcheck disable=SC1090
    . "$frag"
  done
done

echo "bench: measured in $(($(date +%s) - START)) s; $FAILED point(s) failed" >&2
python3 "$ROOT/bench/report.py" --raw "$RAW" --out "$RESULTS_DIR" \
  --mode "$MODE" $([ "$BENCH_DOCS" = 1 ] && echo --docs "$DOCS_DIR")
if [ "$BENCH_DOCS" = 1 ] && command -v gnuplot >/dev/null; then
  mkdir -p "$DOCS_DIR/bench"
  gnuplot -e "res='$RESULTS_DIR'; out='$DOCS_DIR/bench'" \
    "$RESULTS_DIR/plot-vars.gp" "$ROOT/bench/plot.gp" ||
    echo "bench: gnuplot failed (plots not updated)" >&2
fi
cat "$RESULTS_DIR/bench.md"
[ "$FAILED" -eq 0 ]
