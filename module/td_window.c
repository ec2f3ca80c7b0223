// SPDX-License-Identifier: MIT
/*
 * The module's TD windows (platform/window.c): the address space a TD's private and shared
 * GPAs live in. TDH.MNG.INIT creates one per TD and the TDR's TDH.PHYMEM.PAGE.RECLAIM
 * destroys it; so does tdx_module_unload() for every TD whose TDR was never reclaimed, since
 * the module that knew those TDs is gone and a later TD must not meet its windows.
 *
 * The host that created a TD gets its window from tdx_module_td_window(TDR), which reads it
 * from the TD itself: a TDR the loaded module does not know has no window, so no window of
 * an earlier TD can be mistaken for it.
 */
#include <stdatomic.h>

#include "td.h"
#include "tdx_module.h"

static struct td_window *_Atomic windows[TD_WINDOW_MAX];

struct td_window *module_window_create(unsigned int gpaw)
{
	struct td_window *w = td_window_create(gpaw);

	if (!w)
		return NULL;
	for (unsigned int i = 0; i < TD_WINDOW_MAX; i++) {
		struct td_window *none = NULL;

		if (atomic_compare_exchange_strong(&windows[i], &none, w))
			return w;
	}
	/* Cannot happen: the platform has no more windows than this either. */
	td_window_destroy(w);
	return NULL;
}

void module_window_destroy(struct td_window *w)
{
	if (!w)
		return;
	for (unsigned int i = 0; i < TD_WINDOW_MAX; i++) {
		struct td_window *cur = w;

		if (atomic_compare_exchange_strong(&windows[i], &cur, NULL))
			break;
	}
	/* A snapshot's window outlives its TD: a restore brings both back. */
	if (!module_snapshot_pinned(w))
		td_window_destroy(w);
}

void module_windows_destroy_all(void)
{
	module_snapshot_unpin_all();
	for (unsigned int i = 0; i < TD_WINDOW_MAX; i++)
		td_window_destroy(atomic_exchange(&windows[i], NULL));
}

unsigned int module_windows_get(struct td_window **out)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < TD_WINDOW_MAX; i++) {
		struct td_window *w = atomic_load(&windows[i]);

		if (w)
			out[n++] = w;
	}
	return n;
}

void module_windows_set(struct td_window *const *list, unsigned int n)
{
	for (unsigned int i = 0; i < TD_WINDOW_MAX; i++) {
		struct td_window *w = atomic_exchange(&windows[i], i < n ? list[i] : NULL);
		bool kept = false;

		for (unsigned int j = 0; w && j < n; j++)
			kept |= list[j] == w;
		if (w && !kept && !module_snapshot_pinned(w))
			td_window_destroy(w);
	}
}

struct td_window *tdx_module_td_window(uint64_t tdr_pa)
{
	const struct pamt_entry *e;
	const struct tdr *tdr;
	const struct tdcs *tdcs;

	if (!tdxm.loaded || (tdr_pa & (_4K - 1)))
		return NULL;
	e = pamt_entry_get(tdr_pa, PT_4KB);
	if (!e || __atomic_load_n(&e->pt, __ATOMIC_ACQUIRE) != PT_TDR)
		return NULL;
	tdr = tdr_of(tdr_pa);
	tdcs = tdcs_of(tdr);
	/* MNG.KEY.FREEID moves the window from the TDCS to the TDR until the TDR's reclaim. */
	return tdcs && tdcs->window ? tdcs->window : tdr->window;
}
