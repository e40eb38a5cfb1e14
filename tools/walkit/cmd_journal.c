/* `walkit journal`: format, apply transactions to, read, verify and
 * describe a data file protected by a wk_journal.
 *
 *   walkit journal format FILE [--journal JFILE | --region OFF:LEN]
 *                               [--capacity N]
 *   walkit journal apply FILE [--journal JFILE | --region OFF[:LEN]]
 *   walkit journal read FILE OFF LEN [--journal ... | --region ...]
 *   walkit journal verify FILE [...] [--json]
 *   walkit journal stat FILE [...] [--json]
 *
 * apply reads one transaction per stdin line, as space-separated
 * OFFSET:HEX pairs, and prints "committed N" (N = line number from 1) once
 * that transaction is durable, flushed at once. read, verify and stat never
 * write: they open the journal read-only (recovery loads the committed view
 * without repairing anything). Public API only. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_util.h"
#include "walkit.h"

#define JN_MAX_READ (64u << 20)

#define JN_SYNOPSIS                                                            \
    "usage: walkit journal format FILE [--journal JFILE | --region OFF:LEN] "  \
    "[--capacity N]\n"                                                         \
    "       walkit journal apply FILE [--journal JFILE | --region "            \
    "OFF[:LEN]]\n"                                                             \
    "       walkit journal read FILE OFF LEN [--journal JFILE | --region "     \
    "OFF[:LEN]]\n"                                                             \
    "       walkit journal verify FILE [--journal ... | --region ...] "        \
    "[--json]\n"                                                               \
    "       walkit journal stat FILE [--journal ... | --region ...] "          \
    "[--json]\n"

static const char jn_synopsis[] =
    JN_SYNOPSIS "(details: walkit help journal)\n";

static const char jn_usage[] = JN_SYNOPSIS
    "\n"
    "FILE is the data file the journal protects. Its journal is a separate\n"
    "file (--journal JFILE) or the byte range OFF..OFF+LEN of FILE itself\n"
    "(--region OFF:LEN; sizes take K/M/G suffixes; LEN may be omitted after\n"
    "format). One of the two is required.\n"
    "\n"
    "format  Creates the journal (and FILE if missing; its content is kept).\n"
    "        --capacity N: journal size for --journal (default 64M).\n"
    "apply   Each stdin line is one transaction: space-separated OFFSET:HEX\n"
    "        pairs (decimal offset, hex bytes), applied atomically. Prints\n"
    "        'committed N' (N = line number from 1) once it is durable.\n"
    "        A bad line stops with exit 2 (earlier lines stay committed).\n"
    "read    Prints the committed view of LEN bytes at OFF as hex (one\n"
    "        line): the file with every committed, unapplied write over it.\n"
    "verify  Checks both superblocks and every batch without writing.\n"
    "        Exit 0 when clean (a torn tail is reported, not an error),\n"
    "        1 when corruption is found, 2 on usage or I/O errors.\n"
    "stat    Superblock, applied sequence, batches waiting to be applied,\n"
    "        capacity and use. Read-only.\n";

typedef struct jn_args {
    const char *journal;
    const char *region;
    const char *capacity;
    int json;
    char *pos[4];
    int npos;
} jn_args;

/* Fills opts from the parsed flags. need_len: --region must have :LEN. */
static int
jn_opts(const char *verb, const jn_args *a, wk_journal_opts *o, int need_len)
{
    wk_journal_opts_init(o);
    if (a->journal != NULL) {
        o->journal_path = a->journal;
        if (a->capacity != NULL &&
            wk_cli_parse_size(a->capacity, &o->capacity) != 0) {
            wk_cli_usage_error(jn_synopsis,
                               "journal %s: bad "
                               "--capacity '%s'",
                               verb, a->capacity);
            return -1;
        }
        if (!need_len)
            o->capacity = 0; /* as recorded */
        return 0;
    }
    if (a->capacity != NULL) {
        wk_cli_usage_error(jn_synopsis,
                           "journal %s: --capacity goes with "
                           "--journal; use --region OFF:LEN",
                           verb);
        return -1;
    }
    char buf[128];
    snprintf(buf, sizeof buf, "%s", a->region);
    char *colon = strchr(buf, ':');
    if (colon != NULL)
        *colon = '\0';
    o->capacity = 0;
    if (wk_cli_parse_size(buf, &o->region_offset) != 0 ||
        (colon != NULL && wk_cli_parse_size(colon + 1, &o->capacity) != 0) ||
        (need_len && colon == NULL)) {
        wk_cli_usage_error(jn_synopsis,
                           "journal %s: bad --region '%s' "
                           "(want OFF:LEN)",
                           verb, a->region);
        return -1;
    }
    return 0;
}

/* Parses a verb's arguments into a and the journal options into o.
 * allow_capacity (format): --capacity is accepted and --region must carry
 * OFF:LEN. Prints the problem and returns -1 on a usage error. */
static int
jn_parse(const char *verb, int argc, char **argv, jn_args *a,
         wk_journal_opts *o, int want_pos, int allow_json, int allow_capacity)
{
    wk_cli_flag flags[5];
    int k = 0;
    memset(a, 0, sizeof *a);
    flags[k++] = (wk_cli_flag){"--journal", 1, NULL, &a->journal};
    flags[k++] = (wk_cli_flag){"--region", 1, NULL, &a->region};
    if (allow_json)
        flags[k++] = (wk_cli_flag){"--json", 0, &a->json, NULL};
    if (allow_capacity)
        flags[k++] = (wk_cli_flag){"--capacity", 1, NULL, &a->capacity};
    flags[k] = (wk_cli_flag){NULL, 0, NULL, NULL};
    a->npos = wk_cli_parse_args(verb, argc, argv, flags, a->pos, 4);
    if (a->npos < 0) {
        fputs(jn_synopsis, stderr);
        return -1;
    }
    if (a->npos != want_pos) {
        wk_cli_usage_error(jn_synopsis,
                           "journal %s: expected %d "
                           "argument%s, got %d",
                           verb, want_pos, want_pos > 1 ? "s" : "", a->npos);
        return -1;
    }
    if ((a->journal == NULL) == (a->region == NULL)) {
        wk_cli_usage_error(jn_synopsis,
                           "journal %s: give exactly one "
                           "of --journal and --region",
                           verb);
        return -1;
    }
    return jn_opts(verb, a, o, allow_capacity);
}

static int
jn_open(const char *path, wk_journal_opts *o, int read_only, wk_journal **j,
        wk_journal_report *rep)
{
    char what[600];
    o->read_only = read_only;
    int rc = wk_journal_open(path, o, j, rep);
    if (rc != 0) {
        snprintf(what, sizeof what, "open journal of '%s'", path);
        wk_cli_error(what, rc, NULL);
        if (rc == WK_ECORRUPT)
            fputs("walkit: run 'walkit journal verify' for a full report\n",
                  stderr);
    }
    return rc;
}

/* ---- format ----------------------------------------------------------- */

static int
jn_format(int argc, char **argv)
{
    jn_args a;
    wk_journal_opts o;
    if (jn_parse("format", argc, argv, &a, &o, 1, 0, 1) != 0)
        return WK_CLI_ERROR;
    int rc = wk_journal_format(a.pos[0], &o);
    if (rc != 0) {
        char what[600];
        snprintf(what, sizeof what, "format journal of '%s'", a.pos[0]);
        wk_cli_error(what, rc, NULL);
        return WK_CLI_ERROR;
    }
    return WK_CLI_OK;
}

/* ---- apply ------------------------------------------------------------ */

static int
jn_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Adds the OFFSET:HEX pairs of line to t. Returns 0, -EINVAL on bad syntax
 * (message printed), or a wk_journal_write error. */
static int
jn_line_to_txn(wk_journal_txn *t, char *line, uint64_t lineno)
{
    uint8_t *bytes = NULL;
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, " \t\r", &save); tok != NULL;
         tok = strtok_r(NULL, " \t\r", &save)) {
        char *colon = strchr(tok, ':');
        uint64_t off;
        if (colon == NULL)
            goto bad;
        *colon = '\0';
        const char *hex = colon + 1;
        size_t hl = strlen(hex);
        if (wk_cli_parse_u64(tok, &off) != 0 || hl == 0 || hl % 2 != 0)
            goto bad;
        bytes = malloc(hl / 2);
        if (bytes == NULL)
            return -ENOMEM;
        for (size_t i = 0; i < hl / 2; i++) {
            int hi = jn_hexval(hex[2 * i]), lo = jn_hexval(hex[2 * i + 1]);
            if (hi < 0 || lo < 0)
                goto bad;
            bytes[i] = (uint8_t)(hi << 4 | lo);
        }
        rc = wk_journal_write(t, off, bytes, hl / 2);
        free(bytes);
        bytes = NULL;
        if (rc != 0)
            return rc;
    }
    return 0;
bad:
    free(bytes);
    fprintf(stderr,
            "walkit: journal apply: line %llu: expected OFFSET:HEX "
            "pairs\n",
            (unsigned long long)lineno);
    return -EINVAL;
}

static int
jn_apply(int argc, char **argv)
{
    jn_args a;
    wk_journal_opts o;
    wk_journal *j = NULL;
    if (jn_parse("apply", argc, argv, &a, &o, 1, 0, 0) != 0)
        return WK_CLI_ERROR;
    if (jn_open(a.pos[0], &o, 0, &j, NULL) != 0)
        return WK_CLI_ERROR;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    uint64_t lineno = 0;
    int status = WK_CLI_OK;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        if (n > 0 && line[n - 1] == '\n')
            line[n - 1] = '\0';
        wk_journal_txn *t = NULL;
        int rc = wk_journal_begin(j, &t);
        if (rc == 0) {
            rc = jn_line_to_txn(t, line, lineno);
            if (rc != 0)
                wk_journal_abort(t);
            else
                rc = wk_journal_commit(t, NULL);
        }
        if (rc != 0) {
            if (rc != -EINVAL || wk_journal_errmsg(j)[0] != '\0') {
                char what[64];
                snprintf(what, sizeof what, "commit line %llu",
                         (unsigned long long)lineno);
                wk_cli_error(what, rc, wk_journal_errmsg(j));
            }
            status = WK_CLI_ERROR;
            break;
        }
        printf("committed %llu\n", (unsigned long long)lineno);
        if (fflush(stdout) != 0) {
            status = WK_CLI_ERROR;
            break;
        }
    }
    free(line);
    int rc = wk_journal_close(j);
    if (rc != 0) {
        wk_cli_error("close journal", rc, NULL);
        status = WK_CLI_ERROR;
    }
    return status;
}

/* ---- read ------------------------------------------------------------- */

static int
jn_read(int argc, char **argv)
{
    jn_args a;
    wk_journal_opts o;
    wk_journal *j = NULL;
    uint64_t off, len;
    if (jn_parse("read", argc, argv, &a, &o, 3, 0, 0) != 0)
        return WK_CLI_ERROR;
    if (wk_cli_parse_size(a.pos[1], &off) != 0 ||
        wk_cli_parse_size(a.pos[2], &len) != 0 || len > JN_MAX_READ)
        return wk_cli_usage_error(jn_synopsis, "journal read: bad OFF or LEN "
                                               "(LEN at most 64M)");
    if (jn_open(a.pos[0], &o, 1, &j, NULL) != 0)
        return WK_CLI_ERROR;
    uint8_t *buf = malloc(len ? len : 1);
    int status = WK_CLI_OK;
    int rc = buf ? wk_journal_read(j, off, len, buf) : -ENOMEM;
    if (rc != 0) {
        wk_cli_error("read", rc, wk_journal_errmsg(j));
        status = WK_CLI_ERROR;
    } else {
        wk_cli_put_hex(stdout, buf, len);
        putchar('\n');
        if (fflush(stdout) != 0)
            status = WK_CLI_ERROR;
    }
    free(buf);
    wk_journal_close(j);
    return status;
}

/* ---- verify / stat ---------------------------------------------------- */

static void
jn_print_report(const wk_journal_report *r, int json)
{
    uint32_t listed = r->corruptions < WK_JOURNAL_MAX_REPORTED
                          ? r->corruptions
                          : WK_JOURNAL_MAX_REPORTED;
    if (json) {
        printf("\"superblock_gen\":%llu,\"superblocks_valid\":%d,"
               "\"applied_seq\":%llu,\"batches\":%llu,\"writes\":%llu,"
               "\"bytes\":%llu,\"first_seq\":%llu,\"last_seq\":%llu,",
               (unsigned long long)r->superblock_gen, r->superblocks_valid,
               (unsigned long long)r->applied_seq,
               (unsigned long long)r->batches, (unsigned long long)r->writes,
               (unsigned long long)r->bytes, (unsigned long long)r->first_seq,
               (unsigned long long)r->last_seq);
        if (r->torn_bytes)
            printf("\"torn\":{\"offset\":%llu,\"bytes\":%llu},",
                   (unsigned long long)r->torn_offset,
                   (unsigned long long)r->torn_bytes);
        else
            printf("\"torn\":null,");
        printf("\"corruptions\":[");
        for (uint32_t i = 0; i < listed; i++)
            printf("%s{\"offset\":%llu,\"seq\":%llu,\"bytes\":%llu}",
                   i ? "," : "", (unsigned long long)r->corruption[i].offset,
                   (unsigned long long)r->corruption[i].seq,
                   (unsigned long long)r->corruption[i].bytes);
        printf("],\"corruption_count\":%u", r->corruptions);
        return;
    }
    printf("superblock: gen %llu (%d of 2 copies valid)\n",
           (unsigned long long)r->superblock_gen, r->superblocks_valid);
    printf("applied through batch: %llu\n", (unsigned long long)r->applied_seq);
    printf("batches to apply: %llu (seq %llu..%llu), %llu writes, %llu "
           "bytes\n",
           (unsigned long long)r->batches, (unsigned long long)r->first_seq,
           (unsigned long long)r->last_seq, (unsigned long long)r->writes,
           (unsigned long long)r->bytes);
    if (r->torn_bytes)
        printf("torn tail: %llu bytes at offset %llu (discarded at next "
               "open)\n",
               (unsigned long long)r->torn_bytes,
               (unsigned long long)r->torn_offset);
    else
        printf("torn tail: none\n");
    for (uint32_t i = 0; i < listed; i++)
        printf("corruption: offset %llu batch %llu (%llu bytes)\n",
               (unsigned long long)r->corruption[i].offset,
               (unsigned long long)r->corruption[i].seq,
               (unsigned long long)r->corruption[i].bytes);
    if (r->corruptions > listed)
        printf("corruption: ... and %u more not listed\n",
               r->corruptions - listed);
}

static int
jn_verify(int argc, char **argv)
{
    jn_args a;
    wk_journal_opts o;
    wk_journal_report r;
    if (jn_parse("verify", argc, argv, &a, &o, 1, 1, 0) != 0)
        return WK_CLI_ERROR;
    int rc = wk_journal_verify(a.pos[0], &o, &r);
    if (rc != 0 && rc != WK_ECORRUPT) {
        wk_cli_error("verify", rc, NULL);
        return WK_CLI_ERROR;
    }
    if (a.json) {
        printf("{\"ok\":%s,", rc == 0 ? "true" : "false");
        jn_print_report(&r, 1);
        printf("}\n");
    } else {
        jn_print_report(&r, 0);
        printf("%s\n", rc == 0 ? "ok" : "CORRUPT");
    }
    fflush(stdout);
    return rc == 0 ? WK_CLI_OK : WK_CLI_PROBLEM;
}

static int
jn_stat(int argc, char **argv)
{
    jn_args a;
    wk_journal_opts o;
    wk_journal_report r;
    wk_journal *j = NULL;
    if (jn_parse("stat", argc, argv, &a, &o, 1, 1, 0) != 0)
        return WK_CLI_ERROR;
    if (jn_open(a.pos[0], &o, 1, &j, &r) != 0)
        return WK_CLI_ERROR;
    wk_journal_stats st;
    wk_journal_stats_get(j, &st);
    if (a.json) {
        printf("{\"placement\":\"%s\",\"journal_capacity\":%llu,"
               "\"journal_used\":%llu,\"overlay_bytes\":%llu,"
               "\"overlay_extents\":%llu,",
               st.region ? "region" : "file",
               (unsigned long long)st.journal_capacity,
               (unsigned long long)st.journal_used,
               (unsigned long long)st.overlay_bytes,
               (unsigned long long)st.overlay_extents);
        jn_print_report(&r, 1);
        printf("}\n");
    } else {
        printf("placement: %s\n",
               st.region ? "region of the data file" : "separate file");
        printf("record area: %llu bytes, %llu in use\n",
               (unsigned long long)st.journal_capacity,
               (unsigned long long)st.journal_used);
        printf("unapplied: %llu bytes in %llu extents\n",
               (unsigned long long)st.overlay_bytes,
               (unsigned long long)st.overlay_extents);
        jn_print_report(&r, 0);
    }
    fflush(stdout);
    wk_journal_close(j);
    return WK_CLI_OK;
}

/* ---- dispatch --------------------------------------------------------- */

static int
jn_run(int argc, char **argv)
{
    if (argc < 2)
        return wk_cli_usage_error(jn_synopsis, "journal: missing verb");
    const char *verb = argv[1];
    if (strcmp(verb, "format") == 0)
        return jn_format(argc - 2, argv + 2);
    if (strcmp(verb, "apply") == 0)
        return jn_apply(argc - 2, argv + 2);
    if (strcmp(verb, "read") == 0)
        return jn_read(argc - 2, argv + 2);
    if (strcmp(verb, "verify") == 0)
        return jn_verify(argc - 2, argv + 2);
    if (strcmp(verb, "stat") == 0)
        return jn_stat(argc - 2, argv + 2);
    return wk_cli_usage_error(jn_synopsis, "journal: unknown verb '%s'", verb);
}

static const wk_cli_cmd jn_cmd = {
    .name = "journal",
    .summary = "atomic multi-offset transactions on a file (format, apply, "
               "read, verify, stat)",
    .usage = jn_usage,
    .run = jn_run,
};

WK_CLI_COMMAND(jn_cmd)
