#!/bin/sh
# make check-asan: build a copy of the tree with AddressSanitizer and
# UndefinedBehaviorSanitizer and run every test against it (the Check
# suites, then the integration scripts, which drive the sanitized
# xenmig and xenmig-simd). Any sanitizer report fails the run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/xenmig-asan.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
# a copy, so the sanitized objects never mix with the normal build (and
# without bench/out, where the memory-image corpus takes gigabytes)
(cd "$top" && tar cf - --exclude='*.o' --exclude='*.a' --exclude=dist \
    --exclude=.git --exclude=./bench/out --exclude=./tests/out .) |
    (cd "$work" && tar xf -)
cd "$work"
make clean > /dev/null
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# exported, so a make the tests run themselves (test-install) builds alike
export OPT="-O1 $san" LDFLAGS="$san"
make -j2 progs tests > build.log 2>&1 || { tail -n 30 build.log; exit 1; }
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
tests/run-all.sh $(ls tests/check-* | grep -v '\.[ch]$')
