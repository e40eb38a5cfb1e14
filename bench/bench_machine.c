/* Machine facts and the data directory: see bench_machine.h. */
#include "bench_machine.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

int
bench_mkdirs(const char *dir)
{
    char tmp[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(tmp, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == '\0') {
            char c = tmp[i];
            tmp[i] = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            tmp[i] = c;
        }
    }
    return 0;
}

void
bench_cpu_model(char *out, size_t n)
{
    snprintf(out, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        char *p = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && p) {
            p++;
            while (*p == ' ' || *p == '\t')
                p++;
            p[strcspn(p, "\n")] = '\0';
            snprintf(out, n, "%s", p);
            break;
        }
    }
    fclose(f);
}

const char *
bench_fs_name(const char *dir, char *buf, size_t n)
{
    static const struct {
        unsigned long magic;
        const char *name;
    } known[] = {
        {0xEF53, "ext4"},      {0x58465342, "xfs"},       {0x9123683E, "btrfs"},
        {0x01021994, "tmpfs"}, {0x794c7630, "overlayfs"}, {0x2fc12fc1, "zfs"},
        {0x6969, "nfs"},       {0xF2F52010, "f2fs"},
    };
    struct statfs sf;
    if (statfs(dir, &sf) != 0)
        return "unknown";
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if ((unsigned long)sf.f_type == known[i].magic)
            return known[i].name;
    snprintf(buf, n, "0x%lx", (unsigned long)sf.f_type);
    return buf;
}
