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
# A step the guest's own crash broke runs again with a fresh guest (step).
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

# Triple faults Xen logged for domains numbered @1 or above.
crashes_since() {
    xl dmesg | awk -v min="$1" '
        match($0, /d[0-9]+v[0-9]+ Triple fault/) {
            id = substr($0, RSTART + 1) + 0
            if (id >= min) n++
        }
        END { print n + 0 }'
}

fresh_guest() {
    xr_start_domu "$D" 256 48:16 1 pvh
    xr_check_intact "$D"
    xr_assert_one_running "$D"
    type_is_pvh "before the moves"
}

# step WHAT SAVE-COMMAND...: move WHAT with it, in a subshell so that a
# failure comes back here. Under TCG a PVH guest now and then
# triple-faults whatever is done to it (README.md, "PVH guests"; in CI
# once right after xl create): if Xen logged one for this guest or its
# copies since the step began, the step runs again with a fresh guest
# (3 tries); any other failure is xenmig's and fails the test.
step() {
    what=$1
    for try in 1 2 3; do
        first=$(xl domid "$D" 2>/dev/null || echo 0)
        [ "$first" != 0 ] || ( fresh_guest ) || true
        first=$(xl domid "$D" 2>/dev/null || echo 0)
        if [ "$first" != 0 ] && ( move "$@" ); then
            rm -f "$save"
            return 0
        fi
        rm -f "$save"
        [ "$(crashes_since "$first")" -gt 0 ] ||
            xr_fail "$what failed and the guest did not crash: xenmig's failure"
        xr_log "$what: the PVH guest triple-faulted under TCG (try $try), again with a fresh guest"
        for n in "$D" "$D--incoming" "$D--migratedaway"; do
            xr_destroy "$n" >/dev/null 2>&1 || true
        done
        ( fresh_guest ) || true
    done
    xr_fail "$what: the guest crashed in each of 3 tries"
}

( fresh_guest ) || true
save=$XENMIG_OUT/$D.save
restore="xenmig restore"
step save-restore save_restore xenmig save "$D"
restore="xl restore"
step compat-save-xl-restore save_restore xenmig save --compat "$D"
restore="xenmig restore"
step xl-save-xenmig-restore save_restore xl save "$D"

xr_destroy "$D"
xr_assert_none "$D"
echo "OK"
