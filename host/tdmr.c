// SPDX-License-Identifier: MIT
/*
 * Building the TDMRs for TDH.SYS.CONFIG [ABI §6].
 *
 * 1. TDMRs: each memory region rounded out to 1 GiB (the TDMR granularity); a region whose
 *    rounded range meets the previous TDMR extends it (when it overlaps, it must; when it
 *    only touches, it does so on the same node, which saves a TDMR and keeps each PAMT on
 *    its own node). More TDMRs than the module takes: -ENOSPC.
 * 2. PAMTs: per TDMR one contiguous chunk, 4K then 2M then 1G PAMT, from the node that has
 *    most of the TDMR's memory, so that PAMT lookups stay node-local.
 * 3. Reserved areas: everything in a TDMR that is not TDX memory (holes, the first 1 MiB)
 *    and every PAMT (of any TDMR) inside it: the module must never hand those pages out.
 *    Sorted and merged; more than the module takes: -ENOSPC.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tdmr.h"
#include "tdx_host.h"

#define TDMR_ALIGN	  (1ULL << 30)
#define ALIGN_DOWN_(x, a) ((x) & ~((a)-1))
#define ALIGN_UP_(x, a)	  (((x) + (a)-1) & ~((a)-1))

static const unsigned int level_shift[3] = {12, 21, 30};

unsigned int tdx_memlist_from_ram(const struct phys_range *ram, unsigned int nr,
				  struct tdx_memblock *out)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < nr && n < TDX_MAX_MEMBLOCKS; i++) {
		uint64_t start = ram[i].base, end = ram[i].base + ram[i].size;

		/* the first 1 MiB is BIOS territory: never TDX memory */
		if (start < (1ULL << 20))
			start = 1ULL << 20;
		if (start >= end)
			continue;
		out[n++] = (struct tdx_memblock){start, end, (int)ram[i].node};
	}
	return n;
}

uint64_t tdmr_pamt_size(uint64_t tdmr_size, int level, unsigned int entry_size)
{
	return ALIGN_UP_((tdmr_size >> level_shift[level]) * entry_size, PAGE_SIZE);
}

static uint64_t tdmr_end(const struct tdmr_info *t)
{
	return t->base + t->size;
}

/* Step 1: TDMRs covering every region. */
static int fill_out_tdmrs(const struct tdx_memblock *mem, unsigned int nr_mem,
			  struct tdmr_info_list *list)
{
	int last_nid = -1;

	for (unsigned int i = 0; i < nr_mem; i++) {
		uint64_t start = ALIGN_DOWN_(mem[i].start, TDMR_ALIGN);
		uint64_t end = ALIGN_UP_(mem[i].end, TDMR_ALIGN);
		struct tdmr_info *last = list->nr_tdmrs ? &list->tdmrs[list->nr_tdmrs - 1] : NULL;

		if (last && (start < tdmr_end(last) ||
			     (start == tdmr_end(last) && mem[i].nid == last_nid))) {
			if (end > tdmr_end(last))
				last->size = end - last->base;
			last_nid = mem[i].nid;
			continue;
		}
		if (list->nr_tdmrs == list->max_tdmrs) {
			tdx_pr("memory needs more than the %u TDMRs the module takes",
			       list->max_tdmrs);
			return -ENOSPC;
		}
		list->tdmrs[list->nr_tdmrs].base = start;
		list->tdmrs[list->nr_tdmrs].size = end - start;
		list->nr_tdmrs++;
		last_nid = mem[i].nid;
	}
	return 0;
}

/* The node with the most memory inside [base, end). */
static int tdmr_nid(const struct tdmr_info *t, const struct tdx_memblock *mem, unsigned int nr_mem)
{
	uint64_t bytes[PLATFORM_MAX_PACKAGES] = {0};
	int best = 0;

	for (unsigned int i = 0; i < nr_mem; i++) {
		uint64_t s = mem[i].start > t->base ? mem[i].start : t->base;
		uint64_t e = mem[i].end < tdmr_end(t) ? mem[i].end : tdmr_end(t);

		if (s < e && mem[i].nid >= 0 && mem[i].nid < PLATFORM_MAX_PACKAGES)
			bytes[mem[i].nid] += e - s;
	}
	for (int n = 1; n < PLATFORM_MAX_PACKAGES; n++) {
		if (bytes[n] > bytes[best])
			best = n;
	}
	return best;
}

static void free_pamts(struct tdmr_info_list *list, const struct pamt_allocator *pa)
{
	for (unsigned int i = 0; i < list->nr_tdmrs; i++) {
		if (list->pamt_size[i])
			pa->free(list->pamt_base[i], list->pamt_size[i] >> PAGE_SHIFT, pa->arg);
		list->pamt_base[i] = list->pamt_size[i] = 0;
	}
}

/* Step 2: one contiguous PAMT chunk per TDMR, split 4K, 2M, 1G. */
static int alloc_pamts(const struct tdx_memblock *mem, unsigned int nr_mem,
		       const struct tdmr_params *p, const struct pamt_allocator *pa,
		       struct tdmr_info_list *list)
{
	for (unsigned int i = 0; i < list->nr_tdmrs; i++) {
		struct tdmr_info *t = &list->tdmrs[i];
		uint64_t sz[3], total = 0, base;

		for (int l = 0; l < 3; l++) {
			sz[l] = tdmr_pamt_size(t->size, l, p->pamt_entry_size[l]);
			total += sz[l];
		}
		list->nid[i] = tdmr_nid(t, mem, nr_mem);
		base = pa->alloc(total >> PAGE_SHIFT, list->nid[i], pa->arg);
		if (!base) {
			tdx_pr("no %llu MiB of contiguous memory for the PAMT of TDMR %u",
			       (unsigned long long)(total >> 20), i);
			free_pamts(list, pa);
			return -ENOMEM;
		}
		list->pamt_base[i] = base;
		list->pamt_size[i] = total;
		t->pamt_4k_base = base;
		t->pamt_4k_size = sz[0];
		t->pamt_2m_base = base + sz[0];
		t->pamt_2m_size = sz[1];
		t->pamt_1g_base = base + sz[0] + sz[1];
		t->pamt_1g_size = sz[2];
	}
	return 0;
}

struct area {
	uint64_t start, end;
};

static int cmp_area(const void *a, const void *b)
{
	const struct area *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Add [start, end) clipped to the TDMR, if anything of it is inside. */
static void add_area(struct area *a, unsigned int *n, const struct tdmr_info *t, uint64_t start,
		     uint64_t end)
{
	if (start < t->base)
		start = t->base;
	if (end > tdmr_end(t))
		end = tdmr_end(t);
	if (start < end)
		a[(*n)++] = (struct area){start, end};
}

/* Step 3: holes and PAMTs inside each TDMR, sorted and merged. */
static int set_reserved_areas(const struct tdx_memblock *mem, unsigned int nr_mem,
			      struct tdmr_info_list *list)
{
	/* every hole (at most nr_mem + 1) and every PAMT */
	struct area *a = calloc(nr_mem + 1 + list->nr_tdmrs, sizeof(*a));
	int ret = 0;

	if (!a)
		return -ENOMEM;
	for (unsigned int i = 0; i < list->nr_tdmrs && !ret; i++) {
		struct tdmr_info *t = &list->tdmrs[i];
		uint64_t prev_end = t->base;
		unsigned int n = 0, out = 0;

		for (unsigned int m = 0; m < nr_mem; m++) {
			if (mem[m].end <= t->base || mem[m].start >= tdmr_end(t))
				continue;
			if (mem[m].start > prev_end)
				add_area(a, &n, t, prev_end, mem[m].start);
			if (mem[m].end > prev_end)
				prev_end = mem[m].end;
		}
		if (prev_end < tdmr_end(t))
			add_area(a, &n, t, prev_end, tdmr_end(t));
		for (unsigned int j = 0; j < list->nr_tdmrs; j++)
			add_area(a, &n, t, list->pamt_base[j],
				 list->pamt_base[j] + list->pamt_size[j]);

		qsort(a, n, sizeof(*a), cmp_area);
		memset(t->reserved_areas, 0, sizeof(t->reserved_areas));
		for (unsigned int k = 0; k < n; k++) {
			struct tdmr_reserved_area *r = out ? &t->reserved_areas[out - 1] : NULL;

			/* touching or overlapping the previous one: one area */
			if (r && a[k].start <= t->base + r->offset + r->size) {
				uint64_t end = t->base + r->offset + r->size;

				if (a[k].end > end)
					r->size = a[k].end - t->base - r->offset;
				continue;
			}
			if (out == list->max_reserved) {
				tdx_pr("TDMR %u [0x%llx, 0x%llx) needs more than %u reserved areas",
				       i, (unsigned long long)t->base,
				       (unsigned long long)tdmr_end(t), list->max_reserved);
				ret = -ENOSPC;
				break;
			}
			t->reserved_areas[out].offset = a[k].start - t->base;
			t->reserved_areas[out].size = a[k].end - a[k].start;
			out++;
		}
	}
	free(a);
	return ret;
}

static void free_list(struct tdmr_info_list *list)
{
	free(list->tdmrs);
	free(list->nid);
	free(list->pamt_base);
	free(list->pamt_size);
	memset(list, 0, sizeof(*list));
}

static int alloc_list(struct tdmr_info_list *list, const struct tdmr_params *p)
{
	memset(list, 0, sizeof(*list));
	list->max_tdmrs = p->max_tdmrs;
	list->max_reserved = p->max_reserved_per_tdmr < MAX_RESERVED_PER_TDMR
				     ? p->max_reserved_per_tdmr
				     : MAX_RESERVED_PER_TDMR;
	list->tdmrs = calloc(p->max_tdmrs, sizeof(*list->tdmrs));
	list->nid = calloc(p->max_tdmrs, sizeof(*list->nid));
	list->pamt_base = calloc(p->max_tdmrs, sizeof(*list->pamt_base));
	list->pamt_size = calloc(p->max_tdmrs, sizeof(*list->pamt_size));
	if (!list->tdmrs || !list->nid || !list->pamt_base || !list->pamt_size) {
		free_list(list);
		return -ENOMEM;
	}
	return 0;
}

static bool params_valid(const struct tdmr_params *p)
{
	if (!p->max_tdmrs || p->max_tdmrs > MAX_TDMRS)
		return false;
	for (int l = 0; l < 3; l++) {
		if (!p->pamt_entry_size[l] || p->pamt_entry_size[l] > 4096)
			return false;
	}
	return true;
}

int construct_tdmrs(const struct tdx_memblock *mem, unsigned int nr_mem,
		    const struct tdmr_params *p, const struct pamt_allocator *pa,
		    struct tdmr_info_list *list)
{
	int ret;

	if (!params_valid(p) || !nr_mem)
		return -EINVAL;
	ret = alloc_list(list, p);
	if (ret)
		return ret;
	ret = fill_out_tdmrs(mem, nr_mem, list);
	if (ret)
		goto err_list;
	ret = alloc_pamts(mem, nr_mem, p, pa, list);
	if (ret)
		goto err_list;
	ret = set_reserved_areas(mem, nr_mem, list);
	if (ret)
		goto err_pamts;
	return 0;

err_pamts:
	free_pamts(list, pa);
err_list:
	free_list(list);
	return ret;
}

void free_tdmrs(struct tdmr_info_list *list, const struct pamt_allocator *pa)
{
	if (!list->tdmrs)
		return;
	free_pamts(list, pa);
	free_list(list);
}

uint64_t tdmrs_pamt_bytes(const struct tdmr_info_list *list)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < list->nr_tdmrs; i++)
		n += list->pamt_size[i];
	return n;
}

uint64_t tdmrs_cover_bytes(const struct tdmr_info_list *list)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < list->nr_tdmrs; i++)
		n += list->tdmrs[i].size;
	return n;
}

unsigned int tdmr_nr_reserved(const struct tdmr_info *t)
{
	unsigned int n = 0;

	while (n < MAX_RESERVED_PER_TDMR && t->reserved_areas[n].size)
		n++;
	return n;
}
