/*
 * fault.c - fault points for the tests that prove nothing is lost.
 *
 * Off unless $XENMIG_FAULT is set, and then only the one point it names
 * fires, once per process: e.g. XENMIG_FAULT=drop:iteration:1 makes the
 * sender cut its connection after the first batch of iteration 1,
 * drop:stop-and-copy after the first batch sent with the guest paused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

bool xm__fault(const char *fmt, ...)
{
    static bool fired;
    const char *want = getenv("XENMIG_FAULT");
    char point[64];
    va_list ap;

    if (!want || fired)
        return false;
    va_start(ap, fmt);
    vsnprintf(point, sizeof(point), fmt, ap);
    va_end(ap);
    if (strcmp(want, point) != 0)
        return false;
    fired = true;
    return true;
}
