// SPDX-License-Identifier: MIT
/*
 * TDH.PHYMEM.CACHE.WB: write back the caches of this LP's package for every HKID that is
 * being freed (KOT state FLUSHED), and mark the package done for them [M
 * tdh_phymem_cache_wb.c; ABI §1.1]. RCX = 0 (start) or 1 (resume an interrupted call);
 * anything else is OPERAND_INVALID|RCX.
 *
 * Per package the module keeps a write-back table entry: a lock (OPERAND_BUSY|WBCACHE), the
 * interruption point, and the HKIDs the started flush covers. Start with no FLUSHED HKID:
 * NO_HKID_READY_TO_WBCACHE (not an error); resume with nothing interrupted:
 * WBCACHE_RESUME_ERROR. The flush goes in sub-blocks; an interrupt pending between two of
 * them ends the call with INTERRUPTED_RESUMABLE. tdxsim's host has no interrupts to take
 * here: the test hook cache_wb_test_interrupts makes the next sub-blocks see one.
 * Completion clears this package's bit in each covered HKID's WBINVD bitmap.
 */
#include <string.h>

#include "td.h"

#define CACHE_WB_SUB_BLOCKS 4  /* tdxsim's choice of num_of_cached_sub_blocks */
#define MAX_PKGS	    32 /* the KOT's WBINVD bitmap is 32 bits */

struct wbt_entry {
	struct try_mutex lock;
	uint64_t intr_point;
	uint8_t hkid_flushed[MAX_HKIDS];
};

static struct wbt_entry wbt[MAX_PKGS];
unsigned int cache_wb_test_interrupts;

/* A module load starts with no write-back in progress on any package. */
void tdh_phymem_cache_wb_reset(void)
{
	memset(wbt, 0, sizeof(wbt));
	cache_wb_test_interrupts = 0;
}

/* The progress of every package, for module snapshots (snapshot.c). */
size_t tdh_phymem_cache_wb_state_size(void)
{
	return sizeof(wbt);
}

void tdh_phymem_cache_wb_state_save(void *buf)
{
	memcpy(buf, wbt, sizeof(wbt));
}

void tdh_phymem_cache_wb_state_load(const void *buf)
{
	memcpy(wbt, buf, sizeof(wbt));
}

static bool interrupt_pending(void)
{
	unsigned int n = __atomic_load_n(&cache_wb_test_interrupts, __ATOMIC_RELAXED);

	while (n) {
		if (__atomic_compare_exchange_n(&cache_wb_test_interrupts, &n, n - 1, false,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return true;
	}
	return false;
}

uint64_t tdh_phymem_cache_wb_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t cmd = regs[REG_RCX_], status = TDX_SUCCESS;
	unsigned int pkg = lp_package(lp);
	struct wbt_entry *w;
	bool any = false;

	(void)version;
	if (cmd > TDH_PHYMEM_CACHEWB_RESUME_CMD)
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
	if (pkg >= MAX_PKGS)
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX; /* cannot happen: <= 32 packages */
	w = &wbt[pkg];
	if (!mutex_try(&w->lock))
		return TDX_OPERAND_BUSY + TDX_OPERAND_ID_WBCACHE;
	if (!mutex_try(&tdxm.kot_lock)) {
		mutex_release(&w->lock);
		return TDX_OPERAND_BUSY + TDX_OPERAND_ID_KOT;
	}
	if (cmd == TDH_PHYMEM_CACHEWB_START_CMD) {
		w->intr_point = 0;
		for (uint32_t h = tdxm.private_hkid_min;
		     h <= tdxm.private_hkid_max && h < MAX_HKIDS; h++) {
			w->hkid_flushed[h] = tdxm.kot[h].state == KOT_STATE_HKID_FLUSHED;
			any |= w->hkid_flushed[h];
		}
		if (!any) {
			status = TDX_NO_HKID_READY_TO_WBCACHE;
			goto out;
		}
	} else if (w->intr_point == 0) {
		status = TDX_WBCACHE_RESUME_ERROR;
		goto out;
	}
	do {
		/* WBNOINVDP of sub-block intr_point: nothing to write back in tdxsim */
		w->intr_point++;
		if (w->intr_point < CACHE_WB_SUB_BLOCKS && interrupt_pending()) {
			status = TDX_INTERRUPTED_RESUMABLE;
			goto out;
		}
	} while (w->intr_point < CACHE_WB_SUB_BLOCKS);
	w->intr_point = 0;
	for (uint32_t h = tdxm.private_hkid_min; h <= tdxm.private_hkid_max && h < MAX_HKIDS; h++)
		if (w->hkid_flushed[h])
			__atomic_and_fetch(&tdxm.kot[h].wbinvd_bitmap, ~(1U << pkg),
					   __ATOMIC_ACQ_REL);
out:
	mutex_release(&tdxm.kot_lock);
	mutex_release(&w->lock);
	return status;
}
