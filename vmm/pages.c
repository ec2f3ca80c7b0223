// SPDX-License-Identifier: MIT
/*
 * The pages a TD owns, as the VMM keeps count of them for the teardown: a page is given to
 * the TD by one SEAMCALL and is tracked only if it succeeded, freed if not; Secure EPT
 * tables added on demand; lazy PAGE.AUG from the vCPU threads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tdx/status.h>

#include "host/page_alloc.h"
#include "vmm_internal.h"

/*
 * Every page the VMM gives the TD is either tracked (the module took it: teardown
 * reclaims it) or freed (the SEAMCALL failed, so the module committed nothing). Tracking
 * cannot fail after the SEAMCALL: vmm_page_get() reserves the list entry first.
 */

/* A zeroed host page, or 0. */
uint64_t vmm_zeroed_page(void)
{
	uint64_t pa = alloc_page(NUMA_NO_NODE);

	if (pa)
		memset(phys_host_va(pa), 0, PAGE_SIZE);
	return pa;
}

/* Room for @n more entries beyond those reserved. pages_lock held. */
static int pages_reserve_locked(struct vmm_td *td, size_t n)
{
	if (td->nr_pages + td->reserved_pages + n > td->cap_pages) {
		size_t cap = td->cap_pages ? 2 * td->cap_pages : 64;
		struct vmm_page *p;

		while (cap < td->nr_pages + td->reserved_pages + n)
			cap *= 2;
		p = realloc(td->pages, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		td->pages = p;
		td->cap_pages = cap;
	}
	td->reserved_pages += n;
	return 0;
}

/*
 * The host memory behind a page for the TD: a zeroed 4K page, or for a 2M leaf a 2M-aligned
 * run of 512 left untouched (PAGE.AUG hides it and the guest's ACCEPT zeroes it; writing it
 * here would only make 2 MiB of the machine's sparse RAM real); and its list entry
 * reserved. 0 when there is no memory for either.
 */
uint64_t vmm_page_get(struct vmm_td *td, unsigned int level)
{
	uint64_t n = vmm_leaf_pages(level), pa;
	int ret;

	pthread_mutex_lock(&td->pages_lock);
	ret = pages_reserve_locked(td, 1);
	pthread_mutex_unlock(&td->pages_lock);
	if (ret)
		return 0;
	pa = level ? alloc_contig_pages(n, n * PAGE_SIZE, NUMA_NO_NODE) : vmm_zeroed_page();
	if (!pa) {
		pthread_mutex_lock(&td->pages_lock);
		td->reserved_pages--;
		pthread_mutex_unlock(&td->pages_lock);
	}
	return pa;
}

/*
 * Up to @n pages contiguous in host memory for as many PAGE.ADDs (ascending, so that the
 * module can map a run of contiguous GPAs at contiguous HPAs into the window at once), their
 * list entries reserved; *@got says how many (fewer when no run of @n is free, at least 1).
 * Not zeroed: PAGE.ADD writes the whole page, and its copy is the page's first touch. Each
 * page then goes through vmm_page_put(); 0 when there is no page at all.
 */
uint64_t vmm_page_run_get(struct vmm_td *td, unsigned int n, unsigned int *got)
{
	uint64_t pa = 0;
	int ret;

	for (; n && !pa; n /= 2) {
		pthread_mutex_lock(&td->pages_lock);
		ret = pages_reserve_locked(td, n);
		pthread_mutex_unlock(&td->pages_lock);
		if (ret)
			continue;
		pa = n > 1 ? alloc_contig_pages(n, PAGE_SIZE, NUMA_NO_NODE)
			   : alloc_page(NUMA_NO_NODE);
		if (pa) {
			*got = n;
			break;
		}
		pthread_mutex_lock(&td->pages_lock);
		td->reserved_pages -= n;
		pthread_mutex_unlock(&td->pages_lock);
	}
	return pa;
}

/*
 * After the SEAMCALL that gave page @pa (from vmm_page_get(td, level); 0: there was none) to
 * the TD returned @status: tracked as (@gpa, @kind) on success, freed otherwise. 0 when it
 * was tracked, -1 when not.
 */
int vmm_page_put(struct vmm_td *td, uint64_t pa, unsigned int level, uint64_t status, uint64_t gpa,
		 enum vmm_page_kind kind)
{
	if (!pa)
		return -1;
	pthread_mutex_lock(&td->pages_lock);
	td->reserved_pages--;
	if (!status)
		td->pages[td->nr_pages++] = (struct vmm_page){.hpa = pa, .gpa = gpa, .kind = kind};
	pthread_mutex_unlock(&td->pages_lock);
	if (status)
		free_contig_pages(pa, vmm_leaf_pages(level));
	return status ? -1 : 0;
}

/* Is the Secure EPT page for (GPA | level) one the VMM added? pages_lock held. */
static bool sept_table_known(const struct vmm_td *td, uint64_t gpa_level)
{
	for (size_t i = 0; i < td->nr_pages; i++) {
		if (td->pages[i].kind == PG_SEPT && td->pages[i].gpa == gpa_level)
			return true;
	}
	return false;
}

uint64_t vmm_sept_map(struct vmm_td *td, uint64_t gpa, unsigned int leaf_level)
{
	uint64_t s;

	for (unsigned int level = 3; level > leaf_level; level--) {
		uint64_t base = gpa & ~((PAGE_SIZE << (9 * level)) - 1), pa;
		bool known;

		pthread_mutex_lock(&td->pages_lock);
		known = sept_table_known(td, base | level);
		pthread_mutex_unlock(&td->pages_lock);
		if (known)
			continue;
		pa = vmm_page_get(td, 0);
		if (!pa)
			return TDX_SW_ERROR;
		s = tdh_mem_sept_add(&td->htd, base, (int)level, pa, NULL, NULL);
		vmm_page_put(td, pa, 0, s, base | level, PG_SEPT);
		/* EPT_ENTRY_STATE_INCORRECT: a neighbour's table (another vCPU added it), or a leaf */
		if (s && tdx_status_code(s) != TDX_EPT_ENTRY_STATE_INCORRECT)
			return s;
	}
	return 0;
}

uint64_t vmm_aug_page(struct vmm_td *td, uint64_t gpa, unsigned int level)
{
	uint64_t s, pa;

	s = vmm_sept_map(td, gpa, level);
	if (s)
		return s;
	pa = vmm_page_get(td, level);
	if (!pa)
		return TDX_SW_ERROR;
	s = tdh_mem_page_aug(&td->htd, gpa, (int)level, pa, NULL, NULL);
	if (vmm_page_put(td, pa, level, s, gpa | level, PG_PRIVATE))
		return s;
	pthread_mutex_lock(&td->pages_lock);
	td->aug_pages += (unsigned int)vmm_leaf_pages(level);
	pthread_mutex_unlock(&td->pages_lock);
	atomic_fetch_add(&td->mem_gen, 1);
	return 0;
}
