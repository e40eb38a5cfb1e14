/* Helpers shared by the walkit command groups (see cli_util.h). */
#include "cli_util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "walkit.h"

static const wk_cli_flag *
cu_find_flag(const wk_cli_flag *table, const char *arg, size_t namelen)
{
    for (const wk_cli_flag *f = table; f && f->name; f++) {
        if (strlen(f->name) == namelen && !strncmp(f->name, arg, namelen))
            return f;
    }
    return NULL;
}

int
wk_cli_parse_args(const char *verb, int argc, char **argv,
                  const wk_cli_flag *table, char **pos, int max_pos)
{
    int npos = 0;
    int flags_done = 0;

    for (int i = 0; i < argc; i++) {
        char *arg = argv[i];
        int is_flag = !flags_done && arg[0] == '-' && arg[1] != '\0';

        if (is_flag && !strcmp(arg, "--")) {
            flags_done = 1;
            continue;
        }
        if (is_flag) {
            const char *eq = strchr(arg, '=');
            size_t namelen = eq ? (size_t)(eq - arg) : strlen(arg);
            const wk_cli_flag *f = cu_find_flag(table, arg, namelen);

            if (!f) {
                fprintf(stderr, "walkit: %s: unknown option '%.*s'\n", verb,
                        (int)namelen, arg);
                return -1;
            }
            if (!f->takes_value) {
                if (eq) {
                    fprintf(stderr, "walkit: %s: option '%s' takes no value\n",
                            verb, f->name);
                    return -1;
                }
                *f->set = 1;
                continue;
            }
            if (eq) {
                *f->value = eq + 1;
            } else if (i + 1 < argc) {
                *f->value = argv[++i];
            } else {
                fprintf(stderr, "walkit: %s: option '%s' needs a value\n", verb,
                        f->name);
                return -1;
            }
            continue;
        }
        if (npos >= max_pos) {
            fprintf(stderr, "walkit: %s: unexpected argument '%s'\n", verb,
                    arg);
            return -1;
        }
        pos[npos++] = arg;
    }
    return npos;
}

int
wk_cli_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (!s || !*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int
wk_cli_parse_size(const char *s, uint64_t *out)
{
    static const struct {
        const char *suffix;
        unsigned shift;
    } units[] = {{"k", 10}, {"kib", 10}, {"m", 20}, {"mib", 20},
                 {"g", 30}, {"gib", 30}, {"", 0}};
    char digits[32];
    size_t n = 0;
    uint64_t v;

    if (!s)
        return -1;
    while (s[n] >= '0' && s[n] <= '9')
        n++;
    if (n == 0 || n >= sizeof(digits))
        return -1;
    memcpy(digits, s, n);
    digits[n] = '\0';
    if (wk_cli_parse_u64(digits, &v))
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcasecmp(s + n, units[i].suffix))
            continue;
        if (units[i].shift && v > (UINT64_MAX >> units[i].shift))
            return -1;
        *out = v << units[i].shift;
        return 0;
    }
    return -1;
}

int
wk_cli_parse_seconds(const char *s, double *out)
{
    double v = 0, scale = 1;
    int ndigits = 0, seen_dot = 0;

    if (!s || !*s)
        return -1;
    for (; *s; s++) {
        if (*s == '.' && !seen_dot) {
            seen_dot = 1;
            continue;
        }
        if (*s < '0' || *s > '9')
            return -1;
        ndigits++;
        if (seen_dot) {
            scale /= 10;
            v += (*s - '0') * scale;
        } else {
            v = v * 10 + (*s - '0');
        }
    }
    if (!ndigits || v > 1e9)
        return -1;
    *out = v;
    return 0;
}

void
wk_cli_error(const char *what, int rc, const char *detail)
{
    if (detail && *detail)
        fprintf(stderr, "walkit: %s: %s (%s)\n", what, wk_strerror(rc), detail);
    else
        fprintf(stderr, "walkit: %s: %s\n", what, wk_strerror(rc));
}

int
wk_cli_usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;

    fputs("walkit: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (usage)
        fputs(usage, stderr);
    return WK_CLI_ERROR;
}

int
wk_cli_is_printable(const void *data, size_t len)
{
    const unsigned char *p = data;

    for (size_t i = 0; i < len; i++) {
        if (p[i] < 0x20 || p[i] > 0x7e)
            return 0;
    }
    return 1;
}

void
wk_cli_put_hex(FILE *f, const void *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = data;
    char buf[512];
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        buf[n++] = digits[p[i] >> 4];
        buf[n++] = digits[p[i] & 15];
        if (n == sizeof(buf)) {
            fwrite(buf, 1, n, f);
            n = 0;
        }
    }
    fwrite(buf, 1, n, f);
}

void
wk_cli_put_json_str(FILE *f, const void *data, size_t len)
{
    const unsigned char *p = data;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];

        switch (c) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (c < 0x20 || c >= 0x7f)
                fprintf(f, "\\u%04x", c);
            else
                fputc(c, f);
        }
    }
}

uint64_t
wk_cli_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void *
wk_cli_grow(void *v, size_t n, size_t *cap, size_t elem_size)
{
    if (n < *cap)
        return v;
    size_t c = *cap ? *cap * 2 : 4096;
    void *p = realloc(v, c * elem_size);
    if (p)
        *cap = c;
    return p;
}

int
wk_cli_samples_add(wk_cli_samples *s, uint64_t x)
{
    uint64_t *v = wk_cli_grow(s->v, s->n, &s->cap, sizeof(*v));
    if (!v)
        return -1;
    s->v = v;
    s->v[s->n++] = x;
    return 0;
}

int
wk_cli_samples_merge(wk_cli_samples *dst, const wk_cli_samples *src)
{
    for (size_t i = 0; i < src->n; i++) {
        if (wk_cli_samples_add(dst, src->v[i]))
            return -1;
    }
    return 0;
}

static int
cu_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

uint64_t
wk_cli_samples_pct(wk_cli_samples *s, double p)
{
    size_t rank;

    if (!s->n)
        return 0;
    qsort(s->v, s->n, sizeof(*s->v), cu_cmp_u64);
    /* nearest rank: the smallest value with at least p% of samples <= it */
    rank = (size_t)(p / 100.0 * (double)s->n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > s->n)
        rank = s->n;
    return s->v[rank - 1];
}

void
wk_cli_samples_free(wk_cli_samples *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

char *
wk_cli_fmt_ns(char *buf, size_t size, uint64_t ns)
{
    if (ns < 1000)
        snprintf(buf, size, "%llu ns", (unsigned long long)ns);
    else if (ns < 1000 * 1000)
        snprintf(buf, size, "%llu us", (unsigned long long)(ns + 500) / 1000);
    else if (ns < 10 * 1000 * 1000)
        snprintf(buf, size, "%.2f ms", (double)ns / 1e6);
    else if (ns < 1000ull * 1000 * 1000)
        snprintf(buf, size, "%.1f ms", (double)ns / 1e6);
    else
        snprintf(buf, size, "%.2f s", (double)ns / 1e9);
    return buf;
}

char *
wk_cli_fmt_count(char *buf, size_t size, uint64_t n)
{
    char digits[32];
    int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);
    size_t o = 0;

    for (int i = 0; i < len && o + 2 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

uint64_t
wk_cli_hash64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull;

    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
