/* Path helpers for the io layer (pure string work, no system calls). */
#ifndef WK_IO_PATH_H
#define WK_IO_PATH_H

/* The directory part of path, allocated with wk__malloc (free with
 * wk__free), like POSIX dirname(3) without touching its argument:
 * "a/b" -> "a", "a/b/" -> "a", "/a" -> "/", "x" -> ".", "" -> ".".
 * NULL on allocation failure. */
char *wk__path_dirname(const char *path);

#endif
