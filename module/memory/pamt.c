// SPDX-License-Identifier: MIT
/*
 * The PAMT: one 16-byte entry per page at each of three levels (1G, 2M, 4K), kept in the
 * memory the host gave to TDH.SYS.CONFIG [ABI §6; M pamt_manager.c]. Block k (the k-th
 * GiB of a TDMR) owns entry k of the 1G PAMT, entries 512k.. of the 2M PAMT and entries
 * 512*512k.. of the 4K PAMT.
 *
 * A free (NDA) entry is all zeros, so initialising a block is discarding its PAMT pages
 * (phys_discard zeroes without touching them), then marking the 4K entries of reserved
 * pages RSVD [M pamt_4kb_init; ABI §7]. Initialisation therefore touches only PAMT
 * pages, and only those that cover reserved areas.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "module.h"

#define ENTRIES_4K_PER_1G (_1G / _4K)
#define ENTRIES_2M_PER_1G (_1G / _2M)
#define ENTRIES_PER_PAGE  (_4K / PAMT_ENTRY_SIZE)

static uint64_t pamt_entry_pa(const struct tdmr *t, uint64_t hpa, enum pamt_level level)
{
	static const unsigned int shift[] = {[PT_4KB] = 12, [PT_2MB] = 21, [PT_1GB] = 30};

	return t->pamt_base[level] + ((hpa - t->base) >> shift[level]) * PAMT_ENTRY_SIZE;
}

void pamt_init_chunk(const struct tdmr *t, uint64_t chunk)
{
	uint64_t end = chunk + TDMR_INIT_CHUNK;
	struct pamt_entry *e;

	if (end > t->base + t->size)
		end = t->base + t->size;
	/* The block's 2M and 1G entries with its first chunk: nothing reads them before the
	 * whole block is done (pamt_entry_get) [M pamt_nodes_init]. */
	if (is_aligned(chunk, _1G)) {
		phys_discard(pamt_entry_pa(t, chunk, PT_2MB), ENTRIES_2M_PER_1G * PAMT_ENTRY_SIZE);
		e = phys_seam_va(pamt_entry_pa(t, chunk, PT_1GB));
		memset(e, 0, sizeof(*e));
	}
	phys_discard(pamt_entry_pa(t, chunk, PT_4KB), (end - chunk) / _4K * PAMT_ENTRY_SIZE);

	for (unsigned int j = 0; j < t->nr_rsvd; j++) {
		uint64_t start = t->base + t->reserved_areas[j].offset;
		uint64_t stop = start + t->reserved_areas[j].size;

		if (start < chunk)
			start = chunk;
		if (stop > end)
			stop = end;
		if (start >= stop)
			continue;
		e = phys_seam_va(pamt_entry_pa(t, start, PT_4KB));
		for (uint64_t pa = start; pa < stop; pa += _4K, e++)
			e->pt = PT_RSVD;
	}
}

static const struct tdmr *tdmr_of(uint64_t hpa)
{
	const struct tdmr *found = NULL;

	for (unsigned int i = 0; i < tdxm.nr_tdmrs; i++) {
		if (tdxm.tdmr[i].base > hpa)
			break;
		found = &tdxm.tdmr[i];
	}
	if (!found || hpa >= found->base + found->size)
		return NULL;
	return found;
}

struct pamt_entry *pamt_entry_get(uint64_t hpa, enum pamt_level level)
{
	const struct tdmr *t = tdmr_of(hpa);
	uint64_t done;

	if (!t)
		return NULL;
	/* Usable once its whole 1G block is initialised [M pamt_get_block]. */
	done = __atomic_load_n(&t->next_init, __ATOMIC_ACQUIRE) & ~(_1G - 1);
	if (hpa >= done)
		return NULL;
	return phys_seam_va(pamt_entry_pa(t, hpa, level));
}

/* ------------------------------------------------------------------------------------------
 * Dump and invariant checker. They read PAMT pages that are resident only: a page that
 * was never written since its discard reads as zeros (all NDA), and reading it through the
 * memfd mapping would allocate it.
 */

bool pamt_page_resident(struct pamt_residency *res, const void *va)
{
	uintptr_t p = (uintptr_t)va & ~(uintptr_t)(_4K - 1);

	if (!res->valid || p < res->start || p >= res->end) {
		res->start = p;
		res->end = (uintptr_t)phys_seam_resident_run((const void *)p, &res->resident);
		res->valid = res->end > p;
		if (!res->valid)
			return true; /* not the seam view's RAM: never skipped */
	}
	return res->resident;
}

bool pamt_page_uniform(const struct pamt_entry *page, unsigned int pt)
{
	const struct pamt_entry first = {.pt = (uint8_t)pt};

	/* Every entry equals the next one (an overlapping compare), and the first is the one. */
	return !memcmp(page, &first, sizeof(first)) && !memcmp(page, page + 1, _4K - sizeof(*page));
}

/* [pa, pa + size) lies inside one reserved area. */
static bool range_reserved(const struct tdmr *t, uint64_t pa, uint64_t size)
{
	for (unsigned int j = 0; j < t->nr_rsvd; j++) {
		uint64_t start = t->base + t->reserved_areas[j].offset;

		if (pa >= start && pa + size <= start + t->reserved_areas[j].size)
			return true;
	}
	return false;
}

static bool pa_reserved(const struct tdmr *t, uint64_t pa)
{
	for (unsigned int j = 0; j < t->nr_rsvd; j++) {
		uint64_t start = t->base + t->reserved_areas[j].offset;

		if (pa >= start && pa < start + t->reserved_areas[j].size)
			return true;
	}
	return false;
}

static bool range_has_reserved(const struct tdmr *t, uint64_t pa, uint64_t size)
{
	for (unsigned int j = 0; j < t->nr_rsvd; j++)
		if (ranges_overlap(pa, size, t->base + t->reserved_areas[j].offset,
				   t->reserved_areas[j].size))
			return true;
	return false;
}

static const char *pt_name(unsigned int pt)
{
	switch (pt) {
	case PT_NDA:
		return "NDA";
	case PT_RSVD:
		return "RSVD";
	case PT_REG:
		return "REG";
	case PT_TDR:
		return "TDR";
	case PT_TDCX:
		return "TDCX";
	case PT_TDVPR:
		return "TDVPR";
	case PT_EPT:
		return "EPT";
	default:
		return NULL;
	}
}

void pamt_violation(struct pamt_report *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	r->count++;
	if (!r->buf || r->used + 1 >= r->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->used, r->len - r->used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	r->used += (size_t)n;
	if (r->used >= r->len)
		r->used = r->len - 1;
	else if (r->used + 1 < r->len)
		r->buf[r->used++] = '\n', r->buf[r->used] = 0;
}

static const char *level_name[] = {[PT_4KB] = "4K", [PT_2MB] = "2M", [PT_1GB] = "1G"};

/* Checks every entry has on its own. Returns whether the entry is a leaf (maps a page). */
static bool check_entry(struct pamt_report *r, const struct pamt_entry *e, uint64_t pa,
			enum pamt_level level)
{
	if (e->lock)
		pamt_violation(r, "PAMT %s 0x%llx: lock held (0x%04x)", level_name[level],
			       (unsigned long long)pa, e->lock);
	if (!pt_name(e->pt))
		pamt_violation(r, "PAMT %s 0x%llx: bad page type %u", level_name[level],
			       (unsigned long long)pa, e->pt);
	if ((e->pt == PT_NDA || e->pt == PT_RSVD) && (pamt_owner(e) || e->bepoch))
		pamt_violation(r, "PAMT %s 0x%llx: %s entry with owner 0x%llx bepoch 0x%llx",
			       level_name[level], (unsigned long long)pa, pt_name(e->pt),
			       (unsigned long long)pamt_owner(e), (unsigned long long)e->bepoch);
	if (level != PT_4KB && e->pt == PT_RSVD)
		pamt_violation(r, "PAMT %s 0x%llx: RSVD above 4K", level_name[level],
			       (unsigned long long)pa);
	return e->pt != PT_NDA && e->pt != PT_RSVD;
}

/* Everything below a leaf at [pa, pa + size) must be free. */
static void check_children_free(struct pamt_report *r, const struct tdmr *t, uint64_t pa,
				uint64_t size, enum pamt_level level)
{
	for (enum pamt_level l = PT_4KB; l < level; l++) {
		uint64_t step = l == PT_4KB ? _4K : _2M;

		for (uint64_t p = pa; p < pa + size; p += step) {
			const struct pamt_entry *e = phys_seam_va(pamt_entry_pa(t, p, l));

			if (l == PT_4KB && !((p >> 12) % ENTRIES_PER_PAGE) &&
			    !pamt_page_resident(&r->res, e)) {
				p += (ENTRIES_PER_PAGE - 1) * _4K;
				continue;
			}
			if (e->pt != PT_NDA)
				pamt_violation(r, "PAMT %s 0x%llx: %s below a %s leaf at 0x%llx",
					       level_name[l], (unsigned long long)p,
					       pt_name(e->pt) ? pt_name(e->pt) : "?",
					       level_name[level], (unsigned long long)pa);
		}
	}
}

static void check_block(struct pamt_report *r, const struct tdmr *t, uint64_t block)
{
	/* A level's entries of one block are contiguous in the PAMT. */
	const struct pamt_entry *e1 = phys_seam_va(pamt_entry_pa(t, block, PT_1GB));
	const struct pamt_entry *e2 = phys_seam_va(pamt_entry_pa(t, block, PT_2MB));
	const struct pamt_entry *e4 = phys_seam_va(pamt_entry_pa(t, block, PT_4KB));

	if (check_entry(r, e1, block, PT_1GB))
		check_children_free(r, t, block, _1G, PT_1GB);

	for (uint64_t i = 0; i < ENTRIES_2M_PER_1G; i++) {
		uint64_t pa2 = block + i * _2M;

		/* Pages of zeros: all free. */
		if (!((uintptr_t)&e2[i] & (_4K - 1)) && !pamt_page_resident(&r->res, &e2[i])) {
			i += pamt_run_entries(&r->res, &e2[i]) - 1;
			continue;
		}
		if (!((uintptr_t)&e2[i] & (_4K - 1)) && pamt_page_uniform(&e2[i], PT_NDA)) {
			i += ENTRIES_PER_PAGE - 1;
			continue;
		}
		if (check_entry(r, &e2[i], pa2, PT_2MB))
			check_children_free(r, t, pa2, _2M, PT_2MB);
	}

	for (uint64_t i = 0; i < ENTRIES_4K_PER_1G; i++) {
		const struct pamt_entry *e = &e4[i];
		uint64_t pa = block + i * _4K;
		bool rsvd;

		if (!(i % ENTRIES_PER_PAGE) && !pamt_page_resident(&r->res, e)) {
			/* A page of zeros: all free; reserved pages in it lack their RSVD. */
			uint64_t span = ENTRIES_PER_PAGE * _4K;
			uint64_t run = pamt_run_entries(&r->res, e) & ~(ENTRIES_PER_PAGE - 1);

			/* A run of such pages with no reserved page: nothing to report. */
			if (run > ENTRIES_PER_PAGE && i + run <= ENTRIES_4K_PER_1G &&
			    !range_has_reserved(t, pa, run * _4K)) {
				i += run - 1;
				continue;
			}

			if (range_has_reserved(t, pa, span))
				pamt_violation(
					r, "PAMT 4K [0x%llx, 0x%llx): reserved pages not RSVD",
					(unsigned long long)pa, (unsigned long long)(pa + span));
			i += ENTRIES_PER_PAGE - 1;
			continue;
		}
		/* A page of free entries with no reserved page, or of RSVD ones all reserved:
		 * nothing the entry-by-entry checks below could report. */
		if (!(i % ENTRIES_PER_PAGE) &&
		    ((pamt_page_uniform(e, PT_NDA) &&
		      !range_has_reserved(t, pa, ENTRIES_PER_PAGE * _4K)) ||
		     (pamt_page_uniform(e, PT_RSVD) &&
		      range_reserved(t, pa, ENTRIES_PER_PAGE * _4K)))) {
			i += ENTRIES_PER_PAGE - 1;
			continue;
		}
		check_entry(r, e, pa, PT_4KB);
		rsvd = pa_reserved(t, pa);
		if (rsvd && e->pt != PT_RSVD)
			pamt_violation(r, "PAMT 4K 0x%llx: reserved page is %s",
				       (unsigned long long)pa,
				       pt_name(e->pt) ? pt_name(e->pt) : "?");
		if (!rsvd && e->pt == PT_RSVD)
			pamt_violation(r, "PAMT 4K 0x%llx: RSVD outside the reserved areas",
				       (unsigned long long)pa);
	}
}

int tdx_pamt_check(char *buf, size_t buflen)
{
	struct pamt_report r = {.buf = buf, .len = buflen};

	if (buf && buflen)
		buf[0] = 0;
	for (unsigned int i = 0; i < tdxm.nr_tdmrs; i++) {
		const struct tdmr *t = &tdxm.tdmr[i];
		uint64_t done = __atomic_load_n(&t->next_init, __ATOMIC_ACQUIRE) & ~(_1G - 1);

		if (!mutex_try((struct try_mutex *)&t->lock)) {
			pamt_violation(&r, "TDMR %u at 0x%llx: lock held", i,
				       (unsigned long long)t->base);
			continue;
		}
		mutex_release((struct try_mutex *)&t->lock);
		for (uint64_t block = t->base; block < done; block += _1G)
			check_block(&r, t, block);
	}
	return r.count;
}

/* ------------------------------------------------------------------------------------------
 * Incremental checks (tdx_tdx_module.h): the PAMT pages touched since the last check, with
 * the set of active PAMT pages (entries other than free and 4K RSVD) kept up to date.
 */

static const unsigned int level_shift[] = {[PT_4KB] = 12, [PT_2MB] = 21, [PT_1GB] = 30};

static struct {
	struct phys_touch_log *log;
	uint64_t *active; /* ascending */
	size_t nr_active, cap_active;
	bool lost; /* a page could not be added: the set is incomplete until rebuilt */
} inc;

void pamt_check_log_pause(bool paused)
{
	phys_touch_log_pause(inc.log, paused);
}

bool pamt_active_pages(const uint64_t **pages, size_t *nr)
{
	*pages = inc.active;
	*nr = inc.nr_active;
	return inc.log != NULL && !inc.lost;
}

const struct tdmr *pamt_page_covers(uint64_t ppa, enum pamt_level *level, uint64_t *pa)
{
	for (unsigned int i = 0; i < tdxm.nr_tdmrs; i++) {
		const struct tdmr *t = &tdxm.tdmr[i];

		for (int l = PT_4KB; l <= PT_1GB; l++) {
			if (ppa < t->pamt_base[l] || ppa - t->pamt_base[l] >= t->pamt_size[l])
				continue;
			*level = (enum pamt_level)l;
			*pa = t->base +
			      (((ppa - t->pamt_base[l]) / PAMT_ENTRY_SIZE) << level_shift[l]);
			return t;
		}
	}
	return NULL;
}

static void active_set(uint64_t ppa, bool on)
{
	size_t lo = 0, hi = inc.nr_active;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (inc.active[mid] < ppa)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < inc.nr_active && inc.active[lo] == ppa) {
		if (!on)
			memmove(&inc.active[lo], &inc.active[lo + 1],
				(--inc.nr_active - lo) * sizeof(*inc.active));
		return;
	}
	if (!on)
		return;
	if (inc.nr_active == inc.cap_active) {
		size_t cap = inc.cap_active ? 2 * inc.cap_active : 64;
		uint64_t *v = realloc(inc.active, cap * sizeof(*v));

		if (!v) {
			/* Callers of pamt_active_pages() then walk the whole PAMT, and the next
			 * check rebuilds the set. */
			inc.lost = true;
			return;
		}
		inc.active = v;
		inc.cap_active = cap;
	}
	memmove(&inc.active[lo + 1], &inc.active[lo], (inc.nr_active - lo) * sizeof(*inc.active));
	inc.active[lo] = ppa;
	inc.nr_active++;
}

/* A non-free entry below a 1G/2M leaf: what check_children_free() reports from the leaf. */
static void check_parents(struct pamt_report *r, const struct tdmr *t, uint64_t pa,
			  enum pamt_level level, const struct pamt_entry *e)
{
	for (int l = level + 1; l <= PT_1GB; l++) {
		uint64_t ppa = pa & ~((1ULL << level_shift[l]) - 1);
		const struct pamt_entry *p = phys_seam_va(pamt_entry_pa(t, ppa, l));

		if (p->pt != PT_NDA && p->pt != PT_RSVD)
			pamt_violation(r, "PAMT %s 0x%llx: %s below a %s leaf at 0x%llx",
				       level_name[level], (unsigned long long)pa,
				       pt_name(e->pt) ? pt_name(e->pt) : "?", level_name[l],
				       (unsigned long long)ppa);
	}
}

/* What check_block() checks of the entries in PAMT page ppa; whether the page is active. */
static bool check_pamt_page(struct pamt_report *r, uint64_t ppa)
{
	enum pamt_level level;
	uint64_t pa0, done, step;
	const struct tdmr *t = pamt_page_covers(ppa, &level, &pa0);
	const struct pamt_entry *e;
	bool active = false;

	if (!t)
		return false;
	done = __atomic_load_n(&t->next_init, __ATOMIC_ACQUIRE) & ~(_1G - 1);
	step = 1ULL << level_shift[level];
	e = phys_seam_va(ppa);
	/* r->res: a checker run reads resident pages only, so residency holds for the run */
	if (!pamt_page_resident(&r->res, e)) {
		if (level == PT_4KB && pa0 < done &&
		    range_has_reserved(t, pa0, ENTRIES_PER_PAGE * _4K))
			pamt_violation(r, "PAMT 4K [0x%llx, 0x%llx): reserved pages not RSVD",
				       (unsigned long long)pa0,
				       (unsigned long long)(pa0 + ENTRIES_PER_PAGE * _4K));
		return false;
	}
	if (pamt_page_uniform(e, PT_NDA) &&
	    (level != PT_4KB || !range_has_reserved(t, pa0, ENTRIES_PER_PAGE * _4K)))
		return false;
	if (level == PT_4KB && pamt_page_uniform(e, PT_RSVD) &&
	    range_reserved(t, pa0, ENTRIES_PER_PAGE * _4K))
		return false;
	for (unsigned int i = 0; i < ENTRIES_PER_PAGE; i++, e++) {
		uint64_t pa = pa0 + i * step;
		bool rsvd;

		/* Entries of uninitialised blocks or beyond the TDMR: nothing reads them. */
		if (pa >= done || pa < t->base)
			continue;
		if (e->pt != PT_NDA && (e->pt != PT_RSVD || level != PT_4KB))
			active = true;
		if (check_entry(r, e, pa, level) && level != PT_4KB)
			check_children_free(r, t, pa, step, level);
		if (e->pt != PT_NDA && level != PT_1GB)
			check_parents(r, t, pa, level, e);
		if (level != PT_4KB)
			continue;
		rsvd = pa_reserved(t, pa);
		if (rsvd && e->pt != PT_RSVD)
			pamt_violation(r, "PAMT 4K 0x%llx: reserved page is %s",
				       (unsigned long long)pa,
				       pt_name(e->pt) ? pt_name(e->pt) : "?");
		if (!rsvd && e->pt == PT_RSVD)
			pamt_violation(r, "PAMT 4K 0x%llx: RSVD outside the reserved areas",
				       (unsigned long long)pa);
	}
	return active;
}

/* Every resident PAMT page looked at: the active set anew. */
static void active_rebuild(void)
{
	inc.nr_active = 0;
	inc.lost = false;
	for (unsigned int i = 0; i < tdxm.nr_tdmrs; i++) {
		for (int l = PT_4KB; l <= PT_1GB; l++) {
			uint64_t p = tdxm.tdmr[i].pamt_base[l] & ~(_4K - 1);
			uint64_t end = tdxm.tdmr[i].pamt_base[l] + tdxm.tdmr[i].pamt_size[l];

			while (p < end) {
				const uint8_t *va = phys_seam_va(p);
				bool resident;
				uint64_t run =
					va ? (uint64_t)((const uint8_t *)phys_seam_resident_run(
								va, &resident) -
							va)
					   : 0;

				if (!run)
					break;
				for (uint64_t q = p; resident && q < p + run && q < end; q += _4K)
					if (check_pamt_page(&(struct pamt_report){0}, q))
						active_set(q, true);
				p += (run + _4K - 1) & ~(_4K - 1);
			}
		}
	}
}

int tdx_pamt_check_changed(char *buf, size_t buflen)
{
	struct pamt_report r = {.buf = buf, .len = buflen};
	const uint64_t *pages;
	bool overflowed;
	size_t n;

	if (!inc.log)
		return tdx_pamt_check(buf, buflen);
	if (buf && buflen)
		buf[0] = 0;
	n = phys_touch_log_pages(inc.log, &pages, &overflowed);
	phys_touch_log_pause(inc.log, true);
	if (overflowed || inc.lost) {
		r.count = tdx_pamt_check(buf, buflen);
		active_rebuild();
	} else {
		for (size_t i = 0; i < n; i++)
			active_set(pages[i], check_pamt_page(&r, pages[i]));
		for (unsigned int i = 0; i < tdxm.nr_tdmrs; i++) {
			if (!mutex_try((struct try_mutex *)&tdxm.tdmr[i].lock)) {
				pamt_violation(&r, "TDMR %u at 0x%llx: lock held", i,
					       (unsigned long long)tdxm.tdmr[i].base);
				continue;
			}
			mutex_release((struct try_mutex *)&tdxm.tdmr[i].lock);
		}
	}
	phys_touch_log_reset(inc.log);
	phys_touch_log_pause(inc.log, false);
	return r.count;
}

int tdx_checks_incremental_start(char *buf, size_t buflen)
{
	if (inc.log)
		return -EBUSY;
	inc.log = phys_touch_log_open();
	if (!inc.log)
		return -ENOMEM;
	phys_touch_log_pause(inc.log, true);
	active_rebuild();
	phys_touch_log_pause(inc.log, false);
	if (tdx_pamt_check(buf, buflen) || tdx_sept_check_changed(buf, buflen)) {
		tdx_checks_incremental_stop();
		return -EBUSY;
	}
	return 0;
}

void tdx_checks_incremental_stop(void)
{
	phys_touch_log_close(inc.log);
	inc.log = NULL;
	free(inc.active);
	inc.active = NULL;
	inc.nr_active = inc.cap_active = 0;
	inc.lost = false;
}

/* Runs of equal (level, type, owner) entries, at 4K granularity below 1G/2M leaves. */
struct run {
	uint64_t start, end;
	unsigned int pt;
	uint64_t owner;
	const char *level;
};

static void run_flush(FILE *out, struct run *run)
{
	if (run->end > run->start)
		fprintf(out, "    [0x%012llx, 0x%012llx) %-5s %s owner 0x%llx\n",
			(unsigned long long)run->start, (unsigned long long)run->end,
			pt_name(run->pt) ? pt_name(run->pt) : "?", run->level,
			(unsigned long long)run->owner);
}

static void run_add(FILE *out, struct run *run, uint64_t pa, uint64_t size, unsigned int pt,
		    uint64_t owner, const char *level)
{
	if (run->end == pa && run->pt == pt && run->owner == owner && run->level == level) {
		run->end = pa + size;
		return;
	}
	run_flush(out, run);
	*run = (struct run){pa, pa + size, pt, owner, level};
}

static void dump_block(FILE *out, struct run *run, const struct tdmr *t, uint64_t block)
{
	struct pamt_residency res = {0};
	const struct pamt_entry *e1 = phys_seam_va(pamt_entry_pa(t, block, PT_1GB));

	if (e1->pt != PT_NDA) {
		run_add(out, run, block, _1G, e1->pt, pamt_owner(e1), "1G");
		return;
	}
	for (uint64_t pa2 = block; pa2 < block + _1G; pa2 += _2M) {
		const struct pamt_entry *e2 = phys_seam_va(pamt_entry_pa(t, pa2, PT_2MB));

		if (e2->pt != PT_NDA) {
			run_add(out, run, pa2, _2M, e2->pt, pamt_owner(e2), "2M");
			continue;
		}
		for (uint64_t pa = pa2; pa < pa2 + _2M; pa += _4K) {
			const struct pamt_entry *e = phys_seam_va(pamt_entry_pa(t, pa, PT_4KB));

			if (!((pa >> 12) % ENTRIES_PER_PAGE) && !pamt_page_resident(&res, e)) {
				run_add(out, run, pa, ENTRIES_PER_PAGE * _4K, PT_NDA, 0, "4K");
				pa += (ENTRIES_PER_PAGE - 1) * _4K;
				continue;
			}
			run_add(out, run, pa, _4K, e->pt, pamt_owner(e), "4K");
		}
	}
}

void tdx_pamt_dump(FILE *out)
{
	static const char *const states[] = {"SYSINIT_PENDING", "SYSINIT_DONE", "SYSCONFIG_DONE",
					     "SYS_READY", "SYS_SHUTDOWN"};
	int s = sys_state_get();

	fprintf(out, "tdx module: %s, %u TDMR(s), global KeyID %u\n",
		s >= 0 && s <= SYS_SHUTDOWN ? states[s] : "?", tdxm.nr_tdmrs, tdxm.hkid);
	for (unsigned int i = 0; i < tdxm.nr_tdmrs; i++) {
		const struct tdmr *t = &tdxm.tdmr[i];
		uint64_t done = __atomic_load_n(&t->next_init, __ATOMIC_ACQUIRE) & ~(_1G - 1);
		struct run run = {0};

		fprintf(out, "  TDMR %u [0x%llx, 0x%llx) initialised up to 0x%llx\n", i,
			(unsigned long long)t->base, (unsigned long long)(t->base + t->size),
			(unsigned long long)done);
		for (int l = PT_1GB; l >= PT_4KB; l--)
			fprintf(out, "    PAMT %s [0x%llx, 0x%llx)\n", level_name[l],
				(unsigned long long)t->pamt_base[l],
				(unsigned long long)(t->pamt_base[l] + t->pamt_size[l]));
		for (unsigned int j = 0; j < t->nr_rsvd; j++)
			fprintf(out, "    reserved [0x%llx, 0x%llx)\n",
				(unsigned long long)(t->base + t->reserved_areas[j].offset),
				(unsigned long long)(t->base + t->reserved_areas[j].offset +
						     t->reserved_areas[j].size));
		for (uint64_t block = t->base; block < done; block += _1G)
			dump_block(out, &run, t, block);
		run_flush(out, &run);
	}
}
