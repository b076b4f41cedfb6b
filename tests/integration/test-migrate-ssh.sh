# migrate -s: the stream and the back channel run over a command's stdin
# and stdout (ssh in real life), as with xl. Also a non-live migration,
# a receiver command that dies at once, and the pipes cut mid-migration.
. "$(dirname "$0")/lib.sh"

start_host a
start_host b
on a sim-create -m 128 -w hotcold:30:64:8:80 vm > /dev/null || fail "sim-create"

note "live, through a transport command"
on a migrate --json -s "$TOP/tests/integration/fake-ssh.sh" \
    -C "$XENMIG --sim-socket $WORK/b.sock migrate-receive" \
    --verify vm desthost > "$WORK/sum.json" || fail "migrate -s failed"
[ "$(json_get "$WORK/sum.json" verified)" = True ] || fail "not verified"
[ "$(domain_state a vm)" = none ] || fail "source domain still there"
assert_alive b vm

note "not live: suspended first, one pass"
receiver a
on b migrate --not-live --json vm "127.0.0.1:$RECV_PORT" > "$WORK/sum2.json" \
    || fail "migrate --not-live failed"
wait "$RECV_PID" || fail "receiver failed"
[ "$(json_get "$WORK/sum2.json" iterations)" = 1 ] || fail "more than one pass"
assert_alive a vm

note "a receiver command that fails at once"
on a migrate -s "$TOP/tests/integration/fake-ssh.sh" -C "false" vm desthost \
    2> "$WORK/err" && fail "migrate to a dead receiver succeeded"
cat "$WORK/err"
grep -q "connection to the receiver was closed" "$WORK/err" \
    || fail "no message about the closed connection"
assert_alive a vm

note "the transport's pipes cut in iteration 0 (drop: fault point)"
XENMIG_FAULT=drop:iteration:0 on a migrate -s "$TOP/tests/integration/fake-ssh.sh" \
    -C "$XENMIG --sim-socket $WORK/b.sock migrate-receive" vm desthost \
    2> "$WORK/err" && fail "a migration whose pipes were cut succeeded"
cat "$WORK/err"
grep -q "dropping the connection at iteration:0" "$WORK/err" \
    || fail "the drop fault point did not fire"
grep -q "resumed on the source" "$WORK/err" || fail "the source was not resumed"
[ "$(domain_state a vm)" = "r-- 0" ] \
    || fail "after the cut the source is $(domain_state a vm), not running uncapped"
# the receiver saw its input end and destroyed what it built
i=0
while [ "$(domain_state b vm--incoming)" != none ] || [ "$(domain_state b vm)" != none ]; do
    i=$((i + 1))
    [ $i -lt 50 ] || fail "the receiver left a domain after the cut"
    sleep 0.2
done
assert_alive a vm
echo "ok"
