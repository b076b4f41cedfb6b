#!/bin/sh
# test-xl-baseline.sh (runs in the rig's dom0): stock xl moves a busy PV
# domU and it survives. The base of the interop tests.
#  1. start a 256 MiB domU (48 MiB rewritten in a loop, 16 MiB untouched)
#  2. xl migrate to localhost (no ssh: -s env runs "env XLMIG=1 xl
#     migrate-receive" as the "remote" side); then the domain has a new
#     domid, exactly one domain has its name and it runs, its counter
#     advances past the value before, and the untouched region's checksum
#     is the one it was filled with
#  3. xl save, then xl restore of the same domU, the same checks
set -eu
. "$XENMIG_DIR/tests/xen/lib-dom0.sh"
D=xlbase
trap 'xr_destroy "$D" >/dev/null 2>&1 || true' EXIT

xr_start_domu "$D" 256 48:16
xr_check_intact "$D"
xr_assert_one_running "$D"

# --- live migration to localhost ----------------------------------------
xr_mark "$D"
t0=$(xr_now)
xl migrate -s env "$D" XLMIG=1 >"$XENMIG_OUT/migrate.log" 2>&1 || {
    cat "$XENMIG_OUT/migrate.log"
    xr_fail "xl migrate -s env $D XLMIG=1 failed"
}
xr_log "xl migrate took $(xr_since "$t0") s"
xr_moved "$D" "xl migrate"

# --- save and restore ------------------------------------------------------
save=$XENMIG_OUT/$D.save
xr_mark "$D"
t0=$(xr_now)
xl save "$D" "$save" >"$XENMIG_OUT/save.log" 2>&1 || {
    cat "$XENMIG_OUT/save.log"
    xr_fail "xl save $D $save failed"
}
xr_log "xl save took $(xr_since "$t0") s ($(du -m "$save" | cut -f1) MiB)"
xr_assert_none "$D"
t0=$(xr_now)
xl restore "$save" >"$XENMIG_OUT/restore.log" 2>&1 || {
    cat "$XENMIG_OUT/restore.log"
    xr_fail "xl restore $save failed"
}
xr_log "xl restore took $(xr_since "$t0") s"
rm -f "$save"
xr_moved "$D" "xl save + xl restore"

xr_destroy "$D"
xr_assert_none "$D"
ls -l /var/log/xen/console/
echo "OK"
