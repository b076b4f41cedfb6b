#!/bin/sh
# run-two.sh: two real-Xen hosts on one network. Boots two rigs at once
# (tests/xen/run.sh each: Xen 4.17.5 under QEMU, a PV dom0 with this
# tree's binaries), host A and host B, whose NICs are joined by a QEMU
# UDP socket link, and runs the same scripts on both; the scripts tell
# their side by $XENMIG_ROLE and meet over the network (lib-dom0.sh's
# xr_peer_send / xr_peer_recv). See tests/xen/README.md.
#
#   tests/xen/run-two.sh [--no-make] [--out DIR] [RUN.SH-OPTION...] SCRIPT...
#     SCRIPT            run as a job in A's dom0 and in B's, in order
#     --no-make         use the binaries as built (no 'make progs tests')
#     --out DIR         where logs go (default tests/out/xen-two): DIR/
#                       <stamp>/a/ and b/ hold each rig's run (run.sh's
#                       --out), a.log and b.log what each run.sh printed
#     RUN.SH-OPTION     any other option of run.sh (-e, --timeout,
#                       --job-timeout, --mem, --dom0-mem, -v, ...), given
#                       to both; --mem 1G and --dom0-mem 512 unless given
# Each job sees XENMIG_ROLE (a or b), XENMIG_SELF (its dom0's address)
# and XENMIG_PEER (the other's): 10.99.0.1 for A, 10.99.0.2 for B. When
# one rig fails, the other gets 180 s to finish (it may be checking what
# the failure left) and is then stopped.
# Exit status 0 only if both rigs passed every job.
{
set -eu
SELF=$(realpath "$0")
cd "$(dirname "$SELF")/../.."
OUT=tests/out/xen-two
MAKE=1
die() { echo "xen-two: $*" >&2; exit 1; }

# our own options out, the rest (run.sh's and the scripts) kept in order
n=$#
while [ "$n" -gt 0 ]; do
    case $1 in
    --no-make) MAKE=0; shift ;;
    --out) [ $# -ge 2 ] || die "--out needs a directory"
           OUT=$2; shift 2; n=$((n - 1)) ;;
    -h|--help) sed -n '/^#   tests/,/^# Exit/p' "$SELF" | sed 's/^# \{0,1\}//' >&2
               exit 2 ;;
    *) set -- "$@" "$1"; shift ;;
    esac
    n=$((n - 1))
done
[ $# -gt 0 ] || die "no script to run (--help)"

if [ "$MAKE" = 1 ]; then
    make -j2 progs tests >/dev/null || die "make progs tests failed"
fi
# once here, so the two rigs do not both fill the cache
tests/xen/build-images.sh >/dev/null || die "tests/xen/build-images.sh failed"

# Two UDP ports free now, one for each end of the link.
udp_busy() { ss -Huan "sport = :$1" 2>/dev/null | grep -q .; }
pa=$((20000 + ($$ % 10000) * 2))
while udp_busy "$pa" || udp_busy $((pa + 1)); do
    pa=$((pa + 2))
    [ "$pa" -lt 60000 ] || pa=20000
done
pb=$((pa + 1))

stamp=$(date -u +%Y%m%d-%H%M%S)-$$
dir=$OUT/$stamp
mkdir -p "$dir/a" "$dir/b" || die "cannot create $dir"
ln -sfn "$stamp" "$OUT/last"
A_ADDR=10.99.0.1 B_ADDR=10.99.0.2

apid= bpid=
cleanup() {
    for p in $apid $bpid; do
        kill "$p" 2>/dev/null || true
    done
    # run.sh stops its QEMU on the way out: wait for that
    for p in $apid $bpid; do
        wait "$p" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "xen-two: booting host A ($A_ADDR) and host B ($B_ADDR), link udp 127.0.0.1:$pa <-> :$pb, logs in $dir"
start=$(date +%s)
tests/xen/run.sh --no-make --out "$dir/a" --mem 1G --dom0-mem 512 \
    --link "$pa:$pb" --addr "$A_ADDR/24" \
    -e XENMIG_ROLE=a -e XENMIG_SELF=$A_ADDR -e XENMIG_PEER=$B_ADDR \
    "$@" >"$dir/a.log" 2>&1 &
apid=$!
tests/xen/run.sh --no-make --out "$dir/b" --mem 1G --dom0-mem 512 \
    --link "$pb:$pa" --addr "$B_ADDR/24" \
    -e XENMIG_ROLE=b -e XENMIG_SELF=$B_ADDR -e XENMIG_PEER=$A_ADDR \
    "$@" >"$dir/b.log" 2>&1 &
bpid=$!
# both rigs' progress, prefixed; each tail ends with its run.sh
tail --pid="$apid" -n +1 -F "$dir/a.log" 2>/dev/null | sed -u 's/^/A: /' &
ased=$!
tail --pid="$bpid" -n +1 -F "$dir/b.log" 2>/dev/null | sed -u 's/^/B: /' &
bsed=$!

# Wait for both; once one has failed, the other has 180 s.
arc= brc= failed_at=
while [ -z "$arc" ] || [ -z "$brc" ]; do
    if [ -z "$arc" ] && ! kill -0 "$apid" 2>/dev/null; then
        arc=0; wait "$apid" || arc=$?; apid=
    fi
    if [ -z "$brc" ] && ! kill -0 "$bpid" 2>/dev/null; then
        brc=0; wait "$bpid" || brc=$?; bpid=
    fi
    if [ -z "$failed_at" ] && { [ "${arc:-0}" != 0 ] || [ "${brc:-0}" != 0 ]; }; then
        failed_at=$(date +%s)
    fi
    if [ -n "$failed_at" ] && [ $(($(date +%s) - failed_at)) -ge 180 ]; then
        echo "xen-two: one host failed 180 s ago; stopping the other" >&2
        for p in $apid $bpid; do
            kill "$p" 2>/dev/null || true
        done
        [ -n "$arc" ] || { wait "$apid" 2>/dev/null || true; arc=stopped; apid=; }
        [ -n "$brc" ] || { wait "$bpid" 2>/dev/null || true; brc=stopped; bpid=; }
    fi
    sleep 1
done
wait "$ased" "$bsed" 2>/dev/null || true
end=$(date +%s)
# (each rig's results were printed above as they came)
verdict() {   # RC SIDE
    if [ "$1" = stopped ]; then
        echo "stopped 180 s after the other host failed"
    else
        v=$(grep -a 'xen-rig: [0-9]* passed' "$dir/$2.log" | tail -n 1)
        echo "${v:-exit $1}"
    fi
}
echo "xen-two: $((end - start)) s; host A: $(verdict "$arc" a); host B: $(verdict "$brc" b)"
if [ "$arc" = 0 ] && [ "$brc" = 0 ]; then
    echo "xen-two: both hosts passed"
    exit 0
fi
echo "xen-two: FAILED (host A: exit $arc, host B: exit $brc)"
exit 1
}
