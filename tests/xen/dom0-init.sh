#!/bin/busybox sh
# dom0-init.sh: dom0's first process in the real-Xen rig (run.sh puts it
# in dom0's root as /init-script; the kernel runs it with rdinit=).
#
# 1. mounts, brings lo up (and eth0 with the address in
#    /xenmig/net-addr, if run.sh --addr wrote one), loads the Xen
#    modules, mounts xenfs, starts xenstored, xen-init-dom0 and
#    xenconsoled (guest consoles logged to
#    /var/log/xen/console/guest-<name>.log);
# 2. runs every job in /xenmig/jobs/ in name order, destroying the
#    domains and killing the processes each leaves behind (run.sh writes them:
#    the scripts it was given, or --shell-cmd commands), each with its
#    output on the console prefixed "[name] ", and prints
#        XENTEST <name> PASS|FAIL <seconds>
#    then every result line again (one cut by a Xen message is read the
#    second time), XENTEST-DONE passed=N failed=M (XENTEST-ERROR <why> first when
#    dom0 could not be set up). After a failed job it prints xl list, the
#    end of xl dmesg and of each guest console log. Every file a job left
#    in $XENMIG_OUT/export/ goes to the console in base64 between
#    "XENFILE-BEGIN <job>/<file> <bytes>" and "XENFILE-END <job>/<file>"
#    (run.sh writes it back to a file on the host);
# 3. powers the machine off (or, with /xenmig/interactive, opens a shell
#    on the console first).
# Jobs run with PATH starting with /xenmig/bin (xenmig, xenmig-simd) and
# the Xen 4.17 tools, XENMIG_DIR=/xenmig, XENMIG_IMAGES (the domU kernel
# and initramfs) and XENMIG_OUT=/tmp/xenmig-out/<name> (a fresh directory;
# what the job puts in $XENMIG_OUT/export/ is copied to the host), and the
# variables given to run.sh with --env.
export PATH=/xenmig/bin:/usr/lib/xen-4.17/bin:/usr/sbin:/usr/bin:/sbin:/bin
export XENMIG_DIR=/xenmig XENMIG_IMAGES=/var/lib/xenmig-xen HOME=/root
/bin/busybox --install -s /usr/bin 2>/dev/null

finish() {
    echo "XENTEST-DONE passed=$passed failed=$failed"
    if [ -e /xenmig/interactive ]; then
        echo "xen-rig: interactive shell; exit it to power off"
        setsid cttyhack sh -l
    fi
    sync
    poweroff -f
    sleep 60
}

setup_failed() {
    echo "XENTEST-ERROR dom0 setup: $*"
    failed=1
    finish
}

uptime_s() { cut -d' ' -f1 /proc/uptime; }

pids() { ls /proc | grep -E '^[0-9]+$' | tr '\n' ' '; }

# PID runs (exists and is no zombie)
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:.Z' "/proc/$1/status"; }

# What a job left behind must not spoil the next: its domains are
# destroyed and its processes (listeners, xl migrate-receive, daemons it
# started) killed, each named on the console.
clean_after_job() {
    # processes first: the job's xl create monitor, listeners, daemons
    for p in $(pids); do
        case " $pids_before " in *" $p "*) continue ;; esac
        [ "$p" != "$printer" ] || continue
        # (procfs files have size 0: read them)
        cmd=$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null) || continue
        [ -n "$cmd" ] || continue   # a kernel thread
        # this script's own subshells (the job's wrapper) are not the job's
        [ "$cmd" != "$init_cmdline" ] || continue
        echo "[$name] left-over process $p ($cmd): killing it"
        kill -9 "$p" 2>/dev/null
    done
    for d in $(xl list 2>/dev/null | awk 'NR > 1 && $1 != "Domain-0" { print $1 }'); do
        echo "[$name] left-over domain $d: destroying it"
        echo "[$name] $(uptime_s) xl destroy $d"
        timeout -s KILL 60 xl destroy "$d" </dev/null >"$XENMIG_OUT/.destroy" 2>&1 ||
            echo "[$name] xl destroy $d failed or hung: $(cat "$XENMIG_OUT/.destroy")"
    done
}

passed=0 failed=0 results=
mount -t proc proc /proc
mount -t sysfs sysfs /sys
init_cmdline=$(tr '\0' ' ' < /proc/$$/cmdline)
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /dev/shm
# loopback (and, with run.sh --addr, eth0 below): xenmig's listeners
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up ||
    setup_failed "cannot bring up lo"
hostname xen-rig
# run.sh --link/--addr: a NIC to another rig (run-two.sh), addressed here
if [ -f /xenmig/net-addr ]; then
    modprobe e1000 || setup_failed "modprobe e1000 failed"
    i=0
    until ip link show eth0 >/dev/null 2>&1; do
        i=$((i + 1))
        [ "$i" -lt 50 ] || setup_failed "no eth0 10 s after modprobe e1000"
        sleep 0.2
    done
    ip addr add "$(cat /xenmig/net-addr)" dev eth0 &&
        ip link set eth0 up ||
        setup_failed "cannot give eth0 the address $(cat /xenmig/net-addr)"
    echo "xen-rig: eth0 is $(cat /xenmig/net-addr)"
fi
# only errors and worse from the kernel on the console: less to interleave
echo 4 > /proc/sys/kernel/printk
echo "xen-rig: dom0 up after $(uptime_s) s"

for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs; do
    modprobe "$m" || setup_failed "modprobe $m failed"
done
mkdir -p /proc/xen
mount -t xenfs xenfs /proc/xen || setup_failed "mount -t xenfs failed"
mkdir -p /run/xen /run/xenstored /var/lib/xenstored /var/log/xen/console \
    /var/lib/xen /tmp/xenmig-out
xenstored --pid-file=/run/xenstored.pid ||
    setup_failed "xenstored failed to start"
i=0
until xenstore-read -s / >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -lt 30 ] || setup_failed "xenstored does not answer after 30 s"
    sleep 1
done
xen-init-dom0 || setup_failed "xen-init-dom0 failed"
xenconsoled --pid-file=/run/xenconsoled.pid --log=guest \
    --log-dir=/var/log/xen/console || setup_failed "xenconsoled failed"
echo "xen-rig: xenstored, xen-init-dom0, xenconsoled up after $(uptime_s) s"

job_timeout=$(cat /xenmig/job-timeout 2>/dev/null || echo 1200)
# run.sh --env VAR=VALUE lines
if [ -f /xenmig/env ]; then
    while IFS= read -r kv; do
        export "$kv"
    done < /xenmig/env
fi
for job in /xenmig/jobs/*; do
    [ -f "$job" ] || continue
    name=${job##*/}
    name=${name#[0-9][0-9]-}
    name=${name%.sh}
    export XENMIG_OUT=/tmp/xenmig-out/$name
    mkdir -p "$XENMIG_OUT/export"
    xl dmesg -c >/dev/null 2>&1 || true   # so a failure shows only its own
    pids_before=$(pids)
    echo "XENTEST-START $name"
    t0=$(uptime_s)
    # The job's output goes through awk (the prefix, flushed line by line:
    # busybox sed held 4 KB, so a hang hid the job's last lines) and its
    # status comes back through a file. What the job leaves running may
    # hold the pipe open, so awk is waited for only once clean_after_job
    # killed that.
    rm -f "$XENMIG_OUT/.status"
    ( cd /tmp && timeout "$job_timeout" sh "$job" </dev/null 2>&1
      echo $? > "$XENMIG_OUT/.status.part"
      mv "$XENMIG_OUT/.status.part" "$XENMIG_OUT/.status" ) |
        awk -v p="[$name] " '{ print p $0; fflush() }' &
    printer=$!
    until [ -f "$XENMIG_OUT/.status" ]; do
        sleep 0.2
    done
    rc=$(cat "$XENMIG_OUT/.status")
    secs=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }')
    if [ "$rc" != 0 ]; then
        case $rc in
        124|137|143) why=" (killed: over the job timeout of $job_timeout s?)" ;;
        *) why= ;;
        esac
        { echo "exit status $rc$why"
          echo "--- xl list"; xl list
          echo "--- xl dmesg (since the job started, end)"; xl dmesg | tail -n 30
          for f in /var/log/xen/console/*.log; do
              [ -f "$f" ] || continue
              echo "--- $f (end)"; tail -n 10 "$f"
          done; } 2>&1 | sed "s|^|[$name] |"
    fi
    clean_after_job
    # whatever the first round missed (forked meanwhile) gets more rounds;
    # a pipe still held after 30 s is left, not waited for
    i=0
    while alive "$printer"; do
        i=$((i + 1))
        [ $((i % 25)) != 0 ] || clean_after_job
        if [ "$i" -ge 150 ]; then
            echo "[$name] its output pipe is still open 30 s after it ended; going on"
            break
        fi
        sleep 0.2
    done
    alive "$printer" || wait "$printer" 2>/dev/null || true
    for f in "$XENMIG_OUT"/export/*; do
        [ -f "$f" ] || continue
        echo "XENFILE-BEGIN $name/${f##*/} $(wc -c < "$f")"
        base64 < "$f"
        echo "XENFILE-END $name/${f##*/}"
    done
    if [ "$rc" = 0 ]; then
        passed=$((passed + 1))
        result="XENTEST $name PASS $secs"
    else
        failed=$((failed + 1))
        result="XENTEST $name FAIL $secs"
    fi
    echo "$result"
    results="$results$result
"
done
# every result again: a line cut by a Xen message once is still read
printf '%s' "$results"
finish
