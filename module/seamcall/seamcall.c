// SPDX-License-Identifier: MIT
/*
 * The SEAMCALL dispatcher: decode the leaf word, gate the leaf by system state, run it.
 * It reads like the table below: one row per leaf, with the rules the dispatcher applies
 * before the leaf's own checks [TDX module 1.5.01 tdx_vmm_dispatcher.c; ABI §0, §7].
 */
#include <string.h>

#include "td.h"

struct leaf_desc {
	leaf_fn fn;		      /* NULL: not implemented (an unknown leaf) */
	void (*defaults)(uint64_t *); /* default outputs, for injected failures */
	uint8_t max_version;	      /* highest version in RAX[23:16] accepted */
	bool before_ready;	      /* allowed before SYS_READY [ABI §7] */
	bool sys_leaf;		      /* bring-up leaf: applies its own LP.INIT rules */
	bool reads;		      /* changes nothing VP.ENTER checks: tdxm.vmcs_gen stays */
};

#define TD_LEAF(nr, f, v)      [nr] = {.fn = f, .max_version = v}
#define TD_READ_LEAF(nr, f, v) [nr] = {.fn = f, .max_version = v, .reads = true}
#define SYS_LEAF(nr, f, d, early)                                                                  \
	[nr] = {.fn = f, .defaults = d, .before_ready = early, .sys_leaf = true}
#define SYS_READ_LEAF(nr, f, d, early)                                                             \
	[nr] = {.fn = f, .defaults = d, .before_ready = early, .sys_leaf = true, .reads = true}

/* clang-format off */
static const struct leaf_desc leaves[256] = {
	TD_READ_LEAF(TDH_VP_ENTER, tdh_vp_enter_leaf, 0),
	TD_LEAF(TDH_MNG_ADDCX, tdh_mng_addcx_leaf, 0),
	TD_LEAF(TDH_MEM_PAGE_ADD, tdh_mem_page_add_leaf, 0),
	TD_LEAF(TDH_MEM_SEPT_ADD, tdh_mem_sept_add_leaf, 0),
	TD_LEAF(TDH_VP_ADDCX, tdh_vp_addcx_leaf, 0),
	TD_LEAF(TDH_MEM_PAGE_AUG, tdh_mem_page_aug_leaf, 0),
	TD_LEAF(TDH_MEM_RANGE_BLOCK, tdh_mem_range_block_leaf, 0),
	TD_LEAF(TDH_MNG_KEY_CONFIG, tdh_mng_key_config_leaf, 0),
	TD_LEAF(TDH_MNG_CREATE, tdh_mng_create_leaf, 0),
	TD_LEAF(TDH_VP_CREATE, tdh_vp_create_leaf, 0),
	TD_READ_LEAF(TDH_MNG_RD, tdh_mng_rd_leaf, 1),
	TD_READ_LEAF(TDH_MEM_RD, tdh_mem_rd_leaf, 0),
	TD_LEAF(TDH_MNG_WR, tdh_mng_wr_leaf, 0),
	TD_LEAF(TDH_MEM_WR, tdh_mem_wr_leaf, 0),
	TD_LEAF(TDH_MEM_PAGE_DEMOTE, tdh_mem_page_demote_leaf, 0),
	TD_LEAF(TDH_MR_EXTEND, tdh_mr_extend_leaf, 0),
	TD_LEAF(TDH_MR_FINALIZE, tdh_mr_finalize_leaf, 0),
	TD_LEAF(TDH_VP_FLUSH, tdh_vp_flush_leaf, 0),
	TD_LEAF(TDH_MNG_VPFLUSHDONE, tdh_mng_vpflushdone_leaf, 0),
	TD_LEAF(TDH_MNG_KEY_FREEID, tdh_mng_key_freeid_leaf, 0),
	TD_LEAF(TDH_MNG_INIT, tdh_mng_init_leaf, 0),
	TD_LEAF(TDH_VP_INIT, tdh_vp_init_leaf, 1),
	TD_LEAF(TDH_MEM_PAGE_PROMOTE, tdh_mem_page_promote_leaf, 1),
	TD_READ_LEAF(TDH_PHYMEM_PAGE_RDMD, tdh_phymem_page_rdmd_leaf, 0),
	TD_READ_LEAF(TDH_MEM_SEPT_RD, tdh_mem_sept_rd_leaf, 0),
	TD_READ_LEAF(TDH_VP_RD, tdh_vp_rd_leaf, 1),
	TD_LEAF(TDH_MNG_KEY_RECLAIMID, tdh_mng_key_reclaimid_leaf, 0),
	TD_LEAF(TDH_PHYMEM_PAGE_RECLAIM, tdh_phymem_page_reclaim_leaf, 0),
	TD_LEAF(TDH_MEM_PAGE_REMOVE, tdh_mem_page_remove_leaf, 0),
	TD_LEAF(TDH_MEM_SEPT_REMOVE, tdh_mem_sept_remove_leaf, 1),
	SYS_LEAF(TDH_SYS_KEY_CONFIG, tdh_sys_key_config_leaf, NULL, true),
	SYS_READ_LEAF(TDH_SYS_INFO, tdh_sys_info_leaf, tdh_sys_info_defaults, true),
	SYS_LEAF(TDH_SYS_INIT, tdh_sys_init_leaf, tdh_sys_init_defaults, true),
	SYS_READ_LEAF(TDH_SYS_RD, tdh_sys_rd_leaf, tdh_sys_rd_defaults, true),
	SYS_LEAF(TDH_SYS_LP_INIT, tdh_sys_lp_init_leaf, tdh_sys_lp_init_defaults,
		 true),
	SYS_LEAF(TDH_SYS_TDMR_INIT, tdh_sys_tdmr_init_leaf,
		 tdh_sys_tdmr_init_defaults, false),
	SYS_READ_LEAF(TDH_SYS_RDALL, tdh_sys_rdall_leaf, tdh_sys_rdall_defaults, true),
	TD_LEAF(TDH_MEM_TRACK, tdh_mem_track_leaf, 0),
	TD_LEAF(TDH_MEM_RANGE_UNBLOCK, tdh_mem_range_unblock_leaf, 0),
	TD_LEAF(TDH_PHYMEM_CACHE_WB, tdh_phymem_cache_wb_leaf, 0),
	TD_LEAF(TDH_PHYMEM_PAGE_WBINVD, tdh_phymem_page_wbinvd_leaf, 0),
	TD_LEAF(TDH_VP_WR, tdh_vp_wr_leaf, 0),
	SYS_LEAF(TDH_SYS_LP_SHUTDOWN, tdh_sys_lp_shutdown_leaf, NULL, true),
	SYS_LEAF(TDH_SYS_CONFIG, tdh_sys_config_leaf, NULL, true),
	SYS_LEAF(TDH_SYS_SHUTDOWN, tdh_sys_shutdown_leaf, NULL, false),
	/* Allowed before SYS_READY by the 1.5.01 dispatcher; not emulated (no updates). */
	[TDH_SYS_UPDATE] = { .before_ready = true },
};
/* clang-format on */

int tdx_seamcall_leaf_by_name(const char *name)
{
	for (unsigned int i = 0; i < 256; i++)
		if (tdx_seamcall_leaf_name(i) && !strcmp(tdx_seamcall_leaf_name(i), name))
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
	uint64_t injected, status;

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
	if (d->reads)
		return d->fn(regs, version, lp);
	/* Around the leaf: VP.ENTER's current VMCS (tdh_vp_enter.c) is valid while neither moves. */
	__atomic_add_fetch(&tdxm.vmcs_gen, 1, __ATOMIC_SEQ_CST);
	status = d->fn(regs, version, lp);
	__atomic_add_fetch(&tdxm.vmcs_done, 1, __ATOMIC_SEQ_CST);
	return status;
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
	if (status != SEAMCALL_ENTERED) /* else ctx is the TD's now; RAX comes at TD exit */
		ctx->gpr[REG_RAX_] = status;
}
