#!/bin/sh
# test-xl-interop-receive.sh (runs in the rig's dom0): what stock xl sends
# lands on xenmig's receiver, and the guest survives.
#  1. start a 256 MiB PV domU (48 MiB rewritten in a loop, 16 MiB kept)
#  2. xl save it, then `xenmig restore` the file: a new domid, exactly one
#     domain of that name and it runs, its counter advances past the value
#     before, the untouched region's checksum is the one it was filled with
#  3. a truncated copy of an xl save file: `xenmig restore` fails, names
#     the problem, and leaves no domain behind
#  4. xl migrate to localhost into `xenmig migrate-receive --xl`: xl's -s
#     runs "exec env PATH=SHIM:... xl migrate-receive", and SHIM/xl runs
#     our receiver instead (it leaves a marker, so we know it was ours);
#     the same checks, and the source domain is gone
#  5. the same with the stream cut after 8 MiB (the "remote" command is
#     head -c 8M | xenmig ...): xl migrate fails, the guest keeps running
#     on the source (same domid, counter advances, checksum intact) and
#     no NAME--incoming domain is left
set -eu
. "$XENMIG_DIR/tests/xen/lib-dom0.sh"
D=xlint
SHIM=$XR_TMP/xl-shim
trap 'xr_destroy "$D" >/dev/null 2>&1 || true; xr_destroy "$D--incoming" >/dev/null 2>&1 || true' EXIT

# $SHIM/xl: stands in for xl on the receiving side. xl migrate runs
# "xl [-t] [-v...] migrate-receive [-e] [-d] [-p]"; we run our receiver
# with the flags after migrate-receive. $XL_SHIM_FILTER (optional) is a
# command the stream goes through first (to cut it).
mkdir -p "$SHIM"
cat > "$SHIM/xl" <<'EOF'
#!/bin/sh
while [ $# -gt 0 ] && [ "$1" != migrate-receive ]; do shift; done
[ $# -gt 0 ] && shift
echo "xenmig receiver ran: $*" >> "$XR_SHIM_MARK"
if [ -n "${XL_SHIM_FILTER:-}" ]; then
    $XL_SHIM_FILTER | xenmig -v migrate-receive --xl "$@"
    exit $?
fi
exec xenmig -v migrate-receive --xl "$@"
EOF
chmod +x "$SHIM/xl"
export XR_SHIM_MARK=$XR_TMP/xl-shim.mark
rm -f "$XR_SHIM_MARK"

xr_start_domu "$D" 256 48:16
xr_check_intact "$D"
xr_assert_one_running "$D"

# --- 2. xl save, xenmig restore -------------------------------------------
save=$XENMIG_OUT/$D.save
old=$(xr_domid "$D")
c0=$(xr_wait_counter "$D" "$(xr_counter "$D")")
t0=$(xr_now)
xl save "$D" "$save" >"$XENMIG_OUT/xl-save.log" 2>&1 || {
    cat "$XENMIG_OUT/xl-save.log"
    xr_fail "xl save $D $save failed"
}
xr_log "xl save took $(xr_since "$t0") s ($(du -m "$save" | cut -f1) MiB)"
xr_assert_none "$D"

# 3 first, while we have a save file: a truncated copy is refused cleanly.
head -c 3000000 "$save" > "$save.cut"
if xenmig restore "$save.cut" >"$XENMIG_OUT/restore-cut.log" 2>&1; then
    cat "$XENMIG_OUT/restore-cut.log"
    xr_fail "xenmig restore of a truncated xl save file succeeded"
fi
grep -q 'libxl' "$XENMIG_OUT/restore-cut.log" || {
    cat "$XENMIG_OUT/restore-cut.log"
    xr_fail "the failed restore does not say what libxl said"
}
xr_assert_none "$D"
rm -f "$save.cut"
xr_log "truncated xl save file refused: $(grep error "$XENMIG_OUT/restore-cut.log" | tail -1)"

t0=$(xr_now)
xenmig -v restore "$save" >"$XENMIG_OUT/xenmig-restore.log" 2>&1 || {
    cat "$XENMIG_OUT/xenmig-restore.log"
    xr_fail "xenmig restore $save failed"
}
xr_log "xenmig restore of the xl save file took $(xr_since "$t0") s"
rm -f "$save"
new=$(xr_domid "$D")
[ "$new" != "$old" ] || xr_fail "domid is still $old after restore"
xr_assert_one_running "$D"
c1=$(xr_wait_counter "$D" "$c0" 60)
c2=$(xr_wait_counter "$D" "$c1" 60)
xr_check_intact "$D"
xr_log "xl save + xenmig restore: domid $old -> $new, counter $c0 -> $c1 -> $c2, checksum intact"

# --- 4. xl migrate into xenmig migrate-receive --xl ------------------------
old=$new
c0=$(xr_wait_counter "$D" "$(xr_counter "$D")")
t0=$(xr_now)
xl migrate -s env "$D" "PATH=$SHIM:$PATH" >"$XENMIG_OUT/xl-migrate.log" 2>&1 || {
    cat "$XENMIG_OUT/xl-migrate.log"
    xr_fail "xl migrate -s env $D PATH=$SHIM:... (into xenmig) failed"
}
xr_log "xl migrate into xenmig took $(xr_since "$t0") s"
[ -s "$XR_SHIM_MARK" ] || {
    cat "$XENMIG_OUT/xl-migrate.log"
    xr_fail "xl migrate did not run our receiver (no $XR_SHIM_MARK)"
}
grep -q 'received "'"$D"'" from xl migrate' "$XENMIG_OUT/xl-migrate.log" || {
    cat "$XENMIG_OUT/xl-migrate.log"
    xr_fail "xenmig's receiver did not report the domain received"
}
new=$(xr_domid "$D")
[ "$new" != "$old" ] || xr_fail "domid is still $old after migration"
xr_assert_one_running "$D"
c1=$(xr_wait_counter "$D" "$c0" 60)
c2=$(xr_wait_counter "$D" "$c1" 60)
xr_check_intact "$D"
xr_log "xl migrate -> xenmig: domid $old -> $new, counter $c0 -> $c1 -> $c2, checksum intact, longest pause seen by the guest $(xr_max_gap "$D" "$c0") s"

# --- 5. the same, stream cut after 8 MiB -------------------------------------
old=$new
c0=$(xr_wait_counter "$D" "$(xr_counter "$D")")
# (xl's child inherits the environment: the shim sees XL_SHIM_FILTER.)
if XL_SHIM_FILTER="head -c 8388608" \
    xl migrate -s env "$D" "PATH=$SHIM:$PATH" \
        >"$XENMIG_OUT/xl-migrate-cut.log" 2>&1; then
    cat "$XENMIG_OUT/xl-migrate-cut.log"
    xr_fail "xl migrate with the stream cut after 8 MiB succeeded"
fi
cat "$XENMIG_OUT/xl-migrate-cut.log"
sleep 2
now=$(xr_domid "$D")
[ "$now" = "$old" ] || xr_fail "after the cut migration $D is domain $now, not the source $old"
xr_assert_one_running "$D"
c1=$(xr_wait_counter "$D" "$c0" 60)
xr_check_intact "$D"
xl list | grep -q -- "$D--incoming" && xr_fail "a half-built $D--incoming is left"
xr_log "cut xl migrate: the source $old keeps running (counter $c0 -> $c1), no $D--incoming left"

xr_destroy "$D"
xr_assert_none "$D"
echo "OK"
