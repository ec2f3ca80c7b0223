// SPDX-License-Identifier: MIT
/*
 * TDVMCALL<MapGPA>: converting guest memory between private and shared (GHCI 0x10001). The
 * argument checks that need no TD state are in tdvmcall.c; this is the VMM's side.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <tdx/ghci.h>

#include "host/page_alloc.h"
#include "vmm_internal.h"

#define MAP_GPA_CHUNK 64 /* pages per MapGPA call; then RETRY with the resume GPA */

static int shared_add(struct vmm_td *td, uint64_t gpa, uint64_t hpa)
{
	if (td->nr_shared == td->cap_shared) {
		size_t cap = td->cap_shared ? 2 * td->cap_shared : 64;
		uint64_t *g = realloc(td->shared_gpa, cap * sizeof(*g));

		if (!g)
			return -ENOMEM;
		td->shared_gpa = g;
		g = realloc(td->shared_hpa, cap * sizeof(*g));
		if (!g)
			return -ENOMEM;
		td->shared_hpa = g;
		td->cap_shared = cap;
	}
	td->shared_gpa[td->nr_shared] = gpa;
	td->shared_hpa[td->nr_shared++] = hpa;
	return 0;
}

static void shared_remove(struct vmm_td *td, uint64_t gpa)
{
	for (size_t i = 0; i < td->nr_shared; i++) {
		if (td->shared_gpa[i] != gpa)
			continue;
		td_window_unmap(td->window, gpa, true);
		free_page(td->shared_hpa[i]);
		td->nr_shared--;
		td->shared_gpa[i] = td->shared_gpa[td->nr_shared];
		td->shared_hpa[i] = td->shared_hpa[td->nr_shared];
		return;
	}
}

/*
 * MapGPA: to shared, the VMM backs the shared GPAs with its own pages in the window's shared
 * half (the shared EPT); to private, it takes them away again, and the private page is added
 * lazily (PAGE.AUG) when the guest accepts or touches it. Removing the private page of a
 * to-shared conversion (RANGE.BLOCK, TRACK, PAGE.REMOVE) is not done yet.
 */
uint64_t vmm_map_gpa(void *opaque, uint64_t gpa, uint64_t size, uint64_t *resume_gpa)
{
	struct vmm_vcpu *vc = opaque;
	struct vmm_td *td = vc->td;
	bool to_shared = gpa & td->shared_bit;
	uint64_t g = gpa & ~td->shared_bit, end = g + size;
	uint64_t status = TDVMCALL_STATUS_SUCCESS;
	unsigned int n = 0;

	if ((g | size) & ~PAGE_MASK)
		return TDVMCALL_STATUS_ALIGN_ERROR;
	if (!size || end < g || end > td->cfg.memory_size)
		return TDVMCALL_STATUS_INVALID_OPERAND;
	pthread_mutex_lock(&td->lock);
	for (; g < end; g += PAGE_SIZE) {
		if (n++ == MAP_GPA_CHUNK) {
			*resume_gpa = g | (gpa & td->shared_bit);
			status = TDVMCALL_STATUS_RETRY;
			break;
		}
		if (to_shared && !td_window_is_mapped(td->window, g, true)) {
			uint64_t hpa = alloc_page(NUMA_NO_NODE);

			if (!hpa) {
				status = TDVMCALL_STATUS_INVALID_OPERAND;
				break;
			}
			memset(phys_host_va(hpa), 0, PAGE_SIZE);
			if (td_window_map(td->window, g, true, hpa, PROT_READ | PROT_WRITE) ||
			    shared_add(td, g, hpa)) {
				td_window_unmap(td->window, g, true);
				free_page(hpa);
				status = TDVMCALL_STATUS_INVALID_OPERAND;
				break;
			}
		} else if (!to_shared) {
			shared_remove(td, g);
		}
	}
	pthread_mutex_unlock(&td->lock);
	return status;
}
