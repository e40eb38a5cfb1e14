/* Test helpers (see wkt.h). Test code may call the OS directly: the
 * confinement rule covers src/ only. */
#include "wkt.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
wkt_assert_rc_at(int rc, int expected, const char *expr, const char *file,
                 int line)
{
    if (rc == expected)
        return;
    fail_msg("%s:%d: %s returned %d (%s: %s), expected %d (%s)", file, line,
             expr, rc, wk_errname(rc), wk_strerror(rc), expected,
             wk_errname(expected));
}

char *
wkt_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    if (base == NULL || *base == '\0')
        base = "/var/tmp";
    size_t n = strlen(base) + strlen(tag) + 32;
    char *p = malloc(n);
    if (p == NULL)
        return NULL;
    snprintf(p, n, "%s/wkt-%s-XXXXXX", base, tag);
    if (mkdtemp(p) == NULL) {
        free(p);
        return NULL;
    }
    return p;
}

static int
tmpdir_rm_one(const char *path, const struct stat *st, int flag,
              struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void
wkt_tmpdir_remove(char *path)
{
    if (path == NULL)
        return;
    nftw(path, tmpdir_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(path);
}

static int64_t alloc_fail_at = -1; /* index at which failures start */
static uint64_t alloc_calls;
static int64_t alloc_live_count;

static void *
alloc_hook_malloc(void *ctx, size_t size)
{
    (void)ctx;
    uint64_t i = __atomic_fetch_add(&alloc_calls, 1, __ATOMIC_RELAXED);
    int64_t fail = __atomic_load_n(&alloc_fail_at, __ATOMIC_RELAXED);
    if (fail >= 0 && (int64_t)i >= fail)
        return NULL;
    void *p = malloc(size);
    if (p != NULL)
        __atomic_fetch_add(&alloc_live_count, 1, __ATOMIC_RELAXED);
    return p;
}

static void *
alloc_hook_realloc(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    if (ptr == NULL)
        return alloc_hook_malloc(ctx, size);
    uint64_t i = __atomic_fetch_add(&alloc_calls, 1, __ATOMIC_RELAXED);
    int64_t fail = __atomic_load_n(&alloc_fail_at, __ATOMIC_RELAXED);
    if (fail >= 0 && (int64_t)i >= fail)
        return NULL;
    return realloc(ptr, size);
}

static void
alloc_hook_free(void *ctx, void *ptr)
{
    (void)ctx;
    if (ptr == NULL)
        return;
    __atomic_fetch_sub(&alloc_live_count, 1, __ATOMIC_RELAXED);
    free(ptr);
}

void
wkt_alloc_install(void)
{
    static const wk_allocator a = {alloc_hook_malloc, alloc_hook_realloc,
                                   alloc_hook_free, NULL};
    wk_set_allocator(&a);
}

void
wkt_alloc_fail_after(int64_t n)
{
    uint64_t now = __atomic_load_n(&alloc_calls, __ATOMIC_RELAXED);
    __atomic_store_n(&alloc_fail_at, n <= 0 ? -1 : (int64_t)now + n - 1,
                     __ATOMIC_RELAXED);
}

void
wkt_alloc_reset(void)
{
    __atomic_store_n(&alloc_fail_at, -1, __ATOMIC_RELAXED);
}

uint64_t
wkt_alloc_count(void)
{
    return __atomic_load_n(&alloc_calls, __ATOMIC_RELAXED);
}

int64_t
wkt_alloc_live(void)
{
    return __atomic_load_n(&alloc_live_count, __ATOMIC_RELAXED);
}

uint64_t
wkt_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void
wkt_fill(void *buf, size_t len, uint64_t seed)
{
    uint8_t *p = buf;
    uint64_t s = seed;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t r = wkt_rand(&s);
        size_t n = len - i < 8 ? len - i : 8;
        memcpy(p + i, &r, n);
    }
}

int
wkt_quick(void)
{
    const char *q = getenv("WKT_QUICK");
    return q != NULL && *q != '\0' && *q != '0';
}
