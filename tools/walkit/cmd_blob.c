/* `walkit blob`: put, get, delete, list and check objects and key/value
 * records of a wk_blob store.
 *
 *   walkit blob put DIR FILE|- [--tag T]     prints the new object's id
 *   walkit blob get DIR ID                   object bytes on stdout
 *   walkit blob del DIR ID
 *   walkit blob ls DIR [--tag T] [--json]
 *   walkit blob stat DIR [--json]
 *   walkit blob verify DIR [--json]
 *   walkit blob compact DIR
 *   walkit blob kv set DIR KEY VALUE | kv get DIR KEY | kv del DIR KEY
 *
 * get, ls, stat, verify and kv get open the store read-only (no lock, no
 * repair). Exit 0 ok; 1 not found (get, del, kv get/del) or corruption found
 * (verify, get of a corrupt object); 2 usage or I/O error. Public API only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_util.h"
#include "walkit.h"

#define BL_SYNOPSIS                                                            \
    "usage: walkit blob put DIR FILE|- [--tag T]\n"                            \
    "       walkit blob get DIR ID\n"                                          \
    "       walkit blob del DIR ID\n"                                          \
    "       walkit blob ls DIR [--tag T] [--json]\n"                           \
    "       walkit blob stat DIR [--json]\n"                                   \
    "       walkit blob verify DIR [--json]\n"                                 \
    "       walkit blob compact DIR\n"                                         \
    "       walkit blob kv set DIR KEY VALUE\n"                                \
    "       walkit blob kv get DIR KEY\n"                                      \
    "       walkit blob kv del DIR KEY\n"

static const char bl_synopsis[] = BL_SYNOPSIS "(details: walkit help blob)\n";

static const char bl_usage[] = BL_SYNOPSIS
    "\n"
    "DIR is a blob store directory (created by the first put or kv set).\n"
    "\n"
    "put      Stores FILE (or stdin with -) as a new object, durably, and\n"
    "         prints its id. --tag T: a 64-bit tag (default 0).\n"
    "get      Writes object ID's bytes to stdout (checked against its\n"
    "         CRC32C). Exit 1 if there is no such object or it is corrupt.\n"
    "del      Deletes object ID durably. Exit 1 if there is no such object.\n"
    "ls       One line per object: id, length, tag, crc32c, chunk, offset.\n"
    "         --tag T lists only objects with that tag.\n"
    "stat     Objects, bytes, key/value records, streams, chunk files.\n"
    "verify   Replays the command log and checks every object's bytes.\n"
    "         Exit 0 when clean, 1 when corruption is found.\n"
    "compact  Moves the live objects of chunk files less than half live\n"
    "         into the current chunk, writes an index snapshot so the\n"
    "         command log shrinks, and removes chunk files holding nothing\n"
    "         live.\n"
    "kv       Key/value records: set KEY to VALUE (both taken as bytes),\n"
    "         get prints the value, del removes it (exit 1: no such key).\n";

typedef struct bl_args {
    const char *tag;
    int json;
    char *pos[4];
    int npos;
} bl_args;

static int
bl_parse(const char *verb, int argc, char **argv, bl_args *a, int want_pos,
         int allow_tag, int allow_json)
{
    wk_cli_flag flags[3];
    int k = 0;
    memset(a, 0, sizeof *a);
    if (allow_tag)
        flags[k++] = (wk_cli_flag){"--tag", 1, NULL, &a->tag};
    if (allow_json)
        flags[k++] = (wk_cli_flag){"--json", 0, &a->json, NULL};
    flags[k] = (wk_cli_flag){NULL, 0, NULL, NULL};
    a->npos = wk_cli_parse_args(verb, argc, argv, flags, a->pos, 4);
    if (a->npos < 0) {
        fputs(bl_synopsis, stderr);
        return -1;
    }
    if (a->npos != want_pos) {
        wk_cli_usage_error(bl_synopsis,
                           "blob %s: expected %d argument%s, got %d", verb,
                           want_pos, want_pos > 1 ? "s" : "", a->npos);
        return -1;
    }
    return 0;
}

static int
bl_open(const char *dir, int read_only, wk_blob **b)
{
    wk_blob_opts o;
    wk_blob_opts_init(&o);
    o.read_only = read_only;
    wk_blob_report rep;
    int rc = wk_blob_open(dir, &o, b, &rep);
    if (rc != 0) {
        char what[600];
        snprintf(what, sizeof what, "open blob store '%s'", dir);
        wk_cli_error(what, rc, rep.problem);
        if (rc == WK_ECORRUPT)
            fputs("walkit: run 'walkit blob verify' for a full report\n",
                  stderr);
    }
    return rc;
}

static int
bl_parse_u64(const char *what, const char *s, uint64_t *v)
{
    if (wk_cli_parse_u64(s, v) != 0) {
        wk_cli_usage_error(bl_synopsis, "blob: bad %s '%s'", what, s);
        return -1;
    }
    return 0;
}

/* Reads all of f (at most max bytes) into a malloc'd buffer. */
static int
bl_slurp(FILE *f, uint64_t max, uint8_t **out, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    if (buf == NULL)
        return -ENOMEM;
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                free(buf);
                return -E2BIG;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                return -ENOMEM;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        return -EIO;
    }
    if (n > max) {
        free(buf);
        return -E2BIG;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* ---- verbs ------------------------------------------------------------- */

static int
bl_put(int argc, char **argv)
{
    bl_args a;
    uint64_t tag = 0, id = 0;
    if (bl_parse("put", argc, argv, &a, 2, 1, 0) != 0)
        return WK_CLI_ERROR;
    if (a.tag != NULL && bl_parse_u64("tag", a.tag, &tag) != 0)
        return WK_CLI_ERROR;
    FILE *f = strcmp(a.pos[1], "-") == 0 ? stdin : fopen(a.pos[1], "rb");
    if (f == NULL) {
        wk_cli_error(a.pos[1], -errno, NULL);
        return WK_CLI_ERROR;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    wk_blob_opts o;
    wk_blob_opts_init(&o);
    int rc = bl_slurp(f, o.chunk_bytes - 4096, &data, &len);
    if (f != stdin)
        fclose(f);
    if (rc != 0) {
        wk_cli_error(a.pos[1], rc, NULL);
        return WK_CLI_ERROR;
    }
    wk_blob *b = NULL;
    if (bl_open(a.pos[0], 0, &b) != 0) {
        free(data);
        return WK_CLI_ERROR;
    }
    rc = wk_blob_put(b, data, len, tag, WK_SYNC, &id);
    free(data);
    if (rc != 0) {
        wk_cli_error("put", rc, wk_blob_errmsg(b));
        wk_blob_close(b);
        return WK_CLI_ERROR;
    }
    rc = wk_blob_close(b);
    if (rc != 0) {
        wk_cli_error("close", rc, NULL);
        return WK_CLI_ERROR;
    }
    printf("%llu\n", (unsigned long long)id);
    return WK_CLI_OK;
}

static int
bl_get(int argc, char **argv)
{
    bl_args a;
    uint64_t id;
    if (bl_parse("get", argc, argv, &a, 2, 0, 0) != 0 ||
        bl_parse_u64("id", a.pos[1], &id) != 0)
        return WK_CLI_ERROR;
    wk_blob *b = NULL;
    if (bl_open(a.pos[0], 1, &b) != 0)
        return WK_CLI_ERROR;
    wk_blob_view v;
    int rc = wk_blob_get(b, id, &v);
    int ret = WK_CLI_OK;
    if (rc != 0) {
        wk_cli_error("get", rc, wk_blob_errmsg(b));
        ret = rc == WK_ENOTFOUND || rc == WK_ECORRUPT ? WK_CLI_PROBLEM
                                                      : WK_CLI_ERROR;
    } else {
        if (fwrite(v.data, 1, v.len, stdout) != v.len || fflush(stdout) != 0) {
            wk_cli_error("write stdout", -EIO, NULL);
            ret = WK_CLI_ERROR;
        }
        wk_blob_view_release(b, &v);
    }
    wk_blob_close(b);
    return ret;
}

static int
bl_del(int argc, char **argv)
{
    bl_args a;
    uint64_t id;
    if (bl_parse("del", argc, argv, &a, 2, 0, 0) != 0 ||
        bl_parse_u64("id", a.pos[1], &id) != 0)
        return WK_CLI_ERROR;
    wk_blob *b = NULL;
    if (bl_open(a.pos[0], 0, &b) != 0)
        return WK_CLI_ERROR;
    int rc = wk_blob_delete(b, id, WK_SYNC);
    int ret = WK_CLI_OK;
    if (rc != 0) {
        wk_cli_error("delete", rc, wk_blob_errmsg(b));
        ret = rc == WK_ENOTFOUND ? WK_CLI_PROBLEM : WK_CLI_ERROR;
    }
    rc = wk_blob_close(b);
    if (rc != 0 && ret == WK_CLI_OK) {
        wk_cli_error("close", rc, NULL);
        ret = WK_CLI_ERROR;
    }
    return ret;
}

typedef struct bl_ls_ctx {
    int json;
    uint64_t n;
} bl_ls_ctx;

static int
bl_ls_fn(void *arg, const wk_blob_info *in)
{
    bl_ls_ctx *c = arg;
    if (c->json)
        printf("%s{\"id\":%llu,\"len\":%llu,\"tag\":%llu,\"crc32c\":%u,"
               "\"chunk\":%u,\"offset\":%llu}",
               c->n ? "," : "", (unsigned long long)in->id,
               (unsigned long long)in->len, (unsigned long long)in->tag,
               in->crc, in->chunk, (unsigned long long)in->offset);
    else
        printf("%llu %llu %llu %08x %u %llu\n", (unsigned long long)in->id,
               (unsigned long long)in->len, (unsigned long long)in->tag,
               in->crc, in->chunk, (unsigned long long)in->offset);
    c->n++;
    return 0;
}

static int
bl_ls(int argc, char **argv)
{
    bl_args a;
    uint64_t tag = 0;
    if (bl_parse("ls", argc, argv, &a, 1, 1, 1) != 0)
        return WK_CLI_ERROR;
    if (a.tag != NULL && bl_parse_u64("tag", a.tag, &tag) != 0)
        return WK_CLI_ERROR;
    wk_blob *b = NULL;
    if (bl_open(a.pos[0], 1, &b) != 0)
        return WK_CLI_ERROR;
    bl_ls_ctx c = {a.json, 0};
    if (a.json)
        printf("{\"objects\":[");
    int rc = wk_blob_list(b, tag, bl_ls_fn, &c);
    if (a.json)
        printf("]}\n");
    fflush(stdout);
    wk_blob_close(b);
    if (rc != 0) {
        wk_cli_error("list", rc, NULL);
        return WK_CLI_ERROR;
    }
    return WK_CLI_OK;
}

static void
bl_print_report(const wk_blob_report *r, int json)
{
    if (json) {
        printf(
            "\"objects\":%llu,\"object_bytes\":%llu,\"kv\":%llu,"
            "\"streams\":%llu,\"chunks\":%u,\"snapshot_lsn\":%llu,"
            "\"records\":%llu,\"bad_records\":%llu,\"bad_objects\":%llu,"
            "\"log_torn_bytes\":%llu,\"problem\":\"",
            (unsigned long long)r->objects, (unsigned long long)r->object_bytes,
            (unsigned long long)r->kv, (unsigned long long)r->streams,
            r->chunks, (unsigned long long)r->snapshot_lsn,
            (unsigned long long)r->records, (unsigned long long)r->bad_records,
            (unsigned long long)r->bad_objects,
            (unsigned long long)r->log.torn_bytes);
        wk_cli_put_json_str(stdout, r->problem, strlen(r->problem));
        printf("\"");
        return;
    }
    printf("objects: %llu (%llu bytes)\n", (unsigned long long)r->objects,
           (unsigned long long)r->object_bytes);
    printf("key/value records: %llu\n", (unsigned long long)r->kv);
    printf("streams: %llu\n", (unsigned long long)r->streams);
    printf("chunk files: %u\n", r->chunks);
    printf("snapshot LSN: %llu, log records replayed: %llu\n",
           (unsigned long long)r->snapshot_lsn, (unsigned long long)r->records);
    if (r->log.torn_bytes > 0)
        printf("log torn tail: %llu bytes\n",
               (unsigned long long)r->log.torn_bytes);
    if (r->bad_records > 0 || r->bad_objects > 0)
        printf("bad records: %llu, bad objects: %llu\n",
               (unsigned long long)r->bad_records,
               (unsigned long long)r->bad_objects);
    if (r->problem[0] != '\0')
        printf("problem: %s\n", r->problem);
}

static int
bl_stat(int argc, char **argv)
{
    bl_args a;
    if (bl_parse("stat", argc, argv, &a, 1, 0, 1) != 0)
        return WK_CLI_ERROR;
    wk_blob_opts o;
    wk_blob_opts_init(&o);
    o.read_only = 1;
    wk_blob_report r;
    wk_blob *b = NULL;
    int rc = wk_blob_open(a.pos[0], &o, &b, &r);
    if (rc != 0) {
        wk_cli_error("open blob store", rc, r.problem);
        return WK_CLI_ERROR;
    }
    wk_blob_stats st;
    wk_blob_stats_get(b, &st);
    if (a.json) {
        printf("{\"chunk_file_bytes\":%llu,\"stream_bytes\":%llu,",
               (unsigned long long)st.chunk_file_bytes,
               (unsigned long long)st.stream_bytes);
        bl_print_report(&r, 1);
        printf("}\n");
    } else {
        bl_print_report(&r, 0);
        printf("chunk file bytes: %llu\n",
               (unsigned long long)st.chunk_file_bytes);
        printf("stream bytes: %llu\n", (unsigned long long)st.stream_bytes);
    }
    fflush(stdout);
    wk_blob_close(b);
    return WK_CLI_OK;
}

static int
bl_verify(int argc, char **argv)
{
    bl_args a;
    if (bl_parse("verify", argc, argv, &a, 1, 0, 1) != 0)
        return WK_CLI_ERROR;
    wk_blob_report r;
    int rc = wk_blob_verify(a.pos[0], NULL, &r);
    if (rc != 0 && rc != WK_ECORRUPT && rc != WK_EGAP) {
        wk_cli_error("verify", rc, r.problem);
        return WK_CLI_ERROR;
    }
    if (a.json) {
        printf("{\"ok\":%s,", rc == 0 ? "true" : "false");
        bl_print_report(&r, 1);
        printf("}\n");
    } else {
        bl_print_report(&r, 0);
        printf("%s\n", rc == 0 ? "ok" : "CORRUPT");
    }
    fflush(stdout);
    return rc == 0 ? WK_CLI_OK : WK_CLI_PROBLEM;
}

static int
bl_compact(int argc, char **argv)
{
    bl_args a;
    if (bl_parse("compact", argc, argv, &a, 1, 0, 0) != 0)
        return WK_CLI_ERROR;
    wk_blob *b = NULL;
    if (bl_open(a.pos[0], 0, &b) != 0)
        return WK_CLI_ERROR;
    int rc = wk_blob_compact(b);
    if (rc != 0)
        wk_cli_error("compact", rc, wk_blob_errmsg(b));
    int crc = wk_blob_close(b);
    if (rc == 0 && crc != 0)
        wk_cli_error("close", rc = crc, NULL);
    return rc == 0 ? WK_CLI_OK : WK_CLI_ERROR;
}

static int
bl_kv(int argc, char **argv)
{
    if (argc < 1)
        return wk_cli_usage_error(bl_synopsis, "blob kv: missing verb");
    const char *verb = argv[0];
    bl_args a;
    int set = strcmp(verb, "set") == 0, get = strcmp(verb, "get") == 0;
    int del = strcmp(verb, "del") == 0;
    if (!set && !get && !del)
        return wk_cli_usage_error(bl_synopsis, "blob kv: unknown verb '%s'",
                                  verb);
    if (bl_parse(set   ? "kv set"
                 : get ? "kv get"
                       : "kv del",
                 argc - 1, argv + 1, &a, set ? 3 : 2, 0, 0) != 0)
        return WK_CLI_ERROR;
    const char *key = a.pos[1];
    wk_blob *b = NULL;
    if (bl_open(a.pos[0], get, &b) != 0)
        return WK_CLI_ERROR;
    int rc, ret = WK_CLI_OK;
    if (set) {
        rc = wk_blob_kv_set(b, key, strlen(key), a.pos[2], strlen(a.pos[2]),
                            WK_SYNC);
    } else if (del) {
        rc = wk_blob_kv_del(b, key, strlen(key), WK_SYNC);
    } else {
        size_t len = 0;
        char *val = malloc(WK_BLOB_MAX_VALUE);
        rc = val == NULL ? -ENOMEM
                         : wk_blob_kv_get(b, key, strlen(key), val,
                                          WK_BLOB_MAX_VALUE, &len);
        if (rc == 0) {
            fwrite(val, 1, len, stdout);
            fflush(stdout);
        }
        free(val);
    }
    if (rc != 0) {
        wk_cli_error(set   ? "kv set"
                     : get ? "kv get"
                           : "kv del",
                     rc, wk_blob_errmsg(b));
        ret = rc == WK_ENOTFOUND ? WK_CLI_PROBLEM : WK_CLI_ERROR;
    }
    rc = wk_blob_close(b);
    if (rc != 0 && ret == WK_CLI_OK) {
        wk_cli_error("close", rc, NULL);
        ret = WK_CLI_ERROR;
    }
    return ret;
}

/* ---- dispatch --------------------------------------------------------- */

static int
bl_run(int argc, char **argv)
{
    if (argc < 2)
        return wk_cli_usage_error(bl_synopsis, "blob: missing verb");
    const char *verb = argv[1];
    if (strcmp(verb, "put") == 0)
        return bl_put(argc - 2, argv + 2);
    if (strcmp(verb, "get") == 0)
        return bl_get(argc - 2, argv + 2);
    if (strcmp(verb, "del") == 0)
        return bl_del(argc - 2, argv + 2);
    if (strcmp(verb, "ls") == 0)
        return bl_ls(argc - 2, argv + 2);
    if (strcmp(verb, "stat") == 0)
        return bl_stat(argc - 2, argv + 2);
    if (strcmp(verb, "verify") == 0)
        return bl_verify(argc - 2, argv + 2);
    if (strcmp(verb, "compact") == 0)
        return bl_compact(argc - 2, argv + 2);
    if (strcmp(verb, "kv") == 0)
        return bl_kv(argc - 2, argv + 2);
    return wk_cli_usage_error(bl_synopsis, "blob: unknown verb '%s'", verb);
}

static const wk_cli_cmd bl_cmd = {
    .name = "blob",
    .summary = "blob store: objects and key/value records (put, get, del, "
               "ls, stat, verify, compact, kv)",
    .usage = bl_usage,
    .run = bl_run,
};

WK_CLI_COMMAND(bl_cmd)
