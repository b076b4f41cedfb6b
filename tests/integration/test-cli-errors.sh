# Bad input at the command line gets a clear message and a non-zero exit.
. "$(dirname "$0")/lib.sh"

expect()
{
    want_rc=$1
    pattern=$2
    shift 2
    "$@" > "$WORK/out" 2> "$WORK/err"
    rc=$?
    [ $rc = "$want_rc" ] || fail "'$*' exited $rc, not $want_rc: $(cat "$WORK/err")"
    grep -Eqi "$pattern" "$WORK/err" \
        || fail "'$*' said \"$(cat "$WORK/err")\", not /$pattern/"
}

expect 1 "sim host .* not running|No such file" on nohost list
start_host a
expect 1 'no domain "ghost"' on a migrate ghost 127.0.0.1:1
on a sim-create -m 16 vm > /dev/null || fail "sim-create"
expect 1 "cannot connect to the receiver" on a migrate vm 127.0.0.1:1
expect 2 "usage" on a migrate vm
expect 2 "non-negative integer" on a migrate --downtime abc vm 127.0.0.1:1
expect 2 "percentage" on a migrate --throttle-max 150 vm 127.0.0.1:1
expect 2 "workload" on a sim-create -w bogus:1 vm2
# --compat: Xen's stream has no encodings or digest, and needs the xen
# backend (the sim backend's state is not libxc records)
expect 2 "no --compress or --verify" on a migrate --compat --compress zstd vm 127.0.0.1:1
expect 2 "no --compress or --verify" on a migrate --compat --verify vm 127.0.0.1:1
expect 2 "no --compress or --verify" on a save --compat --verify vm "$WORK/vm.xl"
expect 1 "needs the xen backend" on a save --compat vm "$WORK/vm.xl"
[ ! -e "$WORK/vm.xl" ] || fail "a refused save --compat left $WORK/vm.xl"
expect 1 "exists|taken" on a sim-create -m 16 vm
expect 2 "unknown command" "$XENMIG" frobnicate
expect 1 "cannot open" on a restore "$WORK/nonexistent"
expect 1 "unknown backend" "$XENMIG" --backend nosuch list
"$XENMIG" --help | grep -q migrate-receive || fail "--help lacks a command"
"$XENMIG" migrate --help | grep -q -- --downtime || fail "migrate --help lacks --downtime"
assert_alive a vm
echo "ok"
