#!/bin/sh
# run.sh: boot real Xen 4.17 under QEMU (TCG) with a PV dom0 holding this
# tree's freshly built binaries, run scripts or commands in dom0, and
# report. See tests/xen/README.md.
#
#   tests/xen/run.sh [OPTION...] [SCRIPT...]
#     SCRIPT            a shell script (any path on this host) run in dom0
#                       by sh, as a job named after its file
#     -c, --shell-cmd CMD
#                       also run CMD (sh -c) in dom0 as a job (repeatable)
#     --keep            keep the work directory (dom0's run tree and cpio)
#     -i, --interactive the serial console on this terminal, and a shell in
#                       dom0 after the jobs (exit it to power off)
#     -v, --verbose     print the whole serial console, not only results
#     --timeout SECS    the whole boot's watchdog (default 1800)
#     --job-timeout SECS
#                       each job's limit inside dom0 (default 1200)
#     --no-make         use the binaries as built (no 'make progs tests')
#     --out DIR         where logs go (default tests/out/xen)
#     -e, --env VAR=VALUE
#                       set VAR in every job's environment (repeatable)
#     --xen-args ARGS   more Xen command line (e.g. loglvl=all)
#     --dom0-args ARGS  more dom0 kernel command line
#     --mem SIZE        the machine's RAM, as QEMU's -m (default 3G)
#     --dom0-mem MIB    dom0's memory (default 1024)
#     --link LPORT:RPORT
#                       give the machine a NIC (e1000) whose frames go
#                       over UDP from 127.0.0.1:LPORT to 127.0.0.1:RPORT:
#                       two runs with mirrored ports share a network
#                       (tests/xen/run-two.sh)
#     --addr ADDR/PREFIX
#                       dom0's address on that NIC (eth0)
# Exit status 0 only if every job passed and dom0 said XENTEST-DONE.
# Logs: DIR/<stamp>/serial.log (everything on the console: Xen, dom0's
# kernel, each job's output prefixed "[job] "), DIR/<stamp>/files/<job>/
# (what jobs exported, see lib-dom0.sh's xr_export); DIR/last links to the
# last run. A --shell-cmd job's output is printed here after the run, a
# failed job's last lines too.
# The body is one brace group: sh parses it whole before running it, so
# editing this file (git checkout, rebase) during a long run is harmless.
{
set -eu
SELF=$(realpath "$0")
cd "$(dirname "$SELF")/../.."
TOP=$(pwd)
CACHE=${XENMIG_XEN_CACHE:-/var/cache/xenmig-xen}
OUT=tests/out/xen
KEEP=0 INTERACTIVE=0 VERBOSE=0 MAKE=1 MORE_XEN_ARGS= MORE_DOM0_ARGS=
TIMEOUT=1800 JOB_TIMEOUT=1200
MEM=3G DOM0_MEM=1024 LINK= ADDR=
QEMU=${QEMU:-qemu-system-x86_64}

usage() {
    sed -n '/^#   tests/,/^# Exit/p' "$SELF" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
die() { echo "xen-rig: $*" >&2; exit 1; }

work=$(mktemp -d /tmp/xenmig-xenrig.XXXXXX)
case $work in *[,\ ]*) die "work directory $work has a comma or space (QEMU's -initrd splits on them)" ;; esac
qpid= tpid=
cleanup() {
    [ -n "$tpid" ] && kill "$tpid" 2>/dev/null || true
    if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
        echo "xen-rig: stopping QEMU (pid $qpid)" >&2
        kill "$qpid" 2>/dev/null || true
        sleep 1
        kill -9 "$qpid" 2>/dev/null || true
    fi
    if [ "$KEEP" = 1 ]; then
        echo "xen-rig: kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

R=$work/root
mkdir -p "$R/xenmig/jobs" "$R/xenmig/bin"
njobs=0
cmd_jobs=
add_job() {   # NAME FILE
    njobs=$((njobs + 1))
    cp "$2" "$R/xenmig/jobs/$(printf '%02d' "$njobs")-$1"
}
while [ $# -gt 0 ]; do
    case $1 in
    -c|--shell-cmd)
        [ $# -ge 2 ] || usage
        printf '%s\n' "$2" > "$work/cmd"
        add_job "cmd$((njobs + 1))" "$work/cmd"
        cmd_jobs="$cmd_jobs cmd$njobs"
        shift 2 ;;
    --keep) KEEP=1; shift ;;
    -i|--interactive) INTERACTIVE=1; shift ;;
    -v|--verbose) VERBOSE=1; shift ;;
    --timeout) [ $# -ge 2 ] || usage; TIMEOUT=$2; shift 2 ;;
    --job-timeout) [ $# -ge 2 ] || usage; JOB_TIMEOUT=$2; shift 2 ;;
    --no-make) MAKE=0; shift ;;
    --out) [ $# -ge 2 ] || usage; OUT=$2; shift 2 ;;
    -e|--env)
        [ $# -ge 2 ] || usage
        case $2 in
        [A-Za-z_]*=*) ;;
        *) die "--env wants VAR=VALUE, not '$2'" ;;
        esac
        printf '%s\n' "$2" >> "$work/env"
        shift 2 ;;
    --xen-args) [ $# -ge 2 ] || usage; MORE_XEN_ARGS=" $2"; shift 2 ;;
    --dom0-args) [ $# -ge 2 ] || usage; MORE_DOM0_ARGS=" $2"; shift 2 ;;
    --mem) [ $# -ge 2 ] || usage; MEM=$2; shift 2 ;;
    --dom0-mem) [ $# -ge 2 ] || usage; DOM0_MEM=$2; shift 2 ;;
    --link)
        [ $# -ge 2 ] || usage
        case $2 in
        [0-9]*:[0-9]*) LINK=$2 ;;
        *) die "--link wants LPORT:RPORT, not '$2'" ;;
        esac
        shift 2 ;;
    --addr) [ $# -ge 2 ] || usage; ADDR=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "xen-rig: unknown option $1" >&2; usage ;;
    *)
        [ -f "$1" ] || die "no such script: $1"
        n=${1##*/}
        add_job "${n%.sh}" "$1"
        shift ;;
    esac
done
[ "$njobs" -gt 0 ] || [ "$INTERACTIVE" = 1 ] || usage
[ -z "$ADDR" ] || [ -n "$LINK" ] || die "--addr needs --link (a NIC)"
command -v "$QEMU" >/dev/null || die "needs $QEMU (scripts/install-deps.sh --xen)"

# --- images and binaries -------------------------------------------------
paths=$(tests/xen/build-images.sh --print-paths | tail -n 2) &&
    base=$(echo "$paths" | head -n 1) && domu=$(echo "$paths" | tail -n 1) &&
    [ -s "$base" ] && [ -s "$domu" ] ||
    die "tests/xen/build-images.sh failed (run it alone to see why)"
base_list=${base%.cpio}.list
if [ "$MAKE" = 1 ]; then
    make -j2 progs tests >"$work/make.log" 2>&1 || {
        tail -30 "$work/make.log" >&2
        die "make progs tests failed"
    }
fi
for f in toolstack/xenmig sim/xenmig-simd; do
    [ -x "$f" ] || die "$f is not built (run make)"
done

# --- dom0's run tree: appended to the base cpio ----------------------------
# The tree's layout is kept under /xenmig (xenmig finds ../sim/xenmig-simd).
cp tests/xen/dom0-init.sh "$R/init-script"
chmod 755 "$R/init-script"
mkdir -p "$R/var/lib/xenmig-xen"
cp "$domu" "$R/var/lib/xenmig-xen/domu-initramfs.gz"
tar -cf - --exclude=tests/out --exclude=tests/fuzz/build \
    --exclude=tests/fuzz/corpus --exclude=tests/fuzz/crashes \
    --exclude='*.o' --exclude='*.c' \
    toolstack/xenmig sim/xenmig-simd tests man \
    $(find bench -maxdepth 1 -type f -perm -u+x 2>/dev/null) |
    tar -xf - -C "$R/xenmig"
ln -s ../toolstack/xenmig "$R/xenmig/bin/xenmig"
ln -s ../sim/xenmig-simd "$R/xenmig/bin/xenmig-simd"
# name resolution from files only: "localhost" without a DNS timeout
mkdir -p "$R/etc"
printf '127.0.0.1\tlocalhost xen-rig\n::1\tlocalhost ip6-localhost\n' > "$R/etc/hosts"
printf 'hosts: files\npasswd: files\ngroup: files\n' > "$R/etc/nsswitch.conf"
[ "$INTERACTIVE" = 1 ] && : > "$R/xenmig/interactive"
echo "$JOB_TIMEOUT" > "$R/xenmig/job-timeout"
# --addr: dom0-init.sh loads the NIC's driver and sets eth0 up with it
[ -z "$ADDR" ] || echo "$ADDR" > "$R/xenmig/net-addr"
# --env: one VAR=VALUE a line, exported by dom0-init.sh for every job
[ ! -f "$work/env" ] || cp "$work/env" "$R/xenmig/env"

# Libraries the binaries need that dom0's base lacks (the base's Xen
# libraries are the pinned 4.17.5 ones, same sonames as this host's).
find "$R/xenmig" -type f -perm -u+x | while read -r f; do
    ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
done | sort -u | while read -r lib; do
    dest=/usr${lib#/usr}
    grep -qxF ".$dest" "$base_list" && continue
    [ -e "$R$dest" ] && continue
    mkdir -p "$R$(dirname "$dest")"
    cp -L "$lib" "$R$dest"
done

(cd "$R" && find . | cpio -o -H newc -R 0:0 --quiet) > "$work/run.cpio"
cat "$base" "$work/run.cpio" > "$work/dom0.cpio"

# --- boot -----------------------------------------------------------------
stamp=$(date -u +%Y%m%d-%H%M%S)-$$
run_dir=$OUT/$stamp
mkdir -p "$run_dir" || die "cannot create $run_dir"
log=$run_dir/serial.log
ln -sfn "$stamp" "$OUT/last"
XEN_ARGS="console=com1 com1=115200,8n1 dom0_mem=${DOM0_MEM}M,max:${DOM0_MEM}M dom0_max_vcpus=2 serial_tx_buffer=256k$MORE_XEN_ARGS"
DOM0_ARGS="console=hvc0 earlyprintk=xen rdinit=/init-script panic=5$MORE_DOM0_ARGS"
if [ -n "$LINK" ]; then
    # one MAC per local port, so the two ends of a link differ
    lport=${LINK%%:*}
    mac=$(printf '52:54:00:00:%02x:%02x' $((lport / 256 % 256)) $((lport % 256)))
    NIC="-netdev socket,id=n0,udp=127.0.0.1:${LINK#*:},localaddr=127.0.0.1:$lport -device e1000,netdev=n0,mac=$mac"
else
    NIC="-nic none"
fi
set -- -accel tcg,thread=multi -cpu qemu64,+svm,+npt -smp 2 -m "$MEM" \
    -display none -no-reboot $NIC \
    -kernel "$CACHE/xen" -append "$XEN_ARGS" \
    -initrd "$CACHE/vmlinuz $DOM0_ARGS,$work/dom0.cpio"
echo "xen-rig: booting Xen, $njobs job(s), serial log $log"
start=$(date +%s)
if [ "$INTERACTIVE" = 1 ]; then
    "$QEMU" "$@" -serial mon:stdio | tee "$log"
else
    # The serial line's input is a FIFO this script holds open (read-write,
    # so neither side blocks or sees EOF): it can type Xen debug keys.
    mkfifo "$work/serial.in"
    exec 8<>"$work/serial.in"
    "$QEMU" "$@" -monitor none -serial stdio <&8 >"$log" &
    qpid=$!
    exec 9>"$work/serial.in"
    exec 8>&-
    lockup_at=
    # show the results (or everything, -v) as they come
    if [ "$VERBOSE" = 1 ]; then
        tail --pid="$qpid" -n +1 -F "$log" 2>/dev/null &
    else
        tail --pid="$qpid" -n +1 -F "$log" 2>/dev/null |
            grep --line-buffered -aE 'XENTEST|xen-rig:|Kernel panic|Panic on CPU' &
    fi
    tpid=$!
    done_at=
    while kill -0 "$qpid" 2>/dev/null; do
        now=$(date +%s)
        if [ $((now - start)) -ge "$TIMEOUT" ]; then
            echo "xen-rig: TIMEOUT after $TIMEOUT s (watchdog; see $log)" >&2
            break
        fi
        if [ -z "$done_at" ] && grep -aq 'XENTEST-DONE' "$log" 2>/dev/null; then
            done_at=$now
        fi
        # A dom0 soft lockup has never cleared by itself here: have Xen
        # print what its CPUs and dom0's vCPUs are doing (Ctrl-A three
        # times switches the serial input to Xen; d: every CPU's state and
        # stack, 0: dom0's vCPUs, with their guest stacks), then stop.
        if [ -z "$lockup_at" ] && grep -aq 'BUG: soft lockup' "$log" 2>/dev/null; then
            lockup_at=$now
            echo "xen-rig: dom0 reports a soft lockup; asking Xen for its CPUs' state, stopping in 60 s (see $log)" >&2
            sleep 20
            # (QEMU may be gone by now: a write error, not SIGPIPE)
            trap '' PIPE
            printf '\001\001\001' >&9 2>/dev/null || true
            sleep 1
            printf 'd' >&9 2>/dev/null || true
            sleep 10
            printf '0' >&9 2>/dev/null || true
        fi
        if [ -n "$lockup_at" ] && [ $((now - lockup_at)) -ge 60 ]; then
            break
        fi
        # dom0 powers off after XENTEST-DONE; don't wait for ever if not
        if [ -n "$done_at" ] && [ $((now - done_at)) -ge 60 ]; then
            echo "xen-rig: QEMU still running 60 s after XENTEST-DONE; stopping it" >&2
            break
        fi
        sleep 1
    done
    if kill -0 "$qpid" 2>/dev/null; then
        kill "$qpid" 2>/dev/null || true
        sleep 1
        kill -9 "$qpid" 2>/dev/null || true
    fi
    wait "$qpid" 2>/dev/null || true
    qpid=
    exec 9>&-
    sleep 1
    kill "$tpid" 2>/dev/null || true
    tpid=
fi
end=$(date +%s)

# --- report ----------------------------------------------------------------
tr -d '\r' < "$log" > "$work/log"
passed=0 failed=0
echo "xen-rig: results ($((end - start)) s, serial log $log)"
# exported files: base64 lines between the markers (other console lines
# that slipped in are not base64: dropped)
awk -v dir="$run_dir/files" '
    /^XENFILE-BEGIN / { d = dir "/" $2; sub(/\/[^\/]*$/, "", d)
                        system("mkdir -p \"" d "\"")
                        out = dir "/" $2 ".b64"; printf "" > out; next }
    /^XENFILE-END /   { if (out != "") close(out); out = ""; next }
    out != "" && /^[A-Za-z0-9+\/=]+$/ { print > out }' "$work/log"
find "$run_dir/files" -name '*.b64' 2>/dev/null | while read -r b; do
    if base64 -d < "$b" > "${b%.b64}"; then
        rm -f "$b"
    else
        echo "xen-rig: exported file ${b%.b64} is damaged (kept as $b)" >&2
    fi
done
job_output() {   # NAME: the job's own lines, without the prefix
    grep -a "^\[$1\] " "$work/log" | sed "s|^\[$1\] ||" || true
}
for name in $cmd_jobs; do
    echo "--- $name: $(cat "$R/xenmig/jobs/"*"-$name")"
    job_output "$name"
done
for j in "$R"/xenmig/jobs/*; do
    [ -f "$j" ] || continue
    name=${j##*/}
    name=${name#[0-9][0-9]-}
    name=${name%.sh}
    line=$(grep -aoE "XENTEST $name (PASS|FAIL) [0-9.]+" "$work/log" | tail -1 || true)
    case $line in
    *" PASS "*) passed=$((passed + 1)); echo "  PASS  $name (${line##* } s)" ;;
    *)
        failed=$((failed + 1))
        case $line in
        *" FAIL "*) echo "  FAIL  $name (${line##* } s); its last lines:" ;;
        *) echo "  FAIL  $name (no result: did not run or did not finish); its last lines:" ;;
        esac
        job_output "$name" | tail -n 25 | sed 's/^/        /'
        echo "        (all of it: grep -a '^\[$name\]' $log)" ;;
    esac
done
[ ! -d "$run_dir/files" ] || echo "xen-rig: exported files in $run_dir/files"
grep -aE 'XENTEST-ERROR' "$work/log" | sed 's/^/  /' || true
if ! grep -aq 'XENTEST-DONE' "$work/log"; then
    echo "  dom0 never said XENTEST-DONE (crash, hang or timeout; see $log)"
    if grep -aq 'BUG: soft lockup' "$work/log"; then
        echo "  dom0 soft lockup:"
        grep -a 'BUG: soft lockup' "$work/log" | head -4 | sed 's/^/    /'
        echo "  Xen's dump of its CPUs and dom0's vCPUs follows it in $log"
    fi
    [ "$failed" -gt 0 ] || failed=1
fi
echo "xen-rig: $passed passed, $failed failed"
[ "$failed" = 0 ]
exit
}
