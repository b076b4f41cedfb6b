#!/bin/sh
# build-images.sh: what the real-Xen rig boots, into a cache directory
# ($XENMIG_XEN_CACHE, default /var/cache/xenmig-xen) that later runs reuse.
# A step whose output exists is skipped; delete a file to redo its step.
#
#   debs/               the pinned Xen 4.17.5 packages (apt-get download,
#                       or /work/shared/xen-4.17.5/ when that fails)
#   xen                 the hypervisor, gunzipped (QEMU's -kernel)
#   vmlinuz, kernel-package
#                       Debian's kernel (scripts/fetch-kernel.sh), dom0's
#                       and domU's kernel
#   modules-<hash>/     dom0's modules (DOM0_MODULES and what they need);
#                       <hash> is that of the list and the kernel's package
#   dom0-base-<key>.cpio
#                       dom0's root: busybox-static, the modules, the Xen
#                       tools and libraries, their shared libraries (ldd
#                       closure from this Debian 12 host), the domU kernel;
#                       <key> is the hash of this script and
#                       fetch-kernel.sh, so a changed script builds its own
#                       base and worktrees with different ones share the
#                       cache without rebuilding it under each other
#   dom0-base-<key>.list
#                       the files in it (run.sh skips those libraries)
#   domu-<hash>/initramfs.gz
#                       the domU's root: busybox-static, workload
#                       (tests/xen/guest/workload.c, static), /init;
#                       <hash> is that of workload.c and this script, so
#                       worktrees with different guests share the cache
# dom0's /init-script is not here: run.sh adds it with the project's
# binaries, so editing it needs no rebuild.
#
#   tests/xen/build-images.sh [--print-paths]
# --print-paths prints, as its last two lines, the path of this tree's
# dom0 base cpio and of its domU initramfs.
set -eu
SELF=$(realpath "$0")
PRINT_PATHS=0
case ${1-} in
"") ;;
--print-paths) PRINT_PATHS=1 ;;
*) echo "usage: $SELF [--print-paths]" >&2; exit 2 ;;
esac
cd "$(dirname "$SELF")/../.."
TOP=$(pwd)
CACHE=${XENMIG_XEN_CACHE:-/var/cache/xenmig-xen}
XEN_VERSION=4.17.5+72-g01140da4e8-1
XEN_FALLBACK=${XENMIG_XEN_DEBS:-/work/shared/xen-4.17.5}
XEN_PKGS="xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common \
xenstore-utils libxenmisc4.17 libxenstore4 libxencall1 libxendevicemodel1 \
libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenhypfs1 \
libxentoolcore1 libxentoollog1"
# e1000: the NIC of a two-host run (run.sh --link), QEMU's default model
DOM0_MODULES="xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs e1000"
# What dom0 runs from the Xen packages (their library closure is added).
XEN_BINS="xl xenstored oxenstored xen-init-dom0 xenconsoled xenconsole \
libxl-save-helper xenstore-control lsevtchn xen-diag"

die() { echo "build-images: $*" >&2; exit 1; }
step() { echo "build-images: $*"; }

for t in dpkg-deb cpio gzip gcc ldd; do
    command -v "$t" >/dev/null || die "needs $t (scripts/install-deps.sh --xen)"
done
[ -x /bin/busybox ] && file_is_static=$(ldd /bin/busybox 2>&1 || true) &&
    case $file_is_static in *"not a dynamic"*) ;; *) false ;; esac ||
    die "needs a static /bin/busybox (apt-get install busybox-static)"
[ -r /usr/include/xen/io/xs_wire.h ] ||
    die "needs /usr/include/xen/io/xs_wire.h (apt-get install libxen-dev)"
mkdir -p "$CACHE" || die "cannot create cache directory $CACHE"
tmp=$(mktemp -d /tmp/xenmig-images.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# --- the pinned Xen packages -------------------------------------------
mkdir -p "$CACHE/debs"
for p in $XEN_PKGS; do
    ls "$CACHE/debs/${p}_${XEN_VERSION}"_*.deb >/dev/null 2>&1 && continue
    step "downloading $p=$XEN_VERSION"
    if (cd "$tmp" && apt-get download "$p=$XEN_VERSION" >/dev/null 2>"$tmp/apt.err"); then
        mv "$tmp/${p}_"*.deb "$CACHE/debs/"
    elif ls "$XEN_FALLBACK/${p}_${XEN_VERSION}"_*.deb >/dev/null 2>&1; then
        echo "build-images: apt-get download $p=$XEN_VERSION failed ($(tail -1 "$tmp/apt.err")); using $XEN_FALLBACK" >&2
        cp "$XEN_FALLBACK/${p}_${XEN_VERSION}"_*.deb "$CACHE/debs/"
    else
        cat "$tmp/apt.err" >&2
        die "cannot get $p=$XEN_VERSION: apt-get download failed and $XEN_FALLBACK has no ${p}_${XEN_VERSION}_*.deb"
    fi
done

# --- the hypervisor ----------------------------------------------------
if [ ! -s "$CACHE/xen" ]; then
    step "extracting the hypervisor"
    dpkg-deb -x "$CACHE/debs/xen-hypervisor-4.17-amd64_${XEN_VERSION}"_*.deb "$tmp/hv"
    gzip -dc "$tmp/hv/boot/xen-4.17-amd64.gz" > "$CACHE/xen.part.$$"
    mv "$CACHE/xen.part.$$" "$CACHE/xen"
fi

# --- the kernel and dom0's modules ---------------------------------------
if [ ! -s "$CACHE/vmlinuz" ]; then
    step "fetching Debian's kernel"
    scripts/fetch-kernel.sh "$CACHE"
fi
# The modules of that same kernel package, in a directory named after
# the list: a tree with another list never gets this one's.
mods_key=$(echo "$DOM0_MODULES $(cat "$CACHE/kernel-package")" |
    sha256sum | cut -c1-16)
MODS=$CACHE/modules-$mods_key
if [ ! -s "$MODS/modules.list" ]; then
    step "fetching dom0's modules ($MODS)"
    cp "$CACHE/kernel-package" "$CACHE/vmlinuz" "$tmp/"
    scripts/fetch-kernel.sh "$tmp" $DOM0_MODULES
    rm -rf "$MODS.part.$$"
    mv "$tmp/modules" "$MODS.part.$$"
    mv -T "$MODS.part.$$" "$MODS" 2>/dev/null || rm -rf "$MODS.part.$$"
fi

# --- dom0's base root ----------------------------------------------------
# Copies each shared library FILE needs (as this host's loader resolves
# it, the staged Xen libraries first) into the stage, unless staged.
add_libs() {
    LD_LIBRARY_PATH="$S/usr/lib/x86_64-linux-gnu:$S/usr/lib/xen-4.17/lib/x86_64-linux-gnu" \
        ldd "$1" > "$tmp/ldd.out" 2>&1 || return 0   # static or a script
    if grep -q 'not found' "$tmp/ldd.out"; then
        cat "$tmp/ldd.out" >&2
        die "a library of $1 is missing on this host"
    fi
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' \
        "$tmp/ldd.out" | while read -r lib; do
        case $lib in "$S"/*) continue ;; esac
        dest=$S/usr${lib#/usr}
        [ -e "$dest" ] && continue
        mkdir -p "$(dirname "$dest")"
        cp -L "$lib" "$dest"
    done
}

# Named after the hash of this script and fetch-kernel.sh, so a changed
# list of tools or packages never boots a stale base.
base_key=$(cat "$SELF" scripts/fetch-kernel.sh | sha256sum | cut -c1-16)
BASE=$CACHE/dom0-base-$base_key
if [ ! -s "$BASE.cpio" ] || [ ! -s "$BASE.list" ]; then
    step "building dom0's base root"
    S=$tmp/stage
    mkdir -p "$S/usr/bin" "$S/usr/sbin" "$S/usr/lib64" \
        "$S/usr/lib/x86_64-linux-gnu"
    for d in bin sbin lib lib64; do
        ln -s "usr/$d" "$S/$d"
    done
    for p in $XEN_PKGS; do
        case $p in xen-hypervisor-*) continue ;; esac
        dpkg-deb -x "$CACHE/debs/${p}_${XEN_VERSION}"_*.deb "$S"
    done
    rm -rf "$S/usr/share/doc" "$S/usr/share/man" "$S/usr/share/bug" \
        "$S/usr/share/lintian" "$S/usr/lib/xen-4.17/boot" \
        "$S/usr/lib/xen-4.17/lib/python" "$S/etc/init.d"
    cp /bin/busybox "$S/usr/bin/busybox"
    cp -a "$MODS/lib/modules" "$S/usr/lib/"
    for b in $XEN_BINS; do
        f=$S/usr/lib/xen-4.17/bin/$b
        [ -x "$f" ] || die "the Xen packages have no $f"
        add_libs "$f"
    done
    for f in "$S"/usr/bin/xenstore "$S"/usr/lib/x86_64-linux-gnu/*.so.* \
             "$S"/usr/lib/xen-4.17/lib/x86_64-linux-gnu/*.so.*; do
        [ -f "$f" ] && add_libs "$f"
    done
    # pthread_cancel and backtraces dlopen libgcc_s
    for lib in /lib/x86_64-linux-gnu/libgcc_s.so.1; do
        [ -e "$S/usr${lib#/usr}" ] || cp -L "$lib" "$S/usr/lib/x86_64-linux-gnu/"
    done
    mkdir -p "$S/proc" "$S/sys" "$S/dev" "$S/tmp" "$S/run" "$S/root" \
        "$S/var/lib/xen" "$S/var/log/xen" "$S/var/lib/xenmig-xen" \
        "$S/etc/xen/auto"
    ln -s ../run "$S/var/run"
    cp "$CACHE/vmlinuz" "$S/var/lib/xenmig-xen/vmlinuz"
    echo "root:x:0:0:root:/root:/bin/sh" > "$S/etc/passwd"
    echo "root:x:0:" > "$S/etc/group"
    (cd "$S" && find . | sort) > "$BASE.list.part.$$"
    (cd "$S" && find . | cpio -o -H newc -R 0:0 --quiet) \
        > "$BASE.cpio.part.$$"
    mv "$BASE.list.part.$$" "$BASE.list"
    mv "$BASE.cpio.part.$$" "$BASE.cpio"
    rm -rf "$S"
fi

# --- the domU ----------------------------------------------------------
W=tests/xen/guest/workload.c
key=$(cat "$W" "$SELF" | sha256sum | cut -c1-16)
DOMU=$CACHE/domu-$key
if [ ! -s "$DOMU/initramfs.gz" ]; then
    step "building the domU initramfs ($DOMU)"
    G=$tmp/guest
    mkdir -p "$G/bin" "$G/proc" "$G/sys" "$G/dev" "$G/tmp"
    gcc -static -O2 -Wall -Wextra -o "$G/bin/workload" "$W" ||
        die "cannot compile $W"
    cp /bin/busybox "$G/bin/busybox"
    # xmw=RW_MIB:FIXED_MIB[:PAUSE_MS] on the kernel command line sizes the
    # workload (and paces it: workload.c).
    cat > "$G/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
rw=48 fixed=16 pause=0
for arg in $(cat /proc/cmdline); do
    case $arg in
    xmw=*:*:*) rw=${arg#xmw=}; pause=${rw##*:}; rw=${rw%:*}
               fixed=${rw#*:}; rw=${rw%%:*} ;;
    xmw=*:*) rw=${arg#xmw=}; fixed=${rw#*:}; rw=${rw%%:*} ;;
    esac
done
echo "init: uptime $(cut -d' ' -f1 /proc/uptime) s, workload $rw MiB rewritten, $fixed MiB fixed, $pause ms pause"
workload "$rw" "$fixed" "$pause"
echo "init: workload exited with $?"
exec sh
EOF
    chmod 755 "$G/init"
    mkdir -p "$DOMU"
    (cd "$G" && find . | cpio -o -H newc -R 0:0 --quiet) | gzip -6 \
        > "$DOMU/initramfs.gz.part.$$"
    mv "$DOMU/initramfs.gz.part.$$" "$DOMU/initramfs.gz"
fi

if [ "$PRINT_PATHS" = 1 ]; then
    echo "$BASE.cpio"
    echo "$DOMU/initramfs.gz"
    exit 0
fi
ls -l "$CACHE/xen" "$CACHE/vmlinuz" "$BASE.cpio" \
    "$DOMU/initramfs.gz"
