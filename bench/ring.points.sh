# Sourced by bench/run.sh once per repetition: wk_ring (bench/bench_ring.c).
# bench_ring measures its own floor (4 KiB), then W1 (1 writer) and W2
# (16 writers) at 128 B and 4 KiB.
point walkit-ring bench_ring --seconds "$SECS" --warmup "$WARM"
