/* The sim backend's crash model: which pending file and directory
 * operations each policy keeps, tearing at sector boundaries, determinism,
 * Linux's "marked clean" after a failed sync, freezing with crash_after,
 * and handles and locks dying at a crash. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wkt.h"

static const int all_policies[] = {WK_SIM_DROP_ALL,    WK_SIM_KEEP_ALL,
                                   WK_SIM_KEEP_RANDOM, WK_SIM_TEAR,
                                   WK_SIM_REORDER,     WK_SIM_LOSE_DIR_OPS};
#define NPOLICIES (sizeof all_policies / sizeof all_policies[0])

static wk_sim *
sim_new(void)
{
    wk_sim *sim = NULL;
    wkt_assert_ok(wk_sim_create(NULL, &sim));
    return sim;
}

static wk_file *
open_file(wk_vfs *vfs, const char *path, int flags)
{
    wk_file *f = NULL;
    wkt_assert_ok(vfs->open(vfs, path, flags, &f));
    return f;
}

/* Writes len bytes of pattern seed at off into path (created if needed),
 * synced or not; closes the file. */
static void
put(wk_vfs *vfs, const char *path, uint64_t off, size_t len, uint64_t seed,
    int sync)
{
    unsigned char *buf = malloc(len);
    assert_non_null(buf);
    wkt_fill(buf, len, seed);
    wk_file *f = open_file(vfs, path, WK_O_CREATE);
    wkt_assert_ok(wk_file_pwrite(f, buf, len, off));
    if (sync)
        wkt_assert_ok(wk_file_sync(f, WK_SYNC_DATA));
    wkt_assert_ok(wk_file_close(f));
    free(buf);
}

/* Asserts that path holds exactly len bytes equal to pattern seed at off
 * (and nothing after). */
static void
assert_pattern(wk_sim *sim, const char *path, uint64_t off, size_t len,
               uint64_t seed)
{
    unsigned char *want = malloc(len), *got = malloc(len + 1);
    assert_non_null(want);
    assert_non_null(got);
    wkt_fill(want, len, seed);
    size_t n = 0;
    wkt_assert_ok(wk_sim_peek(sim, path, off, got, len + 1, &n));
    assert_int_equal(n, len);
    assert_memory_equal(got, want, len);
    free(want);
    free(got);
}

static int
exists(wk_vfs *vfs, const char *path)
{
    wk_vfs_stat st;
    int rc = vfs->stat(vfs, path, &st);
    if (rc == -ENOENT)
        return 0;
    wkt_assert_ok(rc);
    return 1;
}

static uint64_t
file_size(wk_vfs *vfs, const char *path)
{
    wk_vfs_stat st;
    wkt_assert_ok(vfs->stat(vfs, path, &st));
    return st.size;
}

/* A synced write with a synced name survives every policy and seed, while
 * unsynced writes elsewhere come and go. */
static void
test_synced_write_survives_every_policy(void **state)
{
    (void)state;
    for (size_t p = 0; p < NPOLICIES; p++) {
        for (uint64_t seed = 1; seed <= 20; seed++) {
            wk_sim *sim = sim_new();
            wk_vfs *vfs = wk_sim_vfs(sim);
            wkt_assert_ok(vfs->mkdir(vfs, "d"));
            wkt_assert_ok(vfs->sync_dir(vfs, "."));
            put(vfs, "d/f", 0, 4096, 7, 1);
            wkt_assert_ok(vfs->sync_dir(vfs, "d"));
            put(vfs, "d/f", 4096, 5000, 8, 0);  /* unsynced append */
            put(vfs, "d/other", 0, 3000, 9, 0); /* unsynced new file */
            wkt_assert_ok(wk_sim_crash(sim, seed, all_policies[p]));
            unsigned char want[4096], got[4096];
            size_t n = 0;
            wkt_fill(want, sizeof want, 7);
            wkt_assert_ok(wk_sim_peek(sim, "d/f", 0, got, sizeof got, &n));
            assert_int_equal(n, sizeof got);
            assert_memory_equal(got, want, sizeof want);
            wk_sim_destroy(sim);
        }
    }
}

/* An unsynced write is lost under DROP_ALL and kept under KEEP_ALL and
 * LOSE_DIR_OPS. */
static void
test_unsynced_write_dropped_or_kept(void **state)
{
    (void)state;
    static const struct {
        int policy;
        int kept;
    } cases[] = {
        {WK_SIM_DROP_ALL, 0}, {WK_SIM_KEEP_ALL, 1}, {WK_SIM_LOSE_DIR_OPS, 1}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        wk_sim *sim = sim_new();
        wk_vfs *vfs = wk_sim_vfs(sim);
        put(vfs, "f", 0, 1000, 1, 1);
        wkt_assert_ok(vfs->sync_dir(vfs, "."));
        put(vfs, "f", 500, 1000, 2, 0);
        wkt_assert_ok(wk_sim_crash(sim, 3, cases[c].policy));
        if (cases[c].kept) {
            assert_int_equal(file_size(vfs, "f"), 1500);
            assert_pattern(sim, "f", 500, 1000, 2);
        } else {
            assert_pattern(sim, "f", 0, 1000, 1);
        }
        wk_sim_destroy(sim);
    }
}

/* Builds d/{a,b,old} durable, then unsynced: create d/c (data synced),
 * rename d/a -> d/x, unlink d/b, rename d/new over d/old. */
static wk_sim *
dir_ops_history(void)
{
    wk_sim *sim = sim_new();
    wk_vfs *vfs = wk_sim_vfs(sim);
    wkt_assert_ok(vfs->mkdir(vfs, "d"));
    wkt_assert_ok(vfs->sync_dir(vfs, "."));
    put(vfs, "d/a", 0, 100, 1, 1);
    put(vfs, "d/b", 0, 100, 2, 1);
    put(vfs, "d/old", 0, 100, 3, 1);
    put(vfs, "d/new", 0, 200, 4, 1);
    wkt_assert_ok(vfs->sync_dir(vfs, "d"));
    put(vfs, "d/c", 0, 100, 5, 1);
    wkt_assert_ok(vfs->rename(vfs, "d/a", "d/x"));
    wkt_assert_ok(vfs->unlink(vfs, "d/b"));
    wkt_assert_ok(vfs->rename(vfs, "d/new", "d/old"));
    return sim;
}

/* Unsynced create, rename and unlink are all lost under LOSE_DIR_OPS and
 * DROP_ALL (old names and old target content are back) and all kept under
 * KEEP_ALL. */
static void
test_unsynced_dir_ops(void **state)
{
    (void)state;
    static const int lose[] = {WK_SIM_LOSE_DIR_OPS, WK_SIM_DROP_ALL};
    for (size_t i = 0; i < 2; i++) {
        wk_sim *sim = dir_ops_history();
        wk_vfs *vfs = wk_sim_vfs(sim);
        wkt_assert_ok(wk_sim_crash(sim, 11, lose[i]));
        assert_false(exists(vfs, "d/c"));
        assert_false(exists(vfs, "d/x"));
        assert_pattern(sim, "d/a", 0, 100, 1);
        assert_pattern(sim, "d/b", 0, 100, 2);
        assert_pattern(sim, "d/old", 0, 100, 3);
        assert_pattern(sim, "d/new", 0, 200, 4);
        wk_sim_destroy(sim);
    }
    wk_sim *sim = dir_ops_history();
    wk_vfs *vfs = wk_sim_vfs(sim);
    wkt_assert_ok(wk_sim_crash(sim, 11, WK_SIM_KEEP_ALL));
    assert_false(exists(vfs, "d/a"));
    assert_false(exists(vfs, "d/b"));
    assert_false(exists(vfs, "d/new"));
    assert_pattern(sim, "d/c", 0, 100, 5);
    assert_pattern(sim, "d/x", 0, 100, 1);
    assert_pattern(sim, "d/old", 0, 200, 4);
    wk_sim_destroy(sim);
}

/* Under KEEP_RANDOM, TEAR and REORDER a directory keeps a prefix of its
 * pending name operations: never a later one without the earlier ones, and
 * over many seeds every prefix length shows up. */
static void
test_dir_ops_random_prefix(void **state)
{
    (void)state;
    static const int policies[] = {WK_SIM_KEEP_RANDOM, WK_SIM_TEAR,
                                   WK_SIM_REORDER};
    static const char *const names[] = {"a", "b", "c"};
    for (size_t p = 0; p < 3; p++) {
        int seen[4] = {0, 0, 0, 0};
        for (uint64_t seed = 1; seed <= 60; seed++) {
            wk_sim *sim = sim_new();
            wk_vfs *vfs = wk_sim_vfs(sim);
            for (int i = 0; i < 3; i++)
                put(vfs, names[i], 0, 10, (uint64_t)i, 1);
            wkt_assert_ok(wk_sim_crash(sim, seed, policies[p]));
            int kept = 0;
            while (kept < 3 && exists(vfs, names[kept]))
                kept++;
            for (int i = kept; i < 3; i++)
                if (exists(vfs, names[i]))
                    fail_msg("policy %d seed %llu: %s kept after a lost "
                             "earlier create",
                             policies[p], (unsigned long long)seed, names[i]);
            seen[kept] = 1;
            wk_sim_destroy(sim);
        }
        for (int k = 0; k < 4; k++)
            if (!seen[k])
                fail_msg("policy %d: prefix of %d ops never seen", policies[p],
                         k);
    }
}

/* A file created in a directory whose own mkdir was never made durable is
 * lost with the directory, even after sync and sync_dir of its directory. */
static void
test_lost_mkdir_loses_subtree(void **state)
{
    (void)state;
    wk_sim *sim = sim_new();
    wk_vfs *vfs = wk_sim_vfs(sim);
    wkt_assert_ok(vfs->mkdir(vfs, "d"));
    put(vfs, "d/f", 0, 100, 1, 1);
    wkt_assert_ok(vfs->sync_dir(vfs, "d"));
    wkt_assert_ok(wk_sim_crash(sim, 1, WK_SIM_LOSE_DIR_OPS));
    assert_false(exists(vfs, "d"));
    wk_sim_destroy(sim);
}

/* tmp + sync + rename + sync_dir survives every policy and seed. */
static void
test_synced_rename_survives(void **state)
{
    (void)state;
    for (size_t p = 0; p < NPOLICIES; p++) {
        for (uint64_t seed = 1; seed <= 20; seed++) {
            wk_sim *sim = sim_new();
            wk_vfs *vfs = wk_sim_vfs(sim);
            put(vfs, "cfg", 0, 300, 1, 1);
            wkt_assert_ok(vfs->sync_dir(vfs, "."));
            put(vfs, "cfg.tmp", 0, 500, 2, 1);
            wkt_assert_ok(vfs->rename(vfs, "cfg.tmp", "cfg"));
            wkt_assert_ok(vfs->sync_dir(vfs, "."));
            put(vfs, "junk", 0, 100, 3, 0);
            wkt_assert_ok(wk_sim_crash(sim, seed, all_policies[p]));
            assert_false(exists(vfs, "cfg.tmp"));
            assert_pattern(sim, "cfg", 0, 500, 2);
            wk_sim_destroy(sim);
        }
    }
}

#define TEAR_OLD 16384
#define TEAR_NW 6

/* Pending writes of the tearing history: five overlapping writes inside
 * the old durable size and one that extends the file. */
static const struct {
    uint64_t off;
    size_t len;
} tear_writes[TEAR_NW] = {{0, 4096},   {1000, 3000}, {5000, 9000},
                          {4096, 512}, {300, 12000}, {15000, 6000}};

static wk_sim *
tear_history(unsigned char *old, unsigned char (*w)[12000])
{
    wk_sim *sim = sim_new();
    wk_vfs *vfs = wk_sim_vfs(sim);
    wkt_fill(old, TEAR_OLD, 100);
    wk_file *f = open_file(vfs, "f", WK_O_CREATE);
    wkt_assert_ok(wk_file_pwrite(f, old, TEAR_OLD, 0));
    wkt_assert_ok(wk_file_sync(f, WK_SYNC_FULL));
    wkt_assert_ok(vfs->sync_dir(vfs, "."));
    for (int i = 0; i < TEAR_NW; i++) {
        wkt_fill(w[i], tear_writes[i].len, 200 + (uint64_t)i);
        wkt_assert_ok(
            wk_file_pwrite(f, w[i], tear_writes[i].len, tear_writes[i].off));
    }
    wkt_assert_ok(wk_file_close(f));
    return sim;
}

/* TEAR, REORDER and KEEP_RANDOM never produce a byte that was never written
 * at its offset: each byte is the old durable byte or a pending write's
 * byte there (or zero past the old end of file). */
static void
test_tearing_never_invents_bytes(void **state)
{
    (void)state;
    static unsigned char old[TEAR_OLD], w[TEAR_NW][12000], img[32768];
    static const int policies[] = {WK_SIM_TEAR, WK_SIM_REORDER,
                                   WK_SIM_KEEP_RANDOM};
    uint64_t seeds = wkt_quick() ? 20 : 150;
    for (size_t p = 0; p < 3; p++) {
        for (uint64_t seed = 1; seed <= seeds; seed++) {
            wk_sim *sim = tear_history(old, w);
            wkt_assert_ok(wk_sim_crash(sim, seed, policies[p]));
            size_t n = 0;
            wkt_assert_ok(wk_sim_peek(sim, "f", 0, img, sizeof img, &n));
            assert_true(n >= TEAR_OLD && n <= 21000);
            for (size_t i = 0; i < n; i++) {
                int ok = i < TEAR_OLD ? img[i] == old[i] : img[i] == 0;
                for (int k = 0; k < TEAR_NW && !ok; k++)
                    ok = i >= tear_writes[k].off &&
                         i < tear_writes[k].off + tear_writes[k].len &&
                         img[i] == w[k][i - tear_writes[k].off];
                if (!ok)
                    fail_msg("policy %d seed %llu: byte %zu = 0x%02x never "
                             "written there",
                             policies[p], (unsigned long long)seed, i, img[i]);
            }
            wk_sim_destroy(sim);
        }
    }
}

/* TEAR tears a write at 512 B or 4 KiB sector boundaries: every aligned
 * 512 B sector is wholly old or wholly new, some crashes tear at 512 B
 * inside a 4 KiB block, and some keep a proper subset of the sectors. */
static void
test_tear_at_sector_boundaries(void **state)
{
    (void)state;
    static unsigned char buf[32768];
    int seen_512 = 0, seen_partial = 0, seen_4k_only = 0;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        wk_sim *sim = sim_new();
        wk_vfs *vfs = wk_sim_vfs(sim);
        memset(buf, 0x11, sizeof buf);
        wk_file *f = open_file(vfs, "f", WK_O_CREATE);
        wkt_assert_ok(wk_file_pwrite(f, buf, sizeof buf, 0));
        wkt_assert_ok(wk_file_sync(f, WK_SYNC_DATA));
        wkt_assert_ok(vfs->sync_dir(vfs, "."));
        memset(buf, 0xEE, sizeof buf);
        wkt_assert_ok(wk_file_pwrite(f, buf, sizeof buf, 0));
        wkt_assert_ok(wk_file_close(f));
        wkt_assert_ok(wk_sim_crash(sim, seed, WK_SIM_TEAR));
        size_t n = 0;
        wkt_assert_ok(wk_sim_peek(sim, "f", 0, buf, sizeof buf, &n));
        assert_int_equal(n, sizeof buf);
        int news = 0, block_mixed = 0;
        for (size_t s = 0; s < sizeof buf; s += 512) {
            for (size_t i = 1; i < 512; i++)
                if (buf[s + i] != buf[s])
                    fail_msg("seed %llu: sector at %zu torn inside",
                             (unsigned long long)seed, s);
            assert_true(buf[s] == 0x11 || buf[s] == 0xEE);
            news += buf[s] == 0xEE;
            if (s % 4096 != 0 && buf[s] != buf[s - s % 4096])
                block_mixed = 1;
        }
        if (news > 0 && news < 64) {
            seen_partial = 1;
            if (block_mixed)
                seen_512 = 1;
            else
                seen_4k_only = 1;
        }
        wk_sim_destroy(sim);
    }
    assert_true(seen_partial);
    assert_true(seen_512);
    assert_true(seen_4k_only);
}

/* Appends "path size hash" lines for every entry below dir, sorted. */
static int
collect_name(void *arg, const char *name)
{
    char ***v = arg;
    size_t n = 0;
    while ((*v)[n] != NULL)
        n++;
    *v = realloc(*v, (n + 2) * sizeof **v);
    assert_non_null(*v);
    (*v)[n] = strdup(name);
    (*v)[n + 1] = NULL;
    return 0;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
dump(wk_sim *sim, const char *dir, char *out, size_t cap)
{
    wk_vfs *vfs = wk_sim_vfs(sim);
    char **names = calloc(1, sizeof *names);
    assert_non_null(names);
    wkt_assert_ok(vfs->list(vfs, dir, collect_name, &names));
    size_t n = 0;
    while (names[n] != NULL)
        n++;
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        wk_vfs_stat st;
        wkt_assert_ok(vfs->stat(vfs, path, &st));
        uint64_t h = 1469598103934665603ULL;
        if (st.type == WK_VFS_FILE) {
            unsigned char buf[4096];
            uint64_t off = 0;
            size_t got = 0;
            do {
                wkt_assert_ok(
                    wk_sim_peek(sim, path, off, buf, sizeof buf, &got));
                for (size_t k = 0; k < got; k++)
                    h = (h ^ buf[k]) * 1099511628211ULL;
                off += got;
            } while (got == sizeof buf);
        }
        size_t l = strlen(out);
        snprintf(out + l, cap - l, "%s %d %llu %llx\n", path, st.type,
                 (unsigned long long)st.size, (unsigned long long)h);
        if (st.type == WK_VFS_DIR)
            dump(sim, path, out, cap);
        free(names[i]);
    }
    free(names);
}

/* A history touching files and directories in several ways. */
static wk_sim *
mixed_history(void)
{
    wk_sim *sim = dir_ops_history();
    wk_vfs *vfs = wk_sim_vfs(sim);
    wkt_assert_ok(vfs->mkdir(vfs, "e"));
    put(vfs, "e/g", 0, 9000, 20, 0);
    put(vfs, "d/x", 50, 7000, 21, 0);
    wk_file *f = open_file(vfs, "d/c", WK_O_RDWR);
    wkt_assert_ok(wk_file_truncate(f, 40));
    wkt_assert_ok(wk_file_allocate(f, 0, 10000));
    wkt_assert_ok(wk_file_close(f));
    put(vfs, "d/c", 3000, 2000, 22, 0);
    return sim;
}

/* The same seed and history give the same full image under every policy;
 * different seeds eventually give different images (random policies). */
static void
test_same_seed_same_image(void **state)
{
    (void)state;
    static char first[16384], a[16384], b[16384];
    for (size_t p = 0; p < NPOLICIES; p++) {
        int differs = 0;
        for (uint64_t seed = 1; seed <= 30; seed++) {
            wk_sim *s1 = mixed_history(), *s2 = mixed_history();
            wkt_assert_ok(wk_sim_crash(s1, seed, all_policies[p]));
            wkt_assert_ok(wk_sim_crash(s2, seed, all_policies[p]));
            a[0] = b[0] = '\0';
            dump(s1, ".", a, sizeof a);
            dump(s2, ".", b, sizeof b);
            assert_string_equal(a, b);
            wk_sim_destroy(s1);
            wk_sim_destroy(s2);
            if (seed == 1)
                memcpy(first, a, sizeof a);
            else
                differs |= strcmp(first, a) != 0;
        }
        int random = all_policies[p] == WK_SIM_KEEP_RANDOM ||
                     all_policies[p] == WK_SIM_TEAR ||
                     all_policies[p] == WK_SIM_REORDER;
        assert_int_equal(differs, random);
    }
}

/* A sync that fails with EIO drops the data from the durable future while
 * reads still see it; the next sync returns 0 (the lie); after a crash,
 * even KEEP_ALL, the data is gone. */
static void
test_sync_eio_marks_clean(void **state)
{
    (void)state;
    wk_sim *sim = sim_new();
    wk_vfs *vfs = wk_sim_vfs(sim);
    put(vfs, "f", 0, 100, 1, 1);
    wkt_assert_ok(vfs->sync_dir(vfs, "."));
    wk_file *f = open_file(vfs, "f", WK_O_RDWR);
    unsigned char buf[200];
    wkt_fill(buf, sizeof buf, 2);
    wkt_assert_ok(wk_file_pwrite(f, buf, sizeof buf, 100));
    wk_sim_fault(sim, WK_SIM_OP_SYNC, 1, WK_SIM_FAULT_EIO);
    wkt_assert_rc(wk_file_sync(f, WK_SYNC_DATA), -EIO);
    assert_true(wk_sim_fault_fired(sim));
    unsigned char got[200];
    wkt_assert_ok(wk_file_pread_full(f, got, sizeof got, 100));
    assert_memory_equal(got, buf, sizeof buf);
    wkt_assert_ok(wk_file_sync(f, WK_SYNC_DATA));
    wkt_assert_ok(wk_file_close(f));
    wkt_assert_ok(wk_sim_crash(sim, 1, WK_SIM_KEEP_ALL));
    assert_pattern(sim, "f", 0, 100, 1);
    wk_sim_destroy(sim);
}

/* crash_after(n) freezes right after the n-th mutating call: later calls,
 * reads included, return WK_ECRASHED and change nothing; close still frees;
 * a crash unfreezes. */
static void
test_crash_after_freezes(void **state)
{
    (void)state;
    wk_sim *sim = sim_new();
    wk_vfs *vfs = wk_sim_vfs(sim);
    unsigned char buf[64] = {1, 2, 3};
    wk_file *f = open_file(vfs, "f", WK_O_CREATE); /* mutation 1 */
    uint64_t base = wk_sim_mutation_count(sim);
    assert_int_equal(base, 1);
    wk_sim_crash_after(sim, 3);
    wkt_assert_ok(wk_file_pwrite(f, buf, sizeof buf, 0)); /* 2 */
    wkt_assert_ok(wk_file_size(f, &(uint64_t){0}));       /* not mutating */
    wkt_assert_ok(wk_file_sync(f, WK_SYNC_DATA));         /* 3 */
    assert_false(wk_sim_frozen(sim));
    wkt_assert_ok(vfs->sync_dir(vfs, ".")); /* 4: freezes after */
    assert_true(wk_sim_frozen(sim));
    assert_int_equal(wk_sim_mutation_count(sim), base + 3);
    wkt_assert_rc(wk_file_pwrite(f, buf, sizeof buf, 64), WK_ECRASHED);
    size_t n;
    wkt_assert_rc(wk_file_pread(f, buf, sizeof buf, 0, &n), WK_ECRASHED);
    wkt_assert_rc(vfs->mkdir(vfs, "d"), WK_ECRASHED);
    wk_vfs_stat st;
    wkt_assert_rc(vfs->stat(vfs, "f", &st), WK_ECRASHED);
    wk_file *g = NULL;
    wkt_assert_rc(vfs->open(vfs, "g", WK_O_CREATE, &g), WK_ECRASHED);
    assert_null(g);
    assert_int_equal(wk_sim_mutation_count(sim), base + 3);
    wkt_assert_ok(wk_file_close(f));
    wkt_assert_ok(wk_sim_crash(sim, 1, WK_SIM_DROP_ALL));
    assert_false(wk_sim_frozen(sim));
    assert_int_equal(file_size(vfs, "f"), 64);
    assert_false(exists(vfs, "d"));
    /* n = 0 freezes now; n < 0 disarms. */
    wk_sim_crash_after(sim, 0);
    assert_true(wk_sim_frozen(sim));
    wkt_assert_rc(vfs->mkdir(vfs, "d"), WK_ECRASHED);
    wkt_assert_ok(wk_sim_crash(sim, 1, WK_SIM_DROP_ALL));
    wk_sim_crash_after(sim, 1);
    wk_sim_crash_after(sim, -1);
    wkt_assert_ok(vfs->mkdir(vfs, "d"));
    wkt_assert_ok(vfs->mkdir(vfs, "e"));
    assert_false(wk_sim_frozen(sim));
    wk_sim_destroy(sim);
}

/* Handles opened before a crash are dead (WK_ECRASHED, close frees them);
 * locks are released; new handles work on the post-crash state. */
static void
test_old_handles_dead_after_crash(void **state)
{
    (void)state;
    wk_sim *sim = sim_new();
    wk_vfs *vfs = wk_sim_vfs(sim);
    wkt_assert_ok(vfs->mkdir(vfs, "d"));
    wkt_assert_ok(vfs->sync_dir(vfs, "."));
    wk_vfs_lock *lk = NULL, *lk2 = NULL;
    wkt_assert_ok(vfs->lock_dir(vfs, "d", &lk));
    wkt_assert_rc(vfs->lock_dir(vfs, "d", &lk2), -EBUSY);
    put(vfs, "d/f", 0, 10, 1, 1);
    wkt_assert_ok(vfs->sync_dir(vfs, "d"));
    wk_file *f = open_file(vfs, "d/f", WK_O_RDWR);
    const void *map = NULL;
    wkt_assert_ok(wk_file_mmap(f, 0, 10, &map));
    wkt_assert_ok(wk_sim_crash(sim, 5, WK_SIM_KEEP_ALL));
    unsigned char buf[10];
    size_t n;
    uint64_t sz;
    wkt_assert_rc(wk_file_pread(f, buf, 10, 0, &n), WK_ECRASHED);
    wkt_assert_rc(wk_file_pwrite(f, buf, 10, 0), WK_ECRASHED);
    wkt_assert_rc(wk_file_sync(f, WK_SYNC_FULL), WK_ECRASHED);
    wkt_assert_rc(wk_file_size(f, &sz), WK_ECRASHED);
    wkt_assert_rc(wk_file_truncate(f, 0), WK_ECRASHED);
    /* the mapping outlives the crash and the close */
    unsigned char want[10];
    wkt_fill(want, 10, 1);
    assert_memory_equal(map, want, 10);
    wkt_assert_ok(wk_file_unmap(f, map, 10));
    wkt_assert_ok(wk_file_close(f));
    wkt_assert_ok(vfs->lock_dir(vfs, "d", &lk2));
    wkt_assert_ok(vfs->unlock_dir(vfs, lk)); /* stale: harmless */
    wk_vfs_lock *lk3 = NULL;
    wkt_assert_rc(vfs->lock_dir(vfs, "d", &lk3), -EBUSY);
    wkt_assert_ok(vfs->unlock_dir(vfs, lk2));
    assert_pattern(sim, "d/f", 0, 10, 1);
    wk_sim_destroy(sim);
}

/* POSIX-like names: a handle keeps reading and writing its file after the
 * name is unlinked or renamed away. */
static void
test_open_file_outlives_its_name(void **state)
{
    (void)state;
    wk_sim *sim = sim_new();
    wk_vfs *vfs = wk_sim_vfs(sim);
    put(vfs, "a", 0, 100, 1, 1);
    wk_file *f = open_file(vfs, "a", WK_O_RDWR);
    wkt_assert_ok(vfs->rename(vfs, "a", "b"));
    wkt_assert_ok(vfs->unlink(vfs, "b"));
    assert_false(exists(vfs, "a"));
    assert_false(exists(vfs, "b"));
    unsigned char buf[100], want[100];
    wkt_fill(want, 100, 1);
    wkt_assert_ok(wk_file_pread_full(f, buf, 100, 0));
    assert_memory_equal(buf, want, 100);
    wkt_assert_ok(wk_file_pwrite(f, want, 100, 100));
    wkt_assert_ok(wk_file_sync(f, WK_SYNC_FULL));
    wkt_assert_ok(wk_file_close(f));
    wk_sim_destroy(sim);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synced_write_survives_every_policy),
        cmocka_unit_test(test_unsynced_write_dropped_or_kept),
        cmocka_unit_test(test_unsynced_dir_ops),
        cmocka_unit_test(test_dir_ops_random_prefix),
        cmocka_unit_test(test_lost_mkdir_loses_subtree),
        cmocka_unit_test(test_synced_rename_survives),
        cmocka_unit_test(test_tearing_never_invents_bytes),
        cmocka_unit_test(test_tear_at_sector_boundaries),
        cmocka_unit_test(test_same_seed_same_image),
        cmocka_unit_test(test_sync_eio_marks_clean),
        cmocka_unit_test(test_crash_after_freezes),
        cmocka_unit_test(test_old_handles_dead_after_crash),
        cmocka_unit_test(test_open_file_outlives_its_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
