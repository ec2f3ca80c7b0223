// SPDX-License-Identifier: MIT
/*
 * Module snapshots (module/snapshot.c, platform/physmem.c): after an input that built, ran
 * and half tore down TDs, wrote host memory, hid and poisoned pages and moved CACHE.WB, a
 * restore gives back exactly the freshly brought-up machine: the module's state byte for
 * byte, every RAM page's residency and contents (the PAMT included), the hidden set, the
 * global metadata read back by TDH.SYS.RD, no TD window; and a TD built after the restore
 * reads back (TDH.MNG.RD, TDH.VP.RD, TDH.MEM.SEPT.RD, its window) exactly as one built on
 * the fresh machine.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "td.h"
#include "td_harness.h"
#include "tdx/leaves.h"

/* The leaf names for the guest code below (tdx/leaves.h): movl $TDG_VP_VEINFO_GET, %eax. */
asm(TDX_LEAVES_ASM_EQU);

static char msg[8192];
static struct td_window *windows[TD_WINDOW_MAX];

/* ---- the machine's state, as the tests read it ------------------------------------------- */

#define MAX_MD 1024

struct md_walk {
	unsigned int n;
	uint64_t id[MAX_MD], status[MAX_MD], value[MAX_MD];
};

struct machine_state {
	struct tdx_module_state m;
	unsigned int nr_pages; /* resident RAM pages */
	uint64_t *pa;	       /* their HPAs, ascending */
	uint8_t *data;	       /* their contents */
	uint64_t *hidden;      /* hidden pages, ascending */
	unsigned int nr_hidden;
	uint64_t resident_bytes; /* phys_resident_bytes() */
	struct md_walk sys;	 /* TDH.SYS.RD from the first field to the last */
};

/* Follow a metadata walk (TDH.SYS.RD, TDH.MNG.RD, TDH.VP.RD version 1) from the first field. */
static void md_walk(struct md_walk *w, uint64_t leaf, uint64_t rcx)
{
	uint64_t id = MD_FIELD_ID_NA;

	w->n = 0;
	do {
		struct tdx_module_args a = {.rcx = rcx, .rdx = id, .r8 = 0xdead};

		w->id[w->n] = id;
		w->status[w->n] = td_call(leaf, &a);
		w->value[w->n] = a.r8;
		w->n++;
		id = a.rdx;
	} while (id != MD_FIELD_ID_NA && w->n < MAX_MD);
}

static void state_read(struct machine_state *st)
{
	const struct machine_config *cfg = platform_config();
	unsigned int cap = 0;

	memset(st, 0, sizeof(*st));
	memcpy(&st->m, &tdxm, sizeof(tdxm));
	for (unsigned int r = 0; r < cfg->nr_ram; r++) {
		uint64_t base = cfg->ram[r].base, size = cfg->ram[r].size & ~(uint64_t)4095;
		size_t n = size / 4096;
		unsigned char *vec = malloc(n);

		assert_non_null(vec);
		/* mincore does not allocate: the state is read without changing residency. */
		assert_int_equal(mincore(phys_seam_va(base), size, vec), 0);
		for (size_t i = 0; i < n; i++) {
			uint64_t pa = base + i * 4096;

			if (phys_is_hidden(pa)) {
				st->hidden = realloc(st->hidden, (st->nr_hidden + 1) * 8);
				assert_non_null(st->hidden);
				st->hidden[st->nr_hidden++] = pa;
			}
			if (!(vec[i] & 1))
				continue;
			if (st->nr_pages == cap) {
				cap = cap ? 2 * cap : 256;
				st->pa = realloc(st->pa, cap * sizeof(*st->pa));
				st->data = realloc(st->data, (size_t)cap * 4096);
				assert_non_null(st->pa);
				assert_non_null(st->data);
			}
			st->pa[st->nr_pages] = pa;
			memcpy(st->data + (size_t)st->nr_pages * 4096, phys_seam_va(pa), 4096);
			st->nr_pages++;
		}
		free(vec);
	}
	st->resident_bytes = phys_resident_bytes();
	md_walk(&st->sys, TDH_SYS_RD, 0);
}

static void state_free(struct machine_state *st)
{
	free(st->pa);
	free(st->data);
	free(st->hidden);
}

/* Field by field where the module's state has names; byte for byte for the rest. */
static void state_assert_equal(const struct machine_state *a, const struct machine_state *b)
{
	assert_int_equal(a->m.sys_state, b->m.sys_state);
	assert_int_equal(a->m.nr_tdmrs, b->m.nr_tdmrs);
	assert_int_equal(a->m.num_init_lps, b->m.num_init_lps);
	assert_int_equal(a->m.pkg_config_bitmap, b->m.pkg_config_bitmap);
	assert_int_equal(a->m.rng_state, b->m.rng_state);
	assert_memory_equal(a->m.kot, b->m.kot, sizeof(a->m.kot));
	assert_memory_equal(a->m.lp, b->m.lp, sizeof(a->m.lp));
	assert_memory_equal(a->m.tdmr, b->m.tdmr, sizeof(a->m.tdmr));
	assert_memory_equal(a->m.report_key, b->m.report_key, sizeof(a->m.report_key));
	assert_memory_equal(&a->m, &b->m, sizeof(a->m));

	for (unsigned int i = 0, j = 0; i < a->nr_pages || j < b->nr_pages;) {
		if (j == b->nr_pages || (i < a->nr_pages && a->pa[i] < b->pa[j]))
			print_message("resident only before: 0x%llx\n",
				      (unsigned long long)a->pa[i++]);
		else if (i == a->nr_pages || b->pa[j] < a->pa[i])
			print_message("resident only after: 0x%llx\n",
				      (unsigned long long)b->pa[j++]);
		else
			i++, j++;
	}
	assert_int_equal(a->nr_pages, b->nr_pages);
	for (unsigned int i = 0; i < a->nr_pages; i++) {
		assert_int_equal(a->pa[i], b->pa[i]);
		if (memcmp(a->data + (size_t)i * 4096, b->data + (size_t)i * 4096, 4096))
			fail_msg("page 0x%llx differs", (unsigned long long)a->pa[i]);
	}
	assert_int_equal(a->resident_bytes, b->resident_bytes);
	assert_int_equal(a->nr_hidden, b->nr_hidden);
	if (a->nr_hidden)
		assert_memory_equal(a->hidden, b->hidden, a->nr_hidden * 8);
	assert_true(a->sys.n > 10);
	assert_int_equal(a->sys.n, b->sys.n);
	assert_memory_equal(a->sys.id, b->sys.id, a->sys.n * 8);
	assert_memory_equal(a->sys.status, b->sys.status, a->sys.n * 8);
	assert_memory_equal(a->sys.value, b->sys.value, a->sys.n * 8);
}

/* ---- a TD, built the same way on the fresh and on the restored machine -------------------- */

/* The guest: TDG.VP.VMCALL with nothing exposed, forever. */
extern const uint8_t snap_guest[], snap_guest_end[];
__asm__(".pushsection .rodata\n"
	"snap_guest:\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	xorl %ecx, %ecx\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	jmp snap_guest\n"
	"snap_guest_end:\n"
	".popsection\n");

#define NR_SEPT_GPAS 4
static const uint64_t sept_gpas[NR_SEPT_GPAS] = {TD_CODE_GPA, TD_DATA_GPA, 0xFFE00000ULL, 0};

struct td_readback {
	struct md_walk mng, vp;
	uint64_t sept[NR_SEPT_GPAS][3]; /* status, entry (RCX), level info (RDX) */
	uint8_t code[4096], data[4096]; /* through the TD window */
	bool mapped[NR_SEPT_GPAS];
	uint64_t pamt_tdr[2]; /* TDH.PHYMEM.PAGE.RDMD of the TDR: RCX, RDX */
};

static void td_build(struct test_td *td)
{
	static uint8_t code[4096], data[4096];

	td_page_alloc_reset();
	td_code_page(code, snap_guest, snap_guest_end);
	memset(data, 0x5A, sizeof(data));
	assert_int_equal(td_build_guest(td, code, data, NULL), 0);
}

static void td_read(const struct test_td *td, struct td_readback *r)
{
	struct tdx_module_args a;

	memset(r, 0, sizeof(*r));
	md_walk(&r->mng, TDH_MNG_RD | 1ULL << 16, td->tdr);
	md_walk(&r->vp, TDH_VP_RD | 1ULL << 16, td->tdvpr[0]);
	assert_true(r->mng.n > 10);
	assert_true(r->vp.n > 10);
	for (unsigned int i = 0; i < NR_SEPT_GPAS; i++) {
		a = (struct tdx_module_args){.rcx = sept_gpas[i], .rdx = td->tdr};
		r->sept[i][0] = td_call(TDH_MEM_SEPT_RD, &a);
		r->sept[i][1] = a.rcx;
		r->sept[i][2] = a.rdx;
		r->mapped[i] = td_window_is_mapped(td->window, sept_gpas[i], false);
	}
	assert_int_equal(r->sept[0][0], 0);
	assert_true(r->mapped[0]);
	memcpy(r->code, td_window_va(td->window, TD_CODE_GPA, false), 4096);
	memcpy(r->data, td_window_va(td->window, TD_DATA_GPA, false), 4096);
	a = (struct tdx_module_args){.rcx = td->tdr};
	assert_int_equal(td_call(TDH_PHYMEM_PAGE_RDMD, &a), 0);
	r->pamt_tdr[0] = a.rcx;
	r->pamt_tdr[1] = a.rdx;
}

static void td_readback_assert_equal(const struct td_readback *a, const struct td_readback *b)
{
	assert_int_equal(a->mng.n, b->mng.n);
	assert_memory_equal(a->mng.id, b->mng.id, a->mng.n * 8);
	assert_memory_equal(a->mng.status, b->mng.status, a->mng.n * 8);
	assert_memory_equal(a->mng.value, b->mng.value, a->mng.n * 8);
	assert_int_equal(a->vp.n, b->vp.n);
	assert_memory_equal(a->vp.id, b->vp.id, a->vp.n * 8);
	assert_memory_equal(a->vp.status, b->vp.status, a->vp.n * 8);
	assert_memory_equal(a->vp.value, b->vp.value, a->vp.n * 8);
	assert_memory_equal(a->sept, b->sept, sizeof(a->sept));
	assert_memory_equal(a->mapped, b->mapped, sizeof(a->mapped));
	assert_memory_equal(a->code, b->code, 4096);
	assert_memory_equal(a->data, b->data, 4096);
	assert_memory_equal(a->pamt_tdr, b->pamt_tdr, sizeof(a->pamt_tdr));
}

static void checkers_quiet(void)
{
	assert_int_equal(tdx_pamt_check(msg, sizeof(msg)), 0);
	assert_int_equal(tdx_sept_check(msg, sizeof(msg)), 0);
}

/* ---- an input that changes much ------------------------------------------------------------ */

static void scribble(void)
{
	struct test_td td, td2;
	struct tdx_module_args a;
	struct td_params p;
	uint64_t hidden_pa;

	/* A TD built and run (VP.ENTER through the gate, TDG.VP.VMCALL back). */
	platform_claim_signals();
	td_build(&td);
	a = (struct tdx_module_args){.rcx = td.tdvpr[0]};
	td_path = PATH_GATE;
	assert_int_equal(td_call(TDH_VP_ENTER, &a), EXIT_REASON_TDCALL);
	td_path = PATH_DIRECT;
	/* Its metadata written, a page removed from its window by a block. */
	a = (struct tdx_module_args){.rcx = TD_DATA_GPA, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_RANGE_BLOCK, &a), 0);
	/* A second TD, created, keyed and initialised (a second window). */
	assert_int_equal(td_create(&td2, TD_HKID + 1), 0);
	td_params_default(&p);
	assert_int_equal(td_init(&td2, &p), 0);
	/* Host memory written: a TDMR page, a page outside the TDMRs, the SYS.INFO buffer. */
	/* (A phys_host_va() pointer is for its own page: platform.h, touch logs.) */
	for (uint64_t pa = 5 * GiB + 12 * MiB; pa < 5 * GiB + 12 * MiB + 3 * 4096; pa += 4096)
		memset(phys_host_va(pa), 0xA5, 4096);
	memset(phys_host_va(ARRAY_PA + 0x800), 0x11, 64);
	memset(phys_host_va(SYSINFO_PA), 0x22, 1024);
	/* A TD page poisoned by a host write through the direct map. */
	hidden_pa = td.tdcx[0];
	assert_true(phys_is_hidden(hidden_pa));
	*(volatile uint8_t *)phys_host_va(hidden_pa) = 1;
	assert_true(phys_is_poisoned(hidden_pa));
	/* CACHE.WB interrupted half way on package 0 (its progress outlives the call). */
	a = (struct tdx_module_args){0};
	td_call_on(0, TDH_PHYMEM_CACHE_WB, &a);
	/* The first TD torn down in part: its vCPU flushed and the HKID freed. */
	a = (struct tdx_module_args){.rcx = td.tdvpr[0]};
	assert_int_equal(td_call(TDH_VP_FLUSH, &a), 0);
	a = (struct tdx_module_args){.rcx = td.tdr};
	assert_int_equal(td_call(TDH_MNG_VPFLUSHDONE, &a), 0);
	assert_int_equal(module_windows_get(windows), 2);
}

/* ---- the tests ------------------------------------------------------------------------------ */

static void test_restore_is_fresh(void **state)
{
	static struct machine_state fresh, restored, again;
	static struct td_readback td_fresh, td_restored;
	struct tdx_module_snapshot *snap;
	struct test_td td;

	(void)state;
	state_read(&fresh);
	assert_true(fresh.nr_pages > 0);
	assert_int_equal(tdx_module_snapshot_take(&snap), 0);
	assert_true(tdx_module_snapshot_bytes(snap) >= (uint64_t)fresh.nr_pages * 4096);

	/* What a TD built on the fresh machine reads back. */
	td_build(&td);
	td_read(&td, &td_fresh);
	checkers_quiet();

	/* An input that changes much, then the restore. */
	assert_int_equal(tdx_module_snapshot_restore(snap), 0);
	scribble();
	assert_int_equal(tdx_module_snapshot_restore(snap), 0);
	/* The restore looked at the touched pages only; a comparison of all finds nothing. */
	assert_int_equal(tdx_module_snapshot_differences(snap, msg, sizeof(msg)), 0);
	assert_int_equal(module_windows_get(windows), 0);
	/* (Reading a PAMT entry can allocate its page: read the state first.) */
	state_read(&restored);
	state_assert_equal(&fresh, &restored);
	assert_null(tdx_module_td_window(td.tdr));
	checkers_quiet();

	/* The restored machine builds the same TD, reading back the same. */
	td_build(&td);
	td_read(&td, &td_restored);
	td_readback_assert_equal(&td_fresh, &td_restored);
	checkers_quiet();

	/* And a restore over that is fresh again (the snapshot is reusable). */
	assert_int_equal(tdx_module_snapshot_restore(snap), 0);
	state_read(&again);
	state_assert_equal(&fresh, &again);
	tdx_module_snapshot_free(snap);
	state_free(&fresh);
	state_free(&restored);
	state_free(&again);
}

/* The restore undoes the PAMT of every level: a 2M page added and an EPT page, byte for byte. */
static void test_restore_pamt_levels(void **state)
{
	static struct machine_state fresh, restored;
	struct tdx_module_snapshot *snap;
	struct test_td td;
	struct tdx_module_args a;
	uint64_t page2m;

	(void)state;
	td_page_alloc_reset();
	state_read(&fresh);
	assert_int_equal(tdx_module_snapshot_take(&snap), 0);
	assert_int_equal(td_build_basic(&td), 0);
	/* The tables for GPA 0 hold the 2M entry of 0x200000: after MR.FINALIZE
	 * (td_build_basic), a 2M page by PAGE.AUG at level 1 there. */
	assert_int_equal(td_sept_map(&td, 0), 0);
	page2m = td_page_alloc_2m();
	a = (struct tdx_module_args){.rcx = 0x200000 | 1, .rdx = td.tdr, .r8 = page2m};
	assert_int_equal(td_call(TDH_MEM_PAGE_AUG, &a), 0);
	assert_int_equal(pamt_entry_get(page2m, PT_2MB)->pt, PT_REG);
	checkers_quiet();
	assert_int_equal(tdx_module_snapshot_restore(snap), 0);
	state_read(&restored);
	state_assert_equal(&fresh, &restored);
	assert_int_equal(pamt_entry_get(page2m, PT_2MB)->pt, PT_NDA);
	assert_int_equal(pamt_entry_get(td.tdr, PT_4KB)->pt, PT_NDA);
	checkers_quiet();
	tdx_module_snapshot_free(snap);
	state_free(&fresh);
	state_free(&restored);
}

/* A window's mappings and the contents of its mapped pages. */
struct window_state {
	struct td_window_page *pages;
	size_t nr;
	uint8_t *data;
};

static void window_read(struct td_window *w, struct window_state *ws)
{
	assert_int_equal(td_window_mappings(w, &ws->pages, &ws->nr), 0);
	ws->data = malloc(ws->nr * 4096 + 1);
	assert_non_null(ws->data);
	for (size_t i = 0; i < ws->nr; i++) {
		assert_true(td_window_is_mapped(w, ws->pages[i].gpa, ws->pages[i].shared));
		memcpy(ws->data + i * 4096, td_window_va(w, ws->pages[i].gpa, ws->pages[i].shared),
		       4096);
	}
}

static void window_assert_equal(const struct window_state *a, const struct window_state *b)
{
	assert_int_equal(a->nr, b->nr);
	for (size_t i = 0; i < a->nr; i++) {
		assert_int_equal(a->pages[i].gpa, b->pages[i].gpa);
		assert_int_equal(a->pages[i].hpa, b->pages[i].hpa);
		assert_int_equal(a->pages[i].shared, b->pages[i].shared);
		assert_int_equal(a->pages[i].prot, b->pages[i].prot);
	}
	assert_memory_equal(a->data, b->data, a->nr * 4096);
}

static void window_free(struct window_state *ws)
{
	free(ws->pages);
	free(ws->data);
}

/*
 * A snapshot taken with a built and entered TD (as fuzz_tdcall_seq takes one): after the TD
 * was run, blocked, written through its window, torn down to the last page and another TD
 * built, the restore gives back the machine, the same window with the same mappings and
 * contents, and the vCPU runs on as it would have.
 */
static void test_restore_with_td(void **state)
{
	static struct machine_state fresh, restored;
	static struct td_readback rb_fresh, rb_restored;
	struct window_state w_fresh, w_restored;
	struct tdx_module_snapshot *snap;
	struct tdx_module_args a, first, again;
	struct test_td td, td2;
	struct td_window *w;

	(void)state;
	platform_claim_signals();
	td_build(&td);
	td_path = PATH_GATE;
	first = (struct tdx_module_args){.rcx = td.tdvpr[0]};
	assert_int_equal(td_call(TDH_VP_ENTER, &first), EXIT_REASON_TDCALL);
	td_path = PATH_DIRECT;
	/* A shared page too, mapped by the host. */
	assert_int_equal(td_window_map(td.window, 0x10000, true, 5 * GiB, PROT_READ | PROT_WRITE),
			 0);
	w = td.window;
	/* (Reading a page through the window can allocate it: before the state is read.) */
	td_read(&td, &rb_fresh);
	window_read(w, &w_fresh);
	state_read(&fresh);
	assert_true(w_fresh.nr >= 3);
	assert_int_equal(tdx_module_snapshot_take(&snap), 0);

	/* The input: the TD written, blocked, torn down; another TD built. */
	memset(td_window_va(w, TD_DATA_GPA, false), 0x77, 4096);
	assert_int_equal(td_window_unmap(w, 0x10000, true), 0);
	a = (struct tdx_module_args){.rcx = TD_DATA_GPA, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_RANGE_BLOCK, &a), 0);
	assert_false(td_window_is_mapped(w, TD_DATA_GPA, false));
	assert_int_equal(td_teardown(&td), 0);
	assert_int_equal(module_windows_get(windows), 0);
	assert_int_equal(td_create(&td2, TD_HKID + 1), 0);

	assert_int_equal(tdx_module_snapshot_restore(snap), 0);
	assert_int_equal(tdx_module_snapshot_differences(snap, msg, sizeof(msg)), 0);
	state_read(&restored);
	state_assert_equal(&fresh, &restored);
	assert_int_equal(module_windows_get(windows), 1);
	assert_ptr_equal(windows[0], w);
	assert_ptr_equal(tdx_module_td_window(td.tdr), w);
	window_read(w, &w_restored);
	window_assert_equal(&w_fresh, &w_restored);
	td_read(&td, &rb_restored);
	td_readback_assert_equal(&rb_fresh, &rb_restored);
	checkers_quiet();

	/* The vCPU runs on: the same exit as its first one. */
	td_path = PATH_GATE;
	again = (struct tdx_module_args){.rcx = td.tdvpr[0]};
	assert_int_equal(td_call(TDH_VP_ENTER, &again), EXIT_REASON_TDCALL);
	td_path = PATH_DIRECT;
	assert_memory_equal(&again, &first, sizeof(again));

	/* Restored twice: the second restore, after the run, is the snapshot again. */
	assert_int_equal(tdx_module_snapshot_restore(snap), 0);
	window_free(&w_restored);
	window_read(w, &w_restored);
	window_assert_equal(&w_fresh, &w_restored);
	tdx_module_snapshot_free(snap);
	window_free(&w_fresh);
	window_free(&w_restored);
	state_free(&fresh);
	state_free(&restored);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_restore_is_fresh, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_restore_pamt_levels, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_restore_with_td, td_machine_setup,
						td_machine_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
