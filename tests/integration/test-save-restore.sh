# save then restore of a 256 MiB domain gives identical RAM; a damaged or
# cut save file is refused with a message naming what and where, and
# leaves no domain behind.
. "$(dirname "$0")/lib.sh"

start_host a
on a sim-create -m 256 -w hotcold:20:128:16:90 vm > /dev/null || fail "sim-create"
on a pause vm || fail "pause"
before=$(on a digest vm) || fail "digest"
on a save --verify --json vm "$WORK/vm.save" > "$WORK/save.json" \
    || fail "save failed"
cat "$WORK/save.json"
[ "$(domain_state a vm)" = none ] || fail "domain still there after save"
[ ! -e "$WORK/vm.save.partial" ] || fail "partial file left"
on a restore -p --json "$WORK/vm.save" > "$WORK/restore.json" \
    || fail "restore failed"
[ "$(json_get "$WORK/restore.json" verified)" = True ] || fail "not verified"
after=$(on a digest vm) || fail "digest"
[ "$before" = "$after" ] || fail "RAM differs: $before before save, $after after restore"
on a unpause vm
assert_alive a vm

note "save -c keeps the domain running"
on a save -c vm "$WORK/vm2.save" > /dev/null || fail "save -c"
assert_alive a vm

note "a flipped byte in page data"
size=$(stat -c %s "$WORK/vm2.save")
cp "$WORK/vm2.save" "$WORK/bad.save"
printf '\377' | dd of="$WORK/bad.save" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
on a restore --rename bad "$WORK/bad.save" 2> "$WORK/err" && fail "corrupt file restored"
cat "$WORK/err"
grep -q "CRC mismatch" "$WORK/err" || fail "no CRC message"
grep -q "offset 0x" "$WORK/err" || fail "no offset in the message"
[ "$(domain_state a bad)" = none ] || fail "a domain was left behind"

note "a cut file"
head -c $((size / 3)) "$WORK/vm2.save" > "$WORK/cut.save"
on a restore --rename cut "$WORK/cut.save" 2> "$WORK/err" && fail "cut file restored"
cat "$WORK/err"
grep -Eq "truncated|ended" "$WORK/err" || fail "no truncation message"
[ "$(domain_state a cut)" = none ] || fail "a domain was left behind"

note "not a save file"
head -c 4096 /dev/urandom > "$WORK/junk.save"
on a restore "$WORK/junk.save" 2> "$WORK/err" && fail "junk restored"
cat "$WORK/err"
grep -qi "magic" "$WORK/err" || fail "no magic message"

note "a full disk during save leaves the domain running, no file behind"
mkdir "$WORK/small"
if mount -t tmpfs -o size=16m tmpfs "$WORK/small" 2>/dev/null; then
    on a save vm "$WORK/small/vm.save" 2> "$WORK/err"
    rc=$?
    cat "$WORK/err"
    ls -la "$WORK/small"
    files=$(ls "$WORK/small")
    umount "$WORK/small"
    [ $rc = 1 ] || fail "save to a full disk exited $rc"
    grep -q "No space left" "$WORK/err" || fail "no disk-full message"
    grep -q "resumed on the source" "$WORK/err" || fail "no resume message"
    [ -z "$files" ] || fail "left behind on the full disk: $files"
else
    echo "cannot mount a small tmpfs here (not root?): skipping"
fi
assert_alive a vm
echo "ok"
