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
#  3. the same with --compress zstd
#  4. xenmig save, then xenmig restore, the same checks
# Before those, two migrations that fail (the sender cuts the connection
# with a fault point, tests/integration's XENMIG_FAULT): during the live
# pass, and after the guest was suspended for the last pass. Each time
# the guest must run on where it was (same domid, counter advancing: the
# second case is the backend's cooperative resume), untouched region
# intact, log-dirty off, nothing left on the receiving side.
set -eu
. "$XENMIG_DIR/tests/xen/lib-dom0.sh"
D=xmig
trap 'xr_destroy "$D" >/dev/null 2>&1 || true' EXIT

moved() {   # OLD_DOMID C0 WHAT: the checks after a move
    new=$(xr_domid "$D")
    [ "$new" != "$1" ] || xr_fail "domid is still $1 after $3"
    xr_assert_one_running "$D"
    c1=$(xr_wait_counter "$D" "$2" 60)
    c2=$(xr_wait_counter "$D" "$c1" 60)
    xr_check_intact "$D"
    xr_log "$3: domid $1 -> $new, counter $2 -> $c1 -> $c2, checksum intact, longest pause seen by the guest $(xr_max_gap "$D") s"
}

migrate() {   # WHAT ARGS...
    what=$1
    shift
    old=$(xr_domid "$D")
    c0=$(xr_wait_counter "$D" "$(xr_counter "$D")")
    t0=$(xr_now)
    xenmig -v migrate --json "$@" -s env "$D" XMIG=1 \
        >"$XENMIG_OUT/$what.json" 2>"$XENMIG_OUT/$what.log" || {
        cat "$XENMIG_OUT/$what.log" "$XENMIG_OUT/$what.json"
        xr_fail "xenmig migrate $* -s env $D failed"
    }
    xr_log "$what took $(xr_since "$t0") s: $(tr -d '\n' < "$XENMIG_OUT/$what.json" | cut -c1-400)"
    moved "$old" "$c0" "$what"
}

xr_start_domu "$D" 256 48:16
xr_check_intact "$D"
xr_assert_one_running "$D"

for point in iteration:1 stop-and-copy; do
    old=$(xr_domid "$D")
    c0=$(xr_counter "$D")
    if XENMIG_FAULT=drop:$point xenmig migrate -s env "$D" XMIG=1 \
        >"$XENMIG_OUT/fail-$point.log" 2>&1; then
        cat "$XENMIG_OUT/fail-$point.log"
        xr_fail "a migration cut at $point succeeded"
    fi
    grep -q "resumed on the source" "$XENMIG_OUT/fail-$point.log" || {
        cat "$XENMIG_OUT/fail-$point.log"
        xr_fail "the sender cut at $point does not say the guest resumed"
    }
    [ "$(xr_domid "$D")" = "$old" ] || xr_fail "domid changed after a failed migration"
    xr_assert_one_running "$D"
    c1=$(xr_wait_counter "$D" "$c0" 60)
    xr_check_intact "$D"
    xenmig list > "$XENMIG_OUT/list.txt" 2>&1 || xr_fail "xenmig list failed"
    grep -q "$D" "$XENMIG_OUT/list.txt" || {
        cat "$XENMIG_OUT/list.txt"; xr_fail "xenmig list does not show $D"
    }
    "$XENMIG_DIR/tests/xen/xen-backend-probe" info "$D" > "$XENMIG_OUT/info.txt"
    grep -q "flags=--- " "$XENMIG_OUT/info.txt" || {
        cat "$XENMIG_OUT/info.txt"; xr_fail "after the failed migration the domain is not clean"
    }
    xr_log "migration cut at $point: the guest runs on as domid $old (counter $c0 -> $c1)"
done

migrate migrate
migrate migrate-zstd --compress zstd

# --- save and restore ------------------------------------------------------
save=$XENMIG_OUT/$D.xmsave
old=$(xr_domid "$D")
c0=$(xr_counter "$D")
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
moved "$old" "$c0" "save + restore"

xr_destroy "$D"
xr_assert_none "$D"
echo "OK"
