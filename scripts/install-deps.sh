#!/bin/sh
# Install xenmig's build and test dependencies from Debian's archive.
#   scripts/install-deps.sh              what 'make' and 'make check' need
#   scripts/install-deps.sh --packaging  what scripts/check-packages.sh
#                                        needs too ('make deb', 'make rpm',
#                                        lintian, man, bash completion)
#   scripts/install-deps.sh --xen        what 'make check-xen' needs too
#                                        (QEMU, busybox-static, cpio, kmod
#                                        for the real-Xen rig, tests/xen/)
#   scripts/install-deps.sh --bench      what 'BENCH_QEMU=1 make bench' and
#                                        bench/make-corpus.sh need too
#                                        (QEMU, busybox, cpio, gnuplot for
#                                        bench/plot.py)
# Options combine: --packaging --xen.
# Safe to run again: apt-get skips what is there.
set -e
PKGS="build-essential pkg-config libxen-dev libyajl-dev libglib2.0-dev \
check liblz4-dev libzstd-dev python3 groff-base"
PACKAGING_PKGS="debhelper lintian rpm man-db bash-completion git"
XEN_PKGS="qemu-system-x86 busybox-static cpio kmod gzip"
BENCH_PKGS="qemu-system-x86 busybox-static cpio gnuplot-nox"
for opt in "$@"; do
    case $opt in
    --packaging) PKGS="$PKGS $PACKAGING_PKGS" ;;
    --xen) PKGS="$PKGS $XEN_PKGS" ;;
    --bench) PKGS="$PKGS $BENCH_PKGS" ;;
    *)
        echo "usage: $0 [--packaging] [--xen] [--bench]" >&2
        exit 2
        ;;
    esac
done
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
        || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "need root to install:$missing" >&2
    exit 1
fi
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
