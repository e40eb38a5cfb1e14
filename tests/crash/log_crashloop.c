/* The crash loop of the log oracle (see log_oracle.h): each scenario in a
 * forked child with a watchdog, cut after every mutating operation, crashed
 * under every policy, checked; also cuts inside recovery. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log_oracle_int.h"
#include "wkt.h"

/* ---- the crash loop --------------------------------------------------- */

static const char *const pol_names[] = {"DROP_ALL", "KEEP_ALL", "KEEP_RANDOM",
                                        "TEAR",     "REORDER",  "LOSE_DIR_OPS"};

static char wko_ctx[256]; /* what the child is doing, for the watchdog */

/* The forked child's watchdog (see wko_fork_child). */
static const char *wd_who;
static const char *wd_ctx;
static size_t wd_ctx_size;

static void
wd_fire(int sig)
{
    (void)sig;
    static const char m[] = ": WATCHDOG: hang in ";
    ssize_t ignored = write(2, "\n", 1);
    ignored = write(2, wd_who, strlen(wd_who));
    ignored = write(2, m, sizeof m - 1);
    ignored = write(2, wd_ctx, strnlen(wd_ctx, wd_ctx_size));
    ignored = write(2, "\n", 1);
    (void)ignored;
    _exit(3);
}

static uint64_t
name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

/* The scenario's run, or its body between wko_open and wko_close. */
static int
run_body(wko_run *r)
{
    if (r->sc->run != NULL)
        return r->sc->run(r);
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    rc = r->sc->body(r, log);
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

/* Runs the scenario once with the disk freezing after n mutations (n < 0:
 * never); closes leftovers. Returns 1 when it completed without freezing. */
static int
run_scenario(wko_run *r, int64_t n)
{
    wk_sim_crash_after(r->sim, n);
    int rc = run_body(r);
    int frozen = wk_sim_frozen(r->sim);
    if (rc != 0 && !frozen)
        wko_fail(r,
                 "scenario failed with %s although the disk is not "
                 "frozen",
                 wk_errname(rc));
    while (r->nopen > 0) {
        wk_log *log = r->open[r->nopen - 1].log;
        int crc = wko_close(r, log);
        if (crc != 0 && !wk_sim_frozen(r->sim))
            wko_fail(r, "close after scenario = %s", wk_errname(crc));
    }
    return !wk_sim_frozen(r->sim);
}

typedef struct loop_state {
    const wko_scenario *sc;
    wko_totals tot;
    int64_t alloc_base;
    uint64_t fail_printed;
} loop_state;

static void
finish_state(loop_state *ls, wko_run *r, const char *ctx)
{
    ls->tot.states++;
    ls->tot.torn += r->torn_seen > 0;
    ls->tot.lossy += r->lost_seen > 0;
    if (wko_failed(r)) {
        ls->tot.failed++;
        if (ls->fail_printed < 6) {
            ls->fail_printed++;
            wko_print_failures(r, ctx);
        }
    }
    wko_run_free(r);
    int64_t live = wkt_alloc_live();
    if (live != ls->alloc_base) {
        if (ls->fail_printed < 6) {
            ls->fail_printed++;
            fprintf(stderr, "  VIOLATION [%s]: %lld allocations leaked\n", ctx,
                    (long long)(live - ls->alloc_base));
        }
        ls->tot.failed++;
        ls->alloc_base = live;
    }
}

/* One state: point n, policy p. Returns 1 when the run completed. */
static int
one_state(loop_state *ls, int64_t n, int p, int k)
{
    const wko_scenario *sc = ls->sc;
    uint64_t seed = name_hash(sc->name) ^
                    ((uint64_t)n * 0x9E3779B97F4A7C15ull) ^ (uint64_t)p ^
                    ((uint64_t)k << 40);
    snprintf(wko_ctx, sizeof wko_ctx,
             "scenario %s point %lld policy %s seed "
             "%llu",
             sc->name, (long long)n, pol_names[p], (unsigned long long)seed);
    alarm(WKO_WATCHDOG_S);
    static wko_scenario traced;
    const char *tr = getenv("WKO_TRACE");
    if (tr != NULL && *tr == '1') {
        traced = *sc;
        traced.trace = 1;
        sc = &traced;
    }
    wko_run *r = wko_run_new(sc, seed);
    if (r == NULL)
        return 1;
    int done = run_scenario(r, n);
    char *saved = NULL;
    if (sc->trace && tr != NULL && *tr == '1' && wk_sim_trace(r->sim))
        saved = strdup(wk_sim_trace(r->sim));
    if (n >= 0 && done && ls->tot.ops == 0)
        ls->tot.ops = wk_sim_mutation_count(r->sim);
    int rc = wk_sim_crash(r->sim, seed, p);
    if (rc != 0)
        wko_fail(r, "wk_sim_crash = %s", wk_errname(rc));
    else
        wko_check_after_crash(r, (p + 1 + (int)(n % 5)) % WK_SIM_POLICY_COUNT,
                              seed);
    /* Chains: run the scenario again on the recovered disk, cut it at a
     * seeded point, crash under another policy, check again. */
    uint64_t cs = seed;
    int chain = wkt_quick() ? 0 : sc->chain;
    for (int round = 0; round < chain && !wko_failed(r); round++) {
        uint64_t ops = ls->tot.ops ? ls->tot.ops : 100;
        int64_t cut = (int64_t)(wkt_rand(&cs) % (ops + 1));
        int p2 = (int)(wkt_rand(&cs) % WK_SIM_POLICY_COUNT);
        run_scenario(r, cut);
        rc = wk_sim_crash(r->sim, cs, p2);
        if (rc != 0) {
            wko_fail(r, "wk_sim_crash = %s", wk_errname(rc));
            break;
        }
        wko_check_after_crash(r, (p2 + 1) % WK_SIM_POLICY_COUNT, cs);
        ls->tot.states++; /* one more crash state checked */
        if (wko_failed(r))
            fprintf(stderr, "  (in chain round %d: cut at %lld, policy %s)\n",
                    round + 1, (long long)cut, pol_names[p2]);
    }
    if (saved != NULL && (wko_failed(r) || getenv("WKO_POINT") != NULL))
        fprintf(stderr, "---- trace of %s point %lld (%s):\n%s----\n", sc->name,
                (long long)n, wko_failed(r) ? "FAILED" : "ok", saved);
    free(saved);
    finish_state(ls, r, wko_ctx);
    return done;
}

/* Crash at point n with policy p, then cut the recovery after m mutations,
 * crash again with p2, and check. Returns 1 when that recovery completed. */
static int
one_rstate(loop_state *ls, int64_t n, int p, int64_t m, int p2)
{
    const wko_scenario *sc = ls->sc;
    uint64_t seed = name_hash(sc->name) ^
                    ((uint64_t)n * 0x9E3779B97F4A7C15ull) ^
                    ((uint64_t)m << 20) ^ (uint64_t)p;
    snprintf(wko_ctx, sizeof wko_ctx,
             "scenario %s point %lld policy %s, "
             "recovery cut at %lld then %s, seed %llu",
             sc->name, (long long)n, pol_names[p], (long long)m, pol_names[p2],
             (unsigned long long)seed);
    alarm(WKO_WATCHDOG_S);
    wko_run *r = wko_run_new(sc, seed);
    if (r == NULL)
        return 1;
    run_scenario(r, n);
    int rc = wk_sim_crash(r->sim, seed, p);
    int done = 1;
    wko_reclist expect = {0};
    int have_expect = 0;
    if (rc == 0)
        have_expect = wko__readonly_pass(r, &expect, "before recovery crash");
    if (rc == 0) {
        wko_reclist junk = {0};
        wk_log *log = NULL;
        wk_log_report rep;
        wk_sim_crash_after(r->sim, m);
        int orc = wko__open_collect(r, 0, WK_RECOVER_TOLERATE_TORN_TAIL, &junk,
                                    &log, &rep);
        if (orc == 0) {
            uint32_t gen;
            wko__unregister(r, log, &gen);
            wk_log_close(log);
        } else if (!wk_sim_frozen(r->sim)) {
            char rs[512];
            wko__report_str(&rep, rs, sizeof rs);
            wko_fail(r, "open (to be cut at %lld) failed unfrozen: %s (%s)",
                     (long long)m, wk_errname(orc), rs);
        }
        done = !wk_sim_frozen(r->sim);
        wko__reclist_free(&junk);
        rc = wk_sim_crash(r->sim, seed ^ 0xabcdefu, p2);
    }
    if (rc != 0)
        wko_fail(r, "wk_sim_crash = %s", wk_errname(rc));
    else
        wko__check_after_crash_expect(r, (p + p2 + 1) % WK_SIM_POLICY_COUNT,
                                      seed, have_expect ? &expect : NULL,
                                      WK_RECOVER_TOLERATE_TORN_TAIL);
    wko__reclist_free(&expect);
    finish_state(ls, r, wko_ctx);
    return done;
}

/* Reproducing one state: WKO_SCENARIO=name WKO_POINT=n [WKO_POLICY=p]
 * [WKO_TRACE=1] runs only that point (and policy) of that scenario and
 * prints the sim trace of the scenario run. */
static int
env_int(const char *name, int64_t *v)
{
    const char *s = getenv(name);
    if (s == NULL || *s == '\0')
        return 0;
    *v = strtoll(s, NULL, 10);
    return 1;
}

static void
loop_child(loop_state *ls)
{
    const wko_scenario *sc = ls->sc;
    int stride = sc->stride > 0 ? sc->stride : 1;
    if (wkt_quick())
        stride = sc->quick_stride > 0 ? sc->quick_stride : 6 * stride;
    const char *only = getenv("WKO_SCENARIO");
    int64_t point = -1, pol = -1;
    if (only != NULL && *only != '\0') {
        if (strcmp(only, sc->name) != 0)
            return;
        if (env_int("WKO_POINT", &point)) {
            env_int("WKO_POLICY", &pol);
            for (int p = 0; p < WK_SIM_POLICY_COUNT; p++)
                if (pol < 0 || pol == p)
                    one_state(ls, point, p, 0);
            return;
        }
    }
    for (int64_t n = 0; n < WKO_MAX_POINTS; n += stride) {
        ls->tot.points++;
        int done = 0;
        if (sc->crash_in_recovery) {
            /* The policies that leave recovery work (torn batches, lost
             * directory entries), plus one of the others in turn. */
            int pols[4] = {WK_SIM_TEAR, WK_SIM_REORDER, WK_SIM_KEEP_RANDOM, 0};
            static const int rest[3] = {WK_SIM_DROP_ALL, WK_SIM_KEEP_ALL,
                                        WK_SIM_LOSE_DIR_OPS};
            pols[3] = rest[(n / stride) % 3];
            for (int i = 0; i < 4; i++) {
                int p = pols[i];
                for (int64_t m = 0; m < WKO_MAX_RPOINTS; m++) {
                    int p2 = (int)((n / stride + m + i) % WK_SIM_POLICY_COUNT);
                    if (one_rstate(ls, n, p, m, p2))
                        break;
                }
            }
            /* The plain state for this point too. */
            done = one_state(ls, n, WK_SIM_TEAR, 0);
        } else {
            for (int p = 0; p < WK_SIM_POLICY_COUNT; p++) {
                int random = p == WK_SIM_KEEP_RANDOM || p == WK_SIM_TEAR ||
                             p == WK_SIM_REORDER;
                int seeds = random && sc->seeds > 1 ? sc->seeds : 1;
                const char *scale = getenv("WKT_SCALE");
                if (random && scale != NULL && atoi(scale) > 1)
                    seeds *= atoi(scale);
                if (wkt_quick())
                    seeds = 1;
                for (int k = 0; k < seeds; k++)
                    done |= one_state(ls, n, p, k);
            }
        }
        if (done)
            break;
    }
    alarm(0);
}

int
wko_fork_child(const char *who, const char *ctx, size_t ctx_size,
               int (*fn)(void *arg, void *out), void *arg, void *out,
               size_t len, int *status)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(fds[0]);
        wd_who = who;
        wd_ctx = ctx;
        wd_ctx_size = ctx_size;
        signal(SIGALRM, wd_fire);
        int code = fn(arg, out);
        ssize_t w = write(fds[1], out, len);
        (void)w;
        close(fds[1]);
        fflush(stdout);
        fflush(stderr);
        _exit(code);
    }
    close(fds[1]);
    size_t got = 0;
    while (got < len) {
        ssize_t k = read(fds[0], (char *)out + got, len - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fds[0]);
    *status = 0;
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    return got == len;
}

/* The crash loop's child: fills *out (a wko_totals); 1 on a failure. */
static int
crash_loop_child(void *arg, void *out)
{
    wkt_alloc_install();
    loop_state ls;
    memset(&ls, 0, sizeof ls);
    ls.sc = arg;
    ls.alloc_base = wkt_alloc_live();
    loop_child(&ls);
    memcpy(out, &ls.tot, sizeof ls.tot);
    return ls.tot.failed ? 1 : 0;
}

int
wko_crash_loop(const wko_scenario *sc, wko_totals *tot)
{
    memset(tot, 0, sizeof *tot);
    const char *only = getenv("WKO_SCENARIO");
    if (only != NULL && *only != '\0' && strcmp(only, sc->name) != 0)
        return 0;
    int status = 0;
    int got =
        wko_fork_child("log_oracle", wko_ctx, sizeof wko_ctx, crash_loop_child,
                       (void *)sc, tot, sizeof *tot, &status);
    if (got < 0)
        return -1;
    int ok = got == 1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (WIFSIGNALED(status))
        fprintf(stderr, "log_crash: scenario %s: child killed by signal %d\n",
                sc->name, WTERMSIG(status));
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
        fprintf(stderr, "log_crash: scenario %s: watchdog fired (hang)\n",
                sc->name);
    printf(
        "log_crash: scenario %-20s %4llu points %6llu crash states "
        "(%llu torn tails, %llu lost unacked), %llu failed, %llu ops/run%s\n",
        sc->name, (unsigned long long)tot->points,
        (unsigned long long)tot->states, (unsigned long long)tot->torn,
        (unsigned long long)tot->lossy, (unsigned long long)tot->failed,
        (unsigned long long)tot->ops, got == 1 ? "" : " [child died]");
    fflush(stdout);
    return ok ? 0 : -1;
}
