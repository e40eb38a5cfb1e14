/* Helpers shared by the walkit command groups: flag parsing, strict number
 * parsing, error reporting, hex/printable/JSON output, timing and
 * percentiles. Only the public walkit API and libc are used. */
#ifndef WK_CLI_UTIL_H
#define WK_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One --flag a verb accepts. Exactly one of set/value is used: boolean flags
 * set *set = 1; flags with a value (takes_value = 1) store the argument
 * (borrowed from argv) in *value. A flag given twice keeps the last one. */
typedef struct wk_cli_flag {
    const char *name; /* with the dashes: "--sync" */
    int takes_value;
    int *set;           /* boolean flags */
    const char **value; /* flags with a value: "--from 7" or "--from=7" */
} wk_cli_flag;

/* Parses argv[0..argc) (argv[0] is the first word after the verb) into the
 * flags of table (terminated by an entry with name == NULL) and positional
 * arguments, stored in pos[0..max_pos). Flags and positionals may be mixed;
 * "--" ends the flags. Prints "walkit: <verb>: <problem>" on stderr and
 * returns -1 on an unknown flag, a missing value, or more than max_pos
 * positionals; otherwise returns the number of positionals. */
int wk_cli_parse_args(const char *verb, int argc, char **argv,
                      const wk_cli_flag *table, char **pos, int max_pos);

/* Strict unsigned decimal: digits only (no sign, space or suffix), no
 * overflow. Returns 0 or -1. */
int wk_cli_parse_u64(const char *s, uint64_t *out);

/* As wk_cli_parse_u64 with an optional binary suffix: K, M, G (or KiB, MiB,
 * GiB; case-insensitive), e.g. "4K" = 4096. Returns 0 or -1. */
int wk_cli_parse_size(const char *s, uint64_t *out);

/* Strict non-negative decimal number with an optional fraction ("2",
 * "0.5"); no exponent, sign or suffix. Returns 0 or -1. */
int wk_cli_parse_seconds(const char *s, double *out);

/* Prints "walkit: <what>: <wk_strerror(rc)>" and, when detail is a
 * non-empty string (e.g. wk_log_errmsg), " (<detail>)" on stderr. */
void wk_cli_error(const char *what, int rc, const char *detail);

/* Prints "walkit: <message>" on stderr, then usage (if not NULL). Returns
 * WK_CLI_ERROR, so `return wk_cli_usage_error(...)` exits 2. */
int wk_cli_usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* 1 when every byte is printable ASCII (0x20..0x7e), else 0. Empty: 1. */
int wk_cli_is_printable(const void *data, size_t len);

/* Writes len bytes as lowercase hex (two digits a byte, no separators). */
void wk_cli_put_hex(FILE *f, const void *data, size_t len);

/* Writes data as the body of a JSON string (without the quotes): escapes
 * '"', '\\' and control bytes; bytes >= 0x80 become \u00XX (so any byte
 * string yields valid JSON, read back as Latin-1). */
void wk_cli_put_json_str(FILE *f, const void *data, size_t len);

/* Monotonic clock in nanoseconds. */
uint64_t wk_cli_now_ns(void);

/* Makes room for one more element of elem_size bytes in the array v of n
 * used elements out of *cap (doubling it, 4096 at first). Returns the
 * array, possibly moved (*cap updated), or NULL when out of memory (v and
 * *cap unchanged). */
void *wk_cli_grow(void *v, size_t n, size_t *cap, size_t elem_size);

/* A growable array of samples (e.g. latencies in ns). */
typedef struct wk_cli_samples {
    uint64_t *v;
    size_t n, cap;
} wk_cli_samples;

/* Appends x; returns 0 or -1 when out of memory. */
int wk_cli_samples_add(wk_cli_samples *s, uint64_t x);
/* Appends every sample of src to dst; 0 or -1. */
int wk_cli_samples_merge(wk_cli_samples *dst, const wk_cli_samples *src);
/* Sorts and returns the p-th percentile (0..100, nearest rank); 0 if
 * empty. */
uint64_t wk_cli_samples_pct(wk_cli_samples *s, double p);
void wk_cli_samples_free(wk_cli_samples *s);

/* Formats a duration in ns as "850 ns", "123 us", "4.56 ms", "45.6 ms" or "1.20
 * s" into buf (at least 32 bytes); returns buf. */
char *wk_cli_fmt_ns(char *buf, size_t size, uint64_t ns);

/* Formats n with thousands separators ("12,345") into buf; returns buf. */
char *wk_cli_fmt_count(char *buf, size_t size, uint64_t n);

/* 64-bit FNV-1a of data (checksums in the demo). */
uint64_t wk_cli_hash64(const void *data, size_t len);

#endif
