// SPDX-License-Identifier: MIT
/*
 * The Secure EPT invariant checker (tdx_sept_check, tdx_module.h): every TD's control pages,
 * Secure EPT and TD window against the PAMT, at a quiescent point. The module keeps the same
 * fact in several places (a page's PAMT type and owner, the SEPT entry that references it,
 * the TDR's child count, the TD window mapping, the host's view of the page); a leaf that
 * updates one and not another leaves a state the real module cannot be in, and only this
 * cross-check sees it. The fuzzers (fuzz/fuzz_seamcall_seq.c, fuzz/fuzz_tdcall_seq.c) run it
 * after every call.
 *
 * A TD is found by its TDR's PAMT entry; each page a TD owns is counted by type from the
 * PAMT, then the TD's own structures must account for exactly those pages:
 *  - TDR: TDCX pages listed in tdr->tdcx_pa, each PT_TDCX owned by the TD; the child count
 *    is the number of 4K pages the TD owns (a 2M page counts 512).
 *  - TDVPR: owned, tdvps->tdr_pa/tdvpr_pa right, its TDCX pages PT_TDCX owned by the TD;
 *    the TDCS vCPU count is the number of TDVPR pages.
 *  - Secure EPT (once MNG.INIT ran): entries are HPA | state and nothing else, FREE is 0;
 *    a table entry points to a PT_EPT page of the TD (never at level 0); a leaf to a PT_REG
 *    page (or 2M run) of the TD whose PAMT leaf is at the entry's level, aligned to it; no
 *    HPA is referenced twice (in this TD or any other); the TD's EPT and REG pages are all
 *    referenced.
 *  - The TD window: a GPA is mapped iff its leaf is MAPPED with no blocked table above it.
 *  - Every page a TD owns is hidden from the host's direct map.
 */
#include <stdlib.h>
#include <string.h>

#include "td.h"

#define MAX_CHECKED_TDS 64

struct td_count {
	uint64_t tdr_pa;
	uint64_t pages[PT_EPT + 1]; /* 4K pages owned, by PAMT page type */
	uint64_t tdvpr_pages;	    /* TDVPR pages (also counted in pages[PT_TDVPR]) */
	uint64_t init_vcpus;	    /* of them past TDH.VP.INIT (they have an index) */
	uint64_t vp_tdcx;	    /* TDCX pages the TDVPRs list */
};

struct sept_check {
	struct pamt_report *r;
	struct td_count td[MAX_CHECKED_TDS];
	unsigned int nr_tds;
	uint64_t *refs; /* HPAs the Secure EPTs reference (tables and leaves) */
	size_t nr_refs, cap_refs;
	uint64_t ept_refs, reg_refs; /* of the TD being walked, 4K units */
	struct visit {
		uint64_t pa;
		unsigned int level;
		const struct pamt_entry *e;
	} * visits; /* the non-free PAMT entries, in PAMT order */
	size_t nr_visits, cap_visits;
	bool visits_failed;
};

static const char *sept_state_name(unsigned int s)
{
	static const char *const names[] = {"FREE",    "TABLE",		  "MAPPED",	  "PENDING",
					    "BLOCKED", "PENDING_BLOCKED", "TABLE_BLOCKED"};

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static struct td_count *td_find(struct sept_check *c, uint64_t tdr_pa)
{
	for (unsigned int i = 0; i < c->nr_tds; i++)
		if (c->td[i].tdr_pa == tdr_pa)
			return &c->td[i];
	return NULL;
}

static void ref_add(struct sept_check *c, uint64_t hpa)
{
	if (c->nr_refs == c->cap_refs) {
		size_t cap = c->cap_refs ? 2 * c->cap_refs : 256;
		uint64_t *p = realloc(c->refs, cap * sizeof(*p));

		if (!p)
			return;
		c->refs = p;
		c->cap_refs = cap;
	}
	c->refs[c->nr_refs++] = hpa;
}

/* ------------------------------------------------------------------------------------------
 * Pass 1: the PAMT. Find the TDRs, then count every page by owner and type.
 */

/* The entries of one level of a block from e (the block's first), skipping PAMT pages never
 * written since TDMR.INIT (all NDA) and pages of entries that are all NDA or (4K) RSVD. */
static void pamt_for_each_level(void (*fn)(struct sept_check *c, uint64_t pa, unsigned int level,
					   const struct pamt_entry *e),
				struct sept_check *c, const struct pamt_entry *e, uint64_t block,
				uint64_t step, unsigned int level)
{
	const unsigned int per_page = _4K / PAMT_ENTRY_SIZE;
	uint64_t n = _1G / step;

	for (uint64_t i = 0; i < n; i++) {
		/* Pages of free entries, and of RSVD ones at 4K, have nothing to visit. */
		if ((uintptr_t)&e[i] & (_4K - 1))
			goto visit;
		if (!pamt_page_resident(&c->r->res, &e[i])) {
			i += pamt_run_entries(&c->r->res, &e[i]) - 1; /* the whole run of holes */
			continue;
		}
		if (pamt_page_uniform(&e[i], PT_NDA) ||
		    (level == PT_4KB && pamt_page_uniform(&e[i], PT_RSVD))) {
			i += per_page - 1;
			continue;
		}
	visit:
		/* RSVD is a 4K type: above 4K the PAMT checker reports it, and so it is visited. */
		if (e[i].pt != PT_NDA && (e[i].pt != PT_RSVD || level != PT_4KB))
			fn(c, block + i * step, level, &e[i]);
	}
}

/* Visit every non-free PAMT entry of the initialised blocks, at every level. */
static void pamt_for_each(void (*fn)(struct sept_check *c, uint64_t pa, unsigned int level,
				     const struct pamt_entry *e),
			  struct sept_check *c)
{
	c->r->res.valid = false;
	for (unsigned int i = 0; i < tdxm.nr_tdmrs; i++) {
		const struct tdmr *t = &tdxm.tdmr[i];
		uint64_t done = __atomic_load_n(&t->next_init, __ATOMIC_ACQUIRE) & ~(_1G - 1);

		for (uint64_t block = t->base; block < done; block += _1G) {
			/* A level's entries of one block are contiguous in the PAMT. */
			const struct pamt_entry *e = pamt_entry_get(block, PT_1GB);
			const struct pamt_entry *e2 = pamt_entry_get(block, PT_2MB);
			const struct pamt_entry *e4 = pamt_entry_get(block, PT_4KB);

			if (e->pt != PT_NDA)
				fn(c, block, PT_1GB, e);
			pamt_for_each_level(fn, c, e2, block, _2M, PT_2MB);
			pamt_for_each_level(fn, c, e4, block, _4K, PT_4KB);
		}
	}
}

/*
 * The same visits from the active PAMT pages of the incremental checks (pamt.c): the pages
 * pamt_for_each_level() would not skip, kept up to date call by call.
 */
static bool pamt_for_each_active(void (*fn)(struct sept_check *c, uint64_t pa, unsigned int level,
					    const struct pamt_entry *e),
				 struct sept_check *c)
{
	const uint64_t *pages;
	size_t nr;

	if (!pamt_active_pages(&pages, &nr))
		return false;
	for (unsigned int i = 0; i < tdxm.nr_tdmrs; i++) {
		const struct tdmr *t = &tdxm.tdmr[i];
		uint64_t done = __atomic_load_n(&t->next_init, __ATOMIC_ACQUIRE) & ~(_1G - 1);

		for (uint64_t block = t->base; block < done; block += _1G) {
			const struct pamt_entry *e = pamt_entry_get(block, PT_1GB);

			if (e->pt != PT_NDA)
				fn(c, block, PT_1GB, e);
		}
	}
	for (size_t k = 0; k < nr; k++) {
		enum pamt_level level;
		uint64_t pa0, done, step;
		const struct tdmr *t = pamt_page_covers(pages[k], &level, &pa0);
		const struct pamt_entry *e = phys_seam_va(pages[k]);

		if (!t || level == PT_1GB)
			continue;
		done = __atomic_load_n(&t->next_init, __ATOMIC_ACQUIRE) & ~(_1G - 1);
		step = level == PT_4KB ? _4K : _2M;
		for (unsigned int i = 0; i < _4K / PAMT_ENTRY_SIZE; i++) {
			uint64_t pa = pa0 + i * step;

			if (pa < t->base || pa >= done)
				continue;
			if (e[i].pt != PT_NDA && (e[i].pt != PT_RSVD || level != PT_4KB))
				fn(c, pa, level, &e[i]);
		}
	}
	return true;
}

static void collect(struct sept_check *c, uint64_t pa, unsigned int level,
		    const struct pamt_entry *e)
{
	if (c->visits_failed)
		return;
	if (c->nr_visits == c->cap_visits) {
		size_t cap = c->cap_visits ? 2 * c->cap_visits : 256;
		struct visit *v = realloc(c->visits, cap * sizeof(*v));

		if (!v) {
			c->visits_failed = true; /* the three walks instead */
			return;
		}
		c->visits = v;
		c->cap_visits = cap;
	}
	c->visits[c->nr_visits++] = (struct visit){pa, level, e};
}

static void find_tdr(struct sept_check *c, uint64_t pa, unsigned int level,
		     const struct pamt_entry *e)
{
	if (e->pt != PT_TDR)
		return;
	if (level != PT_4KB || pamt_owner(e) != pa) {
		pamt_violation(c->r, "TDR 0x%llx: level %u, owner 0x%llx", (unsigned long long)pa,
			       level, (unsigned long long)pamt_owner(e));
		return;
	}
	if (c->nr_tds == MAX_CHECKED_TDS)
		return;
	c->td[c->nr_tds++].tdr_pa = pa;
}

static void count_page(struct sept_check *c, uint64_t pa, unsigned int level,
		       const struct pamt_entry *e)
{
	uint64_t n = 1ULL << (9 * level), owner = pamt_owner(e);
	struct td_count *td = td_find(c, owner);

	for (uint64_t i = 0; i < n; i++) {
		if (!phys_is_hidden(pa + i * _4K)) {
			pamt_violation(c->r, "page 0x%llx (type %u, owner 0x%llx) not hidden",
				       (unsigned long long)(pa + i * _4K), e->pt,
				       (unsigned long long)owner);
			break;
		}
	}
	if (!td) {
		pamt_violation(c->r, "page 0x%llx (type %u): owner 0x%llx is not a TDR",
			       (unsigned long long)pa, e->pt, (unsigned long long)owner);
		return;
	}
	if (e->pt == PT_TDR)
		return;
	if (level != PT_4KB && e->pt != PT_REG)
		pamt_violation(c->r, "page 0x%llx: type %u at level %u", (unsigned long long)pa,
			       e->pt, level);
	if (e->pt <= PT_EPT)
		td->pages[e->pt] += n;
	if (e->pt == PT_TDVPR) {
		const struct tdvps *vp = tdvps_of(pa);

		td->tdvpr_pages++;
		if (vp->state != VCPU_UNINITIALIZED)
			td->init_vcpus++;
		if (vp->tdr_pa != owner || vp->tdvpr_pa != pa)
			pamt_violation(c->r, "TDVPR 0x%llx: TDVPS says TDR 0x%llx TDVPR 0x%llx",
				       (unsigned long long)pa, (unsigned long long)vp->tdr_pa,
				       (unsigned long long)vp->tdvpr_pa);
		td->vp_tdcx += vp->num_tdcx;
	}
}

/* A page a control structure lists: PT_TDCX, owned by the TD. */
static void check_tdcx(struct sept_check *c, uint64_t tdr_pa, uint64_t pa, const char *what)
{
	const struct pamt_entry *e = pamt_entry_get(pa, PT_4KB);

	if (!e || e->pt != PT_TDCX || pamt_owner(e) != tdr_pa)
		pamt_violation(c->r, "TD 0x%llx: %s 0x%llx is type %d owner 0x%llx",
			       (unsigned long long)tdr_pa, what, (unsigned long long)pa,
			       e ? e->pt : -1, e ? (unsigned long long)pamt_owner(e) : 0ULL);
}

static void check_vcpus(struct sept_check *c, uint64_t pa, unsigned int level,
			const struct pamt_entry *e)
{
	const struct tdvps *vp;

	(void)level;
	if (e->pt != PT_TDVPR || !td_find(c, pamt_owner(e)) ||
	    tdr_of(pamt_owner(e))->lifecycle_state == TD_TEARDOWN)
		return;
	vp = tdvps_of(pa);
	if (vp->num_tdcx > MAX_TDVPS_PAGES - 1) {
		pamt_violation(c->r, "TDVPR 0x%llx: %u TDCX pages", (unsigned long long)pa,
			       vp->num_tdcx);
		return;
	}
	for (unsigned int i = 0; i < vp->num_tdcx; i++)
		check_tdcx(c, pamt_owner(e), vp->tdcx_pa[i], "vCPU TDCX");
}

/* ------------------------------------------------------------------------------------------
 * Pass 2: each TD's Secure EPT and window.
 */

struct walk_ctx {
	struct sept_check *c;
	uint64_t tdr_pa;
	const struct td_window *w;
};

static void window_expect(struct walk_ctx *x, uint64_t gpa, uint64_t size, bool mapped)
{
	for (uint64_t off = 0; off < size && gpa + off < TDXSIM_WINDOW_SIZE; off += _4K) {
		if (td_window_is_mapped(x->w, gpa + off, false) == mapped)
			continue;
		pamt_violation(x->c->r, "TD 0x%llx: GPA 0x%llx %s in the TD window",
			       (unsigned long long)x->tdr_pa, (unsigned long long)(gpa + off),
			       mapped ? "not mapped" : "mapped");
		return;
	}
}

static void check_leaf(struct walk_ctx *x, uint64_t e, uint64_t gpa, unsigned int level,
		       bool reachable)
{
	uint64_t hpa = sept_hpa(e), size = tdx_ps_bytes(level);
	unsigned int pamt_level;
	const struct pamt_entry *p = pamt_leaf(hpa, &pamt_level);

	bool ok = is_aligned(hpa, size) && p && p->pt == PT_REG && pamt_owner(p) == x->tdr_pa &&
		  pamt_level == level;

	if (!ok)
		pamt_violation(x->c->r,
			       "TD 0x%llx: GPA 0x%llx level %u %s -> HPA 0x%llx: PAMT type %d "
			       "owner 0x%llx level %u",
			       (unsigned long long)x->tdr_pa, (unsigned long long)gpa, level,
			       sept_state_name(sept_state(e)), (unsigned long long)hpa,
			       p ? p->pt : -1, p ? (unsigned long long)pamt_owner(p) : 0ULL,
			       p ? pamt_level : 0);
	ref_add(x->c, hpa);
	/* Only the TD's own pages count: then a page the TD owns and no leaf names shows too. */
	if (ok)
		x->c->reg_refs += size / _4K;
	if (x->w)
		window_expect(x, gpa, size, reachable && sept_state_is_leaf_mapped(e));
}

static void walk_table(struct walk_ctx *x, uint64_t table_hpa, unsigned int level, uint64_t base,
		       bool reachable)
{
	const uint64_t *table = phys_seam_va(table_hpa);
	uint64_t span = tdx_ps_bytes(level);

	for (unsigned int i = 0; i < SEPT_ENTRIES; i++) {
		uint64_t e = __atomic_load_n(&table[i], __ATOMIC_ACQUIRE);
		uint64_t gpa = base + i * span;
		unsigned int s = sept_state(e);

		if ((e & ~(SEPT_HPA_MASK | SEPT_STATE_MASK)) || s > SEPT_TABLE_BLOCKED ||
		    (s == SEPT_FREE && e)) {
			pamt_violation(x->c->r, "TD 0x%llx: GPA 0x%llx level %u: bad entry 0x%llx",
				       (unsigned long long)x->tdr_pa, (unsigned long long)gpa,
				       level, (unsigned long long)e);
			continue;
		}
		if (sept_state_is_free(e)) {
			/* Every page of a level-0 range; the first of a larger one. */
			if (x->w)
				window_expect(x, gpa, _4K, false);
			continue;
		}
		if (sept_is_leaf(e)) {
			check_leaf(x, e, gpa, level, reachable);
			continue;
		}
		/* A table entry. */
		const struct pamt_entry *p = pamt_entry_get(sept_hpa(e), PT_4KB);

		if (level == 0 || !p || p->pt != PT_EPT || pamt_owner(p) != x->tdr_pa) {
			pamt_violation(
				x->c->r,
				"TD 0x%llx: GPA 0x%llx level %u %s -> HPA 0x%llx: PAMT type %d "
				"owner 0x%llx",
				(unsigned long long)x->tdr_pa, (unsigned long long)gpa, level,
				sept_state_name(s), (unsigned long long)sept_hpa(e), p ? p->pt : -1,
				p ? (unsigned long long)pamt_owner(p) : 0ULL);
			continue;
		}
		ref_add(x->c, sept_hpa(e));
		x->c->ept_refs++;
		walk_table(x, sept_hpa(e), level - 1, gpa, reachable && sept_state_is_table(e));
	}
}

static void check_td(struct sept_check *c, const struct td_count *n)
{
	const struct tdr *tdr = tdr_of(n->tdr_pa);
	const struct tdcs *tdcs;
	uint64_t owned = 0;
	struct walk_ctx x = {.c = c, .tdr_pa = n->tdr_pa};

	if (tdr->num_tdcx > MAX_TDCS_PAGES) {
		pamt_violation(c->r, "TD 0x%llx: %u TDCS pages", (unsigned long long)n->tdr_pa,
			       tdr->num_tdcx);
		return;
	}
	for (unsigned int t = 0; t <= PT_EPT; t++)
		owned += n->pages[t];
	if (owned != tdr->chldcnt)
		pamt_violation(c->r, "TD 0x%llx: child count %llu, owns %llu pages",
			       (unsigned long long)n->tdr_pa, (unsigned long long)tdr->chldcnt,
			       (unsigned long long)owned);
	/* In teardown the host reclaims pages in any order: the TDCS, the vCPUs' page lists and
	 * the Secure EPT may name pages that are the host's again; the TD never runs again. */
	if (tdr->lifecycle_state == TD_TEARDOWN)
		return;
	for (unsigned int i = 0; i < tdr->num_tdcx; i++)
		check_tdcx(c, n->tdr_pa, tdr->tdcx_pa[i], "TDCS page");
	if (n->pages[PT_TDCX] != tdr->num_tdcx + n->vp_tdcx)
		pamt_violation(c->r, "TD 0x%llx: owns %llu TDCX pages, lists %llu",
			       (unsigned long long)n->tdr_pa, (unsigned long long)n->pages[PT_TDCX],
			       (unsigned long long)(tdr->num_tdcx + n->vp_tdcx));
	tdcs = tdcs_of(tdr);
	if (!tdcs || tdr->num_tdcx != MAX_TDCS_PAGES || !tdr->init) {
		if (n->pages[PT_EPT] || n->pages[PT_REG])
			pamt_violation(c->r, "TD 0x%llx: memory before MNG.INIT",
				       (unsigned long long)n->tdr_pa);
		return;
	}
	if (tdcs->num_vcpus != n->init_vcpus)
		pamt_violation(c->r, "TD 0x%llx: %u vCPUs, owns %llu initialised TDVPR pages",
			       (unsigned long long)n->tdr_pa, tdcs->num_vcpus,
			       (unsigned long long)n->init_vcpus);
	x.w = tdcs->window ? tdcs->window : tdr->window;
	c->ept_refs = c->reg_refs = 0;
	walk_table(&x, tdr->tdcx_pa[TDCS_SEPT_ROOT], tdcs->ept_levels - 1, 0, true);
	if (c->ept_refs != n->pages[PT_EPT] || c->reg_refs != n->pages[PT_REG])
		pamt_violation(c->r,
			       "TD 0x%llx: Secure EPT references %llu tables and %llu pages; the "
			       "TD owns %llu EPT and %llu REG pages",
			       (unsigned long long)n->tdr_pa, (unsigned long long)c->ept_refs,
			       (unsigned long long)c->reg_refs,
			       (unsigned long long)n->pages[PT_EPT],
			       (unsigned long long)n->pages[PT_REG]);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int sept_check(char *buf, size_t buflen, bool incremental)
{
	struct pamt_report r = {.buf = buf, .len = buflen};
	struct sept_check c = {.r = &r};

	if (buf && buflen)
		buf[0] = 0;
	/* One walk of the PAMT (or of its active pages); the three visits over what it found. */
	if (!incremental || !pamt_for_each_active(collect, &c))
		pamt_for_each(collect, &c);
	if (!c.visits_failed) {
		for (size_t i = 0; i < c.nr_visits; i++)
			find_tdr(&c, c.visits[i].pa, c.visits[i].level, c.visits[i].e);
		for (size_t i = 0; i < c.nr_visits; i++)
			count_page(&c, c.visits[i].pa, c.visits[i].level, c.visits[i].e);
		for (size_t i = 0; i < c.nr_visits; i++)
			check_vcpus(&c, c.visits[i].pa, c.visits[i].level, c.visits[i].e);
	} else {
		/* Out of memory for the list: walk three times. */
		pamt_for_each(find_tdr, &c);
		pamt_for_each(count_page, &c);
		pamt_for_each(check_vcpus, &c);
	}
	free(c.visits);
	for (unsigned int i = 0; i < c.nr_tds; i++)
		check_td(&c, &c.td[i]);
	if (c.nr_refs)
		qsort(c.refs, c.nr_refs, sizeof(*c.refs), cmp_u64);
	for (size_t i = 1; i < c.nr_refs; i++)
		if (c.refs[i] == c.refs[i - 1])
			pamt_violation(&r, "HPA 0x%llx referenced twice by Secure EPTs",
				       (unsigned long long)c.refs[i]);
	free(c.refs);
	return r.count;
}

int tdx_sept_check(char *buf, size_t buflen)
{
	return sept_check(buf, buflen, false);
}

int tdx_sept_check_changed(char *buf, size_t buflen)
{
	int n;

	pamt_check_log_pause(true);
	n = sept_check(buf, buflen, true);
	pamt_check_log_pause(false);
	return n;
}
