/* State of the simulated disk: byte images, pending operation lists, name
 * tables, inodes with reference counts, and path resolution. No locking
 * here: callers in vfs_sim.c and sim_crash.c hold wk_sim.mu. */
#include <errno.h>
#include <string.h>

#include "common/alloc.h"
#include "io/sim_internal.h"

uint64_t
wk__sim_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ------------------------------------------------------------------ */
/* Byte images */

int
wk__sim_buf_reserve(wk__sim_buf *b, uint64_t need)
{
    if (need <= b->cap)
        return 0;
    if (need > (uint64_t)SIZE_MAX / 2)
        return WK_ENOMEM;
    uint64_t cap = b->cap + b->cap / 2;
    if (cap < need)
        cap = need;
    if (cap < 64)
        cap = 64;
    uint8_t *p = wk__realloc(b->data, (size_t)cap);
    if (p == NULL && cap > need) {
        cap = need;
        p = wk__realloc(b->data, (size_t)cap);
    }
    if (p == NULL)
        return WK_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

/* Sets the size to len, zero-filling growth. */
static int
sim_buf_resize(wk__sim_buf *b, uint64_t len)
{
    if (len > b->len) {
        int rc = wk__sim_buf_reserve(b, len);
        if (rc != 0)
            return rc;
        memset(b->data + b->len, 0, (size_t)(len - b->len));
    }
    b->len = len;
    return 0;
}

int
wk__sim_buf_write(wk__sim_buf *b, uint64_t off, const void *src, uint64_t len)
{
    if (len == 0)
        return 0;
    int rc = wk__sim_buf_reserve(b, off + len);
    if (rc != 0)
        return rc;
    if (off > b->len)
        memset(b->data + b->len, 0, (size_t)(off - b->len));
    memcpy(b->data + off, src, (size_t)len);
    if (off + len > b->len)
        b->len = off + len;
    return 0;
}

uint64_t
wk__sim_fop_size(const wk__sim_fop *op, uint64_t len)
{
    switch (op->kind) {
    case WK__SIM_WRITE:
        return op->len > 0 && op->off + op->len > len ? op->off + op->len : len;
    case WK__SIM_TRUNC:
        return op->off;
    default: /* WK__SIM_ALLOC */
        return op->off + op->len > len ? op->off + op->len : len;
    }
}

int
wk__sim_buf_apply(wk__sim_buf *b, const wk__sim_fop *op)
{
    switch (op->kind) {
    case WK__SIM_WRITE:
        return wk__sim_buf_write(b, op->off, op->data, op->len);
    default:
        return sim_buf_resize(b, wk__sim_fop_size(op, b->len));
    }
}

int
wk__sim_buf_copy(wk__sim_buf *dst, const wk__sim_buf *src)
{
    dst->data = NULL;
    dst->len = dst->cap = 0;
    if (src->len == 0)
        return 0;
    dst->data = wk__malloc((size_t)src->len);
    if (dst->data == NULL)
        return WK_ENOMEM;
    memcpy(dst->data, src->data, (size_t)src->len);
    dst->len = dst->cap = src->len;
    return 0;
}

void
wk__sim_buf_free(wk__sim_buf *b)
{
    wk__free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void
wk__sim_fops_free(wk__sim_fop *op)
{
    while (op != NULL) {
        wk__sim_fop *next = op->next;
        wk__free(op);
        op = next;
    }
}

void
wk__sim_fop_push(wk__sim_inode *f, wk__sim_fop *op)
{
    op->next = NULL;
    if (f->fops_tail != NULL)
        f->fops_tail->next = op;
    else
        f->fops = op;
    f->fops_tail = op;
}

/* ------------------------------------------------------------------ */
/* Name tables */

ptrdiff_t
wk__sim_table_find(const wk__sim_table *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].name, name) == 0)
            return (ptrdiff_t)i;
    return -1;
}

int
wk__sim_table_reserve(wk__sim_table *t, size_t extra)
{
    if (t->n + extra <= t->cap)
        return 0;
    size_t cap = t->cap ? t->cap * 2 : 8;
    while (cap < t->n + extra)
        cap *= 2;
    wk__sim_entry *v = wk__realloc(t->v, cap * sizeof *v);
    if (v == NULL)
        return WK_ENOMEM;
    t->v = v;
    t->cap = cap;
    return 0;
}

void
wk__sim_table_append(wk__sim_table *t, char *name, wk__sim_inode *ino,
                     wk__sim_dop *spare)
{
    t->v[t->n].name = name;
    t->v[t->n].ino = ino;
    t->v[t->n].spare = spare;
    t->n++;
}

wk__sim_inode *
wk__sim_table_remove(wk__sim_table *t, size_t i, char **name,
                     wk__sim_dop **spare)
{
    wk__sim_inode *ino = t->v[i].ino;
    if (name != NULL)
        *name = t->v[i].name;
    else
        wk__free(t->v[i].name);
    if (spare != NULL)
        *spare = t->v[i].spare;
    else
        wk__free(t->v[i].spare);
    t->v[i] = t->v[t->n - 1];
    t->n--;
    return ino;
}

void
wk__sim_table_free(wk_sim *s, wk__sim_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        wk__free(t->v[i].name);
        wk__free(t->v[i].spare);
        if (s != NULL)
            wk__sim_unref(s, t->v[i].ino);
    }
    wk__free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}

void
wk__sim_table_ref(wk__sim_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        wk__sim_ref(t->v[i].ino);
}

/* Appends name -> ino to out (reserving room), with a spare if asked. */
static int
sim_table_add(wk__sim_table *out, const char *name, wk__sim_inode *ino,
              int spares)
{
    char *copy = wk__strdup(name);
    wk__sim_dop *spare = spares ? wk__calloc(1, sizeof *spare) : NULL;
    if (copy == NULL || (spares && spare == NULL) ||
        wk__sim_table_reserve(out, 1) != 0) {
        wk__free(copy);
        wk__free(spare);
        return WK_ENOMEM;
    }
    wk__sim_table_append(out, copy, ino, spare);
    return 0;
}

int
wk__sim_table_build(wk__sim_table *out, const wk__sim_table *base,
                    const wk__sim_dop *dops, uint64_t k, int spares)
{
    int rc = wk__sim_table_reserve(out, base->n);
    for (size_t i = 0; rc == 0 && i < base->n; i++)
        rc = sim_table_add(out, base->v[i].name, base->v[i].ino, spares);
    for (const wk__sim_dop *d = dops; rc == 0 && d != NULL && k > 0;
         d = d->next, k--) {
        if (d->del != NULL) {
            ptrdiff_t i = wk__sim_table_find(out, d->del);
            if (i >= 0)
                wk__sim_table_remove(out, (size_t)i, NULL, NULL);
        }
        if (d->set != NULL) {
            ptrdiff_t i = wk__sim_table_find(out, d->set);
            if (i >= 0)
                out->v[i].ino = d->ino;
            else
                rc = sim_table_add(out, d->set, d->ino, spares);
        }
    }
    if (rc != 0)
        wk__sim_table_free(NULL, out);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Pending name operations */

wk__sim_dop *
wk__sim_dop_new(const char *del, const char *set, wk__sim_inode *ino)
{
    wk__sim_dop *d = wk__calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    if (del != NULL && (d->del = wk__strdup(del)) == NULL)
        goto fail;
    if (set != NULL && (d->set = wk__strdup(set)) == NULL)
        goto fail;
    d->ino = ino;
    return d;
fail:
    wk__free(d->del);
    wk__free(d);
    return NULL;
}

void
wk__sim_dops_free(wk_sim *s, wk__sim_dop *d)
{
    while (d != NULL) {
        wk__sim_dop *next = d->next;
        if (s != NULL && d->set != NULL)
            wk__sim_unref(s, d->ino);
        wk__free(d->del);
        wk__free(d->set);
        wk__free(d);
        d = next;
    }
}

int
wk__sim_dop_reserve(wk__sim_inode *dir)
{
    return wk__sim_table_reserve(&dir->dnames, dir->nsets + 1);
}

void
wk__sim_dop_push(wk__sim_inode *dir, wk__sim_dop *d)
{
    d->next = NULL;
    if (d->set != NULL) {
        wk__sim_ref(d->ino);
        dir->nsets++;
    }
    if (dir->dops_tail != NULL)
        dir->dops_tail->next = d;
    else
        dir->dops = d;
    dir->dops_tail = d;
}

void
wk__sim_dops_apply(wk_sim *s, wk__sim_inode *dir)
{
    wk__sim_table *t = &dir->dnames;
    wk__sim_dop *d = dir->dops;
    while (d != NULL) {
        wk__sim_dop *next = d->next;
        if (d->del != NULL) {
            ptrdiff_t i = wk__sim_table_find(t, d->del);
            if (i >= 0)
                wk__sim_unref(s,
                              wk__sim_table_remove(t, (size_t)i, NULL, NULL));
        }
        if (d->set != NULL) {
            /* The op's reference (and name) move to the table. */
            ptrdiff_t i = wk__sim_table_find(t, d->set);
            if (i >= 0) {
                wk__sim_unref(s, t->v[i].ino);
                t->v[i].ino = d->ino;
            } else {
                wk__sim_table_append(t, d->set, d->ino, NULL); /* reserved */
                d->set = NULL;
            }
        }
        wk__free(d->del);
        wk__free(d->set);
        wk__free(d);
        d = next;
    }
    dir->dops = dir->dops_tail = NULL;
    dir->nsets = 0;
}

/* ------------------------------------------------------------------ */
/* Inodes */

wk__sim_inode *
wk__sim_inode_new(wk_sim *s, int type)
{
    wk__sim_inode *ino = wk__calloc(1, sizeof *ino);
    if (ino == NULL)
        return NULL;
    ino->type = type;
    ino->prev = s->live_tail;
    if (s->live_tail != NULL)
        s->live_tail->next = ino;
    else
        s->live_head = ino;
    s->live_tail = ino;
    return ino;
}

void
wk__sim_ref(wk__sim_inode *ino)
{
    ino->refs++;
}

void
wk__sim_unref(wk_sim *s, wk__sim_inode *ino)
{
    if (--ino->refs == 0 && !ino->zombie) {
        ino->zombie = 1;
        ino->zombie_next = s->zombies;
        s->zombies = ino;
    }
}

void
wk__sim_cref(wk__sim_inode *ino)
{
    ino->crefs++;
    ino->refs++;
}

void
wk__sim_cunref(wk_sim *s, wk__sim_inode *ino)
{
    if (--ino->crefs == 0 && ino->type == WK__SIM_FILE) {
        s->total_bytes -= ino->cached.len;
        wk__sim_buf_free(&ino->cached);
    }
    wk__sim_unref(s, ino);
}

/* Frees an inode's content; with s, releases what it references. */
static void
sim_inode_release(wk_sim *s, wk__sim_inode *ino)
{
    wk__sim_buf_free(&ino->cached);
    wk__sim_buf_free(&ino->durable);
    wk__sim_fops_free(ino->fops);
    wk__sim_table_free(s, &ino->cnames);
    wk__sim_table_free(s, &ino->dnames);
    wk__sim_dops_free(s, ino->dops);
    wk__sim_buf_free(&ino->new_durable);
    wk__sim_buf_free(&ino->new_cached);
    wk__sim_table_free(NULL, &ino->new_dnames);
    wk__sim_table_free(NULL, &ino->new_cnames);
}

static void
sim_live_remove(wk_sim *s, wk__sim_inode *ino)
{
    if (ino->prev != NULL)
        ino->prev->next = ino->next;
    else
        s->live_head = ino->next;
    if (ino->next != NULL)
        ino->next->prev = ino->prev;
    else
        s->live_tail = ino->prev;
}

void
wk__sim_gc(wk_sim *s)
{
    while (s->zombies != NULL) {
        wk__sim_inode *ino = s->zombies;
        s->zombies = ino->zombie_next;
        ino->zombie = 0;
        if (ino->refs > 0)
            continue; /* referenced again before collection */
        sim_live_remove(s, ino);
        if (ino->type == WK__SIM_FILE)
            s->total_bytes -= ino->cached.len;
        sim_inode_release(s, ino);
        wk__free(ino);
    }
}

void
wk__sim_free_all(wk_sim *s)
{
    wk__sim_inode *ino = s->live_head;
    while (ino != NULL) {
        wk__sim_inode *next = ino->next;
        sim_inode_release(NULL, ino);
        wk__free(ino);
        ino = next;
    }
    s->live_head = s->live_tail = s->zombies = NULL;
}

/* ------------------------------------------------------------------ */
/* Paths */

int
wk__sim_path_norm(const char *in, wk__sim_path *p)
{
    p->abs = in[0] == '/';
    p->n = 0;
    p->len = 0;
    if (in[0] == '\0')
        return -ENOENT;
    const char *c = in;
    while (*c != '\0') {
        while (*c == '/')
            c++;
        if (*c == '\0')
            break;
        size_t l = strcspn(c, "/");
        if (l == 1 && c[0] == '.') {
            /* "." adds nothing */
        } else if (l == 2 && c[0] == '.' && c[1] == '.') {
            if (p->n == 0) {
                if (!p->abs)
                    return -EINVAL;
            } else {
                /* drop the last component */
                size_t end = p->len - 1; /* its NUL */
                while (end > 0 && p->buf[end - 1] != '\0')
                    end--;
                p->len = end;
                p->n--;
            }
        } else {
            if (p->len + l + 1 > sizeof p->buf)
                return -ENAMETOOLONG;
            memcpy(p->buf + p->len, c, l);
            p->buf[p->len + l] = '\0';
            p->len += l + 1;
            p->n++;
        }
        c += l;
    }
    return 0;
}

int
wk__sim_lookup(wk_sim *s, const wk__sim_path *p, wk__sim_inode **dir,
               const char **leaf, wk__sim_inode **ino)
{
    wk__sim_inode *cur = p->abs ? s->root_abs : s->root_rel;
    if (p->n == 0) {
        *dir = NULL;
        *leaf = NULL;
        *ino = cur;
        return 0;
    }
    const char *c = p->buf;
    for (size_t i = 0; i + 1 < p->n; i++) {
        ptrdiff_t e = wk__sim_table_find(&cur->cnames, c);
        if (e < 0)
            return -ENOENT;
        cur = cur->cnames.v[e].ino;
        if (cur->type != WK__SIM_DIR)
            return -ENOTDIR;
        c += strlen(c) + 1;
    }
    ptrdiff_t e = wk__sim_table_find(&cur->cnames, c);
    *dir = cur;
    *leaf = c;
    *ino = e >= 0 ? cur->cnames.v[e].ino : NULL;
    return 0;
}
