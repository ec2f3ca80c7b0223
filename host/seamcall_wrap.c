// SPDX-License-Identifier: MIT
/*
 * SEAMCALL wrappers [ABI §11.5]: the retry on RND_NO_ENTROPY, and one place that turns a
 * failed SEAMCALL into an errno and a message.
 *
 * Interrupts are off around one call and no longer: the CPU id in a message must be the
 * CPU the call ran on, and a call is not interruptible anyway, but a retry loop (or the
 * caller's sequence of calls) must not keep interrupts off.
 *
 * The errno mapping is a chain of plain ifs, one per class of failure, so that each class
 * reads with its own errno and message next to it.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

#include "platform/platform.h"
#include "tdx/leaves.h"
#include "tdx/status.h"

#include "seamcall.h"
#include "tdx_host.h"

const char *tdh_leaf_name(uint64_t fn)
{
	return tdx_seamcall_leaf_name(tdx_leaf_of(fn));
}

/* One call, interrupts off around it and only it. */
static uint64_t seamcall_one(uint64_t fn, struct tdx_module_args *args, int *cpu)
{
	unsigned long flags;
	uint64_t status;

	flags = lp_irq_save();
	*cpu = lp_current();
	status = __seamcall(fn, args);
	lp_irq_restore(flags);
	return status;
}

uint64_t seamcall_cpu(uint64_t fn, struct tdx_module_args *args, int *cpu)
{
	struct tdx_module_args in = *args;
	int retry = RDRAND_RETRY_LOOPS;
	uint64_t status;

	for (;;) {
		status = seamcall_one(fn, args, cpu);
		/* Exactly this status: it says the call did nothing and may be repeated. */
		if (status != TDX_RND_NO_ENTROPY || --retry <= 0)
			break;
		/* the failed call may have written outputs over the inputs */
		*args = in;
	}
	return status;
}

uint64_t seamcall(uint64_t fn, struct tdx_module_args *args)
{
	int cpu;

	return seamcall_cpu(fn, args, &cpu);
}

/* The systemic failures are reported once: every later SEAMCALL would say the same. */
static atomic_bool printed_vmfail, printed_gp, printed_ud;

void seamcall_reset_once(void)
{
	atomic_store(&printed_vmfail, false);
	atomic_store(&printed_gp, false);
	atomic_store(&printed_ud, false);
}

static bool first_time(atomic_bool *printed)
{
	return !atomic_exchange(printed, true);
}

static void print_failure(uint64_t fn, uint64_t status, const struct tdx_module_args *a, int cpu)
{
	const char *name = tdh_leaf_name(fn);

	tdx_pr("SEAMCALL %s (0x%llx) failed: CPU %d: 0x%016llx", name ? name : "?",
	       (unsigned long long)fn, cpu, (unsigned long long)status);
	tdx_pr("  rcx 0x%llx rdx 0x%llx r8 0x%llx r9 0x%llx r10 0x%llx r11 0x%llx",
	       (unsigned long long)a->rcx, (unsigned long long)a->rdx, (unsigned long long)a->r8,
	       (unsigned long long)a->r9, (unsigned long long)a->r10, (unsigned long long)a->r11);
}

int seamcall_err(uint64_t fn, uint64_t status, const struct tdx_module_args *args, int cpu)
{
	/*
	 * Only SUCCESS is success here. A caller that expects a warning (KEY_CONFIGURED,
	 * TDMR_ALREADY_INITIALIZED, ...) uses seamcall() and looks at the status itself.
	 */
	if (status == TDX_SUCCESS)
		return 0;

	if (status == TDX_SEAMCALL_VMFAILINVALID) {
		if (first_time(&printed_vmfail))
			tdx_pr("module not loaded");
		return -ENODEV;
	}

	if (status == TDX_SEAMCALL_GP) {
		if (first_time(&printed_gp))
			tdx_pr("SEAMCALL #GP on CPU %d: TDX not enabled by the BIOS", cpu);
		return -EOPNOTSUPP;
	}

	if (status == TDX_SEAMCALL_UD) {
		if (first_time(&printed_ud))
			tdx_pr("SEAMCALL #UD on CPU %d: CPU not in VMX operation", cpu);
		return -EACCES;
	}

	print_failure(fn, status, args, cpu);
	return -EIO;
}

int seamcall_prerr(uint64_t fn, struct tdx_module_args *args)
{
	uint64_t status;
	int cpu;

	status = seamcall_cpu(fn, args, &cpu);
	return seamcall_err(fn, status, args, cpu);
}
