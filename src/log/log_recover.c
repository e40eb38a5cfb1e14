/* wk_log recovery (at open) and verification: lists the segments, orders
 * the ACTIVE ones by first_fsn, scans their frames, tells a torn tail from
 * corruption and from a missing segment, applies the policy, and (when
 * opening read-write) durably invalidates what it discards before anything
 * new is appended. The algorithm is specified in log.c ("Recovery"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/byteorder.h"
#include "log/log_internal.h"

#define REC_WINDOW (1u << 20)

typedef struct rec_ctx {
    wk_log *log; /* NULL for verify */
    wk_vfs *vfs;
    const char *dir;
    const wk_log_opts *o;
    wk_log_report *rep;
    int rw;
    wk_recovery_policy policy;

    wk__seg **act; /* ACTIVE segments, ascending first_fsn */
    uint32_t nact, capact;
    uint8_t *discard; /* per act[]: 1 = to be freed */
    wk__seg **freel;  /* FREE segments */
    uint32_t nfree, capfree;
    char **blank; /* blank files to remove */
    uint32_t nblank, capblank;

    wk__scan sc;  /* main frame walk */
    wk__scan sc2; /* forward search window */
    wk__scan sc3; /* candidate checks, chunk validation */

    uint64_t ckpt;
    uint64_t E;          /* next expected FSN */
    uint64_t last_valid; /* last valid frame's FSN */
    uint64_t max_seen;   /* highest FSN any valid frame or header used */
    int first_err;
    /* The last accepted frame (a CLOSE there means a clean close). */
    uint8_t last_type;
    wk__seg *last_seg;
    uint64_t last_off;
    uint64_t last_batch; /* its seq - aux (the last non-CLOSE one's) */
    /* FSNs up to known_durable were durable when the writer of the last
     * non-CLOSE frame reserved it ((seq - aux) - 1 - undurable). */
    uint64_t known_durable;
    /* The last REC_BSTARTS batch starts (first frames: aux 0) of the
     * segment holding the last accepted frame, as (FSN, offset). */
    wk__seg *bs_seg;
    uint64_t bs_fsn[8], bs_off[8];
    uint64_t nbs;

    wk__seg *zseg; /* zero [zfrom, zto) of zseg */
    uint64_t zfrom, zto;
    uint32_t nlive;
} rec_ctx;

/* Parses "seg-NNNNNN.wal"; 0 if it is not a segment name. */
static uint32_t
rec_parse_name(const char *name)
{
    if (strlen(name) != 14 || strncmp(name, "seg-", 4) != 0 ||
        strcmp(name + 10, ".wal") != 0)
        return 0;
    uint32_t v = 0;
    for (int i = 4; i < 10; i++) {
        if (name[i] < '0' || name[i] > '9')
            return 0;
        v = v * 10 + (uint32_t)(name[i] - '0');
    }
    return v;
}

typedef struct rec_list {
    uint32_t *slots;
    uint32_t n, cap;
    int err;
} rec_list;

static int
rec_list_fn(void *arg, const char *name)
{
    rec_list *l = arg;
    uint32_t slot = rec_parse_name(name);
    if (slot == 0)
        return 0;
    if (l->n == l->cap) {
        uint32_t ncap = l->cap ? l->cap * 2 : 16;
        uint32_t *a = wk__realloc(l->slots, ncap * sizeof *a);
        if (a == NULL) {
            l->err = WK_ENOMEM;
            return 1;
        }
        l->slots = a;
        l->cap = ncap;
    }
    l->slots[l->n++] = slot;
    return 0;
}

static int
rec_cmp_first(const void *a, const void *b)
{
    const wk__seg *x = *(wk__seg *const *)a, *y = *(wk__seg *const *)b;
    if (x->first_fsn != y->first_fsn)
        return x->first_fsn < y->first_fsn ? -1 : 1;
    return x->slot < y->slot ? -1 : (x->slot > y->slot);
}

/* Records one corruption; returns what the policy says to do:
 * err (fail), 1 (stop here: point in time), 2 (skip). */
static int
rec_corrupt(rec_ctx *c, const wk__seg *s, const char *file, uint64_t off,
            uint64_t lsn, uint64_t bytes, int err)
{
    wk_log_report *r = c->rep;
    if (r->corruptions < WK_LOG_MAX_REPORTED) {
        wk_log_corruption *k = &r->corruption[r->corruptions];
        snprintf(k->file, sizeof k->file, "%s", s ? s->name : file);
        k->offset = off;
        k->lsn = lsn;
        k->bytes = bytes;
        k->error = err;
    }
    r->corruptions++;
    if (c->first_err == 0)
        c->first_err = err;
    if (c->log != NULL)
        wk__errmsg_set(&c->log->msg, err,
                       "recover log '%s': segment '%s' offset %llu lsn %llu",
                       c->dir, s ? s->name : file, (unsigned long long)off,
                       (unsigned long long)lsn);
    switch (c->policy) {
    case WK_RECOVER_POINT_IN_TIME:
        return 1;
    case WK_RECOVER_SKIP_CORRUPT:
        return 2;
    default:
        return err;
    }
}

/* Opens and classifies segment slot. */
static int
rec_load(rec_ctx *c, uint32_t slot)
{
    char *path = NULL;
    wk__seg *s = wk__seg_new_path(c->dir, slot, &path);
    if (s == NULL)
        return WK_ENOMEM;
    int rc = c->vfs->open(c->vfs, path, c->rw ? WK_O_RDWR : WK_O_RDONLY, &s->f);
    if (rc != 0)
        goto out_path;
    rc = wk_file_size(s->f, &s->size);
    if (rc != 0)
        goto out_path;
    uint8_t hdr[LOG_HDR_USED];
    int h = 1;
    uint32_t state = 0;
    uint64_t salt = 0, first = 0, segb = 0;
    if (s->size >= LOG_HDR_BYTES + WK__REC_HDR) {
        rc = wk_file_pread_full(s->f, hdr, sizeof hdr, 0);
        if (rc != 0)
            goto out_path;
        h = wk__seg_decode_header(hdr, &state, &salt, &first, &segb);
    }
    if (h == 0 && state == LOG_SEG_FREE && s->size != c->o->segment_bytes)
        h = 1;    /* a pooled segment of another size: remove, do not reuse */
    if (h == 1) { /* blank: a creation that did not finish */
        if (c->rw) {
            char **a =
                wk__log_grow(c->blank, c->nblank, &c->capblank, sizeof *a);
            if (a == NULL) {
                rc = WK_ENOMEM;
                goto out_path;
            }
            c->blank = a;
            a[c->nblank++] = path;
            path = NULL;
        }
        wk__seg_free(s);
        wk__free(path);
        return 0;
    }
    if (h == WK_EFORMAT) {
        rc = WK_EFORMAT;
        if (c->log != NULL)
            wk__errmsg_set(&c->log->msg, rc, "segment '%s'", s->name);
        goto out_path;
    }
    if (h != 0) {
        rc = rec_corrupt(c, s, NULL, 0, 0, s->size, WK_ECORRUPT);
        if (rc < 0)
            goto out_path;
        wk__seg_free(s); /* unusable: left alone */
        wk__free(path);
        return 0;
    }
    wk__free(path);
    path = NULL;
    s->salt = salt;
    s->salt_crc = wk__rec_salt_crc(salt);
    s->state = state;
    s->hdr_bytes = segb;
    if (state == LOG_SEG_FREE)
        return wk__seg_push(&c->freel, &c->nfree, &c->capfree, s) == 0
                   ? 0
                   : (wk__seg_free(s), WK_ENOMEM);
    s->first_fsn = first;
    s->hdr_bytes = segb;
    s->activated = 1;
    if (first > c->max_seen)
        c->max_seen = first; /* an activation may have handed it out */
    rc = wk__seg_push(&c->act, &c->nact, &c->capact, s);
    if (rc != 0)
        goto out_seg;
    return 0;
out_path:
    wk__free(path);
out_seg:
    wk__seg_free(s);
    return rc;
}

/* Notes the FSNs a valid frame used (a SKIP uses up to its target - 1). */
static void
rec_seen(rec_ctx *c, const wk__rec *r, const uint8_t *frame)
{
    uint64_t top = r->seq;
    if (r->type == LOG_FT_SKIP)
        top = wk__get64(frame + WK__REC_HDR) - 1;
    if (top > c->max_seen)
        c->max_seen = top;
}

/* Finds the first valid frame at or after from in s with seq >= min_seq.
 * 1 found (*r, *at), 0 none, <0 error. */
static int
rec_find_valid(rec_ctx *c, wk__seg *s, uint64_t from, uint64_t min_seq,
               wk__rec *r, uint64_t *at)
{
    wk__scan_reset(&c->sc2, s->f, s->salt_crc);
    wk__scan_reset(&c->sc3, s->f, s->salt_crc);
    uint64_t off = from;
    while (off < s->size && s->size - off >= WK__REC_HDR) {
        uint64_t rest = s->size - off;
        size_t chunk = rest < REC_WINDOW ? (size_t)rest : REC_WINDOW;
        const uint8_t *p = NULL;
        int rc = wk__scan_need(&c->sc2, off, chunk, s->size, &p);
        if (rc == -EAGAIN)
            return 0;
        if (rc != 0)
            return rc;
        size_t last = chunk - WK__REC_HDR;
        for (size_t i = 0; i <= last; i++) {
            const uint8_t *q = p + i;
            if ((unsigned)q[4] - 1u > LOG_FT_MAX - 1u)
                continue;
            uint64_t seq = wk__get64(q + 16);
            uint32_t aux = wk__get32(q + 12);
            uint32_t len = wk__get32(q + 8);
            if (seq < min_seq || aux >= seq ||
                (uint64_t)len > s->size - (off + i) - WK__REC_HDR)
                continue;
            wk__rec rr;
            const uint8_t *fr = NULL;
            rc = wk__scan_frame(&c->sc3, off + i, s->size, &rr, &fr);
            if (rc == 0) {
                rec_seen(c, &rr, fr);
                *r = rr;
                *at = off + i;
                return 1;
            }
            if (rc != WK_ECORRUPT && rc != -EAGAIN)
                return rc;
        }
        off += last + 1;
    }
    return 0;
}

/* Validates the COMMIT frame r (payload pl) found in act[k] at offset off;
 * 0 valid, WK_ECORRUPT not, <0 error. Raises chunk segments'
 * max_needed. */
static int
rec_check_commit(rec_ctx *c, uint32_t k, uint64_t off, const wk__rec *r,
                 const uint8_t *pl)
{
    if (r->len < LOG_COMMIT_HDR)
        return WK_ECORRUPT;
    uint64_t id = wk__get64(pl);
    uint64_t total = wk__get64(pl + 8);
    uint32_t n = wk__get32(pl + 16);
    if ((uint64_t)r->len != LOG_COMMIT_HDR + (uint64_t)n * LOG_COMMIT_REF)
        return WK_ECORRUPT;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *ref = pl + LOG_COMMIT_HDR + (size_t)i * LOG_COMMIT_REF;
        uint32_t slot = wk__get32(ref);
        uint64_t coff = wk__get64(ref + 4);
        uint32_t clen = wk__get32(ref + 12);
        wk__seg *cs = NULL;
        uint64_t limit = 0;
        for (uint32_t j = 0; j <= k; j++) {
            if (c->act[j]->slot == slot && !c->discard[j]) {
                cs = c->act[j];
                limit = j == k ? off : cs->end;
            }
        }
        if (cs == NULL || coff < LOG_HDR_BYTES)
            return WK_ECORRUPT;
        wk__scan_reset(&c->sc3, cs->f, cs->salt_crc);
        wk__rec cr;
        const uint8_t *fr = NULL;
        int rc = wk__scan_frame(&c->sc3, coff, limit, &cr, &fr);
        if (rc == -EAGAIN || rc == WK_ECORRUPT)
            return WK_ECORRUPT;
        if (rc != 0)
            return rc;
        if (cr.type != LOG_FT_CHUNK || cr.len < LOG_CHUNK_HDR ||
            cr.len - LOG_CHUNK_HDR != clen || cr.seq >= r->seq ||
            wk__get64(fr + WK__REC_HDR) != id ||
            wk__get32(fr + WK__REC_HDR + 8) != i)
            return WK_ECORRUPT;
        sum += clen;
    }
    if (sum != total)
        return WK_ECORRUPT;
    return 0;
}

/* Raises max_needed of every segment a COMMIT frame names. */
static void
rec_commit_pins(rec_ctx *c, uint32_t k, const wk__rec *r, const uint8_t *pl)
{
    if (r->len < LOG_COMMIT_HDR)
        return;
    uint32_t n = wk__get32(pl + 16);
    if ((uint64_t)r->len != LOG_COMMIT_HDR + (uint64_t)n * LOG_COMMIT_REF)
        return;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t slot =
            wk__get32(pl + LOG_COMMIT_HDR + (size_t)i * LOG_COMMIT_REF);
        for (uint32_t j = 0; j <= k; j++)
            if (c->act[j]->slot == slot && c->act[j]->max_needed < r->seq)
                c->act[j]->max_needed = r->seq;
    }
}

/* Hands one accepted entry to the callback (above the checkpoint). */
static int
rec_deliver(rec_ctx *c, const wk__rec *r, const uint8_t *frame)
{
    if (r->seq <= c->ckpt)
        return 0;
    wk_log_report *rep = c->rep;
    wk_log_entry e;
    log_stream_view view;
    int rc = wk__log_entry_from_frame(c->log, r, frame, &e, &view);
    if (rc != 0)
        return rc;
    rep->entries++;
    rep->bytes += e.len;
    if (rep->first_lsn == 0)
        rep->first_lsn = r->seq;
    if (c->log != NULL && c->o->recover_fn != NULL) {
        rc = c->o->recover_fn(c->o->recover_arg, &e);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Walks the valid frames of act[k] from off with c->E; returns the end
 * offset reached in *x and the frame state there. */
static int
rec_walk(rec_ctx *c, uint32_t k, uint64_t off, uint64_t *x, int *torn_cand,
         uint64_t *torn_end, int *pit)
{
    wk__seg *s = c->act[k];
    wk__scan_reset(&c->sc, s->f, s->salt_crc);
    uint64_t lastidx = 0;
    int have_idx = 0;
    for (;;) {
        wk__rec r;
        const uint8_t *fr = NULL;
        int rc = wk__scan_frame(&c->sc, off, s->size, &r, &fr);
        if (rc != 0 && rc != WK_ECORRUPT && rc != -EAGAIN)
            return rc;
        if (rc != 0 || r.seq != c->E) {
            *x = off;
            *torn_cand = r.seq == c->E && r.type >= LOG_FT_FULL &&
                         r.type <= LOG_FT_MAX &&
                         (rc == WK_ECORRUPT || rc == -EAGAIN);
            uint64_t room = s->size - off;
            uint64_t need = WK__REC_HDR + (uint64_t)r.len;
            *torn_end = off + (need < room ? need : room);
            if (*torn_end < off + WK__REC_HDR && room >= WK__REC_HDR)
                *torn_end = off + WK__REC_HDR;
            return 0;
        }
        if (r.type == LOG_FT_COMMIT && r.seq > c->ckpt) {
            /* (At or below the checkpoint its chunks may be recycled.) */
            rc = rec_check_commit(c, k, off, &r, fr + WK__REC_HDR);
            if (rc == WK_ECORRUPT) {
                rc = rec_corrupt(c, s, NULL, off, r.seq,
                                 WK__REC_HDR + (uint64_t)r.len, WK_ECORRUPT);
                if (rc < 0)
                    return rc;
                if (rc == 1) { /* point in time: stop before it */
                    *x = off;
                    *torn_cand = 0;
                    *torn_end = off;
                    *pit = 1;
                    return 0;
                }
                /* skip the entry */
                off += WK__REC_HDR + (uint64_t)r.len;
                c->E++;
                c->last_valid = r.seq;
                s->last_fsn = r.seq;
                s->end = off;
                continue;
            }
            if (rc != 0)
                return rc;
        }
        if (r.type == LOG_FT_COMMIT)
            rec_commit_pins(c, k, &r, fr + WK__REC_HDR);
        if (!have_idx || off - lastidx >= LOG_IDX_EVERY) {
            if (c->log != NULL && wk__seg_idx_add(s, r.seq, off) != 0)
                return WK_ENOMEM;
            lastidx = off;
            have_idx = 1;
        }
        if (LOG_FT_IS_ENTRY(r.type)) {
            rc = rec_deliver(c, &r, fr);
            if (rc != 0)
                return rc;
            c->rep->last_lsn = r.seq;
        }
        rec_seen(c, &r, fr);
        c->last_type = r.type;
        c->last_seg = s;
        c->last_off = off;
        if (c->bs_seg != s) {
            c->bs_seg = s;
            c->nbs = 0;
        }
        if (r.aux == 0) {
            c->bs_fsn[c->nbs % 8] = r.seq;
            c->bs_off[c->nbs % 8] = off;
            c->nbs++;
        }
        if (r.type != LOG_FT_CLOSE) {
            c->last_batch = r.seq - r.aux;
            uint64_t und = LOG_UND_GET(&r);
            c->known_durable =
                c->last_batch > und + 1 ? c->last_batch - 1 - und : 0;
        }
        off += WK__REC_HDR + (uint64_t)r.len;
        c->E++;
        c->last_valid = r.seq;
        s->last_fsn = r.seq;
        if (r.type == LOG_FT_SKIP) { /* the FSNs jump (validated) */
            c->E = wk__get64(fr + WK__REC_HDR);
            s->last_fsn = c->E - 1;
        }
        s->end = off;
        s->durable_end = off;
    }
}

/* Index of the next segment after k holding any valid frame (j, its first
 * valid frame in *r at *at), marking empty ones between for discard.
 * Returns 1 found, 0 none, <0 error. */
static int
rec_next_nonempty(rec_ctx *c, uint32_t k, uint32_t *j, wk__rec *r, uint64_t *at)
{
    for (uint32_t i = k + 1; i < c->nact; i++) {
        wk__seg *s = c->act[i];
        int rc = rec_find_valid(c, s, LOG_HDR_BYTES, s->first_fsn, r, at);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            *j = i;
            return 1;
        }
        c->discard[i] = 1;
    }
    return 0;
}

/* The main scan over the ACTIVE segments. */
static int
rec_scan(rec_ctx *c)
{
    wk_log_report *rep = c->rep;
    c->E = c->nact > 0 ? c->act[0]->first_fsn : c->ckpt + 1;
    uint64_t start_off = LOG_HDR_BYTES;
    int have_start = 0; /* start_off/E set by a skip */
    int stop = 0;
    for (uint32_t k = 0; k < c->nact; k++) {
        wk__seg *s = c->act[k];
        if (stop || c->discard[k]) {
            c->discard[k] = 1;
            continue;
        }
        uint64_t off = LOG_HDR_BYTES;
        if (have_start) {
            off = start_off;
            have_start = 0;
        } else if (s->first_fsn != c->E ||
                   (k == 0 && s->first_fsn > c->ckpt + 1)) {
            wk__rec r;
            uint64_t at = 0;
            int rc = rec_find_valid(c, s, LOG_HDR_BYTES, s->first_fsn, &r, &at);
            if (rc < 0)
                return rc;
            if (rc == 0) { /* empty: an activation that never completed */
                c->discard[k] = 1;
                continue;
            }
            int err = s->first_fsn > c->E || k == 0 ? WK_EGAP : WK_ECORRUPT;
            uint64_t want = k == 0 ? c->ckpt + 1 : c->E;
            rc = rec_corrupt(c, s, NULL, LOG_HDR_BYTES, want, 0, err);
            if (rc < 0)
                return rc;
            if (rc == 1) {
                stop = 1;
                c->discard[k] = 1;
                continue;
            }
            off = at;
            c->E = r.seq;
        }
        if (c->log != NULL && wk__seg_push(&c->log->live, &c->log->nlive,
                                           &c->log->caplive, s) != 0)
            return WK_ENOMEM;
        c->nlive++;
        s->end = off;
        s->durable_end = off;
        for (;;) { /* walk, then classify the end */
            uint64_t x = 0, tend = 0;
            int tc = 0, pit = 0;
            int rc = rec_walk(c, k, off, &x, &tc, &tend, &pit);
            if (rc != 0)
                return rc;
            if (pit) { /* point in time stop inside the segment */
                stop = 1;
                c->zseg = s;
                c->zfrom = x;
                c->zto = s->size;
                break;
            }
            /* valid frames after x: same (torn) batch, or a later one */
            uint64_t far = x, from = tc ? x + 1 : x;
            wk__rec y;
            uint64_t yat = 0;
            int later = 0;
            for (;;) {
                rc = rec_find_valid(c, s, from, s->first_fsn, &y, &yat);
                if (rc < 0)
                    return rc;
                if (rc == 0)
                    break;
                /* y's writer knew FSNs up to (y.seq - y.aux) - 1 - und
                 * durable: if E is among them, E was durable. */
                if (y.seq - y.aux > c->E + LOG_UND_GET(&y)) {
                    later = 1;
                    break;
                }
                far = yat + WK__REC_HDR + y.len;
                from = far;
            }
            if (later) {
                rc = rec_corrupt(c, s, NULL, x, c->E, yat - x, WK_ECORRUPT);
                if (rc < 0)
                    return rc;
                if (rc == 1) {
                    stop = 1;
                    c->zseg = s;
                    c->zfrom = x;
                    c->zto = s->size;
                    break;
                }
                off = yat;
                c->E = y.seq;
                continue;
            }
            if (!tc && far == x)
                break; /* clean end: the next segment must start at E */
            /* Torn or corrupt: is anything valid after this segment? */
            uint32_t j = 0;
            rc = rec_next_nonempty(c, k, &j, &y, &yat);
            if (rc < 0)
                return rc;
            if (rc == 1 && far == x && c->act[j]->first_fsn == c->E &&
                yat == LOG_HDR_BYTES && y.seq == c->E)
                break; /* junk at the end, then a normal rotation */
            if (rc == 1) {
                uint64_t bytes = s->size - x;
                int rc2 = rec_corrupt(c, s, NULL, x, c->E, bytes, WK_ECORRUPT);
                if (rc2 < 0)
                    return rc2;
                if (rc2 == 1) {
                    stop = 1;
                    c->zseg = s;
                    c->zfrom = x;
                    c->zto = s->size;
                    break;
                }
                for (uint32_t i = k + 1; i < j; i++)
                    c->discard[i] = 1;
                have_start = 1;
                start_off = yat;
                c->E = y.seq;
                break;
            }
            /* torn tail */
            uint64_t zto = far > tend ? far : tend;
            if (c->policy == WK_RECOVER_ABSOLUTE) {
                rc = rec_corrupt(c, s, NULL, x, c->E, zto - x, WK_ECORRUPT);
                return rc < 0 ? rc : WK_ECORRUPT;
            }
            rep->torn_bytes = zto - x;
            rep->torn_offset = x;
            snprintf(rep->torn_file, sizeof rep->torn_file, "%s", s->name);
            c->zseg = s;
            c->zfrom = x;
            c->zto = zto;
            stop = 1;
            break;
        }
    }
    return 0;
}

/* Raises c->max_seen over every valid frame in [from, end) of s: what a
 * point-in-time recovery discards may hold FSNs handed out long ago. */
static int
rec_scan_max(rec_ctx *c, wk__seg *s, uint64_t from)
{
    for (;;) {
        wk__rec r;
        uint64_t at = 0;
        int rc = rec_find_valid(c, s, from, 1, &r, &at);
        if (rc <= 0)
            return rc;
        from = at + WK__REC_HDR + r.len;
    }
}

/* Writes zeros over [from, to) of s and syncs. */
static int
rec_zero(rec_ctx *c, wk__seg *s, uint64_t from, uint64_t to)
{
    static const uint8_t zeros[64 * 1024];
    while (from < to) {
        size_t n =
            to - from < sizeof zeros ? (size_t)(to - from) : sizeof zeros;
        int rc = wk_file_pwrite(s->f, zeros, n, from);
        if (rc != 0)
            return wk__errmsg_set(&c->log->msg, rc, "truncate segment '%s'",
                                  s->name);
        from += n;
    }
    int rc = wk_file_sync(s->f, WK_SYNC_DATA);
    if (rc != 0)
        return wk__errmsg_set(&c->log->msg, rc, "fdatasync segment '%s'",
                              s->name);
    return 0;
}

/* A batch whose fdatasync failed is still readable from the page cache
 * until the machine restarts, but not durable (Linux marked its pages
 * clean), and recovery accepted it. Before anything is written after it,
 * the frames of the last segment not known durable (FSN > known_durable:
 * at most the batches in flight when the last frame was reserved) are
 * read and written back unchanged, then synced. After a power cut this
 * rewrites bytes that are durable already. From the segment's start (its
 * header included) when the first such batch is not among the last 8
 * batch starts seen. */
static int
rec_rewrite_unsynced(rec_ctx *c)
{
    wk__seg *s = c->last_seg;
    if (s == NULL || c->bs_seg != s || s->end <= LOG_HDR_BYTES)
        return 0;
    uint64_t end = s->end;
    if (c->zseg == s && c->zfrom < end)
        end = c->zfrom; /* a clean close's CLOSE frame, zeroed already */
    /* The oldest batch start not known durable; the segment's start (its
     * header too) if that is the oldest one recorded: batches before it,
     * if any, are not known durable either. */
    uint64_t from = end;
    uint64_t n = c->nbs < 8 ? c->nbs : 8;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t j = (c->nbs - n + i) % 8;
        if (c->bs_fsn[j] > c->known_durable) {
            from = i == 0 ? 0 : c->bs_off[j];
            break;
        }
    }
    if (from >= end)
        return 0;
    uint8_t *buf = wk__malloc(1u << 20);
    if (buf == NULL)
        return WK_ENOMEM;
    int rc = 0;
    for (uint64_t off = from; off < end && rc == 0;) {
        size_t len =
            end - off < (1u << 20) ? (size_t)(end - off) : (size_t)1 << 20;
        rc = wk_file_pread_full(s->f, buf, len, off);
        if (rc == 0)
            rc = wk_file_pwrite(s->f, buf, len, off);
        off += len;
    }
    wk__free(buf);
    if (rc == 0)
        rc = wk_file_sync(s->f, WK_SYNC_DATA);
    if (rc != 0)
        return wk__errmsg_set(&c->log->msg, rc,
                              "rewrite unsynced tail of segment '%s'", s->name);
    return 0;
}

/* Read-write open: makes the discards durable before any append. */
static int
rec_apply(rec_ctx *c)
{
    wk_log *log = c->log;
    for (uint32_t k = c->nact; k-- > 0;) {
        if (!c->discard[k])
            continue;
        wk__seg *s = c->act[k];
        int rc = wk__seg_resalt(log, s);
        if (rc != 0)
            return rc;
        c->act[k] = NULL;
        rc = wk__seg_push(&log->ready, &log->nready, &log->capready, s);
        if (rc != 0) {
            wk__seg_free(s);
            return rc;
        }
    }
    if (c->zseg != NULL && c->zto > c->zfrom) {
        int rc = rec_zero(c, c->zseg, c->zfrom, c->zto);
        if (rc != 0)
            return rc;
    }
    /* (After the invalidation: the rewrite changes no byte, and until it
     * is synced nothing new lies after the frames it covers.) */
    int rrc = rec_rewrite_unsynced(c);
    if (rrc != 0)
        return rrc;
    if (c->nblank > 0) {
        for (uint32_t i = 0; i < c->nblank; i++) {
            int rc = c->vfs->unlink(c->vfs, c->blank[i]);
            if (rc != 0 && rc != -ENOENT)
                return wk__errmsg_set(&log->msg, rc, "remove '%s'",
                                      c->blank[i]);
        }
        int rc = c->vfs->sync_dir(c->vfs, c->dir);
        if (rc != 0)
            return wk__errmsg_set(&log->msg, rc, "fsync directory '%s'",
                                  c->dir);
    }
    return 0;
}

static void
rec_ctx_free(rec_ctx *c, int keep)
{
    for (uint32_t k = 0; k < c->nact; k++) {
        wk__seg *s = c->act[k];
        if (s == NULL)
            continue;
        if (keep && !c->discard[k])
            continue; /* owned by log->live */
        wk__seg_free(s);
    }
    wk__free(c->act);
    wk__free(c->discard);
    if (!keep)
        for (uint32_t k = 0; k < c->nfree; k++)
            wk__seg_free(c->freel[k]);
    wk__free(c->freel);
    for (uint32_t i = 0; i < c->nblank; i++)
        wk__free(c->blank[i]);
    wk__free(c->blank);
    wk__scan_free(&c->sc);
    wk__scan_free(&c->sc2);
    wk__scan_free(&c->sc3);
}

int
wk__log_recover(wk_log *log, wk_vfs *vfs, const char *dir, const wk_log_opts *o,
                wk_log_report *rep)
{
    rec_ctx c;
    memset(&c, 0, sizeof c);
    memset(rep, 0, sizeof *rep);
    c.log = log;
    c.vfs = vfs;
    c.dir = dir;
    c.o = o;
    c.rep = rep;
    c.rw = log != NULL && !o->read_only;
    c.policy = log != NULL ? o->recovery : WK_RECOVER_SKIP_CORRUPT;
    rec_list l = {0};
    int rc = wk__scan_init(&c.sc, NULL, 0, REC_WINDOW);
    if (rc == 0)
        rc = wk__scan_init(&c.sc2, NULL, 0, REC_WINDOW);
    if (rc == 0)
        rc = wk__scan_init(&c.sc3, NULL, 0, REC_WINDOW);
    if (rc != 0)
        goto out;
    rc = vfs->list(vfs, dir, rec_list_fn, &l);
    if (rc == 0 && l.err != 0)
        rc = l.err;
    if (rc != 0) {
        if (log != NULL)
            wk__errmsg_set(&log->msg, rc, "list log directory '%s'", dir);
        goto out;
    }
    uint32_t maxslot = 0;
    for (uint32_t i = 0; i < l.n; i++) {
        if (l.slots[i] > maxslot)
            maxslot = l.slots[i];
        rc = rec_load(&c, l.slots[i]);
        if (rc != 0)
            goto out;
    }
    if (log != NULL)
        log->next_slot = maxslot + 1;
    rc = wk__ckp_read(vfs, dir, &c.ckpt);
    if (rc == WK_ECORRUPT) {
        rc = rec_corrupt(&c, NULL, LOG_CKP_NAME, 0, 0, LOG_CKP_BYTES,
                         WK_ECORRUPT);
        if (rc > 0)
            rc = 0; /* skip / point in time: proceed without it */
    }
    if (rc != 0)
        goto out;
    rep->checkpoint_lsn = c.ckpt;
    if (c.nact > 0) {
        qsort(c.act, c.nact, sizeof *c.act, rec_cmp_first);
        c.discard = wk__calloc(c.nact, 1);
        if (c.discard == NULL) {
            rc = WK_ENOMEM;
            goto out;
        }
    }
    rc = rec_scan(&c);
    if (rc != 0)
        goto out;
    rep->segments = c.nlive;
    if (c.first_err != 0 && (c.policy == WK_RECOVER_TOLERATE_TORN_TAIL ||
                             c.policy == WK_RECOVER_ABSOLUTE)) {
        rc = c.first_err;
        goto out;
    }
    if (log == NULL) {
        rc = c.first_err;
        goto out;
    }
    /* Hand the results to the log. */
    uint64_t next = c.E > c.ckpt + 1 ? c.E : c.ckpt + 1;
    if (c.nact == 0 || c.nlive == 0)
        next = c.last_valid + 1 > c.ckpt + 1 ? c.last_valid + 1 : c.ckpt + 1;
    if (!c.rw && c.last_type == LOG_FT_CLOSE && c.E == c.last_valid + 1 &&
        c.E == next)
        next = c.last_valid; /* as a read-write open would continue */
    if (c.rw) {
        /* FSNs are never reused (LSN uniqueness across restarts). The
         * log continues densely only after a clean close (a CLOSE frame
         * ends it: it is invalidated here, durably, and its FSN is the next
         * one) or in a directory that never held a segment; otherwise the
         * first frame of this session is a SKIP at E jumping past every
         * FSN the crashed session can have handed out (see log.c). */
        for (uint32_t k = 0; c.policy == WK_RECOVER_POINT_IN_TIME && k < c.nact;
             k++) {
            if (c.act[k] != NULL && (c.discard[k] || c.act[k] == c.zseg)) {
                rc = rec_scan_max(&c, c.act[k],
                                  c.discard[k] ? LOG_HDR_BYTES : c.zfrom);
                if (rc != 0)
                    goto out;
            }
        }
        if (c.nlive == 0) {
            c.E = c.ckpt + 1; /* a new segment starts at first_fsn E */
            if (c.max_seen < c.ckpt)
                c.max_seen = c.ckpt;
        }
        int clean = c.last_type == LOG_FT_CLOSE && c.zseg == NULL &&
                    rep->corruptions == 0 && c.nlive > 0 &&
                    c.last_seg == log->live[log->nlive - 1] &&
                    c.E == c.last_valid + 1 && c.max_seen == c.last_valid;
        if (clean) {
            c.zseg = c.last_seg;
            c.zfrom = c.last_off;
            c.zto = c.last_off + WK__REC_HDR;
            c.E = c.last_valid; /* the CLOSE's FSN is reused */
            c.last_seg->last_fsn = c.E > c.last_seg->first_fsn ? c.E - 1 : 0;
            c.max_seen = c.E - 1;
        }
        int fresh = l.n == 0 && c.ckpt == 0;
        uint64_t base = c.E;
        if (c.max_seen + 1 > base)
            base = c.max_seen + 1;
        if (c.ckpt + 1 > base)
            base = c.ckpt + 1;
        next = c.E;
        if (!fresh && (!clean || base != c.E)) {
            if (base > LOG_MAX_FSN - LOG_SKIP_DELTA) {
                rc = WK_ECORRUPT;
                wk__errmsg_set(&log->msg, rc,
                               "recover log '%s': FSNs exhausted", dir);
                goto out;
            }
            log->skip_to = base + LOG_SKIP_DELTA;
        }
        log->last_batch_first = c.last_batch;
        rc = rec_apply(&c);
        if (rc != 0)
            goto out;
    }
    log->next_fsn = next;
    log->durable_fsn = next - 1;
    log->last_lsn = rep->last_lsn;
    log->ckpt_lsn = c.ckpt;
    if (log->nlive > 0) {
        wk__seg *last = log->live[log->nlive - 1];
        if (c.zseg == last)
            last->end = last->durable_end = c.zfrom;
        if (c.rw && next == c.E && last->end == last->durable_end)
            log->cur = last;
    }
    for (uint32_t k = 0; k < c.nfree; k++) {
        if (c.rw)
            rc = wk__seg_push(&log->prep, &log->nprep, &log->capprep,
                              c.freel[k]);
        else
            wk__seg_free(c.freel[k]);
        if (rc != 0) {
            for (uint32_t j = k; j < c.nfree; j++)
                wk__seg_free(c.freel[j]);
            c.nfree = 0;
            goto out_keep;
        }
    }
    c.nfree = 0;
out_keep:
    rec_ctx_free(&c, 1);
    wk__free(l.slots);
    return rc;
out:
    /* Failure: segments pushed to log->live are owned there. */
    if (log != NULL) {
        for (uint32_t k = 0; k < c.nact; k++)
            for (uint32_t i = 0; i < log->nlive; i++)
                if (log->live[i] == c.act[k])
                    c.act[k] = NULL;
    }
    rec_ctx_free(&c, 0);
    wk__free(l.slots);
    return rc;
}
