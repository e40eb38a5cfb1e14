/* walkit: the command-line tool.
 *
 * main() knows no command group by name: each group (cmd_log.c, cmd_demo.c,
 * cmd_journal.c, cmd_bench.c, ...) registers a wk_cli_cmd from a
 * constructor (WK_CLI_COMMAND in cli.h), and main dispatches on argv[1].
 *
 *   walkit help [GROUP]     list the groups, or print one group's usage
 *   walkit --version        tool and library versions
 *   walkit GROUP ARGS...    run a group (argv[0] it sees is GROUP)
 *
 * Exit codes: 0 ok, 1 a problem found, 2 usage or I/O error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "walkit.h"

#define MAIN_MAX_CMDS 32

static const wk_cli_cmd *main_cmds[MAIN_MAX_CMDS];
static int main_ncmds;

void
wk_cli_register(const wk_cli_cmd *cmd)
{
    int i;

    if (main_ncmds == MAIN_MAX_CMDS) {
        fprintf(stderr, "walkit: too many command groups (%s dropped)\n",
                cmd->name);
        return;
    }
    /* keep the table sorted by name so `walkit help` is stable */
    for (i = main_ncmds; i > 0 && strcmp(main_cmds[i - 1]->name, cmd->name) > 0;
         i--)
        main_cmds[i] = main_cmds[i - 1];
    main_cmds[i] = cmd;
    main_ncmds++;
}

static const wk_cli_cmd *
main_find(const char *name)
{
    for (int i = 0; i < main_ncmds; i++) {
        if (!strcmp(main_cmds[i]->name, name))
            return main_cmds[i];
    }
    return NULL;
}

static void
main_usage(FILE *f)
{
    fputs("usage: walkit <command> [args...]\n"
          "       walkit help [command]\n"
          "       walkit --version\n"
          "\ncommands:\n",
          f);
    for (int i = 0; i < main_ncmds; i++)
        fprintf(f, "  %-10s %s\n", main_cmds[i]->name, main_cmds[i]->summary);
    fputs("\nExit status: 0 ok, 1 a problem found (verify) or not found, "
          "2 usage or I/O error.\n",
          f);
}

static int
main_help(int argc, char **argv)
{
    const wk_cli_cmd *cmd;

    if (argc < 3) {
        main_usage(stdout);
        return WK_CLI_OK;
    }
    cmd = main_find(argv[2]);
    if (!cmd) {
        fprintf(stderr,
                "walkit: help: unknown command '%s' (commands: walkit "
                "help)\n",
                argv[2]);
        return WK_CLI_ERROR;
    }
    fputs(cmd->usage, stdout);
    return WK_CLI_OK;
}

int
main(int argc, char **argv)
{
    const wk_cli_cmd *cmd;
    int rc;

    if (argc < 2) {
        fputs("walkit: missing command\n", stderr);
        main_usage(stderr);
        return WK_CLI_ERROR;
    }
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "-h"))
        return main_help(argc, argv);
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("walkit %s (library %s)\n", WK_VERSION_STRING, wk_version());
        return WK_CLI_OK;
    }
    cmd = main_find(argv[1]);
    if (!cmd) {
        fprintf(stderr,
                "walkit: unknown command '%s' (commands: walkit help)\n",
                argv[1]);
        return WK_CLI_ERROR;
    }
    rc = cmd->run(argc - 1, argv + 1);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("walkit: writing to stdout");
        if (rc == WK_CLI_OK)
            rc = WK_CLI_ERROR;
    }
    return rc;
}
