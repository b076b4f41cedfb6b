# The xl-interop entry points on a host without Xen: an `xl save` file is
# recognised by its magic and handed to libxl (which is not there: a
# clear message, exit 1, no fallback to the sim backend or its stream
# parser); migrate-receive --xl refuses options that make no sense with
# it, and xl's own flags only with it. The real thing is tested in
# tests/xen/test-xl-interop-receive.sh.
. "$(dirname "$0")/lib.sh"

expect()
{
    want_rc=$1
    pattern=$2
    shift 2
    "$@" > "$WORK/out" 2> "$WORK/err" < /dev/null
    rc=$?
    [ $rc = "$want_rc" ] || fail "'$*' exited $rc, not $want_rc: $(cat "$WORK/err")"
    grep -Eqi "$pattern" "$WORK/err" \
        || fail "'$*' said \"$(cat "$WORK/err")\", not /$pattern/"
}

note "an xl save file goes to libxl"
python3 - "$WORK/vm.save" <<'EOF'
import struct, sys
cfg = b'{"c_info":{"name":"vm1","type":"pv"}}\0'
with open(sys.argv[1], "wb") as f:
    f.write(b"Xen saved domain, xl format\n \0 \r")
    f.write(struct.pack("<IIII", 0x01020304, 3, 0, 4 + len(cfg)))
    f.write(struct.pack("<I", len(cfg)) + cfg)
    f.write(b"LibxlFmt" + b"\0\0\0\2\0\0\0\0")
EOF
expect 1 "libxl|Xen libraries" "$XENMIG" restore "$WORK/vm.save"
grep -qi "sim host\|record\|XENMIGST" "$WORK/err" \
    && fail "the xl save file went to xenmig's own restore: $(cat "$WORK/err")"

note "a file that is neither is refused by xenmig's own restore"
printf 'Xen saved domain, xl formaX' > "$WORK/bad.save"
"$XENMIG" --sim-socket "$WORK/none.sock" restore "$WORK/bad.save" \
    > "$WORK/out" 2> "$WORK/err" && fail "a bad file restored"
grep -qi "libxl" "$WORK/err" && fail "a non-xl file went to libxl: $(cat "$WORK/err")"

note "migrate-receive --xl"
expect 2 "only with --xl" "$XENMIG" migrate-receive -e
expect 2 "no --listen" "$XENMIG" migrate-receive --xl --listen 0
expect 2 "no --listen" "$XENMIG" migrate-receive --xl --json
expect 1 "libxl|Xen libraries" "$XENMIG" migrate-receive --xl -e -d -p
[ ! -s "$WORK/out" ] || fail "migrate-receive --xl wrote to stdout without libxl: $(cat "$WORK/out")"
"$XENMIG" migrate-receive --help | grep -q -- --xl || fail "migrate-receive --help lacks --xl"
echo "ok"
