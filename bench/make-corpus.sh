#!/bin/sh
# make-corpus.sh: the memory-image corpus of issue 3, real guest RAM for
# codecbench and for sim domains (xenmig sim-create --image), written to
# bench/out/corpus/ (never committed; delete it to make it again).
#
# Usage: bench/make-corpus.sh [SIZE_MIB...]     (default: 512 1024)
#
# For each size, Debian's kernel boots in qemu-system-x86_64 (TCG) with
# the QEMU comparison's initramfs (bench/qemu/make-guest.sh) plus a
# /corpus directory of this machine's own files (about 80 MiB: shared
# libraries, C headers and Python sources, gzipped man pages). The
# guest's /init (make-guest.sh, "corpus=N") copies /corpus N times into
# tmpfs, tars and gzips part of it, deletes one archive (freed pages keep
# what they held, as in any guest), keeps an awk process holding the text
# in its heap, then runs bench/qemu/dirty.c (16 MiB of logs, a heap of
# records, then RATE MiB/s of page rewrites). After SETTLE seconds (10)
# migrate.py capture stops the guest and pmemsaves its whole RAM:
#   bench/out/corpus/ram-<MiB>m.img      guest-physical order, pfn x 4096
#   bench/out/corpus/ram-<MiB>m.json     how it was made, serial output
# The guest has 8 KiB more than SIZE (QEMU 7.2 under TCG loses dirty
# pages at multiples of 256 KiB, see PLATFORM.md), as in the QEMU
# comparison, so the image is SIZE MiB + 8 KiB; a sim domain of SIZE MiB
# made from it leaves out the last two pages (sim-create --image
# truncates or repeats).
#
# Knobs: CORPUS_RATE (MiB/s the guest writes while it settles, 0),
# CORPUS_SETTLE (seconds, 10). Needs what make-guest.sh needs, and cpio.
set -eu
cd "$(dirname "$0")/.."
Q=bench/out/qemu
OUT=bench/out/corpus
RATE=${CORPUS_RATE:-0}
SETTLE=${CORPUS_SETTLE:-10}
mkdir -p "$OUT"
command -v qemu-system-x86_64 > /dev/null ||
    { echo "make-corpus: needs qemu-system-x86_64 (apt-get install qemu-system-x86)" >&2; exit 1; }
bench/qemu/make-guest.sh > /dev/null

# take DIR BUDGET_MIB PATTERN...: files under DIR matching PATTERN (find
# -name), in name order, until BUDGET_MIB is reached, copied under
# $tmp/corpus/DIR's last part
take()
{
    src=$1 budget=$(($2 << 20)) dst=$3
    shift 3
    mkdir -p "$tmp/corpus/$dst"
    expr=""
    for p in "$@"; do
        expr="$expr${expr:+ -o }-name $p"
    done
    # shellcheck disable=SC2086
    find "$src" -type f \( $expr \) -size -4M 2>/dev/null | LC_ALL=C sort |
    while read -r f; do
        sz=$(stat -c %s "$f")
        [ "$sz" -le "$budget" ] || break
        budget=$((budget - sz))
        cp "$f" "$tmp/corpus/$dst/$(echo "${f#/}" | tr / _)"
    done
}

img="$Q/initramfs-corpus.img"
if [ ! -s "$img" ] || [ "$Q/initramfs.gz" -nt "$img" ] || [ "$0" -nt "$img" ]; then
    tmp=$(mktemp -d /tmp/xenmig-corpus.XXXXXX)
    trap 'rm -rf "$tmp"' EXIT
    take /usr/lib/x86_64-linux-gnu 32 lib '*.so*'
    take /usr/include 24 text '*.h'
    take /usr/lib/python3.11 16 text '*.py'
    take /usr/share/man/man1 8 gz '*.gz'
    # The kernel reads concatenated archives; an uncompressed one must
    # start on a 4-byte boundary (it skips the zero padding).
    cp "$Q/initramfs.gz" "$img.part"
    pad=$(( (4 - $(stat -c %s "$img.part") % 4) % 4 ))
    head -c "$pad" /dev/zero >> "$img.part"
    (cd "$tmp" && find corpus | LC_ALL=C sort | cpio -o -H newc --quiet) >> "$img.part"
    mv "$img.part" "$img"
    du -sh "$tmp/corpus" | awk '{ print "make-corpus: /corpus holds " $1 }'
    rm -rf "$tmp"
    trap - EXIT
fi

for mib in ${*:-512 1024}; do
    name="$OUT/ram-${mib}m"
    if [ -s "$name.img" ] && [ "$name.img" -nt "$img" ]; then
        echo "make-corpus: $name.img exists"
        continue
    fi
    # about 1/8 of the guest in copies of /corpus (80 MiB each), a heap
    # of records of 1/8 as dirty's working set
    copies=$(( mib / 512 ))
    [ "$copies" -ge 1 ] || copies=1
    wset=$(( mib / 8 ))
    python3 bench/qemu/migrate.py capture --ram-kib $((mib * 1024 + 8)) \
        --initrd "$img" --corpus "$copies" --rate "$RATE" --wset "$wset" \
        --seconds "$SETTLE" --boot-timeout 600 --out "$name.img" \
        --json-out "$name.json" > /dev/null ||
        { echo "make-corpus: capture of $mib MiB failed, see $name.json" >&2; exit 1; }
    echo "make-corpus: $name.img ($(stat -c %s "$name.img") bytes)"
done
