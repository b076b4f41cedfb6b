# Shared by the integration tests: start real sim hosts (xenmig-simd), run
# xenmig against them, check, and stop everything started by PID.
# Source it from a test; the test runs from the top of the source tree.

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
XENMIG="$TOP/toolstack/xenmig"
SIMD="$TOP/sim/xenmig-simd"
WORK=$(mktemp -d /tmp/xenmig-test.XXXXXX)
PIDS=""

cleanup()
{
    for p in $PIDS; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in $PIDS; do
        # wait only works for our own children; poll for the rest
        i=0
        while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -KILL "$p" 2>/dev/null
    done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

fail()
{
    echo "FAIL: $*" >&2
    exit 1
}

note()
{
    echo "--- $*"
}

# start_host NAME: a sim host on $WORK/NAME.sock
start_host()
{
    "$SIMD" --socket "$WORK/$1.sock" > "$WORK/$1.log" 2>&1 &
    PIDS="$PIDS $!"
    i=0
    while [ ! -S "$WORK/$1.sock" ]; do
        i=$((i + 1))
        [ $i -lt 100 ] || fail "sim host $1 did not start: $(cat "$WORK/$1.log")"
        sleep 0.05
    done
}

# on HOST xenmig-args...: run xenmig against that host
on()
{
    h=$1
    shift
    "$XENMIG" --sim-socket "$WORK/$h.sock" "$@"
}

# receiver HOST [args]: a migrate-receive listening on an ephemeral port;
# sets RECV_PID and RECV_PORT, output in $WORK/recv.out and recv.err
receiver()
{
    h=$1
    shift
    rm -f "$WORK/port"
    # run xenmig itself in the background (not through a function, whose
    # subshell would get the PID), so tests can signal it
    "$XENMIG" --sim-socket "$WORK/$h.sock" migrate-receive \
        --listen 127.0.0.1:0 --port-file "$WORK/port" \
        "$@" > "$WORK/recv.out" 2> "$WORK/recv.err" &
    RECV_PID=$!
    PIDS="$PIDS $RECV_PID"
    i=0
    while [ ! -s "$WORK/port" ]; do
        i=$((i + 1))
        [ $i -lt 100 ] || fail "receiver did not start: $(cat "$WORK/recv.err")"
        sleep 0.05
    done
    RECV_PORT=$(cat "$WORK/port")
}

# heartbeat HOST DOM: sum of the guest's vCPU counters (read from its RAM)
heartbeat()
{
    on "$1" sim-heartbeat "$2" | awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; print s }'
}

# assert_alive HOST DOM: the guest's heartbeat advances
assert_alive()
{
    a=$(heartbeat "$1" "$2") || fail "cannot read the heartbeat of $2 on $1"
    sleep 0.3
    b=$(heartbeat "$1" "$2") || fail "cannot read the heartbeat of $2 on $1"
    [ "$b" -gt "$a" ] || fail "domain $2 on $1 is not running (heartbeat $a -> $b)"
}

# json_get FILE KEY: a top-level number or string from a --json summary
json_get()
{
    python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(v)' "$1" "$2"
}

# gone HOST DOM: wait up to 5 s for DOM to be gone from HOST
gone()
{
    _i=0
    while [ "$(domain_state "$1" "$2")" != none ]; do
        _i=$((_i + 1))
        [ $_i -lt 50 ] || return 1
        sleep 0.1
    done
}

# domain_state HOST DOM: the State column (e.g. r--, p-l, i-- for a
# domain a receiver is still building) or "none"
domain_state()
{
    on "$1" list --json | python3 -c '
import json, sys
for d in json.load(sys.stdin):
    if d["name"] == sys.argv[1]:
        print(d["state"], d["cpu_cap"]); break
else:
    print("none")' "$2"
}
