/* Shared by the journal unit suites: one-write transactions and checked
 * reads (cmocka assertions). */
#ifndef JT_TXN_H
#define JT_TXN_H

#include <stddef.h>
#include <stdint.h>

#include "walkit.h"

/* Commits one transaction writing n bytes of p at off; asserts success. */
void jt_commit1(wk_journal *j, uint64_t off, const void *p, size_t n);
/* Reads n bytes at off through j; asserts they equal p. */
void jt_expect(wk_journal *j, uint64_t off, const void *p, size_t n);

#endif
