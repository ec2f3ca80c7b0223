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
		if (l == level || sept_state(v) != SEPT_TABLE || l == 0)
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
 * What SEPT.RD and the extended error information report: the entry in the VMX EPT format
 * (bits 2:0 RWX when the TD may use it, bit 7 for a leaf above 4K, bits 5:3 memory type WB,
 * bits 51:12 the address, bit 63 suppress-#VE unless a #VE is what the TD should get), and
 * the level with the TDX state in bits 15:8 [M sept_entry_t; ABI spec "Secure EPT entry
 * information"].
 */
uint64_t sept_arch_entry(uint64_t e, unsigned int level)
{
	unsigned int s = sept_state(e);
	uint64_t v;

	if (s == SEPT_FREE)
		return 1ULL << 63;
	v = sept_hpa(e);
	if (s == SEPT_MAPPED || s == SEPT_TABLE)
		v |= 0x7;
	if (sept_is_leaf(e)) {
		v |= (uint64_t)TDX_EPTP_MT_WB << 3;
		if (level)
			v |= 1ULL << 7;
	}
	if (s != SEPT_PENDING)
		v |= 1ULL << 63;
	return v;
}

uint64_t sept_arch_level_info(uint64_t e, unsigned int level)
{
	return (uint64_t)level | ((uint64_t)sept_state(e) << 8);
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
		if (sept_state(e) == SEPT_MAPPED)
			td_window_map(tdcs->window, gpa + off, false, sept_hpa(e) + off,
				      PROT_READ | PROT_WRITE | PROT_EXEC);
		else
			td_window_unmap(tdcs->window, gpa + off, false);
	}
}
