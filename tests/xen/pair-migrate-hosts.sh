#!/bin/sh
# pair-migrate-hosts.sh (runs in both dom0s of tests/xen/run-two.sh:
# host A, $XENMIG_ROLE=a, and host B, on one network): xenmig moves a
# busy PV domU from A to B over TCP, and a migration whose receiver is
# killed midway, or whose link goes down midway, leaves the guest
# running on A.
#  1. A starts a 128 MiB domU (16 MiB rewritten in a loop, 16 MiB
#     untouched).
#  2. Cut: B runs 'xenmig migrate-receive --listen', held at its 8th
#     PAGES record (fault point stall:mid-pages), and A 'xenmig migrate'
#     to it; once B's receiver reports the stall (NAME--incoming half
#     built), B SIGTERMs it. B: the receiver exits non-zero and nothing
#     is left (no NAME, no NAME--incoming). A: the migration fails and
#     the guest runs on, same domid, counter advancing, untouched region
#     intact.
#  3. Link down: B's receiver held 10 s at mid-pages again; while it is,
#     B takes eth0 down. Both sides must notice by themselves (--timeout
#     20 on each): B's receiver times out and destroys what it built;
#     B keeps eth0 down for LINK_DOWN s, so A's sender must give up by
#     its own timeout ("timed out" in its log, not a reset from B once
#     the link is back), and the guest runs on as after 2.
#  4. Move: B listens again, A migrates. A: the source domain is gone.
#     B: the receiver succeeded, exactly one NAME runs, its counter
#     passes A's before the move and advances, and the untouched
#     region's checksum is the one A read before the move.
# Before each migration A sends B one line over TCP (xr_peer_send):
# "cut NAME", "drop NAME" or "move NAME COUNTER CHECKSUM". B listens for
# it only once its receiver listens, so when it arrives A can connect.
set -eu
. "$XENMIG_DIR/tests/xen/lib-dom0.sh"
D=xhost
MSG_PORT=7001
MIG_PORT=8002
LINK_DOWN=75
trap 'xr_destroy "$D" >/dev/null 2>&1 || true' EXIT

# B: start a receiver on MIG_PORT with more environment and options,
# wait until it listens; sets rpid
receiver() {   # WHAT [VAR=VALUE...] [-- OPTION...]
    what=$1
    shift
    env=
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        env="$env $1"
        shift
    done
    [ $# = 0 ] || shift
    rm -f "$XENMIG_OUT/$what.port"
    env $env xenmig -v migrate-receive --listen "$MIG_PORT" --json "$@" \
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
migrate() {   # WHAT [OPTION...]
    what=$1
    shift
    xenmig -v migrate --json "$@" "$D" "$XENMIG_PEER:$MIG_PORT" \
        >"$XENMIG_OUT/$what.json" 2>"$XENMIG_OUT/$what.log"
}

# A: a migration B cuts must fail and leave the guest running here
migrate_cut() {   # WHAT HOW [OPTION...]
    what=$1 how=$2
    shift 2
    xr_mark "$D"
    xr_peer_send "$MSG_PORT" "$what $D"
    t0=$(xr_now)
    if migrate "$what" "$@"; then
        cat "$XENMIG_OUT/$what.log"
        xr_fail "a migration whose $how succeeded"
    fi
    xr_log "the migration whose $how failed after $(xr_since "$t0") s: $(grep 'error' "$XENMIG_OUT/$what.log" | tail -1)"
    xr_export "$XENMIG_OUT/$what.log"
    [ "$what" != drop ] || grep -q 'timed out' "$XENMIG_OUT/$what.log" || {
        cat "$XENMIG_OUT/$what.log"
        xr_fail "the sender did not give up by its own --timeout while the link was down"
    }
    xr_stayed "$D" "$how"
}

# B: wait for A's line WHAT NAME, then until the receiver holds at
# mid-pages with NAME--incoming half built
await_mid_pages() {   # WHAT
    msg=$(xr_peer_recv "$MSG_PORT") || { echo "$msg"; exit 1; }
    [ "$msg" = "$1 $D" ] || xr_fail "expected '$1 $D' from A, got '$msg'"
    t0=$(xr_now)
    until grep -q 'stalling .* at mid-pages' "$XENMIG_OUT/$1.log"; do
        if ! kill -0 "$rpid" 2>/dev/null ||
            awk -v a="$t0" -v b="$(xr_now)" 'BEGIN { exit !(b - a > 600) }'; then
            cat "$XENMIG_OUT/$1.log"
            xr_fail "the $1 receiver never reached its 8th PAGES record"
        fi
        sleep 0.5
    done
    xl domid "$D--incoming" >/dev/null 2>&1 || {
        xl list; xr_fail "no $D--incoming while the receiver holds mid-pages"
    }
    xr_log "$1: receiver at mid-pages after $(xr_since "$t0") s, $D--incoming exists"
}

# B: the receiver must fail and leave nothing behind
receiver_failed() {   # WHAT
    rc=0
    wait "$rpid" || rc=$?
    [ "$rc" != 0 ] || {
        cat "$XENMIG_OUT/$1.log"
        xr_fail "the $1 receiver exited 0"
    }
    xr_wait_gone "$D--incoming" 120 "the $1 receiver failed" "$XENMIG_OUT/$1.log"
    xr_assert_none "$D"
    xr_export "$XENMIG_OUT/$1.log"
    xr_log "$1: receiver exit status $rc ($(grep 'error' "$XENMIG_OUT/$1.log" | head -1)), nothing left here"
}

case ${XENMIG_ROLE:-} in
a)
    xr_start_domu "$D" 128 16:16
    xr_check_intact "$D"

    migrate_cut cut "receiver on B was killed mid-migration"
    migrate_cut drop "link went down mid-migration" --timeout 20

    # --- 4. move --------------------------------------------------------
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
    # --- 2. cut: the receiver killed ------------------------------------
    receiver cut XENMIG_FAULT=stall:mid-pages:300
    await_mid_pages cut
    kill -TERM "$rpid"
    receiver_failed cut

    # --- 3. the link down -----------------------------------------------
    receiver drop XENMIG_FAULT=stall:mid-pages:10 -- --timeout 20
    await_mid_pages drop
    ip link set eth0 down
    t0=$(xr_now)
    receiver_failed drop
    while awk -v a="$t0" -v b="$(xr_now)" -v l="$LINK_DOWN" 'BEGIN { exit !(b - a < l) }'; do
        sleep 1
    done
    ip link set eth0 up
    xr_log "eth0 was down $(xr_since "$t0") s"

    # --- 4. move --------------------------------------------------------
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
