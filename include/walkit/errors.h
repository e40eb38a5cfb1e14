/* walkit error model.
 *
 * Every function that can fail returns int: 0 on success, a negative value
 * on failure. Operating-system errors pass through as -errno (-EIO,
 * -ENOSPC, -EBUSY, -EINVAL, -E2BIG, ...). Library errors are WK_E* codes in
 * the reserved range [WK_ERR_LAST, WK_ERR_FIRST], which no errno reaches.
 *
 * wk_strerror() is a superset of strerror(): it describes both kinds.
 * wk_errname() gives the symbolic name ("WK_ECORRUPT", "EIO"). */
#ifndef WALKIT_ERRORS_H
#define WALKIT_ERRORS_H

#include <stddef.h>

#include "walkit/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WK_ERR_FIRST (-30900)
#define WK_ERR_LAST (-30999)

/* X(NAME, value, message): the one list of library error codes. */
#define WK_ERRNO_MAP(X)                                                        \
    X(CORRUPT, -30900, "corrupt data: a record failed validation")             \
    X(POISONED, -30901,                                                        \
      "handle poisoned by an earlier I/O error; reopen to recover")            \
    X(FORMAT, -30902, "not a walkit file, or unsupported format version")      \
    X(FULL, -30903, "out of space in the log, journal or ring")                \
    X(GAP, -30904, "missing segment: sequence numbers have a gap")             \
    X(CLOSED, -30905, "handle is closing")                                     \
    X(NOTFOUND, -30906, "no such entry")                                       \
    X(RECYCLED, -30907, "entry was checkpointed and its space reclaimed")      \
    X(TIMEDOUT, -30908, "timed out waiting")                                   \
    X(CRASHED, -30909, "simulated power cut: the simulated disk is frozen")    \
    X(NOMEM, -30910, "out of memory")                                          \
    X(CANCELED, -30911, "operation canceled by the callback")

enum {
#define WK__ERR_ENUM(name, value, msg) WK_E##name = (value),
    WK_ERRNO_MAP(WK__ERR_ENUM)
#undef WK__ERR_ENUM
};

/* Describes rc (a WK_E* code or -errno; 0 gives "success"). Never NULL;
 * static storage; thread-safe. */
WK_API const char *wk_strerror(int rc);

/* Symbolic name of rc: "WK_ECORRUPT", "EIO", "OK" for 0, "E?" when unknown.
 * Static storage; thread-safe. */
WK_API const char *wk_errname(int rc);

/* Custom allocator used for every internal allocation. Each function gets
 * ctx back. realloc(ctx, NULL, n) must behave as malloc; free(ctx, NULL) is a
 * no-op. */
typedef struct wk_allocator {
    void *(*malloc)(void *ctx, size_t size);
    void *(*realloc)(void *ctx, void *ptr, size_t size);
    void (*free)(void *ctx, void *ptr);
    void *ctx;
} wk_allocator;

/* Installs a (copied) allocator; NULL restores malloc/realloc/free. Call it
 * before opening any handle: memory must be freed by the allocator that
 * allocated it. Not thread-safe with respect to other walkit calls. */
WK_API void wk_set_allocator(const wk_allocator *allocator);

#ifdef __cplusplus
}
#endif
#endif
