/* SPDX-License-Identifier: GPL-2.0 */
/* The subcommands of lkvm, one file each. */
#ifndef LKVM_LKVM_H
#define LKVM_LKVM_H

#define LKVM_VERSION "0.1"

int cmd_run(int argc, char **argv);
/* Installed kselftests in a guest (cmd-kselftest.c). */
int cmd_kselftest(int argc, char **argv);
/* Control socket clients (cmd-control.c). */
int cmd_list(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_debug(int argc, char **argv);

#endif
