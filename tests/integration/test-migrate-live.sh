# A 1 GiB guest writing 50 MiB/s moves between two sim hosts over TCP
# loopback: destination RAM identical to the source's at pause time (the
# sender's digest, checked by the receiver and again here by reading the
# still-paused destination), downtime within the limit, the guest runs on
# the destination, and the source domain is gone.
. "$(dirname "$0")/lib.sh"

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
downtime=$(json_get "$WORK/sum.json" downtime_ms)
python3 -c "import sys; sys.exit(0 if $downtime <= 300 else 1)" \
    || fail "downtime $downtime ms over the 300 ms limit"
on b unpause vm1 || fail "unpause on b"
assert_alive b vm1

note "and back, live, destination running at once"
receiver a
on b migrate --json vm1 "127.0.0.1:$RECV_PORT" > "$WORK/sum2.json" \
    || fail "migrate back failed: $(cat "$WORK/recv.err")"
wait "$RECV_PID" || fail "receiver failed"
downtime=$(json_get "$WORK/sum2.json" downtime_ms)
python3 -c "import sys; sys.exit(0 if $downtime <= 300 else 1)" \
    || fail "downtime $downtime ms over the 300 ms limit"
[ "$(domain_state b vm1)" = none ] || fail "domain still on b"
assert_alive a vm1
echo "ok"
