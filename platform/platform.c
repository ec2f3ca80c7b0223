// SPDX-License-Identifier: MIT
/* Boot and shutdown of the simulated machine, and the exception-fixup table. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

struct platform plat;

int platform_boot(const struct machine_config *cfg)
{
	char err[256];
	int ret;

	if (plat.booted)
		return -EBUSY;
	ret = machine_config_validate(cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "tdxsim: bad machine configuration: %s\n", err);
		return ret;
	}
	plat.cfg = *cfg;
	ret = machine_config_apply_env(&plat.cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "tdxsim: %s\n", err);
		goto err;
	}
	/* What the BIOS reports: the CMRs are explicit from here on (one per RAM range by default). */
	if (!plat.cfg.nr_cmrs)
		machine_default_cmrs(&plat.cfg);
	ret = traps_init();
	if (ret)
		goto err;
	ret = physmem_init(cfg);
	if (ret)
		goto err_traps;
	ret = lps_init(cfg);
	if (ret)
		goto err_physmem;
	plat.booted = true;
	return 0;
err_physmem:
	physmem_fini();
err_traps:
	traps_fini();
err:
	memset(&plat.cfg, 0, sizeof(plat.cfg));
	return ret;
}

void platform_shutdown(void)
{
	if (!plat.booted)
		return;
	lps_fini();
	physmem_fini();
	traps_fini();
	memset(&plat.hooks, 0, sizeof(plat.hooks));
	atomic_store(&plat.traps, 0);
	atomic_store(&plat.exits, 0);
	atomic_store(&plat.deliveries, 0);
	atomic_store(&plat.async_exits, 0);
	plat.booted = false;
}

const struct machine_config *platform_config(void)
{
	return &plat.cfg;
}

void platform_set_hooks(const struct platform_hooks *hooks)
{
	if (hooks)
		plat.hooks = *hooks;
	else
		memset(&plat.hooks, 0, sizeof(plat.hooks));
}

/* Stacks for signal handlers and the gate: no guard page is needed beyond the mapping's
 * own end, which the kernel leaves unmapped on both sides of an anonymous mapping only by
 * chance, so one is made. */
void *mmap_stack(size_t size)
{
	uint8_t *p = mmap(NULL, size + PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p, PAGE_SIZE, PROT_NONE)) {
		munmap(p, size + PAGE_SIZE);
		return NULL;
	}
	return p + PAGE_SIZE;
}

void munmap_stack(void *stack, size_t size)
{
	if (stack)
		munmap((uint8_t *)stack - PAGE_SIZE, size + PAGE_SIZE);
}

/* ------------------------------------------------------------------------------------------
 * Exception fixups: entries are three self-relative 32-bit offsets (extable.h).
 */

struct extable_raw {
	int32_t start, end, fixup;
};

extern const struct extable_raw __start_tdxsim_extable[] __attribute__((weak));
extern const struct extable_raw __stop_tdxsim_extable[] __attribute__((weak));

static uintptr_t rel(const int32_t *field)
{
	return (uintptr_t)field + (intptr_t)*field;
}

const struct extable_entry *extable_find(uintptr_t rip)
{
	static __thread struct extable_entry found;

	for (const struct extable_raw *e = __start_tdxsim_extable; e && e < __stop_tdxsim_extable;
	     e++) {
		if (rip >= rel(&e->start) && rip < rel(&e->end)) {
			found.start = rel(&e->start);
			found.end = rel(&e->end);
			found.fixup = rel(&e->fixup);
			return &found;
		}
	}
	return NULL;
}
