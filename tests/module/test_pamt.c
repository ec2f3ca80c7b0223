// SPDX-License-Identifier: MIT
/*
 * PAMT initialisation and the invariant checker: a 64 GiB TDMR initialised in a loop until
 * done (through the trap and the gate) without touching more memory than its PAMT; the
 * checker catching each kind of corruption; the dump; TDMR.INIT and LP.INIT racing on
 * every LP at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* RAM [0, 640K) [1M, 2G) [4G, 68G): TDMR0 [0, 2G) holds every PAMT, TDMR1 is 64 GiB. */
static void machine_big(struct machine_config *cfg)
{
	machine_2s(cfg);
	snprintf(cfg->name, sizeof(cfg->name), "module-64g");
	cfg->ram[2] = (struct phys_range){4 * GiB, 64 * GiB, 1};
}

static const uint64_t R = 1 * GiB; /* TDMR0's reserved area for the PAMTs, 512 MiB */

static void layout_big(struct layout *L)
{
	layout_std(L);
	L->t[0].reserved_areas[1].size = 512 * MiB;
	L->t[1] = (struct tdmr_info){
		.base = 4 * GiB,
		.size = 64 * GiB,
		.pamt_4k_base = R + 64 * MiB,
		.pamt_4k_size = 256 * MiB,
		.pamt_2m_base = R + 320 * MiB,
		.pamt_2m_size = 512 * KiB,
		.pamt_1g_base = R + 321 * MiB,
		.pamt_1g_size = 4 * KiB,
	};
}

static int bring_up_big(void)
{
	struct tdx_module_args a;
	struct layout L;

	if (bring_up(TDX_MODULE_LATEST, S_LPINIT, 0) < 0)
		return -1;
	layout_big(&L);
	layout_write(&L);
	a = (struct tdx_module_args){.rcx = ARRAY_PA, .rdx = 2, .r8 = GLOBAL_HKID};
	if (call_on(PATH_DIRECT, 0, TDH_SYS_CONFIG, &a))
		return -1;
	for (unsigned int lp = 0; lp < NR_LPS; lp += 2) {
		a = (struct tdx_module_args){0};
		if (call_on(PATH_DIRECT, lp, TDH_SYS_KEY_CONFIG, &a))
			return -1;
	}
	return sys_state_get() == SYS_READY ? 0 : -1;
}

static void test_64g_loop(enum call_path p)
{
	struct tdx_module_args a;
	uint64_t before, after, expect, st;
	unsigned int calls = 0;
	char buf[1024];

	CHECK(bring_up_big() == 0, "[%s] 64G: bring-up", path_name[p]);
	before = phys_resident_bytes();
	for (;;) {
		a = (struct tdx_module_args){.rcx = 4 * GiB, .rdx = 1};
		st = call_on(p, 1, TDH_SYS_TDMR_INIT, &a);
		if (st == TDX_TDMR_ALREADY_INITIALIZED) {
			CHECK(a.rdx == 0, "[%s] 64G: RDX 0x%llx when done", path_name[p],
			      (unsigned long long)a.rdx);
			break;
		}
		CHECK(st == TDX_SUCCESS, "[%s] 64G: call %u status 0x%016llx", path_name[p], calls,
		      (unsigned long long)st);
		if (st)
			break;
		/* 4 MiB per call; RDX is where to go on, rounded down to 1 GiB */
		expect = (4 * GiB + (uint64_t)(calls + 1) * 4 * MiB) & ~(GiB - 1);
		CHECK(a.rdx == expect, "[%s] 64G: call %u RDX 0x%llx, want 0x%llx", path_name[p],
		      calls, (unsigned long long)a.rdx, (unsigned long long)expect);
		if (++calls > 64 * 256)
			break;
	}
	after = phys_resident_bytes();
	CHECK(calls == 64 * 256, "[%s] 64G: %u successful calls, want 16384 (4 MiB each)",
	      path_name[p], calls);
	/* No reserved area in TDMR1: its PAMT is initialised without touching a page. */
	CHECK(after <= before + 256 * MiB + 516 * KiB, "[%s] 64G: resident grew by %llu bytes",
	      path_name[p], (unsigned long long)(after - before));
	CHECK(after <= before + 64 * KiB, "[%s] 64G: resident grew by %llu bytes (want ~0)",
	      path_name[p], (unsigned long long)(after - before));
	CHECK(tdx_pamt_check(buf, sizeof(buf)) == 0, "[%s] 64G: PAMT check: %s", path_name[p], buf);

	/* TDMR0 (with reserved areas) too, then everything is consistent. */
	do {
		a = (struct tdx_module_args){.rcx = 0};
		st = call_on(p, 0, TDH_SYS_TDMR_INIT, &a);
	} while (st == TDX_SUCCESS);
	CHECK(st == TDX_TDMR_ALREADY_INITIALIZED, "[%s] TDMR0 loop: 0x%016llx", path_name[p],
	      (unsigned long long)st);
	CHECK(tdx_pamt_check(buf, sizeof(buf)) == 0, "[%s] after TDMR0: %s", path_name[p], buf);
	CHECK(pamt_entry_get(R, PT_4KB) && pamt_entry_get(R, PT_4KB)->pt == PT_RSVD,
	      "[%s] PAMT pages are RSVD", path_name[p]);
	CHECK(pamt_entry_get(640 * KiB, PT_4KB)->pt == PT_RSVD, "[%s] hole is RSVD", path_name[p]);
	CHECK(pamt_entry_get(2 * MiB, PT_4KB)->pt == PT_NDA, "[%s] RAM is NDA", path_name[p]);
	CHECK(pamt_entry_get(67 * GiB + 4 * KiB, PT_4KB)->pt == PT_NDA, "[%s] last GiB NDA",
	      path_name[p]);
	CHECK(!pamt_entry_get(68 * GiB, PT_4KB), "[%s] beyond the TDMR", path_name[p]);
}

/* Partially initialised TDMR: entries exist only below the next-to-initialise GiB. */
static void test_partial(void)
{
	struct tdx_module_args a = {.rcx = 4 * GiB};

	CHECK(bring_up_big() == 0, "partial: bring-up");
	for (unsigned int i = 0; i < 255; i++) {
		a = (struct tdx_module_args){.rcx = 4 * GiB};
		CHECK(call_on(PATH_DIRECT, 0, TDH_SYS_TDMR_INIT, &a) == 0 && a.rdx == 4 * GiB,
		      "partial: chunk %u of the first GiB", i);
	}
	CHECK(pamt_entry_get(4 * GiB, PT_4KB) == NULL, "partial: 255 of 256 chunks: not usable");
	a = (struct tdx_module_args){.rcx = 4 * GiB};
	CHECK(call_on(PATH_DIRECT, 0, TDH_SYS_TDMR_INIT, &a) == 0 && a.rdx == 5 * GiB,
	      "partial: first GiB");
	CHECK(pamt_entry_get(5 * GiB - 4 * KiB, PT_4KB) != NULL, "partial: first GiB usable");
	CHECK(pamt_entry_get(5 * GiB, PT_4KB) == NULL, "partial: second GiB not yet");
	CHECK(tdx_pamt_check(NULL, 0) == 0, "partial: check");
}

static void set_rsvd(struct pamt_entry *e)
{
	e->pt = PT_RSVD;
}

static void set_nda(struct pamt_entry *e)
{
	e->pt = PT_NDA;
}

static void set_lock(struct pamt_entry *e)
{
	e->lock = 1;
}

static void set_bad_type(struct pamt_entry *e)
{
	e->pt = 7;
}

static void set_owner(struct pamt_entry *e)
{
	pamt_set_owner(e, 0x12345000);
}

/* Each kind of corruption is reported; restoring the entry makes the PAMT clean again. */
static void test_checker(void)
{
	struct pamt_entry *e, saved;
	char buf[2048];
	int n;

	CHECK(bring_up(TDX_MODULE_LATEST, S_TDMR, 0) == 0, "checker: bring-up");
	CHECK(tdx_pamt_check(buf, sizeof(buf)) == 0, "checker: clean: %s", buf);

	struct {
		const char *what;
		uint64_t pa;
		enum pamt_level level;
		void (*corrupt)(struct pamt_entry *e);
		const char *expect;
	} cases[] = {
		{"RSVD outside reserved", 16 * MiB, PT_4KB, set_rsvd, "RSVD outside"},
		{"reserved page NDA", R + 4 * KiB, PT_4KB, set_nda, "reserved page is"},
		{"lock held", 16 * MiB, PT_4KB, set_lock, "lock held"},
		{"bad page type", 4 * GiB, PT_4KB, set_bad_type, "bad page type"},
		{"free with owner", 4 * GiB + 8 * KiB, PT_4KB, set_owner, "owner"},
		{"RSVD at 2M", 4 * GiB, PT_2MB, set_rsvd, "RSVD above 4K"},
		/* In a PAMT page of RSVD entries only (the checkers skip such pages whole). */
		{"RSVD with owner", R + 8 * KiB, PT_4KB, set_owner, "RSVD entry with owner"},
		{"RSVD locked", R + 1 * MiB - 4 * KiB, PT_4KB, set_lock, "lock held"},
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e = pamt_entry_get(cases[i].pa, cases[i].level);
		saved = *e;
		cases[i].corrupt(e);
		n = tdx_pamt_check(buf, sizeof(buf));
		CHECK(n >= 1 && strstr(buf, cases[i].expect), "checker: %s: %d: %s", cases[i].what,
		      n, buf);
		*e = saved;
		CHECK(tdx_pamt_check(buf, sizeof(buf)) == 0, "checker: %s restored: %s",
		      cases[i].what, buf);
	}

	/* A 2M leaf with a 4K child in use. */
	e = pamt_entry_get(4 * GiB + 2 * MiB, PT_2MB);
	e->pt = PT_REG;
	pamt_set_owner(e, 0x100000);
	pamt_entry_get(4 * GiB + 2 * MiB + 4 * KiB, PT_4KB)->pt = PT_REG;
	n = tdx_pamt_check(buf, sizeof(buf));
	CHECK(n >= 1 && strstr(buf, "below a 2M leaf"), "checker: 2M leaf child: %d: %s", n, buf);
	memset(pamt_entry_get(4 * GiB + 2 * MiB + 4 * KiB, PT_4KB), 0, PAMT_ENTRY_SIZE);
	CHECK(tdx_pamt_check(buf, sizeof(buf)) == 0, "checker: 2M leaf alone is fine: %s", buf);
	memset(e, 0, PAMT_ENTRY_SIZE);

	/* The TDMR lock left held. */
	mutex_try(&tdxm.tdmr[1].lock);
	CHECK(tdx_pamt_check(buf, sizeof(buf)) == 1 && strstr(buf, "lock held"),
	      "checker: TDMR lock: %s", buf);
	mutex_release(&tdxm.tdmr[1].lock);
}

static void test_dump(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CHECK(bring_up(TDX_MODULE_LATEST, S_TDMR, 0) == 0, "dump: bring-up");
	tdx_pamt_dump(f);
	fclose(f);
	CHECK(text && strstr(text, "SYS_READY"), "dump: state");
	CHECK(text && strstr(text, "TDMR 1 [0x100000000, 0x180000000) initialised up to "
				   "0x180000000"),
	      "dump: TDMR 1 line:\n%s", text);
	CHECK(text && strstr(text, "[0x0000000a0000, 0x000000100000) RSVD  4K"),
	      "dump: hole RSVD run:\n%s", text);
	CHECK(text && strstr(text, "[0x000040000000, 0x000042000000) RSVD  4K"),
	      "dump: PAMT RSVD run:\n%s", text);
	free(text);
}

/* ---- all LPs at once ---- */

static enum call_path race_path;
static unsigned int race_ok[NR_LPS], race_busy[NR_LPS], race_other[NR_LPS];

static long race_tdmr_init(void *arg)
{
	unsigned int lp = (unsigned int)lp_current();
	struct tdx_module_args a;
	uint64_t st;

	(void)arg;
	race_ok[lp] = race_busy[lp] = race_other[lp] = 0;
	for (unsigned int i = 0; i < 1000000; i++) {
		a = (struct tdx_module_args){.rcx = 4 * GiB};
		st = call_on(race_path, lp, TDH_SYS_TDMR_INIT, &a);
		if (st == TDX_TDMR_ALREADY_INITIALIZED)
			break;
		if (st == TDX_SUCCESS)
			race_ok[lp]++;
		else if (st == TDX_OPERAND_BUSY + TDX_OPERAND_ID_RCX)
			race_busy[lp]++;
		else
			race_other[lp]++;
	}
	return 0;
}

static long race_lp_init(void *arg)
{
	struct tdx_module_args a = {0};

	(void)arg;
	return (long)(call_on(race_path, (unsigned int)lp_current(), TDH_SYS_LP_INIT, &a) != 0);
}

static void test_races(enum call_path p)
{
	long results[PLATFORM_MAX_LPS];
	struct tdx_module_args a = {0};
	unsigned int ok = 0, busy = 0, other = 0;

	race_path = p;
	CHECK(bring_up(TDX_MODULE_1_5_01, S_SYSINIT, 0) == 0, "race: bring-up");
	CHECK(lp_run_on_each_online(race_lp_init, NULL, results) == 0,
	      "[%s] race: parallel LP.INIT failed", path_name[p]);
	CHECK(tdxm.num_init_lps == NR_LPS, "[%s] race: %u LPs initialised", path_name[p],
	      tdxm.num_init_lps);

	CHECK(bring_up_big() == 0, "race: big bring-up");
	lp_run_on_each_online(race_tdmr_init, NULL, NULL);
	for (unsigned int lp = 0; lp < NR_LPS; lp++) {
		ok += race_ok[lp];
		busy += race_busy[lp];
		other += race_other[lp];
	}
	CHECK(ok == 64 * 256 && other == 0, "[%s] race: %u successes, %u busy, %u other",
	      path_name[p], ok, busy, other);
	a.rcx = 4 * GiB;
	CHECK(call_on(p, 0, TDH_SYS_TDMR_INIT, &a) == TDX_TDMR_ALREADY_INITIALIZED,
	      "[%s] race: done", path_name[p]);
	CHECK(tdx_pamt_check(NULL, 0) == 0, "[%s] race: PAMT check", path_name[p]);
}

int main(void)
{
	struct machine_config cfg;

	machine_big(&cfg);
	if (harness_boot(&cfg) < 0)
		return 1;
	for (enum call_path p = 0; p < NR_PATHS; p++) {
		if (!path_available(p))
			continue;
		test_64g_loop(p);
		test_races(p);
	}
	test_partial();
	test_checker();
	test_dump();
	harness_shutdown();
	printf("test_pamt: %d failures\n", failures);
	return failures ? 1 : 0;
}
