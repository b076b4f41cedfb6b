# A 1 GiB guest writing 50 MiB/s moves between two sim hosts over TCP
# loopback: destination RAM identical to the source's at pause time (the
# sender's digest, checked by the receiver and again here by reading the
# still-paused destination), the stop rule met the downtime limit, the
# guest runs on the destination, and the source domain is gone.
. "$(dirname "$0")/lib.sh"

# within_limit SUMMARY: the engine stopped because it predicted the rest
# would take at most the 300 ms limit. The pause measured is timing on
# shared cores (bench/ measures it): over the limit is only reported,
# unless it is so far over (3x) that the prediction must have been wrong.
within_limit()
{
    python3 - "$1" <<'PY' || fail "downtime: see above"
import json, sys
s = json.load(open(sys.argv[1]))
why, pred, down = s["stop_reason"], s["expected_downtime_ms"], s["downtime_ms"]
print(f"stopped: {why}, predicted {pred:.1f} ms, downtime {down:.1f} ms")
if why != "converged" or pred > 300:
    sys.exit(f"the engine did not stop on its prediction: {why}, {pred:.1f} ms")
if down > 300:
    print(f"note: downtime {down:.1f} ms over the 300 ms limit (a loaded host?)")
if down > 900:
    sys.exit(f"downtime {down:.1f} ms, three times the limit its prediction met")
PY
}

start_host a
start_host b
on a sim-create -m 1024 -w uniform:50 vm1 > /dev/null || fail "sim-create"
assert_alive a vm1

note "live migration, destination left paused for the RAM comparison"
receiver b --paused
on a migrate --verify --json vm1 "127.0.0.1:$RECV_PORT" > "$WORK/sum.json" \
    || fail "migrate failed: $(cat "$WORK/recv.err")"
wait "$RECV_PID" || fail "receiver failed: $(cat "$WORK/recv.err")"
cat "$WORK/sum.json"
[ "$(json_get "$WORK/sum.json" verified)" = True ] || fail "not verified"
src_digest=$(json_get "$WORK/sum.json" digest)
dst_digest=$(on b digest vm1) || fail "digest on b"
[ "$src_digest" = "$dst_digest" ] \
    || fail "RAM differs: source at pause $src_digest, destination $dst_digest"
[ "$(domain_state a vm1)" = none ] || fail "source domain still exists"
within_limit "$WORK/sum.json"
on b unpause vm1 || fail "unpause on b"
assert_alive b vm1

note "and back, live, destination running at once"
receiver a
on b migrate --json vm1 "127.0.0.1:$RECV_PORT" > "$WORK/sum2.json" \
    || fail "migrate back failed: $(cat "$WORK/recv.err")"
wait "$RECV_PID" || fail "receiver failed"
within_limit "$WORK/sum2.json"
[ "$(domain_state b vm1)" = none ] || fail "domain still on b"
assert_alive a vm1
echo "ok"
