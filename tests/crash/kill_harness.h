/* The harness of the real-kernel process-crash tests (posix backend,
 * public API only): a forked child works on a walkit store from several
 * threads and reports every acknowledgement through a pipe (one write() of
 * a 24-byte kt_rec per ack, atomic since < PIPE_BUF); the parent SIGKILLs it
 * after a seeded random delay, drains the pipe, reaps it, and the test then
 * reopens the store in-process and checks every acked item. A round runs
 * KT_LIVES lives in one directory, each child recovering what the previous
 * one left: life 1 is killed after 0.1-8 ms (often inside open/recovery),
 * the others after 50-500 ms. This proves process-crash safety and the real
 * backend, not power-cut safety (the page cache survives a SIGKILL).
 *
 * Users: test_log_kill.c, test_journal_kill.c. WKT_SEED=n reproduces a
 * run's data and kill delays (not its timing). */
#ifndef WKT_KILL_HARNESS_H
#define WKT_KILL_HARNESS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wkt.h"

#define KT_THREADS 4
#define KT_LIVES 3 /* per round, in one directory; life 1 is a short one */
#define KT_MAX_PRINTED 30      /* violations printed (all are counted) */
#define KT_WATCHDOG_S 60       /* parent: per phase */
#define KT_CHILD_WATCHDOG_S 30 /* child: whole life (killed far sooner) */
#define KT_DELAY_MIN_US 50000
#define KT_DELAY_MAX_US 500000
#define KT_SHORT_DELAY_MAX_US 8000 /* life 1: often inside open/recovery */

/* Pipe record from child to parent. */
enum { KT_ACK = 1, KT_CKPT, KT_CKPT_DONE, KT_DONE, KT_ERR, KT_READY };

typedef struct kt_rec {
    uint16_t type;
    uint8_t life;
    uint8_t thread;
    int32_t aux;      /* KT_ERR: the error code */
    uint64_t counter; /* per (life, thread) sequence number */
    uint64_t lsn;     /* log: LSN; journal: batch sequence; others: id */
} kt_rec;

_Static_assert(sizeof(kt_rec) == 24 && sizeof(kt_rec) < PIPE_BUF,
               "ack records must be written atomically");

typedef void (*kt_rec_fn)(void *arg, const kt_rec *r);

extern char kt_ctx[128]; /* "round 3 (seed 0x...) life 1" for messages */
extern char *kt_dir;     /* current temp dir (removed by kt_teardown) */

/* Names the phase being run and (re)arms the parent's watchdog for it. */
void kt_phase(const char *what);
/* Counts (and prints the first KT_MAX_PRINTED) violations, with kt_ctx. */
void kt_violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A seeded hash of (a, b, c). */
uint64_t kt_mix(uint64_t seed, uint64_t a, uint64_t b, uint64_t c);
uint64_t kt_now_us(void);
/* The run's base seed: WKT_SEED, or time ^ pid (printed once). */
uint64_t kt_base_seed(const char *name);
void kt_put32(uint8_t *p, uint32_t v);
uint32_t kt_get32(const uint8_t *p);
/* FNV-1a: the payloads' own checksum (independent of the library's). */
uint32_t kt_fnv(const uint8_t *p, size_t n);
/* Grows the array p (elements of elem bytes) to hold need; aborts on OOM. */
void *kt_grow(void *p, size_t *cap, size_t need, size_t elem);
/* Child: sends one record (one atomic write); exits if the parent is gone. */
void kt_send(int type, int life, int thread, uint64_t counter, uint64_t lsn,
             int aux);
/* Child: reports a failed library call (KT_ERR) and exits. */
void kt_child_fail(int life, int thread, uint64_t counter, int rc);
/* Parent: a violation for a child's KT_ERR record. */
void kt_report_child_err(const kt_rec *r, const char *what);
/* One life: forks fn(arg) (which must not return), hands its records to
 * on_rec(rec_arg) until the seeded delay of this life, SIGKILLs and reaps
 * it. 0 when our kill ended it; -1 (a violation) otherwise. */
int kt_life(void (*fn)(void *), void *arg, uint64_t seed, int life,
            kt_rec_fn on_rec, void *rec_arg);
/* Child: starts KT_THREADS threads, thread t running fn(args + t *
 * arg_size), then waits for the parent's SIGKILL (never returns). */
void kt_child_threads(int life, void *(*fn)(void *), void *args,
                      size_t arg_size) __attribute__((noreturn));
/* Parent: the common part of handling a child's record. A KT_ERR is
 * reported as a violation (what: the library call). Returns 1 when r has
 * type `type` and a valid life and thread (the caller records it), else 0
 * (a bad record is a violation). */
int kt_rec_ok(const kt_rec *r, int type, const char *what);
/* Parent: checks that ack r follows its thread's previous one (*acked:
 * the count so far) and advances *acked past it. */
void kt_ack_next(uint64_t *acked, const kt_rec *r);
/* Prints the suite's summary line (what: the acked items); fails the test
 * on any violation, or when nothing was verified. */
void kt_summary(const char *suite, const char *what, size_t total, int rounds,
                uint64_t base);
/* cmocka teardown: kills a child left behind, removes kt_dir. */
int kt_teardown(void **state);

#endif
