// SPDX-License-Identifier: MIT
/*
 * The SEAMCALL dispatcher: decode the leaf word, gate the leaf by system state, run it.
 * It reads like the table below: one row per leaf, with the rules the dispatcher applies
 * before the leaf's own checks [TDX module 1.5.01 tdx_vmm_dispatcher.c; ABI §0, §7].
 */
#include <string.h>

#include "td.h"

struct leaf_desc {
	const char *name;	      /* as Intel spells it */
	leaf_fn fn;		      /* NULL: not implemented (an unknown leaf) */
	void (*defaults)(uint64_t *); /* default outputs, for injected failures */
	uint8_t max_version;	      /* highest version in RAX[23:16] accepted */
	bool before_ready;	      /* allowed before SYS_READY [ABI §7] */
	bool sys_leaf;		      /* bring-up leaf: applies its own LP.INIT rules */
};

#define LEAF(nr, str)	       [nr] = {.name = str}
#define TD_LEAF(nr, str, f, v) [nr] = {.name = str, .fn = f, .max_version = v}
#define SYS_LEAF(nr, str, f, d, early)                                                             \
	[nr] = {.name = str, .fn = f, .defaults = d, .before_ready = early, .sys_leaf = true}

/* clang-format off */
static const struct leaf_desc leaves[256] = {
	TD_LEAF(TDH_VP_ENTER, "TDH.VP.ENTER", tdh_vp_enter, 0),
	TD_LEAF(TDH_MNG_ADDCX, "TDH.MNG.ADDCX", tdh_mng_addcx, 0),
	TD_LEAF(TDH_MEM_PAGE_ADD, "TDH.MEM.PAGE.ADD", tdh_mem_page_add, 0),
	TD_LEAF(TDH_MEM_SEPT_ADD, "TDH.MEM.SEPT.ADD", tdh_mem_sept_add, 0),
	TD_LEAF(TDH_VP_ADDCX, "TDH.VP.ADDCX", tdh_vp_addcx, 0),
	LEAF(TDH_MEM_PAGE_RELOCATE, "TDH.MEM.PAGE.RELOCATE"),
	TD_LEAF(TDH_MEM_PAGE_AUG, "TDH.MEM.PAGE.AUG", tdh_mem_page_aug, 0),
	TD_LEAF(TDH_MEM_RANGE_BLOCK, "TDH.MEM.RANGE.BLOCK", tdh_mem_range_block, 0),
	TD_LEAF(TDH_MNG_KEY_CONFIG, "TDH.MNG.KEY.CONFIG", tdh_mng_key_config, 0),
	TD_LEAF(TDH_MNG_CREATE, "TDH.MNG.CREATE", tdh_mng_create, 0),
	TD_LEAF(TDH_VP_CREATE, "TDH.VP.CREATE", tdh_vp_create, 0),
	TD_LEAF(TDH_MNG_RD, "TDH.MNG.RD", tdh_mng_rd, 1),
	TD_LEAF(TDH_MEM_RD, "TDH.MEM.RD", tdh_mem_rd, 0),
	TD_LEAF(TDH_MNG_WR, "TDH.MNG.WR", tdh_mng_wr, 0),
	TD_LEAF(TDH_MEM_WR, "TDH.MEM.WR", tdh_mem_wr, 0),
	TD_LEAF(TDH_MEM_PAGE_DEMOTE, "TDH.MEM.PAGE.DEMOTE", tdh_mem_page_demote, 0),
	TD_LEAF(TDH_MR_EXTEND, "TDH.MR.EXTEND", tdh_mr_extend, 0),
	TD_LEAF(TDH_MR_FINALIZE, "TDH.MR.FINALIZE", tdh_mr_finalize, 0),
	TD_LEAF(TDH_VP_FLUSH, "TDH.VP.FLUSH", tdh_vp_flush, 0),
	TD_LEAF(TDH_MNG_VPFLUSHDONE, "TDH.MNG.VPFLUSHDONE", tdh_mng_vpflushdone, 0),
	TD_LEAF(TDH_MNG_KEY_FREEID, "TDH.MNG.KEY.FREEID", tdh_mng_key_freeid, 0),
	TD_LEAF(TDH_MNG_INIT, "TDH.MNG.INIT", tdh_mng_init, 0),
	TD_LEAF(TDH_VP_INIT, "TDH.VP.INIT", tdh_vp_init, 1),
	TD_LEAF(TDH_MEM_PAGE_PROMOTE, "TDH.MEM.PAGE.PROMOTE", tdh_mem_page_promote, 1),
	TD_LEAF(TDH_PHYMEM_PAGE_RDMD, "TDH.PHYMEM.PAGE.RDMD", tdh_phymem_page_rdmd, 0),
	TD_LEAF(TDH_MEM_SEPT_RD, "TDH.MEM.SEPT.RD", tdh_mem_sept_rd, 0),
	TD_LEAF(TDH_VP_RD, "TDH.VP.RD", tdh_vp_rd, 1),
	TD_LEAF(TDH_MNG_KEY_RECLAIMID, "TDH.MNG.KEY.RECLAIMID", tdh_mng_key_reclaimid, 0),
	TD_LEAF(TDH_PHYMEM_PAGE_RECLAIM, "TDH.PHYMEM.PAGE.RECLAIM", tdh_phymem_page_reclaim, 0),
	TD_LEAF(TDH_MEM_PAGE_REMOVE, "TDH.MEM.PAGE.REMOVE", tdh_mem_page_remove, 0),
	TD_LEAF(TDH_MEM_SEPT_REMOVE, "TDH.MEM.SEPT.REMOVE", tdh_mem_sept_remove, 1),
	SYS_LEAF(TDH_SYS_KEY_CONFIG, "TDH.SYS.KEY.CONFIG", tdh_sys_key_config, NULL, true),
	SYS_LEAF(TDH_SYS_INFO, "TDH.SYS.INFO", tdh_sys_info, tdh_sys_info_defaults, true),
	SYS_LEAF(TDH_SYS_INIT, "TDH.SYS.INIT", tdh_sys_init, tdh_sys_init_defaults, true),
	SYS_LEAF(TDH_SYS_RD, "TDH.SYS.RD", tdh_sys_rd, tdh_sys_rd_defaults, true),
	SYS_LEAF(TDH_SYS_LP_INIT, "TDH.SYS.LP.INIT", tdh_sys_lp_init, tdh_sys_lp_init_defaults,
		 true),
	SYS_LEAF(TDH_SYS_TDMR_INIT, "TDH.SYS.TDMR.INIT", tdh_sys_tdmr_init,
		 tdh_sys_tdmr_init_defaults, false),
	SYS_LEAF(TDH_SYS_RDALL, "TDH.SYS.RDALL", tdh_sys_rdall, tdh_sys_rdall_defaults, true),
	TD_LEAF(TDH_MEM_TRACK, "TDH.MEM.TRACK", tdh_mem_track, 0),
	TD_LEAF(TDH_MEM_RANGE_UNBLOCK, "TDH.MEM.RANGE.UNBLOCK", tdh_mem_range_unblock, 0),
	TD_LEAF(TDH_PHYMEM_CACHE_WB, "TDH.PHYMEM.CACHE.WB", tdh_phymem_cache_wb, 0),
	TD_LEAF(TDH_PHYMEM_PAGE_WBINVD, "TDH.PHYMEM.PAGE.WBINVD", tdh_phymem_page_wbinvd, 0),
	LEAF(TDH_MEM_SEPT_WR, "TDH.MEM.SEPT.WR"),
	TD_LEAF(TDH_VP_WR, "TDH.VP.WR", tdh_vp_wr, 0),
	SYS_LEAF(TDH_SYS_LP_SHUTDOWN, "TDH.SYS.LP.SHUTDOWN", tdh_sys_lp_shutdown, NULL, true),
	SYS_LEAF(TDH_SYS_CONFIG, "TDH.SYS.CONFIG", tdh_sys_config, NULL, true),
	LEAF(TDH_SERVTD_BIND, "TDH.SERVTD.BIND"),
	LEAF(TDH_SERVTD_PREBIND, "TDH.SERVTD.PREBIND"),
	SYS_LEAF(TDH_SYS_SHUTDOWN, "TDH.SYS.SHUTDOWN", tdh_sys_shutdown, NULL, false),
	/* Allowed before SYS_READY by the 1.5.01 dispatcher; not emulated (no updates). */
	[TDH_SYS_UPDATE] = { .name = "TDH.SYS.UPDATE", .before_ready = true },
	LEAF(TDH_EXPORT_ABORT, "TDH.EXPORT.ABORT"),
	LEAF(TDH_EXPORT_BLOCKW, "TDH.EXPORT.BLOCKW"),
	LEAF(TDH_EXPORT_RESTORE, "TDH.EXPORT.RESTORE"),
	LEAF(TDH_EXPORT_MEM, "TDH.EXPORT.MEM"),
	LEAF(TDH_EXPORT_PAUSE, "TDH.EXPORT.PAUSE"),
	LEAF(TDH_EXPORT_TRACK, "TDH.EXPORT.TRACK"),
	LEAF(TDH_EXPORT_STATE_IMMUTABLE, "TDH.EXPORT.STATE.IMMUTABLE"),
	LEAF(TDH_EXPORT_STATE_TD, "TDH.EXPORT.STATE.TD"),
	LEAF(TDH_EXPORT_STATE_VP, "TDH.EXPORT.STATE.VP"),
	LEAF(TDH_EXPORT_UNBLOCKW, "TDH.EXPORT.UNBLOCKW"),
	LEAF(TDH_IMPORT_ABORT, "TDH.IMPORT.ABORT"),
	LEAF(TDH_IMPORT_END, "TDH.IMPORT.END"),
	LEAF(TDH_IMPORT_COMMIT, "TDH.IMPORT.COMMIT"),
	LEAF(TDH_IMPORT_MEM, "TDH.IMPORT.MEM"),
	LEAF(TDH_IMPORT_TRACK, "TDH.IMPORT.TRACK"),
	LEAF(TDH_IMPORT_STATE_IMMUTABLE, "TDH.IMPORT.STATE.IMMUTABLE"),
	LEAF(TDH_IMPORT_STATE_TD, "TDH.IMPORT.STATE.TD"),
	LEAF(TDH_IMPORT_STATE_VP, "TDH.IMPORT.STATE.VP"),
	LEAF(TDH_MIG_STREAM_CREATE, "TDH.MIG.STREAM.CREATE"),
};
/* clang-format on */

const char *tdx_seamcall_leaf_name(unsigned int leaf)
{
	return leaf < 256 ? leaves[leaf].name : NULL;
}

int tdx_seamcall_leaf_by_name(const char *name)
{
	for (unsigned int i = 0; i < 256; i++)
		if (leaves[i].name && !strcmp(leaves[i].name, name))
			return (int)i;
	return -1;
}

static uint64_t dispatch(uint64_t *regs, unsigned int lp)
{
	uint64_t rax = regs[REG_RAX_];
	unsigned int leaf = tdx_leaf_of(rax);
	unsigned int version = tdx_leaf_version(rax);
	const struct leaf_desc *d = leaf < 256 ? &leaves[leaf] : NULL;
	int state;
	uint64_t injected;

	/* Reserved bits 63:24, then versions: few leaves have any [M dispatcher; ABI §0]. */
	if (tdx_leaf_reserved_set(rax))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RAX;
	if (version > 0 && (!d || !d->fn || version > d->max_version))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RAX;

	/*
	 * System-state gating comes before the leaf lookup, so an unknown leaf before
	 * SYS_READY gets SYS_NOT_READY, as in the 1.5.01 dispatcher.
	 */
	state = sys_state_get();
	if (state == SYS_SHUTDOWN && leaf != TDH_SYS_LP_SHUTDOWN)
		return TDX_SYS_SHUTDOWN;
	if (state != SYS_READY && !(d && d->before_ready))
		return TDX_SYS_NOT_READY;
	if (!d || !d->fn)
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RAX;

	/*
	 * Newer rule (inference): with LP.INIT allowed after the module is ready, an LP that
	 * has not done it may still issue SEAMCALLs. The module keeps per-LP state only from
	 * LP.INIT, so every leaf other than the SYS bring-up leaves (which check for
	 * themselves) refuses to run there. Under 1.5.01 every LP is initialised before
	 * SYS.CONFIG, so this cannot happen.
	 */
	if (!d->sys_leaf && !lp_is_init(lp))
		return TDX_SYS_LP_INIT_NOT_DONE;

	injected = inject_check(leaf);
	if (injected) {
		if (d->defaults)
			d->defaults(regs);
		return injected;
	}
	return d->fn(regs, version, lp);
}

/*
 * The hook the platform calls for a SEAMCALL (trap or gate), on the LP that executed it.
 * Success and failure alike are VMsucceed: the arithmetic flags are cleared and the status
 * is in RAX.
 */
void tdx_seamcall_entry(struct cpu_regs *ctx, unsigned int insn_len)
{
	int cur = lp_current();
	uint64_t status;

	/*
	 * The host's context is complete before the leaf runs: TDH.VP.ENTER saves it as the
	 * context a TD exit returns to, and then ctx holds the guest's registers.
	 */
	ctx->rflags &= ~(uint64_t)X86_EFLAGS_ARITH;
	ctx->rip += insn_len;
	if (cur < 0 || cur >= PLATFORM_MAX_LPS) {
		/* Not an LP of the machine: cannot happen through the platform. */
		ctx->gpr[REG_RAX_] = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RAX;
		return;
	}
	__atomic_store_n(&tdxm.lp[cur].busy, true, __ATOMIC_SEQ_CST);
	status = dispatch(ctx->gpr, (unsigned int)cur);
	__atomic_store_n(&tdxm.lp[cur].busy, false, __ATOMIC_RELEASE);
	if (tdxm.lp[cur].entered)
		tdxm.lp[cur].entered = false; /* ctx is the TD's now; RAX comes at TD exit */
	else
		ctx->gpr[REG_RAX_] = status;
}
