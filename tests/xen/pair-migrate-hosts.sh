#!/bin/sh
# pair-migrate-hosts.sh (runs in both dom0s of tests/xen/run-two.sh:
# host A, $XENMIG_ROLE=a, and host B, on one network): xenmig moves a
# busy PV domU from A to B over TCP, and a migration whose receiver is
# killed midway leaves the guest running on A.
#  1. A starts a 128 MiB domU (16 MiB rewritten in a loop, 16 MiB
#     untouched).
#  2. Cut: B runs 'xenmig migrate-receive --listen', held at its 8th
#     PAGES record (fault point stall:mid-pages), and A 'xenmig migrate'
#     to it; once B's receiver reports the stall (NAME--incoming half
#     built), B SIGTERMs it. B: the receiver exits non-zero and nothing
#     is left (no NAME, no NAME--incoming). A: the migration fails and
#     the guest runs on, same domid, counter advancing, untouched region
#     intact.
#  3. Move: B listens again, A migrates. A: the source domain is gone.
#     B: the receiver succeeded, exactly one NAME runs, its counter
#     passes A's before the move and advances, and the untouched
#     region's checksum is the one A read before the move.
# Before each migration A sends B one line over TCP (xr_peer_send):
# "cut NAME" or "move NAME COUNTER CHECKSUM". B listens for it only
# once its receiver listens, so when it arrives A can connect.
set -eu
. "$XENMIG_DIR/tests/xen/lib-dom0.sh"
D=xhost
MSG_PORT=7001
MIG_PORT=8002
trap 'xr_destroy "$D" >/dev/null 2>&1 || true' EXIT

# B: start a receiver on MIG_PORT (ENV: more environment), wait until
# it listens; sets rpid
receiver() {   # WHAT [VAR=VALUE...]
    what=$1
    shift
    rm -f "$XENMIG_OUT/$what.port"
    env "$@" xenmig -v migrate-receive --listen "$MIG_PORT" --json \
        --port-file "$XENMIG_OUT/$what.port" \
        >"$XENMIG_OUT/$what.json" 2>"$XENMIG_OUT/$what.log" &
    rpid=$!
    i=0
    until [ -s "$XENMIG_OUT/$what.port" ]; do
        i=$((i + 1))
        if [ "$i" -gt 300 ] || ! kill -0 "$rpid" 2>/dev/null; then
            cat "$XENMIG_OUT/$what.log"
            xr_fail "the $what receiver does not listen on $MIG_PORT"
        fi
        sleep 0.2
    done
}

# A: migrate to B; WHAT names the logs
migrate() {   # WHAT
    xenmig -v migrate --json "$D" "$XENMIG_PEER:$MIG_PORT" \
        >"$XENMIG_OUT/$1.json" 2>"$XENMIG_OUT/$1.log"
}

case ${XENMIG_ROLE:-} in
a)
    xr_start_domu "$D" 128 16:16
    xr_check_intact "$D"

    # --- 2. cut ---------------------------------------------------------
    xr_mark "$D"
    xr_peer_send "$MSG_PORT" "cut $D"
    t0=$(xr_now)
    if migrate cut; then
        cat "$XENMIG_OUT/cut.log"
        xr_fail "a migration whose receiver was killed succeeded"
    fi
    xr_log "the cut migration failed after $(xr_since "$t0") s: $(grep -i 'error' "$XENMIG_OUT/cut.log" | tail -1)"
    xr_export "$XENMIG_OUT/cut.log"
    xr_stayed "$D" "receiver on B killed mid-migration"

    # --- 3. move --------------------------------------------------------
    xr_mark "$D"
    sum=$(xr_data "$D" checksum)
    xr_peer_send "$MSG_PORT" "move $D $XR_C0 $sum"
    t0=$(xr_now)
    migrate move || {
        cat "$XENMIG_OUT/move.log" "$XENMIG_OUT/move.json"
        xr_fail "xenmig migrate $D $XENMIG_PEER:$MIG_PORT failed"
    }
    j=$XENMIG_OUT/move.json
    xr_export "$j" "$XENMIG_OUT/move.log"
    xr_log "migration to $XENMIG_PEER took $(xr_since "$t0") s: total $(xr_json_field "$j" total_ms) ms, downtime $(xr_json_field "$j" downtime_ms) ms, $(xr_json_field "$j" bytes) bytes, $(xr_json_field "$j" iterations) iterations"
    xr_left "$D" "migration to $XENMIG_PEER"
    ;;
b)
    # --- 2. cut ---------------------------------------------------------
    receiver cut XENMIG_FAULT=stall:mid-pages:300
    msg=$(xr_peer_recv "$MSG_PORT") || { echo "$msg"; exit 1; }
    set -- $msg
    [ "$1 $2" = "cut $D" ] || xr_fail "expected 'cut $D' from A, got '$*'"
    t0=$(xr_now)
    until grep -q 'stalling .* at mid-pages' "$XENMIG_OUT/cut.log"; do
        if ! kill -0 "$rpid" 2>/dev/null ||
            awk -v a="$t0" -v b="$(xr_now)" 'BEGIN { exit !(b - a > 600) }'; then
            cat "$XENMIG_OUT/cut.log"
            xr_fail "the receiver never reached its 8th PAGES record"
        fi
        sleep 0.5
    done
    xl domid "$D--incoming" >/dev/null 2>&1 || {
        xl list; xr_fail "no $D--incoming while the receiver holds mid-pages"
    }
    xr_log "receiver at mid-pages after $(xr_since "$t0") s, $D--incoming exists: SIGTERM to it"
    kill -TERM "$rpid"
    rc=0
    wait "$rpid" || rc=$?
    [ "$rc" != 0 ] || {
        cat "$XENMIG_OUT/cut.log"
        xr_fail "the receiver killed mid-migration exited 0"
    }
    xr_wait_gone "$D--incoming" 120 "its receiver was killed" "$XENMIG_OUT/cut.log"
    xr_assert_none "$D"
    xr_export "$XENMIG_OUT/cut.log"
    xr_log "receiver killed: exit status $rc, nothing left here"

    # --- 3. move --------------------------------------------------------
    receiver move
    msg=$(xr_peer_recv "$MSG_PORT") || { echo "$msg"; exit 1; }
    set -- $msg
    [ "$1 $2" = "move $D" ] && [ $# = 4 ] ||
        xr_fail "expected 'move $D COUNTER CHECKSUM' from A, got '$*'"
    c0=$3 sum=$4
    rc=0
    wait "$rpid" || rc=$?
    xr_export "$XENMIG_OUT/move.json" "$XENMIG_OUT/move.log"
    [ "$rc" = 0 ] || {
        cat "$XENMIG_OUT/move.log"
        xr_fail "the receiver failed (exit status $rc)"
    }
    xr_arrived "$D" "migration from $XENMIG_PEER" "$c0" "$sum"
    xr_destroy "$D"
    ;;
*)
    xr_fail "XENMIG_ROLE is '${XENMIG_ROLE:-}': run this with tests/xen/run-two.sh"
    ;;
esac
echo "OK"
