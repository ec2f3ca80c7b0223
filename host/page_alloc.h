/* SPDX-License-Identifier: MIT */
/*
 * The host's physical page allocator (the kernel's page allocator role): free extents of
 * the machine's RAM, per node, from which host code takes contiguous runs of 4 KiB pages
 * on a preferred node. The TDX bring-up takes PAMTs and the TDMR list from it; the VMM
 * takes TDR, TDCS, TDVPR, Secure-EPT and private pages.
 *
 * Allocating never touches the memory: the machine's RAM is a sparse memfd, so a page the
 * host never writes costs nothing. Freed pages are not cleared.
 */
#ifndef TDXSIM_HOST_PAGE_ALLOC_H
#define TDXSIM_HOST_PAGE_ALLOC_H

#include <stdint.h>

#include "platform/platform.h"

#define NUMA_NO_NODE (-1)
/* The first 1 MiB is never handed out (BIOS data, real-mode trampolines; TDX skips it). */
#define PAGE_ALLOC_LOW_LIMIT (1ULL << 20)

/* Take the RAM map of the booted machine. 0, -ENOMEM, or -EBUSY when already set up. */
int page_alloc_init(void);
/* Take an explicit RAM map (unit tests, no machine needed). */
int page_alloc_init_ranges(const struct phys_range *ram, unsigned int nr);
void page_alloc_exit(void);

/*
 * nr_pages contiguous pages aligned to `align` bytes (a power of two, at least PAGE_SIZE),
 * from node nid when it has them, else from any node. Highest addresses first, so that low
 * memory stays free for what needs it. Returns the physical address, or 0 when nothing
 * fits (page 0 is never handed out).
 */
uint64_t alloc_contig_pages(uint64_t nr_pages, uint64_t align, int nid);
/* Only from node nid (no fallback). */
uint64_t alloc_contig_pages_node(uint64_t nr_pages, uint64_t align, int nid);
/* Give back a run; -EINVAL when it is not RAM or (partly) free already. */
int free_contig_pages(uint64_t pa, uint64_t nr_pages);

static inline uint64_t alloc_page(int nid)
{
	return alloc_contig_pages(1, PAGE_SIZE, nid);
}

static inline void free_page(uint64_t pa)
{
	free_contig_pages(pa, 1);
}

/* Free pages on node nid, or on all nodes (NUMA_NO_NODE). */
uint64_t page_alloc_nr_free(int nid);
/* Node of a RAM address by the map, or NUMA_NO_NODE. */
int page_to_nid(uint64_t pa);

#endif
