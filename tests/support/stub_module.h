/* SPDX-License-Identifier: MIT */
/*
 * A stub "module" for testing and measuring the machine alone: its SEAMCALL hook enters the
 * stub guest on leaf 0 and echoes registers on leaf 1; its guest hook records what the
 * guest stopped for and, by policy, exits to the host with the trap kind in RAX, delivers a
 * #VE, or completes a TDCALL in place.
 */
#ifndef TDXSIM_TESTS_STUB_MODULE_H
#define TDXSIM_TESTS_STUB_MODULE_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/platform.h"

/* Where the stub TD's pages live. */
#define STUB_HPA_CODE  0x10000000ULL
#define STUB_HPA_STACK 0x10001000ULL
#define STUB_GPA_CODE  0x1000ULL
#define STUB_GPA_STACK 0x2000ULL
#define STUB_GPA_MMIO  0x5000ULL /* shared and never mapped */

enum stub_policy {
	STUB_EXIT_ON_EVERYTHING, /* complete the instruction, exit with the exit reason */
	STUB_VE_ON_HLT,		 /* HLT: deliver #VE (vector 20) and keep running */
	STUB_TDCALL_IN_PLACE,	 /* TDCALL with RAX=0 completes without an exit */
};

extern struct guest_cpu stub_guest_cpu;
extern struct vm_exit stub_last; /* the last exit */
extern uint64_t stub_last_rip;	 /* the guest's RIP at it */
extern enum stub_policy stub_policy;
extern int stub_nr_events;
extern struct td_window *stub_win;
/*
 * Optional: called first for every guest event. Returning true means the hook completed
 * the event itself (ctx edited, e.g. a TDCALL answered in place or a #VE delivered); false
 * goes on with stub_policy. Reset to NULL by stub_boot().
 */
extern bool (*stub_guest_hook)(struct cpu_regs *ctx, const struct vm_exit *exit);

/* Boot the "tiny" machine with the stub hooks and a window holding a code and a stack page. */
int stub_boot(unsigned int timer_hz, bool seamrr);
/* The same with a whole configuration (the "tiny" preset, edited). */
int stub_boot_cfg(const struct machine_config *cfg);
void stub_shutdown(void);
/* cmocka fixtures: stub_boot(0, true) and stub_shutdown(). */
int stub_setup(void **state);
int stub_teardown(void **state);
/* Copy guest code to the code page; returns its address. */
uint8_t *stub_load_blob(const char *start, const char *end);
/* Reset the guest's registers to start at rip with the stack page. */
void stub_guest_start(const uint8_t *rip);
/* One VP.ENTER through the opcode or the gate; returns RAX (the exit reason). */
uint64_t stub_enter(bool gate);

#endif
