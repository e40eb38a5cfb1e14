/* Allocator hook: the default is the C library; wk_set_allocator swaps it. */
#include "common/alloc.h"

#include <stdlib.h>
#include <string.h>

#include "walkit/errors.h"
#include "walkit/vfs.h"

static void *
alloc_default_malloc(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
}

static void *
alloc_default_realloc(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    return realloc(ptr, size);
}

static void
alloc_default_free(void *ctx, void *ptr)
{
    (void)ctx;
    free(ptr);
}

static wk_allocator alloc_current = {
    alloc_default_malloc, alloc_default_realloc, alloc_default_free, NULL};

void
wk_set_allocator(const wk_allocator *allocator)
{
    if (allocator == NULL) {
        alloc_current.malloc = alloc_default_malloc;
        alloc_current.realloc = alloc_default_realloc;
        alloc_current.free = alloc_default_free;
        alloc_current.ctx = NULL;
        return;
    }
    alloc_current = *allocator;
}

void *
wk__malloc(size_t size)
{
    return alloc_current.malloc(alloc_current.ctx, size ? size : 1);
}

void *
wk__calloc(size_t count, size_t size)
{
    if (size != 0 && count > (size_t)-1 / size)
        return NULL;
    void *p = wk__malloc(count * size);
    if (p != NULL)
        memset(p, 0, count * size);
    return p;
}

void *
wk__realloc(void *ptr, size_t size)
{
    return alloc_current.realloc(alloc_current.ctx, ptr, size ? size : 1);
}

void
wk__free(void *ptr)
{
    if (ptr != NULL)
        alloc_current.free(alloc_current.ctx, ptr);
}

void
wk_free(void *ptr)
{
    wk__free(ptr);
}

char *
wk__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = wk__malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

char *
wk__path_join(const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    char *p = wk__malloc(dl + 1 + nl + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, dir, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, name, nl + 1);
    return p;
}
