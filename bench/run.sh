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

# run NAME WORKLOAD [migrate options]: one migration a -> b, summary JSON
run()
{
    name=$1; wl=$2; shift 2
    on a sim-create -m "$MEM_MIB" -w "$wl" --fill random "$name" > /dev/null || exit 1
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

echo "== migrations of a $MEM_MIB MiB sim domain over loopback"
run idle idle
run uniform100 uniform:100
run uniform500 uniform:500:1024

python3 - "$OUT" "$memcpy" "$tcp" "$MEM_MIB" "$fresh" <<'PY' | tee "$OUT/results.txt"
import json, sys
out, memcpy, tcp, mem, fresh = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], float(sys.argv[5])
print(f"memcpy {memcpy/1e9:.2f} GB/s, loopback TCP {tcp/1e9:.2f} GB/s, fresh shared memory written {fresh/1e9:.2f} GB/s (same run)")
hdr = f"{'workload':<12} {'total s':>8} {'downtime ms':>12} {'MiB sent':>9} {'iters':>6} {'throttle':>8} {'GB/s':>6} {'of TCP':>7} {'of memcpy':>9} {'of fresh':>8}"
print(f"guest {mem} MiB, random-filled RAM")
print(hdr)
for name in ("idle", "uniform100", "uniform500"):
    s = json.load(open(f"{out}/{name}.json"))
    rate = s["bytes"] / (s["total_ms"] / 1e3)
    print(f"{name:<12} {s['total_ms']/1e3:8.2f} {s['downtime_ms']:12.1f} {s['bytes']/2**20:9.0f} "
          f"{s['iterations']:6d} {s['throttle_max']:7d}% {rate/1e9:6.2f} {rate/tcp:7.0%} {rate/memcpy:9.0%} {rate/fresh:8.0%}")
PY
