# 'make install DESTDIR=...' puts every file where the packages expect it
# and nothing else; the installed xenmig runs and finds the installed
# xenmig-simd; a program compiles and links against the installed headers
# and library through pkg-config; the bash completion completes commands,
# options and domain names; 'make uninstall' takes every file away again.
# The versions in the packaging agree with XM_VERSION_STRING.
. "$(dirname "$0")/lib.sh"

ROOT="$WORK/root"
# A make run by 'make check' must not join the parent's jobserver.
mk()
{
    MAKEFLAGS= MAKELEVEL= make -s -C "$TOP" "$@"
}

VERSION=$(sed -n 's/^#define XM_VERSION_STRING "\(.*\)"/\1/p' "$TOP/save-restore/xenmig.h")
[ -n "$VERSION" ] || fail "no XM_VERSION_STRING in save-restore/xenmig.h"

note "versions"
v=$(sed -n '1s/^xenmig (\([^-)]*\)-.*/\1/p' "$TOP/debian/changelog")
[ "$v" = "$VERSION" ] || fail "debian/changelog has $v, xenmig.h $VERSION"
v=$(sed -n 's/^Version: *//p' "$TOP/xenmig.spec")
[ "$v" = "$VERSION" ] || fail "xenmig.spec has $v, xenmig.h $VERSION"
for m in "$TOP"/man/*.[1-8]; do
    grep -q "^\.TH .*\"xenmig $VERSION\"" "$m" || fail "$m is not for xenmig $VERSION"
done

note "make install"
mk install DESTDIR="$ROOT" > "$WORK/install.log" 2>&1 \
    || fail "make install failed: $(cat "$WORK/install.log")"
cat > "$WORK/expected" << EOF
usr/include/xenmig/backend.h
usr/include/xenmig/sim-proto.h
usr/include/xenmig/sim.h
usr/include/xenmig/stream-format.h
usr/include/xenmig/xenmig.h
usr/lib/libxenmig.a
usr/lib/pkgconfig/xenmig.pc
usr/lib/xenmig/xenmig-simd
usr/sbin/xenmig
usr/share/bash-completion/completions/xenmig
usr/share/man/man1/xenmig.1
usr/share/man/man7/xenmig-stream.7
EOF
(cd "$ROOT" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort) > "$WORK/installed"
LC_ALL=C sort -o "$WORK/expected" "$WORK/expected"
cmp -s "$WORK/expected" "$WORK/installed" \
    || fail "installed files differ from the expected ones: $(diff "$WORK/expected" "$WORK/installed")"
for f in usr/sbin/xenmig usr/lib/xenmig/xenmig-simd; do
    [ -x "$ROOT/$f" ] || fail "$f is not executable"
done
for f in $(grep -v -e sbin/ -e xenmig-simd "$WORK/expected"); do
    [ ! -x "$ROOT/$f" ] || fail "$f is executable"
done
# The packaging compresses the man pages, not make install.
gzip -t "$ROOT/usr/share/man/man1/xenmig.1" 2> /dev/null && fail "xenmig.1 was compressed"

note "installed xenmig"
XM="$ROOT/usr/sbin/xenmig"
out=$("$XM" --version) || fail "xenmig --version failed"
[ "$out" = "xenmig $VERSION" ] || fail "xenmig --version says \"$out\""
"$XM" --help | grep -q migrate-receive || fail "xenmig --help lacks a command"

note "the installed xenmig runs the installed xenmig-simd"
"$XM" sim-host --socket "$WORK/a.sock" > "$WORK/a.log" 2>&1 &
SIM_PID=$!
PIDS="$PIDS $SIM_PID"
i=0
while [ ! -S "$WORK/a.sock" ]; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "xenmig sim-host did not start: $(cat "$WORK/a.log")"
    sleep 0.05
done
exe=$(readlink "/proc/$SIM_PID/exe")
[ "$exe" = "$ROOT/usr/lib/xenmig/xenmig-simd" ] \
    || fail "xenmig sim-host ran $exe, not the installed xenmig-simd"
"$XM" --sim-socket "$WORK/a.sock" sim-create -m 16 "web one" > /dev/null \
    || fail "sim-create with the installed xenmig failed"

note "a program using libxenmig"
PC="pkg-config --define-variable=prefix=$ROOT/usr"
export PKG_CONFIG_PATH="$ROOT/usr/lib/pkgconfig"
$PC --exists xenmig || fail "pkg-config cannot find xenmig.pc"
[ "$($PC --modversion xenmig)" = "$VERSION" ] || fail "xenmig.pc has version $($PC --modversion xenmig)"
libs=$($PC --static --libs xenmig)
for l in -lxenmig -llz4 -lzstd -lpthread; do
    echo " $libs " | grep -q -- " $l " || fail "pkg-config --static --libs xenmig lacks $l: $libs"
done
# Each installed header compiles on its own (it includes what it needs,
# and all of that is installed).
for h in $(cd "$ROOT/usr/include/xenmig" && ls); do
    printf '#include <xenmig/%s>\n' "$h" > "$WORK/h.c"
    cc -Wall -Werror $($PC --cflags xenmig) -c -o "$WORK/h.o" "$WORK/h.c" 2> "$WORK/cc.err" \
        || fail "xenmig/$h does not compile on its own: $(cat "$WORK/cc.err")"
done
cat > "$WORK/consumer.c" << 'EOF'
#include <stdio.h>
#include <xenmig/xenmig.h>
#include <xenmig/sim.h>

int main(void)
{
    struct xm_migrate_params p;
    struct xm_sim_config cfg;

    xm_migrate_params_init(&p);
    xm_sim_config_init(&cfg);
    if (xm_sim_parse_workload("uniform:10", &cfg) != 0)
        return 1;
    printf("%s\n", XM_VERSION_STRING);
    return 0;
}
EOF
# ${LDFLAGS-}: a sanitized library (make check-asan) needs the runtime too
cc -Wall -Werror $($PC --cflags xenmig) -o "$WORK/consumer" "$WORK/consumer.c" \
    $libs ${LDFLAGS-} 2> "$WORK/cc.err" || fail "the consumer does not build: $(cat "$WORK/cc.err")"
[ "$("$WORK/consumer")" = "$VERSION" ] || fail "the consumer did not run"

note "bash completion"
command -v bash > /dev/null || fail "no bash"
cat > "$WORK/comp.bash" << 'EOF'
source "$1/usr/share/bash-completion/completions/xenmig" || exit 1
complete -p xenmig | grep -q -- '-F _xenmig' || { echo "not registered"; exit 1; }
xm=$1/usr/sbin/xenmig
sock=$2
# comp WORD...: complete the last word, print the candidates a line each
comp()
{
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _xenmig
    printf '%s\n' "${COMPREPLY[@]}"
}
echo "== mig"; comp "$xm" mig
echo "== --down"; comp "$xm" migrate --down
echo "== --thr"; comp "$xm" migrate --thr
echo "== domain"; comp "$xm" --sim-socket "$sock" pause we
echo "== host"; comp "$xm" --sim-socket "$sock" migrate --downtime 50 vm1 localh
EOF
bash "$WORK/comp.bash" "$ROOT" "$WORK/a.sock" > "$WORK/comp.out" 2>&1 \
    || fail "the completion does not load: $(cat "$WORK/comp.out")"
# section NAME: the candidates printed under "== NAME"
section()
{
    awk -v s="== $1" '$0 == s { on = 1; next } /^== / { on = 0 } on' "$WORK/comp.out"
}
section mig | grep -qx migrate || fail "xenmig mig<TAB> does not offer migrate: $(section mig)"
section mig | grep -vq '^mig' && fail "xenmig mig<TAB> offers more: $(section mig)"
[ "$(section --down)" = "--downtime" ] || fail "migrate --down<TAB> gives \"$(section --down)\", not --downtime"
[ "$(section --thr | wc -l)" -eq 4 ] || fail "migrate --thr<TAB> gives \"$(section --thr)\", not the four --throttle-* options"
[ "$(section domain)" = 'web\ one' ] || fail "pause we<TAB> gives \"$(section domain)\", not the domain 'web one'"
section host | grep -qx localhost || fail "migrate ... localh<TAB> does not offer localhost: $(section host)"

note "make uninstall"
mk uninstall DESTDIR="$ROOT" > "$WORK/uninstall.log" 2>&1 \
    || fail "make uninstall failed: $(cat "$WORK/uninstall.log")"
left=$(cd "$ROOT" && find . ! -type d)
[ -z "$left" ] || fail "make uninstall left: $left"
for d in usr/lib/xenmig usr/include/xenmig; do
    [ ! -d "$ROOT/$d" ] || fail "make uninstall left the directory $d"
done
echo "ok"
