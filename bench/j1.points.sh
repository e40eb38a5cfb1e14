# Sourced by bench/run.sh once per repetition: J1 (wk_journal, bench/j1.c).
# bench_j1 measures its own floor, then 1 and 16 committers.
point walkit-j1 bench_j1 --seconds "$SECS" --warmup "$WARM"
