#!/bin/sh
# test-rig-env.sh (runs in the rig's dom0): the rig gives tests what they
# rely on, so a failure here points at the rig, not at the code tested.
#  - hypervisor and tools are both the pinned 4.17.5 (mixing versions
#    makes libxl-save-helper crash) and the hypervisor has shadow paging
#    (PV log-dirty needs it)
#  - the project's binaries are on PATH and find all their libraries
#  - xenstored answers, dom0 is the only domain
#  - TCP over loopback to "localhost" works (migrations within dom0)
set -eu
. "$XENMIG_DIR/tests/xen/lib-dom0.sh"

xl info > "$XENMIG_OUT/xl-info.txt" || xr_fail "xl info failed"
major=$(awk -F': ' '$1 ~ /^xen_major/ { print $2 }' "$XENMIG_OUT/xl-info.txt")
minor=$(awk -F': ' '$1 ~ /^xen_minor/ { print $2 }' "$XENMIG_OUT/xl-info.txt")
extra=$(awk -F': ' '$1 ~ /^xen_extra/ { print $2 }' "$XENMIG_OUT/xl-info.txt")
caps=$(awk -F': ' '$1 ~ /^virt_caps/ { print $2 }' "$XENMIG_OUT/xl-info.txt")
echo "hypervisor $major.$minor$extra, virt_caps: $caps"
case $major.$minor$extra in
4.17.5|4.17.5[!0-9]*) ;;
*) xr_fail "hypervisor is $major.$minor$extra, not the pinned 4.17.5" ;;
esac
case " $caps " in *" shadow "*) ;; *) xr_fail "hypervisor lacks shadow paging (virt_caps: $caps)" ;; esac

for b in xenmig xenmig-simd; do
    p=$(command -v "$b") || xr_fail "$b is not on PATH ($PATH)"
    # no ldd in dom0 (it is glibc's bash script): ask the loader
    /lib64/ld-linux-x86-64.so.2 --list "$p" > "$XENMIG_OUT/ldd-$b.txt" 2>&1 ||
        { cat "$XENMIG_OUT/ldd-$b.txt"; xr_fail "the loader cannot list $p's libraries"; }
    if grep -q 'not found' "$XENMIG_OUT/ldd-$b.txt"; then
        cat "$XENMIG_OUT/ldd-$b.txt"
        xr_fail "$b misses libraries in dom0"
    fi
done
xenmig --version || xr_fail "xenmig --version failed"

xenstore-read domid >/dev/null 2>&1 || xenstore-read /local/domain/0/domid >/dev/null ||
    xr_fail "xenstore does not answer"
# loopback TCP, as xenmig migrate-receive --listen / migrate HOST:PORT use
nc -l -p 8999 > "$XENMIG_OUT/nc.out" &
ncpid=$!
sleep 1
echo "over loopback" | nc localhost 8999 || xr_fail "cannot connect to localhost:8999"
wait "$ncpid" || true
[ "$(cat "$XENMIG_OUT/nc.out")" = "over loopback" ] ||
    xr_fail "loopback TCP lost data: '$(cat "$XENMIG_OUT/nc.out")'"
echo "loopback TCP works"

n=$(xl list | awk 'NR > 1' | wc -l)
[ "$n" = 1 ] || { xl list; xr_fail "$n domains at start, expected dom0 alone"; }
echo "OK"
