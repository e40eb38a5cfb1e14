/* wk_blob internals shared by the files of src/blob (design: blob.c). */
#ifndef WK_BLOB_INTERNAL_H
#define WK_BLOB_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "common/errmsg.h"
#include "walkit/blob.h"

#define BLOB_VERSION 1u
#define BLOB_CHUNK_HDR 4096u
#define BLOB_CHUNK_HDR_USED 36u
#define BLOB_IDENT_LEN 28u
#define BLOB_MIN_CHUNK 8192u
#define BLOB_MAX_CHUNK (1ull << 40)

/* Command record types (byte 0 of a log entry). */
enum {
    WK__BREC_PUT = 1,
    WK__BREC_DEL = 2,
    WK__BREC_KVSET = 3,
    WK__BREC_KVDEL = 4,
    WK__BREC_SAPPEND = 5,
    WK__BREC_MOVE = 6,
};

#define WK__BREC_PUT_LEN 34u
#define WK__BREC_DEL_LEN 10u
#define WK__BREC_KV_HDR 10u   /* type, 0, u32 klen, u32 vlen */
#define WK__BREC_KVDEL_HDR 6u /* type, 0, u32 klen */
#define WK__BREC_SAPPEND_LEN 42u
#define WK__BREC_MOVE_LEN 22u
#define WK__BREC_MAX (WK__BREC_KV_HDR + WK_BLOB_MAX_KEY + WK_BLOB_MAX_VALUE)

/* A decoded command record. key/val point into the decoded buffer. */
typedef struct wk__brec {
    int type;
    uint64_t id;     /* DEL, MOVE */
    uint32_t chunk;  /* PUT, SAPPEND, MOVE (new place) */
    uint64_t off;    /* PUT, SAPPEND, MOVE: byte offset in the chunk */
    uint64_t len;    /* PUT, SAPPEND */
    uint32_t crc;    /* PUT, SAPPEND */
    uint64_t tag;    /* PUT */
    uint64_t stream; /* SAPPEND */
    uint64_t soff;   /* SAPPEND: stream offset */
    const uint8_t *key;
    uint32_t klen;
    const uint8_t *val;
    uint32_t vlen;
} wk__brec;

/* Encodes r into buf (cap bytes); returns the length, or 0 if it does not
 * fit or r is invalid. */
size_t wk__brec_encode(const wk__brec *r, uint8_t *buf, size_t cap);

/* Decodes and validates a record of n bytes (every length bounded with
 * overflow-safe arithmetic). Returns 0 or WK_ECORRUPT. */
int wk__brec_decode(const uint8_t *p, size_t n, wk__brec *r);

/* ---- in-memory index -------------------------------------------------- */

typedef struct blob_obj {
    uint64_t id;
    uint64_t off;
    uint64_t len;
    uint64_t tag;
    uint32_t chunk;
    uint32_t crc;
    uint8_t deleted;
    uint8_t verified;
} blob_obj;

typedef struct blob_kv {
    struct blob_kv *next;
    uint64_t hash;
    uint32_t klen, vlen;
    uint8_t data[]; /* key then value */
} blob_kv;

typedef struct blob_ext {
    uint64_t soff; /* stream offset */
    uint64_t off;  /* chunk offset */
    uint64_t len;
    uint32_t chunk;
    uint32_t crc;
    uint8_t verified;
} blob_ext;

typedef struct blob_stream {
    uint64_t id;
    uint64_t size;
    blob_ext *ext;
    size_t next, cap;
} blob_stream;

typedef struct blob_chunk {
    uint32_t num;
    wk_file *f;          /* open handle (read-write unless read-only) */
    uint64_t size;       /* usable bytes: min(header size, file size) */
    uint64_t ref_end;    /* max end of any extent a record placed here */
    uint64_t wtail;      /* next reservation offset (current chunk) */
    uint64_t live;       /* live objects + stream extents in it */
    uint64_t live_bytes; /* bytes of the live objects in it */
    uint64_t nstream;    /* stream extents in it (they never move) */
    uint64_t del_lsn;    /* LSN of the last delete of an object in it */
    uint32_t refs;       /* views, readers and writers using f or map */
    uint32_t inflight;   /* writes reserved and not yet synced */
    int rotated;         /* no new reservation will come (sealed once
                            inflight == 0) */
    const void *map;     /* mmap of [0, size), once sealed and read */
    /* group sync of the chunk file */
    uint64_t done_gen, synced_gen;
    int syncing;
} blob_chunk;

struct wk_blob {
    char *dir;
    char *log_dir;
    wk_vfs *vfs;
    wk_blob_opts o;
    wk_vfs_lock *lock;
    wk_log *log;
    uint64_t store_id;
    wk__errmsg msg;

    pthread_mutex_t mu;
    pthread_cond_t cv; /* chunk syncs, rotation */
    int poisoned;
    int recovering;    /* replay in progress (recover_fn) */
    int replay_rc;     /* first error met by the replay */
    uint64_t snap_lsn; /* LSN covered by the loaded snapshot */
    uint64_t applied_lsn;

    blob_obj *objs;
    size_t nobj, capobj, ndead;
    uint64_t live_objs, live_bytes;

    blob_kv **kvb;
    size_t nkvb, nkv;

    blob_stream **streams; /* sorted by id */
    size_t nstreams, capstreams;

    blob_chunk **chunks; /* sorted by num */
    size_t nchunks, capchunks;
    blob_chunk *cur;     /* chunk being written */
    uint32_t next_chunk; /* number of the next chunk file */
    int rotating;
    int reclaim_pending; /* a delete may have emptied a chunk */

    wk_blob_report *rep; /* during open */

    /* counters */
    uint64_t puts, chunk_syncs, snapshots, chunks_removed, relocated;
};

/* blob_index.c */
blob_obj *wk__blob_obj_find(wk_blob *b, uint64_t id);
int wk__blob_obj_add(wk_blob *b, const blob_obj *o);
void wk__blob_obj_compact(wk_blob *b);
blob_kv *wk__blob_kv_find(wk_blob *b, const void *key, size_t klen);
int wk__blob_kv_set(wk_blob *b, const void *key, uint32_t klen, const void *val,
                    uint32_t vlen);
int wk__blob_kv_del(wk_blob *b, const void *key, size_t klen);
blob_stream *wk__blob_stream_find(wk_blob *b, uint64_t id);
blob_stream *wk__blob_stream_get(wk_blob *b, uint64_t id); /* creates */
int wk__blob_stream_add(blob_stream *s, const blob_ext *e);
blob_chunk *wk__blob_chunk_find(wk_blob *b, uint32_t num);
int wk__blob_chunk_insert(wk_blob *b, blob_chunk *c);
void wk__blob_chunk_remove(wk_blob *b, blob_chunk *c);
/* Applies a decoded record with LSN lsn to the index (mu held or
 * single-threaded). Returns 0, WK_ECORRUPT (inconsistent with the index;
 * errmsg set) or WK_ENOMEM. */
int wk__blob_apply(wk_blob *b, const wk__brec *r, uint64_t lsn);
void wk__blob_index_free(wk_blob *b);

/* blob_snap.c */
int wk__blob_snap_write(wk_blob *b, uint64_t lsn);
int wk__blob_snap_load(wk_blob *b);
int wk__blob_checkpoint_fn(void *arg, wk_log_iter *it, uint64_t upto_lsn);

/* blob_chunk.c */
int wk__blob_chunk_name(char *buf, size_t cap, uint32_t num);
int wk__blob_chunk_parse_name(const char *name, uint32_t *num);
int wk__blob_chunks_scan(wk_blob *b); /* at open */
int wk__blob_chunk_create(wk_blob *b, uint32_t num, blob_chunk **out);
void wk__blob_chunk_free(wk_blob *b, blob_chunk *c);
/* Reserves len bytes in the current chunk (rotating when full). mu held;
 * may drop and retake it. On success *cp holds a ref and an inflight. */
int wk__blob_reserve(wk_blob *b, uint64_t len, blob_chunk **cp, uint64_t *off);
/* Writes data at off into c and waits for a chunk sync covering it; mu
 * NOT held. Drops the inflight (not the ref). */
int wk__blob_write_sync(wk_blob *b, blob_chunk *c, const void *data, size_t len,
                        uint64_t off);
/* 1 when c takes no more writes (mu held). */
int wk__blob_chunk_sealed(wk_blob *b, const blob_chunk *c);
/* Drops one ref (mu held) and removes c if it became reclaimable. */
void wk__blob_chunk_unref(wk_blob *b, blob_chunk *c);
/* Removes every reclaimable chunk (mu held; drops it around I/O). */
int wk__blob_reclaim(wk_blob *b);
/* Reads [off, off+len) of chunk c into buf, or checks it against crc.
 * mu NOT held; c referenced. */
int wk__blob_chunk_read(wk_blob *b, blob_chunk *c, uint64_t off, void *buf,
                        size_t len);
int wk__blob_poison(wk_blob *b, int rc); /* mu held */

/* blob_ops.c: moves the live objects of sealed chunks less than
 * compact_live_pct full into the current chunk (MOVE records). mu NOT held. */
int wk__blob_relocate(wk_blob *b);
/* wk_log_sync(lsn); a failure poisons the handle. Then removes chunks a
 * delete emptied. mu NOT held. */
int wk__blob_log_sync(wk_blob *b, uint64_t lsn);

uint64_t wk__blob_hash(const void *p, size_t n);

#endif
