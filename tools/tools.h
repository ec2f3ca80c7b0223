/* SPDX-License-Identifier: MIT */
#ifndef TDXSIM_TOOLS_H
#define TDXSIM_TOOLS_H

/*
 * Exit statuses of the tdxsim command (docs/VMM.md, "Exit status"). A guest's own status
 * passes through when it is 0..TDXSIM_EXIT_GUEST_MAX; everything tdxsim says of its own sits
 * above, where no passed-through guest status can be mistaken for it, with 124..126 as
 * timeout(1) and env(1) use them and 128 + N for a signal, as a shell reports it.
 */
#define TDXSIM_EXIT_GUEST_MAX	122 /* 0..122: the guest's exit status, unchanged */
#define TDXSIM_EXIT_GUEST_RANGE 123 /* the guest's status was outside 0..122 */
#define TDXSIM_EXIT_TIMEOUT	124 /* --timeout expired */
#define TDXSIM_EXIT_TOOL	125 /* tdxsim failed: usage, options, image, bring-up, trace */
#define TDXSIM_EXIT_TD_FATAL	126 /* the TD stopped without a status (fatal error, fault) */
#define TDXSIM_EXIT_SIGNAL(sig) (128 + (sig)) /* SIGINT: 130, SIGTERM: 143 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Each gets argv[0] = its own name and returns one of the statuses above. */
int cmd_host_init(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_measure(int argc, char **argv);
int cmd_attest_collateral(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_boot(int argc, char **argv);

/*
 * tdxsim run --gdb (tools/gdb.c): exec gdb with scripts/tdxsim-gdb.py on this same command
 * line less the argument @skip; batch mode with the gdb commands in @commands when not NULL.
 * Returns only on failure, with TDXSIM_EXIT_TOOL.
 */
int run_under_gdb(int argc, char **argv, const char *skip, const char *commands);

/*
 * The machine of run and host-init (tdxsim_machine_describe): --machine ARG, the preset ARG,
 * else the configuration file ARG (docs/MACHINE.md); 0, or TDXSIM_EXIT_TOOL after a message.
 */
struct tdxsim_machine_desc;
int tool_machine_config(const char *arg, struct tdxsim_machine_desc *desc);
/* The preset names, each after a space. */
void tool_print_presets(FILE *f);
/* A message of tdxsim_boot() as the command says it ("--machine ...", "--inject: ..."). */
void tool_print_boot_error(const char *err);

/*
 * tools/build.c: the prefix of an install this executable is part of (PREFIX/BINDIR/tdxsim,
 * from /proc/self/exe) into @out; false when it is not in such a place (a build directory).
 */
bool tool_install_prefix(char *out, size_t size);

/*
 * tdxsim boot's summary of the kernel's port I/O and MMIO by path, #VEs by reason and TD exits
 * per second (tools/boot_paths.c). @direct names whose direct TDVMCALLs these are in the
 * summary's first line (Linux's "decompressor", TDVF's "firmware").
 */
struct vmm_td;
void boot_paths_print(FILE *f, const struct vmm_td *td, uint64_t run_ns, const char *direct);

/*
 * host-init --svg (tools/memmap_svg.c): the physical memory map as SVG into @f: the RAM
 * ranges of @mc, and when @enabled (tdx_enable() succeeded) the CMRs, TDMRs, reserved areas
 * and PAMTs; @note is a line under the title. 0, or the errno of a failed write.
 */
int memmap_svg_write(FILE *f, const struct tdxsim_machine_desc *mc, bool enabled, const char *note);

#endif
