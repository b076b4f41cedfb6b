#!/bin/sh
# Run every test: the Check suites given as arguments, then each
# tests/integration/test-*.sh. Prints each result and, last, one line
# "N passed, N failed" counting Check cases and integration scripts.
# Exit status 0 only if nothing failed.
cd "$(dirname "$0")/.." || exit 1
mkdir -p tests/out
passed=0
failed=0
for t in "$@"; do
    echo "== $t"
    out=$("$t" 2>&1)
    rc=$?
    echo "$out" | tail -n 20
    line=$(echo "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
    checks=$(echo "$line" | sed -n 's/.*Checks: \([0-9]*\).*/\1/p')
    fails=$(echo "$line" | sed -n 's/.*Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2/p')
    if [ -z "$checks" ]; then
        echo "$t: no Check summary (exit $rc)"
        failed=$((failed + 1))
        continue
    fi
    set -- $fails "$@"
    bad=$(( $1 + $2 ))
    shift 2
    passed=$((passed + checks - bad))
    failed=$((failed + bad))
    [ $rc -eq 0 ] || [ $bad -gt 0 ] || failed=$((failed + 1))
done
for t in tests/integration/test-*.sh; do
    name=$(basename "$t" .sh)
    echo "== $name"
    start=$(date +%s)
    if sh "$t" > "tests/out/$name.log" 2>&1; then
        echo "PASS $name ($(( $(date +%s) - start )) s)"
        passed=$((passed + 1))
    else
        echo "FAIL $name ($(( $(date +%s) - start )) s); its log:"
        tail -n 40 "tests/out/$name.log"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
