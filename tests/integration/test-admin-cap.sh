# A CPU cap the domain had before a migration (an administrator's) is
# kept: auto-converge's throttle only ever caps it harder, and a migration
# that fails after throttling leaves the domain with that cap, not
# uncapped (before, the throttle replaced it and the undo cleared it);
# a sender killed after throttling leaves a note of the cap, and
# 'xenmig recover' puts that cap back (before, it removed any cap); a
# migration that succeeds gives the guest its cap on the destination
# (before, it ran uncapped there), and so does save + restore.
. "$(dirname "$0")/lib.sh"

start_host a
start_host b
on a sim-create -m 256 -w uniform:400:192 --cap 60 hot > /dev/null \
    || fail "sim-create --cap 60"
[ "$(domain_state a hot)" = "r-- 60" ] \
    || fail "sim-create --cap 60 made a domain in state $(domain_state a hot)"

# faulted DOMAIN FAULT INITIAL: a migration of DOMAIN from a to b over a
# 64 MiB/s link that throttles (from INITIAL %, +20) and fails at FAULT;
# its messages in $WORK/mig.err
faulted()
{
    receiver b
    XENMIG_FAULT=$2 on a -v migrate --max-bandwidth 64 --throttle-trigger 1 \
        --throttle-initial "$3" --throttle-increment 20 \
        "$1" "127.0.0.1:$RECV_PORT" > "$WORK/mig.out" 2> "$WORK/mig.err" \
        && fail "a migration with fault $2 succeeded"
    wait "$RECV_PID" && fail "the receiver of a migration with fault $2 succeeded"
    grep -q "throttled to [0-9]*% (cap [0-9]*%)" "$WORK/mig.err" \
        || { cat "$WORK/mig.err"; fail "$2: the migration never throttled: nothing was tested"; }
}

note "a migration that throttles, then loses its connection"
faulted hot drop:iteration:5 20
cat "$WORK/mig.err"
# every cap it set is at most the domain's own 60
caps=$(sed -n 's/.*throttled to [0-9]*% (cap \([0-9]*\)%).*/\1/p' "$WORK/mig.err")
for c in $caps; do
    [ "$c" -le 60 ] || fail "the throttle loosened the domain's cap to $c%"
done
[ "$(domain_state a hot)" = "r-- 60" ] \
    || fail "after the failed migration the domain is $(domain_state a hot), not running with its cap of 60"
[ "$(domain_state b hot)" = none ] || fail "the receiver left a domain"
assert_alive a hot

note "a throttling sender killed: recover gives the domain its own cap back"
faulted hot exit:iteration:4 50
st=$(domain_state a hot)
[ "${st#* }" -lt 60 ] || fail "the killed sender left the domain at $st: not throttled, nothing to recover"
on a recover hot > "$WORK/rec.out" || fail "recover"
grep -q "its own cap of 60%" "$WORK/rec.out" || { cat "$WORK/rec.out"; fail "recover said: $(cat "$WORK/rec.out")"; }
[ "$(domain_state a hot)" = "r-- 60" ] \
    || fail "after recover the domain is $(domain_state a hot), not running with its cap of 60"
on a recover hot > "$WORK/rec.out" || fail "recover, again"
grep -q "needs no recovery" "$WORK/rec.out" || fail "a second recover said: $(cat "$WORK/rec.out")"
assert_alive a hot

note "the same with a domain that had no cap: recover removes the throttle"
on a sim-create -m 256 -w uniform:400:192 free > /dev/null || fail "sim-create free"
faulted free exit:iteration:3 50
[ "$(domain_state a free)" != "r-- 0" ] \
    || fail "the killed sender left no throttle: nothing to recover"
on a recover free > "$WORK/rec.out" || fail "recover free"
grep -q "recovered: no cap" "$WORK/rec.out" || fail "recover said: $(cat "$WORK/rec.out")"
[ "$(domain_state a free)" = "r-- 0" ] \
    || fail "after recover the uncapped domain is $(domain_state a free)"
on a destroy free > /dev/null || fail "destroy free"

note "a migration that succeeds: the cap goes with the guest"
receiver b
on a migrate hot "127.0.0.1:$RECV_PORT" > "$WORK/mig2.out" 2>&1 \
    || { cat "$WORK/mig2.out" "$WORK/recv.err"; fail "the migration failed"; }
wait "$RECV_PID" || fail "the receiver failed"
[ "$(domain_state a hot)" = none ] || fail "the source domain is still there"
[ "$(domain_state b hot)" = "r-- 60" ] \
    || fail "the moved domain is $(domain_state b hot), not running with its cap of 60"
assert_alive b hot

note "save + restore keep the cap too"
on b save hot "$WORK/hot.save" > /dev/null || fail "save"
[ "$(domain_state b hot)" = none ] || fail "save left the domain"
on a restore "$WORK/hot.save" > /dev/null || fail "restore"
[ "$(domain_state a hot)" = "r-- 60" ] \
    || fail "the restored domain is $(domain_state a hot), not running with its cap of 60"
assert_alive a hot
echo "ok"
