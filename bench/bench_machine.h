/* Machine facts and the data directory, shared by the benchmark programs
 * (bench_util.c) and `walkit bench` (tools/walkit/cmd_bench.c), so both
 * print the same facts in their JSON objects. Not library code: it calls
 * the OS directly. */
#ifndef WK_BENCH_MACHINE_H
#define WK_BENCH_MACHINE_H

#include <stddef.h>

/* Creates dir and its missing parents (mode 0755). 0, or -1 with errno. */
int bench_mkdirs(const char *dir);

/* The CPU's model name from /proc/cpuinfo ("unknown" if not found). */
void bench_cpu_model(char *out, size_t n);

/* The name of the file system holding dir ("ext4", "xfs", ...), its magic
 * number in hex (written to buf) if unknown, or "unknown". */
const char *bench_fs_name(const char *dir, char *buf, size_t n);

#endif
