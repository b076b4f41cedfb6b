# A CPU cap the domain had before a migration (an administrator's) is
# kept: auto-converge's throttle only ever caps it harder, and a migration
# that fails after throttling leaves the domain with that cap, not
# uncapped. (Before, the throttle replaced it and the undo cleared it.)
. "$(dirname "$0")/lib.sh"

start_host a
start_host b
on a sim-create -m 256 -w uniform:400:192 --cap 60 hot > /dev/null \
    || fail "sim-create --cap 60"
[ "$(domain_state a hot)" = "r-- 60" ] \
    || fail "sim-create --cap 60 made a domain in state $(domain_state a hot)"

note "a migration that throttles, then loses its connection"
receiver b
XENMIG_FAULT=drop:iteration:5 on a -v migrate --max-bandwidth 64 \
    --throttle-trigger 1 --throttle-initial 20 --throttle-increment 20 \
    hot "127.0.0.1:$RECV_PORT" > "$WORK/mig.out" 2> "$WORK/mig.err" \
    && fail "a migration whose connection was dropped succeeded"
wait "$RECV_PID" && fail "the receiver of a dropped migration succeeded"
cat "$WORK/mig.err"
grep -q "throttled to" "$WORK/mig.err" \
    || fail "the migration never throttled: nothing was tested"
# every cap it set is at most the domain's own 60
caps=$(sed -n 's/.*throttled to [0-9]*% (cap \([0-9]*\)%).*/\1/p' "$WORK/mig.err")
for c in $caps; do
    [ "$c" -le 60 ] || fail "the throttle loosened the domain's cap to $c%"
done
[ "$(domain_state a hot)" = "r-- 60" ] \
    || fail "after the failed migration the domain is $(domain_state a hot), not running with its cap of 60"
[ "$(domain_state b hot)" = none ] || fail "the receiver left a domain"
assert_alive a hot
echo "ok"
