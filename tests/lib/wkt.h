/* Test helpers shared by every suite (cmocka). */
#ifndef WKT_H
#define WKT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "walkit.h"

/* Asserts rc == expected, printing both names on failure. */
#define wkt_assert_rc(rc, expected)                                            \
    wkt_assert_rc_at((rc), (expected), #rc, __FILE__, __LINE__)
#define wkt_assert_ok(rc) wkt_assert_rc((rc), 0)
void wkt_assert_rc_at(int rc, int expected, const char *expr, const char *file,
                      int line);

/* A fresh temp directory on the real disk ($TMPDIR, else /var/tmp), named
 * after the test; removed with its content by wkt_tmpdir_remove. Returns a
 * malloc'd path. */
char *wkt_tmpdir(const char *tag);
void wkt_tmpdir_remove(char *path); /* also frees path */

/* Failing allocator: after wkt_alloc_fail_after(n), the n-th allocation from
 * now (1 = the next) and every later one fail until wkt_alloc_reset().
 * wkt_alloc_count() counts allocations made through the hook;
 * wkt_alloc_live() is allocations not yet freed (leak check). */
void wkt_alloc_install(void);
void wkt_alloc_fail_after(int64_t n);
void wkt_alloc_reset(void);
uint64_t wkt_alloc_count(void);
int64_t wkt_alloc_live(void);

/* Deterministic pseudo-random numbers (splitmix64). */
uint64_t wkt_rand(uint64_t *state);
void wkt_fill(void *buf, size_t len, uint64_t seed);

/* Environment knob: WKT_SCALE (default 1) multiplies loop counts of slow
 * tests; WKT_QUICK=1 shrinks them for sanitizer runs. */
int wkt_quick(void);

/* The vfs fault loop the components share (wkt_fault.c). For n = 1,
 * 1 + step, ... until a run in which the fault no longer fires: a fresh
 * simulated disk from fresh(arg), the n-th vfs call of any kind failing
 * with `fault` (WK_SIM_FAULT_*), run(arg, sim, what) (open, workload and
 * close, with the component's own checks on the way), then the fault
 * disarmed and check(arg, what) after a plain reopen, and again after a
 * power cut (WK_SIM_DROP_ALL): the reopen in the same boot must not have
 * built on bytes that only the page cache held. what names the fault point
 * in messages (prefixed with name, if not NULL). Returns the number of
 * fault points run. */
typedef struct wkt_fault_loop_ops {
    wk_sim *(*fresh)(void *arg);
    void (*run)(void *arg, wk_sim *sim, const char *what);
    void (*check)(void *arg, const char *what);
    void *arg;
    const char *name;
} wkt_fault_loop_ops;
uint64_t wkt_fault_loop(const wkt_fault_loop_ops *ops, int fault, int step);

#endif
