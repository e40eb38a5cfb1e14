/* Per-handle human-readable error messages (see errmsg.h). */
#include "common/errmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "walkit/errors.h"

void
wk__errmsg_init(wk__errmsg *m)
{
    pthread_mutex_init(&m->lock, NULL);
    m->text[0] = '\0';
}

void
wk__errmsg_destroy(wk__errmsg *m)
{
    pthread_mutex_destroy(&m->lock);
}

int
wk__errmsg_vset(wk__errmsg *m, int rc, const char *fmt, va_list ap)
{
    char what[384];
    vsnprintf(what, sizeof what, fmt, ap);
    pthread_mutex_lock(&m->lock);
    snprintf(m->text, sizeof m->text, "%s: %s", what, wk_strerror(rc));
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int
wk__errmsg_set(wk__errmsg *m, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wk__errmsg_vset(m, rc, fmt, ap);
    va_end(ap);
    return rc;
}

const char *
wk__errmsg_get(wk__errmsg *m)
{
    static _Thread_local char copy[512];
    pthread_mutex_lock(&m->lock);
    memcpy(copy, m->text, sizeof copy);
    pthread_mutex_unlock(&m->lock);
    return copy;
}
