/* Path helpers for the io layer. */
#include "io/path.h"

#include <string.h>

#include "common/alloc.h"

char *
wk__path_dirname(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') /* trailing slashes */
        n--;
    while (n > 0 && path[n - 1] != '/') /* last component */
        n--;
    if (n == 0)
        return wk__strdup(".");
    while (n > 1 && path[n - 1] == '/') /* separator slashes */
        n--;
    char *d = wk__malloc(n + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, path, n);
    d[n] = '\0';
    return d;
}
