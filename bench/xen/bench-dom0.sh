#!/bin/sh
# bench-dom0.sh (runs in the rig's dom0; bench/xen/run.sh boots it): stock
# xl migrate against xenmig on the same domU in the same boot.
#
# For a busy guest (256 MiB, 48 MiB rewritten in a loop, the tests' guest)
# and an idle one (1 MiB rewritten, then 20 ms asleep, 50 times a second),
# one domU each, migrated to localhost three times in a row:
#   xl       xl migrate -s 'wire-count F env' NAME XLMIG=1
#   none     xenmig migrate --compress none, the same transport
#   auto     xenmig migrate (default encodings), the same transport
# Each run records: wall time of the migrate command; the pause the guest
# saw, as the longest gap between its workload's lines after the counter
# read before the migration (CLOCK_REALTIME, and CLOCK_MONOTONIC, which a
# PV Linux guest stops while it is suspended), and how long it was
# frozen (the largest realtime minus monotonic advance between two
# lines: the suspended time, without throttled slow passes); bytes on the wire
# (tests/xen/wire-count, sender to receiver, for all three); for xenmig
# its --json summary (downtime from the sender, the stop rule's
# prediction, suspend and last-pass times). After each run the guest
# must be running with its untouched memory intact, else the run is
# marked broken. Results: one "run ..." line per run in
# $XENMIG_OUT/export/bench-xen.txt, formatted on the host.
set -eu
. "$XENMIG_DIR/tests/xen/lib-dom0.sh"
OUTF=$XENMIG_OUT/export/bench-xen.txt
WC=$XENMIG_DIR/tests/xen/wire-count
mkdir -p "$XENMIG_OUT/export"
: > "$OUTF"
failed=0
cur=

trap 'xr_destroy "$cur" >/dev/null 2>&1 || true' EXIT

json_field() {   # FILE KEY: a number from xenmig's --json summary
    tr -d '\n ' < "$1" | grep -o "\"$2\":[0-9.e+-]*" | head -1 | cut -d: -f2
}

# GUEST AFTER_N: after pass AFTER_N, the longest gaps (s) between
# consecutive workload passes by the realtime and the monotonic clock,
# and the longest time the guest was frozen: realtime minus monotonic
# advance over one gap (a PV Linux guest's monotonic clock stops from
# suspend to resume, its realtime clock does not), which leaves out
# passes that were slow because the guest was throttled
gaps() {
    cat "$XR_CONSOLE_DIR/guest-$1"*.log 2>/dev/null | tr -d '\r' |
        sed -n 's/.*xmw n=\([0-9]*\) mono=\([0-9.]*\) real=\([0-9.]*\).*/\1 \2 \3/p' |
        sort -n -u -k1,1 |
        awk -v after="$2" '$1 <= after { next }
             NR > 1 && $1 == pn + 1 {
                 if ($2 - pm > mm) mm = $2 - pm
                 if ($3 - pr > mr) mr = $3 - pr
                 f = ($3 - pr) - ($2 - pm); if (f > mf) mf = f }
             { pn = $1; pm = $2; pr = $3 }
             END { printf "gap_mono_s=%.3f gap_real_s=%.3f frozen_s=%.3f\n",
                          mm, mr, mf }'
}

run() {   # GUEST METHOD: one migration of domain $cur, recorded
    g=$1 m=$2
    log=$XENMIG_OUT/$g-$m.log json=$XENMIG_OUT/$g-$m.json
    cnt=$XENMIG_OUT/$g-$m.wire
    rm -f "$cnt"
    # a guest an earlier run broke is not measured again
    if ! old=$(xr_domid "$cur") ||
       ! c0=$(xr_wait_counter "$cur" "$(xr_counter "$cur")" 60); then
        echo "run guest=$g method=$m status=skipped" >> "$OUTF"
        failed=$((failed + 1))
        return 0
    fi
    t0=$(xr_now)
    case $m in
    xl)   set -- xl migrate -s "$WC $cnt env" "$cur" XLMIG=1 ;;
    none) set -- xenmig -v migrate --json --compress none \
              -s "$WC $cnt env" "$cur" XMIG=1 ;;
    auto) set -- xenmig -v migrate --json -s "$WC $cnt env" "$cur" XMIG=1 ;;
    esac
    ok=yes
    if ! "$@" >"$json" 2>"$log"; then
        ok=failed
        cat "$log" "$json" | tail -20
    fi
    total=$(xr_since "$t0")
    # the counter writes its file once the receiver has its stream's end
    i=0
    while [ ! -s "$cnt" ] && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done
    wire=$(cat "$cnt" 2>/dev/null || echo 0)
    if [ "$ok" = yes ]; then
        new=$(xl domid "$cur" 2>/dev/null || echo none)
        if [ "$new" = "$old" ] || [ "$new" = none ]; then
            ok=broken
        elif ! (xr_assert_one_running "$cur" &&
                xr_wait_counter "$cur" "$c0" 120 >/dev/null &&
                xr_check_intact "$cur"); then
            ok=broken
        fi
    fi
    [ "$ok" = yes ] || failed=$((failed + 1))
    line="run guest=$g method=$m status=$ok total_s=$total"
    line="$line wire_bytes=$wire $(gaps "$cur" "$c0")"
    if [ "$m" != xl ] && [ -s "$json" ]; then
        for k in total_ms downtime_ms expected_downtime_ms suspend_ms \
                 final_pass_ms final_pages bytes iterations throttle_max; do
            line="$line $k=$(json_field "$json" "$k")"
        done
        xr_export "$json" "$log"
    else
        xr_export "$log"
    fi
    echo "$line" >> "$OUTF"
    xr_log "$line"
}

guest() {   # NAME RW:FIXED[:PAUSE]
    cur=$1
    if ! (xr_start_domu "$1" 256 "$2" && xr_check_intact "$1"); then
        echo "run guest=$1 method=all status=no-guest" >> "$OUTF"
        failed=$((failed + 1))
        xr_destroy "$1" || true
        return 0
    fi
    # let the workload settle into its loop
    xr_wait_counter "$1" "$(xr_counter "$1")" >/dev/null || true
    run "$1" xl
    run "$1" none
    run "$1" auto
    xr_destroy "$1" || true
    cur=
}

xen=$(xl info | awk '/^xen_version/ { print $3 }')
echo "info dom0 $(cat /proc/loadavg) xen $xen" >> "$OUTF"
# what a byte costs in this dom0 (the stream's CRC32C: hardware only when
# the emulated CPU has SSE4.2)
if [ -x "$XENMIG_DIR/bench/bench-crc32c" ]; then
    sse=$(grep -c sse4_2 /proc/cpuinfo || true)
    crc=$("$XENMIG_DIR/bench/bench-crc32c" 0.3 |
          awk '$2 == 4194304 { printf "%s=%sGB/s ", $1, $4 }')
    echo "info dom0 sse4_2=$sse crc32c $crc" >> "$OUTF"
fi
guest busy 48:16
guest idle 1:16:20
echo "info dom0-load-end $(cat /proc/loadavg)" >> "$OUTF"
cat "$OUTF"
[ "$failed" = 0 ] || xr_fail "$failed runs failed or broke a guest"
echo "OK"
