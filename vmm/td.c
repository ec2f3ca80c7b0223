// SPDX-License-Identifier: MIT
/*
 * The VMM's TD: its configuration and its checks, vmm_td_create() (VMX on every LP, the
 * image, the devices, the build, the vCPUs), results and statistics. The jobs are in their
 * own files: build.c, pages.c, measure.c, td_image.c, td_devices.c, teardown.c, trace.c,
 * names.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tdx/td.h>

#include "host/tdx_host.h"
#include "vmm_internal.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

uint64_t vmm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void vmm_td_config_default(struct vmm_td_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memory_size = VMM_DEFAULT_MEMORY;
	cfg->nr_vcpus = 1;
	cfg->xfam = TDX_XFAM_X87 | TDX_XFAM_SSE;
	cfg->tsc_frequency = 100;
}

int vmm_config_check(const struct vmm_td_config *cfg, const struct vmm_image *img, char *err,
		     size_t errlen)
{
	if (!cfg->nr_vcpus || cfg->nr_vcpus > VMM_MAX_VCPUS) {
		ERR("vcpus: %u is not in 1..%u", cfg->nr_vcpus, VMM_MAX_VCPUS);
		return -EINVAL;
	}
	if (cfg->max_vcpus && (cfg->max_vcpus < cfg->nr_vcpus || cfg->max_vcpus > 0xFFFF)) {
		ERR("max-vcpus: %u is not in %u..65535", cfg->max_vcpus, cfg->nr_vcpus);
		return -EINVAL;
	}
	if (cfg->memory_size & ~PAGE_MASK || cfg->memory_size > VMM_MAX_MEMORY) {
		ERR("memory: %llu bytes is not a multiple of 4 KiB up to 3 GiB",
		    (unsigned long long)cfg->memory_size);
		return -EINVAL;
	}
	if (cfg->nr_cpuid > VMM_MAX_CPUID_CONFIG) {
		ERR("cpuid: %u entries, at most %u", cfg->nr_cpuid, VMM_MAX_CPUID_CONFIG);
		return -EINVAL;
	}
	if (img && img->high_gpa > cfg->memory_size) {
		ERR("memory: the image ends at GPA 0x%llx, beyond the TD's private memory "
		    "[0, 0x%llx)",
		    (unsigned long long)img->high_gpa, (unsigned long long)cfg->memory_size);
		return -EINVAL;
	}
	return 0;
}

int vmm_td_check(const struct vmm_td_config *cfg, const char *path, char *err, size_t errlen)
{
	struct vmm_image img;
	int ret = vmm_image_load(path, &img, err, errlen);

	if (ret)
		return ret;
	ret = vmm_config_check(cfg, &img, err, errlen);
	vmm_image_free(&img);
	return ret;
}

/* KVM's hardware enable: VMX operation on every online LP (left on, as KVM does while it is
 * loaded); SEAMCALL raises #UD without it. */
static long vmxon_fn(void *arg)
{
	(void)arg;
	return lp_in_vmx() ? 0 : lp_vmxon();
}

int vmm_td_precheck(const struct vmm_td_config *cfg, char *err, size_t errlen)
{
	int ret;

	if (tdx_module_status() != TDX_MODULE_INITIALIZED || !tdx_get_sysinfo()) {
		ERR("the TDX module is not initialized (tdx_enable)");
		return -ENODEV;
	}
	if (cfg->nr_vcpus > platform_nr_online_lps()) {
		ERR("vcpus: %u vCPUs need as many online LPs; the machine has %u", cfg->nr_vcpus,
		    platform_nr_online_lps());
		return -EINVAL;
	}
	ret = (int)lp_run_on_each_online(vmxon_fn, NULL, NULL);
	if (ret)
		ERR("VMXON: %s", strerror(-ret));
	return ret;
}

int vmm_td_create_image(const struct vmm_td_config *cfg, const char *path, struct vmm_image *img,
			bool elf, uint64_t t0, struct vmm_td **out, char *err, size_t errlen)
{
	struct vmm_td *td;
	int ret;

	*out = NULL;
	ret = vmm_config_check(cfg, img, err, errlen);
	if (ret) {
		vmm_image_free(img);
		return ret;
	}
	td = calloc(1, sizeof(*td));
	if (!td) {
		vmm_image_free(img);
		ERR("out of memory");
		return -ENOMEM;
	}
	td->cfg = *cfg;
	td->t0 = t0;
	td->hkid = -1;
	td->nr_vcpus = cfg->nr_vcpus;
	td->gpaw = cfg->gpaw52 ? 52 : 48;
	td->shared_bit = 1ULL << (td->gpaw - 1);
	pthread_mutex_init(&td->pages_lock, NULL);
	pthread_mutex_init(&td->lock, NULL);
	pthread_mutex_init(&td->trace_lock, NULL);
	pthread_mutex_init(&td->paths_lock, NULL);
	pthread_cond_init(&td->wake, NULL);
	ret = vmm_devices_create(td);
	/*
	 * A Linux image's DSDT gives COM1 no interrupt (vmm/acpi.c): its kernel polls the port,
	 * and the SDK's vector 0x24 would reach it as an unexpected vector. No line, then.
	 */
	if (!ret && !elf)
		uart16550_set_irq(td->uart, NULL, NULL);
	/* ... and KVM's CPUID identity, as a TD on KVM has (vmm/tdvmcall.h) */
	if (!ret && !elf)
		td->tvtd.cpuid_signature = KVM_CPUID_SIGNATURE;
	if (ret) {
		ERR("device models: %s", strerror(-ret));
	} else {
		ret = vmm_build(td, img, err, errlen);
		if (!ret) {
			ret = vmm_vcpus_init(td);
			if (ret)
				ERR("vCPU set-up: %s", strerror(-ret));
		}
	}
	/* An ELF's span, its holes (guard pages), the debugger's notice and its symbols; a
	 * Linux image (vmm/linux_boot.c) has none: its pages are far apart by design. */
	td->image_size = elf ? img->high_gpa - VMM_IMAGE_GPA : 0;
	if (!ret && elf)
		ret = vmm_image_record_holes(td, img, err, errlen);
	if (!ret && elf)
		vmm_image_debug_loaded(td, path, img);
	vmm_image_free(img);
	if (ret) {
		vmm_td_destroy(td);
		return ret;
	}
	if (elf)
		vmm_image_load_symbols(td, path);
	td->build_ns = vmm_now_ns() - t0;
	*out = td;
	return 0;
}

int vmm_td_create(const struct vmm_td_config *cfg, const char *path, struct vmm_td **out, char *err,
		  size_t errlen)
{
	struct vmm_image img;
	uint64_t t0 = vmm_now_ns();
	int ret;

	*out = NULL;
	ret = vmm_td_precheck(cfg, err, errlen);
	if (ret)
		return ret;
	ret = vmm_image_load(path, &img, err, errlen);
	if (ret)
		return ret;
	return vmm_td_create_image(cfg, path, &img, true, t0, out, err, errlen);
}

uintptr_t vmm_td_image_base(struct vmm_td *td)
{
	return td->window ? td_window_base(td->window) + VMM_IMAGE_GPA : 0;
}

/* ------------------------------------------------------------------------------------------
 * Results and statistics
 */

const struct vmm_td_result *vmm_td_result(const struct vmm_td *td)
{
	return &td->result;
}

unsigned int vmm_td_nr_vcpus(const struct vmm_td *td)
{
	return td->nr_vcpus;
}

int vmm_td_vcpu_stats(const struct vmm_td *td, unsigned int vcpu, struct vmm_vcpu_stats *st)
{
	if (vcpu >= td->nr_vcpus)
		return -EINVAL;
	*st = td->vcpus[vcpu].st;
	return 0;
}

void vmm_td_stats(const struct vmm_td *td, struct vmm_td_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->ve_deliveries = td->ve_after - td->ve_before;
	st->build_ns = td->build_ns;
	st->run_ns = td->run_ns;
	st->image_pages = td->image_pages;
	st->private_pages = td->image_pages + td->aug_pages - td->removed_pages;
	st->removed_pages = td->removed_pages;
	st->tlb_kicks = td->tlb_kicks;
	st->shared_pages = (unsigned int)td->nr_shared;
}
