#!/bin/sh
# test-migrate-xen-smp.sh (runs in the rig's dom0, tests/xen/run.sh): a PV
# domU with two vCPUs moved by xenmig, so the vCPU state records of more
# than vCPU 0 are sent, turned into libxc's and restored by libxl.
#  1. start a 192 MiB domU with 2 vCPUs (32 MiB rewritten in a loop, 16
#     MiB untouched); both vCPUs online
#  2. xenmig migrate to localhost: the guest moved (new domid, one copy,
#     counter advancing, untouched region intact) and both vCPUs online
#     on the destination
#  3. xenmig save + xenmig restore: the same
set -eu
. "$XENMIG_DIR/tests/xen/lib-dom0.sh"
D=xsmp
trap 'xr_destroy "$D" >/dev/null 2>&1 || true' EXIT

online_vcpus() {   # WHAT: both vCPUs of $D are up (a CPU, not "-")
    xl vcpu-list "$D" > "$XENMIG_OUT/vcpus.txt" 2>&1 || {
        cat "$XENMIG_OUT/vcpus.txt"; xr_fail "xl vcpu-list $D failed ($1)"
    }
    n=$(awk -v n="$D" '$1 == n && $4 ~ /^[0-9]+$/' "$XENMIG_OUT/vcpus.txt" | wc -l)
    [ "$n" = 2 ] || { cat "$XENMIG_OUT/vcpus.txt"; xr_fail "$n of 2 vCPUs of $D online $1"; }
}

xr_start_domu "$D" 192 32:16 2
online_vcpus "at the start"

xr_mark "$D"
xenmig -v migrate -s env "$D" XMIG=1 >"$XENMIG_OUT/migrate.log" 2>&1 || {
    cat "$XENMIG_OUT/migrate.log"; xr_fail "xenmig migrate of a 2-vCPU domU failed"
}
xr_moved "$D" "migrate, 2 vCPUs"
online_vcpus "after the migration"

save=$XENMIG_OUT/$D.xmsave
xr_mark "$D"
xenmig save "$D" "$save" >"$XENMIG_OUT/save.log" 2>&1 || {
    cat "$XENMIG_OUT/save.log"; xr_fail "xenmig save of a 2-vCPU domU failed"
}
xr_assert_none "$D"
xenmig restore "$save" >"$XENMIG_OUT/restore.log" 2>&1 || {
    cat "$XENMIG_OUT/restore.log"; xr_fail "xenmig restore of a 2-vCPU domU failed"
}
rm -f "$save"
xr_moved "$D" "save + restore, 2 vCPUs"
online_vcpus "after save + restore"

xr_destroy "$D"
xr_assert_none "$D"
echo "OK"
