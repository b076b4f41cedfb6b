#!/bin/sh
# Build the packages and check them as a user gets them; CI runs it after
# 'make check', as root on Debian 12:
#   1. 'make deb', lintian on the result (fails on errors, shows the rest)
#   2. install the .debs; xenmig --version and --help, the man pages, the
#      bash completion through bash-completion's loader, a program built
#      against the installed libxenmig through pkg-config
#   3. purge them: nothing of theirs is left but directories that other
#      packages own too
#   4. 'make rpm' and list what each .rpm holds (rpm -qlp)
# It installs what it needs with scripts/install-deps.sh --packaging and
# purges the packages it installed, even when a check fails.
set -eu
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
START=$(date +%s)
WORK=$(mktemp -d /tmp/xenmig-pkg.XXXXXX)
INSTALLED=""

fail()
{
    echo "check-packages: FAIL: $*" >&2
    exit 1
}

note()
{
    echo "--- $*"
}

cleanup()
{
    [ -z "$INSTALLED" ] || dpkg --purge $INSTALLED > /dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" = 0 ] || fail "run it as root: it installs and purges packages"
scripts/install-deps.sh --packaging || fail "installing the packaging tools failed"

VERSION=$(dpkg-parsechangelog -S Version)
ARCH=$(dpkg --print-architecture)
PKGS="xenmig libxenmig-dev"
for p in $PKGS; do
    if dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q installed; then
        fail "$p is installed already; remove it first (dpkg --purge $p)"
    fi
done

note "make deb"
make deb || fail "make deb failed"
for p in $PKGS; do
    [ -f "dist/${p}_${VERSION}_$ARCH.deb" ] || fail "no dist/${p}_${VERSION}_$ARCH.deb"
done

note "lintian"
lintian --info --display-info --pedantic --fail-on error \
    "dist/xenmig_${VERSION}_$ARCH.changes" || fail "lintian found errors"

note "install"
# --path-include: minimal images tell dpkg to leave man pages out; these
# must go in, since the check is that they are there.
apt-get install -y -q --no-install-recommends \
    -o DPkg::Options::=--path-include=/usr/share/man/* \
    "./dist/xenmig_${VERSION}_$ARCH.deb" \
    "./dist/libxenmig-dev_${VERSION}_$ARCH.deb" > "$WORK/apt.log" 2>&1 \
    || fail "installing the packages failed: $(cat "$WORK/apt.log")"
INSTALLED=$PKGS
# Every path the packages own, "d PATH" or "f PATH", for after the purge.
for p in $PKGS; do
    dpkg -L "$p"
done | while read -r path; do
    if [ "$path" = /. ]; then
        continue
    elif [ -d "$path" ] && [ ! -L "$path" ]; then
        echo "d $path"
    else
        echo "f $path"
    fi
done | sort -u > "$WORK/owned"

note "xenmig"
[ "$(command -v xenmig)" = /usr/sbin/xenmig ] \
    || fail "xenmig is not /usr/sbin/xenmig but \"$(command -v xenmig)\""
out=$(xenmig --version) || fail "xenmig --version failed"
[ "$out" = "xenmig ${VERSION%-*}" ] || fail "xenmig --version says \"$out\""
xenmig --help > "$WORK/help" || fail "xenmig --help failed"
grep -q '^  migrate ' "$WORK/help" || fail "xenmig --help lists no migrate command"
[ -x /usr/lib/xenmig/xenmig-simd ] || fail "no /usr/lib/xenmig/xenmig-simd"

note "man pages"
for page in xenmig xenmig-stream; do
    where=$(man -w "$page") || fail "man -w $page finds nothing"
    echo "$page: $where"
    case $where in
    *.gz) ;;
    *) fail "$where is not compressed" ;;
    esac
    man -P cat "$page" > "$WORK/page" 2> "$WORK/page.err" || fail "man $page failed"
    [ -s "$WORK/page" ] || fail "man $page printed nothing"
done

note "bash completion"
cat > "$WORK/comp.bash" << 'EOF'
. /usr/share/bash-completion/bash_completion || exit 1
# what an interactive shell does on the first xenmig<TAB>
_completion_loader xenmig
complete -p xenmig | grep -q -- '-F _xenmig' || { echo "not loaded"; exit 1; }
comp()
{
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _xenmig
    echo "${COMPREPLY[*]}"
}
[ "$(comp xenmig mig)" = "migrate migrate-receive" ] || { echo "mig: $(comp xenmig mig)"; exit 1; }
[ "$(comp xenmig migrate --down)" = "--downtime" ] || { echo "--down: $(comp xenmig migrate --down)"; exit 1; }
EOF
bash "$WORK/comp.bash" > "$WORK/comp.out" 2>&1 \
    || fail "the bash completion does not work: $(cat "$WORK/comp.out")"

note "libxenmig-dev"
cat > "$WORK/consumer.c" << 'EOF'
#include <stdio.h>
#include <xenmig/xenmig.h>

int main(void)
{
    struct xm_migrate_params p;

    xm_migrate_params_init(&p);
    printf("%s\n", XM_VERSION_STRING);
    return 0;
}
EOF
cc -Wall -Werror $(pkg-config --cflags xenmig) -o "$WORK/consumer" \
    "$WORK/consumer.c" $(pkg-config --static --libs xenmig) \
    || fail "a program does not build against the installed libxenmig"
[ "$("$WORK/consumer")" = "${VERSION%-*}" ] || fail "the consumer did not run"

note "purge"
dpkg --purge $PKGS || fail "dpkg --purge failed"
INSTALLED=""
for p in $PKGS; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2> /dev/null || true)
    [ -z "$st" ] || [ "$st" = not-installed ] || fail "$p is still known to dpkg ($st)"
done
while read -r kind path; do
    if [ "$kind" = f ]; then
        [ ! -e "$path" ] && [ ! -L "$path" ] || fail "the purge left $path"
    elif [ -d "$path" ] && ! dpkg-query -S "$path" > /dev/null 2>&1; then
        fail "the purge left $path, which no other package owns"
    fi
done < "$WORK/owned"

note "make rpm"
make rpm || fail "make rpm failed"
RPMV=$(sed -n 's/^Version: *//p' xenmig.spec)
for f in dist/xenmig-"$RPMV"-*.rpm dist/xenmig-devel-"$RPMV"-*.rpm; do
    [ -f "$f" ] || fail "no $f"
    echo "$f:"
    rpm -qlp "$f" | tee "$WORK/rpm.list"
    [ -s "$WORK/rpm.list" ] || fail "$f is empty"
done
rpm -qlp dist/xenmig-"$RPMV"-*.rpm | grep -qx /usr/sbin/xenmig || fail "the rpm has no /usr/sbin/xenmig"

echo "check-packages: ok ($(( $(date +%s) - START )) s)"
