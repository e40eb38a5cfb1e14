# Sourced by bench/run.sh once per repetition: M1 (wk_meta, bench/bench_meta.c).
# 4 writers, durable batches of 100 items of 32 B (the peers' M1 points are
# in run.sh), then the open time of a 1 M-item store (from the log and
# from a snapshot; full mode only: building it takes a while).
point walkit-m1 bench_meta --workload M1 --writers 4 --batch 100 --size 32 \
  --seconds "$SECS" --warmup "$WARM" --cdf "$RESULTS_DIR/cdf/walkit-M1-4-32.dat"
if [ "${MODE:-quick}" = full ]; then
  point walkit-m1-open bench_meta --workload M1 --mode open --count 1000000 \
    --size 32
else
  point walkit-m1-open bench_meta --workload M1 --mode open --count 200000 \
    --size 32
fi
