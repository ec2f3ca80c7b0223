// SPDX-License-Identifier: MIT
/*
 * A guest that uses private memory beyond its image: TDG.MEM.PAGE.ACCEPT of pages the VMM
 * has not added yet (each becomes an EPT-violation TD exit, the VMM adds the page with
 * PAGE.AUG, the ACCEPT runs again), then writes and reads them back. Exits with 0 when all
 * is well, else with the number of the failing step; an access outside the TD's memory
 * follows when the exit status would be 0 and the boot option asks for it.
 */
#include "tdxguest/tdxguest.h"

#define BASE   (32ULL << 20)
#define NPAGES 16

int main(void)
{
	u64 sum = 0;

	for (u64 i = 0; i < NPAGES; i++) {
		struct tdx_module_args a = {.rcx = BASE + i * 4096};
		u64 s = __tdcall(TDG_MEM_PAGE_ACCEPT, &a);

		if (s) {
			tdx_printf("accept %lx: status %lx\n", (unsigned long)a.rcx,
				   (unsigned long)s);
			return 1;
		}
	}
	for (u64 i = 0; i < NPAGES; i++) {
		volatile u64 *p = __va(BASE + i * 4096);

		if (p[0] || p[511])
			return 2; /* accepted pages read as zeros */
		p[0] = i + 1;
		p[511] = 100 * (i + 1);
	}
	for (u64 i = 0; i < NPAGES; i++) {
		volatile u64 *p = __va(BASE + i * 4096);

		sum += p[0] + p[511];
	}
	tdx_printf("accepted %d pages, sum %lu\n", NPAGES, (unsigned long)sum);
	return sum == 101 * NPAGES * (NPAGES + 1) / 2 ? 0 : 3;
}
