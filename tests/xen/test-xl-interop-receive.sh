#!/bin/sh
# test-xl-interop-receive.sh (runs in the rig's dom0): what stock xl sends
# lands on xenmig's receiver, and the guest survives.
#  1. start a 256 MiB PV domU (48 MiB rewritten in a loop, 16 MiB kept)
#  2. xl save it, then `xenmig restore` the file: a new domid, exactly one
#     domain of that name and it runs, its counter advances past the value
#     before, the untouched region's checksum is the one it was filled with
#  2b. xl save again, and restore the file through xen-restore's piped
#     API (tests/xen/xl-refeed): the same checks
#  3. a truncated copy of an xl save file: `xenmig restore` fails, names
#     the problem, and leaves no domain behind; so does xl-refeed (the
#     piped API abandoned half way: dispose must stop libxl and clean up)
#  4. xl migrate to localhost into `xenmig migrate-receive --xl`: xl's -s
#     runs "exec env PATH=SHIM:... xl migrate-receive", and SHIM/xl runs
#     our receiver instead (it leaves a marker, so we know it was ours);
#     the same checks, and the source domain is gone
#  5. the same with the stream cut after 8 MiB (the "remote" command is
#     head -c 8M | xenmig ...): xl migrate fails, the guest keeps running
#     on the source (same domid, counter advances, checksum intact) and
#     no NAME--incoming domain is left
#  6. a receiver that fails after the transfer (it cannot take its name
#     after GO): xl gets the failure report and GO back, renames and
#     resumes its guest (same domid, counter advances, checksum intact);
#     nothing of ours is left
set -eu
. "$XENMIG_DIR/tests/xen/lib-dom0.sh"
D=xlint
SHIM=$XR_TMP/xl-shim
trap 'xr_destroy "$D" >/dev/null 2>&1 || true; xr_destroy "$D--incoming" >/dev/null 2>&1 || true' EXIT

# $SHIM/xl: stands in for xl on the receiving side. xl migrate runs
# "xl [-t] [-v...] migrate-receive [-e] [-d] [-p]"; we run our receiver
# with the flags after migrate-receive. $XL_SHIM_FILTER (optional) is a
# command the stream goes through first (to cut it); $XL_SHIM_ARGS more
# options for our receiver.
mkdir -p "$SHIM"
cat > "$SHIM/xl" <<'EOF'
#!/bin/sh
while [ $# -gt 0 ] && [ "$1" != migrate-receive ]; do shift; done
[ $# -gt 0 ] && shift
echo "xenmig receiver ran: $*" >> "$XR_SHIM_MARK"
if [ -n "${XL_SHIM_FILTER:-}" ]; then
    $XL_SHIM_FILTER | xenmig -v migrate-receive --xl ${XL_SHIM_ARGS:-} "$@"
    exit $?
fi
exec xenmig -v migrate-receive --xl ${XL_SHIM_ARGS:-} "$@"
EOF
chmod +x "$SHIM/xl"
export XR_SHIM_MARK=$XR_TMP/xl-shim.mark
rm -f "$XR_SHIM_MARK"

xr_start_domu "$D" 256 48:16
xr_check_intact "$D"
xr_assert_one_running "$D"

# --- 2. xl save, xenmig restore -------------------------------------------
save=$XENMIG_OUT/$D.save
xr_mark "$D"
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
grep -q 'libxl said' "$XENMIG_OUT/restore-cut.log" || {
    cat "$XENMIG_OUT/restore-cut.log"
    xr_fail "the failed restore does not say what libxl said"
}
xr_assert_none "$D"
# The piped API given up half way (the file ends inside the pages):
# dispose must stop libxl and leave nothing.
if "$XENMIG_DIR/tests/xen/xl-refeed" "$save.cut" >"$XENMIG_OUT/refeed-cut.log" 2>&1; then
    cat "$XENMIG_OUT/refeed-cut.log"
    xr_fail "xl-refeed of a truncated xl save file succeeded"
fi
xr_assert_none "$D"
rm -f "$save.cut"
xr_log "truncated xl save file refused: $(grep 'libxl said' "$XENMIG_OUT/restore-cut.log" | head -1)"

t0=$(xr_now)
xenmig -v restore "$save" >"$XENMIG_OUT/xenmig-restore.log" 2>&1 || {
    cat "$XENMIG_OUT/xenmig-restore.log"
    xr_fail "xenmig restore $save failed"
}
xr_log "xenmig restore of the xl save file took $(xr_since "$t0") s"
rm -f "$save"
xr_moved "$D" "xl save + xenmig restore"

# --- 2b. the same file through xen-restore's piped API ---------------------
# tests/xen/xl-refeed splits the xl save file as the Xen backend's
# transcoder does and feeds it through xm_xen_restore_start / _records /
# _pages / _finish: the receiver's path to libxl, with Xen's own records.
xr_mark "$D"
xl save "$D" "$save" >"$XENMIG_OUT/xl-save2.log" 2>&1 || {
    cat "$XENMIG_OUT/xl-save2.log"
    xr_fail "xl save $D $save (for xl-refeed) failed"
}
xr_assert_none "$D"
t0=$(xr_now)
"$XENMIG_DIR/tests/xen/xl-refeed" "$save" >"$XENMIG_OUT/refeed.log" 2>&1 || {
    cat "$XENMIG_OUT/refeed.log"
    xr_fail "xl-refeed $save (the piped restore API) failed"
}
xr_log "xl-refeed took $(xr_since "$t0") s: $(grep '^restored' "$XENMIG_OUT/refeed.log")"
rm -f "$save"
xr_moved "$D" "xl save + piped restore"

# --- 4. xl migrate into xenmig migrate-receive --xl ------------------------
xr_mark "$D"
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
xr_moved "$D" "xl migrate -> xenmig"

# --- 5. the same, stream cut after 8 MiB -------------------------------------
xr_mark "$D"
# (xl's child inherits the environment: the shim sees XL_SHIM_FILTER.)
if XL_SHIM_FILTER="head -c 8388608" \
    xl migrate -s env "$D" "PATH=$SHIM:$PATH" \
        >"$XENMIG_OUT/xl-migrate-cut.log" 2>&1; then
    cat "$XENMIG_OUT/xl-migrate-cut.log"
    xr_fail "xl migrate with the stream cut after 8 MiB succeeded"
fi
cat "$XENMIG_OUT/xl-migrate-cut.log"
sleep 2
xr_stayed "$D" "cut xl migrate"    # (fails on a half-built $D--incoming too)

# --- 6. a receiver that fails after the transfer ----------------------------
# Our receiver is told to take the name NAME--migratedaway, which xl gives
# the source just before GO: the rename after GO fails, so it reports a
# non-zero status, destroys its copy and gives GO back; xl renames its
# guest back and resumes it.
xr_mark "$D"
if XL_SHIM_ARGS="--rename $D--migratedaway" \
    xl migrate -s env "$D" "PATH=$SHIM:$PATH" \
        >"$XENMIG_OUT/xl-migrate-late.log" 2>&1; then
    cat "$XENMIG_OUT/xl-migrate-late.log"
    xr_fail "xl migrate into a receiver that cannot rename succeeded"
fi
grep -E "Target reports startup failure|cannot rename|Resumed OK|Migration failed" \
    "$XENMIG_OUT/xl-migrate-late.log" || true
grep -q "Target reports startup failure" "$XENMIG_OUT/xl-migrate-late.log" || {
    cat "$XENMIG_OUT/xl-migrate-late.log"
    xr_fail "xl did not get our failure report"
}
sleep 2
xr_stayed "$D" "failure after the transfer reported to xl, our copy destroyed"

xr_destroy "$D"
xr_assert_none "$D"
echo "OK"
