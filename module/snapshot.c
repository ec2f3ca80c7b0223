// SPDX-License-Identifier: MIT
/*
 * Module snapshots (tdx_module.h): the module's global state, the CACHE.WB progress of every
 * package and the machine's physical memory (PAMT, TD pages, host buffers, the hidden set),
 * taken at a quiescent point and restored in place, so that a fuzzer's input starts from the
 * state a fresh bring-up gives without redoing it. Not Intel's: a test and fuzzing facility.
 *
 * TD windows live outside physical memory; a snapshot is refused (-EBUSY) while any exists,
 * and a restore destroys those created since (they belong to TDs the restore forgets).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "td.h"

struct tdx_module_snapshot {
	struct tdx_module_state m;
	struct phys_snapshot *phys;
	void *cache_wb;
};

void tdx_module_snapshot_free(struct tdx_module_snapshot *s)
{
	if (!s)
		return;
	phys_snapshot_free(s->phys);
	free(s->cache_wb);
	free(s);
}

int tdx_module_snapshot_take(struct tdx_module_snapshot **out)
{
	struct tdx_module_snapshot *s;
	int ret;

	if (!tdxm.loaded)
		return -ENODEV;
	if (module_windows_count())
		return -EBUSY;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cache_wb = malloc(tdh_phymem_cache_wb_state_size());
	if (!s->cache_wb) {
		free(s);
		return -ENOMEM;
	}
	tdh_phymem_cache_wb_state_save(s->cache_wb);
	memcpy(&s->m, &tdxm, sizeof(tdxm)); /* padding too: a restore is byte-exact */
	ret = phys_snapshot_take(&s->phys);
	if (ret) {
		tdx_module_snapshot_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

int tdx_module_snapshot_restore(const struct tdx_module_snapshot *s)
{
	if (!tdxm.loaded || !s)
		return -ENODEV;
	module_windows_destroy_all();
	memcpy(&tdxm, &s->m, sizeof(tdxm));
	tdh_phymem_cache_wb_state_load(s->cache_wb);
	return phys_snapshot_restore(s->phys);
}

uint64_t tdx_module_snapshot_bytes(const struct tdx_module_snapshot *s)
{
	return s ? sizeof(*s) + phys_snapshot_bytes(s->phys) + tdh_phymem_cache_wb_state_size() : 0;
}
