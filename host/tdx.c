// SPDX-License-Identifier: MIT
/*
 * TDX module bring-up and teardown: tdx_init, tdx_enable, tdx_disable [ABI §6, §7].
 *
 * tdx_enable() does the whole bring-up itself [ABI §11.3]: the caller neither holds the
 * hotplug lock nor enables CPUs. Under the hotplug read lock no CPU comes or goes, so the
 * set of CPUs that did LP.INIT stays the set of online CPUs, and no package loses its last
 * CPU between KEY.CONFIG and the end. Later CPUs are LP.INIT'ed by TDX's hotplug callback.
 *
 * Steps, each a small function, each undone in reverse on failure:
 *   1. every online CPU: VMXON, SYS.INIT (the first one; the result is shared), LP.INIT;
 *   2. metadata (SYS.RD) into struct tdx_sys_info;
 *   3. TDMRs, PAMTs, reserved areas from the RAM map; the TDMR_INFO list in memory;
 *   4. SYS.CONFIG with the global KeyID;
 *   5. KEY.CONFIG on one CPU of each package;
 *   6. TDMR.INIT until every TDMR is initialised.
 *
 * Transient failures (module not loaded, busy, out of entropy, key generation failed, out
 * of memory) leave the status UNINITIALIZED so a later tdx_enable() can succeed. If the
 * module was already configured then, the TDMRs and PAMTs are kept, since the module uses
 * them, and the next call resumes at KEY.CONFIG. Any other failure is final (ERROR), as
 * in Linux: the PAMTs are reset and freed, and every later call returns -EINVAL.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform.h"
#include "tdx/leaves.h"
#include "tdx/metadata.h"
#include "tdx/status.h"

#include "page_alloc.h"
#include "tdmr.h"
#include "tdx_internal.h"

static struct {
	bool ready; /* tdx_init() done */
	/* One bring-up or teardown at a time; always taken after the hotplug lock. */
	pthread_mutex_t lock;
	enum tdx_module_status_t status;

	/* SYS.INIT: done by the first CPU, its result shared by all (per attempt). */
	pthread_mutex_t sysinit_lock;
	bool sysinit_done;
	int sysinit_ret;
	uint64_t sysinit_status;

	atomic_bool lp_initialized[PLATFORM_MAX_LPS];

	/* How far the module got, for a resumed bring-up. */
	bool configured;    /* SYS.CONFIG succeeded: the module uses the PAMTs */
	uint32_t pkg_keyed; /* packages whose KEY.CONFIG succeeded */

	struct tdx_sys_info sysinfo;
	bool sysinfo_valid;
	struct tdx_memblock mem[TDX_MAX_MEMBLOCKS];
	unsigned int nr_mem;
	struct tdmr_info_list tdmrs;

	/* The status that failed the current attempt (decides transient or final). */
	_Atomic uint64_t fail_status;
} tdx = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.sysinit_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* ------------------------------------------------------------------------------------------
 * Helpers
 */

void tdx_note_failure(uint64_t status)
{
	uint64_t expected = 0;

	atomic_compare_exchange_strong(&tdx.fail_status, &expected, status);
}

/* seamcall_err(), remembering the status for the transient/final decision. */
static int sc_fail(uint64_t fn, uint64_t status, const struct tdx_module_args *args, int cpu)
{
	tdx_note_failure(status);
	return seamcall_err(fn, status, args, cpu);
}

static int sc_call(uint64_t fn, struct tdx_module_args *args)
{
	uint64_t status;
	int cpu;

	status = seamcall_cpu(fn, args, &cpu);
	if (status == TDX_SUCCESS)
		return 0;
	return sc_fail(fn, status, args, cpu);
}

/* A status that says "try again later" rather than "this cannot work". */
static bool status_is_transient(uint64_t status)
{
	if (status == TDX_SEAMCALL_VMFAILINVALID)
		return true; /* no module yet, or the P-SEAMLDR is busy */
	if (tdx_status_is_sw_error(status))
		return false;
	if (tdx_status_code(status) == TDX_KEY_GENERATION_FAILED)
		return true;
	/* class 0x02: OPERAND_BUSY, SYS_BUSY, RND_NO_ENTROPY, ... */
	return tdx_status_class(status) == 0x02;
}

static bool failure_is_transient(int ret)
{
	uint64_t status = atomic_load(&tdx.fail_status);

	if (ret == -ENOMEM)
		return true;
	if (ret == -EIO || ret == -ENODEV)
		return status && status_is_transient(status);
	return false;
}

int tdx_vmx_get(bool *turned_on)
{
	int ret;

	*turned_on = false;
	if (lp_in_vmx())
		return 0; /* a TDX user's VMXON: leave it to them */
	ret = lp_vmxon();
	if (!ret)
		*turned_on = true;
	return ret;
}

void tdx_vmx_put(bool turned_on)
{
	if (turned_on)
		lp_vmxoff();
}

struct on_cpu {
	int (*fn)(void *arg);
	void *arg;
};

static long on_cpu_vmx(void *p)
{
	struct on_cpu *w = p;
	bool vmx;
	int ret;

	ret = tdx_vmx_get(&vmx);
	if (ret)
		return ret;
	ret = w->fn(w->arg);
	tdx_vmx_put(vmx);
	return ret;
}

/* Run fn on a CPU in VMX operation (VMXON around it when needed). */
static int tdx_run_on(unsigned int cpu, int (*fn)(void *), void *arg)
{
	struct on_cpu w = {fn, arg};

	return (int)lp_run_on(cpu, on_cpu_vmx, &w);
}

static int first_online_cpu(void)
{
	for (unsigned int i = 0; i < platform_nr_lps(); i++) {
		if (lp_is_online(i))
			return (int)i;
	}
	return -1;
}

static int first_online_cpu_of(unsigned int pkg)
{
	for (unsigned int i = 0; i < platform_nr_lps(); i++) {
		if (lp_is_online(i) && lp_package(i) == pkg)
			return (int)i;
	}
	return -1;
}

void tdx_fmt_size(char *buf, size_t len, uint64_t bytes)
{
	if (bytes >= (1ULL << 30))
		snprintf(buf, len, "%.1f GiB", (double)bytes / (1ULL << 30));
	else if (bytes >= (1ULL << 20))
		snprintf(buf, len, "%.1f MiB", (double)bytes / (1ULL << 20));
	else
		snprintf(buf, len, "%llu KiB", (unsigned long long)(bytes >> 10));
}

/* ------------------------------------------------------------------------------------------
 * Step 1: every online CPU
 */

/* SYS.INIT once; every CPU gets the same answer. */
static int try_init_module_global(void)
{
	struct tdx_module_args args = {};
	int cpu, ret;

	pthread_mutex_lock(&tdx.sysinit_lock);
	if (!tdx.sysinit_done) {
		tdx.sysinit_status = seamcall_cpu(TDH_SYS_INIT, &args, &cpu);
		tdx.sysinit_ret = tdx.sysinit_status == TDX_SUCCESS
					  ? 0
					  : sc_fail(TDH_SYS_INIT, tdx.sysinit_status, &args, cpu);
		tdx.sysinit_done = true;
	}
	ret = tdx.sysinit_ret;
	pthread_mutex_unlock(&tdx.sysinit_lock);
	return ret;
}

/* This CPU ready for SEAMCALLs: SYS.INIT (once) and LP.INIT. VMX on, IRQs off. */
static int tdx_cpu_enable(void)
{
	struct tdx_module_args args = {};
	int cpu = lp_current();
	int ret;

	if (cpu < 0)
		return -EINVAL;
	if (atomic_load(&tdx.lp_initialized[cpu]))
		return 0;
	ret = try_init_module_global();
	if (ret)
		return ret;
	ret = sc_call(TDH_SYS_LP_INIT, &args);
	if (ret)
		return ret;
	atomic_store(&tdx.lp_initialized[cpu], true);
	return 0;
}

static long tdx_cpu_enable_vmx(void *unused)
{
	unsigned long flags;
	bool vmx;
	int ret;

	(void)unused;
	flags = lp_irq_save();
	ret = tdx_vmx_get(&vmx);
	if (!ret) {
		ret = tdx_cpu_enable();
		tdx_vmx_put(vmx);
	}
	lp_irq_restore(flags);
	return ret;
}

static int enable_online_cpus(void)
{
	return (int)lp_run_on_each_online(tdx_cpu_enable_vmx, NULL, NULL);
}

/* ------------------------------------------------------------------------------------------
 * Step 2: metadata
 */

static int read_sysinfo(void *arg)
{
	return get_tdx_sys_info(arg);
}

static int check_features(const struct tdx_sys_info *si)
{
	/* The host does not save RBP around VP.ENTER: the module must not change it. */
	if (!(si->features.tdx_features0 & TDX_FEATURES0_NO_RBP_MOD)) {
		tdx_pr("module does not support NO_RBP_MOD (TDX_FEATURES0 0x%llx)",
		       (unsigned long long)si->features.tdx_features0);
		return -EINVAL;
	}
	return 0;
}

static int get_sysinfo(unsigned int cpu)
{
	struct tdx_sys_info *si = &tdx.sysinfo;
	int ret;

	ret = tdx_run_on(cpu, read_sysinfo, si);
	if (ret)
		return ret;
	tdx_pr("initializing TDX module: %u.%u.%02u (build_date %u, build_num %u)",
	       si->version.major_version, si->version.minor_version, si->version.update_version,
	       si->version.build_date, si->version.build_num);
	ret = check_features(si);
	if (ret)
		return ret;
	tdx.sysinfo_valid = true;
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * Step 3: TDMRs and PAMTs
 */

static uint64_t pamt_alloc(uint64_t nr_pages, int nid, void *arg)
{
	(void)arg;
	return alloc_contig_pages(nr_pages, PAGE_SIZE, nid);
}

/*
 * The host never touches PAMT memory: TDMR.INIT initialises it. Given back, it is reset
 * first (discarded, which zeroes it), as Linux resets PAMTs before freeing them.
 */
static void pamt_free(uint64_t pa, uint64_t nr_pages, void *arg)
{
	(void)arg;
	phys_discard(pa, nr_pages << PAGE_SHIFT);
	free_contig_pages(pa, nr_pages);
}

static const struct pamt_allocator pamt_allocator = {
	.alloc = pamt_alloc,
	.free = pamt_free,
};

static int build_tdmrs(void)
{
	const struct machine_config *cfg = platform_config();
	const struct tdx_sys_info_tdmr *st = &tdx.sysinfo.tdmr;
	struct tdmr_params p = {
		.max_tdmrs = st->max_tdmrs < MAX_TDMRS ? st->max_tdmrs : MAX_TDMRS,
		.max_reserved_per_tdmr = st->max_reserved_per_tdmr,
		.pamt_entry_size = {st->pamt_4k_entry_size, st->pamt_2m_entry_size,
				    st->pamt_1g_entry_size},
	};
	char cover[32], pamt[32];
	int ret;

	tdx.nr_mem = tdx_memlist_from_ram(cfg->ram, cfg->nr_ram, tdx.mem);
	ret = construct_tdmrs(tdx.mem, tdx.nr_mem, &p, &pamt_allocator, &tdx.tdmrs);
	if (ret)
		return ret;
	tdx_fmt_size(cover, sizeof(cover), tdmrs_cover_bytes(&tdx.tdmrs));
	tdx_fmt_size(pamt, sizeof(pamt), tdmrs_pamt_bytes(&tdx.tdmrs));
	tdx_pr("%u TDMR%s %s, PAMT %s", tdx.tdmrs.nr_tdmrs,
	       tdx.tdmrs.nr_tdmrs == 1 ? " covers" : "s cover", cover, pamt);
	return 0;
}

static void free_tdmr_list(void)
{
	free_tdmrs(&tdx.tdmrs, &pamt_allocator);
}

/* The TDMR_INFO list as SYS.CONFIG reads it: 512-aligned entries and a PA array. */
struct tdmr_info_pages {
	uint64_t pa; /* entries, then the PA array in the last page */
	uint64_t nr_pages;
	uint64_t array_pa;
};

static size_t tdmr_info_stride(void)
{
	size_t sz = 64 + 16 * (size_t)tdx.sysinfo.tdmr.max_reserved_per_tdmr;

	if (sz < sizeof(struct tdmr_info))
		sz = sizeof(struct tdmr_info);
	return (sz + TDMR_INFO_ALIGNMENT - 1) & ~(size_t)(TDMR_INFO_ALIGNMENT - 1);
}

static int write_tdmr_info(struct tdmr_info_pages *tp)
{
	size_t stride = tdmr_info_stride();
	uint64_t bytes = (uint64_t)stride * tdx.tdmrs.nr_tdmrs;
	uint8_t *va;
	uint64_t *array;

	/* the array (<= 64 * 8 bytes) gets a page of its own: 512-aligned, power-of-two */
	tp->nr_pages = ((bytes + PAGE_SIZE - 1) >> PAGE_SHIFT) + 1;
	tp->pa = alloc_contig_pages(tp->nr_pages, PAGE_SIZE, NUMA_NO_NODE);
	if (!tp->pa)
		return -ENOMEM;
	tp->array_pa = tp->pa + ((tp->nr_pages - 1) << PAGE_SHIFT);
	va = phys_host_va(tp->pa);
	array = phys_host_va(tp->array_pa);
	memset(va, 0, tp->nr_pages << PAGE_SHIFT);
	for (unsigned int i = 0; i < tdx.tdmrs.nr_tdmrs; i++) {
		memcpy(va + i * stride, &tdx.tdmrs.tdmrs[i], sizeof(struct tdmr_info));
		array[i] = tp->pa + i * stride;
	}
	return 0;
}

static void free_tdmr_info(struct tdmr_info_pages *tp)
{
	if (tp->pa)
		free_contig_pages(tp->pa, tp->nr_pages);
	tp->pa = 0;
}

/* ------------------------------------------------------------------------------------------
 * Step 4: SYS.CONFIG
 */

static int sys_config(void *arg)
{
	const struct tdmr_info_pages *tp = arg;
	struct tdx_module_args args = {
		.rcx = tp->array_pa,
		.rdx = tdx.tdmrs.nr_tdmrs,
		.r8 = tdx_get_global_keyid(),
	};

	return sc_call(TDH_SYS_CONFIG, &args);
}

static int config_tdx_module(unsigned int cpu)
{
	struct tdmr_info_pages tp = {};
	int ret;

	ret = write_tdmr_info(&tp);
	if (ret)
		return ret;
	ret = tdx_run_on(cpu, sys_config, &tp);
	/* the module keeps its own copy: the list is needed only for the call */
	free_tdmr_info(&tp);
	if (ret)
		return ret;
	tdx.configured = true;
	/*
	 * Linux flushes caches on every CPU here (WBINVD), so that no dirty line of the old
	 * KeyID can later be written over PAMT memory. The simulated caches are coherent.
	 */
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * Step 5: KEY.CONFIG, one CPU per package, one package at a time
 */

static int key_config(void *unused)
{
	struct tdx_module_args args = {};
	uint64_t status;
	int cpu;

	(void)unused;
	status = seamcall_cpu(TDH_SYS_KEY_CONFIG, &args, &cpu);
	/* KEY_CONFIGURED: done before (a resumed bring-up); fine */
	if (status == TDX_SUCCESS || tdx_status_code(status) == TDX_KEY_CONFIGURED)
		return 0;
	return sc_fail(TDH_SYS_KEY_CONFIG, status, &args, cpu);
}

static int config_global_keyid(void)
{
	unsigned int pkgs = platform_config()->packages;

	for (unsigned int pkg = 0; pkg < pkgs; pkg++) {
		int cpu, ret;

		if (tdx.pkg_keyed & (1U << pkg))
			continue;
		cpu = first_online_cpu_of(pkg);
		if (cpu < 0)
			return -EINVAL; /* checked before SYS.CONFIG */
		ret = tdx_run_on((unsigned int)cpu, key_config, NULL);
		if (ret)
			return ret;
		tdx.pkg_keyed |= 1U << pkg;
	}
	return 0;
}

/* Every package needs an online CPU for its KEY.CONFIG. */
static int check_packages_online(void)
{
	unsigned int pkgs = platform_config()->packages;

	for (unsigned int pkg = 0; pkg < pkgs; pkg++) {
		if (first_online_cpu_of(pkg) < 0) {
			tdx_pr("package %u has no online CPU to program its key", pkg);
			return -EINVAL;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * Step 6: TDMR.INIT
 */

static int init_tdmr(const struct tdmr_info *t)
{
	uint64_t next = t->base, end = t->base + t->size;
	/* Each call initialises at least one 4K page's entry: a bound on the calls. */
	uint64_t calls = 0, max_calls = t->size / 4096 + 1;

	/*
	 * The module does a chunk per call and says where to go on, rounded down to 1 GiB: RDX
	 * stays at a block's base until the whole block is done [L init_tdmr].
	 */
	while (next < end) {
		struct tdx_module_args args = {.rcx = t->base};
		uint64_t status;
		int cpu;

		status = seamcall_cpu(TDH_SYS_TDMR_INIT, &args, &cpu);
		if (tdx_status_code(status) == TDX_TDMR_ALREADY_INITIALIZED)
			return 0;
		if (status != TDX_SUCCESS)
			return sc_fail(TDH_SYS_TDMR_INIT, status, &args, cpu);
		if (args.rdx < next || ++calls > max_calls) {
			tdx_pr("TDMR.INIT at 0x%llx made no progress", (unsigned long long)t->base);
			return -EIO;
		}
		next = args.rdx;
	}
	return 0;
}

static int init_tdmrs(void *unused)
{
	(void)unused;
	for (unsigned int i = 0; i < tdx.tdmrs.nr_tdmrs; i++) {
		int ret = init_tdmr(&tdx.tdmrs.tdmrs[i]);

		if (ret)
			return ret;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * tdx_enable
 */

/* Forget the module's configuration and give its memory back (it is no longer used). */
static void tdx_release_config(void)
{
	free_tdmr_list();
	tdx.configured = false;
	tdx.pkg_keyed = 0;
}

/* Steps 2-4, when the module is not configured yet; undone here on failure. */
static int configure_module(unsigned int cpu)
{
	int ret;

	ret = get_sysinfo(cpu);
	if (ret)
		return ret;
	ret = check_packages_online();
	if (ret)
		return ret;
	ret = build_tdmrs();
	if (ret)
		return ret;
	ret = config_tdx_module(cpu);
	if (ret)
		free_tdmr_list();
	return ret;
}

static int init_tdx_module(void)
{
	int cpu, ret;

	ret = enable_online_cpus();
	if (ret)
		return ret;
	cpu = first_online_cpu();
	if (cpu < 0)
		return -EINVAL;

	if (!tdx.configured) {
		ret = configure_module((unsigned int)cpu);
		if (ret)
			return ret;
	} else {
		tdx_pr("resuming module initialization at KEY.CONFIG");
	}

	ret = config_global_keyid();
	if (!ret)
		ret = tdx_run_on((unsigned int)cpu, init_tdmrs, NULL);
	/*
	 * Configured but not initialized: a transient failure keeps the module's TDMRs and
	 * PAMTs for the next attempt; any other one ends TDX, and the memory comes back.
	 */
	if (ret && !failure_is_transient(ret))
		tdx_release_config();
	return ret;
}

static int __tdx_enable(void)
{
	int ret;

	atomic_store(&tdx.fail_status, 0);
	/* A transient SYS.INIT failure is not the final answer: ask again. */
	pthread_mutex_lock(&tdx.sysinit_lock);
	if (tdx.sysinit_done && tdx.sysinit_ret && status_is_transient(tdx.sysinit_status))
		tdx.sysinit_done = false;
	pthread_mutex_unlock(&tdx.sysinit_lock);

	ret = init_tdx_module();
	if (!ret) {
		tdx.status = TDX_MODULE_INITIALIZED;
		tdx_pr("module initialized");
		return 0;
	}
	if (failure_is_transient(ret)) {
		tdx_pr("module initialization failed (%d), can be retried", ret);
	} else {
		tdx.status = TDX_MODULE_ERROR;
		tdx_pr("module initialization failed (%d)", ret);
	}
	return ret;
}

int tdx_enable(void)
{
	int ret;

	if (!tdx.ready)
		return -ENODEV;

	cpus_read_lock();
	pthread_mutex_lock(&tdx.lock);
	if (tdx.status == TDX_MODULE_INITIALIZED)
		ret = 0;
	else if (tdx.status == TDX_MODULE_UNINITIALIZED)
		ret = __tdx_enable();
	else
		ret = -EINVAL;
	pthread_mutex_unlock(&tdx.lock);
	cpus_read_unlock();
	return ret;
}

enum tdx_module_status_t tdx_module_status(void)
{
	return tdx.status;
}

bool tdx_cpu_initialized(unsigned int cpu)
{
	return cpu < PLATFORM_MAX_LPS && atomic_load(&tdx.lp_initialized[cpu]);
}

const struct tdx_sys_info *tdx_get_sysinfo(void)
{
	return tdx.sysinfo_valid ? &tdx.sysinfo : NULL;
}

/* ------------------------------------------------------------------------------------------
 * tdx_disable
 */

static long lp_shutdown_vmx(void *unused)
{
	struct tdx_module_args args = {};
	bool vmx;
	int ret;

	(void)unused;
	ret = tdx_vmx_get(&vmx);
	if (ret)
		return ret;
	ret = seamcall_prerr(TDH_SYS_LP_SHUTDOWN, &args);
	tdx_vmx_put(vmx);
	return ret;
}

static int sys_shutdown(void *unused)
{
	/* RCX: the handoff version a next module would read; this module's is 0 */
	struct tdx_module_args args = {.rcx = 0};

	(void)unused;
	return seamcall_prerr(TDH_SYS_SHUTDOWN, &args);
}

static int __tdx_disable(void)
{
	int cpu, ret;

	ret = (int)lp_run_on_each_online(lp_shutdown_vmx, NULL, NULL);
	if (ret)
		return ret;
	cpu = first_online_cpu();
	if (cpu < 0)
		return -EINVAL;
	ret = tdx_run_on((unsigned int)cpu, sys_shutdown, NULL);
	if (ret)
		return ret;
	tdx_release_config();
	tdx.status = TDX_MODULE_SHUTDOWN;
	tdx_pr("module shut down");
	return 0;
}

int tdx_disable(void)
{
	int ret;

	if (!tdx.ready)
		return -ENODEV;
	cpus_read_lock();
	pthread_mutex_lock(&tdx.lock);
	/* SYS.SHUTDOWN needs a ready module; before that there is nothing to stop */
	if (tdx.status == TDX_MODULE_INITIALIZED)
		ret = __tdx_disable();
	else
		ret = -EINVAL;
	pthread_mutex_unlock(&tdx.lock);
	cpus_read_unlock();
	return ret;
}

/* ------------------------------------------------------------------------------------------
 * Hotplug helpers (the callbacks are in hotplug.c)
 */

int tdx_lp_online(unsigned int cpu)
{
	bool need;
	int ret;

	pthread_mutex_lock(&tdx.lock);
	pthread_mutex_lock(&tdx.sysinit_lock);
	/*
	 * Before SYS.INIT, tdx_enable() will initialise this CPU with the others; after a
	 * final failure or a shutdown there is nothing to initialise for.
	 */
	need = tdx.sysinit_done && !tdx.sysinit_ret && !tdx.lp_initialized[cpu] &&
	       (tdx.status == TDX_MODULE_UNINITIALIZED || tdx.status == TDX_MODULE_INITIALIZED);
	pthread_mutex_unlock(&tdx.sysinit_lock);
	if (!need) {
		pthread_mutex_unlock(&tdx.lock);
		return 0;
	}

	/* the same as tdx_enable() does on each CPU: VMXON, LP.INIT, VMXOFF, IRQs off */
	ret = (int)tdx_cpu_enable_vmx(NULL);
	pthread_mutex_unlock(&tdx.lock);
	if (ret)
		tdx_pr("CPU %u: LP.INIT failed (%d): refusing to bring it online", cpu, ret);
	return ret;
}

int tdx_lp_may_offline(unsigned int cpu)
{
	unsigned int pkg = lp_package(cpu);
	int ret = 0;

	pthread_mutex_lock(&tdx.lock);
	/* KEY.CONFIG and later TD key programming need a CPU in every package */
	if (tdx.configured && tdx.status != TDX_MODULE_ERROR && tdx.status != TDX_MODULE_SHUTDOWN) {
		bool other = false;

		for (unsigned int i = 0; i < platform_nr_lps() && !other; i++)
			other = i != cpu && lp_is_online(i) && lp_package(i) == pkg;
		if (!other) {
			tdx_pr("CPU %u is the last online CPU of package %u: TDX needs it", cpu,
			       pkg);
			ret = -EBUSY;
		}
	}
	pthread_mutex_unlock(&tdx.lock);
	return ret;
}

/* ------------------------------------------------------------------------------------------
 * Boot
 */

static void reset_state(void)
{
	tdx.status = TDX_MODULE_UNINITIALIZED;
	tdx.sysinit_done = false;
	tdx.sysinit_ret = 0;
	tdx.sysinit_status = 0;
	for (unsigned int i = 0; i < PLATFORM_MAX_LPS; i++)
		atomic_store(&tdx.lp_initialized[i], false);
	tdx.configured = false;
	tdx.pkg_keyed = 0;
	tdx.sysinfo_valid = false;
	atomic_store(&tdx.fail_status, 0);
}

int tdx_init(void)
{
	int ret;

	if (tdx.ready)
		return -EBUSY;
	if (!platform_config())
		return -ENODEV;
	reset_state();
	ret = tdx_keyids_init();
	if (ret)
		return ret;
	ret = tdx_hotplug_init();
	if (ret) {
		tdx_keyids_exit();
		return ret;
	}
	tdx.ready = true;
	return 0;
}

void tdx_exit(void)
{
	if (!tdx.ready)
		return;
	tdx_hotplug_exit();
	pthread_mutex_lock(&tdx.lock);
	free_tdmr_list();
	reset_state();
	pthread_mutex_unlock(&tdx.lock);
	tdx_keyids_exit();
	seamcall_reset_once();
	tdx.ready = false;
}

/* ------------------------------------------------------------------------------------------
 * Layout
 */

uint64_t tdx_pamt_bytes(void)
{
	return tdmrs_pamt_bytes(&tdx.tdmrs);
}

const struct tdmr_info *tdx_layout_tdmr(unsigned int i, int *pamt_nid)
{
	if (i >= tdx.tdmrs.nr_tdmrs)
		return NULL;
	if (pamt_nid)
		*pamt_nid = page_to_nid(tdx.tdmrs.pamt_base[i]);
	return &tdx.tdmrs.tdmrs[i];
}

void tdx_print_layout(void)
{
	const struct tdmr_info_list *l = &tdx.tdmrs;

	for (unsigned int i = 0; i < l->nr_tdmrs; i++) {
		const struct tdmr_info *t = &l->tdmrs[i];
		unsigned int nr = tdmr_nr_reserved(t);
		char sz[32], pamt[32];

		tdx_fmt_size(sz, sizeof(sz), t->size);
		tdx_fmt_size(pamt, sizeof(pamt), l->pamt_size[i]);
		tdx_pr("TDMR %u: [0x%012llx, 0x%012llx) %s, PAMT [0x%012llx, +%s) on node %d "
		       "(node %d wanted), %u reserved area%s",
		       i, (unsigned long long)t->base, (unsigned long long)(t->base + t->size), sz,
		       (unsigned long long)l->pamt_base[i], pamt, page_to_nid(l->pamt_base[i]),
		       l->nid[i], nr, nr == 1 ? "" : "s");
		for (unsigned int j = 0; j < nr; j++) {
			const struct tdmr_reserved_area *r = &t->reserved_areas[j];

			tdx_fmt_size(sz, sizeof(sz), r->size);
			tdx_pr("  reserved [0x%012llx, 0x%012llx) %s",
			       (unsigned long long)(t->base + r->offset),
			       (unsigned long long)(t->base + r->offset + r->size), sz);
		}
	}
}
