// SPDX-License-Identifier: MIT
/*
 * TDH.SYS.LP.INIT (leaf 35): per-LP initialisation [ABI §1.1, §7; TDX module 1.5.01
 * tdh_sys_lp_init.c]. No inputs; RCX, RDX and R8 are zeroed.
 *
 * When it is accepted depends on the module revision:
 *  - 1.5.01: only in SYSINIT_DONE, i.e. before SYS.CONFIG; every LP of the platform must
 *    do it before SYS.CONFIG can run.
 *  - newer modules: also in SYSCONFIG_DONE and SYS_READY, so that a CPU coming online
 *    later can be initialised from the hotplug path: requiring every present CPU up front
 *    did not work with CPU hotplug or SMT being switched off [ABI §11.3].
 */
#include "module.h"

void tdh_sys_lp_init_defaults(uint64_t *regs)
{
	regs[REG_RCX_] = 0;
	regs[REG_RDX_] = 0;
	regs[REG_R8_] = 0;
}

static bool lp_init_pending(int state)
{
	if (tdxm.params.version == TDX_MODULE_1_5_01)
		return state == SYSINIT_DONE;
	return state == SYSINIT_DONE || state == SYSCONFIG_DONE || state == SYS_READY;
}

uint64_t tdh_sys_lp_init_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t status;

	(void)version;
	tdh_sys_lp_init_defaults(regs);

	/* Shared: LPs initialise in parallel, but not while a global step runs. */
	if (!sharex_try_shared(&tdxm.global_lock))
		return TDX_SYS_BUSY;

	if (!lp_init_pending(sys_state_get())) {
		status = TDX_SYS_LP_INIT_NOT_PENDING;
		goto out;
	}
	if (lp_is_init(lp)) {
		status = TDX_SYS_LP_INIT_DONE;
		goto out;
	}

	__atomic_store_n(&tdxm.lp[lp].init, true, __ATOMIC_RELEASE);
	__atomic_add_fetch(&tdxm.num_init_lps, 1, __ATOMIC_ACQ_REL);
	status = TDX_SUCCESS;
out:
	sharex_release_shared(&tdxm.global_lock);
	return status;
}
