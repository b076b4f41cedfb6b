#!/bin/sh
# make soak: 200 back-and-forth verified migrations of a busy guest and
# 10 concurrent ones between two sim hosts, counting lost and duplicated
# guests and memory mismatches (all must be 0); then the short version
# with every xenmig CLI process under valgrind (leaks fail it).
cd "$(dirname "$0")/.." || exit 1
sh tests/integration/soak.sh 200 10 || exit 1
VALGRIND="valgrind --leak-check=full --error-exitcode=9 -q" \
    sh tests/integration/soak.sh 10 4
