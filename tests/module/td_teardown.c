// SPDX-License-Identifier: MIT
/*
 * td_teardown(): take a TD apart in the order KVM uses [ABI §7 "Teardown"; L kvm/vmx/tdx.c
 * tdx_mmu_release_hkid, tdx_vm_free]: TDH.VP.FLUSH each vCPU on the LP it is associated with
 * → TDH.MNG.VPFLUSHDONE → TDH.PHYMEM.CACHE.WB on one LP of each package → TDH.MNG.KEY.FREEID
 * → TDH.PHYMEM.PAGE.RECLAIM of every page (private pages, Secure EPT pages, TDVPR and its
 * TDCX pages, TDCS pages, the TDR last) → TDH.PHYMEM.PAGE.WBINVD of each (with the TD's HKID,
 * the global one for the TDR).
 *
 * The test's struct test_td knows the control pages; the private and Secure EPT pages are
 * found by walking the module's Secure EPT (a white-box shortcut for the bookkeeping a VMM
 * keeps), before anything is torn down.
 */
#include <stdlib.h>
#include <string.h>

#include "td.h"
#include "td_harness.h"

#define BUSY_RETRIES 100000

struct page_list {
	uint64_t *pa;
	size_t n, cap;
};

static void list_add(struct page_list *l, uint64_t pa)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->pa = realloc(l->pa, l->cap * sizeof(*l->pa));
	}
	l->pa[l->n++] = pa;
}

/* Every SEPT page below `table` (level: of its entries) and every leaf's page. */
static void collect(struct page_list *l, const uint64_t *table, unsigned int level)
{
	for (unsigned int i = 0; i < SEPT_ENTRIES; i++) {
		uint64_t e = __atomic_load_n(&table[i], __ATOMIC_ACQUIRE);
		unsigned int s = sept_state(e);

		if (s == SEPT_FREE)
			continue;
		list_add(l, sept_hpa(e));
		if ((s == SEPT_TABLE || s == SEPT_TABLE_BLOCKED) && level > 0)
			collect(l, phys_seam_va(sept_hpa(e)), level - 1);
	}
}

/* A SEAMCALL repeated while another LP holds what it needs (OPERAND_BUSY and kin). */
static uint64_t call_retry(unsigned int lp, uint64_t leaf, const struct tdx_module_args *in,
			   struct tdx_module_args *out)
{
	uint64_t s = 0;

	for (int i = 0; i < BUSY_RETRIES; i++) {
		*out = *in;
		s = td_call_on(lp, leaf, out);
		if (tdx_status_code(s) != TDX_OPERAND_BUSY)
			break;
	}
	return s;
}

static uint64_t flush_vcpu(uint64_t tdvpr)
{
	struct tdx_module_args in = {.rcx = tdvpr}, out;
	uint64_t s;

	for (unsigned int lp = 0; lp < platform_nr_lps(); lp++) {
		s = call_retry(lp, TDH_VP_FLUSH, &in, &out);
		/* Without all its TDCX pages the vCPU never ran: KVM flushes only the vCPUs
		 * that were loaded on a CPU [L kvm/vmx/tdx.c tdx_flush_vp_on_cpu]. */
		if (s == TDX_TDCX_NUM_INCORRECT)
			return 0;
		if (s != TDX_VCPU_NOT_ASSOCIATED)
			return s;
	}
	return 0; /* never associated: nothing to flush */
}

static uint64_t cache_wb_all_packages(void)
{
	uint32_t done = 0;

	for (unsigned int lp = 0; lp < platform_nr_lps(); lp++) {
		uint32_t bit = 1U << lp_package(lp);
		struct tdx_module_args in = {.rcx = TDH_PHYMEM_CACHEWB_START_CMD}, out;
		uint64_t s;

		if (done & bit)
			continue;
		s = call_retry(lp, TDH_PHYMEM_CACHE_WB, &in, &out);
		while (s == TDX_INTERRUPTED_RESUMABLE) {
			in.rcx = TDH_PHYMEM_CACHEWB_RESUME_CMD;
			s = call_retry(lp, TDH_PHYMEM_CACHE_WB, &in, &out);
		}
		/* NO_HKID_READY: another teardown's CACHE.WB already covered this HKID here. */
		if (s && s != TDX_NO_HKID_READY_TO_WBCACHE)
			return s;
		done |= bit;
	}
	return 0;
}

static uint64_t reclaim(uint64_t pa, uint64_t hkid)
{
	struct tdx_module_args in = {.rcx = pa}, out;
	uint64_t s = call_retry(0, TDH_PHYMEM_PAGE_RECLAIM, &in, &out);

	/* Already back with the host (a test reclaimed or removed it before). */
	if (s == TDX_PAGE_METADATA_INCORRECT + TDX_OPERAND_ID_RCX)
		return 0;
	if (s)
		return s;
	in = (struct tdx_module_args){.rcx = pa | (hkid << HKID_SHIFT)};
	return call_retry(0, TDH_PHYMEM_PAGE_WBINVD, &in, &out);
}

uint64_t td_teardown(struct test_td *td)
{
	struct page_list pages = {0};
	struct tdx_module_args in, out;
	const struct tdr *tdr = tdr_of(td->tdr);
	uint64_t s = 0;

	/* Private and Secure EPT pages, from the root down (the root is a TDCS page). */
	if (tdr->num_tdcx == MAX_TDCS_PAGES && tdr->init)
		collect(&pages, sept_root(tdr), tdcs_of(tdr)->ept_levels - 1);

	/* A test may have done the first steps itself: start where the TD is. */
	if (tdr->lifecycle_state < TD_BLOCKED) {
		for (unsigned int v = 0; v < td->nr_vcpus && !s; v++)
			s = flush_vcpu(td->tdvpr[v]);
		if (!s) {
			in = (struct tdx_module_args){.rcx = td->tdr};
			s = call_retry(0, TDH_MNG_VPFLUSHDONE, &in, &out);
		}
	}
	if (!s && tdr->lifecycle_state == TD_BLOCKED)
		s = cache_wb_all_packages();
	if (!s && tdr->lifecycle_state == TD_BLOCKED) {
		in = (struct tdx_module_args){.rcx = td->tdr};
		s = call_retry(0, TDH_MNG_KEY_FREEID, &in, &out);
	}
	for (size_t i = 0; i < pages.n && !s; i++)
		s = reclaim(pages.pa[i], td->hkid);
	/*
	 * The control pages the module lists (a page may sit at PA 0, which the test's arrays
	 * cannot tell from "none"), then those the test recorded; reclaim() passes over a page
	 * that is the host's already.
	 */
	for (unsigned int v = 0; v < td->nr_vcpus && !s; v++) {
		const struct tdvps *vp = tdvps_of(td->tdvpr[v]);
		const struct pamt_entry *e = pamt_entry_get(td->tdvpr[v], PT_4KB);
		unsigned int n = e && e->pt == PT_TDVPR ? vp->num_tdcx : 0;
		uint64_t listed[TD_VP_MAX_TDCX];

		for (unsigned int i = 0; i < n && i < TD_VP_MAX_TDCX; i++)
			listed[i] = vp->tdcx_pa[i];
		for (unsigned int i = 0; i < n && i < TD_VP_MAX_TDCX && !s; i++)
			s = reclaim(listed[i], td->hkid);
		for (unsigned int i = 0; i < TD_VP_MAX_TDCX && !s; i++)
			if (td->vp_tdcx[v][i])
				s = reclaim(td->vp_tdcx[v][i], td->hkid);
		if (!s)
			s = reclaim(td->tdvpr[v], td->hkid);
	}
	for (unsigned int i = 0; i < tdr->num_tdcx && i < MAX_TDCS_PAGES && !s; i++)
		s = reclaim(tdr->tdcx_pa[i], td->hkid);
	for (unsigned int i = 0; i < 6 && !s; i++)
		if (td->tdcx[i])
			s = reclaim(td->tdcx[i], td->hkid);
	if (!s)
		s = reclaim(td->tdr, GLOBAL_HKID);
	free(pages.pa);
	return s;
}
