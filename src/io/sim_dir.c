/* Names of the simulated disk: the wk_vfs methods rename, unlink, mkdir,
 * rmdir, list, stat, sync_dir, lock_dir and unlock_dir. Each name change
 * is applied to the directory's cached table at once and queued as a
 * pending name op; sync_dir applies the queue to the durable table (room
 * reserved at queue time). unlink and rmdir allocate nothing (the entry's
 * spare op takes its name), so cleanup paths work under a failing
 * allocator. See vfs_sim.c for the call protocol.
 */
#include <errno.h>
#include <string.h>

#include "common/alloc.h"
#include "io/sim_internal.h"

/* ------------------------------------------------------------------ */
/* Namespace methods */

/* Creates dir/leaf (a new file or directory inode) as a pending name op
 * with a cached entry, and returns the inode. */
int
wk__sim_create_entry(wk_sim *s, wk__sim_inode *dir, const char *leaf, int type,
                     wk__sim_inode **out)
{
    wk__sim_dop *d = wk__sim_dop_new(NULL, leaf, NULL);
    wk__sim_dop *spare = wk__calloc(1, sizeof *spare);
    char *name = wk__strdup(leaf);
    int rc = WK_ENOMEM;
    if (d == NULL || spare == NULL || name == NULL)
        goto fail;
    if ((rc = wk__sim_table_reserve(&dir->cnames, 1)) != 0 ||
        (rc = wk__sim_dop_reserve(dir)) != 0)
        goto fail;
    wk__sim_inode *ino = wk__sim_inode_new(s, type);
    if (ino == NULL) {
        rc = WK_ENOMEM;
        goto fail;
    }
    wk__sim_cref(ino);
    wk__sim_table_append(&dir->cnames, name, ino, spare);
    d->ino = ino;
    wk__sim_dop_push(dir, d);
    *out = ino;
    return 0;
fail:
    wk__free(name);
    wk__free(spare);
    wk__sim_dops_free(NULL, d);
    return rc;
}

/* Locks s and counts a namespace call of kind: returns 1 when the call
 * must end at once with wk__sim_leave(s, 0, *rc) (wk__sim_enter failed),
 * else 0 with *rc the error of the fault injected into the call, or 0. A
 * call that does not mutate may ignore the result: *rc is then the error
 * either way. */
static int
sim_dir_enter(wk_sim *s, int kind, int mutating, int *rc)
{
    int fault;
    pthread_mutex_lock(&s->mu);
    *rc = wk__sim_enter(s, kind, mutating, &fault);
    if (*rc != 0)
        return 1;
    *rc = fault != 0 ? wk__sim_fault_rc(fault) : 0;
    return 0;
}

static int
sim_rename(wk_vfs *vfs, const char *from, const char *to)
{
    wk_sim *s = vfs->ctx;
    wk__sim_path pf, pt;
    wk__sim_inode *fdir = NULL, *fino = NULL, *tdir = NULL, *tino = NULL;
    const char *fleaf = NULL, *tleaf = NULL;
    wk__sim_dop *d1 = NULL, *d2 = NULL;
    char *name = NULL;
    int rc;
    if (sim_dir_enter(s, WK_SIM_OP_RENAME, 1, &rc))
        return wk__sim_leave(s, 0, rc);
    if (rc != 0)
        goto done;
    if ((rc = wk__sim_path_norm(from, &pf)) != 0 ||
        (rc = wk__sim_path_norm(to, &pt)) != 0 ||
        (rc = wk__sim_lookup(s, &pf, &fdir, &fleaf, &fino)) != 0 ||
        (rc = wk__sim_lookup(s, &pt, &tdir, &tleaf, &tino)) != 0)
        goto done;
    if (fdir == NULL || tdir == NULL) {
        rc = -EBUSY;
        goto done;
    }
    if (fino == NULL) {
        rc = -ENOENT;
        goto done;
    }
    if (fino == tino)
        goto done; /* same inode: nothing to do */
    if (fino->type == WK__SIM_DIR) {
        if (tino != NULL && tino->type != WK__SIM_DIR)
            rc = -ENOTDIR;
        else if (tino != NULL && tino->cnames.n > 0)
            rc = -ENOTEMPTY;
        else if (pf.abs == pt.abs && pt.len > pf.len &&
                 memcmp(pt.buf, pf.buf, pf.len) == 0)
            rc = -EINVAL; /* into its own subtree */
    } else if (tino != NULL && tino->type == WK__SIM_DIR) {
        rc = -EISDIR;
    }
    if (rc != 0)
        goto done;
    if (fdir == tdir) {
        d1 = wk__sim_dop_new(fleaf, tleaf, fino);
    } else {
        d1 = wk__sim_dop_new(fleaf, NULL, NULL);
        d2 = wk__sim_dop_new(NULL, tleaf, fino);
    }
    if (d1 == NULL || (fdir != tdir && d2 == NULL)) {
        rc = WK_ENOMEM;
        goto done;
    }
    if (wk__sim_dop_reserve(tdir) != 0) {
        rc = WK_ENOMEM;
        goto done;
    }
    if (tino == NULL) {
        name = wk__strdup(tleaf);
        if (name == NULL || wk__sim_table_reserve(&tdir->cnames, 1) != 0) {
            rc = WK_ENOMEM;
            goto done;
        }
    }
    /* Commit: nothing below fails. The entry's spare moves with it (a
     * replaced target keeps its own). */
    wk__sim_dop *spare = NULL;
    ptrdiff_t i = wk__sim_table_find(&fdir->cnames, fleaf);
    wk__sim_cref(fino);
    wk__sim_cunref(
        s, wk__sim_table_remove(&fdir->cnames, (size_t)i, NULL, &spare));
    if (tino != NULL) {
        i = wk__sim_table_find(&tdir->cnames, tleaf);
        tdir->cnames.v[i].ino = fino;
        wk__sim_cunref(s, tino);
        wk__free(spare);
    } else {
        wk__sim_table_append(&tdir->cnames, name, fino, spare);
        name = NULL;
    }
    wk__sim_dop_push(fdir, d1);
    d1 = NULL;
    if (d2 != NULL) {
        wk__sim_dop_push(tdir, d2);
        d2 = NULL;
    }
done:
    wk__free(name);
    wk__sim_dops_free(NULL, d1);
    wk__sim_dops_free(NULL, d2);
    wk__sim_trace(s, rc, "rename %s %s", from, to);
    return wk__sim_leave(s, 1, rc);
}

/* unlink (dir == 0) or rmdir (dir == 1). */
static int
sim_remove(wk_sim *s, const char *path, int want_dir)
{
    wk__sim_path p;
    wk__sim_inode *dir = NULL, *ino = NULL;
    const char *leaf = NULL;
    int rc;
    if (sim_dir_enter(s, want_dir ? WK_SIM_OP_RMDIR : WK_SIM_OP_UNLINK, 1, &rc))
        return wk__sim_leave(s, 0, rc);
    if (rc != 0)
        goto done;
    if ((rc = wk__sim_path_norm(path, &p)) != 0 ||
        (rc = wk__sim_lookup(s, &p, &dir, &leaf, &ino)) != 0)
        goto done;
    if (dir == NULL)
        rc = want_dir ? -EBUSY : -EISDIR;
    else if (ino == NULL)
        rc = -ENOENT;
    else if (want_dir && ino->type != WK__SIM_DIR)
        rc = -ENOTDIR;
    else if (!want_dir && ino->type == WK__SIM_DIR)
        rc = -EISDIR;
    else if (want_dir && ino->cnames.n > 0)
        rc = -ENOTEMPTY;
    if (rc != 0)
        goto done;
    /* No allocation: the entry's spare op takes the entry's name. */
    wk__sim_dop *d = NULL;
    char *name = NULL;
    ptrdiff_t i = wk__sim_table_find(&dir->cnames, leaf);
    wk__sim_cunref(s, wk__sim_table_remove(&dir->cnames, (size_t)i, &name, &d));
    memset(d, 0, sizeof *d);
    d->del = name;
    wk__sim_dop_push(dir, d);
done:
    wk__sim_trace(s, rc, "%s %s", want_dir ? "rmdir" : "unlink", path);
    return wk__sim_leave(s, 1, rc);
}

static int
sim_unlink(wk_vfs *vfs, const char *path)
{
    return sim_remove(vfs->ctx, path, 0);
}

static int
sim_rmdir(wk_vfs *vfs, const char *path)
{
    return sim_remove(vfs->ctx, path, 1);
}

static int
sim_mkdir(wk_vfs *vfs, const char *path)
{
    wk_sim *s = vfs->ctx;
    wk__sim_path p;
    wk__sim_inode *dir = NULL, *ino = NULL;
    const char *leaf = NULL;
    int rc;
    if (sim_dir_enter(s, WK_SIM_OP_MKDIR, 1, &rc))
        return wk__sim_leave(s, 0, rc);
    if (rc == 0 && (rc = wk__sim_path_norm(path, &p)) == 0 &&
        (rc = wk__sim_lookup(s, &p, &dir, &leaf, &ino)) == 0) {
        if (dir == NULL || ino != NULL)
            rc = -EEXIST;
        else
            rc = wk__sim_create_entry(s, dir, leaf, WK__SIM_DIR, &ino);
    }
    wk__sim_trace(s, rc, "mkdir %s", path);
    return wk__sim_leave(s, 1, rc);
}

/* Looks up an existing inode, checking its type unless type is 0. */
int
wk__sim_find(wk_sim *s, const char *path, int type, wk__sim_inode **out)
{
    wk__sim_path p;
    wk__sim_inode *dir = NULL, *ino = NULL;
    const char *leaf = NULL;
    int rc = wk__sim_path_norm(path, &p);
    if (rc == 0)
        rc = wk__sim_lookup(s, &p, &dir, &leaf, &ino);
    if (rc == 0 && ino == NULL)
        rc = -ENOENT;
    if (rc == 0 && type != 0 && ino->type != type)
        rc = type == WK__SIM_DIR ? -ENOTDIR : -EISDIR;
    if (rc == 0)
        *out = ino;
    return rc;
}

static int
sim_list(wk_vfs *vfs, const char *dirpath, wk_vfs_list_fn fn, void *arg)
{
    wk_sim *s = vfs->ctx;
    wk__sim_inode *dir = NULL;
    char *names = NULL;
    size_t count = 0;
    int rc;
    sim_dir_enter(s, WK_SIM_OP_LIST, 0, &rc);
    if (rc == 0)
        rc = wk__sim_find(s, dirpath, WK__SIM_DIR, &dir);
    if (rc == 0) {
        /* Copy the names: fn runs unlocked and may call the vfs. */
        size_t bytes = 1;
        for (size_t i = 0; i < dir->cnames.n; i++)
            bytes += strlen(dir->cnames.v[i].name) + 1;
        names = wk__malloc(bytes);
        if (names == NULL) {
            rc = WK_ENOMEM;
        } else {
            char *c = names;
            for (size_t i = 0; i < dir->cnames.n; i++) {
                size_t l = strlen(dir->cnames.v[i].name) + 1;
                memcpy(c, dir->cnames.v[i].name, l);
                c += l;
            }
            count = dir->cnames.n;
        }
    }
    wk__sim_leave(s, 0, rc);
    const char *c = names;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        rc = fn(arg, c);
        c += strlen(c) + 1;
    }
    wk__free(names);
    return rc;
}

static int
sim_stat(wk_vfs *vfs, const char *path, wk_vfs_stat *st)
{
    wk_sim *s = vfs->ctx;
    wk__sim_inode *ino = NULL;
    int rc;
    sim_dir_enter(s, WK_SIM_OP_STAT, 0, &rc);
    if (rc == 0 && (rc = wk__sim_find(s, path, 0, &ino)) == 0) {
        st->type = ino->type == WK__SIM_DIR ? WK_VFS_DIR : WK_VFS_FILE;
        st->size = ino->type == WK__SIM_DIR ? 0 : ino->cached.len;
    }
    return wk__sim_leave(s, 0, rc);
}

static int
sim_sync_dir(wk_vfs *vfs, const char *dirpath)
{
    wk_sim *s = vfs->ctx;
    wk__sim_inode *dir = NULL;
    int rc;
    if (sim_dir_enter(s, WK_SIM_OP_SYNC_DIR, 1, &rc))
        return wk__sim_leave(s, 0, rc);
    if (rc == 0 && (rc = wk__sim_find(s, dirpath, WK__SIM_DIR, &dir)) == 0)
        wk__sim_dops_apply(s, dir);
    wk__sim_trace(s, rc, "sync_dir %s", dirpath);
    return wk__sim_leave(s, 1, rc);
}

static int
sim_lock_dir(wk_vfs *vfs, const char *dirpath, wk_vfs_lock **out)
{
    wk_sim *s = vfs->ctx;
    wk__sim_inode *dir = NULL, *lockfile = NULL;
    int rc;
    sim_dir_enter(s, WK_SIM_OP_LOCK, 0, &rc);
    if (rc == 0) /* a directory (its LOCK file is created) or a file */
        rc = wk__sim_find(s, dirpath, 0, &dir);
    if (rc == 0 && dir->locked)
        rc = -EBUSY;
    if (rc != 0)
        return wk__sim_leave(s, 0, rc);
    wk__sim_lock *lk = wk__calloc(1, sizeof *lk);
    if (lk == NULL)
        return wk__sim_leave(s, 0, WK_ENOMEM);
    ptrdiff_t i = dir->type == WK__SIM_DIR
                      ? wk__sim_table_find(&dir->cnames, "LOCK")
                      : 0; /* a locked file is its own lock file */
    if (i < 0) {
        rc = wk__sim_create_entry(s, dir, "LOCK", WK__SIM_FILE, &lockfile);
        if (rc != 0) {
            wk__free(lk);
            return wk__sim_leave(s, 0, rc);
        }
    }
    lk->sim = s;
    lk->dir = dir;
    wk__sim_ref(dir);
    dir->locked = 1;
    lk->next = s->locks;
    if (s->locks != NULL)
        s->locks->prev = lk;
    s->locks = lk;
    *out = (wk_vfs_lock *)lk;
    return wk__sim_leave(s, 0, 0);
}

static int
sim_unlock_dir(wk_vfs *vfs, wk_vfs_lock *lock)
{
    wk_sim *s = vfs->ctx;
    wk__sim_lock *lk = (wk__sim_lock *)lock;
    if (lk == NULL)
        return -EINVAL;
    pthread_mutex_lock(&s->mu);
    if (lk->dir != NULL) {
        lk->dir->locked = 0;
        wk__sim_unref(s, lk->dir);
    }
    if (lk->prev != NULL)
        lk->prev->next = lk->next;
    else
        s->locks = lk->next;
    if (lk->next != NULL)
        lk->next->prev = lk->prev;
    wk__free(lk);
    return wk__sim_leave(s, 0, 0);
}

void
wk__sim_dir_methods(wk_vfs *vfs)
{
    vfs->rename = sim_rename;
    vfs->unlink = sim_unlink;
    vfs->mkdir = sim_mkdir;
    vfs->rmdir = sim_rmdir;
    vfs->list = sim_list;
    vfs->stat = sim_stat;
    vfs->sync_dir = sim_sync_dir;
    vfs->lock_dir = sim_lock_dir;
    vfs->unlock_dir = sim_unlock_dir;
}
