/* SPDX-License-Identifier: MIT */
/*
 * TDMRs, PAMTs and reserved areas, built from a list of TDX-usable memory regions
 * [ABI §6]. Pure: the PAMT memory comes from a caller-supplied allocator, so this
 * can be tested from a RAM map alone, without a machine.
 */
#ifndef TDXSIM_HOST_TDMR_H
#define TDXSIM_HOST_TDMR_H

#include <stdint.h>

#include <tdx/structs.h>

#include "platform/platform.h"

#define TDX_MAX_MEMBLOCKS PLATFORM_MAX_RANGES

/* A region of TDX-usable memory: [start, end) on node nid. */
struct tdx_memblock {
	uint64_t start, end;
	int nid;
};

/* What the module allows (metadata). */
struct tdmr_params {
	unsigned int max_tdmrs;		    /* at most MAX_TDMRS */
	unsigned int max_reserved_per_tdmr; /* areas used: at most MAX_RESERVED_PER_TDMR */
	unsigned int pamt_entry_size[3];    /* by level: 4K, 2M, 1G */
};

struct pamt_allocator {
	/* nr_pages contiguous pages, preferably on nid; 0 when there are none */
	uint64_t (*alloc)(uint64_t nr_pages, int nid, void *arg);
	void (*free)(uint64_t pa, uint64_t nr_pages, void *arg);
	void *arg;
};

struct tdmr_info_list {
	unsigned int nr_tdmrs;
	unsigned int max_tdmrs;
	unsigned int max_reserved;
	struct tdmr_info *tdmrs; /* max_tdmrs entries */
	int *nid;		 /* node each TDMR's PAMT was asked for */
	uint64_t *pamt_base;	 /* the one contiguous PAMT chunk of each TDMR */
	uint64_t *pamt_size;
};

/*
 * RAM map to TDX memory: the RAM ranges from 1 MiB up (the first 1 MiB is left out, as
 * Linux does), in address order. Returns the number of regions written (at most
 * TDX_MAX_MEMBLOCKS).
 */
unsigned int tdx_memlist_from_ram(const struct phys_range *ram, unsigned int nr,
				  struct tdx_memblock *out);

/*
 * Build the TDMR list: TDMRs covering all memory (1 GiB aligned, merged where they meet),
 * a PAMT per TDMR, the reserved areas. 0; -ENOSPC (too many TDMRs or reserved areas),
 * -ENOMEM (no memory for the list or a PAMT), -EINVAL (bad parameters). On failure nothing
 * is left allocated.
 */
int construct_tdmrs(const struct tdx_memblock *mem, unsigned int nr_mem,
		    const struct tdmr_params *p, const struct pamt_allocator *pa,
		    struct tdmr_info_list *list);
/* Free the PAMTs (through pa) and the list. */
void free_tdmrs(struct tdmr_info_list *list, const struct pamt_allocator *pa);

/* PAMT bytes of one level for a TDMR of `size` bytes: (size / page) * entry, 4K-rounded. */
uint64_t tdmr_pamt_size(uint64_t tdmr_size, int level, unsigned int entry_size);
/* Total PAMT bytes, and bytes covered by TDMRs. */
uint64_t tdmrs_pamt_bytes(const struct tdmr_info_list *list);
uint64_t tdmrs_cover_bytes(const struct tdmr_info_list *list);
/* Reserved areas in use in a TDMR. */
unsigned int tdmr_nr_reserved(const struct tdmr_info *t);

#endif
