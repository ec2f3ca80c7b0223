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

#define LEAF_NAME(nr, str) [nr] = str

static const char *const leaf_names[] = {
	LEAF_NAME(TDH_VP_ENTER, "TDH.VP.ENTER"),
	LEAF_NAME(TDH_MNG_ADDCX, "TDH.MNG.ADDCX"),
	LEAF_NAME(TDH_MEM_PAGE_ADD, "TDH.MEM.PAGE.ADD"),
	LEAF_NAME(TDH_MEM_SEPT_ADD, "TDH.MEM.SEPT.ADD"),
	LEAF_NAME(TDH_VP_ADDCX, "TDH.VP.ADDCX"),
	LEAF_NAME(TDH_MEM_PAGE_RELOCATE, "TDH.MEM.PAGE.RELOCATE"),
	LEAF_NAME(TDH_MEM_PAGE_AUG, "TDH.MEM.PAGE.AUG"),
	LEAF_NAME(TDH_MEM_RANGE_BLOCK, "TDH.MEM.RANGE.BLOCK"),
	LEAF_NAME(TDH_MNG_KEY_CONFIG, "TDH.MNG.KEY.CONFIG"),
	LEAF_NAME(TDH_MNG_CREATE, "TDH.MNG.CREATE"),
	LEAF_NAME(TDH_VP_CREATE, "TDH.VP.CREATE"),
	LEAF_NAME(TDH_MNG_RD, "TDH.MNG.RD"),
	LEAF_NAME(TDH_MEM_RD, "TDH.MEM.RD"),
	LEAF_NAME(TDH_MNG_WR, "TDH.MNG.WR"),
	LEAF_NAME(TDH_MEM_WR, "TDH.MEM.WR"),
	LEAF_NAME(TDH_MEM_PAGE_DEMOTE, "TDH.MEM.PAGE.DEMOTE"),
	LEAF_NAME(TDH_MR_EXTEND, "TDH.MR.EXTEND"),
	LEAF_NAME(TDH_MR_FINALIZE, "TDH.MR.FINALIZE"),
	LEAF_NAME(TDH_VP_FLUSH, "TDH.VP.FLUSH"),
	LEAF_NAME(TDH_MNG_VPFLUSHDONE, "TDH.MNG.VPFLUSHDONE"),
	LEAF_NAME(TDH_MNG_KEY_FREEID, "TDH.MNG.KEY.FREEID"),
	LEAF_NAME(TDH_MNG_INIT, "TDH.MNG.INIT"),
	LEAF_NAME(TDH_VP_INIT, "TDH.VP.INIT"),
	LEAF_NAME(TDH_MEM_PAGE_PROMOTE, "TDH.MEM.PAGE.PROMOTE"),
	LEAF_NAME(TDH_PHYMEM_PAGE_RDMD, "TDH.PHYMEM.PAGE.RDMD"),
	LEAF_NAME(TDH_MEM_SEPT_RD, "TDH.MEM.SEPT.RD"),
	LEAF_NAME(TDH_VP_RD, "TDH.VP.RD"),
	LEAF_NAME(TDH_MNG_KEY_RECLAIMID, "TDH.MNG.KEY.RECLAIMID"),
	LEAF_NAME(TDH_PHYMEM_PAGE_RECLAIM, "TDH.PHYMEM.PAGE.RECLAIM"),
	LEAF_NAME(TDH_MEM_PAGE_REMOVE, "TDH.MEM.PAGE.REMOVE"),
	LEAF_NAME(TDH_MEM_SEPT_REMOVE, "TDH.MEM.SEPT.REMOVE"),
	LEAF_NAME(TDH_SYS_KEY_CONFIG, "TDH.SYS.KEY.CONFIG"),
	LEAF_NAME(TDH_SYS_INFO, "TDH.SYS.INFO"),
	LEAF_NAME(TDH_SYS_INIT, "TDH.SYS.INIT"),
	LEAF_NAME(TDH_SYS_RD, "TDH.SYS.RD"),
	LEAF_NAME(TDH_SYS_LP_INIT, "TDH.SYS.LP.INIT"),
	LEAF_NAME(TDH_SYS_TDMR_INIT, "TDH.SYS.TDMR.INIT"),
	LEAF_NAME(TDH_SYS_RDALL, "TDH.SYS.RDALL"),
	LEAF_NAME(TDH_MEM_TRACK, "TDH.MEM.TRACK"),
	LEAF_NAME(TDH_MEM_RANGE_UNBLOCK, "TDH.MEM.RANGE.UNBLOCK"),
	LEAF_NAME(TDH_PHYMEM_CACHE_WB, "TDH.PHYMEM.CACHE.WB"),
	LEAF_NAME(TDH_PHYMEM_PAGE_WBINVD, "TDH.PHYMEM.PAGE.WBINVD"),
	LEAF_NAME(TDH_MEM_SEPT_WR, "TDH.MEM.SEPT.WR"),
	LEAF_NAME(TDH_VP_WR, "TDH.VP.WR"),
	LEAF_NAME(TDH_SYS_LP_SHUTDOWN, "TDH.SYS.LP.SHUTDOWN"),
	LEAF_NAME(TDH_SYS_CONFIG, "TDH.SYS.CONFIG"),
	LEAF_NAME(TDH_SERVTD_BIND, "TDH.SERVTD.BIND"),
	LEAF_NAME(TDH_SERVTD_PREBIND, "TDH.SERVTD.PREBIND"),
	LEAF_NAME(TDH_SYS_SHUTDOWN, "TDH.SYS.SHUTDOWN"),
	LEAF_NAME(TDH_SYS_UPDATE, "TDH.SYS.UPDATE"),
};

const char *tdh_leaf_name(uint64_t fn)
{
	uint64_t leaf = fn & 0xFFFF;

	if (leaf >= sizeof(leaf_names) / sizeof(leaf_names[0]))
		return NULL;
	return leaf_names[leaf];
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
