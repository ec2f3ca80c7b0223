// SPDX-License-Identifier: MIT
/*
 * Helpers shared by the memory-management and teardown leaves (tdh_mem_*, tdh_phymem_*,
 * TDG.MEM.PAGE.ACCEPT): the SEPT entry details,
 * TLB-epoch tracking, 2 MiB page ranges in the PAMT, and keeping the TD window in step when
 * a whole SEPT table is blocked or unblocked [M helpers.c, sept_manager.c, pamt_manager.c,
 * tdh_mem_range_block.c].
 */
#include <string.h>

#include "td.h"

void sept_details(uint64_t *regs, uint64_t e, unsigned int level)
{
	regs[REG_RCX_] = sept_arch_entry(e, level);
	regs[REG_RDX_] = sept_arch_level_info(e, level);
}

/*
 * [M helpers.c verify_page_info_input, check_gpa_validity]: reserved bits, level in
 * [min, max], aligned to the level, inside GPAW and private. All OPERAND_INVALID|RCX.
 */
uint64_t sept_gpa_check(const struct tdcs *tdcs, uint64_t word, unsigned int min_level,
			unsigned int max_level, uint64_t *gpa, unsigned int *level)
{
	uint64_t status = gpa_level_check(tdcs, word, max_level, TDX_OPERAND_ID_RCX, gpa, level);

	if (status)
		return status;
	if (*level < min_level || (*gpa & tdcs->shared_bit))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
	return TDX_SUCCESS;
}

/*
 * [M helpers.h is_tlb_tracked]: blocked in the previous epoch and no vCPU still runs in it,
 * or blocked in any epoch before that.
 */
bool tlb_tracked(const struct tdcs *tdcs, uint64_t bepoch)
{
	uint64_t epoch = __atomic_load_n(&tdcs->td_epoch, __ATOMIC_ACQUIRE);

	if (bepoch == epoch - 1 &&
	    __atomic_load_n(&tdcs->refcount[bepoch & 1], __ATOMIC_ACQUIRE) == 0)
		return true;
	return bepoch < epoch - 1;
}

struct pamt_entry *sept_target_pamt(uint64_t e, unsigned int level)
{
	if (sept_is_leaf(e))
		return pamt_entry_get(sept_hpa(e), (enum pamt_level)level);
	return pamt_entry_get(sept_hpa(e), PT_4KB);
}

/* Hidden and zeroed: a 2M page in one mapping change, its memory freed, not written. */
void pages_hide(uint64_t hpa, uint64_t size)
{
	phys_hide_range(hpa, size);
	phys_discard(hpa, size);
}

void pages_unhide(uint64_t hpa, uint64_t size)
{
	phys_unhide_range(hpa, size);
}

/* Unlock the first n 4K entries of a 2M range. */
static void unlock_4k_entries(uint64_t pa, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		pamt_unlock(pamt_entry_get(pa + (uint64_t)i * _4K, PT_4KB), true);
}

uint64_t free_range_get(uint64_t pa, unsigned int level, unsigned int operand,
			struct range_ref *ref)
{
	const struct pamt_entry *e1;
	struct pamt_entry *e;
	struct page_ref page;
	uint64_t status;

	memset(ref, 0, sizeof(*ref));
	if (level == 0) {
		status = page_get(pa, PT_NDA, 0, true, operand, &page);
		if (status)
			return status;
		*ref = (struct range_ref){.pa = pa, .level = 0, .pamt = page.pamt};
		return TDX_SUCCESS;
	}
	/* 2M [M check_and_lock_free_range_hpa, pamt_is_2mb_range_free] */
	if (!is_aligned(pa, _2M) || !pa_below_max_pa(pa) || pa_hkid(pa))
		return TDX_OPERAND_INVALID + operand;
	e = pamt_entry_get(pa, PT_2MB);
	if (!e)
		return TDX_OPERAND_INVALID + operand;
	if (!pamt_lock(e, true))
		return TDX_OPERAND_BUSY + operand;
	e1 = pamt_entry_get(pa & ~(_1G - 1), PT_1GB);
	if (e->pt != PT_NDA || (e1 && e1->pt != PT_NDA)) {
		pamt_unlock(e, true);
		return TDX_PAGE_METADATA_INCORRECT + operand;
	}
	/*
	 * Every 4K entry is held too, so that no 4K operand can be taken out of the range
	 * between this check and the 2M entry's new type.
	 */
	for (unsigned int i = 0; i < SEPT_ENTRIES; i++) {
		struct pamt_entry *e4 = pamt_entry_get(pa + (uint64_t)i * _4K, PT_4KB);

		if (!pamt_lock(e4, true)) {
			unlock_4k_entries(pa, i);
			pamt_unlock(e, true);
			return TDX_OPERAND_BUSY + operand;
		}
		if (e4->pt != PT_NDA) {
			unlock_4k_entries(pa, i + 1);
			pamt_unlock(e, true);
			return TDX_PAGE_METADATA_INCORRECT + operand;
		}
	}
	*ref = (struct range_ref){.pa = pa, .level = 1, .pamt = e};
	return TDX_SUCCESS;
}

void free_range_put(struct range_ref *ref)
{
	if (!ref->pamt)
		return;
	if (ref->level == 1)
		unlock_4k_entries(ref->pa, SEPT_ENTRIES);
	pamt_unlock(ref->pamt, true);
	ref->pamt = NULL;
}

/* [M pamt_manager.c pamt_walk]: the first level from 1G down whose entry has a type. */
struct pamt_entry *pamt_leaf(uint64_t pa, unsigned int *level)
{
	struct pamt_entry *e1 = pamt_entry_get(pa & ~(_1G - 1), PT_1GB);
	struct pamt_entry *e2 = pamt_entry_get(pa & ~(_2M - 1), PT_2MB);

	if (!e1 || !e2)
		return NULL;
	if (__atomic_load_n(&e1->pt, __ATOMIC_ACQUIRE) != PT_NDA) {
		*level = PT_1GB;
		return e1;
	}
	if (__atomic_load_n(&e2->pt, __ATOMIC_ACQUIRE) != PT_NDA) {
		*level = PT_2MB;
		return e2;
	}
	*level = PT_4KB;
	return pamt_entry_get(pa & ~(_4K - 1), PT_4KB);
}

void sept_sync_subtree(struct tdcs *tdcs, uint64_t table_hpa, unsigned int level, uint64_t gpa,
		       bool map)
{
	const uint64_t *table = phys_seam_va(table_hpa);

	for (unsigned int i = 0; i < SEPT_ENTRIES; i++) {
		uint64_t e = __atomic_load_n(&table[i], __ATOMIC_ACQUIRE);
		uint64_t g = gpa + ((uint64_t)i << (12 + 9 * level));

		if (sept_state_is_table(e) && level > 0)
			sept_sync_subtree(tdcs, sept_hpa(e), level - 1, g, map);
		else if (sept_state_is_leaf_mapped(e))
			sept_sync_window(tdcs, g, level, map ? e : (e & ~SEPT_STATE_MASK));
	}
}

uint64_t sept_op_begin(uint64_t *regs, uint64_t tdr_pa, unsigned int leaf, unsigned int min_level,
		       int max_level, bool need_debug, struct sept_op *op)
{
	uint64_t word = regs[REG_RCX_], status;

	memset(op, 0, sizeof(*op));
	regs[REG_RCX_] = 0;
	regs[REG_RDX_] = 0;
	status = tdr_get(tdr_pa, TDX_OPERAND_ID_RDX, false, &op->tdr_ref, &op->tdr);
	if (status)
		return status;
	status = td_state_check(op->tdr, leaf);
	if (status)
		return status;
	op->tdcs = tdcs_of(op->tdr);
	if (need_debug && !(op->tdcs->attributes & TDX_TD_ATTR_DEBUG))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX;
	if (max_level < 0)
		max_level = (int)op->tdcs->ept_levels - 1;
	status = sept_gpa_check(op->tdcs, word, min_level, (unsigned int)max_level, &op->gpa,
				&op->level);
	if (status)
		return status;
	if (!mutex_try(&op->tdcs->sept_lock))
		return TDX_OPERAND_BUSY + TDX_OPERAND_ID_SEPT_TREE;
	op->locked = true;
	sept_walk(op->tdr, op->gpa, op->level, &op->w);
	if (op->w.level != op->level) {
		sept_details(regs, op->w.value, op->w.level);
		return TDX_EPT_WALK_FAILED + TDX_OPERAND_ID_RCX;
	}
	return TDX_SUCCESS;
}

void sept_op_end(struct sept_op *op)
{
	if (op->locked)
		mutex_release(&op->tdcs->sept_lock);
	op->locked = false;
	page_put(&op->tdr_ref);
}

uint64_t removal_check(uint64_t *regs, const struct sept_op *op, enum pamt_level pamt_level,
		       bool blocked, struct pamt_entry **target)
{
	struct pamt_entry *t = pamt_entry_get(sept_hpa(op->w.value), pamt_level);

	*target = NULL;
	if (!pamt_lock(t, true))
		return TDX_OPERAND_BUSY + TDX_OPERAND_ID_RCX;
	*target = t;
	if (!op_state_tlb_tracking_required(op->tdr->op_state))
		return TDX_SUCCESS;
	if (!blocked) {
		sept_details(regs, op->w.value, op->level);
		return TDX_GPA_RANGE_NOT_BLOCKED + TDX_OPERAND_ID_RCX;
	}
	if (!tlb_tracked(op->tdcs, t->bepoch))
		return TDX_TLB_TRACKING_NOT_DONE + TDX_OPERAND_ID_RCX;
	return TDX_SUCCESS;
}

void removal_commit(uint64_t *regs, struct sept_op *op, struct pamt_entry *target, uint64_t size)
{
	uint64_t hpa = sept_hpa(op->w.value);

	__atomic_store_n(op->w.entry, (uint64_t)SEPT_FREE, __ATOMIC_RELEASE);
	__atomic_store_n(&target->pt, (uint8_t)PT_NDA, __ATOMIC_RELEASE);
	pamt_set_owner(target, 0);
	target->bepoch = 0;
	pages_unhide(hpa, size);
	regs[REG_RCX_] = hpa;
}

uint64_t mem_rd_wr(uint64_t *regs, bool write)
{
	uint64_t gpa = regs[REG_RCX_], tdr_pa = regs[REG_RDX_], data = regs[REG_R8_];
	struct page_ref tdr_ref;
	struct sept_walk w;
	struct tdcs *tdcs;
	struct tdr *tdr;
	uint64_t status, hpa, *p;

	regs[REG_RCX_] = 0;
	regs[REG_RDX_] = 0;
	regs[REG_R8_] = 0;
	status = tdr_get(tdr_pa, TDX_OPERAND_ID_RDX, false, &tdr_ref, &tdr);
	if (status)
		return status;
	status = td_state_check(tdr, write ? TDH_MEM_WR : TDH_MEM_RD);
	if (status)
		goto out;
	tdcs = tdcs_of(tdr);
	if (!(tdcs->attributes & TDX_TD_ATTR_DEBUG)) {
		status = TDX_TD_NON_DEBUG;
		goto out;
	}
	if (!is_aligned(gpa, 8)) {
		status = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
		goto out;
	}
	if (!mutex_try(&tdcs->sept_lock)) {
		status = TDX_OPERAND_BUSY + TDX_OPERAND_ID_SEPT_TREE;
		goto out;
	}
	/* A private GPA inside GPAW [M check_gpa_validity] */
	if ((gpa >> tdcs->gpaw) || (gpa & tdcs->shared_bit)) {
		status = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
		goto unlock;
	}
	/*
	 * Walk to any leaf; one the guest cannot reach (free, PENDING, BLOCKED: no RWX on a real
	 * module) is a failed walk, reported as EPT_ENTRY_NOT_PRESENT with the entry where the
	 * walk stopped [M tdh_mem_rd_wr.c, lock_sept_check_and_walk_internal].
	 */
	sept_walk(tdr, gpa, 0, &w);
	status = sept_state_check(write ? TDH_MEM_WR : TDH_MEM_RD, regs, w.value, w.level);
	if (status)
		goto unlock;
	hpa = sept_hpa(w.value) + (gpa & (tdx_ps_bytes(w.level) - 1));
	p = phys_seam_va(hpa);
	regs[REG_R8_] = __atomic_load_n(p, __ATOMIC_RELAXED);
	if (write)
		__atomic_store_n(p, data, __ATOMIC_RELAXED);
unlock:
	mutex_release(&tdcs->sept_lock);
out:
	page_put(&tdr_ref);
	return status;
}
