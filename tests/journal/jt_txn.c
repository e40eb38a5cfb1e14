/* One-write transactions and checked reads for the journal suites (see
 * jt_txn.h). */
#include "jt_txn.h"

#include <stdlib.h>

#include "wkt.h"

void
jt_commit1(wk_journal *j, uint64_t off, const void *p, size_t n)
{
    wk_journal_txn *t = NULL;
    wkt_assert_ok(wk_journal_begin(j, &t));
    wkt_assert_ok(wk_journal_write(t, off, p, n));
    wkt_assert_ok(wk_journal_commit(t, NULL));
}

void
jt_expect(wk_journal *j, uint64_t off, const void *p, size_t n)
{
    uint8_t *got = malloc(n);
    wkt_assert_ok(wk_journal_read(j, off, n, got));
    assert_memory_equal(got, p, n);
    free(got);
}
