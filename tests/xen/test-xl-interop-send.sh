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
#  3b. the receiving xl killed while the source is suspended (the sender
#     stalls 20 s right after suspending, a test fault point, and the
#     test kills xl migrate-receive then): xenmig fails and resumes the
#     guest from its suspension, the same checks as 3 (a NAME--incoming
#     that the killed xl could not clean up is destroyed by the test)
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

stayed() {   # LOG WHAT: the guest still runs on the source (after xr_mark)
    # the receiver destroys what it built once its stream ends
    xr_wait_gone "$D--incoming" 120 "$2" "$1"
    xr_stayed "$D" "$2"
    "$XENMIG_DIR/tests/xen/xen-backend-probe" info "$D" > "$XENMIG_OUT/info.txt"
    grep -q "flags=--- cap=0" "$XENMIG_OUT/info.txt" || {
        cat "$1" "$XENMIG_OUT/info.txt"
        xr_fail "after $2 the source is not clean (log-dirty or cap left)"
    }
}

fails() {   # LOG WHAT RECEIVER: migrate --compat to RECEIVER must fail
    if xenmig -v migrate --compat -s env -C "$3" "$D" XLMIG=1 >"$1" 2>&1; then
        cat "$1"
        xr_fail "xenmig migrate --compat $2 succeeded"
    fi
    grep -E "during|could not start|cannot rename|on the source" "$1" || true
}

expect() {   # LOG ERE WHY: LOG matches ERE, else fail saying WHY
    grep -qE "$2" "$1" || { cat "$1"; xr_fail "$3"; }
}

xr_start_domu "$D" 256 48:16
xr_check_intact "$D"
xr_assert_one_running "$D"

# --- 2. xenmig migrate --compat into stock xl migrate-receive ---------------
xr_mark "$D"
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
expect "$log" "migration target: Domain started successsfully" \
    "the output does not show stock xl migrate-receive starting the domain"
grep "migration target" "$log"
xr_log "xenmig migrate --compat took $(xr_since "$t0") s: total $(xr_json_field "$j" total_ms) ms, downtime $(xr_json_field "$j" downtime_ms) ms, $(xr_json_field "$j" bytes) bytes, $(xr_json_field "$j" iterations) iterations"
xr_moved "$D" "migrate --compat into xl migrate-receive"

# --- 3. the connection cut after 8 MiB ---------------------------------------
xr_mark "$D"
log=$XENMIG_OUT/compat-cut.log
fails "$log" "with the connection cut after 8 MiB" \
    'sh -c "head -c 8388608 | xl migrate-receive"'
expect "$log" "keeps running on the source|resumed on the source" \
    "the failed migration does not say the guest stays on the source"
stayed "$log" "a --compat migration cut after 8 MiB"

# --- 3b. the receiving xl killed after the source was suspended -------------
xr_mark "$D"
log=$XENMIG_OUT/compat-killed.log
pidf=$XR_TMP/receiver.pid
rm -f "$pidf"
XENMIG_FAULT=stall:stop-and-copy:20 xenmig -v migrate --compat \
    --max-iterations 2 -s env \
    -C "sh -c 'echo \$\$ > $pidf; exec xl migrate-receive'" "$D" XLMIG=1 \
    >"$log" 2>&1 &
mpid=$!
t0=$(xr_now)
until grep -q "fault injected: stalling" "$log"; do
    kill -0 "$mpid" 2>/dev/null || { cat "$log"; xr_fail "xenmig ended before suspending the source"; }
    if awk -v a="$t0" -v b="$(xr_now)" 'BEGIN { exit !(b - a > 300) }'; then
        cat "$log"; xr_fail "xenmig did not reach stop-and-copy within 300 s"
    fi
    sleep 1
done
[ -s "$pidf" ] || { cat "$log"; xr_fail "no pid of the receiving xl in $pidf"; }
xl list | grep -E "^$D " || true
kill -TERM "$(cat "$pidf")"
xr_log "killed the receiving xl (pid $(cat "$pidf")) while the source was suspended"
if wait "$mpid"; then
    cat "$log"
    xr_fail "xenmig migrate --compat whose receiver was killed succeeded"
fi
grep -E "during|on the source" "$log" || true
expect "$log" "resumed on the source" \
    "the sender did not resume the suspended source"
if xl domid "$D--incoming" >/dev/null 2>&1; then
    xr_log "the killed xl left $D--incoming (stock xl's side): destroying it"
    xr_destroy "$D--incoming"
fi
stayed "$log" "killing the receiving xl after suspend"

# --- 4. a receiver that fails after "go" ---------------------------------------
xr_mark "$D"
log=$XENMIG_OUT/compat-late.log
fails "$log" "into a receiver that cannot rename" \
    "xenmig -v migrate-receive --xl --rename $D--migratedaway"
expect "$log" "the receiver could not start the domain" \
    "the sender did not get the receiver's failure report"
expect "$log" "resumed on the source" \
    "the sender did not resume the source after the failure report"
stayed "$log" "a receiver failing after go"

# --- 5. xenmig save --compat, xl restore -------------------------------------
save=$XENMIG_OUT/$D.xl-save
xr_mark "$D"
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
xr_moved "$D" "save --compat + xl restore"

xr_destroy "$D"
xr_assert_none "$D"
echo "OK"
