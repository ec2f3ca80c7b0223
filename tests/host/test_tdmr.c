// SPDX-License-Identifier: MIT
/*
 * TDMR, PAMT and reserved-area construction from a RAM map alone (no machine), and the
 * page allocator it takes PAMTs from.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "host/page_alloc.h"
#include "host/tdmr.h"

#define GiB (1ULL << 30)
#define MiB (1ULL << 20)
#define KiB (1ULL << 10)

static const struct tdmr_params params = {
	.max_tdmrs = 64,
	.max_reserved_per_tdmr = 16,
	.pamt_entry_size = {16, 16, 16},
};

static uint64_t pa_alloc(uint64_t nr_pages, int nid, void *arg)
{
	(void)arg;
	return alloc_contig_pages(nr_pages, PAGE_SIZE, nid);
}

static void pa_free(uint64_t pa, uint64_t nr_pages, void *arg)
{
	(void)arg;
	assert_int_equal(free_contig_pages(pa, nr_pages), 0);
}

static const struct pamt_allocator allocator = {pa_alloc, pa_free, NULL};

static int teardown(void **state)
{
	(void)state;
	page_alloc_exit();
	return 0;
}

static unsigned int setup(const struct phys_range *ram, unsigned int nr, struct tdx_memblock *mem)
{
	assert_int_equal(page_alloc_init_ranges(ram, nr), 0);
	return tdx_memlist_from_ram(ram, nr, mem);
}

static void test_pamt_sizes(void **state)
{
	(void)state;
	/* docs/TDX-ABI.md §6: a 1 GiB TDMR has 4 MiB of 4K PAMT, 8 KiB of 2M, 4 KiB (rounded) of 1G */
	assert_int_equal(tdmr_pamt_size(GiB, 0, 16), 4 * MiB);
	assert_int_equal(tdmr_pamt_size(GiB, 1, 16), 8 * KiB);
	assert_int_equal(tdmr_pamt_size(GiB, 2, 16), 4 * KiB);
	assert_int_equal(tdmr_pamt_size(1024 * GiB, 0, 16), 4 * GiB);
}

/* A PC map: the first 1 MiB skipped, holes reserved, the PAMT reserved where it lies. */
static void test_pc_map(void **state)
{
	const struct phys_range ram[] = {
		{0, 640 * KiB, 0},
		{1 * MiB, 2 * GiB - 1 * MiB, 0},
		{4 * GiB, 14 * GiB + 512 * MiB, 0}, /* ends at 18.5 GiB */
	};
	struct tdx_memblock mem[TDX_MAX_MEMBLOCKS];
	struct tdmr_info_list l;
	unsigned int nr = setup(ram, 3, mem);
	uint64_t free_before = page_alloc_nr_free(NUMA_NO_NODE);
	const struct tdmr_info *t;

	(void)state;
	assert_int_equal(nr, 2);
	assert_int_equal(mem[0].start, 1 * MiB);
	assert_int_equal(construct_tdmrs(mem, nr, &params, &allocator, &l), 0);
	assert_int_equal(l.nr_tdmrs, 2);

	t = &l.tdmrs[0];
	assert_int_equal(t->base, 0);
	assert_int_equal(t->size, 2 * GiB);
	assert_int_equal(t->pamt_4k_size, 8 * MiB);
	assert_int_equal(t->pamt_2m_size, 16 * KiB);
	assert_int_equal(t->pamt_1g_size, 4 * KiB);
	assert_int_equal(t->pamt_2m_base, t->pamt_4k_base + t->pamt_4k_size);
	assert_int_equal(t->pamt_1g_base, t->pamt_2m_base + t->pamt_2m_size);
	/* [0, 1M) is not TDX memory. Both PAMTs come from the top of RAM, in TDMR 1. */
	assert_int_equal(tdmr_nr_reserved(t), 1);
	assert_int_equal(t->reserved_areas[0].offset, 0);
	assert_int_equal(t->reserved_areas[0].size, 1 * MiB);

	t = &l.tdmrs[1];
	assert_int_equal(t->base, 4 * GiB);
	assert_int_equal(t->size, 15 * GiB);
	/* the two PAMT chunks (top-down, adjacent) and the hole above them: one area */
	assert_int_equal(tdmr_nr_reserved(t), 1);
	assert_int_equal(l.pamt_base[0], l.pamt_base[1] + l.pamt_size[1]);
	assert_int_equal(l.pamt_base[0] + l.pamt_size[0], 18 * GiB + 512 * MiB);
	assert_int_equal(t->reserved_areas[0].offset + t->base, l.pamt_base[1]);
	assert_int_equal(t->reserved_areas[0].offset + t->reserved_areas[0].size, 15 * GiB);

	assert_int_equal(free_before - page_alloc_nr_free(NUMA_NO_NODE),
			 tdmrs_pamt_bytes(&l) >> PAGE_SHIFT);
	free_tdmrs(&l, &allocator);
	assert_int_equal(page_alloc_nr_free(NUMA_NO_NODE), free_before);
	page_alloc_exit();
}

/* Two nodes: each TDMR's PAMT on its own node; regions that meet after rounding merge. */
static void test_numa_and_merge(void **state)
{
	const struct phys_range ram[] = {
		{1 * MiB, 3 * GiB - 1 * MiB - 256 * MiB, 0},   /* rounds up to 3G */
		{3 * GiB - 128 * MiB, 1 * GiB + 128 * MiB, 0}, /* overlaps the rounding: merge */
		{4 * GiB, 4 * GiB, 0},			       /* touches, same node: merge */
		{8 * GiB, 8 * GiB, 1},			       /* touches, other node: new */
	};
	struct tdx_memblock mem[TDX_MAX_MEMBLOCKS];
	struct tdmr_info_list l;
	unsigned int nr = setup(ram, 4, mem);

	(void)state;
	assert_int_equal(construct_tdmrs(mem, nr, &params, &allocator, &l), 0);
	assert_int_equal(l.nr_tdmrs, 2);
	assert_int_equal(l.tdmrs[0].base, 0);
	assert_int_equal(l.tdmrs[0].size, 8 * GiB);
	assert_int_equal(l.tdmrs[1].base, 8 * GiB);
	assert_int_equal(l.tdmrs[1].size, 8 * GiB);
	assert_int_equal(page_to_nid(l.pamt_base[0]), 0);
	assert_int_equal(page_to_nid(l.pamt_base[1]), 1);
	/* TDMR 0: [0,1M) and the hole [2.75G, 2.875G) */
	assert_int_equal(tdmr_nr_reserved(&l.tdmrs[0]), 3); /* and its PAMT, at the top */
	assert_int_equal(l.tdmrs[0].reserved_areas[1].offset,
			 3 * GiB - 1 * MiB - 256 * MiB + 1 * MiB);
	assert_int_equal(l.tdmrs[0].reserved_areas[1].size, 128 * MiB);
	free_tdmrs(&l, &allocator);
	page_alloc_exit();
}

/* More regions than TDMRs, or holes than reserved areas: -ENOSPC, nothing left behind. */
static void test_enospc(void **state)
{
	struct phys_range ram[20];
	struct tdx_memblock mem[TDX_MAX_MEMBLOCKS];
	struct tdmr_info_list l;
	struct tdmr_params p = params;
	unsigned int nr;
	uint64_t free_before;

	(void)state;
	/* 20 regions 2 GiB apart: 20 TDMRs */
	for (unsigned int i = 0; i < 20; i++)
		ram[i] = (struct phys_range){(2 * i + 1) * GiB, GiB, 0};
	nr = setup(ram, 20, mem);
	free_before = page_alloc_nr_free(NUMA_NO_NODE);
	p.max_tdmrs = 19;
	assert_int_equal(construct_tdmrs(mem, nr, &p, &allocator, &l), -ENOSPC);
	assert_null(l.tdmrs);
	p.max_tdmrs = 20;
	assert_int_equal(construct_tdmrs(mem, nr, &p, &allocator, &l), 0);
	free_tdmrs(&l, &allocator);
	page_alloc_exit();

	/* 20 regions of 16 MiB with holes in one 1 GiB: 20 holes > 16 areas */
	for (unsigned int i = 0; i < 20; i++)
		ram[i] = (struct phys_range){1 * GiB + i * 32 * MiB, 16 * MiB, 0};
	ram[19].size = 64 * MiB; /* room for the PAMT */
	nr = setup(ram, 20, mem);
	free_before = page_alloc_nr_free(NUMA_NO_NODE);
	assert_int_equal(construct_tdmrs(mem, nr, &params, &allocator, &l), -ENOSPC);
	assert_int_equal(page_alloc_nr_free(NUMA_NO_NODE), free_before);
	page_alloc_exit();
}

/* No memory for a PAMT: -ENOMEM, and the PAMTs already taken come back. */
static void test_enomem(void **state)
{
	const struct phys_range ram[] = {
		{1 * MiB, 1 * GiB - 1 * MiB, 0},
		{64 * GiB, 1024 * GiB, 1},
	};
	struct tdx_memblock mem[TDX_MAX_MEMBLOCKS];
	struct tdmr_info_list l;
	unsigned int nr = setup(ram, 2, mem);
	uint64_t free_before, hog;

	(void)state;
	/* leave 1 GiB free in all: TDMR 1 needs 4 GiB of PAMT */
	hog = alloc_contig_pages((1023ULL * GiB) >> PAGE_SHIFT, PAGE_SIZE, 1);
	assert_true(hog != 0);
	free_before = page_alloc_nr_free(NUMA_NO_NODE);
	assert_int_equal(construct_tdmrs(mem, nr, &params, &allocator, &l), -ENOMEM);
	assert_int_equal(page_alloc_nr_free(NUMA_NO_NODE), free_before);
	assert_int_equal(free_contig_pages(hog, (1023ULL * GiB) >> PAGE_SHIFT), 0);
	assert_int_equal(construct_tdmrs(mem, nr, &params, &allocator, &l), 0);
	free_tdmrs(&l, &allocator);
	page_alloc_exit();
}

static void test_page_alloc(void **state)
{
	const struct phys_range ram[] = {
		{0, 640 * KiB, 0},
		{1 * MiB, 15 * MiB, 0},
		{16 * MiB, 16 * MiB, 1},
	};
	uint64_t a, b, c;

	(void)state;
	assert_int_equal(page_alloc_init_ranges(ram, 3), 0);
	assert_int_equal(page_alloc_init_ranges(ram, 3), -EBUSY);
	/* nothing below 1 MiB */
	assert_int_equal(page_alloc_nr_free(0), (15 * MiB) >> PAGE_SHIFT);
	assert_int_equal(page_alloc_nr_free(1), (16 * MiB) >> PAGE_SHIFT);
	/* top-down on the preferred node */
	a = alloc_contig_pages(1, PAGE_SIZE, 0);
	assert_int_equal(a, 16 * MiB - PAGE_SIZE);
	b = alloc_contig_pages(256, 1 * MiB, 1);
	assert_int_equal(b, 31 * MiB);
	/* alignment splits an extent */
	c = alloc_contig_pages(1, 2 * MiB, 0);
	assert_int_equal(c, 14 * MiB);
	assert_int_equal(page_to_nid(b), 1);
	assert_int_equal(page_to_nid(512 * KiB), 0);
	assert_int_equal(page_to_nid(800 * KiB), NUMA_NO_NODE);
	/* fallback to another node; then nothing fits */
	assert_true(alloc_contig_pages((15 * MiB) >> PAGE_SHIFT, PAGE_SIZE, 0) != 0);
	assert_int_equal(alloc_contig_pages_node(1 << 12, PAGE_SIZE, 1), 0);
	assert_int_equal(alloc_contig_pages(1ULL << 20, PAGE_SIZE, 0), 0);
	/* double free and bad frees */
	assert_int_equal(free_contig_pages(a, 1), 0);
	assert_int_equal(free_contig_pages(a, 1), -EINVAL);
	assert_int_equal(free_contig_pages(512 * KiB, 1), -EINVAL);
	assert_int_equal(free_contig_pages(a + 1, 1), -EINVAL);
	page_alloc_exit();
	assert_int_equal(alloc_page(0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_pamt_sizes, teardown),
		cmocka_unit_test_teardown(test_pc_map, teardown),
		cmocka_unit_test_teardown(test_numa_and_merge, teardown),
		cmocka_unit_test_teardown(test_enospc, teardown),
		cmocka_unit_test_teardown(test_enomem, teardown),
		cmocka_unit_test_teardown(test_page_alloc, teardown),
	};

	return cmocka_run_group_tests_name("host_tdmr", tests, NULL, NULL);
}
