/* SPDX-License-Identifier: MIT */
/*
 * Where a round trip through an LP's mailbox spends its time (docs/PERFORMANCE.md, "Where a
 * system round trip goes"): with TDXSIM_SYSTEM_LEGS=1 in the environment every request's
 * host-side TSC stamps and the shim's (struct shim_mailbox's tsc_*) are kept, the two clocks
 * tied together by PINGs at start-up, and the legs are printed on stderr when QEMU stops.
 */
#ifndef TDXSIM_PLATFORM_SYSTEM_LEGS_H
#define TDXSIM_PLATFORM_SYSTEM_LEGS_H

#include <stdint.h>
#include <stdio.h>

#include "shim/shim_abi.h"

struct system_vm;
struct system_legs;

/* How a request's answer came: the host woke a halted LP, the host blocked for the doorbell. */
#define SYSTEM_LEG_WOKE	   1U
#define SYSTEM_LEG_BLOCKED 2U

/* The host's TSC ticks per nanosecond, measured once per process. */
double system_tsc_per_ns(void);
/* When TDXSIM_SYSTEM_LEGS is set: the records, the clocks tied by PINGs on LP 0; else NULL. */
struct system_legs *system_legs_start(struct system_vm *vm);
/* One answered request: the host's TSC when it posted it and when it saw the answer. */
void system_legs_record(struct system_legs *l, unsigned int lp, uint64_t posted, uint64_t answered,
			const struct shim_mailbox *mb, unsigned int how);
/* The legs' medians and spreads on f, and everything freed. NULL is fine. */
void system_legs_finish(struct system_legs *l, FILE *f);

#endif
