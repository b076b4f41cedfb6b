#!/usr/bin/env python3
"""migrate.py - QEMU's own live migration, measured next to xenmig's.

Two commands (python3 standard library only):

  migrate.py run --mode MODE [--ram-kib K] [--rate MIB/s] [--wset MIB]
                 [--downtime MS] [--bandwidth MIB/s] [--timeout S]
                 [--json-out FILE]
      boots the guest of make-guest.sh in a source QEMU (TCG), starts a
      destination QEMU with -incoming defer -S on loopback, waits for the
      guest's ready marker and --settle seconds, sets the same migration
      parameters on both (downtime-limit, max-bandwidth, and per MODE:
      default, auto-converge (QEMU's CPU throttle, its default steps),
      xbzrle (capability and cache size), multifd-zstd (2 channels,
      zstd), or several joined by "+"), migrates, polls query-migrate
      until it ends (each poll kept in "samples" for bench/plot.py; a
      migration still running after --timeout seconds is cancelled and
      reported with the bytes it had sent), then stops both
      and compares their whole RAM (pmemsave, sha256; the differing pages
      are counted when the hashes differ). Prints one JSON object. Exit 0
      only when the migration completed and the RAM matched: a broken run
      is reported as broken, never as a result.

  migrate.py capture --seconds N [--ram-kib K] [--rate R] [--wset W]
                     [--out FILE]
      boots the guest, lets the workload run N seconds, stops it and
      pmemsaves its RAM to bench/out/qemu/ram-<...>.img (a corpus for the
      codecs, and an image a sim domain can start from). N counts from
      the guest's ready marker, which dirty.c prints once its whole
      working set is written. bench/run.sh captures the QEMU
      comparison's idle guest this way every run, so the sim guests
      start from the bytes QEMU moves.

  Both take --initrd FILE --corpus N: boot bench/make-corpus.sh's
  initramfs, whose /init first builds the corpus workload (N copies of
  its files in tmpfs, compression, an awk heap; see make-guest.sh).

Order of a run: source and destination started -> QMP connected -> guest
ready + settle -> capabilities and parameters on both -> migrate-incoming
on the destination -> migrate on the source -> poll until completed,
failed or timeout -> destination out of "inmigrate" -> stop both ->
pmemsave both -> compare -> every QEMU stopped by PID (SIGTERM, then
SIGKILL), temporary files removed; also on any error or timeout.

Bytes on the wire: QEMU 7.2's "transferred" counts multifd pages before
compression (and multifd sends zero pages whole), so it cannot be
compared with xenmig's bytes. migrate.py therefore runs itself in a
private network namespace (unshare -n, loopback only, as root) where the
migration is the only IP traffic, and reports the IP octets sent during
the migration (IpExt OutOctets of /proc/net/netstat: payload plus TCP/IP
headers, about 0.1% on loopback) as wire_bytes, next to QEMU's own figure.
Without the namespace (--no-netns, or unshare not allowed) wire_bytes is
null.

The destination runs with -S so it stays paused after the hand-over:
otherwise the guest would run there before its RAM is saved and the two
copies could not be compared. QEMU's downtime is measured on the source
(from its stop to the end of the stream), so -S does not change it.
"""
import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(TOP, "bench", "out", "qemu")
QEMU = "qemu-system-x86_64"
READY = b"XENMIG-DIRTY-READY"
PAGE = 4096
# 8 KiB over 512 MiB: QEMU 7.2 under TCG loses dirty pages when guest RAM
# is a multiple of 256 KiB (see /work/shared/PLATFORM.md).
DEFAULT_RAM_KIB = 512 * 1024 + 8


class RunError(Exception):
    """Something in the run failed; the message says what and where."""


def deadline_loop(seconds, what, interval=0.1):
    """Yield until @seconds have passed, then raise RunError naming @what."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        yield
        time.sleep(interval)
    raise RunError(f"timed out after {seconds:.0f} s waiting for {what}")


class QMP:
    """A minimal QMP client over a unix socket, every read bounded."""

    def __init__(self, path, name, timeout=60):
        self.name = name
        self.sock = None
        for _ in deadline_loop(timeout, f"the QMP socket of {name}"):
            if os.path.exists(path):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    s.connect(path)
                    self.sock = s
                    break
                except OSError:
                    s.close()
        self.sock.settimeout(timeout)
        self.buf = b""
        self._read()  # greeting
        self.cmd("qmp_capabilities")

    def _read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RunError(f"QMP connection to {self.name} closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, execute, timeout=60, **args):
        msg = {"execute": execute}
        if args:
            msg["arguments"] = args
        self.sock.settimeout(timeout)
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self._read()
            if "event" in r:
                continue
            if "error" in r:
                raise RunError(f"{self.name}: {execute} failed: "
                               f"{r['error'].get('desc', r['error'])}")
            return r.get("return")

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None


class Guest:
    """One QEMU process; stopped by PID in stop()."""

    def __init__(self, work, name, ram_kib, rate, wset, incoming=False,
                 initrd=None, corpus=0):
        self.name = name
        self.qmp_path = os.path.join(work, f"{name}.qmp")
        self.serial = os.path.join(work, f"{name}.serial")
        self.log = os.path.join(work, f"{name}.log")
        self.ram_bytes = ram_kib * 1024
        self.qmp = None
        argv = [QEMU, "-accel", "tcg", "-m", f"{ram_kib}k",
                "-nodefaults", "-vga", "none", "-display", "none",
                "-kernel", os.path.join(OUT, "vmlinuz"),
                "-initrd", initrd or os.path.join(OUT, "initramfs.gz"),
                "-append", f"console=ttyS0 quiet dirty={rate}:{wset}" +
                (f" corpus={corpus}" if corpus else ""),
                "-serial", f"file:{self.serial}",
                "-qmp", f"unix:{self.qmp_path},server=on,wait=off"]
        if incoming:
            argv += ["-incoming", "defer", "-S"]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log)
        self.started = time.monotonic()

    def connect(self):
        self.qmp = QMP(self.qmp_path, self.name)

    def check_alive(self):
        if self.proc.poll() is not None:
            with open(self.log, "rb") as f:
                tail = f.read()[-500:].decode(errors="replace").strip()
            raise RunError(f"{self.name} QEMU exited with status "
                           f"{self.proc.returncode}: {tail}")

    def serial_text(self):
        try:
            with open(self.serial, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def wait_ready(self, timeout):
        for _ in deadline_loop(timeout, f"the guest's ready marker on "
                               f"{self.name}", 0.2):
            self.check_alive()
            if READY in self.serial_text():
                return time.monotonic() - self.started

    def pmemsave(self, path):
        self.qmp.cmd("pmemsave", timeout=300, val=0, size=self.ram_bytes,
                     filename=path)
        for _ in deadline_loop(60, f"{path} to be written"):
            if os.path.exists(path) and os.path.getsize(path) == self.ram_bytes:
                return
        # not reached: deadline_loop raises

    def stop(self):
        if self.qmp:
            self.qmp.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


NETNS_ENV = "XENMIG_QEMU_NETNS"


def enter_private_netns():
    """Re-exec under unshare -n once; True when in our own namespace."""
    if os.environ.get(NETNS_ENV) == "1":
        r = subprocess.run(["ip", "link", "set", "lo", "up"],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=10)
        return r.returncode == 0
    if shutil.which("unshare") and shutil.which("ip"):
        probe = subprocess.run(["unshare", "-n", "true"],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=10)
        if probe.returncode == 0:
            os.environ[NETNS_ENV] = "1"
            os.execvp("unshare", ["unshare", "-n", "--", sys.executable,
                                  os.path.abspath(__file__)] + sys.argv[1:])
    return False


def ip_out_octets():
    """IP octets sent in this network namespace so far."""
    with open("/proc/net/netstat") as f:
        lines = [l.split() for l in f if l.startswith("IpExt:")]
    return int(lines[1][lines[0].index("OutOctets")])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def file_hash(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return h.hexdigest()
            h.update(b)


def diff_pages(a, b):
    """Number of differing 4 KiB pages, and the first few pfns."""
    n, first = 0, []
    with open(a, "rb") as fa, open(b, "rb") as fb:
        pfn = 0
        while True:
            x, y = fa.read(PAGE * 256), fb.read(PAGE * 256)
            if not x and not y:
                return n, first
            for off in range(0, max(len(x), len(y)), PAGE):
                if x[off:off + PAGE] != y[off:off + PAGE]:
                    n += 1
                    if len(first) < 8:
                        first.append(hex(pfn + off // PAGE))
            pfn += 256


def last_rate(serial):
    """The last "dirty: X MiB/s" the guest printed, or None."""
    rate = None
    for line in serial.decode(errors="replace").splitlines():
        if line.startswith("dirty: ") and line.endswith(" MiB/s"):
            try:
                rate = float(line.split()[1])
            except ValueError:
                pass
    return rate


MODES = ("default", "auto-converge", "xbzrle", "multifd-zstd")


def mode_settings(mode, xbzrle_cache_mib):
    """(capabilities, parameters) a mode sets on both sides; modes
    combine with "+" (xbzrle+auto-converge)."""
    caps, params = [], {}
    for m in mode.split("+"):
        if m == "default":
            continue
        if m == "auto-converge":
            # QEMU's defaults: 20% throttle, +10% per step, up to 99%
            caps.append("auto-converge")
        elif m == "xbzrle":
            caps.append("xbzrle")
            params["xbzrle-cache-size"] = xbzrle_cache_mib << 20
        elif m == "multifd-zstd":
            caps.append("multifd")
            params.update({"multifd-channels": 2,
                           "multifd-compression": "zstd"})
        else:
            raise RunError(f"unknown mode \"{m}\" in \"{mode}\"")
    return caps, params


def check_mode(mode):
    """argparse type for --mode: known modes joined by "+"."""
    if not mode or any(m not in MODES for m in mode.split("+")):
        raise argparse.ArgumentTypeError(
            f"\"{mode}\": modes are {', '.join(MODES)}, joined by +")
    return mode


def run(args, work, netns):
    res = {"mode": args.mode, "ram_kib": args.ram_kib, "rate_mib": args.rate,
           "wset_mib": args.wset, "downtime_limit_ms": args.downtime,
           "max_bandwidth_mib": args.bandwidth, "timeout_s": args.timeout,
           "status": "not started",
           "ram_verified": False}
    guests = []
    try:
        src = Guest(work, "source", args.ram_kib, args.rate, args.wset,
                    initrd=args.initrd, corpus=args.corpus)
        guests.append(src)
        dst = Guest(work, "destination", args.ram_kib, args.rate, args.wset,
                    incoming=True, initrd=args.initrd, corpus=args.corpus)
        guests.append(dst)
        src.connect()
        dst.connect()
        res["guest_ready_s"] = round(src.wait_ready(args.boot_timeout), 2)
        time.sleep(args.settle)
        src.check_alive()
        res["guest_dirty_mib_s_before"] = last_rate(src.serial_text())
        res["private_netns"] = netns

        caps, params = mode_settings(args.mode, args.xbzrle_cache)
        for g in (src, dst):
            if caps:
                g.qmp.cmd("migrate-set-capabilities", capabilities=[
                    {"capability": c, "state": True} for c in caps])
            if params:
                g.qmp.cmd("migrate-set-parameters", **params)
        src.qmp.cmd("migrate-set-parameters",
                    **{"downtime-limit": args.downtime,
                       "max-bandwidth": args.bandwidth << 20})
        port = free_port()
        uri = f"tcp:127.0.0.1:{port}"
        dst.qmp.cmd("migrate-incoming", uri=uri)
        octets0 = ip_out_octets() if netns else None
        src.qmp.cmd("migrate", uri=uri)
        res["status"] = "active"
        info = {}
        samples = res["samples"] = []
        t_start = time.monotonic()
        try:
            for _ in deadline_loop(args.timeout, "the migration to end"):
                src.check_alive()
                info = src.qmp.cmd("query-migrate")
                ram = info.get("ram", {})
                # one sample per poll (0.1 s), for bench/plot.sh: the
                # pass (dirty-sync-count), bytes so far, what is left
                samples.append({
                    "t": round(time.monotonic() - t_start, 3),
                    "status": info.get("status"),
                    "sync": ram.get("dirty-sync-count"),
                    "transferred": ram.get("transferred"),
                    "remaining": ram.get("remaining"),
                    "dirty_pages_rate": ram.get("dirty-pages-rate"),
                    "mbps": ram.get("mbps"),
                    "throttle": info.get("cpu-throttle-percentage", 0),
                })
                if info.get("status") in ("completed", "failed", "cancelled"):
                    break
        except RunError:
            # timed out or interrupted: the guest stays on the source;
            # what was sent until then is kept (bytes spent in vain)
            res["status"] = "cancelled"
            res["wire_bytes"] = (ip_out_octets() - octets0 if netns
                                 else None)
            res["transferred_bytes"] = info.get("ram", {}).get("transferred")
            res["iterations"] = info.get("ram", {}).get("dirty-sync-count")
            res["throttle_max"] = max((x["throttle"] for x in samples),
                                      default=0)
            src.qmp.cmd("migrate_cancel")
            raise
        res["status"] = info.get("status")
        if res["status"] != "completed":
            raise RunError(f"migration {res['status']}: "
                           f"{info.get('error-desc', 'no reason given')}")
        if netns:
            res["wire_bytes"] = ip_out_octets() - octets0
        else:
            res["wire_bytes"] = None
        ram = info.get("ram", {})
        res["throttle_max"] = max((x["throttle"] for x in samples), default=0)
        res.update({
            "total_time_ms": info.get("total-time"),
            "downtime_ms": info.get("downtime"),
            "setup_time_ms": info.get("setup-time"),
            "transferred_bytes": ram.get("transferred"),
            "iterations": ram.get("dirty-sync-count"),
            "zero_pages": ram.get("duplicate"),
            "normal_pages": ram.get("normal"),
            "multifd_bytes": ram.get("multifd-bytes"),
            "mbps": ram.get("mbps"),
        })
        if "xbzrle-cache" in info:
            x = info["xbzrle-cache"]
            res["xbzrle"] = {k: x.get(k) for k in (
                "pages", "bytes", "cache-miss", "overflow",
                "encoding-rate")}

        for _ in deadline_loop(60, "the destination to leave inmigrate"):
            dst.check_alive()
            st = dst.qmp.cmd("query-status")["status"]
            if st != "inmigrate":
                break
        res["destination_state"] = st
        for g in (src, dst):
            g.qmp.cmd("stop")
        a, b = os.path.join(work, "source.ram"), os.path.join(work, "dest.ram")
        src.pmemsave(a)
        dst.pmemsave(b)
        ha, hb = file_hash(a), file_hash(b)
        res["ram_verified"] = ha == hb
        res["ram_sha256"] = ha
        if ha != hb:
            n, first = diff_pages(a, b)
            res["ram_diff_pages"] = n
            res["ram_diff_first_pfns"] = first
            res["error"] = (f"destination RAM differs from the source's in "
                            f"{n} pages: a broken migration, not a result")
    except (RunError, OSError, ValueError, KeyError, TypeError) as e:
        res.setdefault("error", str(e))
    finally:
        for g in guests:
            g.stop()
    return res


def capture(args, work):
    name = (f"ram-{args.ram_kib}k-r{args.rate}-w{args.wset}"
            f"-t{args.seconds}.img")
    out = args.out or os.path.join(OUT, name)
    res = {"ram_kib": args.ram_kib, "rate_mib": args.rate,
           "wset_mib": args.wset, "seconds": args.seconds, "image": out,
           "corpus": args.corpus}
    g = None
    t0 = time.monotonic()
    try:
        g = Guest(work, "capture", args.ram_kib, args.rate, args.wset,
                  initrd=args.initrd, corpus=args.corpus)
        g.connect()
        res["guest_ready_s"] = round(g.wait_ready(args.boot_timeout), 2)
        time.sleep(args.seconds)
        g.check_alive()
        g.qmp.cmd("stop")
        res["serial"] = g.serial_text()[-1500:].decode(errors="replace")
        part = os.path.join(work, "capture.ram")
        g.pmemsave(part)
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        shutil.move(part, out)
        res["sha256"] = file_hash(out)
        res["ok"] = True
        # boot, ready marker, --seconds, pmemsave: run.sh's cost per run
        res["elapsed_s"] = round(time.monotonic() - t0, 2)
    except (RunError, OSError, ValueError, KeyError) as e:
        res["ok"] = False
        res["error"] = str(e)
    finally:
        if g:
            g.stop()
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("run", "capture"):
        s = sub.add_parser(name)
        s.add_argument("--ram-kib", type=int, default=DEFAULT_RAM_KIB)
        s.add_argument("--rate", type=int, default=0, help="MiB/s, 0 idle")
        s.add_argument("--wset", type=int, default=256, help="MiB")
        s.add_argument("--boot-timeout", type=float, default=180)
        s.add_argument("--json-out")
        s.add_argument("--initrd", help="initramfs to boot (default "
                       "make-guest.sh's; make-corpus.sh makes one with "
                       "/corpus)")
        s.add_argument("--corpus", type=int, default=0,
                       help="corpus=N on the kernel command line: the "
                       "guest's /init copies /corpus N times into tmpfs, "
                       "compresses, and keeps an awk heap (0: off)")
        if name == "run":
            s.add_argument("--mode", default="default", type=check_mode,
                           help=f"{', '.join(MODES)}, or several joined "
                           "by + (xbzrle+auto-converge)")
            s.add_argument("--downtime", type=int, default=300, help="ms")
            s.add_argument("--bandwidth", type=int, default=1024,
                           help="MiB/s")
            s.add_argument("--xbzrle-cache", type=int, default=64,
                           help="MiB")
            s.add_argument("--settle", type=float, default=5,
                           help="seconds of workload before migrating")
            s.add_argument("--timeout", type=float, default=300,
                           help="seconds the migration may take")
            s.add_argument("--no-netns", action="store_true",
                           help="no private network namespace (and no "
                           "wire_bytes)")
        else:
            s.add_argument("--seconds", type=int, default=10)
            s.add_argument("--out")
    args = p.parse_args()
    if args.ram_kib % 256 == 0:
        print(f"migrate.py: warning: {args.ram_kib} KiB is a multiple of "
              f"256 KiB; QEMU 7.2 under TCG loses dirty pages there",
              file=sys.stderr)
    for f in ("vmlinuz", "initramfs.gz"):
        if not os.path.exists(os.path.join(OUT, f)):
            sys.exit(f"migrate.py: no {OUT}/{f}: run bench/qemu/make-guest.sh")
    netns = False
    if args.cmd == "run" and not args.no_netns:
        netns = enter_private_netns()
    # SIGTERM becomes a failed run: the QEMUs are stopped, the temporary
    # files removed and the JSON says what happened. Once only, so the
    # clean-up itself is not interrupted.
    def on_term(signum, _frame):
        signal.signal(signum, signal.SIG_IGN)
        raise RunError(f"interrupted by signal {signum}")
    signal.signal(signal.SIGTERM, on_term)
    work = tempfile.mkdtemp(prefix="xenmig-qemu.")
    try:
        res = (run(args, work, netns) if args.cmd == "run"
               else capture(args, work))
    finally:
        shutil.rmtree(work, onerror=lambda _f, path, exc: print(
            f"migrate.py: cannot remove \"{path}\": {exc[1]}",
            file=sys.stderr))
    text = json.dumps(res, indent=1)
    print(text)
    if args.json_out:
        with open(args.json_out, "w") as f:
            f.write(text + "\n")
    ok = res.get("ram_verified") if args.cmd == "run" else res.get("ok")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
