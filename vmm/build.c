// SPDX-License-Identifier: MIT
/*
 * The TD build: TD_PARAMS from the configuration, then the SEAMCALLs in KVM's order
 * [ABI §7] - MNG.CREATE, KEY.CONFIG per package, MNG.ADDCX, MNG.INIT, per vCPU VP.CREATE,
 * VP.ADDCX, VP.INIT, VP.FLUSH, per image page SEPT.ADD as needed, PAGE.ADD and 16 MR.EXTENDs,
 * MR.FINALIZE - all on one LP, then the CPUID rewrite where the host needs it. Every page is
 * tracked or freed whatever fails (pages.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <tdx/status.h>
#include <tdx/structs.h>
#include <tdx/td.h>

#include "host/tdx_host.h"
#include "module/tdx_module.h"
#include "vmm_internal.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

/*
 * TD_PARAMS.CPUID_CONFIG is an array in the order of the module's CPUID_CONFIG_LEAVES
 * [ABI §8; L tdx_td_init's td_init_cpuid]: each value of the configuration goes to the slot
 * of its leaf. A leaf the module does not list cannot be configured at all.
 */
static int fill_cpuid(const struct vmm_td_config *cfg, struct td_params *p, char *err,
		      size_t errlen)
{
	const struct tdx_sys_info_td_conf *tc = &tdx_get_sysinfo()->td_conf;

	for (unsigned int i = 0; i < cfg->nr_cpuid; i++) {
		const struct vmm_cpuid_config *c = &cfg->cpuid[i];
		uint64_t id = c->leaf | (uint64_t)c->subleaf << 32;
		unsigned int slot = 0;

		while (slot < tc->num_cpuid_config && slot < TD_PARAMS_MAX_CPUID_VALUES &&
		       tc->cpuid_config_leaves[slot] != id)
			slot++;
		if (slot == tc->num_cpuid_config || slot == TD_PARAMS_MAX_CPUID_VALUES) {
			ERR("CPUID leaf 0x%x subleaf 0x%x is not configurable by this TDX module "
			    "(not in its CPUID_CONFIG_LEAVES)",
			    c->leaf, c->subleaf);
			return -EINVAL;
		}
		p->cpuid_values[slot] = (struct tdx_cpuid_value){c->eax, c->ebx, c->ecx, c->edx};
	}
	return 0;
}

static int fill_params(const struct vmm_td *td, struct td_params *p, char *err, size_t errlen)
{
	const struct vmm_td_config *cfg = &td->cfg;

	memset(p, 0, sizeof(*p));
	p->attributes = cfg->attributes;
	p->xfam = cfg->xfam ? cfg->xfam : TDX_XFAM_X87 | TDX_XFAM_SSE;
	p->max_vcpus = (uint16_t)(cfg->max_vcpus ? cfg->max_vcpus : cfg->nr_vcpus);
	p->eptp_controls = tdx_eptp_controls(TDX_EPTP_MT_WB, cfg->gpaw52 ? 5 : 4);
	p->config_flags = (cfg->rbp_mod ? 0 : TDX_CONFIG_FLAGS_NO_RBP_MOD) |
			  (cfg->gpaw52 ? TDX_CONFIG_FLAGS_GPAW : 0);
	p->tsc_frequency = cfg->tsc_frequency ? cfg->tsc_frequency : 100;
	memcpy(p->mrconfigid, cfg->mrconfigid, 48);
	memcpy(p->mrowner, cfg->mrowner, 48);
	memcpy(p->mrownerconfig, cfg->mrownerconfig, 48);
	return fill_cpuid(cfg, p, err, errlen);
}

/*
 * Hosts without CPUID faulting (CPUID_TRAP_REWRITE): the platform makes guest CPUID trap by
 * rewriting it in the code (docs/ARCHITECTURE.md "CPUID"). That must come after MR.EXTEND
 * hashed the pages, so that the MRTD covers the image's own bytes as vmm_td_measure() does,
 * and it must be done where the TD executes the code, in its window, because the platform
 * knows a rewritten CPUID by its address. One sweep per run of contiguous executable pages,
 * so that an instruction across a page boundary is decoded whole.
 */
static int rewrite_cpuid(struct vmm_td *td, const struct vmm_image *img)
{
	unsigned int p = 0, q;
	int n;

	while (p < img->nr) {
		if (!img->pages[p].exec) {
			p++;
			continue;
		}
		for (q = p + 1; q < img->nr && img->pages[q].exec &&
				img->pages[q].gpa == img->pages[q - 1].gpa + PAGE_SIZE;
		     q++)
			;
		n = cpuid_rewrite_code(td_window_va(td->window, img->pages[p].gpa, false),
				       (size_t)(q - p) * PAGE_SIZE);
		if (n < 0)
			return n;
		p = q;
	}
	return 0;
}

#define FAIL(s, what)                                                                              \
	do {                                                                                       \
		ERR("%s failed: status 0x%016llx", what, (unsigned long long)(s));                 \
		ret = -EIO;                                                                        \
		goto fail;                                                                         \
	} while (0)

/* TDH.MNG.KEY.CONFIG on the LP it is sent to (one per package). */
static long key_config_fn(void *arg)
{
	struct vmm_td *td = arg;
	uint64_t s = tdh_mng_key_config(&td->htd);

	return s == TDX_KEY_CONFIGURED ? 0 : (long)s;
}

/* The build's SEAMCALLs in KVM's order [ABI §7], all on the LP it runs on. */
/* How many image pages from @p have consecutive GPAs in the same 2 MiB (at least 1). */
static unsigned int image_run(const struct vmm_image *img, unsigned int p)
{
	uint64_t gpa = img->pages[p].gpa;
	unsigned int n = 1;

	while (p + n < img->nr && img->pages[p + n].gpa == gpa + (uint64_t)n * PAGE_SIZE &&
	       (gpa + (uint64_t)n * PAGE_SIZE) % (2ULL << 20))
		n++;
	return n;
}

static int build_on_lp(struct vmm_td *td, const struct vmm_image *img, char *err, size_t errlen)
{
	const struct tdx_sys_info *si = tdx_get_sysinfo();
	unsigned int ntdcs = si->td_ctrl.tdcs_base_size / PAGE_SIZE;
	unsigned int ntdvpx = si->td_ctrl.tdvps_base_size / PAGE_SIZE - 1;
	struct td_params params;
	uint64_t s, pa, ext, run_pa = 0;
	unsigned int run_left = 0;
	int ret;

	/* TDR, HKID, MNG.CREATE, KEY.CONFIG on one LP of each package */
	td->scratch = vmm_zeroed_page();
	td->hkid = tdx_guest_keyid_alloc();
	if (td->hkid < 0) {
		ERR("no free TDX KeyID: %s", strerror(-td->hkid));
		return td->hkid;
	}
	td->htd.tdr_pa = pa = vmm_page_get(td, 0);
	if (!pa || !td->scratch) {
		vmm_page_put(td, pa, 0, TDX_SW_ERROR, 0, PG_TDR);
		td->htd.tdr_pa = 0;
		ERR("out of host pages");
		return -ENOMEM;
	}
	s = tdh_mng_create(&td->htd, (uint16_t)td->hkid);
	if (vmm_page_put(td, pa, 0, s, 0, PG_TDR)) {
		td->htd.tdr_pa = 0;
		FAIL(s, "TDH.MNG.CREATE");
	}
	for (unsigned int pkg = 0; pkg < PLATFORM_MAX_PACKAGES; pkg++) {
		for (unsigned int lp = 0; lp < platform_nr_lps(); lp++) {
			if (lp_package(lp) != pkg || !lp_is_online(lp))
				continue;
			s = (uint64_t)lp_run_on(lp, key_config_fn, td);
			if (s)
				FAIL(s, "TDH.MNG.KEY.CONFIG");
			break;
		}
	}
	/* TDCS pages, MNG.INIT */
	for (unsigned int i = 0; i < ntdcs; i++) {
		pa = vmm_page_get(td, 0);
		s = pa ? tdh_mng_addcx(&td->htd, pa) : TDX_SW_ERROR;
		if (vmm_page_put(td, pa, 0, s, 0, PG_TDCX))
			FAIL(s, "TDH.MNG.ADDCX");
	}
	ret = fill_params(td, &params, err, errlen);
	if (ret)
		return ret;
	memcpy(phys_host_va(td->scratch), &params, sizeof(params));
	s = tdh_mng_init(&td->htd, td->scratch, &ext);
	if (s) {
		ERR("TDH.MNG.INIT failed: status 0x%016llx (extended info 0x%llx)",
		    (unsigned long long)s, (unsigned long long)ext);
		return -EIO;
	}
	td->window = tdx_module_td_window(td->htd.tdr_pa);
	if (!td->window) {
		ERR("no TD window for the TD (platform)");
		return -ENODEV;
	}
	if (vmm_shared_ept_init(td)) {
		ERR("cannot set up the TD's shared EPT");
		return -ENOMEM;
	}
	/* vCPUs: VP.CREATE, ADDCX, VP.INIT version 1 (x2APIC ID = index); PID pages (apic.c) */
	if (vmm_apic_alloc(td)) {
		ERR("out of host pages");
		return -ENOMEM;
	}
	for (unsigned int v = 0; v < td->nr_vcpus; v++) {
		struct vmm_vcpu *vc = &td->vcpus[v];

		vc->vp.tdvpr_pa = pa = vmm_page_get(td, 0);
		s = pa ? tdh_vp_create(&td->htd, &vc->vp) : TDX_SW_ERROR;
		if (vmm_page_put(td, pa, 0, s, v, PG_TDVPR)) {
			vc->vp.tdvpr_pa = 0;
			FAIL(s, "TDH.VP.CREATE");
		}
		for (unsigned int i = 0; i < ntdvpx; i++) {
			pa = vmm_page_get(td, 0);
			s = pa ? tdh_vp_addcx(&vc->vp, pa) : TDX_SW_ERROR;
			if (vmm_page_put(td, pa, 0, s, v, PG_TDVPX))
				FAIL(s, "TDH.VP.ADDCX");
		}
		s = tdh_vp_init(&vc->vp, TDXSIM_BOOT_OPTS(td->cfg.boot_opts), v);
		if (s)
			FAIL(s, "TDH.VP.INIT");
		/* VP.INIT associated the vCPU with this LP; its thread runs it on its own LP, so
		 * flush it here as KVM does when a vCPU moves to another CPU (tdx_flush_vp). */
		s = tdh_vp_flush(&vc->vp);
		if (s)
			FAIL(s, "TDH.VP.FLUSH");
	}
	/*
	 * The image: SEPT.ADD as needed, PAGE.ADD + 16 x MR.EXTEND per page. The pages of a run
	 * of contiguous GPAs (within 2 MiB) get contiguous host pages, in the same order.
	 */
	for (unsigned int p = 0; p < img->nr; p++) {
		const struct vmm_image_page *pg = &img->pages[p];
		uint8_t *src = phys_host_va(td->scratch);

		s = vmm_sept_map(td, pg->gpa, TDX_PS_4K);
		if (s)
			FAIL(s, "TDH.MEM.SEPT.ADD");
		memcpy(src, pg->data, PAGE_SIZE);
		if (!run_left)
			run_pa = vmm_page_run_get(td, image_run(img, p), &run_left);
		pa = run_left ? run_pa : 0;
		if (run_left) {
			run_pa += PAGE_SIZE;
			run_left--;
		}
		s = pa ? tdh_mem_page_add(&td->htd, pg->gpa, pa, td->scratch, NULL, NULL)
		       : TDX_SW_ERROR;
		if (vmm_page_put(td, pa, 0, s, pg->gpa, PG_PRIVATE))
			FAIL(s, "TDH.MEM.PAGE.ADD");
		td->image_pages++;
		for (unsigned int i = 0; i < 16 && !pg->no_mr_extend; i++) {
			s = tdh_mr_extend(&td->htd, pg->gpa + 256 * i, NULL, NULL);
			if (s)
				FAIL(s, "TDH.MR.EXTEND");
		}
	}
	s = tdh_mr_finalize(&td->htd);
	if (s)
		FAIL(s, "TDH.MR.FINALIZE");
	/* The native backend's step: elsewhere CPUID exits by itself (SVM intercepts it). */
	ret = cpu_backend() == &cpu_backend_native ? rewrite_cpuid(td, img) : 0;
	if (ret)
		ERR("rewriting the guest's CPUID instructions failed: %s", strerror(-ret));
	return ret;
fail:
	/* The rest of a run nothing was added to goes back. */
	for (; run_left; run_left--, run_pa += PAGE_SIZE)
		vmm_page_put(td, run_pa, 0, TDX_SW_ERROR, 0, PG_PRIVATE);
	return ret;
}

struct build_args {
	struct vmm_td *td;
	const struct vmm_image *img;
	char *err;
	size_t errlen;
};

static long build_fn(void *arg)
{
	struct build_args *b = arg;

	return build_on_lp(b->td, b->img, b->err, b->errlen);
}

/*
 * The whole build runs on LP 0, as KVM's ioctls run on the CPU the VMM thread is on: one
 * move to the LP, not one per SEAMCALL. Only KEY.CONFIG goes to one LP of each package.
 */
int vmm_build(struct vmm_td *td, const struct vmm_image *img, char *err, size_t errlen)
{
	struct build_args b = {.td = td, .img = img, .err = err, .errlen = errlen};

	vmm_trace_seamcalls(td);
	return (int)lp_run_on(0, build_fn, &b);
}
