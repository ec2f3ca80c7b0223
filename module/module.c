// SPDX-License-Identifier: MIT
/*
 * Loading the module: what the P-SEAMLDR and the module's own start-up would establish on
 * a real platform (the sysinfo table: LPs, packages, CMRs; the KeyID partitioning from
 * MSR 0x87), then the SEAMCALL hook.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "td.h"

struct tdx_module_state tdxm;

/* The CPUID leaves a host may configure for a TD [M cpuid_configurations.c]. */
/* clang-format off */
static const uint32_t cpuid_config_leaf[NUM_CPUID_CONFIG][2] = {
	{ 0x1, CPUID_SUBLEAF_NA }, { 0x4, 0 },	  { 0x4, 1 },	 { 0x4, 2 },
	{ 0x4, 3 },		   { 0x7, 0 },	  { 0x7, 1 },	 { 0xa, CPUID_SUBLEAF_NA },
	{ 0x1c, CPUID_SUBLEAF_NA }, { 0x80000008, CPUID_SUBLEAF_NA }, { 0x7, 2 },	 { 0x23, 0 },
};
/* clang-format on */

uint64_t md_cpuid_config_leaf(unsigned int i)
{
	if (i >= NUM_CPUID_CONFIG)
		return ~0ULL;
	return cpuid_config_leaf[i][0] | (uint64_t)cpuid_config_leaf[i][1] << 32;
}

static void read_platform(const struct machine_config *cfg)
{
	uint32_t r[4];

	tdxm.num_lps = platform_nr_lps();
	tdxm.num_pkgs = cfg->packages ? cfg->packages : 1;
	tdxm.max_pa = cfg->maxphyaddr;
	tdxm.hkid_start = cfg->maxphyaddr - cfg->keyid_bits;
	tdxm.hkid_mask = cfg->keyid_bits ? (((1ULL << cfg->keyid_bits) - 1) << tdxm.hkid_start) : 0;
	/* [M tdh_sys_init.c check_key_management_config; ABI §10] */
	tdxm.private_hkid_min = cfg->mktme_keyids + 1;
	tdxm.private_hkid_max = cfg->mktme_keyids + cfg->tdx_keyids;

	tdxm.nr_cmrs = 0;
	if (cfg->nr_cmrs) {
		for (unsigned int i = 0; i < cfg->nr_cmrs && i < MAX_CMRS; i++)
			tdxm.cmr[tdxm.nr_cmrs++] = (struct cmr){cfg->cmr[i].base, cfg->cmr[i].size};
	} else {
		/* One CMR per RAM range, as the platform header documents. */
		for (unsigned int i = 0; i < cfg->nr_ram && i < MAX_CMRS; i++)
			tdxm.cmr[tdxm.nr_cmrs++] = (struct cmr){cfg->ram[i].base, cfg->ram[i].size};
	}

	/* Native values the module samples at SYS.INIT [M check_cpuid_configurations]: the
	 * platform CPU's (td_cpuid.c), XSAVE components from the host, where guest code runs. */
	tdxm.pkg_fms = td_cpu_fms();
	module_host_cpuid(0xd, 0, r);
	tdxm.xfam_supported = r[0] | (uint64_t)r[3] << 32;
	module_host_cpuid(0xd, 1, r);
	tdxm.xfam_supported |= r[2] | (uint64_t)r[3] << 32;
	td_cpuid_sample();
}

static const struct platform_hooks module_hooks = {
	.seamcall = tdx_seamcall_entry,
	.vm_exit = td_vm_exit,
	.intr_window = td_intr_window,
};

int tdx_module_load(const struct tdx_module_params *params)
{
	const struct machine_config *cfg = platform_config();
	const char *spec;
	char err[128];

	if (!cfg)
		return -ENODEV;
	tdx_module_unload();

	memset(&tdxm, 0, sizeof(tdxm));
	if (params)
		tdxm.params = *params;
	tdxm.params.inject = NULL;
	read_platform(cfg);
	sys_state_set(SYSINIT_PENDING);

	spec = params && params->inject ? params->inject : getenv("TDXSIM_INJECT");
	if (spec && *spec && tdx_module_inject_parse(spec, err, sizeof(err)) < 0) {
		memset(&tdxm, 0, sizeof(tdxm));
		return -EINVAL;
	}

	tdxm.rng_state = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	td_report_key_init();
	tdh_phymem_cache_wb_reset();
	tdxm.loaded = true;
	platform_set_hooks(&module_hooks);
	phys_set_poison_notifier(td_poison_notify);
	return 0;
}

void tdx_module_unload(void)
{
	if (!tdxm.loaded)
		return;
	platform_set_hooks(&(struct platform_hooks){.seamcall = NULL, .vm_exit = NULL});
	phys_set_poison_notifier(NULL);
	tdx_module_set_trace(NULL, NULL);
	/* TDs whose TDR was never reclaimed end here: their windows must not outlive them. */
	module_windows_destroy_all();
	memset(&tdxm, 0, sizeof(tdxm));
}
