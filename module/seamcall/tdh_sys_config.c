// SPDX-License-Identifier: MIT
/*
 * TDH.SYS.CONFIG (leaf 45): take the host's TDMRs, their reserved areas and PAMTs, and the
 * global private KeyID [ABI §1.1, §6, §7; TDX module 1.5.01 tdh_sys_config.c].
 *
 * RCX = PA of an array of TDMR_INFO PAs (array and entries 512-aligned), RDX = number of
 * TDMRs (1..64), R8 = global private KeyID. TDMR_INFOs are checked one after the other, in
 * the module's order; the first failure is reported with the TDMR index in status byte 0,
 * the reserved-area index or PAMT level in byte 1 and, for PAMT_OVERLAP, the other TDMR's
 * index in byte 2. Nothing is committed unless every TDMR passes, so the host may retry.
 *
 * Which LPs must have done LP.INIT:
 *  - 1.5.01: every LP of the platform (num_init_lps == num_lps), else
 *    SYS_CONFIG_NOT_PENDING.
 *  - LATEST: LP.INIT is allowed later [ABI §11.3], so some LPs may legitimately be offline
 *    and uninitialised now. tdxsim requires LP.INIT on the calling LP only, and reports
 *    its absence with the same SYS_CONFIG_NOT_PENDING. This is an inference: no source
 *    read shows the newer module's rule.
 */
#include <string.h>

#include "module.h"

static const uint64_t level_page[] = {[PT_4KB] = _4K, [PT_2MB] = _2M, [PT_1GB] = _1G};

static void pamt_of(const struct tdmr_info *t, enum pamt_level l, uint64_t *base, uint64_t *size)
{
	switch (l) {
	case PT_4KB:
		*base = t->pamt_4k_base;
		*size = t->pamt_4k_size;
		break;
	case PT_2MB:
		*base = t->pamt_2m_base;
		*size = t->pamt_2m_size;
		break;
	default:
		*base = t->pamt_1g_base;
		*size = t->pamt_1g_size;
		break;
	}
}

/* Below MAX_PA with KeyID bits 0, for both ends of [base, base + size). */
static bool pa_range_plain(uint64_t base, uint64_t size)
{
	uint64_t last = base + size - 1;

	return pa_below_max_pa(base) && !pa_hkid(base) && pa_below_max_pa(last) && !pa_hkid(last);
}

static uint64_t check_tdmr_addr(const struct tdmr_info *t, unsigned int i)
{
	/* 1G-aligned base and size, size > 0 */
	if (!is_aligned(t->base, _1G) || !is_aligned(t->size, _1G) || !t->size)
		return status_with_info(TDX_INVALID_TDMR, i, 0, 0);
	if (!pa_range_plain(t->base, t->size))
		return status_with_info(TDX_INVALID_TDMR, i, 0, 0);
	return TDX_SUCCESS;
}

static uint64_t check_reserved(const struct tdmr_info *t, unsigned int i)
{
	for (unsigned int j = 0; j < MAX_RESERVED_AREAS; j++) {
		uint64_t off = t->reserved_areas[j].offset, size = t->reserved_areas[j].size;
		uint64_t start;

		/* A null area may be followed by null areas only. */
		if (!size) {
			if (j + 1 < MAX_RESERVED_AREAS && t->reserved_areas[j + 1].size)
				return status_with_info(TDX_NON_ORDERED_RESERVED_IN_TDMR, i, j, 0);
			continue;
		}
		if (!range_valid(off, size))
			return status_with_info(TDX_INVALID_RESERVED_IN_TDMR, i, j, 0);
		/* Sorted by offset and not overlapping the previous one. */
		if (j > 0 && off < t->reserved_areas[j - 1].offset)
			return status_with_info(TDX_NON_ORDERED_RESERVED_IN_TDMR, i, j, 0);
		if (j > 0 && off < t->reserved_areas[j - 1].offset + t->reserved_areas[j - 1].size)
			return status_with_info(TDX_NON_ORDERED_RESERVED_IN_TDMR, i, j, 0);
		if (!is_aligned(off, _4K) || !is_aligned(size, _4K))
			return status_with_info(TDX_INVALID_RESERVED_IN_TDMR, i, j, 0);
		/* Fully inside the TDMR. */
		if (!range_valid(t->base, off))
			return status_with_info(TDX_INVALID_RESERVED_IN_TDMR, i, j, 0);
		start = t->base + off;
		if (!range_valid(start, size) || start + size > t->base + t->size)
			return status_with_info(TDX_INVALID_RESERVED_IN_TDMR, i, j, 0);
	}
	return TDX_SUCCESS;
}

/* Alignment, address and size of each PAMT, in the order 1G, 2M, 4K. */
static uint64_t check_pamt_addr(const struct tdmr_info *t, unsigned int i)
{
	for (int l = PT_1GB; l >= PT_4KB; l--) {
		uint64_t base, size;

		pamt_of(t, l, &base, &size);
		if (!range_valid(base, size) || !is_aligned(base, _4K) || !is_aligned(size, _4K) ||
		    !pa_range_plain(base, size) || size < t->size / level_page[l] * PAMT_ENTRY_SIZE)
			return status_with_info(TDX_INVALID_PAMT, i, l, 0);
	}
	return TDX_SUCCESS;
}

static bool pamt_hits_pamts(const struct tdmr_info *t, uint64_t base, uint64_t size)
{
	for (int l = PT_4KB; l <= PT_1GB; l++) {
		uint64_t b, s;

		pamt_of(t, l, &b, &s);
		if (ranges_overlap(base, size, b, s))
			return true;
	}
	return false;
}

/* PAMTs must not overlap each other, in this TDMR or the previous ones. */
static uint64_t check_pamt_overlap(const struct tdmr_info *all, unsigned int i)
{
	const struct tdmr_info *t = &all[i];
	uint64_t b[3], s[3];

	for (int l = PT_4KB; l <= PT_1GB; l++)
		pamt_of(t, l, &b[l], &s[l]);
	for (unsigned int j = 0; j < i; j++)
		for (int l = PT_4KB; l <= PT_1GB; l++)
			if (pamt_hits_pamts(&all[j], b[l], s[l]))
				return status_with_info(TDX_PAMT_OVERLAP, i, l, j);
	if (ranges_overlap(b[PT_4KB], s[PT_4KB], b[PT_2MB], s[PT_2MB]) ||
	    ranges_overlap(b[PT_4KB], s[PT_4KB], b[PT_1GB], s[PT_1GB]))
		return status_with_info(TDX_PAMT_OVERLAP, i, PT_4KB, i);
	if (ranges_overlap(b[PT_2MB], s[PT_2MB], b[PT_1GB], s[PT_1GB]))
		return status_with_info(TDX_PAMT_OVERLAP, i, PT_2MB, i);
	return TDX_SUCCESS;
}

/*
 * Walk the available (non-reserved) parts of a TDMR whose reserved areas are valid: calls
 * fn on each [start, end) and stops at the first true.
 */
static bool any_available(const struct tdmr_info *t, bool (*fn)(uint64_t, uint64_t, const void *),
			  const void *arg)
{
	uint64_t cur = t->base, end = t->base + t->size;

	for (unsigned int j = 0; j < MAX_RESERVED_AREAS && t->reserved_areas[j].size; j++) {
		uint64_t rs = t->base + t->reserved_areas[j].offset;

		if (rs > cur && fn(cur, rs, arg))
			return true;
		cur = rs + t->reserved_areas[j].size;
	}
	return cur < end && fn(cur, end, arg);
}

struct range {
	uint64_t base, size;
};

static bool overlaps_range(uint64_t start, uint64_t end, const void *arg)
{
	const struct range *r = arg;

	return ranges_overlap(start, end - start, r->base, r->size);
}

static bool outside_cmrs(uint64_t start, uint64_t end, const void *arg)
{
	(void)arg;
	return !area_in_cmrs(start, end);
}

static bool pamt_hits_available(const struct tdmr_info *t, const struct tdmr_info *owner,
				enum pamt_level l)
{
	struct range r;

	pamt_of(owner, l, &r.base, &r.size);
	return any_available(t, overlaps_range, &r);
}

/* PAMTs may sit in reserved areas, never in the available part of any TDMR so far. */
static uint64_t check_pamt_in_available(const struct tdmr_info *all, unsigned int i)
{
	for (unsigned int j = 0; j <= i; j++) {
		for (int l = PT_4KB; l <= PT_1GB; l++)
			if (pamt_hits_available(&all[j], &all[i], l))
				return status_with_info(TDX_PAMT_OVERLAP, i, l, j);
		if (j == i)
			break;
		for (int l = PT_4KB; l <= PT_1GB; l++)
			if (pamt_hits_available(&all[i], &all[j], l))
				return status_with_info(TDX_PAMT_OVERLAP, j, l, i);
	}
	return TDX_SUCCESS;
}

/*
 * PAMTs in convertible memory, 1G, 2M, 4K. tdxsim also needs them in RAM to keep the
 * entries there; memory that is not RAM is not convertible either.
 */
static uint64_t check_pamt_cmr(const struct tdmr_info *t, unsigned int i)
{
	for (int l = PT_1GB; l >= PT_4KB; l--) {
		uint64_t base, size;

		pamt_of(t, l, &base, &size);
		if (!area_in_cmrs(base, base + size) || !phys_is_ram(base, size))
			return status_with_info(TDX_PAMT_OUTSIDE_CMRS, i, l, 0);
	}
	return TDX_SUCCESS;
}

static uint64_t check_tdmr(const struct tdmr_info *all, unsigned int i)
{
	const struct tdmr_info *t = &all[i];
	uint64_t st;

	if (!range_valid(t->base, t->size))
		return status_with_info(TDX_INVALID_TDMR, i, 0, 0);
	/* Sorted by base, not overlapping the previous TDMR. */
	if (i > 0 && t->base < all[i - 1].base)
		return status_with_info(TDX_NON_ORDERED_TDMR, i, 0, 0);
	if (i > 0 && t->base < all[i - 1].base + all[i - 1].size)
		return status_with_info(TDX_NON_ORDERED_TDMR, i, 0, 0);
	st = check_tdmr_addr(t, i);
	if (!st)
		st = check_reserved(t, i);
	if (!st)
		st = check_pamt_addr(t, i);
	if (!st)
		st = check_pamt_overlap(all, i);
	if (!st)
		st = check_pamt_in_available(all, i);
	if (!st)
		st = check_pamt_cmr(t, i);
	if (!st && any_available(t, outside_cmrs, NULL))
		st = status_with_info(TDX_TDMR_OUTSIDE_CMRS, i, 0, 0);
	return st;
}

static void commit_tdmr(struct tdmr *d, const struct tdmr_info *t)
{
	memset(d, 0, sizeof(*d));
	d->base = t->base;
	d->size = t->size;
	for (int l = PT_4KB; l <= PT_1GB; l++)
		pamt_of(t, l, &d->pamt_base[l], &d->pamt_size[l]);
	for (unsigned int j = 0; j < MAX_RESERVED_AREAS && t->reserved_areas[j].size; j++) {
		d->reserved_areas[j].offset = t->reserved_areas[j].offset;
		d->reserved_areas[j].size = t->reserved_areas[j].size;
		d->nr_rsvd++;
	}
	d->next_init = t->base;
}

static bool config_pending(unsigned int lp)
{
	if (sys_state_get() != SYSINIT_DONE)
		return false;
	if (tdxm.params.version == TDX_MODULE_1_5_01)
		return __atomic_load_n(&tdxm.num_init_lps, __ATOMIC_ACQUIRE) >= tdxm.num_lps;
	return lp_is_init(lp);
}

static uint64_t config(uint64_t *regs, unsigned int lp)
{
	uint64_t array_pa = regs[REG_RCX_], n = regs[REG_RDX_], hkid = regs[REG_R8_];
	const uint64_t *array;
	uint64_t st;

	if (!config_pending(lp))
		return TDX_SYS_CONFIG_NOT_PENDING;
	if (!shared_hpa_ok(array_pa, TDMR_INFO_ALIGNMENT))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
	if (n > MAX_TDMRS || n < 1)
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX;
	/* A KeyID: bits 63:16 reserved, and in the private range [ABI §1.1]. */
	if ((hkid >> 16) || !hkid_is_private(hkid))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_R8;
	array = seam_map(array_pa, n * sizeof(uint64_t));
	if (!array)
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;

	for (unsigned int i = 0; i < n; i++) {
		uint64_t pa = array[i];
		const struct tdmr_info *src;

		/* A bad entry address is reported on RCX, the array's operand. */
		if (!shared_hpa_ok(pa, TDMR_INFO_ALIGNMENT))
			return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
		src = seam_map(pa, sizeof(struct tdmr_info));
		if (!src)
			return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
		memcpy(&tdxm.tdmr_info_copy[i], src, sizeof(*src));
		st = check_tdmr(tdxm.tdmr_info_copy, i);
		if (st)
			return st;
	}

	/* All checks passed: commit. */
	for (unsigned int i = 0; i < n; i++)
		commit_tdmr(&tdxm.tdmr[i], &tdxm.tdmr_info_copy[i]);
	tdxm.nr_tdmrs = (unsigned int)n;
	tdxm.hkid = (uint16_t)hkid;
	if (hkid < MAX_HKIDS)
		tdxm.kot[hkid].state = KOT_STATE_HKID_RESERVED; /* never a TD's [M] */
	tdxm.pkg_config_bitmap = 0;
	tdxm.num_init_pkgs = 0;
	sys_state_set(SYSCONFIG_DONE);
	return TDX_SUCCESS;
}

uint64_t tdh_sys_config_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t st;

	(void)version;
	/* Exclusive: also guards tdxm.tdmr_info_copy. */
	if (!sharex_try_exclusive(&tdxm.global_lock))
		return TDX_SYS_BUSY;
	st = config(regs, lp);
	sharex_release_exclusive(&tdxm.global_lock);
	return st;
}
