/* iovec bookkeeping for partial vectored writes (see iov.h). */
#include "io/iov.h"

int
wk__iov_window(const struct iovec *iov, int cnt, int idx, size_t skip,
               struct iovec *win, int max, size_t limit, size_t *total)
{
    int n = 0;
    size_t sum = 0;
    for (int i = idx; i < cnt && n < max && sum < limit; i++) {
        size_t s = i == idx ? skip : 0;
        size_t l = iov[i].iov_len - s;
        if (l == 0)
            continue;
        if (l > limit - sum)
            l = limit - sum;
        win[n].iov_base = (char *)iov[i].iov_base + s;
        win[n].iov_len = l;
        sum += l;
        n++;
    }
    *total = sum;
    return n;
}

void
wk__iov_advance(const struct iovec *iov, int cnt, int *idx, size_t *skip,
                size_t n)
{
    while (*idx < cnt) {
        size_t avail = iov[*idx].iov_len - *skip;
        if (n < avail) {
            *skip += n;
            return;
        }
        n -= avail;
        (*idx)++;
        *skip = 0;
    }
}
