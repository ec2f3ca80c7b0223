// SPDX-License-Identifier: MIT
/*
 * Stress: 8 threads on the machine's 4 LPs issue random memory-management leaves with random
 * but plausible operands (GPAs of a few SEPT regions, pages of a shared pool) on 3 shared
 * TDs. Every status must be SUCCESS, a BUSY, or an error the leaf documents for that
 * situation (the allow-list below). Then every TD is torn down and the PAMT must be clean.
 * Iterations per thread: TDXSIM_STRESS_ITERS (default 5000). Also in the 'concurrency'
 * suite (TSan).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "td.h"
#include "td_harness.h"

#define NR_THREADS 8
#define NR_TDS	   3
#define NR_PAGES   96
#define NR_2M	   6
#define G	   0x40000000ULL
#define NR_SLOTS4K 16 /* 4K leaves in the first 2M region */
#define NR_REGIONS 4  /* 2M regions: 0 has a 4K table, 1..3 take 2M leaves */

static struct test_td tds[NR_TDS];
static uint64_t pool[NR_PAGES], pool2m[NR_2M];

/* Status codes (without operand) each leaf may return here, besides SUCCESS and BUSY. */
static const struct {
	unsigned int leaf;
	uint64_t ok[6];
} allowed[] = {
	{TDH_MEM_PAGE_AUG,
	 {TDX_EPT_ENTRY_STATE_INCORRECT, TDX_PAGE_METADATA_INCORRECT, TDX_EPT_WALK_FAILED}},
	{TDH_MEM_RANGE_BLOCK,
	 {TDX_GPA_RANGE_ALREADY_BLOCKED, TDX_EPT_ENTRY_STATE_INCORRECT, TDX_EPT_WALK_FAILED}},
	{TDH_MEM_RANGE_UNBLOCK,
	 {TDX_EPT_ENTRY_STATE_INCORRECT, TDX_TLB_TRACKING_NOT_DONE, TDX_EPT_WALK_FAILED}},
	{TDH_MEM_TRACK, {TDX_PREVIOUS_TLB_EPOCH_BUSY}},
	{TDH_MEM_PAGE_REMOVE,
	 {TDX_EPT_ENTRY_STATE_INCORRECT, TDX_GPA_RANGE_NOT_BLOCKED, TDX_TLB_TRACKING_NOT_DONE,
	  TDX_EPT_WALK_FAILED}},
	{TDH_MEM_SEPT_RD, {TDX_EPT_WALK_FAILED}},
	{TDH_MEM_SEPT_ADD,
	 {TDX_EPT_ENTRY_STATE_INCORRECT, TDX_EPT_WALK_FAILED, TDX_PAGE_METADATA_INCORRECT}},
	{TDH_MEM_SEPT_REMOVE,
	 {TDX_EPT_ENTRY_STATE_INCORRECT, TDX_GPA_RANGE_NOT_BLOCKED, TDX_TLB_TRACKING_NOT_DONE,
	  TDX_EPT_PAGE_NOT_FREE, TDX_EPT_WALK_FAILED}},
	{TDH_PHYMEM_PAGE_RDMD, {0}},
	{TDH_PHYMEM_PAGE_RECLAIM,
	 {TDX_PAGE_METADATA_INCORRECT, TDX_LIFECYCLE_STATE_INCORRECT, TDX_OPERAND_INVALID}},
	{TDH_PHYMEM_PAGE_WBINVD, {TDX_PAGE_METADATA_INCORRECT}},
	{TDH_VP_FLUSH, {TDX_VCPU_NOT_ASSOCIATED}},
};

static bool status_allowed(unsigned int leaf, uint64_t s)
{
	uint64_t code = tdx_status_code(s);

	if (!s || code == TDX_OPERAND_BUSY)
		return true;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		if (allowed[i].leaf != leaf)
			continue;
		for (size_t j = 0; j < 6; j++)
			if (allowed[i].ok[j] && allowed[i].ok[j] == code)
				return true;
	}
	return false;
}

/* Counts per (leaf, status code). */
struct count {
	unsigned int leaf;
	uint64_t code;
	unsigned long n;
};

struct worker {
	unsigned int id;
	unsigned long iters;
	uint64_t rng;
	struct count counts[128];
	unsigned int nr_counts;
	unsigned long bad;
	char first_bad[160];
};

static void count(struct worker *w, unsigned int leaf, uint64_t s)
{
	uint64_t code = tdx_status_code(s);

	for (unsigned int i = 0; i < w->nr_counts; i++)
		if (w->counts[i].leaf == leaf && w->counts[i].code == code) {
			w->counts[i].n++;
			return;
		}
	if (w->nr_counts < 128)
		w->counts[w->nr_counts++] = (struct count){leaf, code, 1};
}

static uint64_t rnd(struct worker *w, uint64_t n)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng % n;
}

static uint64_t gpa4k(struct worker *w)
{
	return G + rnd(w, NR_SLOTS4K) * _4K;
}

static uint64_t gpa2m(struct worker *w)
{
	return G + rnd(w, NR_REGIONS) * _2M;
}

static void one_call(struct worker *w)
{
	struct test_td *td = &tds[rnd(w, NR_TDS)];
	struct tdx_module_args a = {0};
	unsigned int lp = w->id % NR_LPS;
	unsigned int leaf;
	uint64_t s;

	switch (rnd(w, 14)) {
	case 0:
	case 1:
		leaf = TDH_MEM_PAGE_AUG;
		a = (struct tdx_module_args){
			.rcx = gpa4k(w), .rdx = td->tdr, .r8 = pool[rnd(w, NR_PAGES)]};
		break;
	case 2:
		leaf = TDH_MEM_PAGE_AUG;
		a = (struct tdx_module_args){
			.rcx = gpa2m(w) | 1, .rdx = td->tdr, .r8 = pool2m[rnd(w, NR_2M)]};
		break;
	case 3:
	case 4:
		leaf = TDH_MEM_RANGE_BLOCK;
		a = (struct tdx_module_args){.rcx = rnd(w, 2) ? gpa4k(w) : gpa2m(w) | 1,
					     .rdx = td->tdr};
		break;
	case 5:
		leaf = TDH_MEM_RANGE_UNBLOCK;
		a = (struct tdx_module_args){.rcx = rnd(w, 2) ? gpa4k(w) : gpa2m(w) | 1,
					     .rdx = td->tdr};
		break;
	case 6:
		leaf = TDH_MEM_TRACK;
		a = (struct tdx_module_args){.rcx = td->tdr};
		break;
	case 7:
	case 8:
		leaf = TDH_MEM_PAGE_REMOVE;
		a = (struct tdx_module_args){.rcx = rnd(w, 2) ? gpa4k(w) : gpa2m(w) | 1,
					     .rdx = td->tdr};
		break;
	case 9:
		leaf = TDH_MEM_SEPT_RD;
		a = (struct tdx_module_args){.rcx = rnd(w, 3) ? gpa4k(w) : gpa2m(w) | 1,
					     .rdx = td->tdr};
		break;
	case 10:
		leaf = rnd(w, 2) ? TDH_MEM_SEPT_ADD : TDH_MEM_SEPT_REMOVE;
		a = (struct tdx_module_args){
			.rcx = gpa2m(w) | 1, .rdx = td->tdr, .r8 = pool[rnd(w, NR_PAGES)]};
		break;
	case 11:
		leaf = TDH_PHYMEM_PAGE_RDMD;
		a = (struct tdx_module_args){.rcx = rnd(w, 4) ? pool[rnd(w, NR_PAGES)]
							      : pool2m[rnd(w, NR_2M)] + _4K};
		break;
	case 12:
		leaf = rnd(w, 2) ? TDH_PHYMEM_PAGE_RECLAIM : TDH_PHYMEM_PAGE_WBINVD;
		a = (struct tdx_module_args){.rcx = rnd(w, 4) ? pool[rnd(w, NR_PAGES)]
							      : pool2m[rnd(w, NR_2M)] + _4K};
		break;
	default:
		leaf = TDH_VP_FLUSH;
		a = (struct tdx_module_args){.rcx = td->tdvpr[0]};
		break;
	}
	s = td_call_on(lp, leaf, &a);
	count(w, leaf, s);
	if (!status_allowed(leaf, s) && !w->bad++)
		snprintf(w->first_bad, sizeof(w->first_bad), "%s: 0x%016llx",
			 tdx_seamcall_leaf_name(leaf), (unsigned long long)s);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (unsigned long i = 0; i < w->iters; i++)
		one_call(w);
	return NULL;
}

static uint64_t build_td(struct test_td *td, uint16_t hkid)
{
	uint64_t s = td_build_runnable(td, hkid);

	if (!s)
		s = td_sept_map(td, G);
	return s;
}

static void test_stress(void **state)
{
	static struct worker workers[NR_THREADS];
	pthread_t th[NR_THREADS];
	const char *env = getenv("TDXSIM_STRESS_ITERS");
	unsigned long iters = env ? strtoul(env, NULL, 0) : 5000;
	struct count total[256];
	unsigned int nr_total = 0;
	unsigned long bad = 0;
	char buf[2048];

	(void)state;
	for (unsigned int t = 0; t < NR_TDS; t++)
		assert_int_equal(build_td(&tds[t], (uint16_t)(TD_HKID + t)), 0);
	for (unsigned int i = 0; i < NR_PAGES; i++)
		pool[i] = td_page_alloc();
	for (unsigned int i = 0; i < NR_2M; i++)
		pool2m[i] = td_page_alloc_2m();

	for (unsigned int i = 0; i < NR_THREADS; i++) {
		memset(&workers[i], 0, sizeof(workers[i]));
		workers[i].id = i;
		workers[i].iters = iters;
		workers[i].rng = 0x9E3779B97F4A7C15ULL * (i + 1);
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &workers[i]), 0);
	}
	for (unsigned int i = 0; i < NR_THREADS; i++)
		pthread_join(th[i], NULL);

	for (unsigned int i = 0; i < NR_THREADS; i++) {
		bad += workers[i].bad;
		if (workers[i].bad)
			printf("thread %u: first unexpected status %s\n", i, workers[i].first_bad);
		for (unsigned int j = 0; j < workers[i].nr_counts; j++) {
			struct count *c = &workers[i].counts[j];
			unsigned int k;

			for (k = 0; k < nr_total; k++)
				if (total[k].leaf == c->leaf && total[k].code == c->code)
					break;
			if (k == nr_total && nr_total < 256)
				total[nr_total++] = (struct count){c->leaf, c->code, 0};
			if (k < 256)
				total[k].n += c->n;
		}
	}
	printf("stress: %u threads x %lu iterations on %u TDs\n", NR_THREADS, iters, NR_TDS);
	for (unsigned int k = 0; k < nr_total; k++)
		printf("  %-24s 0x%016llx %8lu\n", tdx_seamcall_leaf_name(total[k].leaf),
		       (unsigned long long)total[k].code, total[k].n);
	assert_int_equal(bad, 0);

	for (unsigned int t = 0; t < NR_TDS; t++)
		assert_int_equal(td_teardown(&tds[t]), 0);
	if (tdx_pamt_check(buf, sizeof(buf)))
		fail_msg("PAMT check after teardown:\n%s", buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stress, td_machine_setup, td_machine_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
