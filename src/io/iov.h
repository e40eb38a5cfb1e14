/* iovec bookkeeping for vectored writes that the kernel may cut short: a
 * position in an iovec array is (idx, skip) = iovec idx, skip bytes into
 * it. Pure functions, no system calls, so partial progress is unit-tested
 * directly (a regular file rarely writes short on demand). */
#ifndef WK_IO_IOV_H
#define WK_IO_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/* Fills win[0..max) with the remaining bytes of iov[0..cnt) from position
 * (idx, skip), skipping empty iovecs and stopping before *total would pass
 * limit. Returns the number of entries (0 when nothing is left). */
int wk__iov_window(const struct iovec *iov, int cnt, int idx, size_t skip,
                   struct iovec *win, int max, size_t limit, size_t *total);

/* Moves position (*idx, *skip) forward by n bytes (n no more than what is
 * left). */
void wk__iov_advance(const struct iovec *iov, int cnt, int *idx, size_t *skip,
                     size_t n);

#endif
