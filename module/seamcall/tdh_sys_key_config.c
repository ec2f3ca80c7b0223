// SPDX-License-Identifier: MIT
/*
 * TDH.SYS.KEY.CONFIG (leaf 31): program the global private KeyID on this LP's package,
 * once per package [ABI §1.1, §7; TDX module 1.5.01 tdh_sys_key_config.c]. A repeat on
 * a configured package returns the warning KEY_CONFIGURED; the last package moves the
 * module to SYS_READY. Runs under the global lock held exclusively (SYS_BUSY otherwise).
 *
 * The key programming itself (PCONFIG) cannot fail in tdxsim except by fault injection
 * (KEY_GENERATION_FAILED, OPERAND_BUSY | KET), which leaves the package unconfigured so
 * that the host can retry, as the module does.
 *
 * Under the LATEST setting an LP may not have done LP.INIT yet; the module learns its
 * package at LP.INIT, so the call is refused with SYS_LP_INIT_NOT_DONE (inference).
 */
#include "module.h"

uint64_t tdh_sys_key_config_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	unsigned int pkg = lp_package(lp);
	uint64_t status;

	(void)regs;
	(void)version;
	if (!sharex_try_exclusive(&tdxm.global_lock))
		return TDX_SYS_BUSY;

	if (sys_state_get() != SYSCONFIG_DONE) {
		status = TDX_SYS_KEY_CONFIG_NOT_PENDING;
		goto out;
	}
	if (!lp_is_init(lp)) {
		status = TDX_SYS_LP_INIT_NOT_DONE;
		goto out;
	}
	if (tdxm.pkg_config_bitmap & (1U << pkg)) {
		status = TDX_KEY_CONFIGURED;
		goto out;
	}
	tdxm.pkg_config_bitmap |= 1U << pkg;
	if (++tdxm.num_init_pkgs == tdxm.num_pkgs)
		sys_state_set(SYS_READY);
	status = TDX_SUCCESS;
out:
	sharex_release_exclusive(&tdxm.global_lock);
	return status;
}
