/* `walkit ring`: format, append to, dump, describe, verify and trim a
 * wk_ring (a circular log in a file or a region of one).
 *
 *   walkit ring format PATH [--size N] [--offset OFF] [--force]
 *   walkit ring append PATH [DATA|-] [--offset OFF]
 *   walkit ring dump PATH [--json] [--offset OFF]
 *   walkit ring stat PATH [--json] [--offset OFF]
 *   walkit ring verify PATH [--json] [--offset OFF]
 *   walkit ring advance PATH N [--offset OFF]
 *
 * dump, stat and verify never write (read-only open: recovery repairs
 * nothing). Public API only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_util.h"
#include "walkit.h"

#define RG_SYNOPSIS                                                            \
    "usage: walkit ring format PATH [--size N] [--offset OFF] [--force]\n"     \
    "       walkit ring append PATH [DATA|-] [--offset OFF]\n"                 \
    "       walkit ring dump PATH [--json] [--offset OFF]\n"                   \
    "       walkit ring stat PATH [--json] [--offset OFF]\n"                   \
    "       walkit ring verify PATH [--json] [--offset OFF]\n"                 \
    "       walkit ring advance PATH N [--offset OFF]\n"

static const char rg_synopsis[] = RG_SYNOPSIS "(details: walkit help ring)\n";

static const char rg_usage[] = RG_SYNOPSIS
    "\n"
    "A ring is a circular log in PATH, or in the region starting at byte OFF\n"
    "of PATH (--offset; a multiple of 4096). Sizes take K/M/G suffixes.\n"
    "\n"
    "format   Creates the ring: --size N bytes (default 64M, both 4 KiB\n"
    "         superblocks included). Refuses to overwrite a ring unless\n"
    "         --force. Creates PATH if missing.\n"
    "append   Appends DATA as one entry, or with '-' (or no DATA) each stdin\n"
    "         line as one entry; each is durable when 'pos N' is printed.\n"
    "         Exit 1 when the ring is full (WK_EFULL): advance first.\n"
    "dump     Prints the live entries from the head: 'POS LEN TEXT' (hex\n"
    "         when not printable); --json: one object per line.\n"
    "stat     Capacity, used and free bytes, head, tail, entries, recovery.\n"
    "verify   Checks both superblocks and every record without writing.\n"
    "         Exit 0 when clean (a torn tail is reported, not an error),\n"
    "         1 when corruption is found, 2 on usage or I/O errors.\n"
    "advance  Frees up to N entries from the head (durably); prints\n"
    "         'freed K'.\n";

typedef struct rg_args {
    const char *offset;
    const char *size;
    int json, force;
    char *pos[3];
    int npos;
} rg_args;

static int
rg_parse(const char *verb, int argc, char **argv, rg_args *a, wk_ring_opts *o,
         int min_pos, int max_pos, int json, int fmt)
{
    wk_cli_flag flags[5];
    int k = 0;
    memset(a, 0, sizeof *a);
    flags[k++] = (wk_cli_flag){"--offset", 1, NULL, &a->offset};
    if (json)
        flags[k++] = (wk_cli_flag){"--json", 0, &a->json, NULL};
    if (fmt) {
        flags[k++] = (wk_cli_flag){"--size", 1, NULL, &a->size};
        flags[k++] = (wk_cli_flag){"--force", 0, &a->force, NULL};
    }
    flags[k] = (wk_cli_flag){NULL, 0, NULL, NULL};
    a->npos = wk_cli_parse_args(verb, argc, argv, flags, a->pos, 3);
    if (a->npos < 0) {
        fputs(rg_synopsis, stderr);
        return -1;
    }
    if (a->npos < min_pos || a->npos > max_pos) {
        wk_cli_usage_error(rg_synopsis, "ring %s: wrong number of arguments",
                           verb);
        return -1;
    }
    wk_ring_opts_init(o);
    if (a->offset != NULL &&
        wk_cli_parse_size(a->offset, &o->region_offset) != 0) {
        wk_cli_usage_error(rg_synopsis, "ring %s: bad --offset '%s'", verb,
                           a->offset);
        return -1;
    }
    if (a->size != NULL && wk_cli_parse_size(a->size, &o->capacity) != 0) {
        wk_cli_usage_error(rg_synopsis, "ring %s: bad --size '%s'", verb,
                           a->size);
        return -1;
    }
    o->force = a->force;
    return 0;
}

static int
rg_open(const char *path, wk_ring_opts *o, int read_only, wk_ring **r,
        wk_ring_report *rep)
{
    o->read_only = read_only;
    int rc = wk_ring_open(path, o, r, rep);
    if (rc != 0) {
        char what[600];
        snprintf(what, sizeof what, "open ring '%s'", path);
        wk_cli_error(what, rc, NULL);
        if (rc == WK_ECORRUPT)
            fputs("walkit: run 'walkit ring verify' for a full report\n",
                  stderr);
    }
    return rc;
}

static int
rg_format(int argc, char **argv)
{
    rg_args a;
    wk_ring_opts o;
    if (rg_parse("format", argc, argv, &a, &o, 1, 1, 0, 1) != 0)
        return WK_CLI_ERROR;
    int rc = wk_ring_format(a.pos[0], &o);
    if (rc != 0) {
        char what[600];
        snprintf(what, sizeof what, "format ring '%s'", a.pos[0]);
        wk_cli_error(what, rc, NULL);
        if (rc == -EEXIST)
            fputs("walkit: it holds a ring already (use --force)\n", stderr);
        return WK_CLI_ERROR;
    }
    return WK_CLI_OK;
}

static int
rg_append_one(wk_ring *r, const void *data, size_t len)
{
    uint64_t pos = 0;
    int rc = wk_ring_append(r, data, len, WK_SYNC, &pos);
    if (rc != 0) {
        wk_cli_error("ring append", rc, wk_ring_errmsg(r));
        return rc == WK_EFULL || rc == -E2BIG ? WK_CLI_PROBLEM : WK_CLI_ERROR;
    }
    printf("pos %llu\n", (unsigned long long)pos);
    fflush(stdout);
    return WK_CLI_OK;
}

static int
rg_append(int argc, char **argv)
{
    rg_args a;
    wk_ring_opts o;
    wk_ring *r = NULL;
    if (rg_parse("append", argc, argv, &a, &o, 1, 2, 0, 0) != 0)
        return WK_CLI_ERROR;
    if (rg_open(a.pos[0], &o, 0, &r, NULL) != 0)
        return WK_CLI_ERROR;
    int ret = WK_CLI_OK;
    if (a.npos == 2 && strcmp(a.pos[1], "-") != 0) {
        ret = rg_append_one(r, a.pos[1], strlen(a.pos[1]));
    } else {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while (ret == WK_CLI_OK && (n = getline(&line, &cap, stdin)) >= 0) {
            if (n > 0 && line[n - 1] == '\n')
                n--;
            ret = rg_append_one(r, line, (size_t)n);
        }
        free(line);
    }
    int rc = wk_ring_close(r);
    if (rc != 0 && ret == WK_CLI_OK) {
        wk_cli_error("close ring", rc, NULL);
        ret = WK_CLI_ERROR;
    }
    return ret;
}

static int
rg_dump(int argc, char **argv)
{
    rg_args a;
    wk_ring_opts o;
    wk_ring *r = NULL;
    if (rg_parse("dump", argc, argv, &a, &o, 1, 1, 1, 0) != 0)
        return WK_CLI_ERROR;
    if (rg_open(a.pos[0], &o, 1, &r, NULL) != 0)
        return WK_CLI_ERROR;
    wk_ring_iter *it = NULL;
    int rc = wk_ring_iter_open(r, &it);
    uint64_t pos;
    const void *d;
    size_t len;
    while (rc == 0 && (rc = wk_ring_iter_next(it, &pos, &d, &len)) == 0) {
        int text = wk_cli_is_printable(d, len);
        if (a.json) {
            printf("{\"pos\":%llu,\"len\":%zu,", (unsigned long long)pos, len);
            if (text) {
                fputs("\"data\":\"", stdout);
                wk_cli_put_json_str(stdout, d, len);
            } else {
                fputs("\"hex\":\"", stdout);
                wk_cli_put_hex(stdout, d, len);
            }
            fputs("\"}\n", stdout);
        } else {
            printf("%llu %zu ", (unsigned long long)pos, len);
            if (text)
                fwrite(d, 1, len, stdout);
            else
                wk_cli_put_hex(stdout, d, len);
            putchar('\n');
        }
    }
    wk_ring_iter_close(it);
    fflush(stdout);
    int ret = WK_CLI_OK;
    if (rc != WK_ENOTFOUND) {
        wk_cli_error("ring dump", rc, wk_ring_errmsg(r));
        ret = WK_CLI_ERROR;
    }
    wk_ring_close(r);
    return ret;
}

static void
rg_print_report(const wk_ring_report *rep, int json)
{
    if (json) {
        printf("\"superblock_gen\":%llu,\"superblocks_valid\":%d,"
               "\"torn_offset\":%llu,\"torn_records\":%llu,"
               "\"corruptions\":[",
               (unsigned long long)rep->superblock_gen, rep->superblocks_valid,
               (unsigned long long)rep->torn_offset,
               (unsigned long long)rep->torn_records);
        for (uint32_t i = 0; i < rep->corruptions && i < WK_RING_MAX_REPORTED;
             i++)
            printf("%s{\"offset\":%llu,\"pos\":%llu,\"seq\":%llu,"
                   "\"bytes\":%llu}",
                   i ? "," : "", (unsigned long long)rep->corruption[i].offset,
                   (unsigned long long)rep->corruption[i].pos,
                   (unsigned long long)rep->corruption[i].seq,
                   (unsigned long long)rep->corruption[i].bytes);
        printf("]");
        return;
    }
    printf("superblock: gen %llu (%d of 2 valid)\n",
           (unsigned long long)rep->superblock_gen, rep->superblocks_valid);
    if (rep->torn_records > 0)
        printf("torn tail at offset %llu (%llu records)\n",
               (unsigned long long)rep->torn_offset,
               (unsigned long long)rep->torn_records);
    for (uint32_t i = 0; i < rep->corruptions && i < WK_RING_MAX_REPORTED; i++)
        printf("corruption at offset %llu (position %llu, seq %llu, %llu "
               "bytes)\n",
               (unsigned long long)rep->corruption[i].offset,
               (unsigned long long)rep->corruption[i].pos,
               (unsigned long long)rep->corruption[i].seq,
               (unsigned long long)rep->corruption[i].bytes);
}

static int
rg_stat(int argc, char **argv)
{
    rg_args a;
    wk_ring_opts o;
    wk_ring_report rep;
    wk_ring *r = NULL;
    if (rg_parse("stat", argc, argv, &a, &o, 1, 1, 1, 0) != 0)
        return WK_CLI_ERROR;
    if (rg_open(a.pos[0], &o, 1, &r, &rep) != 0)
        return WK_CLI_ERROR;
    wk_ring_stats st;
    wk_ring_stats_get(r, &st);
    if (a.json) {
        printf("{\"capacity\":%llu,\"used\":%llu,\"free\":%llu,\"head\":%llu,"
               "\"tail\":%llu,\"head_seq\":%llu,\"tail_seq\":%llu,"
               "\"entries\":%llu,\"max_entry\":%llu,",
               (unsigned long long)st.capacity, (unsigned long long)st.used,
               (unsigned long long)st.free, (unsigned long long)st.head,
               (unsigned long long)st.tail, (unsigned long long)st.head_seq,
               (unsigned long long)st.tail_seq, (unsigned long long)st.entries,
               (unsigned long long)st.max_entry);
        rg_print_report(&rep, 1);
        printf("}\n");
    } else {
        printf("capacity: %llu bytes\nused: %llu bytes\nfree: %llu bytes\n",
               (unsigned long long)st.capacity, (unsigned long long)st.used,
               (unsigned long long)st.free);
        printf("head: %llu (seq %llu)\ntail: %llu (seq %llu)\n",
               (unsigned long long)st.head, (unsigned long long)st.head_seq,
               (unsigned long long)st.tail, (unsigned long long)st.tail_seq);
        printf("entries: %llu\nmax entry: %llu bytes\n",
               (unsigned long long)st.entries,
               (unsigned long long)st.max_entry);
        rg_print_report(&rep, 0);
    }
    fflush(stdout);
    wk_ring_close(r);
    return WK_CLI_OK;
}

static int
rg_verify(int argc, char **argv)
{
    rg_args a;
    wk_ring_opts o;
    wk_ring_report rep;
    if (rg_parse("verify", argc, argv, &a, &o, 1, 1, 1, 0) != 0)
        return WK_CLI_ERROR;
    int rc = wk_ring_verify(a.pos[0], &o, &rep);
    if (rc != 0 && rc != WK_ECORRUPT) {
        char what[600];
        snprintf(what, sizeof what, "verify ring '%s'", a.pos[0]);
        wk_cli_error(what, rc, NULL);
        return rc == WK_EFORMAT ? WK_CLI_PROBLEM : WK_CLI_ERROR;
    }
    if (a.json) {
        printf("{\"ok\":%s,\"entries\":%llu,", rc == 0 ? "true" : "false",
               (unsigned long long)rep.entries);
        rg_print_report(&rep, 1);
        printf("}\n");
    } else {
        printf("%s\n", rc == 0 ? "ok" : "CORRUPT");
        printf("entries: %llu\n", (unsigned long long)rep.entries);
        rg_print_report(&rep, 0);
    }
    fflush(stdout);
    return rc == 0 ? WK_CLI_OK : WK_CLI_PROBLEM;
}

typedef struct rg_count {
    uint64_t left;
} rg_count;

static int
rg_gc_count(void *arg, uint64_t pos, const void *data, size_t len)
{
    rg_count *c = arg;
    (void)pos;
    (void)data;
    (void)len;
    if (c->left == 0)
        return 0;
    c->left--;
    return 1;
}

static int
rg_advance(int argc, char **argv)
{
    rg_args a;
    wk_ring_opts o;
    wk_ring *r = NULL;
    if (rg_parse("advance", argc, argv, &a, &o, 2, 2, 0, 0) != 0)
        return WK_CLI_ERROR;
    rg_count c;
    if (wk_cli_parse_u64(a.pos[1], &c.left) != 0)
        return wk_cli_usage_error(rg_synopsis, "ring advance: bad count '%s'",
                                  a.pos[1]);
    if (rg_open(a.pos[0], &o, 0, &r, NULL) != 0)
        return WK_CLI_ERROR;
    uint64_t freed = 0;
    int rc = wk_ring_advance_head(r, rg_gc_count, &c, &freed);
    int ret = WK_CLI_OK;
    if (rc != 0) {
        wk_cli_error("ring advance", rc, wk_ring_errmsg(r));
        ret = WK_CLI_ERROR;
    } else {
        printf("freed %llu\n", (unsigned long long)freed);
        fflush(stdout);
    }
    rc = wk_ring_close(r);
    if (rc != 0 && ret == WK_CLI_OK) {
        wk_cli_error("close ring", rc, NULL);
        ret = WK_CLI_ERROR;
    }
    return ret;
}

static int
rg_run(int argc, char **argv)
{
    if (argc < 2)
        return wk_cli_usage_error(rg_synopsis, "ring: missing verb");
    const char *verb = argv[1];
    if (strcmp(verb, "format") == 0)
        return rg_format(argc - 2, argv + 2);
    if (strcmp(verb, "append") == 0)
        return rg_append(argc - 2, argv + 2);
    if (strcmp(verb, "dump") == 0)
        return rg_dump(argc - 2, argv + 2);
    if (strcmp(verb, "stat") == 0)
        return rg_stat(argc - 2, argv + 2);
    if (strcmp(verb, "verify") == 0)
        return rg_verify(argc - 2, argv + 2);
    if (strcmp(verb, "advance") == 0)
        return rg_advance(argc - 2, argv + 2);
    return wk_cli_usage_error(rg_synopsis, "ring: unknown verb '%s'", verb);
}

static const wk_cli_cmd rg_cmd = {
    .name = "ring",
    .summary = "circular log in a file or region (format, append, dump, "
               "stat, verify, advance)",
    .usage = rg_usage,
    .run = rg_run,
};

WK_CLI_COMMAND(rg_cmd)
