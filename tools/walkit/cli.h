/* The walkit command-line tool: shared declarations.
 *
 * Each command group lives in its own file (cmd_log.c, cmd_journal.c,
 * cmd_bench.c, cmd_demo.c, ...) and registers itself at start-up with
 * WK_CLI_COMMAND, so groups are added without touching main.c.
 *
 * Exit codes: 0 ok; 1 a problem found (verify) or not found (get);
 * 2 usage or I/O error. Data on stdout, diagnostics on stderr. */
#ifndef WK_CLI_H
#define WK_CLI_H

typedef struct wk_cli_cmd {
    const char *name;                  /* "log", "journal", "demo", "bench" */
    const char *summary;               /* one line for `walkit help` */
    const char *usage;                 /* full usage text (several lines) */
    int (*run)(int argc, char **argv); /* argv[0] is the group name */
} wk_cli_cmd;

enum { WK_CLI_OK = 0, WK_CLI_PROBLEM = 1, WK_CLI_ERROR = 2 };

void wk_cli_register(const wk_cli_cmd *cmd);

#define WK_CLI_COMMAND(var)                                                    \
    __attribute__((constructor)) static void var##_register(void)              \
    {                                                                          \
        wk_cli_register(&var);                                                 \
    }

#endif
