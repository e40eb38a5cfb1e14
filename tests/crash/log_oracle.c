/* Crash-loop harness and oracle for wk_log (see log_oracle.h): the oracle
 * state, the scenario helpers that record what was promised, and the check
 * of a recovery against it. Public API only: include/walkit/log.h and the
 * sim backend of include/walkit/vfs.h. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_oracle_int.h"
#include "wkt.h"

static const char *const st_names[] = {
    "pending", "appended", "acked", "failed", "rejected", "rolledback", "lost"};

/* ---- small utilities -------------------------------------------------- */

static void
wko_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
wko_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void *
wko_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "log_oracle: out of memory\n");
        abort();
    }
    return p;
}

static void *
wko_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        fprintf(stderr, "log_oracle: out of memory\n");
        abort();
    }
    return q;
}

void
wko_payload(void *buf, uint32_t writer, uint32_t counter, uint32_t len)
{
    uint8_t *p = buf;
    uint8_t hdr[WKO_HDR];
    wko_put32(hdr, WKO_MAGIC);
    wko_put32(hdr + 4, writer);
    wko_put32(hdr + 8, counter);
    wko_put32(hdr + 12, len);
    memcpy(p, hdr, len < WKO_HDR ? len : WKO_HDR);
    if (len > WKO_HDR)
        wkt_fill(p + WKO_HDR, len - WKO_HDR,
                 ((uint64_t)writer << 32) ^ (counter * 0x9E3779B97F4A7C15ull) ^
                     len);
}

void
wko__reclist_push(wko_reclist *l, uint32_t id, uint64_t lsn)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = wko_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n].id = id;
    l->v[l->n].lsn = lsn;
    l->n++;
}

void
wko__reclist_free(wko_reclist *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* ---- failures --------------------------------------------------------- */

void
wko_fail(wko_run *r, const char *fmt, ...)
{
    pthread_mutex_lock(&r->mu);
    if (r->nfail < WKO_MAX_MSGS) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->msgs[r->nfail], sizeof r->msgs[0], fmt, ap);
        va_end(ap);
    }
    r->nfail++;
    pthread_mutex_unlock(&r->mu);
}

int
wko_failed(wko_run *r)
{
    pthread_mutex_lock(&r->mu);
    int f = r->nfail != 0;
    pthread_mutex_unlock(&r->mu);
    return f;
}

void
wko_print_failures(wko_run *r, const char *ctx)
{
    pthread_mutex_lock(&r->mu);
    for (uint64_t i = 0; i < r->nfail && i < WKO_MAX_MSGS; i++)
        fprintf(stderr, "  VIOLATION [%s]: %s\n", ctx, r->msgs[i]);
    if (r->nfail > WKO_MAX_MSGS)
        fprintf(stderr, "  ... and %llu more violations [%s]\n",
                (unsigned long long)(r->nfail - WKO_MAX_MSGS), ctx);
    pthread_mutex_unlock(&r->mu);
}

/* ---- the run ---------------------------------------------------------- */

wko_run *
wko_run_new(const wko_scenario *sc, uint64_t seed)
{
    wko_run *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->sc = sc;
    pthread_mutex_init(&r->mu, NULL);
    snprintf(r->dir, sizeof r->dir, "/log");
    wk_sim_opts so;
    wk_sim_opts_init(&so);
    so.seed = seed ? seed : 1;
    so.trace = sc->trace;
    so.capacity = sc->capacity;
    int rc = wk_sim_create(&so, &r->sim);
    if (rc != 0) {
        fprintf(stderr, "log_oracle: wk_sim_create: %s\n", wk_errname(rc));
        pthread_mutex_destroy(&r->mu);
        free(r);
        return NULL;
    }
    r->vfs = wk_sim_vfs(r->sim);
    return r;
}

void
wko_run_free(wko_run *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < r->nopen; i++)
        wk_log_close(r->open[i].log);
    r->nopen = 0;
    wk_sim_destroy(r->sim);
    for (size_t i = 0; i < r->nwriters; i++)
        free(r->writers[i].ids);
    free(r->writers);
    free(r->ents);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

wk_sim *
wko_sim(wko_run *r)
{
    return r->sim;
}

wk_vfs *
wko_vfs(wko_run *r)
{
    return r->vfs;
}

const char *
wko_dir(wko_run *r)
{
    return r->dir;
}

int
wko_writer(wko_run *r)
{
    pthread_mutex_lock(&r->mu);
    if (r->nwriters == r->capwriters) {
        r->capwriters = r->capwriters ? 2 * r->capwriters : 16;
        r->writers =
            wko_xrealloc(r->writers, r->capwriters * sizeof *r->writers);
    }
    int w = (int)r->nwriters++;
    memset(&r->writers[w], 0, sizeof r->writers[w]);
    pthread_mutex_unlock(&r->mu);
    return w;
}

/* New oracle entry for writer's next counter; under r->mu. */
static uint32_t
ent_new_locked(wko_run *r, int writer, uint32_t len, uint32_t gen)
{
    if (r->nents == r->capents) {
        r->capents = r->capents ? 2 * r->capents : 256;
        r->ents = wko_xrealloc(r->ents, r->capents * sizeof *r->ents);
    }
    uint32_t id = (uint32_t)r->nents++;
    wko_writer_s *w = &r->writers[writer];
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 64;
        w->ids = wko_xrealloc(w->ids, w->cap * sizeof *w->ids);
    }
    wko_ent *e = &r->ents[id];
    memset(e, 0, sizeof *e);
    e->writer = (uint32_t)writer;
    e->counter = (uint32_t)w->n;
    e->len = len;
    e->gen = gen;
    e->state = ST_PENDING;
    w->ids[w->n++] = id;
    return id;
}

static uint32_t
gen_of_locked(wko_run *r, wk_log *log)
{
    for (int i = 0; i < r->nopen; i++)
        if (r->open[i].log == log)
            return r->open[i].gen;
    return 0;
}

/* Identifies a recovered payload: its oracle id, or -1 (reason in why). */
static int64_t
identify(wko_run *r, const uint8_t *buf, uint64_t len, char *why, size_t wn)
{
    if (len < WKO_HDR) {
        snprintf(why, wn, "too short for a test payload");
        return -1;
    }
    if (wko_get32(buf) != WKO_MAGIC) {
        snprintf(why, wn, "bad magic %08x", wko_get32(buf));
        return -1;
    }
    uint32_t w = wko_get32(buf + 4), c = wko_get32(buf + 8),
             l = wko_get32(buf + 12);
    if (l != len) {
        snprintf(why, wn, "length field %u != entry length %llu (w%u c%u)", l,
                 (unsigned long long)len, w, c);
        return -1;
    }
    pthread_mutex_lock(&r->mu);
    int64_t id = -1;
    if (w < r->nwriters && c < r->writers[w].n) {
        id = r->writers[w].ids[c];
        if (r->ents[id].len != len)
            id = -2;
    }
    pthread_mutex_unlock(&r->mu);
    if (id == -1) {
        snprintf(why, wn, "unknown writer/counter w%u c%u", w, c);
        return -1;
    }
    if (id == -2) {
        snprintf(why, wn, "w%u c%u has another length", w, c);
        return -1;
    }
    uint8_t *exp = wko_xmalloc(len);
    wko_payload(exp, w, c, (uint32_t)len);
    int same = memcmp(exp, buf, len) == 0;
    uint64_t at = 0;
    if (!same)
        while (at < len && exp[at] == buf[at])
            at++;
    free(exp);
    if (!same) {
        snprintf(why, wn, "w%u c%u bytes differ from offset %llu", w, c,
                 (unsigned long long)at);
        return -1;
    }
    return id;
}

/* Reads and identifies one entry (recover_fn, checkpoint iterator).
 * Returns the id, -1 for garbage (violation recorded), or an error rc
 * (< -1) when the read failed on a frozen disk. */
int64_t
wko__read_entry(wko_run *r, const wk_log_entry *e, const char *where)
{
    if (e->len > WKO_MAX_READ) {
        wko_fail(r, "%s: entry lsn %llu has length %llu > test maximum", where,
                 (unsigned long long)e->lsn, (unsigned long long)e->len);
        return -1;
    }
    uint8_t *buf = wko_xmalloc((size_t)e->len);
    int rc = wk_log_entry_read(e, 0, buf, (size_t)e->len);
    if (rc != 0) {
        free(buf);
        if (wk_sim_frozen(r->sim) || wk_sim_fault_fired(r->sim))
            return rc < -1 ? rc : -2;
        wko_fail(r, "%s: wk_log_entry_read(lsn %llu, len %llu) = %s", where,
                 (unsigned long long)e->lsn, (unsigned long long)e->len,
                 wk_errname(rc));
        return -1;
    }
    if (e->data != NULL && memcmp(e->data, buf, (size_t)e->len) != 0)
        wko_fail(r, "%s: lsn %llu: e->data differs from wk_log_entry_read",
                 where, (unsigned long long)e->lsn);
    char why[160];
    int64_t id = identify(r, buf, e->len, why, sizeof why);
    if (id < 0) {
        wko_fail(r, "%s: garbage entry lsn %llu len %llu: %s", where,
                 (unsigned long long)e->lsn, (unsigned long long)e->len, why);
        id = -1;
    }
    free(buf);
    return id;
}

static int
wko_recover_fn(void *arg, const wk_log_entry *e)
{
    wko_run *r = arg;
    int64_t id = wko__read_entry(r, e, "recover_fn");
    if (id < -1)
        return (int)id;
    if (id >= 0 && r->collect != NULL)
        wko__reclist_push(r->collect, (uint32_t)id, e->lsn);
    return 0;
}

static int
wko_checkpoint_fn(void *arg, wk_log_iter *it, uint64_t upto)
{
    wko_run *r = arg;
    wko_reclist got = {0};
    uint64_t prev = 0;
    int rc;
    pthread_mutex_lock(&r->mu);
    uint64_t call = r->ckpt_calls++;
    pthread_mutex_unlock(&r->mu);
    int fail = r->sc->ckpt_fail_every > 0 &&
               call % (uint64_t)r->sc->ckpt_fail_every == 0;
    for (;;) {
        wk_log_entry e;
        rc = wk_log_iter_next(it, &e, 0);
        if (rc == WK_ENOTFOUND) {
            rc = 0;
            break;
        }
        if (fail && got.n > 0) {
            rc = -EIO; /* the user's store failed part-way */
            goto out;
        }
        if (rc != 0) {
            if (!wk_sim_frozen(r->sim) && !wk_sim_fault_fired(r->sim))
                wko_fail(r, "checkpoint iterator: %s (upto %llu)",
                         wk_errname(rc), (unsigned long long)upto);
            goto out;
        }
        if (e.lsn > upto || e.lsn <= prev)
            wko_fail(r, "checkpoint iterator: lsn %llu after %llu, upto %llu",
                     (unsigned long long)e.lsn, (unsigned long long)prev,
                     (unsigned long long)upto);
        prev = e.lsn;
        int64_t id = wko__read_entry(r, &e, "checkpoint iterator");
        if (id < -1) {
            rc = (int)id;
            goto out;
        }
        if (id >= 0)
            wko__reclist_push(&got, (uint32_t)id, e.lsn);
    }
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < got.n; i++) {
        wko_ent *x = &r->ents[got.v[i].id];
        if (x->state == ST_REJECTED || x->state == ST_ROLLEDBACK ||
            x->state == ST_LOST) {
            pthread_mutex_unlock(&r->mu);
            wko_fail(r, "checkpoint iterator returned w%u c%u (%s) at lsn %llu",
                     x->writer, x->counter, st_names[x->state],
                     (unsigned long long)got.v[i].lsn);
            pthread_mutex_lock(&r->mu);
        }
        if (x->lsn != 0 && x->lsn != got.v[i].lsn) {
            pthread_mutex_unlock(&r->mu);
            wko_fail(r,
                     "checkpoint iterator: w%u c%u at lsn %llu, appended "
                     "at lsn %llu",
                     x->writer, x->counter, (unsigned long long)got.v[i].lsn,
                     (unsigned long long)x->lsn);
            pthread_mutex_lock(&r->mu);
        }
        x->lsn = got.v[i].lsn;
        x->in_store = 1;
        x->state = ST_ACKED; /* iterators see only durable entries */
    }
    if (upto > r->ckpt_ok_max)
        r->ckpt_ok_max = upto;
    pthread_mutex_unlock(&r->mu);
out:
    wko__reclist_free(&got);
    return rc;
}

void
wko_opts(wko_run *r, wk_log_opts *o)
{
    const wko_scenario *sc = r->sc;
    wk_log_opts_init(o);
    o->vfs = r->vfs;
    o->segment_bytes = sc->segment_bytes ? sc->segment_bytes : 64 << 10;
    o->batch_bytes = sc->batch_bytes ? sc->batch_bytes : 64 << 10;
    o->max_entry_bytes = sc->max_entry_bytes ? sc->max_entry_bytes : 16 << 10;
    o->zero_fill = sc->zero_fill;
    o->max_batch_wait_us = sc->batch_wait_us;
    if (sc->recycle_pool)
        o->recycle_pool = sc->recycle_pool;
    if (sc->no_recycle)
        o->recycle_pool = 0;
    o->recover_fn = wko_recover_fn;
    o->recover_arg = r;
    if (sc->checkpoint) {
        o->checkpoint_fn = wko_checkpoint_fn;
        o->checkpoint_arg = r;
        o->checkpoint_bytes = sc->checkpoint_bytes;
    }
}

/* Opens with recovery collected into l; registers the handle. */
int
wko__open_collect_opts(wko_run *r, const wk_log_opts *opts, wko_reclist *l,
                       wk_log **out, wk_log_report *rep)
{
    wk_log_opts o = *opts;
    o.recover_fn = wko_recover_fn;
    o.recover_arg = r;
    memset(rep, 0, sizeof *rep);
    r->collect = l;
    wk_log *log = NULL;
    int rc = wk_log_open(r->dir, &o, &log, rep);
    r->collect = NULL;
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&r->mu);
    if (r->nopen < WKO_MAX_OPEN) {
        r->open[r->nopen].log = log;
        r->open[r->nopen].gen = ++r->gen;
        r->nopen++;
    }
    pthread_mutex_unlock(&r->mu);
    *out = log;
    return 0;
}

int
wko__open_collect(wko_run *r, int read_only, wk_recovery_policy pol,
                  wko_reclist *l, wk_log **out, wk_log_report *rep)
{
    wk_log_opts o;
    wko_opts(r, &o);
    o.read_only = read_only;
    o.recovery = pol;
    return wko__open_collect_opts(r, &o, l, out, rep);
}

static const char *
ent_str(const wko_ent *e, char *buf, size_t n)
{
    snprintf(buf, n, "w%u c%u len %u lsn %llu (%s%s)", e->writer, e->counter,
             e->len, (unsigned long long)e->lsn, st_names[e->state],
             e->in_store ? ", checkpointed" : "");
    return buf;
}

/* Checks a completed recovery (entries in l, report rep) against the
 * oracle. promote: everything on disk is durable (after a crash, or after a
 * clean close), so recovered entries become acknowledged and absent ones
 * lost. Under r->mu for the whole check. */
void
wko__check_recovered(wko_run *r, const wko_reclist *l, const wk_log_report *rep,
                     int promote, const char *label)
{
    char b1[128];
    uint64_t ckpt = rep->checkpoint_lsn;
    if (!r->sc->checkpoint && ckpt != 0)
        wko_fail(r, "%s: checkpoint_lsn %llu without any checkpoint", label,
                 (unsigned long long)ckpt);
    pthread_mutex_lock(&r->mu);
    if (ckpt > r->ckpt_ok_max) {
        uint64_t ok = r->ckpt_ok_max;
        pthread_mutex_unlock(&r->mu);
        wko_fail(r,
                 "%s: checkpoint_lsn %llu above the last checkpoint the "
                 "store completed (%llu)",
                 label, (unsigned long long)ckpt, (unsigned long long)ok);
        pthread_mutex_lock(&r->mu);
    }
    if (rep->entries != l->n) {
        pthread_mutex_unlock(&r->mu);
        wko_fail(r,
                 "%s: report.entries %llu != %zu entries handed to "
                 "recover_fn",
                 label, (unsigned long long)rep->entries, l->n);
        pthread_mutex_lock(&r->mu);
    }
    for (size_t i = 0; i < r->nents; i++)
        r->ents[i].seen = 0;
    uint64_t prev = 0;
    for (size_t i = 0; i < l->n; i++) {
        wko_ent *e = &r->ents[l->v[i].id];
        uint64_t lsn = l->v[i].lsn;
        const char *bad = NULL;
        if (e->seen)
            bad = "returned twice";
        else if (lsn <= prev)
            bad = "LSN not above the previous entry's";
        else if (lsn <= ckpt)
            bad = "at or below the checkpointed LSN";
        else if (e->state == ST_REJECTED || e->state == ST_ROLLEDBACK ||
                 e->state == ST_LOST)
            bad = "must never be recovered";
        else if (e->lsn != 0 && e->lsn != lsn)
            bad = "recovered with another LSN than it was appended with";
        if (bad != NULL) {
            pthread_mutex_unlock(&r->mu);
            wko_fail(r,
                     "%s: recovered entry #%zu at lsn %llu (prev %llu, "
                     "ckpt %llu): %s: %s",
                     label, i, (unsigned long long)lsn,
                     (unsigned long long)prev, (unsigned long long)ckpt,
                     ent_str(e, b1, sizeof b1), bad);
            pthread_mutex_lock(&r->mu);
        }
        e->seen = 1;
        if (e->lsn == 0)
            e->lsn = lsn;
        if (lsn > prev)
            prev = lsn;
    }
    uint64_t bound = prev > ckpt ? prev : ckpt;
    if (l->n > 0 && rep->first_lsn != l->v[0].lsn) {
        pthread_mutex_unlock(&r->mu);
        wko_fail(r, "%s: report.first_lsn %llu != first recovered %llu", label,
                 (unsigned long long)rep->first_lsn,
                 (unsigned long long)l->v[0].lsn);
        pthread_mutex_lock(&r->mu);
    }
    int reported = 0;
    for (size_t i = 0; i < r->nents; i++) {
        wko_ent *e = &r->ents[i];
        if (e->state == ST_REJECTED || e->state == ST_ROLLEDBACK ||
            e->state == ST_LOST)
            continue;
        int present = e->seen || (e->in_store && e->lsn <= ckpt);
        const char *bad = NULL;
        if (e->state == ST_ACKED && !present)
            bad = "acknowledged entry missing";
        else if (!present && e->lsn != 0 && e->lsn <= bound)
            bad = "hole: entry below the last recovered LSN is missing";
        if (bad != NULL && reported < 3) {
            reported++;
            pthread_mutex_unlock(&r->mu);
            wko_fail(r,
                     "%s: %s: %s (ckpt %llu, last recovered %llu, %zu "
                     "recovered)",
                     label, bad, ent_str(e, b1, sizeof b1),
                     (unsigned long long)ckpt, (unsigned long long)prev, l->n);
            pthread_mutex_lock(&r->mu);
        }
    }
    /* Per writer: what exists is a prefix of what the writer appended. */
    for (size_t w = 0; w < r->nwriters; w++) {
        const wko_writer_s *ws = &r->writers[w];
        int64_t gap = -1;
        for (size_t c = 0; c < ws->n; c++) {
            const wko_ent *e = &r->ents[ws->ids[c]];
            if (e->state == ST_REJECTED || e->state == ST_ROLLEDBACK)
                continue;
            int present = e->seen || e->in_store;
            if (!present && gap < 0)
                gap = (int64_t)c;
            if (present && gap >= 0) {
                pthread_mutex_unlock(&r->mu);
                wko_fail(r,
                         "%s: writer %zu: counter %zu present after "
                         "counter %lld is missing: %s",
                         label, w, c, (long long)gap,
                         ent_str(e, b1, sizeof b1));
                pthread_mutex_lock(&r->mu);
                break;
            }
        }
    }
    if (prev > r->max_recovered)
        r->max_recovered = prev;
    r->last_ckpt = ckpt;
    if (promote) {
        for (size_t i = 0; i < r->nents; i++) {
            wko_ent *e = &r->ents[i];
            if (e->seen)
                e->state = ST_ACKED;
            else if (!e->in_store &&
                     (e->state == ST_PENDING || e->state == ST_APPENDED ||
                      e->state == ST_FAILED)) {
                e->state = ST_LOST;
                r->lost_seen++;
            }
        }
    }
    pthread_mutex_unlock(&r->mu);
}

uint64_t
wko__max_claimed_lsn(wko_run *r, uint64_t ckpt)
{
    uint64_t m = ckpt;
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->nents; i++)
        if (r->ents[i].state == ST_ACKED && r->ents[i].lsn > m)
            m = r->ents[i].lsn;
    if (r->max_recovered > m)
        m = r->max_recovered;
    pthread_mutex_unlock(&r->mu);
    return m;
}

void
wko_unack(wko_run *r, int writer, uint32_t counter)
{
    pthread_mutex_lock(&r->mu);
    if ((size_t)writer < r->nwriters && counter < r->writers[writer].n) {
        wko_ent *e = &r->ents[r->writers[writer].ids[counter]];
        e->state = ST_FAILED;
        e->in_store = 0;
    }
    pthread_mutex_unlock(&r->mu);
}

uint64_t
wko_acked(wko_run *r)
{
    uint64_t n = 0;
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->nents; i++)
        n += r->ents[i].state == ST_ACKED;
    pthread_mutex_unlock(&r->mu);
    return n;
}

uint64_t
wko_max_acked_lsn(wko_run *r)
{
    return wko__max_claimed_lsn(r, 0);
}

void
wko__unregister(wko_run *r, wk_log *log, uint32_t *gen)
{
    pthread_mutex_lock(&r->mu);
    for (int i = 0; i < r->nopen; i++) {
        if (r->open[i].log == log) {
            *gen = r->open[i].gen;
            r->open[i] = r->open[--r->nopen];
            break;
        }
    }
    pthread_mutex_unlock(&r->mu);
}

int
wko_open(wko_run *r, wk_log **out)
{
    wk_log_opts o;
    wko_opts(r, &o);
    return wko_open_opts(r, &o, out);
}

int
wko_open_opts(wko_run *r, const wk_log_opts *opts, wk_log **out)
{
    wko_reclist l = {0};
    wk_log_report rep;
    wk_log *log = NULL;
    int rc = wko__open_collect_opts(r, opts, &l, &log, &rep);
    if (rc == 0) {
        /* No crash happened since the last clean close: all on disk is
         * durable; a failed close stopped the scenario before this. */
        wko__check_recovered(r, &l, &rep, 1, "in-scenario reopen");
        *out = log;
    }
    wko__reclist_free(&l);
    return rc;
}

int
wko_close(wko_run *r, wk_log *log)
{
    uint32_t gen = 0;
    wko__unregister(r, log, &gen);
    int rc = wk_log_close(log);
    if (rc == 0) {
        pthread_mutex_lock(&r->mu);
        for (size_t i = 0; i < r->nents; i++)
            if (r->ents[i].gen == gen && r->ents[i].state == ST_APPENDED)
                r->ents[i].state = ST_ACKED;
        pthread_mutex_unlock(&r->mu);
    }
    return rc;
}

/* Records the outcome of an append-like call for entry id. */
static void
note_result(wko_run *r, wk_log *log, uint32_t id, int rc, int flags,
            uint64_t lsn, const char *what)
{
    pthread_mutex_lock(&r->mu);
    wko_ent *e = &r->ents[id];
    wko_writer_s *w = &r->writers[e->writer];
    const char *bad = NULL;
    uint64_t last = w->last_lsn;
    if (rc == 0) {
        if (lsn == 0)
            bad = "returned LSN 0";
        else if (lsn <= last)
            bad = "LSN not above the writer's previous LSN";
        e->lsn = lsn;
        e->state = (flags & WK_SYNC) ? ST_ACKED : ST_APPENDED;
        w->last_lsn = lsn;
    } else {
        e->state = ST_FAILED;
    }
    pthread_mutex_unlock(&r->mu);
    if (bad != NULL)
        wko_fail(r, "%s: w%u c%u: %s (lsn %llu, previous %llu)", what,
                 e->writer, e->counter, bad, (unsigned long long)lsn,
                 (unsigned long long)last);
    if (rc == 0 && (flags & WK_SYNC)) {
        uint64_t d = wk_log_durable_lsn(log);
        if (d < lsn)
            wko_fail(r,
                     "%s: WK_SYNC returned for lsn %llu but durable_lsn "
                     "is %llu",
                     what, (unsigned long long)lsn, (unsigned long long)d);
    }
}

/* Records the writer's next entry of len bytes (appended on log) in the
 * oracle; returns its id in *id and its payload (malloc'd). */
static uint8_t *
ent_payload(wko_run *r, wk_log *log, int writer, size_t len, uint32_t *id)
{
    pthread_mutex_lock(&r->mu);
    *id = ent_new_locked(r, writer, (uint32_t)len, gen_of_locked(r, log));
    uint32_t counter = r->ents[*id].counter;
    pthread_mutex_unlock(&r->mu);
    uint8_t *buf = wko_xmalloc(len);
    wko_payload(buf, (uint32_t)writer, counter, (uint32_t)len);
    return buf;
}

int
wko_appendv(wko_run *r, wk_log *log, int writer, size_t len, int iov_parts,
            int flags, uint64_t *lsn_out)
{
    if (len < WKO_HDR)
        len = WKO_HDR;
    uint32_t id;
    uint8_t *buf = ent_payload(r, log, writer, len, &id);
    uint64_t lsn = 0;
    int rc;
    if (iov_parts <= 1) {
        rc = wk_log_append(log, buf, len, flags, &lsn);
    } else {
        struct iovec iov[8];
        if (iov_parts > 8)
            iov_parts = 8;
        size_t off = 0;
        for (int i = 0; i < iov_parts; i++) {
            size_t n = i == iov_parts - 1
                           ? len - off
                           : (len / (size_t)iov_parts) / 2 + (size_t)i * 3;
            if (off + n > len)
                n = len - off;
            iov[i].iov_base = buf + off;
            iov[i].iov_len = n;
            off += n;
        }
        rc = wk_log_appendv(log, iov, iov_parts, flags, &lsn);
    }
    free(buf);
    note_result(r, log, id, rc, flags, lsn, "append");
    if (rc == 0 && lsn_out != NULL)
        *lsn_out = lsn;
    return rc;
}

int
wko_append(wko_run *r, wk_log *log, int writer, size_t len, int flags,
           uint64_t *lsn)
{
    return wko_appendv(r, log, writer, len, 1, flags, lsn);
}

int
wko_append_rejected(wko_run *r, wk_log *log, int writer, size_t len, int expect)
{
    uint32_t id;
    uint8_t *buf = ent_payload(r, log, writer, len, &id);
    uint64_t lsn = 0;
    int rc = wk_log_append(log, buf, len, WK_SYNC, &lsn);
    free(buf);
    pthread_mutex_lock(&r->mu);
    r->ents[id].state = rc == expect ? ST_REJECTED : ST_FAILED;
    if (rc == 0) {
        r->ents[id].state = ST_ACKED;
        r->ents[id].lsn = lsn;
    }
    pthread_mutex_unlock(&r->mu);
    if (rc == expect)
        return 0;
    if (!wk_sim_frozen(r->sim))
        wko_fail(r, "append of %zu bytes returned %s, expected %s", len,
                 wk_errname(rc), wk_errname(expect));
    return rc == 0 ? -1 : rc;
}

static void
ack_upto(wko_run *r, uint32_t gen, uint64_t bound)
{
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->nents; i++) {
        wko_ent *e = &r->ents[i];
        if (e->gen == gen && e->state == ST_APPENDED && e->lsn != 0 &&
            e->lsn <= bound)
            e->state = ST_ACKED;
    }
    pthread_mutex_unlock(&r->mu);
}

int
wko_sync(wko_run *r, wk_log *log, uint64_t lsn)
{
    pthread_mutex_lock(&r->mu);
    uint32_t gen = gen_of_locked(r, log);
    uint64_t bound = lsn;
    if (bound == 0)
        for (size_t i = 0; i < r->nents; i++)
            if (r->ents[i].gen == gen && r->ents[i].state == ST_APPENDED &&
                r->ents[i].lsn > bound)
                bound = r->ents[i].lsn;
    pthread_mutex_unlock(&r->mu);
    int rc = wk_log_sync(log, lsn);
    if (rc != 0)
        return rc;
    uint64_t d = wk_log_durable_lsn(log);
    uint64_t last = wk_log_last_lsn(log);
    uint64_t need = bound < last ? bound : last;
    if (d < need)
        wko_fail(r, "wk_log_sync(%llu) returned 0 but durable_lsn %llu < %llu",
                 (unsigned long long)lsn, (unsigned long long)d,
                 (unsigned long long)need);
    ack_upto(r, gen, bound);
    return 0;
}

void
wko_note_durable(wko_run *r, wk_log *log)
{
    pthread_mutex_lock(&r->mu);
    uint32_t gen = gen_of_locked(r, log);
    pthread_mutex_unlock(&r->mu);
    ack_upto(r, gen, wk_log_durable_lsn(log));
}

int
wko_stream(wko_run *r, wk_log *log, int writer, size_t len, size_t piece,
           int flags, int rollback, wko_between_fn between, void *arg,
           uint64_t *lsn_out)
{
    if (len < WKO_HDR)
        len = WKO_HDR;
    if (piece == 0)
        piece = len;
    uint32_t id;
    uint8_t *buf = ent_payload(r, log, writer, len, &id);
    wk_log_stream *s = NULL;
    int rc = wk_log_stream_begin(log, &s);
    if (rc != 0)
        goto dropped;
    int chunk = 0;
    for (size_t off = 0; off < len; off += piece, chunk++) {
        size_t n = len - off < piece ? len - off : piece;
        rc = wk_log_stream_write(s, buf + off, n);
        if (rc == 0 && between != NULL)
            rc = between(r, arg, chunk);
        if (rc != 0) {
            wk_log_stream_rollback(s);
            goto dropped;
        }
    }
    if (rollback) {
        wk_log_stream_rollback(s);
        rc = 0;
        goto dropped;
    }
    uint64_t lsn = 0;
    rc = wk_log_stream_commit(s, flags, &lsn);
    free(buf);
    note_result(r, log, id, rc, flags, lsn, "stream commit");
    if (rc == 0 && lsn_out != NULL)
        *lsn_out = lsn;
    return rc;
dropped:
    free(buf);
    pthread_mutex_lock(&r->mu);
    r->ents[id].state = ST_ROLLEDBACK;
    pthread_mutex_unlock(&r->mu);
    return rc;
}

typedef struct wko_thr {
    wko_run *r;
    wk_log *log;
    int index;
    wko_thread_fn fn;
    void *arg;
    int rc;
} wko_thr;

static void *
wko_thread_main(void *p)
{
    wko_thr *t = p;
    t->rc = t->fn(t->r, t->log, t->index, t->arg);
    return NULL;
}

int
wko_threads(wko_run *r, wk_log *log, int n, wko_thread_fn fn, void *arg)
{
    wko_thr t[16];
    pthread_t th[16];
    if (n > 16)
        n = 16;
    for (int i = 0; i < n; i++) {
        t[i] = (wko_thr){r, log, i, fn, arg, 0};
        if (pthread_create(&th[i], NULL, wko_thread_main, &t[i]) != 0) {
            fprintf(stderr, "log_oracle: pthread_create failed\n");
            abort();
        }
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        if (rc == 0 && t[i].rc != 0)
            rc = t[i].rc;
    }
    return rc;
}
