#!/bin/sh
# test-xl-interop-send.sh (runs in the rig's dom0): xenmig's --compat
# sender into stock xl, and the guest survives.
#  1. start a 256 MiB PV domU (48 MiB rewritten in a loop, 16 MiB kept)
#  2. xenmig migrate --compat to localhost, "-s env" running the stock
#     "xl migrate-receive" (as `xl migrate -s env` does): xl's receiver
#     says it started the domain; exactly one domain has the name and it
#     runs with a new domid, nothing --incoming or --migratedaway is
#     left, its counter advances, the untouched region's checksum is the
#     one it was filled with
#  3. the same with the connection cut after 8 MiB (the receiving
#     command is "head -c 8M | xl migrate-receive"): xenmig fails, the
#     guest keeps running on the source (same domid, counter advances,
#     checksum intact, log-dirty and cap off), no NAME--incoming is left
#  4. a receiver that fails after the transfer: our own xl-protocol
#     receiver (migrate-receive --xl) told to take the name
#     NAME--migratedaway, which the sender gives its copy before "go", so
#     its rename after "go" fails; it reports a non-zero status, destroys
#     its copy and gives "go" back: the sender renames and resumes the
#     source (same domid, counter advances, checksum intact)
#  5. xenmig save --compat, then the stock `xl restore` of the file: the
#     same checks as 2
set -eu
. "$XENMIG_DIR/tests/xen/lib-dom0.sh"
D=xlsend
trap 'xr_destroy "$D" >/dev/null 2>&1 || true; xr_destroy "$D--incoming" >/dev/null 2>&1 || true' EXIT

json_field() {   # FILE KEY: a number from xenmig's --json summary
    tr -d '\n ' < "$1" | grep -o "\"$2\":[0-9.]*" | head -1 | cut -d: -f2
}

moved() {   # OLD_DOMID C0 WHAT: the checks after a move
    new=$(xr_domid "$D")
    [ "$new" != "$1" ] || xr_fail "domid is still $1 after $3"
    xr_assert_one_running "$D"
    xl list | grep -qE -- "^$D--" && { xl list; xr_fail "a $D--* domain is left after $3"; }
    c1=$(xr_wait_counter "$D" "$2" 60)
    c2=$(xr_wait_counter "$D" "$c1" 60)
    xr_check_intact "$D"
    xr_log "$3: domid $1 -> $new, counter $2 -> $c1 -> $c2, checksum intact, longest pause seen by the guest $(xr_max_gap "$D" "$2") s"
}

stayed() {   # OLD_DOMID C0 LOG WHAT: the guest still runs on the source
    sleep 2
    now=$(xr_domid "$D")
    [ "$now" = "$1" ] || { cat "$3"; xr_fail "after $4 $D is domain $now, not the source $1"; }
    xr_assert_one_running "$D"
    c1=$(xr_wait_counter "$D" "$2" 60)
    xr_check_intact "$D"
    "$XENMIG_DIR/tests/xen/xen-backend-probe" info "$D" > "$XENMIG_OUT/info.txt"
    grep -q "flags=--- cap=0" "$XENMIG_OUT/info.txt" || {
        cat "$3" "$XENMIG_OUT/info.txt"
        xr_fail "after $4 the source is not clean (log-dirty or cap left)"
    }
    # the receiver destroys what it built once its stream ends
    t0=$(xr_now)
    while xl domid "$D--incoming" >/dev/null 2>&1; do
        if awk -v a="$t0" -v b="$(xr_now)" 'BEGIN { exit !(b - a > 120) }'; then
            cat "$3"; xl list
            xr_fail "$D--incoming still exists 120 s after $4"
        fi
        sleep 1
    done
    xl list | grep -qE -- "^$D--" && { cat "$3"; xl list; xr_fail "a $D--* domain is left after $4"; }
    xr_log "$4: the source $1 keeps running (counter $2 -> $c1), checksum intact, no $D--incoming left"
}

xr_start_domu "$D" 256 48:16
xr_check_intact "$D"
xr_assert_one_running "$D"

# --- 2. xenmig migrate --compat into stock xl migrate-receive ---------------
old=$(xr_domid "$D")
c0=$(xr_wait_counter "$D" "$(xr_counter "$D")")
log=$XENMIG_OUT/compat.log
t0=$(xr_now)
xenmig -v migrate --compat --json -s env "$D" XLMIG=1 \
    >"$XENMIG_OUT/compat.json" 2>"$log" || {
    cat "$log" "$XENMIG_OUT/compat.json"
    xr_fail "xenmig migrate --compat -s env $D (into xl migrate-receive) failed"
}
j=$XENMIG_OUT/compat.json
xr_export "$j" "$log"
# stock xl's receiver writes its progress on stderr, which is ours
grep -q "migration target: Domain started successsfully" "$log" || {
    cat "$log"
    xr_fail "the output does not show stock xl migrate-receive starting the domain"
}
grep "migration target" "$log"
xr_log "xenmig migrate --compat took $(xr_since "$t0") s: total $(json_field "$j" total_ms) ms, downtime $(json_field "$j" downtime_ms) ms, $(json_field "$j" bytes) bytes, $(json_field "$j" iterations) iterations"
moved "$old" "$c0" "migrate --compat into xl migrate-receive"

# --- 3. the connection cut after 8 MiB ---------------------------------------
old=$new
c0=$(xr_wait_counter "$D" "$(xr_counter "$D")")
log=$XENMIG_OUT/compat-cut.log
if xenmig -v migrate --compat -s env \
    -C 'sh -c "head -c 8388608 | xl migrate-receive"' "$D" XLMIG=1 \
    >"$log" 2>&1; then
    cat "$log"
    xr_fail "xenmig migrate --compat with the connection cut after 8 MiB succeeded"
fi
grep -E "during|resumed on the source|keeps running" "$log" || true
grep -qE "keeps running on the source|resumed on the source" "$log" || {
    cat "$log"
    xr_fail "the failed migration does not say the guest stays on the source"
}
stayed "$old" "$c0" "$log" "a --compat migration cut after 8 MiB"

# --- 4. a receiver that fails after "go" ---------------------------------------
old=$(xr_domid "$D")
c0=$(xr_wait_counter "$D" "$(xr_counter "$D")")
log=$XENMIG_OUT/compat-late.log
if xenmig -v migrate --compat -s env \
    -C "xenmig -v migrate-receive --xl --rename $D--migratedaway" "$D" XLMIG=1 \
    >"$log" 2>&1; then
    cat "$log"
    xr_fail "xenmig migrate --compat into a receiver that cannot rename succeeded"
fi
grep -E "could not start|cannot rename|resumed on the source" "$log" || true
grep -q "the receiver could not start the domain" "$log" || {
    cat "$log"
    xr_fail "the sender did not get the receiver's failure report"
}
grep -q "resumed on the source" "$log" || {
    cat "$log"
    xr_fail "the sender did not resume the source after the failure report"
}
stayed "$old" "$c0" "$log" "a receiver failing after go"

# --- 5. xenmig save --compat, xl restore -------------------------------------
save=$XENMIG_OUT/$D.xl-save
old=$(xr_domid "$D")
c0=$(xr_wait_counter "$D" "$(xr_counter "$D")")
t0=$(xr_now)
xenmig -v save --compat "$D" "$save" >"$XENMIG_OUT/save.log" 2>&1 || {
    cat "$XENMIG_OUT/save.log"
    xr_fail "xenmig save --compat $D $save failed"
}
xr_log "xenmig save --compat took $(xr_since "$t0") s ($(du -m "$save" | cut -f1) MiB)"
xr_assert_none "$D"
t0=$(xr_now)
xl restore "$save" >"$XENMIG_OUT/xl-restore.log" 2>&1 || {
    cat "$XENMIG_OUT/xl-restore.log"
    xr_fail "xl restore $save (written by xenmig save --compat) failed"
}
xr_log "xl restore took $(xr_since "$t0") s"
rm -f "$save"
moved "$old" "$c0" "save --compat + xl restore"

xr_destroy "$D"
xr_assert_none "$D"
echo "OK"
