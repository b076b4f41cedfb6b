#!/usr/bin/env python3
"""plot.py - one migration of each engine, pass by pass, as a PNG.

  bench/plot.py XENMIG.json QEMU.json OUT.png [TITLE]

XENMIG.json is `xenmig migrate --json` (its per_iteration list), QEMU.json
is bench/qemu/migrate.py's result (its "samples": query-migrate polled
every 0.1 s). For each pass (xenmig: iteration; QEMU: dirty-sync-count)
three panels show:
  - the pages the pass sends: xenmig's pages of that iteration (the last
    pass, stop-and-copy, is the rest of its pages_sent); QEMU's
    "remaining" at the first poll of the pass, in pages (so a short pass
    between two polls is missed, and QEMU's last pass is what remained
    when it stopped the guest);
  - the bandwidth of the pass: xenmig's measured bandwidth (bytes on the
    wire per second; none is reported for stop-and-copy); QEMU's
    "transferred" growth from the pass's first poll to the next pass's
    (counted before multifd compression: see migrate.py);
  - the guest's dirty rate during the pass, in pages per second:
    xenmig's dirty_rate of the iteration; QEMU's "dirty-pages-rate" at
    the pass's last poll (what it measured at its last dirty sync).
Writes OUT.png with gnuplot (pngcairo), the data next to it as
OUT.dat. Needs gnuplot (scripts/install-deps.sh --bench).
"""
import json
import os
import subprocess
import sys

PAGE = 4096


def xenmig_passes(path):
    s = json.load(open(path))
    out = [(it["iteration"], it["pages"], it["bandwidth"] / 2**20,
            it["dirty_rate"] / PAGE) for it in s["per_iteration"]]
    # the stop-and-copy pass is not in per_iteration: its pages are the
    # rest of pages_sent (no bandwidth of its own is reported)
    rest = s["pages_sent"] - sum(p[1] for p in out)
    if rest > 0:
        out.append((len(out), rest, float("nan"), float("nan")))
    return out


def qemu_passes(path):
    s = json.load(open(path))
    groups = {}
    for x in s.get("samples", []):
        if x.get("sync") is None or x.get("transferred") is None:
            continue
        groups.setdefault(x["sync"], []).append(x)
    out = []
    syncs = sorted(groups)
    for n, sync in enumerate(syncs):
        g = groups[sync]
        pages = (g[0]["remaining"] or 0) // PAGE
        # from this pass's first poll to the next pass's first (or to
        # this pass's last poll for the last pass)
        end = groups[syncs[n + 1]][0] if n + 1 < len(syncs) else g[-1]
        dt = end["t"] - g[0]["t"]
        bw = ((end["transferred"] - g[0]["transferred"]) / dt / 2**20
              if dt > 0 else float("nan"))
        rate = g[-1].get("dirty_pages_rate")
        out.append((n, pages, bw, float("nan") if rate is None else rate))
    return out


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__.split("\n\n")[1])
    xm, qm, png = sys.argv[1:4]
    title = sys.argv[4] if len(sys.argv) == 5 else "one migration of each engine"
    dat = os.path.splitext(png)[0] + ".dat"
    xp, qp = xenmig_passes(xm), qemu_passes(qm)
    with open(dat, "w") as f:
        f.write("# xenmig: pass pages MiB/s dirty-pages/s\n")
        for p in xp:
            f.write("%d %d %.1f %.0f\n" % p)
        f.write("\n\n# qemu: pass pages MiB/s dirty-pages/s\n")
        for p in qp:
            f.write("%d %d %.1f %.0f\n" % p)
    # a tick per pass, or per few when a migration did not converge
    xtics = max(1, max(len(xp), len(qp)) // 20)
    script = f"""
set terminal pngcairo size 900,1000 font ",11"
set output "{png}"
set multiplot layout 3,1 title "{title}"
set grid
set key top right
set xlabel "pass (xenmig iteration, QEMU dirty-sync-count)"
set xtics {xtics}
set logscale y
set ylabel "pages sent in the pass"
plot "{dat}" index 0 using 1:2 with linespoints lw 2 pt 7 title "xenmig", \\
     "{dat}" index 1 using 1:2 with linespoints lw 2 pt 5 title "QEMU"
unset logscale y
set ylabel "bandwidth, MiB/s"
set yrange [0:*]
plot "{dat}" index 0 using 1:3 with linespoints lw 2 pt 7 title "xenmig", \\
     "{dat}" index 1 using 1:3 with linespoints lw 2 pt 5 title "QEMU"
set ylabel "dirty rate, pages/s"
plot "{dat}" index 0 using 1:4 with linespoints lw 2 pt 7 title "xenmig", \\
     "{dat}" index 1 using 1:4 with linespoints lw 2 pt 5 title "QEMU"
unset multiplot
"""
    r = subprocess.run(["gnuplot"], input=script.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode:
        sys.exit("plot.py: gnuplot failed: " + r.stderr.decode(errors="replace"))
    print(png)


if __name__ == "__main__":
    main()
