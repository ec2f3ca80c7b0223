// SPDX-License-Identifier: MIT
/*
 * Checks shared by the leaves: physical addresses, KeyIDs, CMRs. One place, so that every
 * leaf reports the same status for the same kind of bad operand.
 */
#include "module.h"

/* [M is_pa_smaller_than_max_pa]: MAX_PA includes the KeyID bits. */
bool pa_below_max_pa(uint64_t pa)
{
	return tdxm.max_pa >= 64 || pa < (1ULL << tdxm.max_pa);
}

/* The KeyID in the top MK_TME_KEYID_BITS below MAX_PA [ABI §10; M get_hkid_from_pa]. */
unsigned int pa_hkid(uint64_t pa)
{
	return (unsigned int)((pa & tdxm.hkid_mask) >> tdxm.hkid_start);
}

/* Private KeyIDs are [NUM_MKTME_KIDS + 1, NUM_MKTME_KIDS + NUM_TDX_KIDS] [ABI §10]. */
bool hkid_is_private(uint64_t hkid)
{
	return hkid >= tdxm.private_hkid_min && hkid <= tdxm.private_hkid_max;
}

/*
 * [M helpers.c shared_hpa_check_with_pwr_2_alignment]: aligned, below MAX_PA, and a shared
 * KeyID (below the first private one). tdxsim has no SEAMRR range to exclude.
 */
bool shared_hpa_ok(uint64_t pa, uint64_t align)
{
	if (!is_aligned(pa, align))
		return false;
	if (!pa_below_max_pa(pa))
		return false;
	return pa_hkid(pa) < tdxm.private_hkid_min;
}

/*
 * An area is convertible when one CMR, or a run of CMRs that follow each other without a
 * gap, contains it [M tdh_sys_config.c is_area_in_cmr merges adjacent CMRs].
 */
bool area_in_cmrs(uint64_t base, uint64_t end)
{
	uint64_t run_base = 0, run_end = 0;
	bool in_run = false;

	for (unsigned int i = 0; i < tdxm.nr_cmrs; i++) {
		const struct cmr *c = &tdxm.cmr[i];

		if (!c->size)
			continue;
		if (in_run && c->base == run_end) {
			run_end = c->base + c->size;
		} else {
			run_base = c->base;
			run_end = c->base + c->size;
			in_run = true;
		}
		if (base >= run_base && end <= run_end)
			return true;
	}
	return false;
}

/*
 * Host memory the module reads or writes with a shared KeyID (TD_PARAMS, PAGE.ADD's source,
 * SYS.INFO/RDALL/CONFIG buffers, a posted-interrupt descriptor). The address must be RAM for
 * the whole size: anything else is an invalid operand (a real CPU would fault or read
 * all-ones; tdxsim has no memory there at all). The access goes through the host's direct
 * map, not the SEAM view, because a shared KeyID sees memory as the host does: a TD-private
 * page reads as zeros, and a write to it poisons the page (td_poison_notify) instead of
 * changing what the module keeps there. Through the SEAM view, a host naming its TD's TDCS
 * page as TDH.SYS.RDALL's list page overwrote the TDCS, the TD window pointer included.
 */
void *seam_map(uint64_t pa, uint64_t size)
{
	uint64_t addr = pa & ~tdxm.hkid_mask;

	if (!size || !range_valid(addr, size - 1) || !phys_is_ram(addr, size))
		return NULL;
	phys_touch(addr, size); /* the whole buffer, not only its first page (touch logs) */
	return phys_host_va(addr);
}
