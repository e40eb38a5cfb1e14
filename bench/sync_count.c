/* fsync/fdatasync interposition for syncs_per_commit of the peers. See
 * sync_count.h. Every call from a shared library (and from this program)
 * lands here, is counted, and goes on to libc's implementation. */
#include "sync_count.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

static _Atomic uint64_t sc_count;

typedef int (*sc_fn)(int);

static int
sc_forward(const char *name, _Atomic(sc_fn) *slot, int fd)
{
    sc_fn f = atomic_load(slot);
    if (!f) {
        f = (sc_fn)dlsym(RTLD_NEXT, name);
        if (!f) {
            errno = ENOSYS;
            return -1;
        }
        atomic_store(slot, f);
    }
    atomic_fetch_add(&sc_count, 1);
    return f(fd);
}

int
fsync(int fd)
{
    static _Atomic(sc_fn) real;
    return sc_forward("fsync", &real, fd);
}

int
fdatasync(int fd)
{
    static _Atomic(sc_fn) real;
    return sc_forward("fdatasync", &real, fd);
}

uint64_t
bench_sync_count(void)
{
    return atomic_load(&sc_count);
}
