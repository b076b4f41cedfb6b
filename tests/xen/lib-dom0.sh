# lib-dom0.sh: helpers for test scripts that run in the rig's dom0
# (tests/xen/run.sh). Source it:   . "$XENMIG_DIR/tests/xen/lib-dom0.sh"
#
# The domU is PV (or PVH, xr_start_domu's TYPE), no disk, no network: Debian's kernel and the initramfs
# from build-images.sh, whose workload (tests/xen/guest/workload.c)
# rewrites RW MiB in a loop and keeps FIXED MiB untouched. It reports
# through its xenstore area, /local/domain/<domid>/data/:
#   counter   passes so far      checksum  the fixed region's, recomputed
#   fill      the fixed region's checksum right after filling it
# and prints "xmw n=<pass> mono=<s> real=<s>" on its console, which
# xenconsoled logs to /var/log/xen/console/guest-<name>.log.
#
#   xr_start_domu NAME [MEM_MIB [RW_MIB:FIXED_MIB[:PAUSE_MS] [VCPUS [TYPE]]]]
#                       create it (default 256 MiB, 48:16, 1 vCPU, TYPE pv;
#                       PAUSE_MS: sleep after each pass; TYPE pvh: a PVH
#                       guest, with tsc_mode "native", which PVH needs
#                       under TCG) and wait until its workload reports;
#                       prints how long it took
#   xr_domid NAME       its domid (fails if there is none)
#   xr_data NAME KEY    /local/domain/<its domid>/data/KEY ("" if unset)
#   xr_counter NAME     data/counter
#   xr_wait_counter NAME [ABOVE [TIMEOUT]]
#                       wait until data/counter > ABOVE (default -1, i.e.
#                       present), TIMEOUT s (default 120); prints it
#   xr_check_intact NAME
#                       data/checksum == data/fill (the fixed region is
#                       unchanged; the guest recomputes it every second)
#   xr_assert_one_running NAME
#                       exactly one domain NAME exists and it is running
#                       or blocked (not paused, shut down, crashed, dying)
#   xr_assert_none NAME no domain named NAME (or NAME--incoming etc.)
#   xr_mark NAME        before a move: remember its domid (XR_OLD) and a
#                       fresh counter (XR_C0); call it plainly, not in $()
#   xr_moved NAME WHAT  after a move: a domid other than XR_OLD, exactly
#                       one copy running, the counter passing XR_C0 and
#                       advancing again, the fixed region intact; logs
#                       WHAT with domids, counters and the longest pause
#                       the guest saw
#   xr_stayed NAME WHAT after a move that failed: still domid XR_OLD, one
#                       copy running, the counter passing XR_C0, the fixed
#                       region intact; logs WHAT
#   xr_arrived NAME WHAT C0 SUM
#                       after a move from another host (whose domids
#                       are its own): exactly one copy running here, the
#                       counter passing C0 (the source's before the move)
#                       and advancing, data/checksum equal to SUM (the
#                       source's) and to data/fill; logs WHAT
#   xr_left NAME WHAT   after a move to another host: no domain NAME
#                       (nor NAME--...) here, nor domid XR_OLD; logs WHAT
#   xr_peer_send PORT MSG [TIMEOUT]
#                       two-host runs (run-two.sh): send the line MSG to
#                       the other host's dom0 ($XENMIG_PEER) on TCP PORT,
#                       retrying until it listens (TIMEOUT s, default 900)
#   xr_peer_recv PORT [TIMEOUT]
#                       listen on TCP PORT for one xr_peer_send from the
#                       other host and print its line (TIMEOUT s, 900)
#   xr_wait_gone NAME SECONDS WHAT [LOG]
#                       wait until no domain is named NAME (a receiver
#                       cleaning up after WHAT), at most SECONDS; else
#                       print LOG and xl list and fail
#   xr_json_field FILE KEY
#                       a number from xenmig's --json summary in FILE
#   xr_max_gap NAME [AFTER_N [real|mono]]
#                       the longest gap (s) between consecutive workload
#                       lines on its consoles (guest-NAME*.log: the
#                       incoming side of a migration logs as
#                       NAME--incoming), only passes after AFTER_N if
#                       given: the longest pause the guest saw. By its
#                       CLOCK_REALTIME (default): Linux adds the time a
#                       domain spent suspended to REALTIME on resume but
#                       not to MONOTONIC, so mono leaves the downtime out
#   xr_destroy NAME     xl destroy, if it exists
#   xr_export FILE...   copy FILEs to the host (run.sh writes them to
#                       tests/out/xen/<run>/files/<job>/; small files: the
#                       serial console carries them, ~80 KB/s)
#   xr_fail MSG...      print "FAIL: MSG" and exit 1
#   xr_log MSG...       print MSG with dom0's uptime
# Every helper fails the script (exit 1) with a message naming what was
# wrong; scripts run with set -eu. The helpers' own variables start with
# _xr_, so they do not clobber the test's.
set -eu

XR_IMAGES=${XENMIG_IMAGES:-/var/lib/xenmig-xen}
XR_CONSOLE_DIR=/var/log/xen/console
XR_TMP=${XENMIG_OUT:-/tmp}

xr_log() { echo "$(cut -d' ' -f1 /proc/uptime) $*"; }
xr_fail() { echo "FAIL: $*"; exit 1; }
xr_now() { cut -d' ' -f1 /proc/uptime; }
xr_since() { awk -v a="$1" -v b="$(xr_now)" 'BEGIN { printf "%.1f", b - a }'; }

xr_config() {   # NAME MEM RW:FIXED VCPUS TYPE -> path of an xl config
    _xr_cfg=$XR_TMP/$1.cfg
    cat > "$_xr_cfg" <<EOF
name = "$1"
type = "$5"
kernel = "$XR_IMAGES/vmlinuz"
ramdisk = "$XR_IMAGES/domu-initramfs.gz"
extra = "console=hvc0 xmw=$3 quiet"
memory = $2
maxmem = $2
vcpus = $4
on_crash = "preserve"
EOF
    [ "$5" != pvh ] || echo 'tsc_mode = "native"' >> "$_xr_cfg"
    echo "$_xr_cfg"
}

xr_domid() {
    xl domid "$1" 2>/dev/null || xr_fail "no domain named $1"
}

xr_data() {
    _xr_id=$(xr_domid "$1")
    xenstore-read "/local/domain/$_xr_id/data/$2" 2>/dev/null || true
}

xr_counter() {
    _xr_c=$(xr_data "$1" counter)
    [ -n "$_xr_c" ] || xr_fail "domain $1 has no data/counter"
    echo "$_xr_c"
}

xr_wait_counter() {
    _xr_above=${2:--1} _xr_limit=${3:-120} _xr_t0=$(xr_now)
    while :; do
        _xr_c=$(xr_data "$1" counter)
        if [ -n "$_xr_c" ] && [ "$_xr_c" -gt "$_xr_above" ]; then
            echo "$_xr_c"
            return 0
        fi
        if awk -v a="$_xr_t0" -v b="$(xr_now)" -v l="$_xr_limit" 'BEGIN { exit !(b - a > l) }'; then
            xl list >&2 || true
            tail -5 "$XR_CONSOLE_DIR/guest-$1.log" >&2 2>/dev/null || true
            xr_fail "domain $1: data/counter is '${_xr_c}', not above $_xr_above after $_xr_limit s"
        fi
        sleep 1
    done
}

xr_start_domu() {
    _xr_name=$1 _xr_mem=${2:-256} _xr_wl=${3:-48:16} _xr_vcpus=${4:-1}
    _xr_type=${5:-pv}
    _xr_cfg=$(xr_config "$_xr_name" "$_xr_mem" "$_xr_wl" "$_xr_vcpus" \
        "$_xr_type")
    _xr_t0=$(xr_now)
    xl create "$_xr_cfg" >"$XR_TMP/$_xr_name.create.log" 2>&1 || {
        cat "$XR_TMP/$_xr_name.create.log"
        xr_fail "xl create $_xr_cfg failed"
    }
    _xr_tc=$(xr_since "$_xr_t0")
    _xr_c=$(xr_wait_counter "$_xr_name" -1 180)
    xr_log "domU $_xr_name ($_xr_type, domid $(xr_domid "$_xr_name"), $_xr_mem MiB, workload $_xr_wl) created in $_xr_tc s, workload reporting after $(xr_since "$_xr_t0") s (counter $_xr_c)"
}

xr_check_intact() {
    _xr_sum=$(xr_data "$1" checksum) _xr_fill=$(xr_data "$1" fill)
    [ -n "$_xr_sum" ] && [ -n "$_xr_fill" ] ||
        xr_fail "domain $1 has no data/checksum or data/fill"
    [ "$_xr_sum" = "$_xr_fill" ] ||
        xr_fail "domain $1: the untouched region changed: checksum $_xr_sum, filled with $_xr_fill"
}

xr_assert_one_running() {
    xl list > "$XR_TMP/xl-list.txt" 2>&1 || xr_fail "xl list failed"
    _xr_n=$(awk -v n="$1" '$1 == n' "$XR_TMP/xl-list.txt" | wc -l)
    [ "$_xr_n" = 1 ] || { cat "$XR_TMP/xl-list.txt"; xr_fail "$_xr_n domains named $1, expected 1"; }
    _xr_state=$(awk -v n="$1" '$1 == n { print $5 }' "$XR_TMP/xl-list.txt")
    case $_xr_state in
    r-----|-b----|------) ;;
    *) cat "$XR_TMP/xl-list.txt"; xr_fail "domain $1 is in state $_xr_state, not running" ;;
    esac
    _xr_others=$(awk -v n="$1" 'index($1, n "--") == 1' "$XR_TMP/xl-list.txt")
    [ -z "$_xr_others" ] || { cat "$XR_TMP/xl-list.txt"; xr_fail "left-over domains: $_xr_others"; }
}

xr_wait_gone() {
    _xr_t0=$(xr_now)
    while xl domid "$1" >/dev/null 2>&1; do
        if awk -v a="$_xr_t0" -v b="$(xr_now)" -v s="$2" 'BEGIN { exit !(b - a > s) }'; then
            [ -z "${4:-}" ] || cat "$4"
            xl list
            xr_fail "$1 still exists $2 s after $3"
        fi
        sleep 1
    done
}

xr_json_field() {
    tr -d '\n ' < "$1" | grep -o "\"$2\":[0-9.]*" | head -1 | cut -d: -f2
}

xr_assert_none() {
    xl list > "$XR_TMP/xl-list.txt" 2>&1 || xr_fail "xl list failed"
    _xr_left=$(awk -v n="$1" '$1 == n || index($1, n "--") == 1' "$XR_TMP/xl-list.txt")
    [ -z "$_xr_left" ] || { cat "$XR_TMP/xl-list.txt"; xr_fail "domain $1 still exists: $_xr_left"; }
}

xr_mark() {
    XR_OLD=$(xr_domid "$1")
    XR_C0=$(xr_wait_counter "$1" "$(xr_counter "$1")")
}

xr_moved() {
    _xr_new=$(xr_domid "$1")
    [ "$_xr_new" != "$XR_OLD" ] || xr_fail "$1 is still domid $XR_OLD after $2"
    xr_assert_one_running "$1"
    _xr_c1=$(xr_wait_counter "$1" "$XR_C0" 60)
    _xr_c2=$(xr_wait_counter "$1" "$_xr_c1" 60)
    xr_check_intact "$1"
    xr_log "$2: domid $XR_OLD -> $_xr_new, counter $XR_C0 -> $_xr_c1 -> $_xr_c2, checksum intact, longest pause seen by the guest $(xr_max_gap "$1" "$XR_C0") s"
}

xr_stayed() {
    _xr_now=$(xr_domid "$1")
    [ "$_xr_now" = "$XR_OLD" ] || xr_fail "after $2, $1 is domid $_xr_now, not the source $XR_OLD"
    xr_assert_one_running "$1"
    _xr_c1=$(xr_wait_counter "$1" "$XR_C0" 60)
    xr_check_intact "$1"
    xr_log "$2: the source $XR_OLD runs on (counter $XR_C0 -> $_xr_c1), checksum intact"
}

xr_arrived() {
    xr_assert_one_running "$1"
    _xr_c1=$(xr_wait_counter "$1" "$3" 60)
    _xr_c2=$(xr_wait_counter "$1" "$_xr_c1" 60)
    xr_check_intact "$1"
    _xr_sum=$(xr_data "$1" checksum)
    [ "$_xr_sum" = "$4" ] ||
        xr_fail "domain $1: the untouched region's checksum is $_xr_sum here, $4 on the source before $2"
    xr_log "$2: domid $(xr_domid "$1") here, counter $3 (source) -> $_xr_c1 -> $_xr_c2, checksum $4 as on the source, longest pause seen by the guest $(xr_max_gap "$1" "$3") s"
}

xr_left() {
    xr_assert_none "$1"
    ! xl list "$XR_OLD" >/dev/null 2>&1 || {
        xl list; xr_fail "domid $XR_OLD still exists after $2"
    }
    xr_log "$2: $1 (domid $XR_OLD) is gone from this host"
}

xr_peer_send() {
    [ -n "${XENMIG_PEER:-}" ] || xr_fail "xr_peer_send: no XENMIG_PEER (run-two.sh sets it)"
    _xr_t0=$(xr_now)
    until printf '%s\n' "$2" | nc -w 5 "$XENMIG_PEER" "$1" 2>/dev/null; do
        if awk -v a="$_xr_t0" -v b="$(xr_now)" -v l="${3:-900}" 'BEGIN { exit !(b - a > l) }'; then
            xr_fail "$XENMIG_PEER did not take '$2' on port $1 in ${3:-900} s"
        fi
        sleep 1
    done
}

# (busybox nc -l half-closes the connection when its own stdin ends, and
# the sending nc then stops: with </dev/null a transfer can be cut short.
# Under -e the listener's stdin is the connection, read to its end.)
xr_peer_recv() {
    _xr_f=$XR_TMP/.peer-recv-$1
    rm -f "$_xr_f"
    timeout "${2:-900}" nc -l -p "$1" -e sh -c "cat > '$_xr_f'" ||
        true
    _xr_msg=$(cat "$_xr_f" 2>/dev/null) || true
    [ -n "$_xr_msg" ] ||
        xr_fail "nothing from the other host on port $1 in ${2:-900} s"
    echo "$_xr_msg"
}

xr_max_gap() {
    if [ "${3:-real}" = mono ]; then
        _xr_re='.*xmw n=\([0-9]*\) mono=\([0-9.]*\).*'
    else
        _xr_re='.*xmw n=\([0-9]*\) mono=[0-9.]* real=\([0-9.]*\).*'
    fi
    cat "$XR_CONSOLE_DIR/guest-$1"*.log 2>/dev/null | tr -d '\r' |
        sed -n "s/$_xr_re/\\1 \\2/p" |
        sort -n -u -k1,1 |
        awk -v after="${2:-0}" '$1 <= after { next }
             NR > 1 && $1 == pn + 1 && $2 - pt > max { max = $2 - pt }
             { pn = $1; pt = $2 }
             END { printf "%.3f\n", max }'
}

xr_export() {
    mkdir -p "$XENMIG_OUT/export"
    for _xr_f in "$@"; do
        cp "$_xr_f" "$XENMIG_OUT/export/" || xr_fail "cannot export $_xr_f"
    done
}

xr_destroy() {
    if xl domid "$1" >/dev/null 2>&1; then
        xl destroy "$1" || xr_fail "xl destroy $1 failed"
    fi
}
