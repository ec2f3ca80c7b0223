// SPDX-License-Identifier: MIT
/*
 * A small physical page allocator: per node, a sorted array of free extents [start, end).
 * Allocation is first fit from the top of the node; freeing merges with the neighbours.
 * Extents, not a bitmap: 1 TiB of RAM is a handful of entries, and allocating 4 GiB of
 * PAMT costs one array update.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "page_alloc.h"

struct extent {
	uint64_t start, end;
};

struct node_free {
	struct extent *ext;
	unsigned int nr, cap;
	uint64_t nr_free; /* pages */
};

static pthread_mutex_t pa_lock = PTHREAD_MUTEX_INITIALIZER;
static bool pa_ready;
static struct node_free nodes[PLATFORM_MAX_PACKAGES];
static struct phys_range ram_map[PLATFORM_MAX_RANGES];
static unsigned int nr_ram_map;

static int ext_insert(struct node_free *n, unsigned int at, uint64_t start, uint64_t end)
{
	if (n->nr == n->cap) {
		unsigned int cap = n->cap ? 2 * n->cap : 16;
		struct extent *e = realloc(n->ext, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		n->ext = e;
		n->cap = cap;
	}
	memmove(&n->ext[at + 1], &n->ext[at], (n->nr - at) * sizeof(*n->ext));
	n->ext[at] = (struct extent){start, end};
	n->nr++;
	return 0;
}

static void ext_remove(struct node_free *n, unsigned int at)
{
	memmove(&n->ext[at], &n->ext[at + 1], (n->nr - at - 1) * sizeof(*n->ext));
	n->nr--;
}

/* Add [start, end) to node n, merging with neighbours; -EINVAL if it overlaps free space. */
static int node_add(struct node_free *n, uint64_t start, uint64_t end)
{
	unsigned int i = 0;
	int ret;

	while (i < n->nr && n->ext[i].end <= start)
		i++;
	if (i < n->nr && n->ext[i].start < end)
		return -EINVAL;
	if (i > 0 && n->ext[i - 1].end == start) {
		n->ext[i - 1].end = end;
		if (i < n->nr && n->ext[i].start == end) {
			n->ext[i - 1].end = n->ext[i].end;
			ext_remove(n, i);
		}
	} else if (i < n->nr && n->ext[i].start == end) {
		n->ext[i].start = start;
	} else {
		ret = ext_insert(n, i, start, end);
		if (ret)
			return ret;
	}
	n->nr_free += (end - start) >> PAGE_SHIFT;
	return 0;
}

static void free_all_locked(void)
{
	for (unsigned int i = 0; i < PLATFORM_MAX_PACKAGES; i++) {
		free(nodes[i].ext);
		memset(&nodes[i], 0, sizeof(nodes[i]));
	}
	nr_ram_map = 0;
	pa_ready = false;
}

int page_alloc_init_ranges(const struct phys_range *ram, unsigned int nr)
{
	int ret = 0;

	if (nr > PLATFORM_MAX_RANGES)
		return -EINVAL;
	pthread_mutex_lock(&pa_lock);
	if (pa_ready) {
		pthread_mutex_unlock(&pa_lock);
		return -EBUSY;
	}
	for (unsigned int i = 0; i < nr && !ret; i++) {
		uint64_t start = ram[i].base, end = ram[i].base + ram[i].size;

		if (ram[i].node >= PLATFORM_MAX_PACKAGES) {
			ret = -EINVAL;
			break;
		}
		ram_map[nr_ram_map++] = ram[i];
		if (start < PAGE_ALLOC_LOW_LIMIT)
			start = PAGE_ALLOC_LOW_LIMIT;
		start = (start + PAGE_SIZE - 1) & PAGE_MASK;
		end &= PAGE_MASK;
		if (start < end)
			ret = node_add(&nodes[ram[i].node], start, end);
	}
	if (ret)
		free_all_locked();
	else
		pa_ready = true;
	pthread_mutex_unlock(&pa_lock);
	return ret;
}

int page_alloc_init(void)
{
	const struct machine_config *cfg = platform_config();

	if (!cfg)
		return -ENODEV;
	return page_alloc_init_ranges(cfg->ram, cfg->nr_ram);
}

void page_alloc_exit(void)
{
	pthread_mutex_lock(&pa_lock);
	free_all_locked();
	pthread_mutex_unlock(&pa_lock);
}

/* Highest aligned run of `size` bytes in node n, taken out of the free extents. */
static uint64_t node_take(struct node_free *n, uint64_t size, uint64_t align)
{
	for (unsigned int i = n->nr; i-- > 0;) {
		struct extent *e = &n->ext[i];
		uint64_t start, end;

		if (e->end - e->start < size)
			continue;
		start = (e->end - size) & ~(align - 1);
		if (start < e->start)
			continue;
		end = start + size;
		if (start == e->start && end == e->end) {
			ext_remove(n, i);
		} else if (start == e->start) {
			e->start = end;
		} else if (end == e->end) {
			e->end = start;
		} else {
			uint64_t tail_end = e->end;

			/* split: may fail on memory; then leave the extent alone */
			if (ext_insert(n, i + 1, end, tail_end))
				return 0;
			n->ext[i].end = start;
		}
		n->nr_free -= size >> PAGE_SHIFT;
		return start;
	}
	return 0;
}

static bool valid_request(uint64_t nr_pages, uint64_t align)
{
	return nr_pages && nr_pages < (1ULL << 40) && align >= PAGE_SIZE && !(align & (align - 1));
}

uint64_t alloc_contig_pages_node(uint64_t nr_pages, uint64_t align, int nid)
{
	uint64_t pa = 0;

	if (!valid_request(nr_pages, align) || nid < 0 || nid >= PLATFORM_MAX_PACKAGES)
		return 0;
	pthread_mutex_lock(&pa_lock);
	if (pa_ready)
		pa = node_take(&nodes[nid], nr_pages << PAGE_SHIFT, align);
	pthread_mutex_unlock(&pa_lock);
	return pa;
}

uint64_t alloc_contig_pages(uint64_t nr_pages, uint64_t align, int nid)
{
	uint64_t pa = 0;

	if (!valid_request(nr_pages, align) || nid >= PLATFORM_MAX_PACKAGES)
		return 0;
	pthread_mutex_lock(&pa_lock);
	if (pa_ready && nid >= 0)
		pa = node_take(&nodes[nid], nr_pages << PAGE_SHIFT, align);
	for (int i = 0; pa_ready && !pa && i < PLATFORM_MAX_PACKAGES; i++) {
		if (i != nid)
			pa = node_take(&nodes[i], nr_pages << PAGE_SHIFT, align);
	}
	pthread_mutex_unlock(&pa_lock);
	return pa;
}

static const struct phys_range *ram_range_of(uint64_t pa)
{
	for (unsigned int i = 0; i < nr_ram_map; i++) {
		if (pa >= ram_map[i].base && pa - ram_map[i].base < ram_map[i].size)
			return &ram_map[i];
	}
	return NULL;
}

int page_to_nid(uint64_t pa)
{
	const struct phys_range *r;
	int nid;

	pthread_mutex_lock(&pa_lock);
	r = ram_range_of(pa);
	nid = r ? (int)r->node : NUMA_NO_NODE;
	pthread_mutex_unlock(&pa_lock);
	return nid;
}

/* [pa, end) is RAM of one node (adjacent ranges of a node merge into one extent). */
static int ram_node_of_run(uint64_t pa, uint64_t end)
{
	const struct phys_range *r = ram_range_of(pa);
	int nid = r ? (int)r->node : NUMA_NO_NODE;

	while (r && r->base + r->size < end) {
		r = ram_range_of(r->base + r->size);
		if (!r || (int)r->node != nid)
			return NUMA_NO_NODE;
	}
	return nid;
}

int free_contig_pages(uint64_t pa, uint64_t nr_pages)
{
	uint64_t end = pa + (nr_pages << PAGE_SHIFT);
	int ret = -EINVAL;
	int nid;

	if (!nr_pages || nr_pages >= (1ULL << 40) || (pa & ~PAGE_MASK) ||
	    pa < PAGE_ALLOC_LOW_LIMIT || end < pa)
		return -EINVAL;
	pthread_mutex_lock(&pa_lock);
	nid = ram_node_of_run(pa, end);
	if (pa_ready && nid != NUMA_NO_NODE)
		ret = node_add(&nodes[nid], pa, end);
	pthread_mutex_unlock(&pa_lock);
	return ret;
}

uint64_t page_alloc_nr_free(int nid)
{
	uint64_t n = 0;

	pthread_mutex_lock(&pa_lock);
	for (int i = 0; i < PLATFORM_MAX_PACKAGES; i++) {
		if (nid < 0 || nid == i)
			n += nodes[i].nr_free;
	}
	pthread_mutex_unlock(&pa_lock);
	return n;
}
