# Plots for docs/bench.md. Run by bench/run.sh as
#   gnuplot -e "res='RESULTS'; out='docs/bench'" RESULTS/plot-vars.gp bench/plot.gp
# plot-vars.gp (written by report.py) lists the systems that have data.
set terminal svg size 720,440 dynamic enhanced font "sans,11" background rgb "white"
set grid
set key inside left top box opaque
set style data linespoints

title(s) = s eq "walkit" ? "walkit" : s eq "floor" ? "floor (1 writer, pwrite+fdatasync)" : \
           s eq "rocksdb" ? "RocksDB sync=true" : s eq "leveldb" ? "LevelDB sync=true" : \
           s eq "sqlite" ? "SQLite WAL, synchronous=FULL" : s
color(s) = s eq "walkit" ? 0xd62728 : s eq "floor" ? 0x000000 : s eq "rocksdb" ? 0x1f77b4 : \
           s eq "leveldb" ? 0x2ca02c : 0x9467bd

# Durable commits/s against writers, one plot per record size.
set logscale x 2
set xrange [0.8:20]
set xtics (1, 4, 16)
set xlabel "writer threads"
set ylabel "durable commits/s"
set yrange [0:*]
do for [size in "128 4096"] {
    set output out."/commits-".size.".svg"
    set title "Durable commits/s, ".size." B records (W1: 1 writer, W2: 4 and 16)"
    plot for [s in systems] res."/plot/tput-".s."-".size.".dat" using 1:2 \
         title title(s) lw 2 pt 7 lc rgb color(s)
}

# Latency CDFs.
unset logscale x
set logscale x 10
set xrange [*:*]
set xtics auto
set yrange [0:1]
set xlabel "commit latency (µs, log scale)"
set ylabel "fraction of commits"
set style data lines
set key inside right bottom box opaque
do for [i=1:4] {
    tag  = word("16x128 1x4096 1x128 16x4096", i)
    list = i == 1 ? cdf_16_128 : i == 2 ? cdf_1_4096 : i == 3 ? cdf_1_128 : cdf_16_4096
    n    = word("16 1 1 16", i)
    size = word("128 4096 128 4096", i)
    wl   = n eq "1" ? "W1" : "W2"
    if (strlen(list) > 0) {
        set output out."/latency-cdf-".tag.".svg"
        set title "Commit latency CDF, ".n." writer(s) x ".size." B"
        plot for [s in list] res."/cdf/".s."-".(s eq "floor" ? "floor" : wl)."-".n."-".size.".dat" \
             using 1:2 title title(s) lw 2 lc rgb color(s)
    }
}

# W5: average commit latency against threads per entry size.
set logscale x 2
set logscale y 10
set xrange [0.8:20]
set yrange [*:*]
set xtics (1, 2, 4, 8, 16)
set xlabel "threads"
set ylabel "average commit latency (µs)"
set style data linespoints
set key inside left top box opaque
if (have_w5) {
    set output out."/w5-latency.svg"
    set title "W5 (okaywal's workload): walkit average commit latency"
    plot for [c=2:5] res."/plot/w5.dat" using 1:c title word("256B 1KiB 4KiB 1MiB", c-1) lw 2 pt 7
}
unset output
