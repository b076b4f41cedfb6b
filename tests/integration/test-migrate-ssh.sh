# migrate -s: the stream and the back channel run over a command's stdin
# and stdout (ssh in real life), as with xl. Also a non-live migration,
# a receiver command that dies at once, one that never answers, one that
# stops reading mid-stream, and the pipes cut mid-migration.
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

note "a transport that never answers (a dead ssh connection)"
# The receiver command neither reads nor exits: --timeout gives up
# waiting for READY, the guest stays on the source, and the command is
# stopped (a dead ssh does not exit on EOF either).
start=$(date +%s)
on a migrate --timeout 2 -s "$TOP/tests/integration/fake-ssh.sh" \
    -C "exec sleep 617" vm desthost 2> "$WORK/err" \
    && fail "a migration to a stalled transport succeeded"
cat "$WORK/err"
took=$(($(date +%s) - start))
[ "$took" -lt 30 ] || fail "giving up on a stalled transport took $took s"
grep -q "timed out" "$WORK/err" || fail "no message about the timeout"
grep -q "did not exit: stopping it" "$WORK/err" \
    || fail "the stalled transport command was not stopped"
pgrep -f "sleep 617" > /dev/null && fail "the transport command is still running"
[ "$(domain_state a vm)" = "r-- 0" ] \
    || fail "after the timeout the source is $(domain_state a vm), not running uncapped"
assert_alive a vm

note "a receiver that stops reading mid-stream (SIGSTOP)"
# Now the sender is blocked writing into a full pipe, not waiting for a
# reply: --timeout must still give up.
on a migrate --timeout 2 --max-bandwidth 16 \
    -s "$TOP/tests/integration/fake-ssh.sh" \
    -C "$XENMIG --sim-socket $WORK/b.sock migrate-receive --timeout 600" \
    vm desthost 2> "$WORK/err" &
mig=$!
i=0
until grep -q "sending domain" "$WORK/err" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "the migration did not start"
    sleep 0.1
done
sleep 1.5
# (anchored: the sender's own command line holds the receiver's too)
recv="^$XENMIG --sim-socket $WORK/b.sock migrate-receive --timeout 600"
pkill -STOP -f "$recv" || fail "no receiver to stop"
i=0
while kill -0 "$mig" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -ge 150 ]; then
        kill -KILL "$mig"
        pkill -CONT -f "$recv"
        pkill -KILL -f "$recv"
        cat "$WORK/err"
        fail "the sender did not give up on a stopped receiver in 30 s"
    fi
    sleep 0.2
done
wait "$mig" && fail "a migration to a stopped receiver succeeded"
cat "$WORK/err"
grep -q "timed out" "$WORK/err" || fail "no message about the timeout"
i=0
while pgrep -f "$recv" > /dev/null; do
    i=$((i + 1))
    [ $i -lt 50 ] || fail "the stopped receiver is still there"
    sleep 0.2
done
[ "$(domain_state a vm)" = "r-- 0" ] \
    || fail "after the timeout the source is $(domain_state a vm), not running uncapped"
i=0
while [ "$(domain_state b vm--incoming)" != none ] || [ "$(domain_state b vm)" != none ]; do
    i=$((i + 1))
    [ $i -lt 50 ] || fail "the stopped receiver's half-built domain stayed"
    sleep 0.2
done
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
