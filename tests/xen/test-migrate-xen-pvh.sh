#!/bin/sh
# test-migrate-xen-pvh.sh (runs in the rig's dom0, tests/xen/run.sh): xenmig
# moves a busy PVH domU (tsc_mode "native", which PVH needs under TCG) and
# the guest survives, each time: a new domid, exactly one copy running,
# its counter advancing, the untouched region's checksum the one it was
# filled with, no NAME--incoming or NAME--migratedaway left.
#  1. xenmig migrate to localhost (-s env, as test-migrate-xen.sh)
#  2. xenmig save, then xenmig restore
#  3. xenmig save --compat, then stock xl restore
#  4. xenmig migrate --compat into stock xl migrate-receive (-s env
#     HOST XLMIG=1, as test-xl-interop-send.sh)
# Each kind passed 5 times out of 5 in one boot before it went in here
# (README.md, "PVH guests").
set -eu
. "$XENMIG_DIR/tests/xen/lib-dom0.sh"
D=xpvh
trap 'xr_destroy "$D" >/dev/null 2>&1 || true' EXIT

move() {   # WHAT COMMAND...: run it, then check the guest moved
    what=$1
    shift
    xr_mark "$D"
    t0=$(xr_now)
    "$@" >"$XENMIG_OUT/$what.log" 2>&1 || {
        cat "$XENMIG_OUT/$what.log"
        xr_fail "$what ($*) failed"
    }
    xr_log "$what took $(xr_since "$t0") s"
    xr_moved "$D" "$what"
}

save_restore() {   # SAVE-COMMAND...: it, with $save last, then $restore
    "$@" "$save" || return 1
    if xl domid "$D" >/dev/null 2>&1; then
        echo "$D still exists after: $* $save"
        return 1
    fi
    $restore "$save"
}

xr_start_domu "$D" 256 48:16 1 pvh
xr_check_intact "$D"
xr_assert_one_running "$D"

move migrate xenmig -v migrate -s env "$D" XMIG=1

save=$XENMIG_OUT/$D.save
restore="xenmig restore"
move save-restore save_restore xenmig save "$D"
rm -f "$save"
restore="xl restore"
move compat-save-xl-restore save_restore xenmig save --compat "$D"
rm -f "$save"
move compat-migrate-xl xenmig -v migrate --compat -s env "$D" XLMIG=1

xr_destroy "$D"
xr_assert_none "$D"
echo "OK"
