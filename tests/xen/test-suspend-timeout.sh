#!/bin/sh
# test-suspend-timeout.sh (runs in the rig's dom0, tests/xen/run.sh): a
# guest that takes the suspend request but does not suspend before libxl
# gives up (60 s in 4.17) is not left behind shut down for suspend.
#  The domU is capped to 1% of a CPU (xl sched-credit2 -c 1) so it is slow
#  to answer; the moment it acknowledges control/shutdown (empties the
#  node) it is paused from outside, so it cannot finish suspending and
#  xenmig migrate's suspend times out. When xenmig reports that, the guest
#  is unpaused and uncapped: it completes its suspend late, and the
#  backend must see that and resume it (before, it stayed shut down for
#  suspend while xenmig said it ran on). Then the guest runs with the same
#  domid, counter advancing, untouched region intact, and nothing is left
#  on the receiving side.
set -eu
. "$XENMIG_DIR/tests/xen/lib-dom0.sh"
D=xsto
trap 'xl sched-credit2 -d "$D" -c 0 >/dev/null 2>&1 || true; xl unpause "$D" >/dev/null 2>&1 || true; xr_destroy "$D" >/dev/null 2>&1 || true' EXIT

xr_start_domu "$D" 192 16:16
xr_mark "$D"
xl sched-credit2 -d "$D" -c 1
log=$XENMIG_OUT/migrate.log
t0=$(xr_now)
xenmig -v migrate -s env "$D" XMIG=1 >"$log" 2>&1 &
mig=$!
node=/local/domain/$XR_OLD/control/shutdown
seen=
while :; do
    v=$(xenstore-read "$node" 2>/dev/null || echo "(none)")
    [ "$v" != suspend ] || seen=1
    [ -z "$seen" ] || [ -n "$v" ] || break
    kill -0 "$mig" 2>/dev/null || { cat "$log"; xr_fail "xenmig ended before the guest took the suspend request"; }
    sleep 0.1
done
xl pause "$D"
xr_log "the guest took the suspend request; paused it"
until grep -q "cannot suspend" "$log" 2>/dev/null; do
    kill -0 "$mig" 2>/dev/null || break
    if awk -v a="$t0" -v b="$(xr_now)" 'BEGIN { exit !(b - a > 300) }'; then
        cat "$log"; xr_fail "no suspend failure after 300 s"
    fi
    sleep 1
done
xl sched-credit2 -d "$D" -c 0
xl unpause "$D"
if wait "$mig"; then
    cat "$log"
    xr_fail "a migration whose suspend timed out succeeded"
fi
xr_log "migration failed after $(xr_since "$t0") s, as it must: $(grep 'cannot suspend' "$log" | head -1)"
grep -q "suspended after the timeout: resumed it" "$log" || {
    cat "$log"; xr_fail "the backend did not resume the guest that suspended late"
}
xr_wait_gone "$D--incoming" 60 "the failed migration" "$log"
xr_stayed "$D" "suspend timed out"
sleep 5
xr_assert_one_running "$D"

xr_destroy "$D"
xr_assert_none "$D"
echo "OK"
