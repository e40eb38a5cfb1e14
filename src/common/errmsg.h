/* Per-handle error message: what was being done, on which file, and why,
 * e.g. "fsync segment '00000017.wal': Input/output error". Each handle embeds
 * one; wk__errmsg_set formats it and returns rc so call sites read
 *   return wk__errmsg_set(&log->msg, rc, "fsync segment '%s'", name);
 */
#ifndef WK_COMMON_ERRMSG_H
#define WK_COMMON_ERRMSG_H

#include <pthread.h>
#include <stdarg.h>

typedef struct wk__errmsg {
    pthread_mutex_t lock;
    char text[512];
} wk__errmsg;

void wk__errmsg_init(wk__errmsg *m);
void wk__errmsg_destroy(wk__errmsg *m);
/* Formats "<what>: <wk_strerror(rc)>" into m and returns rc. */
int wk__errmsg_set(wk__errmsg *m, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* wk__errmsg_set with a va_list, for callers that take their own format. */
int wk__errmsg_vset(wk__errmsg *m, int rc, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* Copies the message into a thread-local buffer and returns it. */
const char *wk__errmsg_get(wk__errmsg *m);

#endif
