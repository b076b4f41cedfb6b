# Nothing is lost when the connection dies: mid-iteration, during
# stop-and-copy, and when the receiver is killed. Each time the guest runs
# on the source as before (unpaused, no cap, log-dirty off), nothing is
# left on the destination, and the exit status and message say why.
. "$(dirname "$0")/lib.sh"

start_host a
start_host b
on a sim-create -m 256 -w uniform:50 vm > /dev/null || fail "sim-create"

check_intact()
{
    state=$(domain_state a vm)
    [ "$state" = "r-- 0" ] || fail "$1: source domain state is \"$state\", not running uncapped without log-dirty"
    assert_alive a vm
    [ "$(domain_state b vm)" = none ] || fail "$1: a domain was left on the destination"
    [ "$(domain_state b vm--incoming)" = none ] || fail "$1: a half-built domain was left on the destination"
}

for fault in drop:iteration:0 drop:iteration:1 drop:stop-and-copy; do
    note "fault $fault"
    receiver b
    XENMIG_FAULT=$fault on a migrate --downtime 1 --max-iterations 3 vm \
        "127.0.0.1:$RECV_PORT" > /dev/null 2> "$WORK/send.err"
    rc=$?
    wait "$RECV_PID"
    rrc=$?
    cat "$WORK/send.err"
    [ $rc = 1 ] || fail "$fault: migrate exited $rc"
    [ $rrc = 1 ] || fail "$fault: migrate-receive exited $rrc"
    grep -q "resumed on the source" "$WORK/send.err" \
        || fail "$fault: the sender did not say the guest resumed"
    grep -Eqi "connection|went away|broken pipe|reset|ended" "$WORK/send.err" \
        || fail "$fault: the message does not name the cause"
    grep -q "destroyed the incomplete domain" "$WORK/recv.err" \
        || fail "$fault: the receiver did not clean up: $(cat "$WORK/recv.err")"
    check_intact "$fault"
done

note "receiver killed mid-migration"
receiver b
"$XENMIG" --sim-socket "$WORK/a.sock" migrate --max-bandwidth 40 vm \
    "127.0.0.1:$RECV_PORT" > /dev/null 2> "$WORK/send.err" &
send_pid=$!
sleep 1
kill -KILL "$RECV_PID"
wait "$send_pid"
rc=$?
cat "$WORK/send.err"
[ $rc = 1 ] || fail "migrate exited $rc after the receiver died"
grep -q "resumed on the source" "$WORK/send.err" || fail "no resume message"
# The killed receiver could not clean up itself; the host removes the
# domain it had not committed when its connection closes.
gone b vm--incoming || fail "the dead receiver's half-built domain is left: $(domain_state b vm--incoming)"
[ "$(domain_state b vm)" = none ] || fail "a domain \"vm\" on the destination"
state=$(domain_state a vm)
[ "$state" = "r-- 0" ] || fail "source state \"$state\""
assert_alive a vm

note "sender interrupted (SIGINT) mid-migration"
receiver b
"$XENMIG" --sim-socket "$WORK/a.sock" migrate --max-bandwidth 40 vm \
    "127.0.0.1:$RECV_PORT" > /dev/null 2> "$WORK/send.err" &
send_pid=$!
sleep 1
kill -INT "$send_pid"
wait "$send_pid"
rc=$?
wait "$RECV_PID"
cat "$WORK/send.err"
[ $rc = 1 ] || fail "migrate exited $rc after SIGINT"
grep -q "cancelled" "$WORK/send.err" || fail "no cancel message"
check_intact "SIGINT"
echo "ok"
