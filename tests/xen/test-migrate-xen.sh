#!/bin/sh
# test-migrate-xen.sh (runs in the rig's dom0, tests/xen/run.sh): xenmig
# moves a busy PV domU with its own engine on both sides (the xen
# backend's receiver restores through libxl) and the guest survives.
#  1. start a 256 MiB domU (48 MiB rewritten in a loop, 16 MiB untouched)
#  2. xenmig migrate to localhost (-s env: the "remote" side is
#     "env XMIG=1 xenmig migrate-receive"), default encodings; then exactly
#     one domain has its name and it runs with a new domid, no
#     NAME--incoming or NAME--migratedaway is left, its counter advances,
#     the untouched region's checksum is the one it was filled with
#  3. the same with --compress zstd, the domain capped at 90% by the
#     administrator: the new domain has that cap
#  4. xenmig save, then xenmig restore, the same checks
# Before those, two migrations whose sender dies (the exit fault point of
# tests/integration's XENMIG_FAULT): during the live pass, and right after
# the guest was suspended for the last pass. Each time the receiver
# destroys its half-built NAME--incoming, and 'xenmig recover' puts the
# guest back (log-dirty and cap off; in the second case the backend's
# cooperative resume): same domid, counter advancing, untouched region
# intact.
set -eu
. "$XENMIG_DIR/tests/xen/lib-dom0.sh"
D=xmig
trap 'xr_destroy "$D" >/dev/null 2>&1 || true' EXIT

migrate() {   # WHAT ARGS...
    what=$1
    shift
    xr_mark "$D"
    t0=$(xr_now)
    xenmig -v migrate --json "$@" -s env "$D" XMIG=1 \
        >"$XENMIG_OUT/$what.json" 2>"$XENMIG_OUT/$what.log" || {
        cat "$XENMIG_OUT/$what.log" "$XENMIG_OUT/$what.json"
        xr_fail "xenmig migrate $* -s env $D failed"
    }
    j=$XENMIG_OUT/$what.json
    xr_export "$j" "$XENMIG_OUT/$what.log"
    xr_log "$what took $(xr_since "$t0") s: total $(xr_json_field "$j" total_ms) ms, downtime $(xr_json_field "$j" downtime_ms) ms, $(xr_json_field "$j" bytes) bytes, $(xr_json_field "$j" iterations) iterations"
    xr_moved "$D" "$what"
}

xr_start_domu "$D" 256 48:16
xr_check_intact "$D"
xr_assert_one_running "$D"

for point in iteration:1 stop-and-copy; do
    xr_mark "$D"
    log=$XENMIG_OUT/killed-$point.log
    if XENMIG_FAULT=exit:$point xenmig migrate -s env "$D" XMIG=1 \
        >"$log" 2>&1; then
        cat "$log"
        xr_fail "a migration whose sender died at $point succeeded"
    fi
    # the receiver sees the stream end and destroys what it built
    xr_wait_gone "$D--incoming" 120 "its sender died at $point" "$log"
    xenmig recover "$D" >>"$log" 2>&1 || {
        cat "$log"; xr_fail "xenmig recover $D failed after a sender died at $point"
    }
    xr_stayed "$D" "sender killed at $point, recovered"
    "$XENMIG_DIR/tests/xen/xen-backend-probe" info "$D" > "$XENMIG_OUT/info.txt"
    grep -q "flags=--- cap=0" "$XENMIG_OUT/info.txt" || {
        cat "$log" "$XENMIG_OUT/info.txt"
        xr_fail "after recover the domain is not clean"
    }
done

migrate migrate
# an administrator's cap moves with the guest (the SCHED record)
xl sched-credit2 -d "$D" -c 90
migrate migrate-zstd --compress zstd
"$XENMIG_DIR/tests/xen/xen-backend-probe" info "$D" > "$XENMIG_OUT/info.txt"
grep -q " cap=90" "$XENMIG_OUT/info.txt" || {
    cat "$XENMIG_OUT/info.txt"
    xr_fail "the domain's cap of 90% did not move with it"
}
xl sched-credit2 -d "$D" -c 0

# --- save and restore ------------------------------------------------------
save=$XENMIG_OUT/$D.xmsave
xr_mark "$D"
t0=$(xr_now)
xenmig save "$D" "$save" >"$XENMIG_OUT/save.log" 2>&1 || {
    cat "$XENMIG_OUT/save.log"
    xr_fail "xenmig save $D $save failed"
}
xr_log "xenmig save took $(xr_since "$t0") s ($(du -m "$save" | cut -f1) MiB)"
xr_assert_none "$D"
t0=$(xr_now)
xenmig restore "$save" >"$XENMIG_OUT/restore.log" 2>&1 || {
    cat "$XENMIG_OUT/restore.log"
    xr_fail "xenmig restore $save failed"
}
xr_log "xenmig restore took $(xr_since "$t0") s"
rm -f "$save"
xr_moved "$D" "save + restore"

xr_destroy "$D"
xr_assert_none "$D"
echo "OK"
