#!/bin/sh
# fetch-kernel.sh: Debian's current kernel (the package linux-image-amd64
# points at) for the QEMU and Xen guests, without touching the host's.
#   scripts/fetch-kernel.sh OUTDIR [MODULE...]
# writes
#   OUTDIR/vmlinuz          the kernel
#   OUTDIR/kernel-package   its package name, e.g. linux-image-6.1.0-56-amd64
#   OUTDIR/modules/         only if MODULEs are named: a tree
#                           lib/modules/<version>/ holding those modules and
#                           every module they depend on, with the modules.*
#                           files depmod writes (so busybox modprobe works)
# A step whose output exists is skipped. Used by bench/qemu/make-guest.sh
# and tests/xen/build-images.sh. Needs apt-get, dpkg-deb; depmod and
# modprobe (kmod) when modules are named.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 OUTDIR [MODULE...]" >&2; exit 2; }
OUT=$1
shift
mkdir -p "$OUT"

need_kernel=0
[ -s "$OUT/vmlinuz" ] || need_kernel=1
[ $# -eq 0 ] || [ -s "$OUT/modules/modules.list" ] || need_kernel=1
[ "$need_kernel" = 1 ] || exit 0

pkg=
[ -s "$OUT/kernel-package" ] && pkg=$(cat "$OUT/kernel-package")
if [ -z "$pkg" ]; then
    pkg=$(apt-cache depends linux-image-amd64 |
          awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
fi
[ -n "$pkg" ] || {
    echo "fetch-kernel: no linux-image package found (apt-cache depends linux-image-amd64; run apt-get update?)" >&2
    exit 1
}
tmp=$(mktemp -d /tmp/xenmig-kernel.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download "$pkg" >/dev/null 2>"$tmp/apt.err") || {
    echo "fetch-kernel: apt-get download $pkg failed:" >&2
    cat "$tmp/apt.err" >&2
    exit 1
}
dpkg-deb -x "$tmp"/"$pkg"_*.deb "$tmp/root"

if [ ! -s "$OUT/vmlinuz" ]; then
    cp "$tmp"/root/boot/vmlinuz-* "$OUT/vmlinuz.part"
    echo "$pkg" > "$OUT/kernel-package"
    mv "$OUT/vmlinuz.part" "$OUT/vmlinuz"
fi

if [ $# -gt 0 ]; then
    command -v depmod >/dev/null && command -v modprobe >/dev/null || {
        echo "fetch-kernel: needs depmod and modprobe (apt-get install kmod)" >&2
        exit 1
    }
    kver=$(ls "$tmp/root/lib/modules")
    depmod -b "$tmp/root" "$kver"
    rm -rf "$OUT/modules"
    mkdir -p "$OUT/modules.part/lib/modules/$kver"
    for m in "$@"; do
        # "insmod /path/to/dep.ko" for each dependency, then the module
        modprobe -d "$tmp/root" -S "$kver" --show-depends "$m" >"$tmp/deps" || {
            echo "fetch-kernel: module $m not found in $pkg" >&2
            exit 1
        }
        awk '$1 == "insmod" { print $2 }' "$tmp/deps" | while read -r ko; do
            rel=${ko#"$tmp/root/"}
            mkdir -p "$OUT/modules.part/$(dirname "$rel")"
            cp "$ko" "$OUT/modules.part/$rel"
        done
    done
    cp "$tmp/root/lib/modules/$kver/modules.order" \
       "$tmp/root/lib/modules/$kver/modules.builtin" \
       "$tmp/root/lib/modules/$kver/modules.builtin.modinfo" \
       "$OUT/modules.part/lib/modules/$kver/" 2>/dev/null || true
    depmod -b "$OUT/modules.part" "$kver"
    (cd "$OUT/modules.part" && find lib -name '*.ko' | sort) \
        > "$OUT/modules.part/modules.list"
    mv "$OUT/modules.part" "$OUT/modules"
fi
