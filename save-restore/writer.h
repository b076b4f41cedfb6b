/*
 * writer.h - a thread that writes one record to a stream while its owner
 * prepares the next: the sender encodes batch k + 1 while batch k goes
 * out, so compression overlaps the link (or its cap) instead of adding
 * to it.
 *
 * The order, all calls from the owner's thread:
 *   xm__writer_init()                 starts the thread (idle)
 *   xm__writer_post(record)           the thread writes it
 *   ... the owner works on the next record, touching neither the stream
 *       nor the posted pieces ...
 *   xm__writer_wait()                 the record is written (or failed);
 *                                     the stream is the owner's again
 *   xm__writer_dispose()              waits, ends the thread
 * One record at a time: post only after wait. While a record is posted
 * the stream belongs to the thread (its offset, error, pacing account):
 * the owner reads or writes it only after xm__writer_wait().
 */
#ifndef XM_WRITER_H
#define XM_WRITER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "stream.h"

struct xm_writer {
    struct xm_stream *st;   /* the stream records go to (not owned) */
    pthread_t thread;       /* the writing thread */
    pthread_mutex_t lock;   /* guards everything below */
    pthread_cond_t cond;    /* signalled on post, done and stop */
    bool started;           /* thread, lock and cond exist */
    bool busy;              /* a record is posted and not yet written */
    bool stop;              /* the thread is to exit */
    uint32_t type;          /* the posted record's type */
    const struct iovec *iov;/* its body's pieces (the owner's) */
    unsigned niov;          /* how many */
    int rc;                 /* 0 or the error of the last record */
    uint64_t bytes;         /* stream bytes the last record took */
    uint64_t ns;            /* time it took to write, pacing included */
};

/* Start an idle writer for @st. 0 or a negative errno. */
int xm__writer_init(struct xm_writer *w, struct xm_stream *st);

/*
 * Write record @type with body @iov[0..@niov) (xm_stream_write_record).
 * The writer must be idle; @iov and what it points at must stay as they
 * are until xm__writer_wait() returns.
 */
void xm__writer_post(struct xm_writer *w, uint32_t type,
                     const struct iovec *iov, unsigned niov);

/*
 * Wait until the posted record, if any, is written. Returns its result
 * (0 or the stream's sticky error); @bytes_r and @ns_r (may be NULL) get
 * what it took on the stream and how long. Idle: returns 0 and zeros.
 */
int xm__writer_wait(struct xm_writer *w, uint64_t *bytes_r, uint64_t *ns_r);

/* Wait for a posted record and end the thread. Idempotent. */
void xm__writer_dispose(struct xm_writer *w);

#endif /* XM_WRITER_H */
