// SPDX-License-Identifier: MIT
/*
 * The VMM's TD: image loading and measurement, the build with SEAMCALLs in KVM's order
 * [ABI §7], lazy PAGE.AUG, and the teardown that reclaims every page.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <tdx/leaves.h>
#include <tdx/metadata.h>
#include <tdx/status.h>
#include <tdx/structs.h>
#include <tdx/td.h>
#include <tdx/vmx.h>

#include "host/page_alloc.h"
#include "host/tdx_host.h"
#include "module/tdx_module.h"
#include "vmm/debug.h"
#include "vmm_internal.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

/* TDH.MNG.RD field: MRTD, 6 x 8 bytes [M td_scope fields]. */
#define VMM_MD_TDCS_MRTD 0x1310000300000000ULL

uint64_t vmm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * The trace goes to the file in whole lines only: each line is formatted on its own, added
 * to td->trace_buf, and the buffer goes out by write(2) when the next line does not fit, so
 * that a tdxsim killed at any moment (even by SIGKILL) leaves no half JSON line. The first
 * write error is kept (vmm_td_trace_error) and the trace stops there. trace_lock held.
 */
static void trace_flush_locked(struct vmm_td *td)
{
	FILE *f = td->cfg.trace_file;
	size_t done = 0;

	if (!td->trace_len)
		return;
	if (!td->trace_errno && fflush(f)) /* whatever the embedder wrote through stdio first */
		td->trace_errno = errno ? errno : EIO;
	while (!td->trace_errno && done < td->trace_len) {
		ssize_t n = write(fileno(f), td->trace_buf + done, td->trace_len - done);

		if (n > 0)
			done += (size_t)n;
		else if (n < 0 && errno != EINTR)
			td->trace_errno = errno;
		else if (!n)
			td->trace_errno = EIO;
	}
	td->trace_len = 0;
}

void vmm_trace_flush(struct vmm_td *td)
{
	if (!td->cfg.trace_file)
		return;
	pthread_mutex_lock(&td->trace_lock);
	trace_flush_locked(td);
	pthread_mutex_unlock(&td->trace_lock);
}

void vmm_trace(struct vmm_td *td, const char *fmt, ...)
{
	char line[4096], *l = line;
	size_t cap = sizeof(line), len;
	va_list ap;
	int n;

	if (!td->cfg.trace_file)
		return;
	n = snprintf(l, cap, "{\"t_ns\":%llu,", (unsigned long long)(vmm_now_ns() - td->t0));
	len = (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(l + len, cap - len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (len + (size_t)n + 3 > cap) { /* longer than any line the VMM writes: on the heap */
		cap = len + (size_t)n + 3;
		l = malloc(cap);
		if (!l)
			return;
		memcpy(l, line, len);
		va_start(ap, fmt);
		vsnprintf(l + len, cap - len, fmt, ap);
		va_end(ap);
	}
	len += (size_t)n;
	memcpy(l + len, "}\n", 3);
	len += 2;
	pthread_mutex_lock(&td->trace_lock);
	if (td->trace_len + len > sizeof(td->trace_buf))
		trace_flush_locked(td);
	if (len > sizeof(td->trace_buf)) { /* a line larger than the buffer: alone */
		if (!td->trace_errno && write(fileno(td->cfg.trace_file), l, len) != (ssize_t)len)
			td->trace_errno = errno ? errno : EIO;
	} else if (!td->trace_errno) {
		memcpy(td->trace_buf + td->trace_len, l, len);
		td->trace_len += len;
	}
	pthread_mutex_unlock(&td->trace_lock);
	if (l != line)
		free(l);
}

int vmm_td_trace_error(const struct vmm_td *td)
{
	return td->trace_errno;
}

void vmm_td_config_default(struct vmm_td_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memory_size = VMM_DEFAULT_MEMORY;
	cfg->nr_vcpus = 1;
	cfg->xfam = TDX_XFAM_X87 | TDX_XFAM_SSE;
	cfg->tsc_frequency = 100;
}

static int check_config(const struct vmm_td_config *cfg, const struct vmm_image *img, char *err,
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

/* MRTD [ABI §9]: per page one 128-byte PAGE.ADD block, then 16 x (block + 256 bytes). */
static void mr_block(EVP_MD_CTX *c, const char *tag, uint64_t gpa)
{
	uint8_t b[128] = {0};

	memcpy(b, tag, strlen(tag));
	memcpy(b + 16, &gpa, 8);
	EVP_DigestUpdate(c, b, sizeof(b));
}

int vmm_td_check(const struct vmm_td_config *cfg, const char *path, char *err, size_t errlen)
{
	struct vmm_image img;
	int ret = vmm_image_load(path, &img, err, errlen);

	if (ret)
		return ret;
	ret = check_config(cfg, &img, err, errlen);
	vmm_image_free(&img);
	return ret;
}

int vmm_td_measure(const struct vmm_td_config *cfg, const char *path, uint8_t mrtd[48], char *err,
		   size_t errlen)
{
	struct vmm_image img;
	EVP_MD_CTX *c;
	unsigned int len = 48;
	int ret = vmm_image_load(path, &img, err, errlen);

	if (ret)
		return ret;
	ret = check_config(cfg, &img, err, errlen);
	if (ret)
		goto out;
	c = EVP_MD_CTX_new();
	if (!c || !EVP_DigestInit_ex(c, EVP_sha384(), NULL)) {
		EVP_MD_CTX_free(c);
		ERR("SHA-384 unavailable");
		ret = -EIO;
		goto out;
	}
	for (unsigned int p = 0; p < img.nr; p++) {
		mr_block(c, "MEM.PAGE.ADD", img.pages[p].gpa);
		for (unsigned int i = 0; i < 16; i++) {
			mr_block(c, "MR.EXTEND", img.pages[p].gpa + 256 * i);
			EVP_DigestUpdate(c, img.pages[p].data + 256 * i, 256);
		}
	}
	EVP_DigestFinal_ex(c, mrtd, &len);
	EVP_MD_CTX_free(c);
out:
	vmm_image_free(&img);
	return ret;
}

/* ------------------------------------------------------------------------------------------
 * The trace of the host's SEAMCALLs for this TD (struct tdx_td's hook): one line each, the
 * leaf by name, its status and the inputs RCX, RDX and R8.
 */

void vmm_trace_seamcall(struct vmm_td *td, uint64_t leaf, uint64_t status, uint64_t rcx,
			uint64_t rdx, uint64_t r8)
{
	const char *name = tdh_leaf_name(leaf & 0xFFFF);

	vmm_trace(td,
		  "\"lp\":%d,\"seamcall\":\"%s\",\"status\":\"0x%llx\",\"rcx\":\"0x%llx\","
		  "\"rdx\":\"0x%llx\",\"r8\":\"0x%llx\"",
		  lp_current(), name ? name : "?", (unsigned long long)status,
		  (unsigned long long)rcx, (unsigned long long)rdx, (unsigned long long)r8);
}

static void trace_seamcall(void *arg, uint64_t leaf, const struct tdx_module_args *in,
			   uint64_t status)
{
	vmm_trace_seamcall(arg, leaf, status, in->rcx, in->rdx, in->r8);
}

/* ------------------------------------------------------------------------------------------
 * Pages. Every page the VMM gives the TD is either tracked (the module took it: teardown
 * reclaims it) or freed (the SEAMCALL failed, so the module committed nothing). Tracking
 * cannot fail after the SEAMCALL: vmm_page_get() reserves the list entry first.
 */

/* A zeroed host page, or 0. */
static uint64_t zeroed_page(void)
{
	uint64_t pa = alloc_page(NUMA_NO_NODE);

	if (pa)
		memset(phys_host_va(pa), 0, PAGE_SIZE);
	return pa;
}

/* Room for @n more entries beyond those reserved. pages_lock held. */
static int pages_reserve_locked(struct vmm_td *td, size_t n)
{
	if (td->nr_pages + td->reserved_pages + n > td->cap_pages) {
		size_t cap = td->cap_pages ? 2 * td->cap_pages : 64;
		struct vmm_page *p;

		while (cap < td->nr_pages + td->reserved_pages + n)
			cap *= 2;
		p = realloc(td->pages, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		td->pages = p;
		td->cap_pages = cap;
	}
	td->reserved_pages += n;
	return 0;
}

/*
 * The host memory behind a page for the TD: a zeroed 4K page, or for a 2M leaf a 2M-aligned
 * run of 512 left untouched (PAGE.AUG hides it and the guest's ACCEPT zeroes it; writing it
 * here would only make 2 MiB of the machine's sparse RAM real); and its list entry
 * reserved. 0 when there is no memory for either.
 */
uint64_t vmm_page_get(struct vmm_td *td, unsigned int level)
{
	uint64_t n = vmm_leaf_pages(level), pa;
	int ret;

	pthread_mutex_lock(&td->pages_lock);
	ret = pages_reserve_locked(td, 1);
	pthread_mutex_unlock(&td->pages_lock);
	if (ret)
		return 0;
	pa = level ? alloc_contig_pages(n, n * PAGE_SIZE, NUMA_NO_NODE) : zeroed_page();
	if (!pa) {
		pthread_mutex_lock(&td->pages_lock);
		td->reserved_pages--;
		pthread_mutex_unlock(&td->pages_lock);
	}
	return pa;
}

/*
 * After the SEAMCALL that gave page @pa (from vmm_page_get(td, level); 0: there was none) to
 * the TD returned @status: tracked as (@gpa, @kind) on success, freed otherwise. 0 when it
 * was tracked, -1 when not.
 */
int vmm_page_put(struct vmm_td *td, uint64_t pa, unsigned int level, uint64_t status, uint64_t gpa,
		 enum vmm_page_kind kind)
{
	if (!pa)
		return -1;
	pthread_mutex_lock(&td->pages_lock);
	td->reserved_pages--;
	if (!status)
		td->pages[td->nr_pages++] = (struct vmm_page){.hpa = pa, .gpa = gpa, .kind = kind};
	pthread_mutex_unlock(&td->pages_lock);
	if (status)
		free_contig_pages(pa, vmm_leaf_pages(level));
	return status ? -1 : 0;
}

/* Is the Secure EPT page for (GPA | level) one the VMM added? pages_lock held. */
static bool sept_table_known(const struct vmm_td *td, uint64_t gpa_level)
{
	for (size_t i = 0; i < td->nr_pages; i++) {
		if (td->pages[i].kind == PG_SEPT && td->pages[i].gpa == gpa_level)
			return true;
	}
	return false;
}

uint64_t vmm_sept_map(struct vmm_td *td, uint64_t gpa, unsigned int leaf_level)
{
	uint64_t s;

	for (unsigned int level = 3; level > leaf_level; level--) {
		uint64_t base = gpa & ~((PAGE_SIZE << (9 * level)) - 1), pa;
		bool known;

		pthread_mutex_lock(&td->pages_lock);
		known = sept_table_known(td, base | level);
		pthread_mutex_unlock(&td->pages_lock);
		if (known)
			continue;
		pa = vmm_page_get(td, 0);
		if (!pa)
			return TDX_SW_ERROR;
		s = tdh_mem_sept_add(&td->htd, base, (int)level, pa, NULL, NULL);
		vmm_page_put(td, pa, 0, s, base | level, PG_SEPT);
		/* EPT_ENTRY_STATE_INCORRECT: a neighbour's table (another vCPU added it), or a leaf */
		if (s && tdx_status_code(s) != TDX_EPT_ENTRY_STATE_INCORRECT)
			return s;
	}
	return 0;
}

uint64_t vmm_aug_page(struct vmm_td *td, uint64_t gpa, unsigned int level)
{
	uint64_t s, pa;

	s = vmm_sept_map(td, gpa, level);
	if (s)
		return s;
	pa = vmm_page_get(td, level);
	if (!pa)
		return TDX_SW_ERROR;
	s = tdh_mem_page_aug(&td->htd, gpa, (int)level, pa, NULL, NULL);
	if (vmm_page_put(td, pa, level, s, gpa | level, PG_PRIVATE))
		return s;
	pthread_mutex_lock(&td->pages_lock);
	td->aug_pages += (unsigned int)vmm_leaf_pages(level);
	pthread_mutex_unlock(&td->pages_lock);
	atomic_fetch_add(&td->mem_gen, 1);
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * Build
 */

static void poweroff_cb(void *opaque, int status)
{
	struct vmm_td *td = opaque;
	char msg[64];

	snprintf(msg, sizeof(msg), "the guest powered off with status %d", status);
	vmm_td_stop(td, VMM_STOP_POWEROFF, status, msg);
}

static void serial_stdout(void *opaque, const char *buf, size_t len)
{
	(void)opaque;
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
}

/*
 * COM1's interrupt line: a rising edge posts TDXSIM_COM1_IRQ_VECTOR to vCPU 0 (there is no
 * interrupt controller: the vector of legacy IRQ 4 as a PC's PIC maps it). The line is
 * level-triggered: it stays up while received data waits, so a handler reads until LSR.DR
 * is clear, as Linux's serial8250 does.
 */
static void uart_irq(void *opaque, bool level)
{
	if (level)
		vmm_td_post_interrupt(opaque, 0, TDXSIM_COM1_IRQ_VECTOR);
}

static int devices_create(struct vmm_td *td)
{
	if (vmm_bus_init(&td->bus))
		return -ENOMEM;
	td->uart = uart16550_create(&td->bus, TDXSIM_COM1_PORT,
				    td->cfg.serial ? td->cfg.serial : serial_stdout,
				    td->cfg.serial_opaque);
	td->pci = pci_bus_create(&td->bus);
	td->testdev = td->pci ? pci_testdev_create(&td->bus, td->pci) : NULL;
	td->poweroff = poweroff_create(&td->bus, poweroff_cb, td);
	msr_filter_init(&td->msr_filter, MSR_FILTER_ALLOW);
	td->quoter = quote_signer_new();
	if (!td->uart || !td->pci || !td->testdev || !td->poweroff)
		return -ENOMEM;
	uart16550_set_irq(td->uart, uart_irq, td);
	/*
	 * Not a terminal this process does not own: reading one from a background process
	 * group would stop the whole process (SIGTTIN) in the middle of the run.
	 */
	if (td->cfg.serial_stdin &&
	    (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) == getpgrp())) {
		int ret = uart16550_attach_input(td->uart, STDIN_FILENO,
						 vmm_apic_serial_input_ended, td);
		if (ret)
			return ret;
	}
	td->tvtd = (struct tdvmcall_td){
		.gpaw = td->gpaw,
		.bus = &td->bus,
		.msr_filter = &td->msr_filter,
		.quoter = td->quoter,
	};
	return 0;
}

static void devices_destroy(struct vmm_td *td)
{
	if (td->uart)
		uart16550_destroy(td->uart);
	if (td->poweroff)
		poweroff_destroy(td->poweroff);
	if (td->testdev)
		pci_testdev_destroy(td->testdev);
	if (td->pci)
		pci_bus_destroy(td->pci);
	quote_signer_free(td->quoter);
	vmm_bus_destroy(&td->bus);
}

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
	p->config_flags = TDX_CONFIG_FLAGS_NO_RBP_MOD | (cfg->gpaw52 ? TDX_CONFIG_FLAGS_GPAW : 0);
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
static int build_on_lp(struct vmm_td *td, const struct vmm_image *img, char *err, size_t errlen)
{
	const struct tdx_sys_info *si = tdx_get_sysinfo();
	unsigned int ntdcs = si->td_ctrl.tdcs_base_size / PAGE_SIZE;
	unsigned int ntdvpx = si->td_ctrl.tdvps_base_size / PAGE_SIZE - 1;
	struct td_params params;
	uint64_t s, pa, ext;
	int ret;

	/* TDR, HKID, MNG.CREATE, KEY.CONFIG on one LP of each package */
	td->scratch = zeroed_page();
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
	/* The image: SEPT.ADD as needed, PAGE.ADD + 16 x MR.EXTEND per page */
	for (unsigned int p = 0; p < img->nr; p++) {
		const struct vmm_image_page *pg = &img->pages[p];
		uint8_t *src = phys_host_va(td->scratch);

		s = vmm_sept_map(td, pg->gpa, TDX_PS_4K);
		if (s)
			FAIL(s, "TDH.MEM.SEPT.ADD");
		memcpy(src, pg->data, PAGE_SIZE);
		pa = vmm_page_get(td, 0);
		s = pa ? tdh_mem_page_add(&td->htd, pg->gpa, pa, td->scratch, NULL, NULL)
		       : TDX_SW_ERROR;
		if (vmm_page_put(td, pa, 0, s, pg->gpa, PG_PRIVATE))
			FAIL(s, "TDH.MEM.PAGE.ADD");
		td->image_pages++;
		for (unsigned int i = 0; i < 16; i++) {
			s = tdh_mr_extend(&td->htd, pg->gpa + 256 * i, NULL, NULL);
			if (s)
				FAIL(s, "TDH.MR.EXTEND");
		}
	}
	s = tdh_mr_finalize(&td->htd);
	if (s)
		FAIL(s, "TDH.MR.FINALIZE");
	ret = rewrite_cpuid(td, img);
	if (ret)
		ERR("rewriting the guest's CPUID instructions failed: %s", strerror(-ret));
	return ret;
fail:
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
static int build(struct vmm_td *td, const struct vmm_image *img, char *err, size_t errlen)
{
	struct build_args b = {.td = td, .img = img, .err = err, .errlen = errlen};

	if (td->cfg.trace_file) {
		td->htd.trace = trace_seamcall;
		td->htd.trace_arg = td;
	}
	return (int)lp_run_on(0, build_fn, &b);
}

/*
 * The image's name and symbols, for messages that name a RIP (vmm_rip_describe). An image
 * without a symbol table is named by offset alone.
 */
static void load_symbols(struct vmm_td *td, const char *path)
{
	const char *slash = strrchr(path, '/');
	uint8_t *buf;
	size_t len;

	snprintf(td->image_name, sizeof(td->image_name), "%s", slash ? slash + 1 : path);
	if (vmm_read_file(path, &buf, &len))
		return;
	vmm_symbols_parse(buf, len, &td->syms);
	free(buf);
}

/*
 * The pages inside the image that no PT_LOAD covers (the guard pages of tdxguest.ld's
 * stacks): never added, and never AUGed either (vmm_image_hole).
 */
static int record_holes(struct vmm_td *td, const struct vmm_image *img, char *err, size_t errlen)
{
	unsigned int p = 0;

	for (uint64_t gpa = img->low_gpa; gpa < img->high_gpa; gpa += PAGE_SIZE) {
		while (p < img->nr && img->pages[p].gpa < gpa)
			p++;
		if (p < img->nr && img->pages[p].gpa == gpa)
			continue;
		if (td->nr_holes % 16 == 0) {
			uint64_t *n = realloc(td->holes, (td->nr_holes + 16) * sizeof(*n));

			if (!n) {
				ERR("out of memory");
				return -ENOMEM;
			}
			td->holes = n;
		}
		td->holes[td->nr_holes++] = gpa;
	}
	return 0;
}

enum vmm_stop_reason vmm_image_hole(const struct vmm_td *td, uint64_t gpa, const char *access,
				    char *what, size_t len)
{
	const char *sym;
	uint64_t page = gpa & PAGE_MASK, off;
	unsigned int ap;
	char c;

	for (unsigned int i = 0;; i++) {
		if (i == td->nr_holes)
			return VMM_STOP_NONE;
		if (td->holes[i] == page)
			break;
	}
	/* The symbol at the page above names the stack the guard is below. */
	sym = vmm_symbols_lookup(td->syms, page + PAGE_SIZE - VMM_IMAGE_GPA, &off);
	if (sym && !off && !strcmp(sym, "__stack_bottom")) {
		snprintf(what, len,
			 "stack overflow: GPA 0x%llx is the guard page below the boot stack",
			 (unsigned long long)gpa);
		return VMM_STOP_STACK_OVERFLOW;
	}
	if (sym && !off && sscanf(sym, "__tdx_ap_stack_%u%c", &ap, &c) == 1) {
		snprintf(what, len,
			 "stack overflow: GPA 0x%llx is the guard page below the AP stack of vCPU "
			 "%u",
			 (unsigned long long)gpa, ap);
		return VMM_STOP_STACK_OVERFLOW;
	}
	snprintf(what, len, "%s of GPA 0x%llx, a page of the image no segment loads", access,
		 (unsigned long long)gpa);
	return VMM_STOP_EPT_VIOLATION;
}

/* KVM's hardware enable: VMX operation on every online LP (left on, as KVM does while it is
 * loaded); SEAMCALL raises #UD without it. */
static long vmxon_fn(void *arg)
{
	(void)arg;
	return lp_in_vmx() ? 0 : lp_vmxon();
}

/*
 * Tell a debugger where the image is (vmm/debug.h): its executable pages in the window, and
 * the path it was read from, absolute so that a debugger in another directory finds it.
 */
static void debug_image_loaded(struct vmm_td *td, const char *path, const struct vmm_image *img)
{
	uintptr_t base = td_window_base(td->window);

	td->text_lo = td->text_hi = 0;
	for (unsigned int i = 0; i < img->nr; i++) {
		if (!img->pages[i].exec || img->pages[i].gpa < img->low_gpa ||
		    img->pages[i].gpa >= img->high_gpa)
			continue;
		if (!td->text_hi || base + img->pages[i].gpa < td->text_lo)
			td->text_lo = base + img->pages[i].gpa;
		if (base + img->pages[i].gpa + 4096 > td->text_hi)
			td->text_hi = base + img->pages[i].gpa + 4096;
	}
	td->debug_path = realpath(path, NULL);
	if (!td->debug_path)
		td->debug_path = strdup(path);
	tdxsim_debug_image_event(TDXSIM_DEBUG_IMAGE_LOADED, td->debug_path ? td->debug_path : path,
				 vmm_td_image_base(td), td->text_lo, td->text_hi);
}

int vmm_td_create(const struct vmm_td_config *cfg, const char *path, struct vmm_td **out, char *err,
		  size_t errlen)
{
	struct vmm_image img;
	struct vmm_td *td;
	uint64_t t0 = vmm_now_ns();
	int ret;

	*out = NULL;
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
	if (ret) {
		ERR("VMXON: %s", strerror(-ret));
		return ret;
	}
	ret = vmm_image_load(path, &img, err, errlen);
	if (ret)
		return ret;
	ret = check_config(cfg, &img, err, errlen);
	if (ret) {
		vmm_image_free(&img);
		return ret;
	}
	td = calloc(1, sizeof(*td));
	if (!td) {
		vmm_image_free(&img);
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
	pthread_cond_init(&td->wake, NULL);
	ret = devices_create(td);
	if (ret) {
		ERR("device models: %s", strerror(-ret));
	} else {
		ret = build(td, &img, err, errlen);
		if (!ret) {
			ret = vmm_vcpus_init(td);
			if (ret)
				ERR("vCPU set-up: %s", strerror(-ret));
		}
	}
	td->image_size = img.high_gpa - VMM_IMAGE_GPA;
	if (!ret)
		ret = record_holes(td, &img, err, errlen);
	if (!ret)
		debug_image_loaded(td, path, &img);
	vmm_image_free(&img);
	if (ret) {
		vmm_td_destroy(td);
		return ret;
	}
	load_symbols(td, path);
	td->build_ns = vmm_now_ns() - t0;
	*out = td;
	return 0;
}

uintptr_t vmm_td_image_base(struct vmm_td *td)
{
	return td->window ? td_window_base(td->window) + VMM_IMAGE_GPA : 0;
}

struct mrtd_args {
	struct vmm_td *td;
	uint8_t *mrtd;
};

static long mrtd_fn(void *arg)
{
	struct mrtd_args *m = arg;

	for (unsigned int i = 0; i < 6; i++) {
		uint64_t v;

		if (tdh_mng_rd(&m->td->htd, VMM_MD_TDCS_MRTD + i, &v))
			return -EIO;
		memcpy(m->mrtd + 8 * i, &v, 8);
	}
	return 0;
}

int vmm_td_mrtd(struct vmm_td *td, uint8_t mrtd[48])
{
	struct mrtd_args m = {.td = td, .mrtd = mrtd};

	return (int)lp_run_on(0, mrtd_fn, &m);
}

/* ------------------------------------------------------------------------------------------
 * Teardown
 */

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

	/* Shared pages: the VMM's own, out of the window first. */
	for (size_t i = 0; i < td->nr_shared; i++) {
		td_window_unmap(td->window, td->shared_gpa[i], true);
		free_page(td->shared_hpa[i]);
	}
	td->nr_shared = 0;
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
	devices_destroy(td);
	vmm_symbols_free(td->syms);
	free(td->holes);
	free(td->pages);
	free(td->shared_gpa);
	free(td->shared_hpa);
	pthread_cond_destroy(&td->wake);
	pthread_mutex_destroy(&td->trace_lock);
	pthread_mutex_destroy(&td->lock);
	pthread_mutex_destroy(&td->pages_lock);
	free(td);
	return trace_errno;
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

const char *vmm_exit_reason_name(unsigned int reason)
{
	switch (reason) {
	case EXIT_REASON_EXCEPTION_NMI:
		return "EXCEPTION_NMI";
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		return "EXTERNAL_INTERRUPT";
	case EXIT_REASON_TRIPLE_FAULT:
		return "TRIPLE_FAULT";
	case EXIT_REASON_EPT_VIOLATION:
		return "EPT_VIOLATION";
	case EXIT_REASON_TDCALL:
		return "TDCALL";
	/* #VE reasons (the --trace "ve" lines): what the module turns into a #VE. */
	case EXIT_REASON_CPUID:
		return "CPUID";
	case EXIT_REASON_HLT:
		return "HLT";
	case EXIT_REASON_INVD:
		return "INVD";
	case EXIT_REASON_VMCALL:
		return "VMCALL";
	case EXIT_REASON_IO_INSTRUCTION:
		return "IO_INSTRUCTION";
	case EXIT_REASON_MSR_READ:
		return "MSR_READ";
	case EXIT_REASON_MSR_WRITE:
		return "MSR_WRITE";
	case EXIT_REASON_MWAIT_INSTRUCTION:
		return "MWAIT_INSTRUCTION";
	case EXIT_REASON_MONITOR_INSTRUCTION:
		return "MONITOR_INSTRUCTION";
	case EXIT_REASON_WBINVD:
		return "WBINVD";
	case EXIT_REASON_PCONFIG:
		return "PCONFIG";
	default:
		return NULL;
	}
}

const char *vmm_tdvmcall_kind_name(enum vmm_tdvmcall_kind k)
{
	static const char *const names[VMM_TDVMCALL_KINDS] = {
		"CPUID",  "HLT",      "IO",
		"RDMSR",  "WRMSR",    "MMIO",
		"MapGPA", "GetQuote", "ReportFatalError",
		"other",
	};

	return k < VMM_TDVMCALL_KINDS ? names[k] : NULL;
}

const char *vmm_stop_reason_name(enum vmm_stop_reason r)
{
	static const char *const names[] = {
		"running",	 "poweroff",  "fatal error", "triple fault", "non-recoverable",
		"EPT violation", "VMM error", "no progress", "interrupted",  "stack overflow",
	};

	return r <= VMM_STOP_STACK_OVERFLOW ? names[r] : "?";
}
