# A guest dirtying memory faster than the link may carry (400 MiB/s of
# writes against a 64 MiB/s bandwidth cap) still migrates: auto-converge
# throttles it step by step until the rest fits the downtime limit.
. "$(dirname "$0")/lib.sh"

start_host a
start_host b
on a sim-create -m 256 -w uniform:400:192 hot > /dev/null || fail "sim-create"

note "without throttling, the iteration guard has to stop it"
receiver b --paused
on a migrate --no-throttle --max-iterations 5 --max-bandwidth 64 --json \
    hot "127.0.0.1:$RECV_PORT" > "$WORK/nothrottle.json" || fail "migrate"
wait "$RECV_PID" || fail "receiver failed"
cat "$WORK/nothrottle.json"
[ "$(json_get "$WORK/nothrottle.json" stop_reason)" = "max iterations" ] \
    || fail "an unthrottled 400 MiB/s writer converged over 64 MiB/s?"
[ "$(json_get "$WORK/nothrottle.json" throttle_max)" = 0 ] || fail "throttled"
on b unpause hot || fail "unpause"

note "with auto-converge"
receiver a --paused
on b migrate --verify --max-bandwidth 64 --json hot "127.0.0.1:$RECV_PORT" \
    > "$WORK/sum.json" || fail "migrate failed: $(cat "$WORK/recv.err")"
wait "$RECV_PID" || fail "receiver failed"
cat "$WORK/sum.json"
[ "$(json_get "$WORK/sum.json" stop_reason)" = converged ] \
    || fail "did not converge"
throttle=$(json_get "$WORK/sum.json" throttle_max)
[ "$throttle" -ge 20 ] || fail "throttle $throttle: auto-converge never engaged"
[ "$(json_get "$WORK/sum.json" verified)" = True ] || fail "not verified"
[ "$(json_get "$WORK/sum.json" digest)" = "$(on a digest hot)" ] \
    || fail "RAM differs"
downtime=$(json_get "$WORK/sum.json" downtime_ms)
python3 -c "import sys; sys.exit(0 if $downtime <= 600 else 1)" \
    || fail "downtime $downtime ms is not bounded by twice the limit"
on a unpause hot
state=$(domain_state a hot)
[ "$state" = "r-- 0" ] || fail "the new domain carries a throttle: $state"
assert_alive a hot
echo "ok"
