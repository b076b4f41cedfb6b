#!/bin/sh
# The main job on the built-in default: two simulated hosts on this
# machine, a 1 GiB guest writing 50 MiB/s, live-migrated from one to the
# other over TCP loopback, with the per-iteration statistics and summary.
# Everything it starts is stopped by PID at the end.
set -u
cd "$(dirname "$0")/.." || exit 1
WORK=$(mktemp -d /tmp/xenmig-demo.XXXXXX)
PIDS=""
cleanup()
{
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

for h in host-a host-b; do
    sim/xenmig-simd --socket "$WORK/$h.sock" 2> "$WORK/$h.log" &
    PIDS="$PIDS $!"
done
while [ ! -S "$WORK/host-a.sock" ] || [ ! -S "$WORK/host-b.sock" ]; do
    sleep 0.05
done
a() { toolstack/xenmig --sim-socket "$WORK/host-a.sock" "$@"; }
b() { toolstack/xenmig --sim-socket "$WORK/host-b.sock" "$@"; }

a sim-create --memory 1024 --workload uniform:50 guest1 > /dev/null || exit 1
echo "host-a before:"; a list
b migrate-receive --listen 127.0.0.1:0 --port-file "$WORK/port" > /dev/null &
PIDS="$PIDS $!"
while [ ! -s "$WORK/port" ]; do sleep 0.05; done
echo
a -v migrate --verify guest1 "127.0.0.1:$(cat "$WORK/port")" || exit 1
echo
echo "host-a after:"; a list
echo "host-b after:"; b list
