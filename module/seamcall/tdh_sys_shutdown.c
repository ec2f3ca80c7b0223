// SPDX-License-Identifier: MIT
/*
 * TDH.SYS.SHUTDOWN (leaf 52): stop the module, e.g. before a module update. RCX = the
 * handoff version the next module will read [TDX module 1.5.01 tdh_sys_shutdown.c; Linux
 * passes MODULE_HV]. Allowed in SYS_READY only (dispatcher); afterwards every leaf but
 * LP.SHUTDOWN returns SYS_SHUTDOWN [ABI §7].
 *
 * tdxsim's module has handoff version 0 (MODULE_HV = MIN_UPDATE_HV = 0, as a 1.5.01 build
 * with default options) and writes no handoff data.
 */
#include "module.h"

static const uint64_t module_hv = 0, min_update_hv = 0;

uint64_t tdh_sys_shutdown_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t hv = regs[REG_RCX_];

	(void)version;
	if (hv < min_update_hv || hv > module_hv)
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;

	if (!sharex_try_exclusive(&tdxm.global_lock))
		return TDX_SYS_BUSY;

	/*
	 * Enter SHUTDOWN first, so that no new SEAMCALL gets past the dispatcher, then look
	 * for LPs still inside one: if any, back out [M: "another LP is in SEAM mode"].
	 */
	sys_state_set(SYS_SHUTDOWN);
	for (unsigned int i = 0; i < PLATFORM_MAX_LPS; i++) {
		if (i != lp && __atomic_load_n(&tdxm.lp[i].busy, __ATOMIC_SEQ_CST)) {
			sys_state_set(SYS_READY);
			sharex_release_exclusive(&tdxm.global_lock);
			return TDX_SYS_BUSY;
		}
	}
	sharex_release_exclusive(&tdxm.global_lock);
	return TDX_SUCCESS;
}
