# Sourced by bench/run.sh once per repetition: B1 (wk_blob, bench/bench_blob.c),
# durable puts of 1 MiB objects, 1 and 4 writers. Compare mb_per_s with
# walkit W3's bulk bandwidth of the same run (target: >= 0.7x).
for n in 1 4; do
  commit_point walkit-b1 bench_blob B1 "$n" 1M
done
