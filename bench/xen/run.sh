#!/bin/sh
# make bench-xen: stock `xl migrate` against xenmig on real Xen, in one
# boot of the test rig (tests/xen/run.sh, Xen 4.17.5 under QEMU TCG).
# bench/xen/bench-dom0.sh runs in dom0 and migrates a busy and an idle
# PV domU to localhost with xl, xenmig --compress none and xenmig
# (auto); this script boots it, reads the results it exported and prints
# one table, with each xenmig run's ratios against xl's on the same guest
# in the same boot. Also in bench/out/xen-results.txt (the table) and
# bench/out/xen-raw.txt (what dom0 measured).
#
#   bench/xen/run.sh [RIG-OPTION...]    (e.g. --no-make; see run.sh)
#   bench/xen/run.sh --format FILE      only format a raw results file
set -u
cd "$(dirname "$0")/../.." || exit 1
OUT=bench/out
mkdir -p "$OUT"

format() {   # RAW: the table, ratios against xl on the same guest
    awk '
    function v(line, k,    i, n, a) {
        n = split(line, a, " ")
        for (i = 1; i <= n; i++)
            if (index(a[i], k "=") == 1)
                return substr(a[i], length(k) + 2)
        return ""
    }
    function ratio(m, a, b) {
        if (m == "xl") return "1"
        return (b > 0 && a != "") ? sprintf("%.2f", a / b) : "-"
    }
    function num(x, f) { return x == "" ? "-" : sprintf(f, x) }
    /^info / { sub(/^info /, ""); print "# " $0; next }
    /^run / {
        n++; line[n] = $0
        g = v($0, "guest")
        if (v($0, "method") == "xl") {
            xl_t[g] = v($0, "total_s"); xl_p[g] = v($0, "gap_real_s")
            xl_f[g] = v($0, "frozen_s"); xl_b[g] = v($0, "wire_bytes")
        }
    }
    END {
        printf "%-5s %-4s %-7s %7s %7s %7s %8s %5s %7s %7s %6s %6s %6s %6s %6s %6s\n",
            "guest", "run", "status", "total s", "pause s", "frozen",
            "MiB wire", "iters", "pred ms", "down ms", "pages",
            "susp", "t/xl", "p/xl", "fr/xl", "B/xl"
        for (i = 1; i <= n; i++) {
            l = line[i]; g = v(l, "guest"); m = v(l, "method")
            t = v(l, "total_s"); p = v(l, "gap_real_s")
            f = v(l, "frozen_s"); b = v(l, "wire_bytes")
            printf "%-5s %-4s %-7s %7s %7s %7s %8s %5s %7s %7s %6s %6s %6s %6s %6s %6s\n",
                g, m, v(l, "status"), num(t, "%.1f"), num(p, "%.2f"),
                num(f, "%.2f"), num(b / 1048576, "%.1f"),
                num(v(l, "iterations"), "%d"),
                num(v(l, "expected_downtime_ms"), "%.0f"),
                num(v(l, "downtime_ms"), "%.0f"),
                num(v(l, "final_pages"), "%d"),
                num(v(l, "suspend_ms"), "%.0f"),
                ratio(m, t, xl_t[g]), ratio(m, p, xl_p[g]),
                ratio(m, f, xl_f[g]), ratio(m, b, xl_b[g])
        }
    }' "$1"
}

if [ "${1:-}" = --format ]; then
    format "$2"
    exit
fi

load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)
tests/xen/run.sh --job-timeout 3600 --timeout 4200 "$@" \
    bench/xen/bench-dom0.sh
rc=$?
raw=tests/out/xen/last/files/bench-dom0/bench-xen.txt
if [ ! -s "$raw" ]; then
    echo "bench-xen: no results ($raw is missing; see tests/out/xen/last/serial.log)" >&2
    exit 1
fi
cp "$raw" "$OUT/xen-raw.txt"
{
    echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(($(date +%s) - t0)) s; host load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
    format "$OUT/xen-raw.txt"
    echo "# pause: longest gap in the guest's timestamp loop (CLOCK_REALTIME), throttled slow passes included"
    echo "# frozen: longest realtime minus monotonic advance over one gap (a PV guest's monotonic clock stops while it is suspended): the pause alone"
    echo "# xenmig only: pred = the stop rule's prediction for the pages left, down = its downtime (pause to DONE), pages = the last pass's, susp = suspend ms"
    echo "# t, p, fr, B/xl: total, pause, frozen, wire bytes over xl's on the same guest in this boot"
} | tee "$OUT/xen-results.txt"
exit $rc
