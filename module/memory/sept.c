// SPDX-License-Identifier: MIT
/*
 * The Secure EPT: a page-table tree in pages the host gave (the root in the TDCS, the rest by
 * TDH.MEM.SEPT.ADD), one 8-byte entry per GPA range of a level [M sept_manager.c]. The
 * guest never walks it: tdxsim keeps the TD window (the host addresses guest code reaches)
 * in step with its leaves, so a GPA the Secure EPT does not map as MAPPED faults, and the
 * fault comes back to the module as an EPT violation.
 */
#include <sys/mman.h>

#include "td.h"

static unsigned int sept_index(uint64_t gpa, unsigned int level)
{
	return (unsigned int)((gpa >> (12 + 9 * level)) & (SEPT_ENTRIES - 1));
}

void sept_walk(const struct tdr *tdr, uint64_t gpa, unsigned int level, struct sept_walk *w)
{
	const struct tdcs *tdcs = tdcs_of(tdr);
	uint64_t *table = sept_root(tdr);
	unsigned int l = tdcs->ept_levels - 1;

	for (;;) {
		uint64_t *e = &table[sept_index(gpa, l)];
		uint64_t v = __atomic_load_n(e, __ATOMIC_ACQUIRE);

		w->entry = e;
		w->level = l;
		w->value = v;
		if (l == level || !sept_state_is_table(v) || l == 0)
			return;
		table = phys_seam_va(sept_hpa(v));
		l--;
	}
}

uint64_t *sept_find_leaf(const struct tdr *tdr, uint64_t gpa, unsigned int *level)
{
	struct sept_walk w;

	sept_walk(tdr, gpa, 0, &w);
	if (!sept_is_leaf(w.value))
		return NULL;
	*level = w.level;
	return w.entry;
}

/*
 * What SEPT.RD and the extended error information report [M sept_manager.c
 * set_arch_septe_details_in_vmm_regs, sept_manager.h SEPT_ARCH_ENTRY_*_MASK, the
 * sept_set_leaf/block/unblock helpers]:
 *  - a free entry: only bit 63 (suppress #VE);
 *  - a non-leaf: RWX (bits 2:0) when not blocked, nothing else (no address);
 *  - a leaf: the HPA (bits 51:12), memory type WB (bits 5:3), IPAT (bit 6), PS (bit 7, set at
 *    every level: it is part of the module's leaf state encoding), suppress #VE (bit 63, set
 *    in every state of 1.5.01), and RWX only when MAPPED.
 */
#define SEPT_ARCH_IPAT (1ULL << 6)
#define SEPT_ARCH_PS   (1ULL << 7)
#define SEPT_ARCH_SVE  (1ULL << 63)

uint64_t sept_arch_entry(uint64_t e, unsigned int level)
{
	uint64_t v;

	(void)level;
	if (sept_state_is_free(e))
		return SEPT_ARCH_SVE;
	if (!sept_is_leaf(e))
		return sept_state_is_table(e) ? 0x7 : 0;
	v = sept_hpa(e) | (uint64_t)TDX_EPTP_MT_WB << 3 | SEPT_ARCH_IPAT | SEPT_ARCH_PS |
	    SEPT_ARCH_SVE;
	if (sept_state_is_leaf_mapped(e))
		v |= 0x7;
	return v;
}

/*
 * Level in bits 2:0, the architectural state in bits 15:8, the VM in bits 17:16 (0) [M
 * sept_entry_arch_info_t]. The states are the public_state values of the 1.5.01 tables [M
 * include/auto_gen/sept_state_lookup.c]: FREE 0, BLOCKED 1, PENDING 2, PENDING_BLOCKED 3,
 * MAPPED 4, NL_BLOCKED 0x81, NL_MAPPED 0x84.
 */
uint64_t sept_arch_level_info(uint64_t e, unsigned int level)
{
	static const uint8_t arch_state[] = {
		[SEPT_FREE] = 0,
		[SEPT_TABLE] = 0x84,
		[SEPT_MAPPED] = 4,
		[SEPT_PENDING] = 2,
		[SEPT_BLOCKED] = 1,
		[SEPT_PENDING_BLOCKED] = 3,
		[SEPT_TABLE_BLOCKED] = 0x81,
	};
	unsigned int s = sept_state(e);

	return (uint64_t)level | ((uint64_t)(s < sizeof(arch_state) ? arch_state[s] : 0) << 8);
}

/*
 * The TD window follows the leaves: MAPPED is reachable (read, write, execute; TDX has no
 * per-page permissions for private memory), anything else is not.
 */
void sept_sync_window(struct tdcs *tdcs, uint64_t gpa, unsigned int level, uint64_t e)
{
	uint64_t size = tdx_ps_bytes(level);

	if (!tdcs->window)
		return;
	for (uint64_t off = 0; off < size; off += _4K) {
		if (sept_state_is_leaf_mapped(e))
			td_window_map(tdcs->window, gpa + off, false, sept_hpa(e) + off,
				      PROT_READ | PROT_WRITE | PROT_EXEC);
		else
			td_window_unmap(tdcs->window, gpa + off, false);
	}
}
