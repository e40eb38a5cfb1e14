#!/usr/bin/env python3
"""Turns bench/run.sh's raw JSON lines into results/bench.json (median of the
repetitions per point), results/bench.md (tables, ratios, targets), the data
files for bench/plot.gp, and the results section of docs/bench.md.

    report.py --raw results/raw.jsonl --out results [--mode quick|full]
              [--docs docs]
"""
import argparse
import json
import os
import statistics
import sys

SYSTEMS = ["walkit", "floor", "rocksdb", "leveldb", "sqlite"]
PEERS = ["rocksdb", "leveldb", "sqlite"]
PEER_NAMES = {"rocksdb": "RocksDB", "leveldb": "LevelDB", "sqlite": "SQLite"}
BEGIN = "<!-- bench:results:begin -->"
END = "<!-- bench:results:end -->"


def key(o):
    kind = o.get("kind", "")
    if not kind and o.get("mode") == "open":
        kind = "open"
    return (o["system"], o["workload"], o["writers"], o["size"], kind)


def metric(o):
    if o["workload"] in ("W3", "W4") or o.get("kind") == "seq":
        return o.get("mb_per_s") or 0
    return o.get("commits_per_s") or 0


def load(path):
    groups = {}
    order = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                o = json.loads(line)
            except ValueError:
                print("report.py: skipping bad line: %s" % line[:80],
                      file=sys.stderr)
                continue
            k = key(o)
            if k not in groups:
                groups[k] = []
                order.append(k)
            groups[k].append(o)
    out = []
    for k in order:
        runs = sorted(groups[k], key=metric)
        med = dict(runs[(len(runs) - 1) // 2 if len(runs) % 2 == 0
                        else len(runs) // 2])
        med["runs"] = len(runs)
        if len(runs) > 1:
            med["spread"] = [round(metric(r), 2) for r in runs]
        out.append(med)
    return out


def fmt(v, nd=0):
    if v is None:
        return "–"
    if isinstance(v, float) and nd == 0:
        return "{:,.0f}".format(v)
    return "{:,.{}f}".format(v, nd)


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


def fr(r):
    return "–" if r is None else "%.2fx" % r


class Results:
    def __init__(self, objs):
        self.objs = objs
        self.idx = {key(o): o for o in objs}

    def get(self, system, workload, writers, size, kind=""):
        return self.idx.get((system, workload, writers, size, kind))

    def cps(self, *a):
        o = self.get(*a)
        return o.get("commits_per_s") if o else None

    def floor_sync(self, size):
        return self.get("floor", "floor", 1, size, "sync")

    def floor_seq(self):
        for o in self.objs:
            if o["system"] == "floor" and o.get("kind") == "seq":
                return o
        return None

    def m1(self):
        return [o for o in self.objs if o["workload"] == "M1"
                and key(o)[4] == ""]

    def m1_open(self):
        return [o for o in self.objs if o["workload"] == "M1"
                and key(o)[4] == "open"]

    def b1(self):
        return [o for o in self.objs if o["workload"] == "B1"
                and o["system"] == "walkit"]

    def w(self, workload, writers=None, size=None):
        return [o for o in self.objs if o["system"] == "walkit"
                and o["workload"] == workload
                and (writers is None or o["writers"] == writers)
                and (size is None or o["size"] == size)]


def commit_rows(R):
    pts = []
    for w, n in (("W1", 1), ("W2", 4), ("W2", 16)):
        for s in (128, 4096):
            pts.append((w, n, s))
    lines = []
    hdr = ["workload", "writers", "size", "walkit commits/s",
           "p50 / p99 / p999 µs", "syncs/commit", "floor", "walkit/floor"]
    for p in PEERS:
        hdr += [PEER_NAMES[p], "walkit/" + PEER_NAMES[p]]
    lines.append("| " + " | ".join(hdr) + " |")
    lines.append("|" + "---|" * len(hdr))
    for w, n, s in pts:
        o = R.get("walkit", w, n, s)
        wc = o.get("commits_per_s") if o else None
        fl = R.floor_sync(s)
        fc = fl.get("commits_per_s") if fl else None
        lat = "–"
        if o and o.get("p50_us") is not None:
            lat = "%s / %s / %s" % (fmt(o["p50_us"]), fmt(o["p99_us"]),
                                    fmt(o["p999_us"]))
        row = [w, str(n), str(s), fmt(wc), lat,
               fmt(o.get("syncs_per_commit") if o else None, 3),
               fmt(fc), fr(ratio(wc, fc))]
        for p in PEERS:
            pc = R.cps(p, w, n, s)
            row += [fmt(pc), fr(ratio(wc, pc))]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def detail_rows(R):
    lines = ["| system | workload | writers | size | commits/s | MB/s | "
             "p50 µs | p99 µs | p999 µs | syncs/commit | peak RSS KiB | runs |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    order = {s: i for i, s in enumerate(SYSTEMS)}
    for o in sorted(R.objs, key=lambda o: (o["workload"] == "W5",
                                           order.get(o["system"], 9),
                                           o["workload"], o["writers"],
                                           o["size"])):
        if o["workload"] == "W5":
            continue
        wl = o["workload"] + ("/" + o["kind"] if o.get("kind") else "")
        lines.append("| " + " | ".join([
            o["system"], wl, str(o["writers"]), str(o["size"]),
            fmt(o.get("commits_per_s")), fmt(o.get("mb_per_s"), 1),
            fmt(o.get("p50_us")), fmt(o.get("p99_us")),
            fmt(o.get("p999_us")), fmt(o.get("syncs_per_commit"), 3),
            fmt(o.get("peak_rss_kb")), str(o.get("runs", 1))]) + " |")
    return lines


def w5_rows(R):
    sizes = sorted({o["size"] for o in R.w("W5")})
    if not sizes:
        return []
    lines = ["| threads | " + " | ".join(
        "%s avg / p50 / p99 µs" % human(s) for s in sizes) + " |",
        "|---|" + "---|" * len(sizes)]
    for t in sorted({o["writers"] for o in R.w("W5")}):
        row = [str(t)]
        for s in sizes:
            o = R.get("walkit", "W5", t, s)
            row.append("%s / %s / %s" % (fmt(o["avg_us"]), fmt(o["p50_us"]),
                                         fmt(o["p99_us"])) if o else "–")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def m1_rows(R):
    pts = R.m1()
    if not pts:
        return []
    wk = R.get("walkit", "M1", 4, pts[0]["size"])
    wc = wk.get("commits_per_s") if wk else None
    lines = ["| system | writers x batch x item | batches/s | items/s | "
             "p50 / p99 / p999 µs | syncs/batch | walkit/system |",
             "|---|---|---|---|---|---|---|"]
    order = {s: i for i, s in enumerate(SYSTEMS)}
    for o in sorted(pts, key=lambda o: order.get(o["system"], 9)):
        c = o.get("commits_per_s")
        b = o.get("batch", 1)
        lines.append("| " + " | ".join([
            o["system"], "%d x %d x %s" % (o["writers"], b, human(o["size"])),
            fmt(c), fmt(c * b if c else None),
            "%s / %s / %s" % (fmt(o.get("p50_us")), fmt(o.get("p99_us")),
                              fmt(o.get("p999_us"))),
            fmt(o.get("syncs_per_commit"), 3),
            fr(ratio(wc, c)) if o["system"] != "walkit" else "–"]) + " |")
    for o in R.m1_open():
        lines.append("")
        lines.append(
            "Open time of a store of %s items (%s B each): %s ms replaying the "
            "log (peak RSS %s MiB), %s ms from a snapshot after compaction "
            "(peak RSS %s MiB)." % (
                fmt(o.get("items")), fmt(o.get("size")),
                fmt(o.get("open_ms_log"), 1),
                fmt((o.get("rss_kb_log") or 0) / 1024.0, 0),
                fmt(o.get("open_ms_snapshot"), 1),
                fmt((o.get("rss_kb_snapshot") or 0) / 1024.0, 0)))
    return lines


def b1_rows(R, w3, seq):
    pts = sorted(R.b1(), key=lambda o: o["writers"])
    if not pts:
        return []
    lines = ["| writers | object | puts/s | MB/s | p50 / p99 / p999 µs | "
             "syncs/put | vs W3 | vs sequential floor |",
             "|---|---|---|---|---|---|---|---|"]
    for o in pts:
        lines.append("| " + " | ".join([
            str(o["writers"]), human(o["size"]), fmt(o.get("commits_per_s")),
            fmt(o.get("mb_per_s"), 1),
            "%s / %s / %s" % (fmt(o.get("p50_us")), fmt(o.get("p99_us")),
                              fmt(o.get("p999_us"))),
            fmt(o.get("syncs_per_commit"), 3),
            fr(ratio(o.get("mb_per_s"), w3[0]["mb_per_s"] if w3 else None)),
            fr(ratio(o.get("mb_per_s"), seq["mb_per_s"] if seq else None))])
            + " |")
    return lines


def ring_rows(R):
    pts = sorted([o for o in R.objs if o["system"] == "walkit-ring"],
                 key=lambda o: (o["writers"], o["size"]))
    if not pts:
        return []
    lines = ["| writers | size | ring commits/s | p50 / p99 µs | syncs/commit "
             "| wk_log commits/s (same point) | ring/log |",
             "|---|---|---|---|---|---|---|"]
    for o in pts:
        lg = R.cps("walkit", o["workload"], o["writers"], o["size"])
        lines.append("| " + " | ".join([
            str(o["writers"]), human(o["size"]), fmt(o.get("commits_per_s")),
            "%s / %s" % (fmt(o.get("p50_us")), fmt(o.get("p99_us"))),
            fmt(o.get("syncs_per_commit"), 3), fmt(lg),
            fr(ratio(o.get("commits_per_s"), lg))]) + " |")
    return lines


def human(s):
    if s >= 1 << 20 and s % (1 << 20) == 0:
        return "%d MiB" % (s >> 20)
    if s >= 1024 and s % 1024 == 0:
        return "%d KiB" % (s >> 10)
    return "%d B" % s


def targets(R):
    """(name, value text, met True/False/None) for issue 5 and issue 3."""
    t = []

    def add(name, val, goal, cmp_ok):
        if val is None:
            t.append((name, "not measured", None))
        else:
            t.append((name, "%.2fx (goal %s)" % (val, goal), cmp_ok(val)))

    for s in (128, 4096):
        add("W1 %d B vs floor" % s,
            ratio(R.cps("walkit", "W1", 1, s),
                  (R.floor_sync(s) or {}).get("commits_per_s")),
            ">= 0.9x", lambda v: v >= 0.9)
    w2 = R.cps("walkit", "W2", 16, 128)
    for p, goal in (("rocksdb", 3), ("leveldb", 3), ("sqlite", 10)):
        add("W2 16x128 B vs %s" % PEER_NAMES[p], ratio(w2, R.cps(p, "W2", 16, 128)),
            ">= %dx" % goal, lambda v, g=goal: v >= g)
    add("W2 16x128 B vs W1 128 B (issue 3)",
        ratio(w2, R.cps("walkit", "W1", 1, 128)), ">= 8x", lambda v: v >= 8)
    w3 = R.w("W3")
    seq = R.floor_seq()
    add("W3 vs sequential write bandwidth",
        ratio(w3[0]["mb_per_s"] if w3 else None,
              seq["mb_per_s"] if seq else None), ">= 0.85x",
        lambda v: v >= 0.85)
    w4 = R.w("W4")
    if w4:
        g = w4[0]["mb_per_s"] / 1000.0
        t.append(("W4 recovery, warm cache", "%.2f GB/s (goal >= 1 GB/s)" % g,
                  g >= 1.0))
    else:
        t.append(("W4 recovery, warm cache", "not measured", None))
    one = R.get("walkit", "W5", 1, 1 << 20)
    six = R.get("walkit", "W5", 16, 1 << 20)
    add("W5 1 MiB avg latency, 16 threads vs 1 thread (issue 3)",
        ratio(six["avg_us"] if six else None, one["avg_us"] if one else None),
        "<= 3x", lambda v: v <= 3)
    j1 = sorted([o for o in R.objs if o["workload"] == "J1"
                 and o["system"] == "walkit"], key=lambda o: -o["writers"])
    if j1 and j1[0].get("syncs_per_commit") is not None:
        v = j1[0]["syncs_per_commit"]
        t.append(("J1 syncs per transaction (%d committers)" % j1[0]["writers"],
                  "%.3f (goal <= 0.2)" % v, v <= 0.2))
    else:
        t.append(("J1 syncs per transaction", "not measured (journal not benchmarked yet)", None))
    b1 = sorted(R.b1(), key=lambda o: o["writers"])
    add("B1 1 MiB durable puts, %s writer(s), vs W3 bandwidth"
        % (b1[0]["writers"] if b1 else "–"),
        ratio(b1[0]["mb_per_s"] if b1 else None, w3[0]["mb_per_s"] if w3 else None),
        ">= 0.7x", lambda v: v >= 0.7)
    return t


def machine(R):
    for o in R.objs:
        if "cpu" in o:
            return "%s, %s cores, Linux %s, %s data directory, %s" % (
                o["cpu"], o["cores"], o["kernel"], o["fs"], o["date"])
    return "unknown machine"


def markdown(R, mode):
    L = []
    L.append("Run: `make bench%s` (%s mode), %s." % (
        "-quick" if mode == "quick" else "", mode, machine(R)))
    L.append("")
    L.append("### Durable commits (W1, W2) against the floor and the peers")
    L.append("")
    L.append("commits/s; the floor is one writer doing pwrite+fdatasync of the "
             "same size into already-written space. Ratios > 1 favour walkit.")
    L.append("")
    L += commit_rows(R)
    L.append("")
    w3, w4, seq = R.w("W3"), R.w("W4"), R.floor_seq()
    L.append("### Bulk append (W3) and recovery (W4)")
    L.append("")
    L.append("| measurement | MB/s | ratio |")
    L.append("|---|---|---|")
    if seq:
        L.append("| floor: sequential write, 1 MiB pwrites, one fdatasync (%s) | %s | 1.00x |"
                 % (human(seq.get("total_bytes", 0)), fmt(seq["mb_per_s"])))
    if w3:
        L.append("| walkit W3: 4 KiB appends, one sync at the end (%s) | %s | %s of the floor |"
                 % (human(w3[0].get("total_bytes", 0)), fmt(w3[0]["mb_per_s"]),
                    fr(ratio(w3[0]["mb_per_s"], seq["mb_per_s"] if seq else None))))
    if w4:
        L.append("| walkit W4: open + replay every entry, warm cache (%s, %s entries/s) | %s | %.2f GB/s |"
                 % (human(w4[0].get("total_bytes", 0)),
                    fmt(w4[0]["commits_per_s"]), fmt(w4[0]["mb_per_s"]),
                    w4[0]["mb_per_s"] / 1000))
    L.append("")
    rows = w5_rows(R)
    if rows:
        L.append("### W5: okaywal's workload (commit latency per entry size)")
        L.append("")
        L.append("Each of T threads commits 256 B x 500, 1 KiB x 250, 4 KiB x 125 "
                 "and 1 MiB x 75 entries (one size per run, WK_SYNC each).")
        L.append("")
        L += rows
        L.append("")
    rows = m1_rows(R)
    if rows:
        L.append("### Metadata store (M1): durable batches of 100 items")
        L.append("")
        L.append("4 writer threads; one commit = one atomic durable batch "
                 "(wk_meta_write with WK_SYNC; RocksDB/LevelDB WriteBatch "
                 "with sync=true; SQLite BEGIN..COMMIT).")
        L.append("")
        L += rows
        L.append("")
    rows = ring_rows(R)
    if rows:
        L.append("### Circular log (wk_ring): durable appends")
        L.append("")
        L += rows
        L.append("")
    rows = b1_rows(R, w3, seq)
    if rows:
        L.append("### Blob store (B1): durable 1 MiB puts")
        L.append("")
        L += rows
        L.append("")
    L.append("### Targets")
    L.append("")
    L.append("| target | measured | verdict |")
    L.append("|---|---|---|")
    for name, val, ok in targets(R):
        L.append("| %s | %s | %s |" % (name, val,
                                       "–" if ok is None else ("met" if ok else "**missed**")))
    L.append("")
    L.append("### Every measurement")
    L.append("")
    L += detail_rows(R)
    L.append("")
    return "\n".join(L)


def write_plot_data(R, out):
    pdir = os.path.join(out, "plot")
    os.makedirs(pdir, exist_ok=True)
    present = []
    for sys_ in SYSTEMS:
        any_ = False
        for s in (128, 4096):
            pts = []
            for o in R.objs:
                if o["system"] != sys_ or o["size"] != s:
                    continue
                if o["workload"] in ("W1", "W2") or (
                        o["workload"] == "floor" and o.get("kind") == "sync"):
                    pts.append((o["writers"], o["commits_per_s"]))
            with open(os.path.join(pdir, "tput-%s-%d.dat" % (sys_, s)), "w") as f:
                for n, c in sorted(pts):
                    f.write("%d %.1f\n" % (n, c))
            any_ = any_ or bool(pts)
        if any_:
            present.append(sys_)
    cdf = {}
    for tag, w, n, s in (("16x128", "W2", 16, 128), ("1x4096", "W1", 1, 4096),
                         ("1x128", "W1", 1, 128), ("16x4096", "W2", 16, 4096)):
        have = []
        for sys_ in SYSTEMS:
            wl = "floor" if sys_ == "floor" else w
            if sys_ == "floor" and n != 1:
                continue
            p = os.path.join(out, "cdf", "%s-%s-%d-%d.dat" % (sys_, wl, n, s))
            if os.path.exists(p) and os.path.getsize(p) > 40:
                have.append(sys_)
        cdf[tag] = have
    w5 = os.path.join(pdir, "w5.dat")
    with open(w5, "w") as f:
        f.write("# threads avg_us(256B 1KiB 4KiB 1MiB)\n")
        for t in sorted({o["writers"] for o in R.w("W5")}):
            row = [str(t)]
            for s in (256, 1024, 4096, 1 << 20):
                o = R.get("walkit", "W5", t, s)
                row.append("%.1f" % o["avg_us"] if o and o.get("avg_us") else "NaN")
            f.write(" ".join(row) + "\n")
    with open(os.path.join(out, "plot-vars.gp"), "w") as f:
        f.write('systems = "%s"\n' % " ".join(present))
        f.write("have_w5 = %d\n" % (1 if R.w("W5") else 0))
        for tag, have in cdf.items():
            f.write('cdf_%s = "%s"\n' % (tag.replace("x", "_"), " ".join(have)))


def update_docs(docs, md):
    path = os.path.join(docs, "bench.md")
    block = BEGIN + "\n" + md + "\n" + END
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = "# walkit benchmarks\n\n## Results\n\n" + BEGIN + "\n" + END + "\n"
    if BEGIN in text and END in text:
        a = text.index(BEGIN)
        b = text.index(END) + len(END)
        text = text[:a] + block + text[b:]
    else:
        text += "\n## Results\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--mode", default="quick")
    ap.add_argument("--docs")
    a = ap.parse_args()
    objs = load(a.raw)
    R = Results(objs)
    with open(os.path.join(a.out, "bench.json"), "w") as f:
        json.dump(objs, f, indent=1)
        f.write("\n")
    md = markdown(R, a.mode)
    with open(os.path.join(a.out, "bench.md"), "w") as f:
        f.write(md)
    write_plot_data(R, a.out)
    if a.docs:
        update_docs(a.docs, md)


if __name__ == "__main__":
    main()
