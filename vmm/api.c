// SPDX-License-Identifier: MIT
/*
 * libtdxsim's embedder API (include/tdxsim/tdxsim.h, docs/API.md) where it is not the run
 * loop's (vcpu.c): the machine's bring-up and teardown, the module's TD capabilities, a raw
 * SEAMCALL, exits asked for, MP state, MSRs and their filter, guest memory by GPA, resuming
 * a stopped TD.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <tdx/leaves.h>
#include <tdx/status.h>

#include "host/page_alloc.h"
#include "host/seamcall.h"
#include "host/tdx_host.h"
#include "module/tdx_module.h"
#include "platform/system/system.h"
#include "vmm/attest_pki.h"
#include "vmm_internal.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

/* ------------------------------------------------------------------------------------------
 * The machine
 */

static bool booted;
static bool log_sink_set;
static enum tdxsim_cpu booted_cpu;

bool tdxsim_booted(void)
{
	return booted;
}

enum tdxsim_cpu tdxsim_cpu_backend(void)
{
	return booted ? booted_cpu : TDXSIM_CPU_NATIVE;
}

void tdxsim_claim_signals(void)
{
	if (booted)
		platform_claim_signals();
}

void tdxsim_set_seamcall_path(enum tdxsim_seamcall_path path)
{
	tdx_seamcall_set_gate(path == TDXSIM_SEAMCALL_GATE);
}

enum tdxsim_seamcall_path tdxsim_seamcall_path(void)
{
	return tdx_seamcall_gate() ? TDXSIM_SEAMCALL_GATE : TDXSIM_SEAMCALL_INSN;
}

void tdxsim_machine_stats(struct tdxsim_machine_stats *st)
{
	struct platform_stats ps = {0};

	if (booted)
		platform_get_stats(&ps);
	*st = (struct tdxsim_machine_stats){.traps = ps.traps,
					    .gate_calls = ps.gate_calls,
					    .exits = ps.exits,
					    .deliveries = ps.deliveries,
					    .async_exits = ps.async_exits};
}

const char *const *tdxsim_machine_presets(void)
{
	return machine_preset_names();
}

unsigned int tdxsim_nr_lps(void)
{
	return booted ? platform_nr_lps() : 0;
}

unsigned int tdxsim_nr_online_lps(void)
{
	return booted ? platform_nr_online_lps() : 0;
}

/* @name as a preset, else as a configuration file. */
static int machine_config_of(const char *name, struct machine_config *mc, char *err, size_t errlen)
{
	char why[512];
	size_t n = 0;
	int ret;

	if (!machine_preset(name, mc))
		return 0;
	ret = machine_config_load(name, mc, why, sizeof(why));
	if (!ret)
		return 0;
	n += (size_t)snprintf(err, errlen, "machine %s: not a preset (", name);
	for (const char *const *p = machine_preset_names(); *p && n < errlen; p++)
		n += (size_t)snprintf(err + n, errlen - n, "%s%s", *p, p[1] ? ", " : "");
	if (n < errlen)
		snprintf(err + n, errlen - n, ") and not a configuration file: %s", why);
	return ret;
}

int tdxsim_machine_describe(const char *machine, struct tdxsim_machine_desc *d, char *err,
			    size_t errlen)
{
	struct machine_config mc;
	int ret = machine_config_of(machine ? machine : "laptop", &mc, err, errlen);

	memset(d, 0, sizeof(*d));
	if (ret)
		return ret;
	snprintf(d->name, sizeof(d->name), "%s", mc.name);
	d->packages = mc.packages;
	d->cores_per_package = mc.cores_per_package;
	d->threads_per_core = mc.threads_per_core;
	d->ram_bytes = machine_ram_bytes(&mc);
	for (unsigned int i = 0; i < mc.nr_ram && i < sizeof(d->ram) / sizeof(d->ram[0]); i++) {
		d->ram[i].base = mc.ram[i].base;
		d->ram[i].size = mc.ram[i].size;
		d->ram[i].node = mc.ram[i].node;
		d->nr_ram++;
	}
	return 0;
}

int tdxsim_boot(const struct tdxsim_boot *opts, char *err, size_t errlen)
{
	static const struct tdxsim_boot none;
	struct machine_config mc;
	int ret;

	if (!opts)
		opts = &none;
	if (booted) {
		ERR("the machine is already booted (one per process)");
		return -EBUSY;
	}
	ret = machine_config_of(opts->machine ? opts->machine : "laptop", &mc, err, errlen);
	if (ret)
		return ret;
	return tdxsim_boot_config(&mc, opts, err, errlen);
}

int tdxsim_boot_config(const struct machine_config *config, const struct tdxsim_boot *opts,
		       char *err, size_t errlen)
{
	static const struct tdxsim_boot none;
	struct tdx_module_params params = {0};
	struct machine_config mc = *config;
	unsigned int lps;
	char why[256], err_system[1024];
	enum tdxsim_cpu cpu;
	int ret;

	if (!opts)
		opts = &none;
	if (booted) {
		ERR("the machine is already booted (one per process)");
		return -EBUSY;
	}
	cpu = opts->cpu;
	if (getenv("TDXSIM_CPU") && *getenv("TDXSIM_CPU")) {
		/* As TDXSIM_CPUID does for the CPUID mode: the environment's say over any run. */
		if (!strcmp(getenv("TDXSIM_CPU"), "system")) {
			cpu = TDXSIM_CPU_SYSTEM;
		} else if (!strcmp(getenv("TDXSIM_CPU"), "native")) {
			cpu = TDXSIM_CPU_NATIVE;
		} else {
			ERR("TDXSIM_CPU: '%s' is not native or system", getenv("TDXSIM_CPU"));
			return -EINVAL;
		}
	}
	if (cpu != TDXSIM_CPU_NATIVE && cpu != TDXSIM_CPU_SYSTEM) {
		ERR("cpu backend %d: not native (0) or system (1)", (int)cpu);
		return -EINVAL;
	}
	if (opts->seamcall != TDXSIM_SEAMCALL_GATE && opts->seamcall != TDXSIM_SEAMCALL_INSN) {
		ERR("seamcall path %d: not gate (0) or insn (1)", (int)opts->seamcall);
		return -EINVAL;
	}
	if (opts->module_version && !strcmp(opts->module_version, "1.5.01")) {
		params.version = TDX_MODULE_1_5_01;
	} else if (opts->module_version && strcmp(opts->module_version, "latest")) {
		ERR("module version '%s': not latest or 1.5.01", opts->module_version);
		return -EINVAL;
	}
	lps = mc.packages * mc.cores_per_package * mc.threads_per_core;
	if (opts->online_lps > lps) {
		ERR("online_lps: %u, but machine %s has %u LPs", opts->online_lps, mc.name, lps);
		return -EINVAL;
	}
	if (opts->online_lps)
		mc.online_lps = opts->online_lps;
	/* QEMU runs at most SYSTEM_MAX_LPS: a larger machine has that many online. */
	if (cpu == TDXSIM_CPU_SYSTEM && !opts->online_lps && lps > SYSTEM_MAX_LPS &&
	    (!mc.online_lps || mc.online_lps > SYSTEM_MAX_LPS))
		mc.online_lps = SYSTEM_MAX_LPS;
	if (opts->log) {
		tdx_log_set_sink(opts->log, opts->log_opaque);
		log_sink_set = true;
	}
	tdx_seamcall_set_gate(opts->seamcall == TDXSIM_SEAMCALL_GATE);
	ret = platform_boot(&mc);
	if (ret) {
		ERR("machine boot failed: %s", strerror(-ret));
		goto out_log;
	}
	platform_claim_signals();
	if (cpu == TDXSIM_CPU_SYSTEM) {
		ret = system_backend_start(NULL, err_system, sizeof(err_system));
		if (ret) {
			ERR("the system CPU backend: %s", err_system);
			goto out_platform;
		}
	}
	ret = page_alloc_init();
	if (ret) {
		ERR("host page allocator: %s", strerror(-ret));
		goto out_system;
	}
	/* The module's `host` CPUID bits are those of the CPU guest code runs on (system.h). */
	if (cpu == TDXSIM_CPU_SYSTEM)
		params.host_cpuid = system_host_cpuid;
	ret = tdx_module_load(&params);
	if (ret) {
		ERR("loading the TDX module failed: %s", strerror(-ret));
		goto out_page_alloc;
	}
	if (opts->inject && (ret = tdx_module_inject_parse(opts->inject, why, sizeof(why)))) {
		ERR("inject: %s", why);
		goto out_module;
	}
	ret = tdx_init();
	if (ret) {
		ERR("tdx_init failed: %s", strerror(-ret));
		goto out_module;
	}
	if (!opts->no_tdx_enable && (ret = tdx_enable())) {
		ERR("TDX bring-up failed: tdx_enable: %s", strerror(-ret));
		tdx_exit();
		goto out_module;
	}
	booted = true;
	booted_cpu = cpu;
	return 0;
out_module:
	tdx_module_unload();
out_page_alloc:
	page_alloc_exit();
out_system:
	system_backend_stop();
out_platform:
	platform_shutdown();
out_log:
	if (log_sink_set)
		tdx_log_set_sink(NULL, NULL);
	log_sink_set = false;
	return ret;
}

void tdxsim_shutdown(void)
{
	if (!booted)
		return;
	tdx_exit();
	tdx_module_unload();
	system_backend_stop();
	page_alloc_exit();
	platform_shutdown();
	if (log_sink_set)
		tdx_log_set_sink(NULL, NULL);
	log_sink_set = false;
	booted = false;
}

/* ------------------------------------------------------------------------------------------
 * Host developers
 */

int tdxsim_tdx_enable(void)
{
	if (!booted)
		return -ENODEV;
	if (tdx_get_sysinfo())
		return -EALREADY;
	return tdx_enable();
}

void tdxsim_tdx_print_layout(void)
{
	if (booted)
		tdx_print_layout();
}

unsigned int tdxsim_nr_cmrs(void)
{
	const struct tdx_sys_info *si = booted ? tdx_get_sysinfo() : NULL;

	return si ? si->cmr.num_cmrs : 0;
}

int tdxsim_cmr(unsigned int i, uint64_t *base, uint64_t *size)
{
	const struct tdx_sys_info *si = booted ? tdx_get_sysinfo() : NULL;

	if (!si || i >= si->cmr.num_cmrs)
		return -EINVAL;
	*base = si->cmr.cmr_base[i];
	*size = si->cmr.cmr_size[i];
	return 0;
}

const struct tdmr_info *tdxsim_tdmr(unsigned int i, int *pamt_node)
{
	return booted && tdx_get_sysinfo() ? tdx_layout_tdmr(i, pamt_node) : NULL;
}

uint64_t tdxsim_pamt_bytes(void)
{
	return booted ? tdx_pamt_bytes() : 0;
}

uint64_t tdxsim_resident_bytes(void)
{
	return booted ? phys_resident_bytes() : 0;
}

void tdxsim_fmt_size(char *buf, size_t len, uint64_t bytes)
{
	tdx_fmt_size(buf, len, bytes);
}

int tdxsim_tdx_caps(struct tdxsim_tdx_caps *caps)
{
	const struct tdx_sys_info *si = booted ? tdx_get_sysinfo() : NULL;
	const struct tdx_sys_info_td_conf *tc;

	memset(caps, 0, sizeof(*caps));
	if (!si)
		return -ENODEV;
	tc = &si->td_conf;
	caps->attributes_fixed0 = tc->attributes_fixed0;
	caps->attributes_fixed1 = tc->attributes_fixed1;
	caps->xfam_fixed0 = tc->xfam_fixed0;
	caps->xfam_fixed1 = tc->xfam_fixed1;
	caps->max_vcpus_per_td = tc->max_vcpus_per_td;
	for (unsigned int i = 0; i < tc->num_cpuid_config && i < VMM_MAX_CPUID_CONFIG; i++) {
		struct vmm_cpuid_config *c = &caps->cpuid_config[i];

		c->leaf = (uint32_t)tc->cpuid_config_leaves[i];
		c->subleaf = (uint32_t)(tc->cpuid_config_leaves[i] >> 32);
		c->eax = (uint32_t)tc->cpuid_config_values[i][0];
		c->ebx = (uint32_t)(tc->cpuid_config_values[i][0] >> 32);
		c->ecx = (uint32_t)tc->cpuid_config_values[i][1];
		c->edx = (uint32_t)(tc->cpuid_config_values[i][1] >> 32);
		caps->nr_cpuid_config++;
	}
	return 0;
}

struct raw_seamcall {
	uint64_t fn;
	struct tdx_module_args *args;
	uint64_t status;
};

/* One call as the host's wrappers make it (interrupts off around it), not retried. */
static long raw_seamcall_fn(void *arg)
{
	struct raw_seamcall *r = arg;
	unsigned long flags;

	if (!lp_in_vmx()) {
		int ret = lp_vmxon();

		if (ret)
			return ret;
	}
	flags = lp_irq_save();
	r->status = __seamcall(r->fn, r->args);
	lp_irq_restore(flags);
	return 0;
}

int tdxsim_seamcall(unsigned int lp, uint64_t fn, struct tdx_module_args *args, uint64_t *status)
{
	struct raw_seamcall r = {.fn = fn, .args = args};
	long ret;

	if (!booted)
		return -ENODEV;
	if (lp >= platform_nr_lps())
		return -EINVAL;
	ret = lp_run_on(lp, raw_seamcall_fn, &r);
	if (ret)
		return (int)ret;
	*status = r.status;
	return 0;
}

int tdxsim_attest_export(const char *dir)
{
	return attest_pki_export(dir);
}

/* ------------------------------------------------------------------------------------------
 * Exits, resuming
 */

int tdxsim_td_set_exits(struct vmm_td *td, uint32_t mask)
{
	if (mask &
	    ~(uint32_t)(TDXSIM_EXITS_ALL | TDXSIM_EXIT_BIT(TDXSIM_EXIT_STOPPED) | TDXSIM_EXITS_TD))
		return -EINVAL;
	__atomic_store_n(&td->tvtd.exit_mask, mask, __ATOMIC_RELAXED);
	return 0;
}

struct tdxsim_exit *tdxsim_vcpu_exit(struct vmm_td *td, unsigned int vcpu)
{
	return vcpu < td->nr_vcpus ? &td->vcpus[vcpu].exit : NULL;
}

void tdxsim_td_set_exit_handler(struct vmm_td *td, tdxsim_exit_fn fn, void *opaque)
{
	pthread_mutex_lock(&td->lock);
	td->exit_fn = fn;
	td->exit_opaque = opaque;
	pthread_mutex_unlock(&td->lock);
}

int tdxsim_td_resume(struct vmm_td *td)
{
	int ret = 0;

	pthread_mutex_lock(&td->lock);
	for (unsigned int v = 0; v < td->nr_vcpus; v++)
		if (td->vcpus[v].stepping)
			ret = -EBUSY;
	if (td->running)
		ret = -EBUSY;
	if (!ret && (!atomic_load(&td->stop) || (td->result.reason != VMM_STOP_FATAL_ERROR &&
						 td->result.reason != VMM_STOP_INTERRUPTED)))
		ret = -EINVAL;
	if (!ret) {
		memset(&td->result, 0, sizeof(td->result));
		atomic_store(&td->stop, false);
	}
	pthread_mutex_unlock(&td->lock);
	return ret;
}

/* ------------------------------------------------------------------------------------------
 * vCPU state
 */

int tdxsim_vcpu_get_mp_state(struct vmm_td *td, unsigned int vcpu, enum tdxsim_mp_state *state)
{
	struct vmm_vcpu *vc;

	if (vcpu >= td->nr_vcpus)
		return -EINVAL;
	vc = &td->vcpus[vcpu];
	*state = atomic_load(&vc->apic.halted) || atomic_load(&vc->mp_halted) ? TDXSIM_MP_HALTED
									      : TDXSIM_MP_RUNNABLE;
	return 0;
}

int tdxsim_vcpu_set_mp_state(struct vmm_td *td, unsigned int vcpu, enum tdxsim_mp_state state)
{
	struct vmm_vcpu *vc;

	if (vcpu >= td->nr_vcpus || (state != TDXSIM_MP_RUNNABLE && state != TDXSIM_MP_HALTED))
		return -EINVAL;
	vc = &td->vcpus[vcpu];
	pthread_mutex_lock(&td->lock);
	if (state == TDXSIM_MP_HALTED) {
		atomic_store(&vc->mp_halted, true);
	} else {
		atomic_store(&vc->mp_halted, false);
		if (atomic_load(&vc->apic.halted)) {
			atomic_store(&vc->mp_wake, true);
			pthread_cond_broadcast(&td->wake);
		}
	}
	pthread_mutex_unlock(&td->lock);
	return 0;
}

int tdxsim_vcpu_get_msr(struct vmm_td *td, unsigned int vcpu, uint32_t msr, uint64_t *value)
{
	if (vcpu >= td->nr_vcpus)
		return -EINVAL;
	return msr_store_get(&td->vcpus[vcpu].tv.msrs, msr, value);
}

int tdxsim_vcpu_set_msr(struct vmm_td *td, unsigned int vcpu, uint32_t msr, uint64_t value)
{
	if (vcpu >= td->nr_vcpus)
		return -EINVAL;
	return msr_store_set(&td->vcpus[vcpu].tv.msrs, msr, value);
}

int tdxsim_td_msr_filter_reset(struct vmm_td *td, enum tdxsim_msr_action default_action)
{
	if (default_action != TDXSIM_MSR_ALLOW && default_action != TDXSIM_MSR_DENY)
		return -EINVAL;
	msr_filter_init(&td->msr_filter,
			default_action == TDXSIM_MSR_ALLOW ? MSR_FILTER_ALLOW : MSR_FILTER_DENY);
	return 0;
}

int tdxsim_td_msr_filter_add(struct vmm_td *td, uint32_t first, uint32_t count, unsigned int flags,
			     enum tdxsim_msr_action action)
{
	if (action != TDXSIM_MSR_ALLOW && action != TDXSIM_MSR_DENY)
		return -EINVAL;
	return msr_filter_add(&td->msr_filter, first, count, flags,
			      action == TDXSIM_MSR_ALLOW ? MSR_FILTER_ALLOW : MSR_FILTER_DENY);
}

/* ------------------------------------------------------------------------------------------
 * Guest memory
 */

uint64_t tdxsim_td_shared_bit(const struct vmm_td *td)
{
	return td->shared_bit;
}

void *tdxsim_td_shared_va(struct vmm_td *td, uint64_t gpa, size_t len)
{
	uint64_t g = gpa & ~td->shared_bit;

	if (!(gpa & td->shared_bit) || !len || g + len < g || (g + len - 1) >> td->gpaw)
		return NULL;
	return vmm_shared_span(td, g, len);
}

struct private_rw {
	struct vmm_td *td;
	uint64_t gpa;
	uint8_t *buf;
	size_t len;
	bool write;
	uint64_t status;
};

/* TDH.MEM.RD/WR, 8 aligned bytes at a time; a partial word is read, merged, written. */
static long private_rw_fn(void *arg)
{
	struct private_rw *r = arg;
	uint64_t leaf = r->write ? TDH_MEM_WR : TDH_MEM_RD;

	for (size_t done = 0; done < r->len;) {
		uint64_t gpa = r->gpa + done, word = gpa & ~7ULL, off = gpa - word;
		size_t n = 8 - off < r->len - done ? 8 - off : r->len - done;
		struct tdx_module_args a = {.rcx = word, .rdx = r->td->htd.tdr_pa};
		uint8_t bytes[8];

		if (!r->write || n < 8) {
			r->status = seamcall(TDH_MEM_RD, &a);
			if (r->status)
				return -1;
			memcpy(bytes, &a.r8, 8);
		}
		if (!r->write) {
			memcpy(r->buf + done, bytes + off, n);
		} else {
			memcpy(bytes + off, r->buf + done, n);
			a = (struct tdx_module_args){.rcx = word, .rdx = r->td->htd.tdr_pa};
			memcpy(&a.r8, bytes, 8);
			r->status = seamcall(leaf, &a);
			if (r->status)
				return -1;
		}
		done += n;
	}
	return 0;
}

static int gpa_rw(struct vmm_td *td, uint64_t gpa, void *buf, size_t len, bool write)
{
	uint64_t g = gpa & ~td->shared_bit;
	struct private_rw r = {.td = td, .gpa = gpa, .buf = buf, .len = len, .write = write};
	int lp = lp_current();

	if (!len)
		return 0;
	if (g + len < g || (g + len - 1) >> td->gpaw || (g + len - 1) & td->shared_bit)
		return -EINVAL;
	if (gpa & td->shared_bit)
		return vmm_shared_rw(td, g, buf, len, write);
	if (lp_run_on(lp >= 0 ? (unsigned int)lp : 0, private_rw_fn, &r) == 0)
		return 0;
	if (tdx_status_code(r.status) == TDX_TD_NON_DEBUG)
		return -EPERM;
	return -EFAULT;
}

int tdxsim_td_read_gpa(struct vmm_td *td, uint64_t gpa, void *buf, size_t len)
{
	return gpa_rw(td, gpa, buf, len, false);
}

int tdxsim_td_write_gpa(struct vmm_td *td, uint64_t gpa, const void *buf, size_t len)
{
	return gpa_rw(td, gpa, (void *)buf, len, true);
}

/* ------------------------------------------------------------------------------------------
 * Shared memory the embedder supplies
 */

/* The VMM's own mapping of @b's file: the whole range there, read-write. */
static int backing_map_fd(const struct tdxsim_shared_backing *b, uint8_t **hold, char *err,
			  size_t errlen)
{
	struct stat st;
	void *p;

	if (fstat(b->fd, &st)) {
		ERR("fd %d: %s", b->fd, strerror(errno));
		return -EBADF;
	}
	if (!S_ISREG(st.st_mode)) {
		ERR("fd %d: not a regular file or memfd", b->fd);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size < b->offset || (uint64_t)st.st_size - b->offset < b->size) {
		ERR("fd %d: %lld bytes, shorter than offset 0x%llx + size 0x%llx", b->fd,
		    (long long)st.st_size, (unsigned long long)b->offset,
		    (unsigned long long)b->size);
		return -ENXIO;
	}
	p = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, (off_t)b->offset);
	if (p == MAP_FAILED) {
		int e = errno;

		ERR("fd %d: %s", b->fd,
		    e == EACCES ? "not open for reading and writing" : strerror(e));
		return -e;
	}
	*hold = p;
	return 0;
}

/* The VMM's own mapping of the same pages as @b's addr (mremap(2), old size 0). */
static int backing_map_addr(const struct tdxsim_shared_backing *b, uint8_t **hold, char *err,
			    size_t errlen)
{
	void *p = mremap(b->addr, 0, b->size, MREMAP_MAYMOVE);
	int e = errno;

	if (p == MAP_FAILED) {
		if (e == EINVAL)
			ERR("addr %p: not a MAP_SHARED mapping", b->addr);
		else
			ERR("addr %p: 0x%llx bytes not mapped whole (one mapping)", b->addr,
			    (unsigned long long)b->size);
		return e == EINVAL ? -EINVAL : -EFAULT;
	}
	if (mprotect(p, b->size, PROT_READ | PROT_WRITE)) {
		e = errno;
		munmap(p, b->size);
		ERR("addr %p: cannot be made writable: %s", b->addr, strerror(e));
		return -EACCES;
	}
	*hold = p;
	return 0;
}

/* What needs no mapping: the arguments, the TD's state, the backend. */
static int backing_check(struct vmm_td *td, const struct tdxsim_shared_backing *b, uint64_t g,
			 char *err, size_t errlen)
{
	if (!td || !b) {
		ERR("no %s", td ? "backing" : "TD");
		return -EINVAL;
	}
	if ((b->fd >= 0) == (b->addr != NULL)) {
		ERR("%s of fd and addr", b->fd >= 0 ? "both" : "neither");
		return -EINVAL;
	}
	if (((g | b->size | (b->fd >= 0 ? b->offset : (uintptr_t)b->addr)) & ~PAGE_MASK) ||
	    !b->size) {
		ERR("gpa 0x%llx, size 0x%llx, %s 0x%llx: not whole pages",
		    (unsigned long long)b->gpa, (unsigned long long)b->size,
		    b->fd >= 0 ? "offset" : "addr",
		    (unsigned long long)(b->fd >= 0 ? b->offset : (uintptr_t)b->addr));
		return -EINVAL;
	}
	if (g + b->size < g || g + b->size > td->cfg.memory_size) {
		ERR("[0x%llx, 0x%llx) is beyond the TD's memory (0x%llx bytes)",
		    (unsigned long long)g, (unsigned long long)(g + b->size),
		    (unsigned long long)td->cfg.memory_size);
		return -ERANGE;
	}
	if (tdxsim_cpu_backend() == TDXSIM_CPU_SYSTEM) {
		ERR("the system CPU backend cannot: the TD's memory is the machine's physical "
		    "memory, given to QEMU at its start");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* The TD has entered a vCPU, or is being run. td->lock held. */
static bool td_has_run(const struct vmm_td *td)
{
	if (td->running)
		return true;
	for (unsigned int v = 0; v < td->nr_vcpus; v++)
		if (td->vcpus[v].st.entries || td->vcpus[v].stepping)
			return true;
	return false;
}

int tdxsim_td_set_shared_backing(struct vmm_td *td, const struct tdxsim_shared_backing *b,
				 char *err, size_t errlen)
{
	uint64_t g = b && td ? b->gpa & ~td->shared_bit : 0;
	uint8_t *hold = NULL;
	int ret;

	ret = backing_check(td, b, g, err, errlen);
	if (ret)
		return ret;
	pthread_mutex_lock(&td->lock);
	if (td_has_run(td)) {
		ERR("the TD has run: shared backing is set before its first run");
		pthread_mutex_unlock(&td->lock);
		return -EBUSY;
	}
	ret = b->fd >= 0 ? backing_map_fd(b, &hold, err, errlen)
			 : backing_map_addr(b, &hold, err, errlen);
	if (!ret && (ret = vmm_shared_backing_add(td, g, b->size, hold))) {
		munmap(hold, b->size);
		if (ret == -EEXIST)
			ERR("[0x%llx, 0x%llx) overlaps a range backed before",
			    (unsigned long long)g, (unsigned long long)(g + b->size));
		else
			ERR("%s", strerror(-ret));
	}
	pthread_mutex_unlock(&td->lock);
	return ret;
}
