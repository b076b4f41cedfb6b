#!/bin/sh
# make bench: the machine's physical limits, then xenmig migrations on the
# sim backend over loopback, every number measured in this run, and the
# ratios between them. Results also go to bench/out/results.txt.
#
# BENCH_QEMU=1 adds QEMU's own live migration of a real guest (TCG) next
# to xenmig's sim migration of the same size and workload (see
# bench/qemu/); BENCH_QEMU=only runs just that, with the physical limits.
# BENCH_QEMU_MIB (512) sets the size; QEMU gets 8 KiB more (see
# bench/qemu/migrate.py). BENCH_QEMU_BW (1024 MiB/s) caps both engines.
set -u
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
OUT="$TOP/bench/out"
WORK=$(mktemp -d /tmp/xenmig-bench.XXXXXX)
PIDS=""
mkdir -p "$OUT"
MEM_MIB=${BENCH_MEM_MIB:-4096}
QEMU=${BENCH_QEMU:-0}
if [ "$QEMU" != 0 ] && ! command -v qemu-system-x86_64 > /dev/null; then
    echo "BENCH_QEMU=$QEMU but no qemu-system-x86_64 (apt-get install qemu-system-x86 busybox-static): skipping QEMU" >&2
    [ "$QEMU" = only ] && exit 1
    QEMU=0
fi

cleanup()
{
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
    sleep 0.5
    for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

val() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

echo "== physical limits"
bench/membench > "$OUT/membench.txt" || exit 1
bench/tcpbench -t 3 > "$OUT/tcpbench.txt" || exit 1
cat "$OUT/membench.txt" "$OUT/tcpbench.txt"
memcpy=$(awk '/^memcpy/ { print $2; exit }' "$OUT/membench.txt")
fresh=$(awk '/^fresh_shmem_write/ { print $2; exit }' "$OUT/membench.txt")
tcp=$(awk '/^tcp_loopback_bytes_per_s/ { print $2; exit }' "$OUT/tcpbench.txt")

start_host()
{
    sim/xenmig-simd --socket "$WORK/$1.sock" > "$WORK/$1.log" 2>&1 &
    PIDS="$PIDS $!"
    while [ ! -S "$WORK/$1.sock" ]; do sleep 0.05; done
}
on()
{
    h=$1; shift
    toolstack/xenmig --sim-socket "$WORK/$h.sock" "$@"
}

start_host a
start_host b

# run NAME MIB FILL WORKLOAD [migrate options]: one migration a -> b,
# its summary JSON in bench/out/NAME.json
run()
{
    name=$1; mib=$2; fill=$3; wl=$4; shift 4
    on a sim-create -m "$mib" -w "$wl" --fill "$fill" "$name" > /dev/null || exit 1
    sleep 1
    rm -f "$WORK/port"
    on b migrate-receive --listen 127.0.0.1:0 --port-file "$WORK/port" \
        > /dev/null 2>&1 &
    rpid=$!
    while [ ! -s "$WORK/port" ]; do sleep 0.05; done
    on a migrate --json "$@" "$name" "127.0.0.1:$(cat "$WORK/port")" \
        > "$OUT/$name.json" || exit 1
    wait $rpid
    on b destroy "$name"
}

if [ "$QEMU" != only ]; then
echo "== codecs"
bench/codecbench -m 32 > "$OUT/codecbench.txt" || exit 1
cat "$OUT/codecbench.txt"

echo "== migrations over loopback"
# The first run pays for memory the VM has never touched; it is not shown.
run warmup "$MEM_MIB" random idle --compress none
run idle "$MEM_MIB" random idle
run idle-none "$MEM_MIB" random idle --compress none
run uniform100 "$MEM_MIB" random uniform:100
run uniform100-none "$MEM_MIB" random uniform:100 --compress none
run uniform500 "$MEM_MIB" random uniform:500:1024
# A slow link (100 MiB/s) and compressible memory: what codecs are for.
run text-slow-none 1024 text uniform:20 --max-bandwidth 100 --compress none
run text-slow-auto 1024 text uniform:20 --max-bandwidth 100
run text-slow-zstd 1024 text uniform:20 --max-bandwidth 100 --compress zstd

python3 - "$OUT" "$memcpy" "$tcp" "$MEM_MIB" "$fresh" <<'PY' | tee "$OUT/results.txt"
import json, sys
out, memcpy, tcp, mem, fresh = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], float(sys.argv[5])
print(f"memcpy {memcpy/1e9:.2f} GB/s, loopback TCP {tcp/1e9:.2f} GB/s, fresh shared memory written {fresh/1e9:.2f} GB/s (same run)")
hdr = (f"{'run':<16} {'total s':>8} {'downtime ms':>12} {'MiB sent':>9} {'iters':>6} "
       f"{'throttle':>8} {'wire GB/s':>9} {'RAM GB/s':>8} {'wire/TCP':>8} {'RAM/memcpy':>10} {'RAM/fresh':>9}")
print(f"guests of {mem} MiB with random-filled RAM, and 1 GiB of text-like RAM over a 100 MiB/s link")
print("wire: bytes on the wire per second; RAM: guest memory moved per second")
print(hdr)
for name in ("idle", "idle-none", "uniform100", "uniform100-none",
             "uniform500", "text-slow-none", "text-slow-auto",
             "text-slow-zstd"):
    s = json.load(open(f"{out}/{name}.json"))
    secs = s["total_ms"] / 1e3
    wire = s["bytes"] / secs
    ram = s["guest_pages"] * 4096 / secs
    print(f"{name:<16} {secs:8.2f} {s['downtime_ms']:12.1f} {s['bytes']/2**20:9.0f} "
          f"{s['iterations']:6d} {s['throttle_max']:7d}% {wire/1e9:9.2f} {ram/1e9:8.2f} "
          f"{wire/tcp:8.0%} {ram/memcpy:10.0%} {ram/fresh:9.0%}")
PY
fi

[ "$QEMU" = 0 ] && exit 0

# QEMU against xenmig: one guest size, idle and 50 MiB/s of whole-page
# writes over a working set of half the guest, the same downtime limit
# (300 ms) and bandwidth cap for both engines. Every QEMU run compares
# source and destination RAM; a run that fails it is shown as BROKEN.
QMIB=${BENCH_QEMU_MIB:-512}
QBW=${BENCH_QEMU_BW:-1024}
QWSET=$((QMIB / 2))
echo "== QEMU ${QMIB} MiB (+8 KiB) guest against xenmig"
bench/qemu/make-guest.sh > /dev/null || exit 1
run warmup-q "$QMIB" text idle --compress none
# (not $wl: run() sets it)
for qwl in idle u50; do
    if [ $qwl = idle ]; then swl=idle; rate=0; else swl="uniform:50:$QWSET"; rate=50; fi
    for c in auto none; do
        run "q-xenmig-$qwl-$c" "$QMIB" text "$swl" --downtime 300 \
            --max-bandwidth "$QBW" --compress $c --verify
    done
    for m in default xbzrle multifd-zstd; do
        python3 bench/qemu/migrate.py run --mode $m --rate $rate \
            --wset "$QWSET" --ram-kib $((QMIB * 1024 + 8)) --downtime 300 \
            --bandwidth "$QBW" --json-out "$OUT/q-qemu-$qwl-$m.json" \
            > /dev/null 2> "$OUT/q-qemu-$qwl-$m.err" ||
            echo "qemu $qwl $m: not verified or failed, see $OUT/q-qemu-$qwl-$m.json" >&2
    done
done

python3 - "$OUT" "$memcpy" "$tcp" "$QMIB" "$QBW" "$QWSET" <<'PY' | tee "$OUT/results-qemu.txt"
import json, sys
out, memcpy, tcp = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
mib, bw, wset = sys.argv[4], sys.argv[5], sys.argv[6]
print(f"memcpy {memcpy/1e9:.2f} GB/s, loopback TCP {tcp/1e9:.2f} GB/s (same run)")
print(f"{mib} MiB guests, downtime limit 300 ms, bandwidth cap {bw} MiB/s; u50: 50 MiB/s of whole-page writes over {wset} MiB")
print("xenmig: sim guest, text-like RAM (--verify: RAM digests compared); "
      "qemu: Debian guest under TCG, {mib} MiB + 8 KiB (pmemsave of both sides compared)".format(mib=mib))
hdr = (f"{'run':<24} {'total s':>8} {'downtime ms':>12} {'MiB sent':>9} {'iters':>6} "
       f"{'throttle':>8} {'wire GB/s':>9} {'RAM GB/s':>8} {'wire/TCP':>8} {'RAM/memcpy':>10} {'RAM ok':>6}")
print(hdr)
def row(name, secs, down, sent, iters, thr, ram_bytes, ok):
    wire, ram = sent / secs, ram_bytes / secs
    print(f"{name:<24} {secs:8.2f} {down:12.1f} {sent/2**20:9.0f} {iters:6d} "
          f"{thr:>8} {wire/1e9:9.2f} {ram/1e9:8.2f} {wire/tcp:8.0%} {ram/memcpy:10.0%} {ok:>6}")
for wl in ("idle", "u50"):
    for c in ("auto", "none"):
        name = f"q-xenmig-{wl}-{c}"
        try:
            s = json.load(open(f"{out}/{name}.json"))
        except (OSError, ValueError):
            print(f"{name:<24} missing")
            continue
        secs = (s["total_ms"] - s.get("verify_ms", 0)) / 1e3
        row(f"xenmig-{wl}-{c}", secs, s["downtime_ms"], s["bytes"], s["iterations"],
            f"{s['throttle_max']}%", s["guest_pages"] * 4096,
            "yes" if s.get("verified") else "no")
    for m in ("default", "xbzrle", "multifd-zstd"):
        name = f"qemu-{wl}-{m}"
        try:
            s = json.load(open(f"{out}/q-{name}.json"))
        except (OSError, ValueError):
            print(f"{name:<24} missing (see {out}/q-{name}.err)")
            continue
        if s.get("status") != "completed" or not s.get("ram_verified"):
            print(f"{name:<24} BROKEN: {s.get('status')}: {s.get('error', '')}")
            continue
        # wire_bytes: IP octets counted in migrate.py's own network
        # namespace; QEMU's "transferred" counts multifd pages uncompressed
        sent = s.get("wire_bytes") or s["transferred_bytes"]
        row(name, s["total_time_ms"] / 1e3, s["downtime_ms"], sent,
            s["iterations"], "-", s["ram_kib"] * 1024, "yes")
PY
