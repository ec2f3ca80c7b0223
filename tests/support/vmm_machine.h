/* SPDX-License-Identifier: MIT */
/*
 * A machine ready for the VMM library, by the sequence `tdxsim run` brings it up with
 * (tdxsim_boot, include/tdxsim/tdxsim.h): the "laptop" preset booted, the module loaded, the host's TDX brought up
 * (tdx_init + tdx_enable); and a capture of a TD's serial output. Shared by the VMM, guest
 * and benchmark programs.
 */
#ifndef TDXSIM_TESTS_VMM_MACHINE_H
#define TDXSIM_TESTS_VMM_MACHINE_H

#include <stddef.h>

/* 0, or -1 when any step failed. Host log lines are dropped. */
int vmm_machine_up(void);
/* The same on another machine (a preset changed, e.g. cpuid_mode = CPUID_TRAP_REWRITE). */
struct machine_config;
int vmm_machine_up_cfg(const struct machine_config *mc);
void vmm_machine_down(void);
/* The same as cmocka group fixtures. */
int vmm_machine_setup(void **state);
int vmm_machine_teardown(void **state);

/* Serial output of a TD, NUL-terminated (what does not fit is dropped). */
struct serial_capture {
	char buf[4096];
	size_t len;
};
/* A struct vmm_td_config.serial sink; opaque is a struct serial_capture. */
void serial_capture_sink(void *opaque, const char *buf, size_t len);

/*
 * Run a shell command (the tdxsim command in tests): its stdout, NUL-terminated, in @out (what
 * does not fit is dropped); returns its exit status, or -1 if it could not run or was killed.
 */
int vmm_command(const char *cmd, char *out, size_t cap);

#endif
