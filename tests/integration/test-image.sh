# A sim domain made from a memory image (sim-create --image) holds the
# image's bytes, repeated to fill RAM, and migrates byte-identical: paused
# (the destination's digest is that of a domain made from the image
# written out in full) and running a workload on top (--verify, and the
# still-paused destination's digest checked again), with compression
# auto and none.
. "$(dirname "$0")/lib.sh"

# 5 MiB + 4196 bytes of a guest-like mix, page by page: zero pages, text,
# records, random bytes; and the same repeated to 24 MiB in whole pages
# (the last partial page zero padded), as sim-create documents.
python3 - "$WORK/img" "$WORK/full" <<'PY'
import random, sys
r = random.Random(7)
words = b"the page of memory kernel buffer struct return error file".split()
out = bytearray()
for pfn in range(1281):
    k = pfn % 4
    if k == 0:
        page = bytes(4096)
    elif k == 1:
        page = b" ".join(r.choice(words) for _ in range(900))[:4096]
    elif k == 2:
        page = b"".join(pfn.to_bytes(8, "little") + i.to_bytes(8, "little")
                        for i in range(256))
    else:
        page = r.randbytes(4096)
    out += page.ljust(4096, b"\0")
out += r.randbytes(100)
open(sys.argv[1], "wb").write(out)
unit = bytes(out).ljust((len(out) + 4095) // 4096 * 4096, b"\0")
full = (unit * (24 * 256 * 4096 // len(unit) + 1))[:24 * 256 * 4096]
open(sys.argv[2], "wb").write(full)
PY
[ -s "$WORK/full" ] || fail "cannot make the test images"

start_host a
start_host b

note "made from an image, paused: its bytes exactly"
on a sim-create -m 24 --image "$WORK/img" --paused vm > /dev/null || fail "sim-create --image"
on a sim-create -m 24 --image "$WORK/full" --paused ref > /dev/null || fail "sim-create --image full"
want=$(on a digest ref) || fail "digest ref"
[ "$(on a digest vm)" = "$want" ] || fail "a domain made from the image does not hold its bytes"
on a destroy ref || fail "destroy ref"

for c in auto none; do
    note "paused, --compress $c: the image arrives byte-identical"
    receiver b --paused
    on a migrate --compress $c --verify --json vm "127.0.0.1:$RECV_PORT" \
        > "$WORK/sum.json" || fail "migrate: $(cat "$WORK/recv.err")"
    wait "$RECV_PID" || fail "receiver failed"
    [ "$(json_get "$WORK/sum.json" verified)" = True ] || fail "not verified"
    [ "$(on b digest vm)" = "$want" ] || fail "$c: the destination's RAM is not the image"
    # and back, so the next round starts on a again
    receiver a --paused
    on b migrate --compress $c vm "127.0.0.1:$RECV_PORT" > /dev/null \
        || fail "migrate back: $(cat "$WORK/recv.err")"
    wait "$RECV_PID" || fail "receiver failed"
    [ "$(on a digest vm)" = "$want" ] || fail "$c: back on a, the RAM is not the image"
done
on a destroy vm || fail "destroy"

note "running a workload on top of the image"
on a sim-create -m 24 --image "$WORK/img" -w hotcold:20:16:2:90 \
    --write-bytes 64 vm > /dev/null || fail "sim-create --image -w"
assert_alive a vm
receiver b --paused
on a migrate --verify --json vm "127.0.0.1:$RECV_PORT" > "$WORK/sum.json" \
    || fail "migrate: $(cat "$WORK/recv.err")"
wait "$RECV_PID" || fail "receiver failed"
[ "$(json_get "$WORK/sum.json" verified)" = True ] || fail "not verified"
[ "$(json_get "$WORK/sum.json" digest)" = "$(on b digest vm)" ] || fail "RAM differs"
on b unpause vm || fail "unpause"
assert_alive b vm

note "errors"
on a sim-create -m 4 --image "$WORK/nothing" x 2> "$WORK/err" && fail "a missing image was accepted"
grep -q "cannot open memory image" "$WORK/err" || fail "message: $(cat "$WORK/err")"
: > "$WORK/empty"
on a sim-create -m 4 --image "$WORK/empty" x 2> "$WORK/err" && fail "an empty image was accepted"
grep -q "memory image is empty" "$WORK/err" || fail "message: $(cat "$WORK/err")"
[ "$(domain_state a x)" = none ] || fail "a failed create left a domain"
echo "ok"
