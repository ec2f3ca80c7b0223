// SPDX-License-Identifier: MIT
/*
 * Module snapshots (tdx_module.h): the module's global state, every package's CACHE.WB
 * progress, the machine's physical memory (PAMT, TD pages, host buffers, the hidden set) and
 * the TD windows with their mappings, taken at a quiescent point and restored in place, so
 * that a fuzzer's input starts from the state a fresh bring-up (and TD build) gives without
 * redoing it. Not Intel's: a test and fuzzing facility.
 *
 * A TD's window is named by its TDCS (in memory), so a snapshot keeps the window objects it
 * saw alive ("pinned"): destroying the TD (TDR reclaim) only takes the window from the
 * module, and a restore gives it back with the snapshot's mappings. Windows created after
 * the snapshot are destroyed by the restore.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "td.h"

#define MAX_PINS (4 * TD_WINDOW_MAX)

struct snap_window {
	struct td_window *w;
	uint64_t changes; /* td_window_changes() when its mappings were last the snapshot's */
	struct td_window_page *pages;
	size_t nr_pages;
};

struct tdx_module_snapshot {
	struct tdx_module_state m;
	struct phys_snapshot *phys;
	void *cache_wb;
	uint64_t pin_gen;
	unsigned int nr_windows;
	struct snap_window win[TD_WINDOW_MAX];
};

/* Windows held by snapshots, with counts; changed only at take and free (quiescent). */
static struct {
	struct td_window *w;
	unsigned int count;
} pins[MAX_PINS];
static uint64_t pin_gen = 1; /* bumped when unload drops every pin */

bool module_snapshot_pinned(const struct td_window *w)
{
	for (unsigned int i = 0; w && i < MAX_PINS; i++)
		if (pins[i].w == w)
			return true;
	return false;
}

static bool window_live(const struct td_window *w)
{
	struct td_window *live[TD_WINDOW_MAX];
	unsigned int n = module_windows_get(live);

	for (unsigned int i = 0; i < n; i++)
		if (live[i] == w)
			return true;
	return false;
}

void module_snapshot_unpin_all(void)
{
	for (unsigned int i = 0; i < MAX_PINS; i++) {
		if (pins[i].w && !window_live(pins[i].w))
			td_window_destroy(pins[i].w);
		pins[i].w = NULL;
		pins[i].count = 0;
	}
	pin_gen++;
}

static int pin(struct td_window *w)
{
	int free_slot = -1;

	for (unsigned int i = 0; i < MAX_PINS; i++) {
		if (pins[i].w == w) {
			pins[i].count++;
			return 0;
		}
		if (!pins[i].w && free_slot < 0)
			free_slot = (int)i;
	}
	if (free_slot < 0)
		return -ENOSPC;
	pins[free_slot].w = w;
	pins[free_slot].count = 1;
	return 0;
}

static void unpin(struct td_window *w)
{
	for (unsigned int i = 0; i < MAX_PINS; i++) {
		if (pins[i].w != w)
			continue;
		if (!--pins[i].count) {
			pins[i].w = NULL;
			if (!window_live(w))
				td_window_destroy(w);
		}
		return;
	}
}

void tdx_module_snapshot_free(struct tdx_module_snapshot *s)
{
	if (!s)
		return;
	for (unsigned int i = 0; i < s->nr_windows; i++) {
		if (s->pin_gen == pin_gen && s->win[i].w)
			unpin(s->win[i].w);
		free(s->win[i].pages);
	}
	phys_snapshot_free(s->phys);
	free(s->cache_wb);
	free(s);
}

/*
 * The pages written without a phys_*_va() call while an input runs, which a restore must
 * look at whatever its touch log says: those mapped writable in a TD window (guest code
 * writes them) and the TD control pages a vCPU's state lives in (the world switch saves it
 * through pointers kept since TDH.VP.INIT). The 4K PAMT of each TDMR is walked once, its
 * never-written pages skipped.
 */
static int watch_pages(struct tdx_module_snapshot *s)
{
	int ret = 0;

	for (unsigned int i = 0; !ret && i < s->nr_windows; i++)
		for (size_t k = 0; !ret && k < s->win[i].nr_pages; k++)
			if (s->win[i].pages[k].prot & PROT_WRITE)
				ret = phys_snapshot_watch(s->phys, s->win[i].pages[k].hpa);
	for (unsigned int i = 0; !ret && i < tdxm.nr_tdmrs; i++) {
		const struct tdmr *t = &tdxm.tdmr[i];
		uint64_t done = __atomic_load_n(&t->next_init, __ATOMIC_ACQUIRE) & ~(_1G - 1);
		const struct pamt_entry *e0 =
			done > t->base ? pamt_entry_get(t->base, PT_4KB) : NULL;
		struct pamt_residency res = {0};

		for (uint64_t k = 0; e0 && !ret && k < (done - t->base) / _4K; k++) {
			const struct pamt_entry *e = &e0[k];

			if (!(k % (_4K / PAMT_ENTRY_SIZE)) && !pamt_page_resident(&res, e)) {
				k += pamt_run_entries(&res, e) - 1;
				continue;
			}
			if (e->pt == PT_TDR || e->pt == PT_TDCX || e->pt == PT_TDVPR ||
			    e->pt == PT_EPT)
				ret = phys_snapshot_watch(s->phys, t->base + k * _4K);
		}
	}
	return ret;
}

int tdx_module_snapshot_take(struct tdx_module_snapshot **out)
{
	struct td_window *live[TD_WINDOW_MAX];
	struct tdx_module_snapshot *s;
	int ret = 0;

	if (!tdxm.loaded)
		return -ENODEV;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->pin_gen = pin_gen;
	s->nr_windows = module_windows_get(live);
	for (unsigned int i = 0; !ret && i < s->nr_windows; i++) {
		struct snap_window *sw = &s->win[i];

		sw->changes = td_window_changes(live[i]);
		ret = td_window_mappings(live[i], &sw->pages, &sw->nr_pages);
		if (!ret)
			ret = pin(live[i]);
		if (!ret)
			sw->w = live[i];
	}
	s->cache_wb = ret ? NULL : malloc(tdh_phymem_cache_wb_state_size());
	if (!ret && !s->cache_wb)
		ret = -ENOMEM;
	if (!ret) {
		tdh_phymem_cache_wb_state_save(s->cache_wb);
		memcpy(&s->m, &tdxm, sizeof(tdxm)); /* padding too: a restore is byte-exact */
		ret = phys_snapshot_take(&s->phys);
	}
	if (!ret)
		ret = watch_pages(s);
	if (ret) {
		tdx_module_snapshot_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

int tdx_module_snapshot_restore(struct tdx_module_snapshot *s)
{
	struct td_window *list[TD_WINDOW_MAX];
	int ret;

	if (!tdxm.loaded || !s)
		return -ENODEV;
	if (s->pin_gen != pin_gen)
		return -ESTALE; /* the module was unloaded since: its windows are gone */
	for (unsigned int i = 0; i < s->nr_windows; i++)
		list[i] = s->win[i].w;
	module_windows_set(list, s->nr_windows);
	memcpy(&tdxm, &s->m, sizeof(tdxm));
	tdh_phymem_cache_wb_state_load(s->cache_wb);
	ret = phys_snapshot_restore(s->phys);
	for (unsigned int i = 0; !ret && i < s->nr_windows; i++) {
		struct snap_window *sw = &s->win[i];

		if (td_window_changes(sw->w) == sw->changes)
			continue; /* not mapped or unmapped since */
		ret = td_window_mappings_set(sw->w, sw->pages, sw->nr_pages);
		sw->changes = td_window_changes(sw->w);
	}
	return ret;
}

uint64_t tdx_module_snapshot_bytes(const struct tdx_module_snapshot *s)
{
	uint64_t n = 0;

	if (!s)
		return 0;
	for (unsigned int i = 0; i < s->nr_windows; i++)
		n += s->win[i].nr_pages * sizeof(*s->win[i].pages);
	return n + sizeof(*s) + phys_snapshot_bytes(s->phys) + tdh_phymem_cache_wb_state_size();
}

uint64_t tdx_module_snapshot_differences(const struct tdx_module_snapshot *s, char *buf, size_t len)
{
	struct td_window *live[TD_WINDOW_MAX];
	uint64_t n;
	size_t used;

	if (!s)
		return ~0ULL;
	n = phys_snapshot_differences(s->phys, buf, len);
	used = buf ? strlen(buf) : 0;
	if (memcmp(&tdxm, &s->m, sizeof(tdxm))) {
		n++;
		if (buf && len > used + 1)
			snprintf(buf + used, len - used, "module state differs\n");
	}
	if (module_windows_get(live) != s->nr_windows)
		return n + 1;
	for (unsigned int i = 0; i < s->nr_windows; i++) {
		struct td_window_page *pages;
		size_t nr;

		if (live[i] != s->win[i].w || td_window_mappings(live[i], &pages, &nr)) {
			n++;
			continue;
		}
		for (size_t k = 0; k < nr || k < s->win[i].nr_pages; k++) {
			const struct td_window_page *a = &pages[k], *b = &s->win[i].pages[k];

			if (nr != s->win[i].nr_pages || a->gpa != b->gpa || a->hpa != b->hpa ||
			    a->shared != b->shared || a->prot != b->prot) {
				n++;
				break;
			}
		}
		free(pages);
	}
	return n;
}
