/*
 * log.c - the library's one way to speak: format only what passes the
 * caller's level, then hand it to the caller's logger.
 */
#include <stdarg.h>

#include "private.h"

void xm__log(struct xm_logger *lg, enum xm_log_level level, int errnoval,
             int domid, const char *fmt, ...)
{
    va_list ap;

    if (!lg || !lg->log || level < lg->min_level)
        return;
    va_start(ap, fmt);
    lg->log(lg, level, errnoval, domid, fmt, ap);
    va_end(ap);
}
