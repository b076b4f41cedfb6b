# The soak test's body (tests/soak.sh runs it long, test-soak-short.sh
# short): ROUNDS back-and-forth live migrations of one busy guest between
# two sim hosts, each with --verify and the digest reported by both ends
# compared, then CONCURRENT domains migrated at once, all verified. After
# every step the guests are counted on both hosts: a lost guest, a
# duplicated one or a memory mismatch is counted and fails the run.
# With VALGRIND set (e.g. "valgrind --leak-check=full --error-exitcode=9"),
# every xenmig CLI process runs under it (not the sim host: valgrind
# cannot run its userfaultfd code), so a leak fails the migration.
# Usage: sh tests/integration/soak.sh ROUNDS CONCURRENT
. "$(dirname "$0")/lib.sh"

ROUNDS=${1:-200}
CONC=${2:-10}
VG=${VALGRIND:-}
lost=0 dup=0 mismatch=0 failed=0

start_host a
start_host b

x()
{
    h=$1
    shift
    $VG "$XENMIG" --sim-socket "$WORK/$h.sock" "$@"
}

# count HOST NAME: running copies of NAME on HOST
count()
{
    on "$1" list --json | python3 -c '
import json, sys
print(sum(1 for d in json.load(sys.stdin)
          if d["name"] == sys.argv[1] and d["state"].startswith("r")))' "$2"
}

# copies NAME: check one running copy across both hosts
copies()
{
    n=$(( $(count a "$1") + $(count b "$1") ))
    [ "$n" -eq 1 ] && return 0
    if [ "$n" -eq 0 ]; then lost=$((lost + 1)); else dup=$((dup + 1)); fi
    echo "guest $1: $n running copies" >&2
}

# mig FROM TO NAME PORTFILE: one verified migration in the background;
# sets MPID and RPID
mig()
{
    rm -f "$4"
    $VG "$XENMIG" --sim-socket "$WORK/$2.sock" migrate-receive --json \
        --listen 127.0.0.1:0 --port-file "$4" > "$4.recv" 2> "$4.rerr" &
    RPID=$!
    w=0
    while [ ! -s "$4" ]; do
        w=$((w + 1))
        [ $w -lt 400 ] || fail "receiver did not start: $(cat "$4.rerr")"
        sleep 0.05
    done
    $VG "$XENMIG" --sim-socket "$WORK/$1.sock" migrate --verify --json \
        --downtime 50 "$3" "127.0.0.1:$(cat "$4")" > "$4.send" 2> "$4.serr" &
    MPID=$!
}

# finish PORTFILE: wait for both ends, compare what they report
finish()
{
    wait "$MPID"
    src=$?
    # a receiver whose sender never connected would wait forever
    [ $src = 0 ] || { sleep 1; kill "$RPID" 2>/dev/null; }
    wait "$RPID"
    rrc=$?
    if [ $src != 0 ] || [ $rrc != 0 ]; then
        failed=$((failed + 1))
        echo "migration failed ($src/$rrc): $(cat "$1.serr" "$1.rerr")" >&2
        return
    fi
    v=$(json_get "$1.send" verified)
    ds=$(json_get "$1.send" digest)
    dr=$(json_get "$1.recv" digest)
    if [ "$v" != True ] || [ "$ds" != "$dr" ]; then
        mismatch=$((mismatch + 1))
        echo "memory mismatch: verified $v, digests $ds / $dr" >&2
    fi
}

x a sim-create -m 64 -w uniform:50 vm > /dev/null || fail "sim-create"
note "$ROUNDS back-and-forth migrations"
from=a to=b
r=0
while [ $r -lt "$ROUNDS" ]; do
    mig $from $to vm "$WORK/port"
    finish "$WORK/port"
    copies vm
    t=$from from=$to to=$t
    r=$((r + 1))
done
[ "$(count $from vm)" = 1 ] && assert_alive $from vm

note "$CONC concurrent migrations"
i=0
while [ $i -lt "$CONC" ]; do
    x a sim-create -m 16 -w uniform:20 "c$i" > /dev/null || fail "sim-create c$i"
    i=$((i + 1))
done
i=0
MPIDS="" RPIDS=""
while [ $i -lt "$CONC" ]; do
    mig a b "c$i" "$WORK/cport$i"
    MPIDS="$MPIDS $MPID" RPIDS="$RPIDS $RPID"
    i=$((i + 1))
done
i=0
for m in $MPIDS; do
    MPID=$m
    RPID=$(echo $RPIDS | cut -d' ' -f$((i + 1)))
    finish "$WORK/cport$i"
    copies "c$i"
    [ "$(count b "c$i")" = 1 ] || echo "c$i is not on b" >&2
    i=$((i + 1))
done

echo "soak: $ROUNDS round trips, $CONC concurrent: lost $lost, duplicated $dup, memory mismatches $mismatch, failed migrations $failed${VG:+ (xenmig under valgrind)}"
[ $((lost + dup + mismatch + failed)) -eq 0 ] || fail "the soak lost, duplicated or corrupted guests"
