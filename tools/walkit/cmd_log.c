/* `walkit log`: append to, dump, verify and describe a wk_log directory.
 *
 *   walkit log append DIR [--sync]          one entry per stdin line
 *   walkit log dump DIR [--from LSN] [--json]
 *   walkit log verify DIR [--json]           exit 0 clean, 1 corrupt
 *   walkit log stat DIR [--json]
 *
 * append prints an entry's LSN only once the entry is durable. With --sync
 * each line is appended with WK_SYNC before the next line is read. Without
 * it lines are appended buffered and the pending LSNs are printed after one
 * wk_log_sync, done whenever no more input is ready without blocking (so an
 * interactive session sees its LSNs at once), every LOG_APPEND_MAX_PENDING
 * entries, and at end of input.
 *
 * dump, verify and stat never write to the directory: dump and stat open
 * the log with opts.read_only = 1 (recovery runs but truncates nothing);
 * verify uses wk_log_verify. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_util.h"
#include "walkit.h"

#define LOG_APPEND_MAX_PENDING 4096
#define LOG_MAX_LINE (256u << 20)
#define LOG_DUMP_CHUNK 65536

#define LOG_SYNOPSIS                                                           \
    "usage: walkit log append DIR [--sync]\n"                                  \
    "       walkit log dump DIR [--from LSN] [--json]\n"                       \
    "       walkit log verify DIR [--json]\n"                                  \
    "       walkit log stat DIR [--json]\n"

/* Printed on usage errors. */
static const char log_synopsis[] = LOG_SYNOPSIS "(details: walkit help log)\n";

static const char log_usage[] = LOG_SYNOPSIS
    "\n"
    "append  Appends each line of stdin (without its newline) as one entry "
    "and\n"
    "        prints each entry's LSN on stdout, one per line, once the entry "
    "is\n"
    "        durable. --sync: each entry is made durable (WK_SYNC) before the\n"
    "        next line is read. Default: entries are buffered and their LSNs\n"
    "        printed after one sync whenever stdin has no more input ready,\n"
    "        every 4096 entries, and at end of input. The log is created if\n"
    "        missing.\n"
    "dump    Prints entries with LSN >= --from (default: all), one per line:\n"
    "        'LSN LEN text PAYLOAD' when the payload is printable ASCII, else\n"
    "        'LSN LEN hex HEXBYTES'. --json: {\"lsn\":N,\"len\":N,\"data\":"
    "\"...\"}\n"
    "        or {\"lsn\":N,\"len\":N,\"hex\":\"...\"} per line. Read-only.\n"
    "verify  Checks every record of every segment without modifying "
    "anything.\n"
    "        Exit 0 when clean (a torn tail is reported and is not an "
    "error),\n"
    "        1 when corruption is found (each listed: file, offset, LSN),\n"
    "        2 on usage or I/O errors.\n"
    "stat    Segments, entries, first/last and checkpointed LSN, payload "
    "bytes,\n"
    "        torn tail. Read-only.\n";

/* ---- shared ----------------------------------------------------------- */

static void
log_print_locations(FILE *f, const wk_log_report *rep)
{
    uint32_t listed = rep->corruptions < WK_LOG_MAX_REPORTED
                          ? rep->corruptions
                          : WK_LOG_MAX_REPORTED;

    for (uint32_t i = 0; i < listed; i++) {
        const wk_log_corruption *c = &rep->corruption[i];
        fprintf(f,
                "corruption: file %s offset %llu LSN %llu (%llu bytes, %s: "
                "%s)\n",
                c->file, (unsigned long long)c->offset,
                (unsigned long long)c->lsn, (unsigned long long)c->bytes,
                wk_errname(c->error), wk_strerror(c->error));
    }
    if (rep->corruptions > listed)
        fprintf(f, "corruption: ... and %u more not listed\n",
                rep->corruptions - listed);
}

/* Parses a verb's arguments: flags, then exactly one DIR into pos[0].
 * Prints the problem and the usage on stderr and returns -1 on error. */
static int
log_args(const char *verb, int argc, char **argv, const wk_cli_flag *flags,
         char **pos)
{
    int n = wk_cli_parse_args(verb, argc, argv, flags, pos, 1);

    if (n == 1)
        return 0;
    if (n == 0)
        fprintf(stderr, "walkit: %s: missing DIR\n", verb);
    fputs(log_synopsis, stderr);
    return -1;
}

/* Opens dir (read-only or not), reporting a failure on stderr. */
static int
log_open(const char *dir, int read_only, wk_log **out, wk_log_report *rep)
{
    wk_log_opts opts;
    char what[512];
    int rc;

    wk_log_opts_init(&opts);
    opts.read_only = read_only;
    opts.create_if_missing = !read_only;
    memset(rep, 0, sizeof(*rep));
    rc = wk_log_open(dir, &opts, out, rep);
    if (rc == 0)
        return 0;
    snprintf(what, sizeof(what), "open log '%s'", dir);
    wk_cli_error(what, rc, NULL);
    if (rc == WK_ECORRUPT || rc == WK_EGAP) {
        log_print_locations(stderr, rep);
        fputs("walkit: run 'walkit log verify' for a full report\n", stderr);
    }
    return rc;
}

static int
log_close(wk_log *log, const char *dir)
{
    char what[512];
    int rc = wk_log_close(log);

    if (rc) {
        snprintf(what, sizeof(what), "close log '%s'", dir);
        wk_cli_error(what, rc, NULL);
    }
    return rc;
}

static int
log_stdout_ok(void)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 1;
    fprintf(stderr, "walkit: writing to stdout: %s\n", strerror(errno));
    return 0;
}

static void
log_json_torn(FILE *f, const wk_log_report *rep)
{
    if (!rep->torn_bytes) {
        fputs("null", f);
        return;
    }
    fputs("{\"file\":\"", f);
    wk_cli_put_json_str(f, rep->torn_file, strlen(rep->torn_file));
    fprintf(f, "\",\"offset\":%llu,\"bytes\":%llu}",
            (unsigned long long)rep->torn_offset,
            (unsigned long long)rep->torn_bytes);
}

static void
log_text_torn(FILE *f, const wk_log_report *rep, const char *note)
{
    if (!rep->torn_bytes) {
        fputs("torn tail: none\n", f);
        return;
    }
    fprintf(f, "torn tail: %llu bytes at file %s offset %llu%s\n",
            (unsigned long long)rep->torn_bytes, rep->torn_file,
            (unsigned long long)rep->torn_offset, note);
}

/* ---- append ----------------------------------------------------------- */

/* Line reader over fd 0 that can tell whether more input is ready. */
typedef struct log_reader {
    int fd;
    char *buf;
    size_t cap, start, end;
    int eof;
} log_reader;

/* Returns 1 with the next line (newline stripped; valid until the next call)
 * in *line and *len, 0 at end of input, -errno on a read error, -E2BIG for a
 * line longer than LOG_MAX_LINE. */
static int
log_read_line(log_reader *r, char **line, size_t *len)
{
    size_t scanned = 0;

    for (;;) {
        char *nl = r->end > r->start + scanned
                       ? memchr(r->buf + r->start + scanned, '\n',
                                r->end - r->start - scanned)
                       : NULL;
        if (nl) {
            *line = r->buf + r->start;
            *len = (size_t)(nl - *line);
            r->start += *len + 1;
            return 1;
        }
        scanned = r->end - r->start;
        if (r->eof) {
            if (r->start == r->end)
                return 0;
            *line = r->buf + r->start; /* last line without a newline */
            *len = r->end - r->start;
            r->start = r->end;
            return 1;
        }
        if (r->start > 0) {
            memmove(r->buf, r->buf + r->start, r->end - r->start);
            r->end -= r->start;
            r->start = 0;
        }
        if (r->end == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 65536;
            char *buf;
            if (r->cap > LOG_MAX_LINE)
                return -E2BIG;
            buf = realloc(r->buf, cap);
            if (!buf)
                return WK_ENOMEM;
            r->buf = buf;
            r->cap = cap;
        }
        ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            r->eof = 1;
        r->end += (size_t)n;
    }
}

/* 1 when the next line can be read without blocking. */
static int
log_input_ready(const log_reader *r)
{
    struct pollfd p = {.fd = r->fd, .events = POLLIN};

    if (r->eof || (r->end > r->start &&
                   memchr(r->buf + r->start, '\n', r->end - r->start)))
        return 1;
    return poll(&p, 1, 0) > 0;
}

/* Makes every pending entry durable, then prints their LSNs. */
static int
log_flush_pending(wk_log *log, uint64_t *pending, size_t *npending)
{
    int rc;

    if (!*npending)
        return 0;
    rc = wk_log_sync(log, pending[*npending - 1]);
    if (rc) {
        wk_cli_error("log append: sync", rc, wk_log_errmsg(log));
        return rc;
    }
    for (size_t i = 0; i < *npending; i++)
        printf("%llu\n", (unsigned long long)pending[i]);
    *npending = 0;
    return log_stdout_ok() ? 0 : -EIO;
}

static int
log_append(int argc, char **argv)
{
    int sync = 0;
    const wk_cli_flag flags[] = {{"--sync", 0, &sync, NULL}, {NULL, 0, 0, 0}};
    char *pos[1];
    log_reader rd = {.fd = STDIN_FILENO};
    uint64_t *pending = NULL;
    size_t npending = 0;
    uint64_t lineno = 0, max_entry;
    wk_log_opts defaults;
    wk_log_report rep;
    wk_log *log = NULL;
    int status = WK_CLI_ERROR;
    int rc;

    if (log_args("log append", argc, argv, flags, pos))
        return WK_CLI_ERROR;
    if (!sync) {
        pending = malloc(LOG_APPEND_MAX_PENDING * sizeof(*pending));
        if (!pending) {
            wk_cli_error("log append", WK_ENOMEM, NULL);
            return WK_CLI_ERROR;
        }
    }
    if (log_open(pos[0], 0, &log, &rep))
        goto out_free;
    wk_log_opts_init(&defaults);
    max_entry = defaults.max_entry_bytes;

    for (;;) {
        char *line = NULL;
        size_t len = 0;
        uint64_t lsn = 0;

        rc = log_read_line(&rd, &line, &len);
        if (rc == 0)
            break;
        if (rc < 0) {
            wk_cli_error("log append: reading stdin", rc, NULL);
            goto out_flush;
        }
        lineno++;
        rc = wk_log_append(log, line, len, sync ? WK_SYNC : 0, &lsn);
        if (rc) {
            char what[96], detail[96];
            const char *msg = wk_log_errmsg(log);
            snprintf(what, sizeof(what), "log append: line %llu (%zu bytes)",
                     (unsigned long long)lineno, len);
            if (rc == -E2BIG && !*msg) {
                snprintf(detail, sizeof(detail),
                         "an entry holds at most %llu bytes",
                         (unsigned long long)max_entry);
                msg = detail;
            }
            wk_cli_error(what, rc, msg);
            goto out_flush;
        }
        if (sync) {
            printf("%llu\n", (unsigned long long)lsn);
            if (!log_stdout_ok())
                goto out_close;
            continue;
        }
        pending[npending++] = lsn;
        if (npending == LOG_APPEND_MAX_PENDING || !log_input_ready(&rd)) {
            if (log_flush_pending(log, pending, &npending))
                goto out_close;
        }
    }
    if (log_flush_pending(log, pending, &npending))
        goto out_close;
    status = WK_CLI_OK;
    goto out_close;

out_flush:
    /* An append or read failed: still report the entries before it that
     * can be made durable (the failure may not have poisoned the log). */
    log_flush_pending(log, pending, &npending);
out_close:
    if (log_close(log, pos[0]))
        status = WK_CLI_ERROR;
out_free:
    free(pending);
    free(rd.buf);
    return status;
}

/* ---- dump ------------------------------------------------------------- */

/* Calls fn on the entry's bytes in pieces (the entry may be a streamed one,
 * larger than memory). */
static int
log_entry_each(const wk_log_entry *e, char *chunk,
               void (*fn)(void *arg, const void *p, size_t n), void *arg)
{
    if (e->data) {
        fn(arg, e->data, (size_t)e->len);
        return 0;
    }
    for (uint64_t off = 0; off < e->len;) {
        size_t n = e->len - off < LOG_DUMP_CHUNK ? (size_t)(e->len - off)
                                                 : LOG_DUMP_CHUNK;
        int rc = wk_log_entry_read(e, off, chunk, n);
        if (rc)
            return rc;
        fn(arg, chunk, n);
        off += n;
    }
    return 0;
}

static void
log_check_printable(void *arg, const void *p, size_t n)
{
    int *printable = arg;

    if (*printable && !wk_cli_is_printable(p, n))
        *printable = 0;
}

static void
log_put_text(void *arg, const void *p, size_t n)
{
    (void)arg;
    fwrite(p, 1, n, stdout);
}

static void
log_put_hex(void *arg, const void *p, size_t n)
{
    (void)arg;
    wk_cli_put_hex(stdout, p, n);
}

static void
log_put_json(void *arg, const void *p, size_t n)
{
    (void)arg;
    wk_cli_put_json_str(stdout, p, n);
}

static int
log_dump_entry(const wk_log_entry *e, char *chunk, int json)
{
    int printable = 1;
    int rc;

    rc = log_entry_each(e, chunk, log_check_printable, &printable);
    if (rc)
        return rc;
    if (json)
        printf("{\"lsn\":%llu,\"len\":%llu,\"%s\":\"",
               (unsigned long long)e->lsn, (unsigned long long)e->len,
               printable ? "data" : "hex");
    else
        printf("%llu %llu %s%s", (unsigned long long)e->lsn,
               (unsigned long long)e->len, printable ? "text" : "hex",
               e->len ? " " : "");
    rc = log_entry_each(e, chunk,
                        !printable ? log_put_hex
                        : json     ? log_put_json
                                   : log_put_text,
                        NULL);
    fputs(json ? "\"}\n" : "\n", stdout);
    return rc;
}

static int
log_dump(int argc, char **argv)
{
    int json = 0;
    const char *from_arg = NULL;
    const wk_cli_flag flags[] = {{"--json", 0, &json, NULL},
                                 {"--from", 1, NULL, &from_arg},
                                 {NULL, 0, 0, 0}};
    char *pos[1];
    uint64_t from = 0;
    wk_log_report rep;
    wk_log *log = NULL;
    wk_log_iter *it = NULL;
    char *chunk = NULL;
    int status = WK_CLI_ERROR;
    int rc;

    if (log_args("log dump", argc, argv, flags, pos))
        return WK_CLI_ERROR;
    if (from_arg && wk_cli_parse_u64(from_arg, &from))
        return wk_cli_usage_error(
            log_synopsis, "log dump: --from wants an LSN, not '%s'", from_arg);
    chunk = malloc(LOG_DUMP_CHUNK);
    if (!chunk) {
        wk_cli_error("log dump", WK_ENOMEM, NULL);
        return WK_CLI_ERROR;
    }
    if (log_open(pos[0], 1, &log, &rep))
        goto out_free;
    rc = wk_log_iter_open(log, from, &it);
    if (rc) {
        wk_cli_error("log dump: iterator", rc, wk_log_errmsg(log));
        goto out_close;
    }
    for (;;) {
        wk_log_entry e;

        rc = wk_log_iter_next(it, &e, 0);
        if (rc == WK_ENOTFOUND)
            break;
        if (rc == 0)
            rc = log_dump_entry(&e, chunk, json);
        if (rc) {
            wk_cli_error("log dump: reading entry", rc, wk_log_errmsg(log));
            goto out_iter;
        }
        if (ferror(stdout)) {
            log_stdout_ok();
            goto out_iter;
        }
    }
    if (log_stdout_ok())
        status = WK_CLI_OK;

out_iter:
    wk_log_iter_close(it);
out_close:
    if (log_close(log, pos[0]))
        status = WK_CLI_ERROR;
out_free:
    free(chunk);
    return status;
}

/* ---- verify ----------------------------------------------------------- */

static void
log_verify_json(const char *dir, const wk_log_report *rep, int rc)
{
    uint32_t listed = rep->corruptions < WK_LOG_MAX_REPORTED
                          ? rep->corruptions
                          : WK_LOG_MAX_REPORTED;

    fputs("{\"dir\":\"", stdout);
    wk_cli_put_json_str(stdout, dir, strlen(dir));
    printf("\",\"status\":\"%s\",\"segments\":%u,\"entries\":%llu,"
           "\"bytes\":%llu,\"first_lsn\":%llu,\"last_lsn\":%llu,"
           "\"checkpoint_lsn\":%llu,\"torn\":",
           rc ? "corrupt" : "clean", rep->segments,
           (unsigned long long)rep->entries, (unsigned long long)rep->bytes,
           (unsigned long long)rep->first_lsn,
           (unsigned long long)rep->last_lsn,
           (unsigned long long)rep->checkpoint_lsn);
    log_json_torn(stdout, rep);
    printf(",\"corruptions\":%u,\"corruption\":[", rep->corruptions);
    for (uint32_t i = 0; i < listed; i++) {
        const wk_log_corruption *c = &rep->corruption[i];
        fputs(i ? ",{\"file\":\"" : "{\"file\":\"", stdout);
        wk_cli_put_json_str(stdout, c->file, strnlen(c->file, sizeof(c->file)));
        printf("\",\"offset\":%llu,\"lsn\":%llu,\"bytes\":%llu,"
               "\"error\":\"%s\"}",
               (unsigned long long)c->offset, (unsigned long long)c->lsn,
               (unsigned long long)c->bytes, wk_errname(c->error));
    }
    fputs("]}\n", stdout);
}

static void
log_verify_text(const char *dir, const wk_log_report *rep, int rc)
{
    printf("log: %s\n", dir);
    printf("segments: %u\n", rep->segments);
    if (rep->entries)
        printf("entries: %llu (LSN %llu..%llu)\n",
               (unsigned long long)rep->entries,
               (unsigned long long)rep->first_lsn,
               (unsigned long long)rep->last_lsn);
    else
        printf("entries: 0\n");
    printf("bytes: %llu\n", (unsigned long long)rep->bytes);
    printf("checkpointed LSN: %llu\n", (unsigned long long)rep->checkpoint_lsn);
    log_text_torn(stdout, rep, " (not an error)");
    log_print_locations(stdout, rep);
    if (rc)
        printf("result: CORRUPT (%u corruption%s)\n", rep->corruptions,
               rep->corruptions == 1 ? "" : "s");
    else
        printf("result: clean\n");
}

static int
log_verify(int argc, char **argv)
{
    int json = 0;
    const wk_cli_flag flags[] = {{"--json", 0, &json, NULL}, {NULL, 0, 0, 0}};
    char *pos[1];
    wk_log_report rep;
    char what[512];
    int rc;

    if (log_args("log verify", argc, argv, flags, pos))
        return WK_CLI_ERROR;
    memset(&rep, 0, sizeof(rep));
    rc = wk_log_verify(pos[0], NULL, &rep);
    if (rc && rc != WK_ECORRUPT && rc != WK_EGAP) {
        snprintf(what, sizeof(what), "log verify '%s'", pos[0]);
        wk_cli_error(what, rc, NULL);
        return WK_CLI_ERROR;
    }
    if (json)
        log_verify_json(pos[0], &rep, rc);
    else
        log_verify_text(pos[0], &rep, rc);
    if (!log_stdout_ok())
        return WK_CLI_ERROR;
    return rc ? WK_CLI_PROBLEM : WK_CLI_OK;
}

/* ---- stat ------------------------------------------------------------- */

static int
log_stat(int argc, char **argv)
{
    int json = 0;
    const wk_cli_flag flags[] = {{"--json", 0, &json, NULL}, {NULL, 0, 0, 0}};
    char *pos[1];
    wk_log_report rep;
    wk_log_stats st;
    wk_log *log = NULL;
    int status = WK_CLI_ERROR;

    if (log_args("log stat", argc, argv, flags, pos))
        return WK_CLI_ERROR;
    if (log_open(pos[0], 1, &log, &rep))
        return WK_CLI_ERROR;
    wk_log_stats_get(log, &st);
    if (json) {
        fputs("{\"dir\":\"", stdout);
        wk_cli_put_json_str(stdout, pos[0], strlen(pos[0]));
        printf("\",\"segments\":%u,\"recycled\":%u,"
               "\"entries\":%llu,\"bytes\":%llu,\"first_lsn\":%llu,"
               "\"last_lsn\":%llu,\"checkpoint_lsn\":%llu,\"torn\":",
               rep.segments, st.recycled, (unsigned long long)rep.entries,
               (unsigned long long)rep.bytes, (unsigned long long)rep.first_lsn,
               (unsigned long long)rep.last_lsn,
               (unsigned long long)rep.checkpoint_lsn);
        log_json_torn(stdout, &rep);
        fputs("}\n", stdout);
    } else {
        printf("log: %s\n", pos[0]);
        printf("segments: %u (%u recycled in the pool)\n", rep.segments,
               st.recycled);
        printf("entries: %llu\n", (unsigned long long)rep.entries);
        printf("first LSN: %llu\n", (unsigned long long)rep.first_lsn);
        printf("last LSN: %llu\n", (unsigned long long)rep.last_lsn);
        printf("checkpointed LSN: %llu\n",
               (unsigned long long)rep.checkpoint_lsn);
        printf("bytes: %llu\n", (unsigned long long)rep.bytes);
        log_text_torn(stdout, &rep,
                      " (read-only: truncated at the next writable open)");
    }
    if (log_stdout_ok())
        status = WK_CLI_OK;
    if (log_close(log, pos[0]))
        status = WK_CLI_ERROR;
    return status;
}

/* ---- group ------------------------------------------------------------ */

static int
log_run(int argc, char **argv)
{
    static const struct {
        const char *verb;
        int (*fn)(int argc, char **argv);
    } verbs[] = {{"append", log_append},
                 {"dump", log_dump},
                 {"verify", log_verify},
                 {"stat", log_stat}};

    if (argc < 2)
        return wk_cli_usage_error(log_synopsis, "log: missing verb");
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "-h")) {
        fputs(log_usage, stdout);
        return WK_CLI_OK;
    }
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        if (!strcmp(argv[1], verbs[i].verb))
            return verbs[i].fn(argc - 2, argv + 2);
    }
    return wk_cli_usage_error(log_synopsis, "log: unknown verb '%s'", argv[1]);
}

static const wk_cli_cmd log_cmd = {
    .name = "log",
    .summary = "append to, dump, verify or describe a write-ahead log",
    .usage = log_usage,
    .run = log_run,
};

WK_CLI_COMMAND(log_cmd)
