#!/bin/sh
# make-guest.sh: the QEMU comparison's guest, built into bench/out/qemu/:
#   vmlinuz        Debian's kernel (apt-get download, dpkg-deb -x; the
#                  host's own kernel is not touched)
#   dirty          bench/qemu/dirty.c, static
#   initramfs.gz   busybox-static, dirty, and an /init that mounts
#                  proc/sys/tmpfs, reads "dirty=RATE:WSET" from the kernel
#                  command line and runs the workload on the serial console;
#                  with "corpus=N" and a /corpus directory (which
#                  bench/make-corpus.sh appends) it first copies /corpus N
#                  times into tmpfs, tars and gzips part of it, deletes one
#                  archive and keeps an awk holding the Python sources in
#                  its heap: the memory-image corpus workload
# A step whose output exists is skipped (delete bench/out/qemu to redo).
# Needs: apt-get, dpkg-deb, gcc, cpio, gzip, busybox-static.
# The kernel comes from scripts/fetch-kernel.sh (shared with tests/xen/).
set -eu
cd "$(dirname "$0")/../.."
OUT=bench/out/qemu
mkdir -p "$OUT"

scripts/fetch-kernel.sh "$OUT"

if [ ! -x "$OUT/dirty" ] || [ bench/qemu/dirty.c -nt "$OUT/dirty" ]; then
    gcc -static -O2 -Wall -Wextra -o "$OUT/dirty" bench/qemu/dirty.c
fi

if [ ! -s "$OUT/initramfs.gz" ] || [ "$OUT/dirty" -nt "$OUT/initramfs.gz" ] ||
   [ "$0" -nt "$OUT/initramfs.gz" ]; then
    [ -x /bin/busybox ] || { echo "make-guest: needs busybox-static (apt-get install busybox-static)" >&2; exit 1; }
    tmp=$(mktemp -d /tmp/xenmig-initramfs.XXXXXX)
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/bin" "$tmp/proc" "$tmp/sys" "$tmp/tmp" "$tmp/dev"
    cp /bin/busybox "$tmp/bin/busybox"
    cp "$OUT/dirty" "$tmp/bin/dirty"
    cat > "$tmp/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
spec=
corpus=
for arg in $(cat /proc/cmdline); do
    case $arg in
    dirty=*) spec=${arg#dirty=} ;;
    corpus=*) corpus=${arg#corpus=} ;;
    esac
done
rate=${spec%%:*}
wset=${spec#*:}
[ -n "$spec" ] && [ "$wset" != "$spec" ] || { rate=0; wset=64; }
if [ -n "$corpus" ] && [ -d /corpus ]; then
    # The memory-image corpus (bench/make-corpus.sh appends /corpus to
    # this initramfs): real files in the page cache, compression output,
    # freed pages that keep what they held, and a real program's heap.
    echo "init: corpus workload, $corpus copies"
    i=0
    while [ $i -lt "$corpus" ]; do
        mkdir -p /tmp/data$i
        cp -a /corpus/. /tmp/data$i/
        i=$((i + 1))
    done
    tar -C /tmp/data0 -cf - lib | gzip -1 > /tmp/lib.tar.gz
    gzip -dc /tmp/lib.tar.gz | md5sum > /tmp/lib.md5
    tar -C /tmp/data0 -cf - text | gzip -6 > /tmp/text.tar.gz
    rm /tmp/lib.tar.gz
    find /tmp -type f | sort | xargs md5sum > /tmp/files.md5
    awk '{ line[NR] = $0; n[$NF]++ } END { print "init: awk holds " NR " lines" > "/tmp/awk.ready"; close("/tmp/awk.ready"); system("sleep 2147483647") }' /tmp/data0/text/*.py /tmp/files.md5 &
    while [ ! -s /tmp/awk.ready ]; do sleep 1; done
    cat /tmp/awk.ready
    grep -E "MemFree|^Cached|Shmem:|AnonPages" /proc/meminfo
fi
echo "init: uptime $(cut -d' ' -f1 /proc/uptime) s, running dirty $rate $wset"
dirty "$rate" "$wset"
echo "init: dirty exited with $?"
exec sh
EOF
    chmod 755 "$tmp/init"
    (cd "$tmp" && find . | cpio -o -H newc --quiet) | gzip -6 > "$OUT/initramfs.gz.part"
    mv "$OUT/initramfs.gz.part" "$OUT/initramfs.gz"
    rm -rf "$tmp"
    trap - EXIT
fi
ls -l "$OUT/vmlinuz" "$OUT/initramfs.gz"
