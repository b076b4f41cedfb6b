/*
 * writer.c - the record-writing thread (see writer.h).
 *
 * Entry points: xm__writer_init(), _post(), _wait(), _dispose(). One
 * mutex and one condition variable; the thread sleeps until a record is
 * posted, writes it with xm_stream_write_record() outside the lock, and
 * signals the owner.
 */
#include <errno.h>
#include <string.h>

#include "private.h"
#include "writer.h"

static void *writer_main(void *opaque)
{
    struct xm_writer *w = opaque;

    pthread_mutex_lock(&w->lock);
    for (;;) {
        uint64_t t0, off0;
        int rc;

        while (!w->busy && !w->stop)
            pthread_cond_wait(&w->cond, &w->lock);
        if (!w->busy)
            break;
        pthread_mutex_unlock(&w->lock);
        t0 = xm__now_ns();
        off0 = w->st->offset;
        rc = xm_stream_write_record(w->st, w->type, w->iov, w->niov);
        pthread_mutex_lock(&w->lock);
        w->rc = rc;
        w->bytes = w->st->offset - off0;
        w->ns = xm__now_ns() - t0;
        w->busy = false;
        pthread_cond_broadcast(&w->cond);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int xm__writer_init(struct xm_writer *w, struct xm_stream *st)
{
    int r;

    memset(w, 0, sizeof(*w));
    w->st = st;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    r = pthread_create(&w->thread, NULL, writer_main, w);
    if (r) {
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        return -r;
    }
    w->started = true;
    return 0;
}

void xm__writer_post(struct xm_writer *w, uint32_t type,
                     const struct iovec *iov, unsigned niov)
{
    pthread_mutex_lock(&w->lock);
    w->type = type;
    w->iov = iov;
    w->niov = niov;
    w->busy = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

int xm__writer_wait(struct xm_writer *w, uint64_t *bytes_r, uint64_t *ns_r)
{
    int rc;

    pthread_mutex_lock(&w->lock);
    while (w->busy)
        pthread_cond_wait(&w->cond, &w->lock);
    rc = w->rc;
    if (bytes_r)
        *bytes_r = w->bytes;
    if (ns_r)
        *ns_r = w->ns;
    w->rc = 0;
    w->bytes = w->ns = 0;
    pthread_mutex_unlock(&w->lock);
    return rc;
}

void xm__writer_dispose(struct xm_writer *w)
{
    if (!w->started)
        return;
    xm__writer_wait(w, NULL, NULL);
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    w->started = false;
}
