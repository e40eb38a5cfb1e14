/* Internals shared by the log oracle's files (log_oracle.c: the oracle and
 * the scenario helpers; log_oracle_check.c: the checks after a crash;
 * log_crashloop.c: the crash loop). Not for tests: use log_oracle.h. */
#ifndef WKT_LOG_ORACLE_INT_H
#define WKT_LOG_ORACLE_INT_H

#include <pthread.h>

#include "log_oracle.h"

#define WKO_MAGIC 0x45544B57u /* "WKTE" */
#define WKO_HDR 16u
#define WKO_MAX_READ (4u << 20)
#define WKO_MAX_MSGS 4
#define WKO_MAX_OPEN 8
#define WKO_WATCHDOG_S 120
#define WKO_MAX_POINTS 20000
#define WKO_MAX_RPOINTS 2000

enum {
    ST_PENDING = 0, /* call in progress, or never returned */
    ST_APPENDED,    /* call returned 0, not yet known durable */
    ST_ACKED,       /* known durable */
    ST_FAILED,      /* call returned an error: may or may not exist */
    ST_REJECTED,    /* refused (-E2BIG...): must never appear */
    ST_ROLLEDBACK,  /* stream rolled back: must never appear */
    ST_LOST,        /* absent after a recovery: must never reappear */
};

typedef struct wko_ent {
    uint32_t writer;
    uint32_t counter;
    uint32_t len;
    uint32_t gen; /* handle generation it was appended on */
    uint64_t lsn; /* 0: unknown */
    uint8_t state;
    uint8_t in_store;
    uint8_t seen;
} wko_ent;

typedef struct wko_writer_s {
    uint32_t *ids;
    size_t n, cap;
    uint64_t last_lsn;
} wko_writer_s;

typedef struct wko_rec {
    uint32_t id;
    uint64_t lsn;
} wko_rec;

typedef struct wko_reclist {
    wko_rec *v;
    size_t n, cap;
} wko_reclist;

struct wko_run {
    const wko_scenario *sc;
    wk_sim *sim;
    wk_vfs *vfs;
    char dir[32];
    pthread_mutex_t mu;

    wko_ent *ents;
    size_t nents, capents;
    wko_writer_s *writers;
    size_t nwriters, capwriters;

    struct {
        wk_log *log;
        uint32_t gen;
    } open[WKO_MAX_OPEN];
    int nopen;
    uint32_t gen;

    wko_reclist *collect; /* where recover_fn puts entries */
    uint64_t ckpt_ok_max; /* highest upto a checkpoint_fn returned 0 for */
    uint64_t max_recovered;
    uint64_t torn_seen;  /* recoveries that reported a torn tail */
    uint64_t last_ckpt;  /* checkpoint_lsn of the last checked recovery */
    uint64_t lost_seen;  /* entries turned lost by a recovery */
    uint64_t ckpt_calls; /* checkpoint_fn calls (for failure injection) */

    uint64_t nfail;
    char msgs[WKO_MAX_MSGS][640];
};

/* log_oracle.c */
void wko__reclist_push(wko_reclist *l, uint32_t id, uint64_t lsn);
void wko__reclist_free(wko_reclist *l);
int64_t wko__read_entry(wko_run *r, const wk_log_entry *e, const char *where);
int wko__open_collect_opts(wko_run *r, const wk_log_opts *opts, wko_reclist *l,
                           wk_log **out, wk_log_report *rep);
int wko__open_collect(wko_run *r, int read_only, wk_recovery_policy pol,
                      wko_reclist *l, wk_log **out, wk_log_report *rep);
void wko__check_recovered(wko_run *r, const wko_reclist *l,
                          const wk_log_report *rep, int promote,
                          const char *label);
uint64_t wko__max_claimed_lsn(wko_run *r, uint64_t ckpt);
void wko__unregister(wko_run *r, wk_log *log, uint32_t *gen);

/* log_oracle_check.c */
int wko__same_list(const wko_reclist *a, const wko_reclist *b);
void wko__report_str(const wk_log_report *rep, char *buf, size_t n);
int wko__readonly_pass(wko_run *r, wko_reclist *ro, const char *label);
void wko__check_after_crash_expect(wko_run *r, int post_policy, uint64_t seed,
                                   const wko_reclist *expect,
                                   wk_recovery_policy pol);

#endif
