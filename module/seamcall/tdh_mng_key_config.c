// SPDX-License-Identifier: MIT
/*
 * TDH.MNG.KEY.CONFIG: program the TD's key on this LP's package [M tdh_mng_key_config.c;
 * ABI §1.1]. Once per package; the TD's keys are configured when every package has it.
 * RCX = TDR.
 */
#include "td.h"

uint64_t tdh_mng_key_config_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint32_t pkg_bit = 1U << lp_package(lp);
	uint32_t all = (tdxm.num_pkgs >= 32 ? ~0U : (1U << tdxm.num_pkgs) - 1);
	struct page_ref ref;
	struct tdr *tdr;
	uint64_t status;

	(void)version;
	status = tdr_get(regs[REG_RCX_], TDX_OPERAND_ID_RCX, true, &ref, &tdr);
	if (status)
		return status;
	if (tdr->lifecycle_state != TD_HKID_ASSIGNED) {
		status = TDX_LIFECYCLE_STATE_INCORRECT;
		goto out;
	}
	if (tdr->pkg_config_bitmap & pkg_bit) {
		status = TDX_KEY_CONFIGURED;
		goto out;
	}
	/* PCONFIG would program the key here; it cannot fail without injection. */
	tdr->pkg_config_bitmap |= pkg_bit;
	if ((tdr->pkg_config_bitmap & all) == all)
		tdr->lifecycle_state = TD_KEYS_CONFIGURED;
out:
	page_put(&ref);
	return status;
}
