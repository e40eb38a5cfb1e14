/* `walkit meta`: put, get, delete, scan, describe, verify and compact a
 * wk_meta store (u64 key -> u64 value + small bytes).
 *
 *   walkit meta put DIR KEY VALUE [BYTES] [--hex]
 *   walkit meta get DIR KEY [--json]
 *   walkit meta del DIR KEY
 *   walkit meta scan DIR [--from K] [--json]
 *   walkit meta stat DIR [--json]
 *   walkit meta verify DIR [--json]
 *   walkit meta compact DIR
 *
 * Each put/del is one durable batch. get, scan and stat open the store
 * read-only (no lock, nothing written); verify never writes either.
 * Public API only. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_util.h"
#include "walkit.h"

#define MC_SYNOPSIS                                                            \
    "usage: walkit meta put DIR KEY VALUE [BYTES] [--hex]\n"                   \
    "       walkit meta get DIR KEY [--json]\n"                                \
    "       walkit meta del DIR KEY\n"                                         \
    "       walkit meta scan DIR [--from K] [--json]\n"                        \
    "       walkit meta stat DIR [--json]\n"                                   \
    "       walkit meta verify DIR [--json]\n"                                 \
    "       walkit meta compact DIR\n"

static const char mc_synopsis[] = MC_SYNOPSIS "(details: walkit help meta)\n";

static const char mc_usage[] = MC_SYNOPSIS
    "\n"
    "DIR is a wk_meta store directory (created by the first put). KEY and\n"
    "VALUE are unsigned 64-bit decimal numbers.\n"
    "\n"
    "put      Sets KEY to VALUE and BYTES (text; with --hex, hex digits) in\n"
    "         one durable batch.\n"
    "get      Prints 'KEY VALUE BYTES' (BYTES as text when printable, else\n"
    "         0x + hex). Exit 1 when KEY is absent.\n"
    "del      Deletes KEY (no error when absent) in one durable batch.\n"
    "scan     Prints every item with key >= K (default 0) in key order, one\n"
    "         line each as get does (--json: one JSON object per line).\n"
    "stat     Items, bytes, snapshot generation and size, log size.\n"
    "verify   Checks the newest snapshot, the log and every batch after the\n"
    "         snapshot without writing. Exit 0 when clean (a torn log tail\n"
    "         is reported, not an error), 1 when corruption is found, 2 on\n"
    "         usage or I/O errors.\n"
    "compact  Writes a new snapshot now and recycles the log behind it.\n"
    "\n"
    "get, scan and stat open the store read-only and work while another\n"
    "process holds it; put, del and compact need it free (exit 2 if busy).\n";

typedef struct mc_args {
    int json;
    int hex;
    const char *from;
    char *pos[5];
    int npos;
} mc_args;

static int
mc_parse(const char *verb, int argc, char **argv, mc_args *a, int min_pos,
         int max_pos, int allow_json, int allow_from, int allow_hex)
{
    memset(a, 0, sizeof *a);
    wk_cli_flag flags[4];
    int nf = 0;
    if (allow_json)
        flags[nf++] = (wk_cli_flag){"--json", 0, &a->json, NULL};
    if (allow_from)
        flags[nf++] = (wk_cli_flag){"--from", 1, NULL, &a->from};
    if (allow_hex)
        flags[nf++] = (wk_cli_flag){"--hex", 0, &a->hex, NULL};
    flags[nf] = (wk_cli_flag){NULL, 0, NULL, NULL};
    a->npos = wk_cli_parse_args(verb, argc, argv, flags, a->pos, max_pos);
    if (a->npos < 0) {
        fputs(mc_synopsis, stderr);
        return -1;
    }
    if (a->npos < min_pos) {
        wk_cli_usage_error(mc_synopsis, "%s: missing argument", verb);
        return -1;
    }
    return 0;
}

static int
mc_u64(const char *verb, const char *what, const char *s, uint64_t *out)
{
    if (wk_cli_parse_u64(s, out) != 0) {
        wk_cli_usage_error(mc_synopsis, "%s: bad %s '%s'", verb, what, s);
        return -1;
    }
    return 0;
}

static int
mc_open(const char *dir, int read_only, wk_meta **m)
{
    wk_meta_opts o;
    wk_meta_opts_init(&o);
    o.read_only = read_only;
    o.create_if_missing = !read_only;
    wk_meta_report rep;
    int rc = wk_meta_open(dir, &o, m, &rep);
    if (rc != 0)
        wk_cli_error("meta: open store", rc, rep.errmsg);
    return rc;
}

static void
mc_print_item(uint64_t key, uint64_t value, const void *bytes, size_t len,
              int json)
{
    if (json) {
        printf("{\"key\":%" PRIu64 ",\"value\":%" PRIu64 ",\"len\":%zu,"
               "\"bytes\":\"",
               key, value, len);
        wk_cli_put_json_str(stdout, bytes, len);
        fputs("\",\"hex\":\"", stdout);
        wk_cli_put_hex(stdout, bytes, len);
        fputs("\"}\n", stdout);
        return;
    }
    printf("%" PRIu64 " %" PRIu64 " ", key, value);
    if (len > 0 && wk_cli_is_printable(bytes, len)) {
        fwrite(bytes, 1, len, stdout);
    } else if (len > 0) {
        fputs("0x", stdout);
        wk_cli_put_hex(stdout, bytes, len);
    }
    fputc('\n', stdout);
}

static int
mc_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One durable batch with a put or a delete. */
static int
mc_write1(const char *dir, int del, uint64_t key, uint64_t value,
          const void *bytes, size_t len)
{
    wk_meta *m = NULL;
    int rc = mc_open(dir, 0, &m);
    if (rc != 0)
        return WK_CLI_ERROR;
    wk_meta_batch *b = NULL;
    rc = wk_meta_batch_new(m, &b);
    if (rc == 0)
        rc = del ? wk_meta_batch_del(b, key)
                 : wk_meta_batch_put(b, key, value, bytes, len);
    if (rc == 0)
        rc = wk_meta_write(m, b, WK_SYNC);
    if (rc != 0)
        wk_cli_error(del ? "meta: del" : "meta: put", rc, wk_meta_errmsg(m));
    wk_meta_batch_free(b);
    int rc2 = wk_meta_close(m);
    if (rc == 0 && rc2 != 0) {
        wk_cli_error("meta: close", rc2, "");
        rc = rc2;
    }
    return rc == 0 ? WK_CLI_OK : WK_CLI_ERROR;
}

static int
mc_put(int argc, char **argv)
{
    mc_args a;
    if (mc_parse("meta put", argc, argv, &a, 3, 4, 0, 0, 1) != 0)
        return WK_CLI_ERROR;
    uint64_t key, value;
    if (mc_u64("meta put", "KEY", a.pos[1], &key) != 0 ||
        mc_u64("meta put", "VALUE", a.pos[2], &value) != 0)
        return WK_CLI_ERROR;
    const char *s = a.npos > 3 ? a.pos[3] : "";
    size_t len = strlen(s);
    uint8_t *buf = NULL;
    if (a.hex) {
        if (len % 2 != 0)
            return wk_cli_usage_error(mc_synopsis,
                                      "meta put: odd number of hex digits");
        buf = malloc(len / 2 + 1);
        if (buf == NULL)
            return WK_CLI_ERROR;
        for (size_t i = 0; i < len / 2; i++) {
            int hi = mc_hexval(s[2 * i]), lo = mc_hexval(s[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                free(buf);
                return wk_cli_usage_error(mc_synopsis, "meta put: bad hex '%s'",
                                          s);
            }
            buf[i] = (uint8_t)(hi << 4 | lo);
        }
        len /= 2;
    }
    int rc = mc_write1(a.pos[0], 0, key, value, buf ? (void *)buf : s, len);
    free(buf);
    return rc;
}

static int
mc_del(int argc, char **argv)
{
    mc_args a;
    if (mc_parse("meta del", argc, argv, &a, 2, 2, 0, 0, 0) != 0)
        return WK_CLI_ERROR;
    uint64_t key;
    if (mc_u64("meta del", "KEY", a.pos[1], &key) != 0)
        return WK_CLI_ERROR;
    return mc_write1(a.pos[0], 1, key, 0, NULL, 0);
}

static int
mc_get(int argc, char **argv)
{
    mc_args a;
    if (mc_parse("meta get", argc, argv, &a, 2, 2, 1, 0, 0) != 0)
        return WK_CLI_ERROR;
    uint64_t key;
    if (mc_u64("meta get", "KEY", a.pos[1], &key) != 0)
        return WK_CLI_ERROR;
    wk_meta *m = NULL;
    if (mc_open(a.pos[0], 1, &m) != 0)
        return WK_CLI_ERROR;
    uint64_t value = 0;
    size_t len = 0;
    static uint8_t buf[WK_META_MAX_BYTES_LIMIT];
    int rc = wk_meta_get(m, key, &value, buf, sizeof buf, &len);
    int out = WK_CLI_OK;
    if (rc == 0) {
        mc_print_item(key, value, buf, len, a.json);
    } else if (rc == WK_ENOTFOUND) {
        fprintf(stderr, "walkit: meta get: key %" PRIu64 " not found\n", key);
        out = WK_CLI_PROBLEM;
    } else {
        wk_cli_error("meta get", rc, wk_meta_errmsg(m));
        out = WK_CLI_ERROR;
    }
    wk_meta_close(m);
    return out;
}

static int
mc_scan_fn(void *arg, uint64_t key, uint64_t value, const void *bytes,
           size_t len)
{
    mc_print_item(key, value, bytes, len, *(int *)arg);
    return 0;
}

static int
mc_scan(int argc, char **argv)
{
    mc_args a;
    if (mc_parse("meta scan", argc, argv, &a, 1, 1, 1, 1, 0) != 0)
        return WK_CLI_ERROR;
    uint64_t from = 0;
    if (a.from != NULL && mc_u64("meta scan", "--from", a.from, &from) != 0)
        return WK_CLI_ERROR;
    wk_meta *m = NULL;
    if (mc_open(a.pos[0], 1, &m) != 0)
        return WK_CLI_ERROR;
    int rc = wk_meta_scan(m, from, mc_scan_fn, &a.json);
    if (rc != 0)
        wk_cli_error("meta scan", rc, wk_meta_errmsg(m));
    wk_meta_close(m);
    return rc == 0 ? WK_CLI_OK : WK_CLI_ERROR;
}

static int
mc_stat(int argc, char **argv)
{
    mc_args a;
    if (mc_parse("meta stat", argc, argv, &a, 1, 1, 1, 0, 0) != 0)
        return WK_CLI_ERROR;
    wk_meta_opts o;
    wk_meta_opts_init(&o);
    o.read_only = 1;
    o.create_if_missing = 0;
    wk_meta_report rep;
    wk_meta *m = NULL;
    int rc = wk_meta_open(a.pos[0], &o, &m, &rep);
    if (rc != 0) {
        wk_cli_error("meta: open store", rc, rep.errmsg);
        return WK_CLI_ERROR;
    }
    wk_meta_stats st;
    wk_meta_stats_get(m, &st);
    if (a.json) {
        printf("{\"items\":%" PRIu64 ",\"bytes\":%" PRIu64
               ",\"snapshot_gen\":%" PRIu64 ",\"snapshot_lsn\":%" PRIu64
               ",\"snapshot_bytes\":%" PRIu64 ",\"snapshot_items\":%" PRIu64
               ",\"log_bytes\":%" PRIu64 ",\"log_segments\":%" PRIu32
               ",\"replayed_batches\":%" PRIu64 ",\"checkpoint_lsn\":%" PRIu64
               ",\"last_lsn\":%" PRIu64 "}\n",
               st.items, st.bytes, st.snap_gen, st.snap_lsn, st.snap_bytes,
               st.snap_items, st.log_bytes, rep.log.segments, rep.batches,
               rep.log.checkpoint_lsn, rep.log.last_lsn);
    } else {
        printf("items: %" PRIu64 "\nbytes: %" PRIu64 "\n", st.items, st.bytes);
        printf("snapshot: gen %" PRIu64 " (%s), lsn %" PRIu64 ", %" PRIu64
               " items, %" PRIu64 " bytes\n",
               st.snap_gen, rep.snap_file[0] ? rep.snap_file : "none",
               st.snap_lsn, st.snap_items, st.snap_bytes);
        printf("log: %" PRIu32 " segments, %" PRIu64
               " bytes, checkpoint %" PRIu64 ", last lsn %" PRIu64 ", %" PRIu64
               " batches after the snapshot\n",
               rep.log.segments, st.log_bytes, rep.log.checkpoint_lsn,
               rep.log.last_lsn, rep.batches);
    }
    wk_meta_close(m);
    return WK_CLI_OK;
}

static int
mc_verify(int argc, char **argv)
{
    mc_args a;
    if (mc_parse("meta verify", argc, argv, &a, 1, 1, 1, 0, 0) != 0)
        return WK_CLI_ERROR;
    wk_meta_report rep;
    int rc = wk_meta_verify(a.pos[0], NULL, &rep);
    int problem = rc == WK_ECORRUPT || rc == WK_EGAP || rc == WK_EFORMAT;
    if (rc != 0 && !problem) {
        wk_cli_error("meta verify", rc, rep.errmsg);
        return WK_CLI_ERROR;
    }
    if (a.json) {
        printf("{\"ok\":%s,\"error\":\"%s\",\"message\":\"",
               rc == 0 ? "true" : "false", rc == 0 ? "" : wk_errname(rc));
        wk_cli_put_json_str(stdout, rep.errmsg, strlen(rep.errmsg));
        printf("\",\"snapshot\":\"%s\",\"snapshot_items\":%" PRIu64
               ",\"batches\":%" PRIu64 ",\"items\":%" PRIu64
               ",\"log_corruptions\":%" PRIu32 ",\"torn_bytes\":%" PRIu64 "}\n",
               rep.snap_file, rep.snap_items, rep.batches, rep.items,
               rep.log.corruptions, rep.log.torn_bytes);
    } else if (rc == 0) {
        printf("ok\n");
        printf("snapshot: %s, %" PRIu64 " items; %" PRIu64
               " batches after it; %" PRIu64 " items\n",
               rep.snap_file[0] ? rep.snap_file : "none", rep.snap_items,
               rep.batches, rep.items);
        if (rep.log.torn_bytes > 0)
            printf("torn tail: %s at offset %" PRIu64 ", %" PRIu64 " bytes\n",
                   rep.log.torn_file, rep.log.torn_offset, rep.log.torn_bytes);
    } else {
        printf("corruption: %s: %s\n", wk_errname(rc), rep.errmsg);
    }
    return rc == 0 ? WK_CLI_OK : WK_CLI_PROBLEM;
}

static int
mc_compact(int argc, char **argv)
{
    mc_args a;
    if (mc_parse("meta compact", argc, argv, &a, 1, 1, 0, 0, 0) != 0)
        return WK_CLI_ERROR;
    wk_meta *m = NULL;
    if (mc_open(a.pos[0], 0, &m) != 0)
        return WK_CLI_ERROR;
    int rc = wk_meta_compact(m);
    if (rc != 0)
        wk_cli_error("meta compact", rc, wk_meta_errmsg(m));
    wk_meta_stats st;
    wk_meta_stats_get(m, &st);
    if (rc == 0)
        printf("snapshot gen %" PRIu64 ": %" PRIu64 " items, %" PRIu64
               " bytes\n",
               st.snap_gen, st.snap_items, st.snap_bytes);
    int rc2 = wk_meta_close(m);
    if (rc == 0 && rc2 != 0) {
        wk_cli_error("meta: close", rc2, "");
        rc = rc2;
    }
    return rc == 0 ? WK_CLI_OK : WK_CLI_ERROR;
}

/* ---- dispatch --------------------------------------------------------- */

static int
mc_run(int argc, char **argv)
{
    if (argc < 2)
        return wk_cli_usage_error(mc_synopsis, "meta: missing verb");
    const char *verb = argv[1];
    if (strcmp(verb, "put") == 0)
        return mc_put(argc - 2, argv + 2);
    if (strcmp(verb, "get") == 0)
        return mc_get(argc - 2, argv + 2);
    if (strcmp(verb, "del") == 0)
        return mc_del(argc - 2, argv + 2);
    if (strcmp(verb, "scan") == 0)
        return mc_scan(argc - 2, argv + 2);
    if (strcmp(verb, "stat") == 0)
        return mc_stat(argc - 2, argv + 2);
    if (strcmp(verb, "verify") == 0)
        return mc_verify(argc - 2, argv + 2);
    if (strcmp(verb, "compact") == 0)
        return mc_compact(argc - 2, argv + 2);
    return wk_cli_usage_error(mc_synopsis, "meta: unknown verb '%s'", verb);
}

static const wk_cli_cmd mc_cmd = {
    .name = "meta",
    .summary = "metadata store: u64 key -> value + bytes (put, get, del, "
               "scan, stat, verify, compact)",
    .usage = mc_usage,
    .run = mc_run,
};

WK_CLI_COMMAND(mc_cmd)
