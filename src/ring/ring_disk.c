/* wk_ring on disk: superblocks, record sealing and validation, format,
 * the recovery scan and verify. The format and the recovery algorithm are
 * specified in the design comment of ring.c. */
#include <errno.h>
#include <string.h>

#include "common/alloc.h"
#include "common/byteorder.h"
#include "common/crc32c.h"
#include "ring/ring_int.h"

static const uint8_t rg_magic[8] = {'W', 'K', 'R', 'I', 'N', 'G', 0, 0};
static const uint8_t rg_zeros[RG_SB_BYTES];

#define RG_WIN (256u << 10)

uint64_t
wk__rg_norm(const rg_geo *g, uint64_t pos)
{
    uint64_t off = pos % g->D;
    if (g->D - off < WK__REC_HDR)
        return pos + (g->D - off);
    return pos;
}

static uint64_t
rg_lap_end(const rg_geo *g, uint64_t pos)
{
    return pos - pos % g->D + g->D;
}

void
wk__rg_sb_encode(uint8_t *buf, const rg_sb *sb)
{
    memset(buf, 0, RG_SB_BYTES);
    memcpy(buf, rg_magic, 8);
    wk__put32(buf + 8, RG_VERSION);
    wk__put32(buf + 12, 0);
    wk__put64(buf + 16, sb->gen);
    wk__put64(buf + 24, sb->salt);
    wk__put64(buf + 32, sb->region_off);
    wk__put64(buf + 40, sb->region_len);
    wk__put64(buf + 48, sb->head_pos);
    wk__put64(buf + 56, sb->head_seq);
    wk__put64(buf + 64, sb->tail_pos);
    wk__put64(buf + 72, sb->tail_seq);
    wk__put32(buf + 124, wk__crc32c(0, buf, 124));
}

/* 0 valid; WK_EFORMAT wrong version (magic right); WK_ECORRUPT otherwise. */
int
wk__rg_sb_decode(const uint8_t *buf, int slot, rg_sb *sb)
{
    if (memcmp(buf, rg_magic, 8) != 0)
        return WK_ECORRUPT;
    if (wk__get32(buf + 124) != wk__crc32c(0, buf, 124))
        return WK_ECORRUPT;
    if (wk__get32(buf + 8) != RG_VERSION || wk__get32(buf + 12) != 0)
        return WK_EFORMAT;
    sb->gen = wk__get64(buf + 16);
    sb->salt = wk__get64(buf + 24);
    sb->region_off = wk__get64(buf + 32);
    sb->region_len = wk__get64(buf + 40);
    sb->head_pos = wk__get64(buf + 48);
    sb->head_seq = wk__get64(buf + 56);
    sb->tail_pos = wk__get64(buf + 64);
    sb->tail_seq = wk__get64(buf + 72);
    if (sb->gen == 0 || (int)(sb->gen % 2) != slot)
        return WK_ECORRUPT;
    if (sb->region_len < RG_MIN_CAP || sb->region_len % 4096 != 0 ||
        sb->region_off % 4096 != 0 ||
        sb->region_off > UINT64_MAX - sb->region_len)
        return WK_ECORRUPT;
    uint64_t D = sb->region_len - RG_AREA_OFF;
    if (sb->head_pos > sb->tail_pos || sb->tail_pos - sb->head_pos > D ||
        sb->head_seq == 0 || sb->head_seq > sb->tail_seq ||
        sb->tail_pos > UINT64_MAX / 2 || sb->tail_seq > UINT64_MAX / 2)
        return WK_ECORRUPT;
    return 0;
}

void
wk__rg_geo_set(rg_geo *g, const rg_sb *sb)
{
    g->base = sb->region_off + RG_AREA_OFF;
    g->D = sb->region_len - RG_AREA_OFF;
    g->salt = sb->salt;
    g->salt_crc = wk__rec_salt_crc(sb->salt);
    uint64_t m = g->D / 2 - WK__REC_HDR;
    g->max_len = m > UINT32_MAX - 64 ? UINT32_MAX - 64 : (uint32_t)m;
}

/* Writes superblock sb into slot sb->gen % 2 and fdatasyncs the file. */
int
wk__rg_sb_write(rg_geo *g, const rg_sb *sb)
{
    uint8_t buf[RG_SB_BYTES];
    wk__rg_sb_encode(buf, sb);
    uint64_t off = sb->region_off + (sb->gen % 2) * RG_SB_SLOT;
    int rc = wk_file_pwrite(g->f, buf, sizeof buf, off);
    if (rc == 0)
        rc = wk_file_sync(g->f, WK_SYNC_DATA);
    return rc;
}

int
wk__rg_read_sbs(rg_geo *g, uint64_t region_off, uint64_t cap, rg_sb *sb,
                wk_ring_report *rep)
{
    int found = 0, nvalid = 0;
    for (int slot = 0; slot < 2; slot++) {
        uint8_t buf[RG_SB_USED];
        size_t n = 0;
        rg_sb s;
        int rc = wk_file_pread(g->f, buf, sizeof buf,
                               region_off + (uint64_t)slot * RG_SB_SLOT, &n);
        if (rc != 0)
            return rc;
        if (n < sizeof buf)
            continue;
        rc = wk__rg_sb_decode(buf, slot, &s);
        if (rc != 0 || s.region_off != region_off)
            continue;
        nvalid++;
        if (!found || s.gen > sb->gen) {
            *sb = s;
            found = 1;
        }
    }
    if (rep != NULL)
        rep->superblocks_valid = nvalid;
    if (!found)
        return WK_EFORMAT;
    if (cap != 0 && cap != sb->region_len)
        return WK_EFORMAT;
    uint64_t size = 0;
    int rc = wk_file_size(g->f, &size);
    if (rc != 0)
        return rc;
    if (size < sb->region_off + sb->region_len)
        return WK_EFORMAT;
    wk__rg_geo_set(g, sb);
    if (rep != NULL) {
        rep->superblock_gen = sb->gen;
        rep->head_pos = sb->head_pos;
        rep->head_seq = sb->head_seq;
        rep->hint_pos = sb->tail_pos;
    }
    return 0;
}

void
wk__rg_seal(const rg_geo *g, uint8_t *rec, uint8_t type, uint32_t len,
            uint64_t pos, uint64_t seq, uint64_t dur_seq)
{
    wk__rec h;
    uint64_t d = seq > dur_seq ? seq - dur_seq : 0;
    h.type = type;
    h.flags = 0;
    h.aux16 = (uint16_t)(d > 0xffff ? 0xffff : d);
    h.len = len;
    h.aux = (uint32_t)(pos / g->D);
    h.seq = seq;
    wk__rec_put_header(rec, &h);
    wk__rec_seal(rec, g->salt_crc);
}

/* Checks the header fields of a record at normalized position pos (no
 * CRC): the type, flags, lap and length are possible there and the record
 * ends by limit. */
static int
rg_plausible(const rg_geo *g, uint64_t pos, const wk__rec *h, uint64_t limit)
{
    if (h->type < RG_T_DATA || h->type > RG_T_JUMP || h->flags != 0)
        return 0;
    if (h->aux != (uint32_t)(pos / g->D) || h->len > g->max_len)
        return 0;
    if ((uint64_t)WK__REC_HDR + h->len > g->D - pos % g->D)
        return 0;
    if (h->type == RG_T_WRAP && h->len != 0)
        return 0;
    uint64_t end =
        h->type == RG_T_WRAP ? pos + WK__REC_HDR : pos + WK__REC_HDR + h->len;
    return end <= limit;
}

int
wk__rg_read_rec(const rg_geo *g, uint64_t pos, uint8_t **buf, size_t *cap,
                wk__rec *out)
{
    uint8_t hdr[WK__REC_HDR];
    uint64_t off = g->base + pos % g->D;
    int rc = wk_file_pread_full(g->f, hdr, sizeof hdr, off);
    if (rc != 0)
        return rc == -ENODATA ? WK_ECORRUPT : rc;
    wk__rec h;
    wk__rec_peek(hdr, &h);
    if (!rg_plausible(g, pos, &h, UINT64_MAX))
        return WK_ECORRUPT;
    size_t need = WK__REC_HDR + (size_t)h.len;
    if (*cap < need) {
        uint8_t *nb = wk__realloc(*buf, need);
        if (nb == NULL)
            return WK_ENOMEM;
        *buf = nb;
        *cap = need;
    }
    memcpy(*buf, hdr, sizeof hdr);
    if (h.len > 0) {
        rc = wk_file_pread_full(g->f, *buf + WK__REC_HDR, h.len,
                                off + WK__REC_HDR);
        if (rc != 0)
            return rc == -ENODATA ? WK_ECORRUPT : rc;
    }
    rc = wk__rec_check(*buf, need, g->salt_crc, g->max_len, out);
    return rc == 0 ? 0 : WK_ECORRUPT;
}

/* ---- windowed reading of the record area (recovery scans) ----------- */

typedef struct rg_win {
    const rg_geo *g;
    uint8_t *buf;
    size_t cap;
    uint64_t start; /* logical position of buf[0] */
    size_t n;       /* valid bytes */
} rg_win;

/* Makes [pos, pos + len) available (it must lie within one lap) and points
 * *p at it. */
static int
win_get(rg_win *w, uint64_t pos, size_t len, const uint8_t **p)
{
    if (w->n > 0 && pos >= w->start && pos - w->start + len <= w->n) {
        *p = w->buf + (pos - w->start);
        return 0;
    }
    size_t want = len > RG_WIN ? len : RG_WIN;
    uint64_t lap_left = rg_lap_end(w->g, pos) - pos;
    if (want > lap_left)
        want = (size_t)lap_left;
    if (want < len)
        return WK_ECORRUPT;
    if (w->cap < want) {
        uint8_t *nb = wk__realloc(w->buf, want);
        if (nb == NULL)
            return WK_ENOMEM;
        w->buf = nb;
        w->cap = want;
    }
    size_t got = 0;
    w->n = 0;
    int rc =
        wk_file_pread(w->g->f, w->buf, want, w->g->base + pos % w->g->D, &got);
    if (rc != 0)
        return rc;
    if (got < want) /* past the end of file: reads as zeros */
        memset(w->buf + got, 0, want - got);
    w->start = pos;
    w->n = want;
    *p = w->buf;
    return 0;
}

/* Validates the record at normalized pos. Returns 0 (valid: *h filled),
 * 1 (invalid), or a negative I/O error. plausible_out: the header alone
 * looked like a record of this lap. */
static int
rg_check_at(rg_win *w, uint64_t pos, uint64_t limit, wk__rec *h,
            int *plausible_out)
{
    const uint8_t *p;
    int rc = win_get(w, pos, WK__REC_HDR, &p);
    if (rc != 0)
        return rc;
    wk__rec_peek(p, h);
    int pl = rg_plausible(w->g, pos, h, limit);
    if (plausible_out != NULL)
        *plausible_out = pl;
    if (!pl)
        return 1;
    rc = win_get(w, pos, WK__REC_HDR + (size_t)h->len, &p);
    if (rc != 0)
        return rc;
    wk__rec v;
    if (wk__rec_check(p, WK__REC_HDR + h->len, w->g->salt_crc, w->g->max_len,
                      &v) != 0)
        return 1;
    return 0;
}

/* Logical end of the valid record at pos (WRAP: the end of its lap; JUMP:
 * its target, with *next_seq). */
static int
rg_next(rg_win *w, uint64_t pos, const wk__rec *h, uint64_t *next_pos,
        uint64_t *next_seq)
{
    *next_seq = h->seq + 1;
    if (h->type == RG_T_WRAP) {
        *next_pos = rg_lap_end(w->g, pos);
        return 0;
    }
    *next_pos = pos + WK__REC_HDR + h->len;
    if (h->type == RG_T_JUMP) {
        if (h->aux16 == 0)
            return 1;
        *next_seq = h->seq + h->aux16;
    }
    (void)w;
    return 0;
}

/* A list of positions whose headers recovery zeroes. */
typedef struct rg_zlist {
    uint64_t *v;
    size_t n, cap;
} rg_zlist;

static int
zl_add(rg_zlist *z, uint64_t pos)
{
    if (z->n == z->cap) {
        size_t nc = z->cap ? z->cap * 2 : 16;
        uint64_t *nv = wk__realloc(z->v, nc * sizeof *nv);
        if (nv == NULL)
            return WK_ENOMEM;
        z->v = nv;
        z->cap = nc;
    }
    z->v[z->n++] = pos;
    return 0;
}

static void
rep_corrupt(wk_ring_report *rep, const rg_geo *g, uint64_t pos, uint64_t seq,
            uint64_t bytes)
{
    if (rep == NULL)
        return;
    if (rep->corruptions < WK_RING_MAX_REPORTED) {
        wk_ring_corruption *c = &rep->corruption[rep->corruptions];
        c->offset = g->base + pos % g->D;
        c->pos = pos;
        c->seq = seq;
        c->bytes = bytes;
        c->error = WK_ECORRUPT;
    }
    rep->corruptions++;
}

/* Rewrites [from, to) of the record area in place (lap by lap), so bytes
 * that were only in the page cache (an earlier fsync failed) become
 * durable with the next sync. */
static int
rg_rewrite(rg_win *w, uint64_t from, uint64_t to)
{
    while (from < to) {
        uint64_t n = rg_lap_end(w->g, from) - from;
        if (n > to - from)
            n = to - from;
        if (n > RG_WIN)
            n = RG_WIN;
        const uint8_t *p;
        w->n = 0; /* fresh read */
        int rc = win_get(w, from, (size_t)n, &p);
        if (rc != 0)
            return rc;
        rc = wk_file_pwrite(w->g->f, p, (size_t)n, w->g->base + from % w->g->D);
        if (rc != 0)
            return rc;
        from += n;
    }
    return 0;
}

/* Scans for valid records at and after the chain's end p (expected seq s) up to
 * limit. Records sealed when seq s was not yet durable (durable seq in the
 * header <= s) belong to the unfinished window: they are added to dead.
 * The first record sealed after s was durable is "later": its position
 * and seq go to *later_pos / *later_seq (return 1) and, when collect_all,
 * the scan goes on adding every valid record to dead. Returns 0 (none
 * later), 1, or a negative error. */
static int
rg_scan_after(rg_win *w, uint64_t p, uint64_t s, uint64_t limit,
              int collect_all, rg_zlist *dead, uint64_t *later_pos,
              uint64_t *later_seq)
{
    const rg_geo *g = w->g;
    int found = 0;
    uint64_t q = p; /* p itself may hold a record of a later window */
    while (1) {
        q = wk__rg_norm(g, q);
        if (q + WK__REC_HDR > limit)
            break;
        const uint8_t *b;
        int rc = win_get(w, q, WK__REC_HDR, &b);
        if (rc != 0)
            return rc;
        /* Cheap filters first: type byte, lap, sequence range. */
        if (b[4] < RG_T_DATA || b[4] > RG_T_JUMP || b[5] != 0 ||
            wk__get32(b + 12) != (uint32_t)(q / g->D)) {
            q++;
            continue;
        }
        uint64_t seq = wk__get64(b + 16);
        if (seq <= s || seq - s > g->D) {
            q++;
            continue;
        }
        wk__rec h;
        rc = rg_check_at(w, q, limit, &h, NULL);
        if (rc < 0)
            return rc;
        if (rc != 0) {
            q++;
            continue;
        }
        /* JUMP records are written by recovery after a sync: everything
         * before them was durable. */
        uint64_t sealed_dur = h.type == RG_T_JUMP ? h.seq : h.seq - h.aux16;
        if (!found && sealed_dur > s) {
            found = 1;
            *later_pos = q;
            *later_seq = h.seq;
            if (!collect_all)
                return 1;
        }
        rc = zl_add(dead, q);
        if (rc != 0)
            return rc;
        q += WK__REC_HDR + (h.type == RG_T_WRAP ? 0 : h.len);
    }
    return found;
}

int
wk__rg_recover(rg_geo *g, const rg_sb *sb, int policy, int repair,
               wk_ring_report *rep, rg_scan *out, wk__errmsg *msg)
{
    rg_win w = {g, NULL, 0, 0, 0};
    rg_zlist dead = {NULL, 0, 0};
    uint64_t limit = sb->head_pos + g->D;
    uint64_t pos = sb->head_pos, seq = sb->head_seq, p = 0;
    uint64_t entries = 0, bytes = 0;
    int rc = 0, torn = 0, corrupt = 0, zero_torn = 0;
    uint64_t jump_at = 0;
    uint8_t jump_hdr[WK__REC_HDR];
    int have_jump = 0;

    for (;;) {
        /* Follow the chain from pos with expected seq. */
        for (;;) {
            p = wk__rg_norm(g, pos);
            if (p >= limit || p + WK__REC_HDR > limit)
                break;
            wk__rec h;
            int pl = 0;
            rc = rg_check_at(&w, p, limit, &h, &pl);
            if (rc < 0)
                goto out;
            if (rc != 0 || h.seq != seq) {
                if (pl && h.seq == seq) {
                    torn = 1; /* a header of the expected record: torn */
                }
                rc = 0;
                break;
            }
            uint64_t np, ns;
            rc = rg_next(&w, p, &h, &np, &ns);
            if (rc < 0)
                goto out;
            if (rc != 0) {
                rc = 0;
                break;
            }
            if (h.type == RG_T_DATA) {
                entries++;
                bytes += h.len;
            }
            pos = np;
            seq = ns;
        }
        if (p + WK__REC_HDR > limit)
            break; /* the ring is full up to the head: nothing follows */
        uint64_t lpos = 0, lseq = 0;
        int collect = policy == WK_RECOVER_POINT_IN_TIME ||
                      policy == WK_RECOVER_SKIP_CORRUPT;
        rc = rg_scan_after(&w, p, seq, limit, collect, &dead, &lpos, &lseq);
        if (rc < 0)
            goto out;
        int later = rc == 1;
        rc = 0;
        int below_hint = pos < sb->tail_pos;
        if (!later && !below_hint)
            break; /* a clean end, or a torn tail */
        corrupt = 1;
        rep_corrupt(rep, g, p, seq, later ? lpos - p : limit - p);
        if (policy == WK_RECOVER_SKIP_CORRUPT && later && repair &&
            !have_jump && lpos - p >= WK__REC_HDR && lpos <= rg_lap_end(g, p) &&
            lpos - p - WK__REC_HDR <= g->max_len && lseq - seq <= 0xffff) {
            /* Bridge the hole [p, lpos) with a JUMP record whose CRC
             * covers the hole's bytes as they are, and go on from there. */
            wk__rec jh = {RG_T_JUMP,
                          0,
                          (uint16_t)(lseq - seq),
                          (uint32_t)(lpos - p - WK__REC_HDR),
                          (uint32_t)(p / g->D),
                          seq};
            const uint8_t *hole;
            rc = win_get(&w, p, (size_t)(lpos - p), &hole);
            if (rc != 0)
                goto out;
            wk__rec_put_header(jump_hdr, &jh);
            uint32_t crc = wk__rec_crc_begin(g->salt_crc, jump_hdr);
            crc = wk__crc32c(crc, hole + WK__REC_HDR, jh.len);
            wk__put32(jump_hdr, crc);
            have_jump = 1;
            jump_at = p;
            pos = lpos;
            seq = lseq;
            torn = 0;
            dead.n = 0; /* records in the hole are skipped, not zeroed */
            continue;
        }
        if (policy == WK_RECOVER_TOLERATE_TORN_TAIL ||
            policy == WK_RECOVER_ABSOLUTE) {
            rc = wk__errmsg_set(msg, WK_ECORRUPT,
                                "ring '%s': invalid record at offset %llu "
                                "(position %llu, seq %llu) followed by valid "
                                "records",
                                g->path,
                                (unsigned long long)(g->base + p % g->D),
                                (unsigned long long)p, (unsigned long long)seq);
            goto out;
        }
        break; /* point in time (or a hole that cannot be bridged) */
    }
    if (p + WK__REC_HDR <= limit && (torn || dead.n > 0))
        zero_torn = 1;
    if (rep != NULL) {
        rep->tail_pos = pos;
        rep->tail_seq = seq;
        rep->entries = entries;
        rep->bytes = bytes;
        rep->dead_records = dead.n;
        if (torn || dead.n > 0) {
            rep->torn_offset = g->base + p % g->D;
            rep->torn_records = (torn ? 1 : 0) + dead.n;
        }
    }
    if (policy == WK_RECOVER_ABSOLUTE && (torn || dead.n > 0)) {
        rep_corrupt(rep, g, p, seq, 0);
        rc = wk__errmsg_set(msg, WK_ECORRUPT,
                            "ring '%s': torn record at offset %llu (seq "
                            "%llu) under the absolute-consistency policy",
                            g->path, (unsigned long long)(g->base + p % g->D),
                            (unsigned long long)seq);
        goto out;
    }
    if (repair) {
        /* 1. Records after the durable-tail hint may be in the page cache
         *    only: write them again. 2. Invalidate what follows the tail.
         *    3. One sync, then the superblock with the new tail. */
        uint64_t from =
            sb->tail_pos > sb->head_pos ? sb->tail_pos : sb->head_pos;
        if (have_jump && from > jump_at)
            from = jump_at;
        if (from < pos) {
            rc = rg_rewrite(&w, from, pos);
            if (rc != 0)
                goto io_fail;
        }
        if (have_jump) {
            /* Everything before the JUMP is durable before it is written. */
            rc = wk_file_sync(g->f, WK_SYNC_DATA);
            if (rc != 0)
                goto io_fail;
            rc = wk_file_pwrite(g->f, jump_hdr, sizeof jump_hdr,
                                g->base + jump_at % g->D);
            if (rc != 0)
                goto io_fail;
        }
        if (zero_torn) {
            uint64_t n = limit - p < WK__REC_HDR ? limit - p : WK__REC_HDR;
            rc = wk_file_pwrite(g->f, rg_zeros, (size_t)n, g->base + p % g->D);
            if (rc != 0)
                goto io_fail;
        }
        for (size_t i = 0; i < dead.n; i++) {
            rc = wk_file_pwrite(g->f, rg_zeros, WK__REC_HDR,
                                g->base + dead.v[i] % g->D);
            if (rc != 0)
                goto io_fail;
        }
        rc = wk_file_sync(g->f, WK_SYNC_DATA);
        if (rc != 0)
            goto io_fail;
        rg_sb ns = *sb;
        ns.gen = sb->gen + 1;
        ns.tail_pos = pos;
        ns.tail_seq = seq;
        rc = wk__rg_sb_write(g, &ns);
        if (rc != 0)
            goto io_fail;
        if (rep != NULL)
            rep->superblock_gen = ns.gen;
    }
    out->tail_pos = pos;
    out->tail_seq = seq;
    out->entries = entries;
    out->torn = torn || dead.n > 0;
    out->corrupt = corrupt;
    goto out;
io_fail:
    wk__errmsg_set(msg, rc, "ring '%s': recovery write", g->path);
out:
    wk__free(w.buf);
    wk__free(dead.v);
    return rc;
}
