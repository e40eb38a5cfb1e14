/* CRC32C: published vectors for both paths, the hardware path against the
 * table path on random buffers of every length and alignment (including the
 * lengths where the 3-way interleave starts and merges), and incremental
 * CRCs equal to one-shot CRCs. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/crc32c.h"
#include "wkt.h"

typedef uint32_t (*crc_fn)(uint32_t crc, const void *buf, size_t len);

/* The paths under test: sw always; hw and the dispatcher when the CPU can. */
static const struct {
    const char *name;
    crc_fn fn;
    int needs_hw;
} crc_paths[] = {
    {"sw", wk__crc32c_sw, 0},
    {"hw", wk__crc32c_hw, 1},
    {"dispatch", wk__crc32c, 0},
};
#define NPATHS (sizeof crc_paths / sizeof crc_paths[0])

static int
crc_hw_usable(void)
{
    static int said;
    int hw = wk__crc32c_hw_available();
    if (!hw && !said) {
        print_message("NOTE: this CPU lacks SSE4.2: hardware CRC32C path "
                      "not tested, only the table path\n");
        said = 1;
    }
    return hw;
}

static void
crc_check(const char *path, const char *what, uint32_t got, uint32_t want)
{
    if (got != want)
        fail_msg("%s path, %s: crc 0x%08X, expected 0x%08X", path, what,
                 (unsigned)got, (unsigned)want);
}

enum { RACE_THREADS = 4, RACE_LEN = 30000 };
static uint8_t race_buf[RACE_LEN];

static void *
race_thread(void *arg)
{
    uint32_t *out = arg;
    out[0] = wk__crc32c_sw(0, race_buf, RACE_LEN);
    out[1] = wk__crc32c(0, race_buf, RACE_LEN);
    return NULL;
}

/* The first use of the CRC from several threads at once (lazy table set-up)
 * gives every thread the right answer; runs first, before any table exists,
 * and is meant for the TSan build too. */
static void
test_concurrent_first_use(void **state)
{
    (void)state;
    pthread_t th[RACE_THREADS];
    uint32_t got[RACE_THREADS][2];
    wkt_fill(race_buf, RACE_LEN, 0xACE);
    for (int i = 0; i < RACE_THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, race_thread, got[i]), 0);
    for (int i = 0; i < RACE_THREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    uint32_t want = wk__crc32c_sw(0, race_buf, RACE_LEN);
    for (int i = 0; i < RACE_THREADS; i++) {
        assert_int_equal(got[i][0], want);
        assert_int_equal(got[i][1], want);
    }
}

/* Both paths give the RFC 3720 (B.4) vectors and the usual check value. */
static void
test_rfc3720_vectors(void **state)
{
    (void)state;
    uint8_t zeros[32], ones[32], up[32], down[32];
    memset(zeros, 0x00, sizeof zeros);
    memset(ones, 0xFF, sizeof ones);
    for (int i = 0; i < 32; i++) {
        up[i] = (uint8_t)i;
        down[i] = (uint8_t)(31 - i);
    }
    const struct {
        const char *what;
        const void *buf;
        size_t len;
        uint32_t crc;
    } v[] = {
        {"32 x 0x00", zeros, 32, 0x8A9136AAu},
        {"32 x 0xFF", ones, 32, 0x62A8AB43u},
        {"0..31 ascending", up, 32, 0x46DD794Eu},
        {"31..0 descending", down, 32, 0x113FDB5Cu},
        {"\"123456789\"", "123456789", 9, 0xE3069283u},
        {"empty", "", 0, 0x00000000u},
    };
    int hw = crc_hw_usable();
    for (size_t p = 0; p < NPATHS; p++) {
        if (crc_paths[p].needs_hw && !hw)
            continue;
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
            crc_check(crc_paths[p].name, v[i].what,
                      crc_paths[p].fn(0, v[i].buf, v[i].len), v[i].crc);
    }
}

/* hw equals sw on random data for every length 0..4096 at every alignment
 * 0..15, with a random seed CRC as well as 0. */
static void
test_hw_matches_sw_all_lengths_alignments(void **state)
{
    (void)state;
    if (!crc_hw_usable()) {
        print_message("NOTE: skipping hw vs sw comparison (no SSE4.2)\n");
        skip();
    }
    enum { MAXLEN = 4096, MAXALIGN = 16 };
    uint8_t *mem = malloc(MAXLEN + MAXALIGN + 64);
    assert_non_null(mem);
    /* Base at a 64-byte boundary so "alignment a" means exactly that. */
    uint8_t *base = (uint8_t *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);
    wkt_fill(base, MAXLEN + MAXALIGN, 0xC5C32);
    uint64_t rs = 7;
    size_t step = wkt_quick() ? 7 : 1;
    for (size_t align = 0; align < MAXALIGN; align++) {
        for (size_t len = 0; len <= MAXLEN; len += step) {
            const uint8_t *b = base + align;
            uint32_t seed = (len & 1) ? (uint32_t)wkt_rand(&rs) : 0;
            uint32_t sw = wk__crc32c_sw(seed, b, len);
            uint32_t hw = wk__crc32c_hw(seed, b, len);
            if (sw != hw)
                fail_msg("len %zu align %zu seed 0x%08X: hw 0x%08X, sw "
                         "0x%08X",
                         len, align, (unsigned)seed, (unsigned)hw,
                         (unsigned)sw);
        }
    }
    free(mem);
}

/* hw equals sw on long buffers: around every multiple of the interleave
 * chunk sizes (3 x 256 B and 3 x 8 KiB) and at random lengths up to 1 MiB. */
static void
test_hw_matches_sw_long(void **state)
{
    (void)state;
    if (!crc_hw_usable())
        skip();
    enum { MAXLEN = 1 << 20 };
    uint8_t *mem = malloc(MAXLEN + 16);
    assert_non_null(mem);
    wkt_fill(mem, MAXLEN + 16, 0x10C);
    uint64_t rs = 11;
    size_t lens[64];
    size_t n = 0;
    const size_t chunks[] = {3 * 256, 3 * 8192};
    for (size_t c = 0; c < 2; c++)
        for (size_t m = 1; m <= 3; m++)
            for (int d = -9; d <= 9; d += 3)
                lens[n++] = chunks[c] * m + (size_t)(ptrdiff_t)d;
    lens[n++] = MAXLEN;
    while (n < sizeof lens / sizeof lens[0])
        lens[n++] = (size_t)(wkt_rand(&rs) % MAXLEN);
    for (size_t i = 0; i < n; i++) {
        for (size_t align = 0; align < 16; align += 5) {
            if (lens[i] + align > MAXLEN + 16)
                continue;
            uint32_t sw = wk__crc32c_sw(0, mem + align, lens[i]);
            uint32_t hw = wk__crc32c_hw(0, mem + align, lens[i]);
            if (sw != hw)
                fail_msg("len %zu align %zu: hw 0x%08X, sw 0x%08X", lens[i],
                         align, (unsigned)hw, (unsigned)sw);
        }
    }
    free(mem);
}

/* Continuing a CRC over a split buffer equals the one-shot CRC, for a split
 * at every point, on every path. */
static void
test_incremental_equals_one_shot(void **state)
{
    (void)state;
    enum { LEN = 2000 };
    uint8_t buf[LEN];
    wkt_fill(buf, sizeof buf, 0x5eed);
    int hw = crc_hw_usable();
    for (size_t p = 0; p < NPATHS; p++) {
        if (crc_paths[p].needs_hw && !hw)
            continue;
        crc_fn fn = crc_paths[p].fn;
        uint32_t whole = fn(0, buf, LEN);
        for (size_t cut = 0; cut <= LEN; cut++) {
            uint32_t part = fn(fn(0, buf, cut), buf + cut, LEN - cut);
            if (part != whole)
                fail_msg("%s path, split at %zu: 0x%08X, one-shot 0x%08X",
                         crc_paths[p].name, cut, (unsigned)part,
                         (unsigned)whole);
        }
        /* Three pieces, including pieces long enough to interleave. */
        uint8_t *big = malloc(100000);
        assert_non_null(big);
        wkt_fill(big, 100000, 99);
        uint32_t bwhole = fn(0, big, 100000);
        for (size_t a = 0; a < 100000; a += 9973) {
            size_t b = a + (100000 - a) / 2;
            uint32_t c = fn(0, big, a);
            c = fn(c, big + a, b - a);
            c = fn(c, big + b, 100000 - b);
            if (c != bwhole)
                fail_msg("%s path, pieces at %zu, %zu: 0x%08X, one-shot "
                         "0x%08X",
                         crc_paths[p].name, a, b, (unsigned)c,
                         (unsigned)bwhole);
        }
        free(big);
    }
}

/* A single flipped bit anywhere changes the CRC (CRCs detect all 1-bit
 * errors), on both paths. */
static void
test_single_bit_flip_detected(void **state)
{
    (void)state;
    uint8_t buf[1024];
    wkt_fill(buf, sizeof buf, 3);
    int hw = crc_hw_usable();
    for (size_t p = 0; p < NPATHS; p++) {
        if (crc_paths[p].needs_hw && !hw)
            continue;
        crc_fn fn = crc_paths[p].fn;
        uint32_t good = fn(0, buf, sizeof buf);
        for (size_t bit = 0; bit < sizeof buf * 8; bit++) {
            buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            uint32_t bad = fn(0, buf, sizeof buf);
            buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            if (bad == good)
                fail_msg("%s path: flipping bit %zu left crc 0x%08X",
                         crc_paths[p].name, bit, (unsigned)good);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_first_use),
        cmocka_unit_test(test_rfc3720_vectors),
        cmocka_unit_test(test_hw_matches_sw_all_lengths_alignments),
        cmocka_unit_test(test_hw_matches_sw_long),
        cmocka_unit_test(test_incremental_equals_one_shot),
        cmocka_unit_test(test_single_bit_flip_detected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
