// SPDX-License-Identifier: MIT
/*
 * Tearing down whatever TDs a module fuzzer's input left (fuzz_teardown.h). The TDs are found
 * in the PAMT, not in the fuzzer's bookkeeping, so that a TD the input built in ways the
 * fuzzer did not foresee is taken apart too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_teardown.h"
#include "td.h"
#include "td_harness.h"

#define MAX_TDS	   16
#define MAX_TDVPRS 64

/*
 * One pass over the PAMT (skipping absent PAMT pages): the TDR and TDVPR pages, and whether
 * any page is still a TD's (TDR, TDCX, TDVPR, EPT, REG).
 */
struct pamt_scan {
	uint64_t tdr[MAX_TDS], tdvpr[MAX_TDVPRS];
	unsigned int nr_tdr, nr_tdvpr;
	bool td_pages;
};

static void scan_entry(struct pamt_scan *sc, uint64_t pa, const struct pamt_entry *e)
{
	if (e->pt == PT_TDR && sc->nr_tdr < MAX_TDS)
		sc->tdr[sc->nr_tdr++] = pa;
	if (e->pt == PT_TDVPR && sc->nr_tdvpr < MAX_TDVPRS)
		sc->tdvpr[sc->nr_tdvpr++] = pa;
	if (e->pt == PT_TDR || e->pt == PT_TDCX || e->pt == PT_TDVPR || e->pt == PT_EPT ||
	    e->pt == PT_REG)
		sc->td_pages = true;
}

static void pamt_scan_all(struct pamt_scan *sc)
{
	struct pamt_residency res = {0};

	for (unsigned int i = 0; i < tdxm.nr_tdmrs; i++) {
		const struct tdmr *t = &tdxm.tdmr[i];

		/* The 4K entries are contiguous in the PAMT: one lookup for all. */
		const struct pamt_entry *e0 =
			t->next_init > t->base ? pamt_entry_get(t->base, PT_4KB) : NULL;

		for (uint64_t pa = t->base; e0 && pa < t->next_init; pa += 4 * KiB) {
			const struct pamt_entry *e = &e0[(pa - t->base) >> 12];

			if (!((pa >> 12) % 256) && !pamt_page_resident(&res, e)) {
				pa += 255 * 4 * KiB;
				continue;
			}
			scan_entry(sc, pa, e);
		}
	}
}

/*
 * The same entries, from the 4K PAMT pages the incremental checker keeps as active (holding
 * entries other than free and RSVD; up to date after every call's check): every other PAMT
 * page holds none of the types looked for. Same order as pamt_scan_all(). False when the
 * incremental checks are off.
 */
static bool pamt_scan_active(struct pamt_scan *sc, bool incremental)
{
	const uint64_t *pages;
	size_t nr;

	if (!incremental || !pamt_active_pages(&pages, &nr))
		return false;
	for (unsigned int i = 0; i < tdxm.nr_tdmrs; i++) {
		for (size_t k = 0; k < nr; k++) {
			enum pamt_level level;
			uint64_t pa0;
			const struct tdmr *t = pamt_page_covers(pages[k], &level, &pa0);
			const struct pamt_entry *e = phys_seam_va(pages[k]);

			if (t != &tdxm.tdmr[i] || level != PT_4KB)
				continue;
			for (uint64_t j = 0; j < 256 && pa0 + j * 4 * KiB < t->next_init; j++)
				scan_entry(sc, pa0 + j * 4 * KiB, &e[j]);
		}
	}
	return true;
}

static bool incremental;

/* FUZZ_CHECK_COMPARE=1 (fuzz_invariants_broken) also compares the two scans. */
static void pamt_scan(struct pamt_scan *sc)
{
	static struct pamt_scan all;

	memset(sc, 0, sizeof(*sc));
	if (!pamt_scan_active(sc, incremental)) {
		pamt_scan_all(sc);
		return;
	}
	if (!getenv("FUZZ_CHECK_COMPARE"))
		return;
	memset(&all, 0, sizeof(all));
	pamt_scan_all(&all);
	if (memcmp(&all, sc, sizeof(all))) {
		fprintf(stderr,
			"FUZZ_CHECK_COMPARE: the PAMT scan of the active pages found %u TDR, "
			"%u TDVPR, TD pages %d; of every page %u, %u, %d\n",
			sc->nr_tdr, sc->nr_tdvpr, sc->td_pages, all.nr_tdr, all.nr_tdvpr,
			all.td_pages);
		abort();
	}
}

void fuzz_checks_start(void)
{
	static char buf[8192];
	int ret;

	if (getenv("FUZZ_CHECK_FULL"))
		return;
	ret = tdx_checks_incremental_start(buf, sizeof(buf));
	if (ret) {
		fprintf(stderr, "incremental checks: %d\n%s\n", ret, buf);
		abort();
	}
	incremental = true;
}

const char *fuzz_invariants_broken(char *buf, size_t buflen)
{
	if (incremental && getenv("FUZZ_CHECK_COMPARE")) {
		int a = tdx_pamt_check(NULL, 0), b = tdx_sept_check(NULL, 0);
		int c = tdx_pamt_check_changed(buf, buflen),
		    d = tdx_sept_check_changed(buf, buflen);

		if (a != c || b != d) {
			fprintf(stderr, "FUZZ_CHECK_COMPARE: full %d %d, incremental %d %d\n%s\n",
				a, b, c, d, buf);
			abort();
		}
	}
	if (incremental ? tdx_pamt_check_changed(buf, buflen) : tdx_pamt_check(buf, buflen))
		return "PAMT checker";
	if (incremental ? tdx_sept_check_changed(buf, buflen) : tdx_sept_check(buf, buflen))
		return "Secure EPT checker";
	return NULL;
}

const char *fuzz_teardown_all(char *buf, size_t buflen)
{
	static struct pamt_scan sc;
	const char *what;

	/* pamt_scan() reads the active pages of a check of the present state */
	buf[0] = 0;
	what = fuzz_invariants_broken(buf, buflen);
	if (what)
		return what;
	pamt_scan(&sc);
	for (unsigned int i = 0; i < sc.nr_tdr; i++) {
		const struct tdr *tdr = tdr_of(sc.tdr[i]);
		struct test_td td = {.tdr = sc.tdr[i], .hkid = tdr->hkid};
		uint64_t s;

		for (unsigned int j = 0; j < tdr->num_tdcx && j < 6; j++)
			td.tdcx[j] = tdr->tdcx_pa[j];
		for (unsigned int k = 0; k < sc.nr_tdvpr && td.nr_vcpus < 8; k++) {
			const struct tdvps *vp = tdvps_of(sc.tdvpr[k]);
			unsigned int v = td.nr_vcpus;

			if (pamt_owner(pamt_entry_get(sc.tdvpr[k], PT_4KB)) != sc.tdr[i])
				continue;
			td.tdvpr[v] = sc.tdvpr[k];
			for (unsigned int j = 0; j < vp->num_tdcx && j < TD_VP_MAX_TDCX; j++)
				td.vp_tdcx[v][j] = vp->tdcx_pa[j];
			td.nr_vcpus++;
		}
		s = td_teardown(&td);
		if (s) {
			snprintf(buf, buflen, "TD 0x%llx: status 0x%016llx",
				 (unsigned long long)sc.tdr[i], (unsigned long long)s);
			return "teardown in KVM's order failed";
		}
	}
	buf[0] = 0;
	what = fuzz_invariants_broken(buf, buflen);
	if (what)
		return what;
	pamt_scan(&sc);
	if (sc.td_pages)
		return "PAMT not clean after teardown";
	for (unsigned int h = 0; h < MAX_HKIDS; h++)
		if (tdxm.kot[h].state == KOT_STATE_HKID_ASSIGNED ||
		    tdxm.kot[h].state == KOT_STATE_HKID_FLUSHED)
			return "HKID still assigned after teardown";
	return NULL;
}
