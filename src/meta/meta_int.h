/* wk_meta internals shared by the files of src/meta (never included elsewhere).
 */
#ifndef WK_META_INT_H
#define WK_META_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "common/errmsg.h"
#include "walkit/meta.h"

/* ---- in-memory map (map.c) ------------------------------------------- */

enum {
    MAP_EMPTY = 0,
    MAP_LIVE = 1,
    MAP_DEAD = 2,  /* deleted key recorded in a compaction delta */
    MAP_MOVED = 3, /* old table during a resize: migrated or deleted */
};

typedef struct wk__mslot {
    uint64_t key;
    uint64_t value;
    uint8_t *bytes; /* wk__malloc'd, len bytes; NULL when len == 0 */
    uint32_t len;
    uint32_t state; /* MAP_EMPTY, MAP_LIVE, MAP_DEAD, MAP_MOVED */
} wk__mslot;

typedef struct wk__map {
    wk__mslot *slots;
    uint64_t cap;      /* power of two (0 before the first insert) */
    wk__mslot *old;    /* the previous table while a resize is under way */
    uint64_t ocap;     /* its size */
    uint64_t ocursor;  /* its slots below this were migrated */
    wk__mslot *next;   /* the next table, being zeroed ahead of a resize */
    uint64_t nbytes;   /* its size in bytes */
    uint64_t nzeroed;  /* bytes of it zeroed so far */
    uint64_t used;     /* entries (LIVE or DEAD) in both tables */
    uint64_t live;     /* MAP_LIVE slots */
    uint64_t bytes;    /* sum of len over LIVE slots */
    uint64_t reserved; /* room promised to batches not yet applied */
} wk__map;

void wk__map_init(wk__map *m);
void wk__map_free(wk__map *m);
/* Makes room for n more entries (puts of new keys then allocate nothing
 * in the table); 0 or WK_ENOMEM. */
int wk__map_reserve(wk__map *m, uint64_t n);
wk__mslot *wk__map_find(const wk__map *m, uint64_t key);
/* Sets key to LIVE (value, bytes copied). 0 or WK_ENOMEM
 * (map unchanged). */
int wk__map_put(wk__map *m, uint64_t key, uint64_t value, const void *bytes,
                uint32_t len);
/* As wk__map_put, taking ownership of bytes (a wk__malloc'd block) on
 * success. */
int wk__map_put_owned(wk__map *m, uint64_t key, uint64_t value, uint8_t *bytes,
                      uint32_t len);
int wk__map_put_dead(wk__map *m, uint64_t key);
void wk__map_del(wk__map *m, uint64_t key);
/* Keys of slots with state != EMPTY and key >= from, sorted; *out
 * wk__malloc'd (NULL when *n == 0). 0 or WK_ENOMEM. */
int wk__map_sorted_keys(const wk__map *m, uint64_t from, uint64_t **out,
                        uint64_t *n);

/* ---- batch entries (codec.c) ----------------------------------------- */

#define META_ENTRY_HDR 16u
#define META_KIND_BATCH 1u
#define META_ENTRY_VERSION 1u
#define META_CODEC_RAW 0u
#define META_CODEC_ZSTD 1u
#define META_OP_PUT 1u
#define META_OP_DEL 2u
#define META_PUT_HDR 21u /* op, key, value, len */
#define META_DEL_HDR 9u  /* op, key */

struct wk_meta_batch {
    wk_meta *m;
    uint8_t *buf; /* META_ENTRY_HDR reserved, then the raw ops */
    size_t len, cap;
    uint32_t nops;
    uint32_t max_bytes;
    uint64_t max_batch;
};

/* One decoded operation (bytes point into the decoded body). */
typedef struct wk__mop {
    uint8_t op;
    uint64_t key;
    uint64_t value;
    const uint8_t *bytes;
    uint32_t len;
} wk__mop;

/* Records "<what>: <error>" as m's message and returns rc (meta.c). */
int wk__meta_fail(wk_meta *m, int rc, const char *what);

/* The handle's limits (meta.c). */
uint32_t wk__meta_max_bytes(const wk_meta *m);
uint64_t wk__meta_max_batch(const wk_meta *m);

typedef int (*wk__mop_fn)(void *arg, const wk__mop *op);

/* Compression contexts (zstd) kept by a handle for reuse. */
typedef struct wk__zpool {
    pthread_mutex_t mu;
    void *free_cctx[8];
    int nfree;
    void *dctx; /* used under mu */
} wk__zpool;

void wk__zpool_init(wk__zpool *z);
void wk__zpool_destroy(wk__zpool *z);
/* Compresses src into a new wk__malloc'd *dst when it saves at least 1/8;
 * returns 1 (compressed, *dlen set), 0 (not worth it / level 0), or
 * WK_ENOMEM. */
int wk__zpool_compress(wk__zpool *z, int level, const void *src, size_t len,
                       uint8_t **dst, size_t *dlen);
/* Decompresses exactly raw_len bytes into dst; WK_ECORRUPT when the frame is
 * not valid zstd of exactly that size. z may be NULL (own context). */
int wk__zdecompress(wk__zpool *z, const void *src, size_t len, void *dst,
                    size_t raw_len);

/* Encodes b as a log entry: hdr (META_ENTRY_HDR bytes) + body. *body is
 * either inside b (*owned = 0) or a new compressed buffer (*owned = 1). */
int wk__batch_encode(const wk_meta_batch *b, wk__zpool *z, int level,
                     uint8_t *hdr, const uint8_t **body, size_t *blen,
                     int *owned);
/* Validates and decodes a log entry, calling fn per op in order (no call
 * at all unless the whole entry is valid). max_bytes bounds each op's
 * bytes. Errors: WK_EFORMAT (unknown kind/version/codec), WK_ECORRUPT,
 * WK_ENOMEM, fn's value. */
int wk__batch_decode(wk__zpool *z, const void *data, size_t len,
                     uint32_t max_bytes, uint64_t max_raw, wk__mop_fn fn,
                     void *arg, uint32_t *nops);

/* ---- snapshots (snap.c) ---------------------------------------------- */

#define META_SNAP_MAGIC "WKMETASN"
#define META_SNAP_VERSION 1u
#define META_SNAP_HDR 64u
#define META_SNAP_FRAME_RAW (256u << 10) /* target raw bytes a frame */
#define META_SNAP_MAX_RAW (META_SNAP_FRAME_RAW + 20u + WK_META_MAX_BYTES_LIMIT)
#define META_SNAP_ITEMS 1u
#define META_SNAP_END 2u
#define META_ITEM_HDR 20u

typedef struct wk__snap_info {
    uint64_t gen, lsn, items, frames, salt, file_bytes, bytes;
} wk__snap_info;

/* Called per item of a snapshot in key order. */
typedef int (*wk__snap_item_fn)(void *arg, uint64_t key, uint64_t value,
                                const uint8_t *bytes, uint32_t len);

/* Reads and validates the whole snapshot at path (gen expected from its
 * name), calling fn per item (fn may be NULL). Nothing is trusted before
 * it is checked; fn sees items of a frame only after that frame's CRC
 * passed (so a caller must discard what fn built when this fails).
 * Errors: WK_EFORMAT, WK_ECORRUPT (msg says where), -errno, WK_ENOMEM. */
int wk__snap_read(wk_vfs *vfs, const char *path, uint64_t gen, wk__zpool *z,
                  wk__snap_item_fn fn, void *arg, wk__snap_info *info,
                  char *msg, size_t msgcap);

/* Parses a snapshot image held in memory (for the fuzzer and read). */
int wk__snap_parse(const uint8_t *img, size_t len, uint64_t gen, wk__zpool *z,
                   wk__snap_item_fn fn, void *arg, wk__snap_info *info,
                   char *msg, size_t msgcap);

/* Writes snapshot gen at dir/snap-<gen>.wks durably (tmp, fsync, rename,
 * fsync dir): the items of old (the snapshot at old_path, may be NULL)
 * merged with delta (LIVE slots set, DEAD slots delete), covering lsn.
 * On error the tmp file is removed. */
int wk__snap_write(wk_vfs *vfs, const char *dir, uint64_t gen, uint64_t lsn,
                   const char *old_path, uint64_t old_gen, const wk__map *delta,
                   wk__zpool *z, int level, wk__snap_info *info, char *msg,
                   size_t msgcap);

/* "snap-%016llx.wks" into buf (>= 32 bytes). */
void wk__snap_name(char *buf, size_t cap, uint64_t gen);
/* 1 and *gen if name is a snapshot name; 2 and *gen for its ".tmp". */
int wk__snap_parse_name(const char *name, uint64_t *gen);

#endif
