/* wk_ring internals shared by the files of src/ring (see the design comment at
 * the top of ring.c). */
#ifndef WK_RING_INT_H
#define WK_RING_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "common/errmsg.h"
#include "common/record.h"
#include "walkit/ring.h"

#define RG_SB_SLOT 4096u  /* bytes per superblock slot */
#define RG_SB_BYTES 512u  /* bytes written per superblock */
#define RG_SB_USED 128u   /* bytes covered by the superblock CRC + crc */
#define RG_AREA_OFF 8192u /* record area offset inside the region */
#define RG_MIN_CAP 12288u /* smallest region: 8 KiB + 4 KiB of records */
#define RG_VERSION 1u

/* Record types. */
enum {
    RG_T_DATA = 1, /* a user entry */
    RG_T_WRAP = 2, /* len 0: the rest of this lap is skipped */
    RG_T_FILL = 3, /* a cancelled reservation: len zero bytes */
    RG_T_JUMP = 4, /* written by recovery (skip-corrupt) over a hole: its
                      CRC covers the hole's bytes as they are; the next
                      record follows it with seq + aux16 */
};

/* The decoded superblock. */
typedef struct rg_sb {
    uint64_t gen, salt, region_off, region_len;
    uint64_t head_pos, head_seq, tail_pos, tail_seq;
} rg_sb;

/* Geometry and identity of one ring, enough to read and validate records
 * (used by the handle and by verify). */
typedef struct rg_geo {
    wk_vfs *vfs;
    wk_file *f;
    const char *path;
    uint64_t base; /* file offset of the record area */
    uint64_t D;    /* bytes of the record area */
    uint64_t salt;
    uint32_t salt_crc;
    uint32_t max_len; /* largest payload */
} rg_geo;

/* A reservation (or an internal pad/filler) waiting in the write queue. */
struct wk_ring_res {
    wk_ring *r;
    struct wk_ring_res *next;
    uint64_t pos; /* where the record starts (normalized) */
    uint64_t end; /* logical end (a WRAP pad: the end of its lap) */
    uint64_t seq;
    uint32_t len; /* payload bytes */
    uint8_t type;
    int ready;    /* committed or cancelled: may be written */
    uint8_t *rec; /* header + payload (24 + len bytes) */
};

struct wk_ring {
    rg_geo g;
    char *path;
    wk_vfs_lock *lock;
    int read_only;
    uint64_t max_batch;
    wk__errmsg msg;

    pthread_mutex_t mu;
    pthread_cond_t cv; /* state changes: writes, syncs, poison */
    /* Positions (logical, raw ends) and sequence numbers, under mu. */
    uint64_t head_pos, head_seq;   /* first live record */
    uint64_t res_pos, res_seq;     /* end of the reserved space */
    uint64_t wr_pos, wr_seq;       /* end of the written records */
    uint64_t dur_pos;              /* end of the durable records */
    _Atomic uint64_t dur_seq;      /* first seq not known durable */
    uint64_t sync_want;            /* a sync is wanted up to this seq */
    wk_ring_res *q_first, *q_last; /* reservations, in order */
    int leader;                    /* a writer is active */
    int poison;
    uint64_t entries; /* live data entries in [head, wr) */
    wk_ring_stats st; /* counters */

    pthread_mutex_t adv_mu; /* serializes superblock writes */
    rg_sb sb;               /* last superblock written (adv_mu) */
};

struct wk_ring_iter {
    wk_ring *r;
    uint64_t pos, seq;
    uint8_t *buf;
    size_t cap;
};

/* ring_disk.c */
uint64_t wk__rg_norm(const rg_geo *g, uint64_t pos);
void wk__rg_sb_encode(uint8_t *buf, const rg_sb *sb);
int wk__rg_sb_decode(const uint8_t *buf, int slot, rg_sb *sb);
int wk__rg_sb_write(rg_geo *g, const rg_sb *sb);
int wk__rg_read_sbs(rg_geo *g, uint64_t region_off, uint64_t cap, rg_sb *sb,
                    wk_ring_report *rep);
void wk__rg_geo_set(rg_geo *g, const rg_sb *sb);
void wk__rg_seal(const rg_geo *g, uint8_t *rec, uint8_t type, uint32_t len,
                 uint64_t pos, uint64_t seq, uint64_t dur_seq);
int wk__rg_read_rec(const rg_geo *g, uint64_t pos, uint8_t **buf, size_t *cap,
                    wk__rec *out);

typedef struct rg_scan {
    uint64_t tail_pos, tail_seq;
    uint64_t entries;
    int torn;
    int corrupt;
} rg_scan;
int wk__rg_recover(rg_geo *g, const rg_sb *sb, int policy, int repair,
                   wk_ring_report *rep, rg_scan *out, wk__errmsg *msg);

/* ring.c */
int wk__rg_poison(wk_ring *r, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int wk__rg_write_sb(wk_ring *r, uint64_t head_pos, uint64_t head_seq);

#endif
