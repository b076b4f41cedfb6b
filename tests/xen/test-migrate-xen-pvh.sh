#!/bin/sh
# test-migrate-xen-pvh.sh (runs in the rig's dom0, tests/xen/run.sh): xenmig
# saves and restores a busy PVH domU (tsc_mode "native", which PVH needs
# under TCG) and the guest survives, each time: a new domid, exactly one
# copy running, its counter advancing, the untouched region's checksum
# the one it was filled with, xenmig's backend seeing a PVH guest.
#  1. xenmig save, then xenmig restore
#  2. xenmig save --compat, then stock xl restore
#  3. stock xl save, then xenmig restore
# No live migration: under TCG a PVH guest sometimes triple-faults, and
# a live migration, being long, meets it most (README.md, "PVH guests").
set -eu
. "$XENMIG_DIR/tests/xen/lib-dom0.sh"
D=xpvh
trap 'xr_destroy "$D" >/dev/null 2>&1 || true' EXIT

type_is_pvh() {   # WHEN: xenmig's backend must see a PVH guest
    line=$("$XENMIG_DIR/tests/xen/xen-backend-probe" info "$D") ||
        xr_fail "xen-backend-probe info $D failed $1"
    case $line in
    *" type=pvh"*) ;;
    *) xr_fail "$1, the backend does not see a PVH guest: $line" ;;
    esac
}

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
    type_is_pvh "after $what"
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
type_is_pvh "before the moves"

save=$XENMIG_OUT/$D.save
restore="xenmig restore"
move save-restore save_restore xenmig save "$D"
rm -f "$save"
restore="xl restore"
move compat-save-xl-restore save_restore xenmig save --compat "$D"
rm -f "$save"
restore="xenmig restore"
move xl-save-xenmig-restore save_restore xl save "$D"
rm -f "$save"

xr_destroy "$D"
xr_assert_none "$D"
echo "OK"
