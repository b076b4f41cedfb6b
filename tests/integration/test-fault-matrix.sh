# The "never lose a guest" fault matrix: every phase of a live migration
# (and of save/restore) with a dropped connection, a stall, a corrupt
# record, a killed sender or receiver, or a failing hypervisor operation on
# either side (fault points: save-restore/fault.c). After each, the whole
# invariant is checked: one running copy of the guest where it should be,
# the source's throttle and log-dirty state removed, no domain left on the
# destination, no *.partial file, no stray xenmig process, and an error
# message that names the phase and the cause. Where a killed process
# cannot clean up, the documented recovery (xenmig recover, or destroying
# the receiver's paused leftover) is run and then the invariant checked.
. "$(dirname "$0")/lib.sh"

start_host a
start_host b
on a sim-create -m 64 -w uniform:100 vm > /dev/null || fail "sim-create"
MIG="--downtime 1 --max-iterations 4 --max-bandwidth 200"
CASES=0

# no_strays NAME: no xenmig CLI process of this test is left
no_strays()
{
    pgrep -f "toolstack/xenmig --sim-socket $WORK" > /dev/null \
        && fail "$1: a xenmig process was left: $(pgrep -af "toolstack/xenmig --sim-socket $WORK")"
    [ -z "$(find "$WORK" -name '*.partial')" ] || fail "$1: a *.partial file was left"
    return 0
}

# source_ok NAME: the guest runs on the source as before, and nowhere else
source_ok()
{
    st=$(domain_state a vm)
    [ "$st" = "r-- 0" ] || fail "$1: source state \"$st\", not running uncapped without log-dirty"
    assert_alive a vm
    st=$(domain_state b vm)
    [ "$st" = none ] || fail "$1: a domain ($st) was left on the destination"
    gone b vm--incoming || fail "$1: a half-built domain was left on the destination"
    [ "$(domain_state a vm--migratedaway)" = none ] || fail "$1: a --migratedaway copy on the source"
    no_strays "$1"
}

# says NAME FILE REGEX: the message names phase and cause
says()
{
    grep -Eq -- "$3" "$2" || fail "$1: $(basename "$2") lacks /$3/: $(cat "$2")"
}

# run_mig SENDER_FAULT RECEIVER_FAULT [migrate options]: one migration
# of vm from a to b; sets rc (migrate) and rrc (migrate-receive)
run_mig()
{
    sf=$1 rf=$2
    shift 2
    if [ -n "$rf" ]; then export XENMIG_FAULT="$rf"; fi
    receiver b $RARGS
    unset XENMIG_FAULT
    if [ -n "$sf" ]; then export XENMIG_FAULT="$sf"; fi
    "$XENMIG" --sim-socket "$WORK/a.sock" migrate $MIG "$@" vm \
        "127.0.0.1:$RECV_PORT" > /dev/null 2> "$WORK/send.err"
    rc=$?
    unset XENMIG_FAULT
    wait "$RECV_PID"
    rrc=$?
    RARGS=""
    CASES=$((CASES + 1))
    note "case $CASES: sender [$sf] receiver [$rf] -> $rc/$rrc"
    sed 's/^/    send: /' "$WORK/send.err"
    sed 's/^/    recv: /' "$WORK/recv.err"
}

# failed_on_source NAME PHASE CAUSE: the usual outcome, checked
failed_on_source()
{
    [ $rc = 1 ] || fail "$1: migrate exited $rc"
    says "$1" "$WORK/send.err" "during $2"
    says "$1" "$WORK/send.err" "$3"
    says "$1" "$WORK/send.err" "resumed on the source|keeps running on the source"
    source_ok "$1"
}
RARGS=""

# ---- the connection drops, at every phase of the sender ---------------
for ph in 0 1; do
    run_mig drop:iteration:$ph ""
    failed_on_source "drop $ph" "iteration $ph|stop-and-copy" "connection|went away|closed|reset|Broken pipe"
    says "drop $ph" "$WORK/recv.err" "destroyed the incomplete domain"
done
run_mig drop:stop-and-copy ""
failed_on_source "drop stop-and-copy" "stop-and-copy" "connection|went away|closed|reset"
run_mig drop:after-end ""
failed_on_source "drop after-end" "the hand-over" "closed while waiting for COMPLETE|went away"

# after GO: ambiguous for the sender; the receiver had GO and runs it
# (it stalls a little first, so that its DONE cannot beat the drop)
run_mig drop:after-go stall:after-go-before-unpause:2
[ $rc = 1 ] || fail "drop after-go: migrate exited $rc"
says "drop after-go" "$WORK/send.err" "during the hand-over.*closed while waiting for DONE"
says "drop after-go" "$WORK/send.err" "kept paused as \"vm--migratedaway\""
st=$(domain_state a vm--migratedaway)
case "$st" in p*|?s*) ;; *) fail "drop after-go: the source is \"$st\", not paused as vm--migratedaway" ;; esac
[ "$(domain_state a vm)" = none ] || fail "drop after-go: vm still on the source"
assert_alive b vm
no_strays "drop after-go"
# the operator's step, as the message says: it runs there, destroy ours
on a destroy vm--migratedaway || fail "destroy vm--migratedaway"
# and bring it back for the next cases
run_back()
{
    XENMIG_FAULT="" true
    "$XENMIG" --sim-socket "$WORK/b.sock" migrate-receive --listen 127.0.0.1:0 \
        --port-file "$WORK/port.back" > /dev/null 2>&1 &
    p=$!
    PIDS="$PIDS $p"
    i=0
    while [ ! -s "$WORK/port.back" ]; do i=$((i+1)); [ $i -lt 100 ] || fail "no receiver"; sleep 0.05; done
    :
}
rm -f "$WORK/port.back"
"$XENMIG" --sim-socket "$WORK/a.sock" migrate-receive --listen 127.0.0.1:0 \
    --port-file "$WORK/port.back" > /dev/null 2>&1 &
p=$!
PIDS="$PIDS $p"
i=0
while [ ! -s "$WORK/port.back" ]; do i=$((i+1)); [ $i -lt 100 ] || fail "no receiver"; sleep 0.05; done
on b migrate --verify vm "127.0.0.1:$(cat "$WORK/port.back")" > /dev/null \
    || fail "migrating vm back to a"
wait $p
source_ok "after-go, moved back"

# after GO with a paused receiver that stalls: the sender times out
# waiting for DONE; both copies paused, same memory
RARGS="-p"
run_mig "" stall:after-go-before-unpause:3 --timeout 1
[ $rc = 1 ] || fail "after-go -p: migrate exited $rc"
says "after-go -p" "$WORK/send.err" "during the hand-over.*timed out.*DONE"
da=$(on a digest vm--migratedaway) || fail "digest on a"
db=$(on b digest vm) || fail "digest on b"
[ "$da" = "$db" ] || fail "after-go -p: source digest $da, destination $db"
case "$(domain_state b vm)" in p*) ;; *) fail "after-go -p: destination not paused" ;; esac
# the destination copy is the one to keep here: the source goes
on b destroy vm
on a recover vm--migratedaway > /dev/null 2> "$WORK/rec.err" \
    && fail "recover without --force resumed a handed-over domain"
says "recover refuses" "$WORK/rec.err" "check the destination"
on a recover --force vm--migratedaway > /dev/null || fail "recover --force"
source_ok "after-go -p, recovered"

# ---- stalls and the I/O timeout -----------------------------------------
RARGS="--timeout 1"
run_mig stall:iteration:1:3 ""
failed_on_source "sender stall, receiver timeout" "iteration 1|stop-and-copy|the hand-over" "the receiver failed|connection|closed|reset|went away"
says "receiver timeout" "$WORK/recv.err" "during iteration 1.*timed out"
run_mig "" stall:after-end:3 --timeout 1
failed_on_source "receiver stall, sender timeout" "the hand-over" "timed out"
run_mig stall:iteration:1:1 "" --verify
[ $rc = 0 ] || fail "a 1 s stall under the 60 s default timeout failed"
# it is on b now: bring it back
rm -f "$WORK/port.back"
"$XENMIG" --sim-socket "$WORK/a.sock" migrate-receive --listen 127.0.0.1:0 \
    --port-file "$WORK/port.back" > /dev/null 2>&1 &
p=$!
PIDS="$PIDS $p"
i=0
while [ ! -s "$WORK/port.back" ]; do i=$((i+1)); [ $i -lt 100 ] || fail "no receiver"; sleep 0.05; done
on b migrate --verify vm "127.0.0.1:$(cat "$WORK/port.back")" > /dev/null \
    || fail "migrating vm back to a"
wait $p
source_ok "stall, moved back"

# ---- a corrupt record ---------------------------------------------------
for ph in setup iteration:1 stop-and-copy; do
    run_mig corrupt:$ph ""
    failed_on_source "corrupt $ph" "iteration|stop-and-copy|setup" "the receiver failed.*CRC|CRC"
    says "corrupt $ph" "$WORK/recv.err" "during .*CRC"
done

# ---- the sender is killed -----------------------------------------------
for ph in setup iteration:0 iteration:1 stop-and-copy; do
    run_mig exit:$ph ""
    [ $rc = 1 ] || fail "exit $ph: migrate exited $rc"
    says "exit $ph" "$WORK/recv.err" "the sender went away|ended"
    says "exit $ph" "$WORK/recv.err" "destroyed the incomplete domain"
    st=$(domain_state a vm)
    case "$ph:$st" in
        setup:"r-- 0"|iteration*:"r-l "*|stop-and-copy:?s*) ;;
        *) fail "exit $ph: xenmig list shows \"$st\"" ;;
    esac
    if [ $ph != setup ]; then
        on a save -c vm "$WORK/again.save" > /dev/null 2> "$WORK/again.err" \
            && fail "exit $ph: a save did not notice the killed migration"
    fi
    [ $ph = setup ] || says "exit $ph" "$WORK/again.err" "xenmig recover vm"
    on a recover vm > /dev/null || fail "exit $ph: recover"
    source_ok "exit $ph, recovered"
done
run_mig exit:before-go ""
says "exit before-go" "$WORK/recv.err" "during the hand-over: the sender went away"
on a recover vm > /dev/null || fail "exit before-go: recover"
source_ok "exit before-go, recovered"
run_mig exit:after-go ""
# GO went out: the destination runs the guest; the source stays suspended
# under the hand-over name, which recover refuses
assert_alive b vm
st=$(domain_state a vm--migratedaway)
case "$st" in p*|?s*) ;; *) fail "exit after-go: source \"$st\"" ;; esac
on a recover vm--migratedaway > /dev/null 2>&1 && fail "exit after-go: recover resumed a second copy"
on a destroy vm--migratedaway
no_strays "exit after-go"
rm -f "$WORK/port.back"
"$XENMIG" --sim-socket "$WORK/a.sock" migrate-receive --listen 127.0.0.1:0 \
    --port-file "$WORK/port.back" > /dev/null 2>&1 &
p=$!
PIDS="$PIDS $p"
i=0
while [ ! -s "$WORK/port.back" ]; do i=$((i+1)); [ $i -lt 100 ] || fail "no receiver"; sleep 0.05; done
on b migrate --verify vm "127.0.0.1:$(cat "$WORK/port.back")" > /dev/null \
    || fail "migrating vm back to a"
wait $p
source_ok "exit after-go, moved back"

# ---- the receiver is killed ---------------------------------------------
# A killed receiver cannot destroy its half-built domain; the host does,
# when the receiver's connection closes before it committed the domain.
for ph in after-header mid-pages after-end; do
    run_mig "" exit:$ph
    failed_on_source_killed=1
    [ $rc = 1 ] || fail "receiver exit $ph: migrate exited $rc"
    says "receiver exit $ph" "$WORK/send.err" "during (setup|iteration|stop-and-copy|the hand-over).*(closed|went away|reset|Broken pipe)"
    says "receiver exit $ph" "$WORK/send.err" "resumed on the source"
    gone b vm--incoming || fail "receiver exit $ph: half-built copy left: $(domain_state b vm--incoming)"
    [ "$(domain_state b vm)" = none ] || fail "receiver exit $ph: a \"vm\" on the destination"
    source_ok "receiver exit $ph"
done
for ph in after-complete after-go-before-unpause; do
    run_mig "" exit:$ph
    [ $rc = 1 ] || fail "receiver exit $ph: migrate exited $rc"
    says "receiver exit $ph" "$WORK/send.err" "during the hand-over.*DONE"
    # never two running copies: here none runs, both are paused; the
    # destination's is complete (committed) but never took the name
    case "$(domain_state a vm--migratedaway)" in p*|?s*) ;; *) fail "receiver exit $ph: source not paused" ;; esac
    case "$(domain_state b vm--incoming)" in p*) ;; *) fail "receiver exit $ph: destination not paused" ;; esac
    da=$(on a digest vm--migratedaway)
    db=$(on b digest vm--incoming)
    [ "$da" = "$db" ] || fail "receiver exit $ph: digests $da / $db"
    on b destroy vm--incoming
    on a recover --force vm--migratedaway > /dev/null || fail "recover --force"
    source_ok "receiver exit $ph, recovered"
done

# ---- backend operations fail on the sender ------------------------------
bk()
{
    run_mig "backend:$1" "" $3
    failed_on_source "backend $1" "$2" "$4"
}
bk logdirty_enable:EIO setup "" "log-dirty.*Input/output error|log-dirty"
bk dirty_bitmap:EFAULT "iteration 0" "" "dirty bitmap"
bk map:ENOMEM "iteration 0" "" "cannot map"
bk page_types:EIO "iteration 0" "" "page types"
bk get_state:EIO "setup" "" "configuration"
bk set_cpu_cap:EPERM "iteration" "--throttle-trigger 1 --max-iterations 8" "throttle"
bk suspend:EBUSY "stop-and-copy" "" "cannot suspend"
bk rename:EIO "the hand-over" "" "cannot rename"
# the undo itself fails: the message says so, recover finishes it
run_mig drop:iteration:1,backend:logdirty_disable:EIO ""
[ $rc = 1 ] || fail "undo fails: migrate exited $rc"
says "undo fails" "$WORK/send.err" "could not be fully restored.*xenmig recover vm"
case "$(domain_state a vm)" in r-l*) ;; *) fail "undo fails: state $(domain_state a vm)" ;; esac
on a recover vm > /dev/null || fail "undo fails: recover"
source_ok "undo fails, recovered"

# ---- backend operations fail on the receiver ----------------------------
rbk()
{
    run_mig "" "backend:$1"
    [ $rc = 1 ] || fail "receiver backend $1: migrate exited $rc"
    says "receiver backend $1" "$WORK/recv.err" "during $2.*$3"
    says "receiver backend $1" "$WORK/send.err" "the receiver failed: during $2"
    says "receiver backend $1" "$WORK/send.err" "resumed on the source"
    source_ok "receiver backend $1"
}
rbk create:ENOSPC setup "cannot create"
rbk map:ENOMEM "iteration 0" "cannot map"
rbk set_state:EINVAL "the final state" "vCPU state"
rbk commit:EIO "the hand-over" "cannot complete"
rbk unpause:EIO "the hand-over" "cannot start"

# ---- save and restore ---------------------------------------------------
# a full disk
mkdir "$WORK/small"
mount -t tmpfs -o size=16m tmpfs "$WORK/small" || fail "mount tmpfs (needs root)"
CASES=$((CASES + 1))
note "case $CASES: save to a full disk"
on a save vm "$WORK/small/vm.save" > /dev/null 2> "$WORK/save.err" && fail "save to a 16 MiB disk succeeded"
says "full disk" "$WORK/save.err" "No space left on device"
[ -z "$(ls "$WORK/small")" ] || fail "full disk: files left: $(ls "$WORK/small")"
umount "$WORK/small"
source_ok "full disk"

# killed mid-file: the .partial stays (nothing can remove it), the guest
# is suspended; recover resumes it and the next save overwrites it
CASES=$((CASES + 1))
note "case $CASES: save killed mid-file"
XENMIG_FAULT=exit:stop-and-copy on a save vm "$WORK/vm.save" > /dev/null 2>&1 && fail "killed save succeeded"
[ -f "$WORK/vm.save.partial" ] || fail "no partial file after a killed save"
[ ! -e "$WORK/vm.save" ] || fail "a killed save left a file that looks complete"
on a recover vm > /dev/null || fail "recover after a killed save"
assert_alive a vm
on a save --verify --json -c vm "$WORK/vm.save" > "$WORK/save.json" || fail "save after a killed save"
[ ! -e "$WORK/vm.save.partial" ] || fail "the second save left its .partial"
source_ok "save after kill"
# the save is good: restore it paused, same digest
on b restore -p "$WORK/vm.save" > /dev/null || fail "restore"
want=$(json_get "$WORK/save.json" digest)
got=$(on b digest vm)
[ "$(printf %016x "$want" 2>/dev/null || echo "$want")" = "$got" ] || [ "$want" = "$got" ] \
    || fail "restored digest $got, saved $want"
on b destroy vm

CASES=$((CASES + 1))
note "case $CASES: save, suspend fails"
XENMIG_FAULT=backend:suspend:EBUSY on a save vm "$WORK/vm2.save" > /dev/null 2> "$WORK/save.err" && fail "save succeeded"
says "save suspend" "$WORK/save.err" "during stop-and-copy: cannot suspend"
[ ! -e "$WORK/vm2.save" ] || fail "save suspend: file left"
source_ok "save suspend fails"

CASES=$((CASES + 1))
note "case $CASES: restore, create fails"
XENMIG_FAULT=backend:create:ENOSPC on b restore "$WORK/vm.save" > /dev/null 2> "$WORK/restore.err" && fail "restore succeeded"
says "restore create" "$WORK/restore.err" "during setup: cannot create"
source_ok "restore create fails"

CASES=$((CASES + 1))
note "case $CASES: restore from a corrupt file"
python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[len(b)//2]^=0xff; open(sys.argv[2],"wb").write(b)' "$WORK/vm.save" "$WORK/bad.save"
on b restore "$WORK/bad.save" > /dev/null 2> "$WORK/restore.err" && fail "restore of a corrupt file succeeded"
says "restore corrupt" "$WORK/restore.err" "during iteration 0.*(CRC|decode)"
source_ok "restore corrupt"

# last: the guest that went through all of this migrates, verified
run_mig "" "" --verify
[ $rc = 0 ] || fail "the final verified migration failed"
assert_alive b vm
echo "ok: $CASES cases"
