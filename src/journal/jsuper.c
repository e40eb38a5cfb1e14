/* wk_journal: format, superblocks, ring I/O, recovery and verify (the
 * format and the recovery algorithm are specified at the top of
 * journal.c). */
#include <errno.h>
#include <string.h>

#include "common/alloc.h"
#include "common/byteorder.h"
#include "common/crc32c.h"
#include "io/path.h"
#include "journal/jrnl.h"

static const uint8_t jr_magic[8] = {'W', 'K', 'J', 'O', 'U', 'R', 'N', 'L'};

#define JR_SCAN_CHUNK (1u << 20)

void
wk__jr_sb_encode(uint8_t *b, const jr_sb *sb)
{
    memset(b, 0, JR_SB_BYTES);
    memcpy(b, jr_magic, 8);
    wk__put32(b + 8, sb->version);
    wk__put32(b + 12, sb->flags);
    wk__put64(b + 16, sb->gen);
    wk__put64(b + 24, sb->salt);
    wk__put64(b + 32, sb->joff);
    wk__put64(b + 40, sb->jcap);
    wk__put64(b + 48, sb->next_seq);
    wk__put64(b + 56, sb->next_pos);
    wk__put32(b + JR_SB_USED - 4, wk__crc32c(0, b, JR_SB_USED - 4));
}

int
wk__jr_sb_decode(const uint8_t *b, jr_sb *sb)
{
    if (memcmp(b, jr_magic, 8) != 0)
        return WK_EFORMAT;
    if (wk__crc32c(0, b, JR_SB_USED - 4) != wk__get32(b + JR_SB_USED - 4))
        return WK_ECORRUPT;
    sb->version = wk__get32(b + 8);
    sb->flags = wk__get32(b + 12);
    sb->gen = wk__get64(b + 16);
    sb->salt = wk__get64(b + 24);
    sb->joff = wk__get64(b + 32);
    sb->jcap = wk__get64(b + 40);
    sb->next_seq = wk__get64(b + 48);
    sb->next_pos = wk__get64(b + 56);
    if (sb->version != JR_VERSION)
        return WK_EFORMAT;
    return 0;
}

int
wk__jr_sb_write(wk_journal *j, const jr_sb *sb)
{
    uint8_t b[JR_SB_BYTES];
    wk__jr_sb_encode(b, sb);
    uint64_t at = j->joff + (sb->gen & 1) * JR_SB_SLOT;
    const char *name = j->region ? j->path : j->jpath;
    int rc = wk_file_pwrite(j->jf, b, sizeof b, at);
    if (rc != 0)
        return wk__jr_poison(j, rc, "write superblock %llu of journal '%s'",
                             (unsigned long long)sb->gen, name);
    rc = wk_file_sync(j->jf, WK_SYNC_DATA);
    if (rc != 0)
        return wk__jr_poison(j, rc, "fdatasync superblock of journal '%s'",
                             name);
    return 0;
}

int
wk__jr_ring_read(wk_journal *j, uint64_t pos, void *buf, size_t len)
{
    uint64_t phys = pos % j->R;
    size_t first = len;
    if (phys + len > j->R)
        first = (size_t)(j->R - phys);
    int rc = wk_file_pread_full(j->jf, buf, first, j->ring_off + phys);
    if (rc == 0 && first < len)
        rc = wk_file_pread_full(j->jf, (uint8_t *)buf + first, len - first,
                                j->ring_off);
    return rc;
}

int
wk__jr_ring_writev(wk_journal *j, uint64_t pos, const struct iovec *iov,
                   int cnt)
{
    uint64_t phys = pos % j->R, total = 0;
    for (int i = 0; i < cnt; i++)
        total += iov[i].iov_len;
    if (phys + total <= j->R)
        return wk_file_pwritev(j->jf, iov, cnt, j->ring_off + phys);
    /* Cut at the end of the ring: [0, first) there, the rest at the start. */
    uint64_t first = j->R - phys, acc = 0;
    struct iovec *v1 = wk__malloc(2 * (size_t)cnt * sizeof *v1);
    if (v1 == NULL)
        return WK_ENOMEM;
    struct iovec *v2 = v1 + cnt;
    int n1 = 0, n2 = 0;
    for (int i = 0; i < cnt; i++) {
        uint64_t a = acc, e = acc + iov[i].iov_len;
        if (a < first)
            v1[n1++] = (struct iovec){iov[i].iov_base,
                                      (size_t)((e < first ? e : first) - a)};
        if (e > first) {
            size_t skip = (size_t)(a < first ? first - a : 0);
            v2[n2++] = (struct iovec){(uint8_t *)iov[i].iov_base + skip,
                                      iov[i].iov_len - skip};
        }
        acc = e;
    }
    int rc = wk_file_pwritev(j->jf, v1, n1, j->ring_off + phys);
    if (rc == 0)
        rc = wk_file_pwritev(j->jf, v2, n2, j->ring_off);
    wk__free(v1);
    return rc;
}

/* ---- recovery -------------------------------------------------------- */

enum { JR_VALID = 0, JR_END = 1 };

/* Reads the batch expected at pos with sequence seq. Returns JR_VALID (the
 * record, in a fresh buffer whose size is the record size, in *out),
 * JR_END (not a valid batch; *torn set when the header claims to be this
 * batch, with its plausible size in *tsize), or -errno. */
static int
jr_read_batch(wk_journal *j, uint64_t pos, uint64_t seq, wk__jbuf **out,
              int *torn, uint64_t *tsize)
{
    uint8_t h[WK__REC_HDR];
    wk__rec r;
    *torn = 0;
    *tsize = JR_ALIGN;
    int rc = wk__jr_ring_read(j, pos, h, sizeof h);
    if (rc != 0)
        return rc;
    wk__rec_peek(h, &r);
    if (r.type != JR_TYPE_BATCH || r.seq != seq)
        return JR_END;
    *torn = 1;
    uint64_t total = WK__REC_HDR + (uint64_t)r.len;
    if (total % JR_ALIGN != 0 || total > j->R || r.len < JR_PREFIX)
        return JR_END;
    *tsize = total;
    wk__jbuf *b = wk__malloc(sizeof *b + (size_t)total);
    if (b == NULL)
        return WK_ENOMEM;
    b->refs = 0;
    b->size = (size_t)total;
    rc = wk__jr_ring_read(j, pos, b->data, (size_t)total);
    if (rc != 0) {
        wk__free(b);
        return rc;
    }
    if (wk__rec_check(b->data, (size_t)total, j->salt_crc, (uint32_t)j->R,
                      &r) != 0)
        goto invalid;
    const uint8_t *pl = b->data + WK__REC_HDR;
    uint32_t nwrites = wk__get32(pl + 8), used = wk__get32(pl + 12);
    if (wk__get64(pl) != pos || used > r.len - JR_PREFIX ||
        wk__jr_parse_entries(j, pl + JR_PREFIX, used, nwrites, NULL) != 0)
        goto invalid;
    *torn = 0;
    *out = b;
    return JR_VALID;
invalid:
    wk__free(b);
    return JR_END;
}

/* Looks for a valid batch seq at any record position after pos within one
 * ring length. *found gets its position. */
static int
jr_scan_for(wk_journal *j, uint64_t pos, uint64_t seq, uint64_t *found)
{
    uint8_t *chunk = wk__malloc(JR_SCAN_CHUNK);
    if (chunk == NULL)
        return WK_ENOMEM;
    int rc = 0;
    *found = 0;
    uint64_t end = pos + j->R;
    for (uint64_t q = pos + JR_ALIGN; q < end && *found == 0;) {
        uint64_t n = end - q;
        if (n > JR_SCAN_CHUNK)
            n = JR_SCAN_CHUNK;
        rc = wk__jr_ring_read(j, q, chunk, (size_t)n);
        if (rc != 0)
            break;
        for (uint64_t k = 0; k < n; k += JR_ALIGN) {
            const uint8_t *h = chunk + k;
            if (h[4] != JR_TYPE_BATCH || wk__get64(h + 16) != seq)
                continue;
            wk__jbuf *b = NULL;
            int torn;
            uint64_t ts;
            rc = jr_read_batch(j, q + k, seq, &b, &torn, &ts);
            if (rc < 0)
                goto out;
            if (rc == JR_VALID) {
                wk__free(b);
                *found = q + k;
                break;
            }
        }
        rc = 0;
        q += n;
    }
out:
    wk__free(chunk);
    return rc < 0 ? rc : 0;
}

static void
jr_report_corruption(wk_journal *j, wk_journal_report *rep, uint64_t pos,
                     uint64_t seq, uint64_t bytes)
{
    if (rep->corruptions < WK_JOURNAL_MAX_REPORTED) {
        wk_journal_corruption *c = &rep->corruption[rep->corruptions];
        c->offset = j->ring_off + pos % j->R;
        c->seq = seq;
        c->bytes = bytes;
        c->error = WK_ECORRUPT;
    }
    rep->corruptions++;
}

/* A damaged superblock copy (magic present, the rest invalid). */
static void
jr_report_sb(wk_journal *j, wk_journal_report *rep, int slot)
{
    if (rep->corruptions < WK_JOURNAL_MAX_REPORTED) {
        wk_journal_corruption *c = &rep->corruption[rep->corruptions];
        c->offset = j->joff + (uint64_t)slot * JR_SB_SLOT;
        c->seq = 0;
        c->bytes = JR_SB_BYTES;
        c->error = WK_ECORRUPT;
    }
    rep->corruptions++;
}

/* Reads both superblocks and picks the newest valid one. Damaged copies
 * are listed in the report (verify fails on them; open uses the other). */
static int
jr_load_sb(wk_journal *j, wk_journal_report *rep, uint64_t *older_pos)
{
    uint8_t b[JR_SB_BYTES];
    jr_sb sb[2];
    int valid[2] = {0, 0}, foreign[2] = {0, 0}, seen_corrupt = 0, rc;
    uint64_t fsize = 0;
    const char *name = j->region ? j->path : j->jpath;

    rc = wk_file_size(j->jf, &fsize);
    if (rc != 0)
        return wk__errmsg_set(&j->msg, rc, "size of journal '%s'", name);
    for (int s = 0; s < 2; s++) {
        size_t n = 0;
        rc = wk_file_pread(j->jf, b, sizeof b,
                           j->joff + (uint64_t)s * JR_SB_SLOT, &n);
        if (rc != 0)
            return wk__errmsg_set(&j->msg, rc, "read superblock of '%s'", name);
        if (n < sizeof b)
            continue;
        rc = wk__jr_sb_decode(b, &sb[s]);
        if (rc == WK_EFORMAT && memcmp(b, jr_magic, 8) != 0) {
            /* Blank (format leaves slot 0 so), or no journal at all;
             * judged below once the other slot is known. */
            for (size_t k = 0; k < JR_SB_USED; k++)
                foreign[s] |= b[k] != 0;
            continue;
        }
        if (rc != 0) {
            seen_corrupt = 1;
            jr_report_sb(j, rep, s);
            continue;
        }
        const jr_sb *x = &sb[s];
        int region = (x->flags & JR_FLAG_REGION) != 0;
        if ((x->gen & 1) != (uint64_t)s || x->joff != j->joff ||
            region != j->region || x->jcap % 4096 != 0 ||
            x->jcap < JR_MIN_CAP || x->joff + x->jcap < x->joff ||
            x->joff + x->jcap > fsize || (j->jcap != 0 && j->jcap != x->jcap) ||
            x->next_seq == 0) {
            seen_corrupt = 1;
            jr_report_sb(j, rep, s);
            continue;
        }
        valid[s] = 1;
    }
    for (int s = 0; s < 2; s++)
        if (foreign[s] && (valid[1 - s] || seen_corrupt))
            jr_report_sb(j, rep, s); /* garbage where a copy should be */
    if (!valid[0] && !valid[1])
        return wk__errmsg_set(&j->msg, seen_corrupt ? WK_ECORRUPT : WK_EFORMAT,
                              "no valid superblock in journal '%s'", name);
    int c = valid[0] && (!valid[1] || sb[0].gen > sb[1].gen) ? 0 : 1;
    int o = 1 - c;
    if (valid[o] && sb[o].salt != sb[c].salt)
        valid[o] = 0;
    j->sb = sb[c];
    j->jcap = sb[c].jcap;
    j->ring_off = j->joff + JR_SB_AREA;
    j->R = j->jcap - JR_SB_AREA;
    j->salt = sb[c].salt;
    j->salt_crc = wk__rec_salt_crc(j->salt);
    *older_pos = sb[c].next_pos;
    if (valid[o] && sb[o].gen + 1 == sb[c].gen &&
        sb[o].next_pos <= sb[c].next_pos &&
        sb[c].next_pos - sb[o].next_pos <= j->R)
        *older_pos = sb[o].next_pos;
    rep->superblock_gen = sb[c].gen;
    rep->superblocks_valid = valid[0] + valid[1];
    rep->applied_seq = sb[c].next_seq - 1;
    return 0;
}

int
wk__jr_recover(wk_journal *j, wk_journal_report *rep, int load)
{
    wk_journal_report local;
    uint64_t older_pos = 0;
    int rc, dirty = 0;
    const char *name;
    if (rep == NULL)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    rc = jr_load_sb(j, rep, &older_pos);
    if (rc != 0)
        return rc;
    name = j->region ? j->path : j->jpath;

    uint64_t seq = j->sb.next_seq, pos = j->sb.next_pos;
    j->free_pos = older_pos;
    j->tail_pos = pos;
    j->durable_seq = seq - 1;
    j->next_seq = seq;
    for (;;) {
        wk__jbuf *b = NULL;
        int torn = 0;
        uint64_t tsize = 0;
        rc = jr_read_batch(j, pos, seq, &b, &torn, &tsize);
        if (rc < 0)
            return wk__errmsg_set(&j->msg, rc, "read journal '%s'", name);
        if (rc == JR_VALID && pos + b->size - j->sb.next_pos > j->R) {
            wk__free(b);
            rc = JR_END;
            torn = 0;
        }
        if (rc == JR_VALID) {
            uint64_t size = b->size;
            const uint8_t *pl = b->data + WK__REC_HDR;
            uint32_t nwrites = wk__get32(pl + 8), used = wk__get32(pl + 12);
            uint64_t bytes = 0;
            wk__jr_parse_entries(j, pl + JR_PREFIX, used, nwrites, &bytes);
            if (!j->read_only) {
                /* Write back: it may be in the cache without being
                 * durable (a failed fdatasync marks pages clean). */
                struct iovec v = {b->data, (size_t)size};
                rc = wk__jr_ring_writev(j, pos, &v, 1);
                if (rc != 0) {
                    wk__free(b);
                    return wk__jr_poison(j, rc, "rewrite batch in '%s'", name);
                }
                dirty = 1;
            }
            if (rep->batches == 0)
                rep->first_seq = seq;
            rep->batches++;
            rep->last_seq = seq;
            rep->writes += nwrites;
            rep->bytes += bytes;
            if (load) {
                rc = wk__jr_load_entries(j, b, pl + JR_PREFIX, used, seq);
                if (rc != 0)
                    return wk__errmsg_set(&j->msg, rc, "load overlay");
            } else {
                wk__free(b);
            }
            j->durable_seq = seq;
            j->tail_pos = pos + size;
            j->next_seq = seq + 1;
            pos += size;
            seq++;
            if (load && !j->read_only && j->ovl_bytes > j->ovl_cap) {
                rc = wk_file_sync(j->jf, WK_SYNC_DATA);
                if (rc != 0)
                    return wk__jr_poison(j, rc, "fdatasync journal '%s'", name);
                dirty = 0;
                rc = wk__jr_checkpoint(j, 0);
                if (rc != 0)
                    return rc;
            }
            continue;
        }
        /* The end, or a corruption: is there a valid next batch later? */
        uint64_t q = 0;
        rc = jr_scan_for(j, pos, seq + 1, &q);
        if (rc != 0)
            return wk__errmsg_set(&j->msg, rc, "scan journal '%s'", name);
        if (q != 0) {
            jr_report_corruption(j, rep, pos, seq, q - pos);
            if (j->policy == WK_RECOVER_SKIP_CORRUPT) {
                pos = q;
                seq++;
                j->tail_pos = pos; /* the hole is never read again */
                j->next_seq = seq;
                j->durable_seq = seq - 1;
                continue;
            }
            if (j->policy != WK_RECOVER_POINT_IN_TIME)
                return wk__errmsg_set(
                    &j->msg, WK_ECORRUPT,
                    "journal '%s': batch %llu at offset %llu is invalid but "
                    "batch %llu follows",
                    name, (unsigned long long)seq,
                    (unsigned long long)(j->ring_off + pos % j->R),
                    (unsigned long long)seq + 1);
            /* Point in time: stop here; skip the sequence numbers of
             * everything that might still be in the ring so that it never
             * validates again. */
            j->next_seq = seq + j->R / JR_ALIGN + 1;
            j->durable_seq = j->next_seq - 1;
            dirty = 1;
        } else if (torn) {
            if (j->policy == WK_RECOVER_ABSOLUTE) {
                jr_report_corruption(j, rep, pos, seq, tsize);
                return wk__errmsg_set(
                    &j->msg, WK_ECORRUPT,
                    "journal '%s': torn batch %llu at offset "
                    "%llu",
                    name, (unsigned long long)seq,
                    (unsigned long long)(j->ring_off + pos % j->R));
            }
            rep->torn_offset = j->ring_off + pos % j->R;
            rep->torn_bytes = tsize;
            if (!j->read_only) {
                static const uint8_t zero[JR_ALIGN];
                struct iovec v = {(void *)zero, sizeof zero};
                rc = wk__jr_ring_writev(j, pos, &v, 1);
                if (rc != 0)
                    return wk__jr_poison(j, rc, "clear torn batch in '%s'",
                                         name);
                dirty = 1;
            }
        }
        break;
    }
    if (j->read_only)
        return 0;
    if (dirty) {
        rc = wk_file_sync(j->jf, WK_SYNC_DATA);
        if (rc != 0)
            return wk__jr_poison(j, rc, "fdatasync journal '%s'", name);
    }
    return wk__jr_checkpoint(j, 0);
}

/* ---- format ---------------------------------------------------------- */

static int
jr_sb_exists(wk_file *f, uint64_t joff)
{
    uint8_t b[JR_SB_BYTES];
    jr_sb sb;
    for (int s = 0; s < 2; s++) {
        size_t n = 0;
        if (wk_file_pread(f, b, sizeof b, joff + (uint64_t)s * JR_SB_SLOT,
                          &n) == 0 &&
            n == sizeof b && wk__jr_sb_decode(b, &sb) == 0)
            return 1;
    }
    return 0;
}

int
wk_journal_format(const char *path, const wk_journal_opts *opts)
{
    wk_journal_opts o;
    if (opts != NULL)
        o = *opts;
    else
        wk_journal_opts_init(&o);
    if (path == NULL || o.size < sizeof o || o.capacity == 0 ||
        o.capacity % 4096 != 0 || o.capacity < JR_MIN_CAP ||
        (o.journal_path == NULL && o.region_offset % 4096 != 0) ||
        o.region_offset + o.capacity < o.region_offset)
        return -EINVAL;
    wk_vfs *vfs = o.vfs != NULL ? o.vfs : wk_vfs_posix();
    int region = o.journal_path == NULL, created = 0, rc;
    wk_file *df = NULL, *jf = NULL;
    uint8_t *zeros = NULL;
    char *dir = NULL;
    uint64_t joff = region ? o.region_offset : 0;
    wk_vfs_stat st;

    rc = vfs->stat(vfs, path, &st);
    if (rc == -ENOENT)
        created = 1;
    else if (rc != 0)
        return rc;
    rc = vfs->open(vfs, path, WK_O_RDWR | WK_O_CREATE, &df);
    if (rc != 0)
        return rc;
    if (region) {
        if (jr_sb_exists(df, joff)) {
            rc = -EEXIST;
            goto out;
        }
        zeros = wk__calloc(1, JR_SCAN_CHUNK);
        if (zeros == NULL) {
            rc = WK_ENOMEM;
            goto out;
        }
        for (uint64_t at = 0; at < o.capacity && rc == 0;) {
            uint64_t n = o.capacity - at;
            if (n > JR_SCAN_CHUNK)
                n = JR_SCAN_CHUNK;
            rc = wk_file_pwrite(df, zeros, (size_t)n, joff + at);
            at += n;
        }
        if (rc != 0)
            goto out;
        jf = df;
    } else {
        rc = wk_file_sync(df, WK_SYNC_FULL);
        if (rc != 0)
            goto out;
        rc = wk_vfs_create_prealloc(vfs, o.journal_path, o.capacity, 1, &jf);
        if (rc != 0)
            goto out;
    }
    jr_sb sb = {.version = JR_VERSION,
                .flags = region ? JR_FLAG_REGION : 0,
                .gen = 1,
                .joff = joff,
                .jcap = o.capacity,
                .next_seq = 1,
                .next_pos = 0};
    rc = vfs->random(vfs, &sb.salt, sizeof sb.salt);
    if (rc != 0)
        goto out;
    uint8_t b[JR_SB_BYTES];
    wk__jr_sb_encode(b, &sb);
    rc = wk_file_pwrite(jf, b, sizeof b, joff + JR_SB_SLOT);
    if (rc == 0)
        rc = wk_file_sync(jf, WK_SYNC_FULL);
    if (rc == 0 && created) {
        dir = wk__path_dirname(path);
        rc = dir == NULL ? WK_ENOMEM : vfs->sync_dir(vfs, dir);
    }
out:
    if (jf != NULL && jf != df)
        wk_file_close(jf);
    if (df != NULL)
        wk_file_close(df);
    wk__free(zeros);
    wk__free(dir);
    return rc;
}
