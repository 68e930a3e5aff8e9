/* SPDX-License-Identifier: GPL-2.0 */
/* The subcommands of lkvm, one file each. */
#ifndef LKVM_LKVM_H
#define LKVM_LKVM_H

#define LKVM_VERSION "0.1"

int cmd_run(int argc, char **argv);

#endif
