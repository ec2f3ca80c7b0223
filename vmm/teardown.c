// SPDX-License-Identifier: MIT
/*
 * The TD's end [ABI §7]: VP.FLUSH each vCPU, MNG.VPFLUSHDONE, PHYMEM.CACHE.WB per package,
 * MNG.KEY.FREEID, PHYMEM.PAGE.RECLAIM of each page the TD owns (the TDR last), then the
 * VMM's own resources. A page the module does not give back stays out of the allocator.
 */
#include <stdlib.h>

#include <tdx/leaves.h>
#include <tdx/status.h>

#include "host/page_alloc.h"
#include "host/tdx_host.h"
#include "vmm/debug.h"
#include "vmm_internal.h"

static long vp_flush_fn(void *arg)
{
	return (long)tdh_vp_flush(arg);
}

/* TDH.PHYMEM.CACHE.WB on this LP's package until done (INTERRUPTED_RESUMABLE: resume). */
static long cache_wb_fn(void *arg)
{
	struct vmm_td *td = arg;
	uint64_t s = 0;

	for (int tries = 0; tries < 1000; tries++) {
		bool resume = tries > 0;

		s = tdh_phymem_cache_wb(resume);
		if (td->cfg.trace_file)
			vmm_trace_seamcall(td, TDH_PHYMEM_CACHE_WB, s,
					   resume ? TDH_PHYMEM_CACHEWB_RESUME_CMD
						  : TDH_PHYMEM_CACHEWB_START_CMD,
					   0, 0);
		if (tdx_status_code(s) != TDX_INTERRUPTED_RESUMABLE)
			break;
	}
	return (long)s;
}

/* PHYMEM.PAGE.RECLAIM of one page of the TD; its trace line. */
static uint64_t reclaim(struct vmm_td *td, uint64_t hpa)
{
	uint64_t s = tdh_phymem_page_reclaim(hpa, NULL, NULL, NULL);

	if (td->cfg.trace_file)
		vmm_trace_seamcall(td, TDH_PHYMEM_PAGE_RECLAIM, s, hpa, 0, 0);
	return s;
}

/* The teardown's SEAMCALLs, on LP 0; VP.FLUSH on each vCPU's LP, CACHE.WB per package. */
static long teardown_fn(void *arg)
{
	struct vmm_td *td = arg;
	unsigned int leaked = 0;
	bool hkid_freed;
	uint64_t s;

	for (unsigned int v = 0; v < td->nr_vcpus; v++) {
		if (td->vcpus[v].vp.tdvpr_pa)
			lp_run_on(td->vcpus[v].lp, vp_flush_fn, &td->vcpus[v].vp);
	}
	tdh_mng_vpflushdone(&td->htd);
	for (unsigned int pkg = 0; pkg < PLATFORM_MAX_PACKAGES; pkg++) {
		for (unsigned int lp = 0; lp < platform_nr_lps(); lp++) {
			if (lp_package(lp) != pkg || !lp_is_online(lp))
				continue;
			lp_run_on(lp, cache_wb_fn, td);
			break;
		}
	}
	s = tdh_mng_key_freeid(&td->htd);
	hkid_freed = !s;
	/* Children first, in reverse order of creation (leaves before their tables), TDR last. */
	for (size_t i = td->nr_pages; i-- > 0;) {
		struct vmm_page *pg = &td->pages[i];
		uint64_t n;

		if (pg->kind == PG_TDR)
			continue;
		/* A 2M private page is one PAMT entry: one RECLAIM gives back its 512 pages. */
		n = pg->kind == PG_PRIVATE ? vmm_leaf_pages(pg->gpa & VMM_GPA_LEVEL_MASK) : 1;
		if (reclaim(td, pg->hpa)) {
			leaked += (unsigned int)n;
			continue;
		}
		free_contig_pages(pg->hpa, n);
	}
	if (reclaim(td, td->htd.tdr_pa))
		leaked++;
	else
		free_page(td->htd.tdr_pa);
	td->htd.tdr_pa = 0;
	if (td->hkid >= 0 && hkid_freed) {
		tdx_guest_keyid_free((unsigned int)td->hkid);
		td->hkid = -1;
	}
	return leaked;
}

/*
 * Teardown [ABI §7]: VP.FLUSH each vCPU, MNG.VPFLUSHDONE, PHYMEM.CACHE.WB per package,
 * MNG.KEY.FREEID, PHYMEM.PAGE.RECLAIM each page (the TDR last). A page the module does not
 * give back is not freed (it would still be the TD's); the count is the result.
 */
static unsigned int teardown(struct vmm_td *td)
{
	unsigned int leaked = 0;

	/* Shared pages: the VMM's own and the embedder's, out of the window first. */
	vmm_shared_release(td);
	if (td->nr_pages)
		leaked = (unsigned int)lp_run_on(0, teardown_fn, td);
	/* No TDR: the KeyID was never the module's. */
	if (td->hkid >= 0 && !td->nr_pages)
		tdx_guest_keyid_free((unsigned int)td->hkid);
	td->hkid = -1;
	td->nr_pages = 0;
	return leaked;
}

int vmm_td_destroy(struct vmm_td *td)
{
	unsigned int leaked;
	int trace_errno;

	if (!td)
		return 0;
	if (td->uart)
		uart16550_detach_input(td->uart); /* its end-of-input check looks at the vCPUs */
	if (td->debug_path) {
		tdxsim_debug_image_event(TDXSIM_DEBUG_IMAGE_UNLOADED, td->debug_path,
					 vmm_td_image_base(td), td->text_lo, td->text_hi);
		free(td->debug_path);
	}
	leaked = teardown(td);
	if (leaked && td->cfg.trace_file)
		vmm_trace(td, "\"teardown\":\"%u pages not reclaimed\"", leaked);
	vmm_trace_flush(td);
	trace_errno = td->trace_errno;
	if (td->scratch)
		free_page(td->scratch);
	vmm_apic_free(td);
	vmm_devices_destroy(td);
	vmm_symbols_free(td->syms);
	free(td->holes);
	free(td->pages);
	free(td->shared_gpa);
	free(td->shared_hpa);
	pthread_cond_destroy(&td->wake);
	pthread_mutex_destroy(&td->trace_lock);
	pthread_mutex_destroy(&td->paths_lock);
	pthread_mutex_destroy(&td->lock);
	pthread_mutex_destroy(&td->pages_lock);
	free(td);
	return trace_errno;
}
