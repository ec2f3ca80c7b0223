/* SPDX-License-Identifier: MIT */
#ifndef TDXSIM_TOOLS_H
#define TDXSIM_TOOLS_H

/* Each gets argv[0] = its own name. Exit status: 0 ok, 1 failure, 2 usage. */
int cmd_host_init(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_measure(int argc, char **argv);

#endif
