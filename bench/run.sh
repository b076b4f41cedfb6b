#!/bin/sh
# make bench: the machine's physical limits, then xenmig migrations on the
# sim backend over loopback, every number measured in this run, and the
# ratios between them. Results also go to bench/out/results.txt.
set -u
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
OUT="$TOP/bench/out"
WORK=$(mktemp -d /tmp/xenmig-bench.XXXXXX)
PIDS=""
mkdir -p "$OUT"
MEM_MIB=${BENCH_MEM_MIB:-4096}

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
