// SPDX-License-Identifier: GPL-2.0
/* lkvm: a thin VMM for Linux kernel developers.  Subcommand dispatch. */
#include <stdio.h>
#include <string.h>

#include "lkvm.h"
#include "util.h"

static int cmd_version(int argc, char **argv)
{
	printf("lkvm version %s\n", LKVM_VERSION);
	return 0;
}

static int cmd_help(int argc, char **argv);

static const struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} subcommands[] = {
	{ "run", cmd_run, "boot a kernel or payload (lkvm run --help)" },
	{ "kselftest", cmd_kselftest, "run installed kselftests in a guest (lkvm kselftest --help)" },
	{ "list", cmd_list, "list the running guests" },
	{ "stat", cmd_stat, "show a guest's state: lkvm stat NAME" },
	{ "stop", cmd_stop, "stop a guest: lkvm stop NAME" },
	{ "pause", cmd_pause, "pause a guest's vCPUs: lkvm pause NAME" },
	{ "resume", cmd_resume, "resume a paused guest: lkvm resume NAME" },
	{ "debug", cmd_debug, "vCPU registers and stack: lkvm debug [--symbols FILE] NAME" },
	{ "version", cmd_version, "print lkvm's version" },
	{ "help", cmd_help, "this text" },
};

static int cmd_help(int argc, char **argv)
{
	unsigned int i;

	puts("usage: lkvm <command> [options]\n\ncommands:");
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		printf("  %-10s %s\n", subcommands[i].name, subcommands[i].help);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int i;

	if (argc < 2) {
		cmd_help(0, NULL);
		return LKVM_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(0, NULL);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(0, NULL);
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	pr_err("unknown command '%s' (see lkvm help)", argv[1]);
	return LKVM_EXIT_USAGE;
}
