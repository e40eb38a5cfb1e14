/* Internal allocation: every allocation in the library goes through these,
 * so users (and tests, with a failing allocator) control all of it. */
#ifndef WK_COMMON_ALLOC_H
#define WK_COMMON_ALLOC_H

#include <stddef.h>

void *wk__malloc(size_t size);
void *wk__calloc(size_t count, size_t size); /* overflow-checked, zeroed */
void *wk__realloc(void *ptr, size_t size);
void wk__free(void *ptr);
char *wk__strdup(const char *s);
/* malloc'd "a/b" (a and b joined by one '/'); NULL on allocation failure. */
char *wk__path_join(const char *dir, const char *name);

#endif
