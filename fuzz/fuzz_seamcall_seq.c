// SPDX-License-Identifier: MIT
/*
 * fuzz_seamcall_seq - sequences of SEAMCALLs from a malicious host against the software TDX
 * module on machine "2s" after TDX is enabled (tests/module/harness.c: SYS.INIT, LP.INIT,
 * SYS.CONFIG, KEY.CONFIG, TDMR.INIT, once per process).
 *
 * Input: a sequence of calls, each one byte choosing the leaf (every TDH leaf the module
 * implements but TDH.SYS.SHUTDOWN, a few it does not, or a raw RAX), one byte for the LP and
 * the version, and one operand byte per input register. An operand byte picks a value of the
 * kind the leaf expects from a pool of meaningful ones (pages in TDMR1 the fuzzer hands out,
 * TDR and TDVPR candidates among them, 2 MiB runs, GPA|level words, HKIDs, metadata field
 * IDs, TD_PARAMS variants, host buffers), or (0xF0..0xFF) a value of another kind or a raw
 * u64 from the input. Calls go to the dispatcher directly (the tests' DIRECT path), except
 * TDH.VP.ENTER, which runs a guest through the gate: its code page exits with TDG.VP.VMCALL
 * and loops, so a TD can be entered and left any number of times.
 *
 * Oracle, after EVERY call: tdx_pamt_check() and tdx_sept_check() report nothing. At the end
 * of the input every TD the PAMT knows is torn down in KVM's order (td_teardown() of
 * tests/module/td_teardown.c), which must succeed, and the PAMT must be back to all free
 * (reserved areas aside) with no HKID assigned. Any violation aborts with the call trace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "fuzz_teardown.h"
#include "td.h"
#include "td_harness.h"

/* ---- the pools --------------------------------------------------------------------------- */

#define NR_POOL_4K   32
#define NR_POOL_2M   4
#define POOL_4K(i)   (4 * GiB + (uint64_t)(i)*4 * KiB)
#define POOL_2M(i)   (5 * GiB + (uint64_t)(i)*2 * MiB)
#define PARAMS_PA(i) (0x1030000ULL + (uint64_t)(i)*0x1000)
#define NR_PARAMS    6

/* Pages: the 4K pool, the 2M runs, then pages no leaf should accept. */
static const uint64_t odd_pages[] = {
	1 * GiB + 16 * MiB,		     /* PAMT memory, a reserved area of TDMR0 */
	512 * MiB,			     /* usable TDMR0 page */
	4 * GiB | ((uint64_t)TD_HKID << 40), /* HKID bits set */
	4 * GiB + 0x800,		     /* misaligned */
	3 * GiB,			     /* not RAM, no TDMR */
	1ULL << 46,			     /* beyond MAXPHYADDR */
	ARRAY_PA,			     /* host memory outside the TDMRs */
	POOL_2M(0) + 4 * KiB,		     /* inside a 2M run */
};
#define NR_PAGES (NR_POOL_4K + NR_POOL_2M + sizeof(odd_pages) / sizeof(odd_pages[0]))

static uint64_t pool_page(unsigned int i)
{
	i %= NR_PAGES;
	if (i < NR_POOL_4K)
		return POOL_4K(i);
	if (i < NR_POOL_4K + NR_POOL_2M)
		return POOL_2M(i - NR_POOL_4K);
	return odd_pages[i - NR_POOL_4K - NR_POOL_2M];
}

/* GPAs: around the reset vector, the first pages, level boundaries, shared, beyond GPAW. */
static const uint64_t
	gpas[] =
		{
			0xFFFFF000, 0xFFFFE000,	  0xFFE00000,
			0xC0000000, 0x0,	  0x1000,
			0x200000,   0x201000,	  0x40000000,
			1ULL << 39, 0x1000000000, /* 64 GiB: no window */
			1ULL << 47, 1ULL << 51,	  (1ULL << 47) - 4096,
};

static const uint16_t hkids[] = {TD_HKID, TD_HKID + 1, GLOBAL_HKID, 0, 63, 64, 1, 0xFFFF};

/* The TD VMCS's guest RIP (module/metadata/metadata_td.c), which TDH.VP.WR writes for a debug TD. */
#define GUEST_RIP_FIELD 0x002400030000681EULL
#define GUEST_RIP_CODE	0x681EU

/* Field IDs of every context: TDR/TDCS, TDVPS, TD VMCS, global (tests/module/test_td_metadata.c). */
static const uint64_t fields[] = {
	0x8010000000000001ULL,
	0x8010000200000002ULL,
	0x8010000200000005ULL,
	0x8010000300000010ULL,
	0x8110000100000001ULL,
	0x9010000200000001ULL,
	0x9010000200000004ULL,
	0x1110000300000000ULL,
	0x1110000300000001ULL,
	0x1110000200000002ULL,
	0x1110000000000003ULL,
	0x1110000300000004ULL,
	0x9110000300000010ULL,
	0x1310000300000000ULL,
	0x1310000300000040ULL,
	TDCS_TD_CTLS,
	TDCS_NOTIFY_ENABLES,
	TDCS_TOPOLOGY_ENUM_CONFIGURED,
	GUEST_RIP_FIELD,
	0x0024000300006820ULL,
	0x0024000300006800ULL,
	0x1020000300000000ULL,
	0x1020000300000005ULL,
	0x0220000200000000ULL,
	0x9120000300000100ULL,
	0xA020000000000000ULL,
	0xA020000200000002ULL,
	0xA020000200000004ULL,
	0xA020000000000007ULL,
	0x202000030000000CULL,
	0xA020000300000010ULL,
	MD_FIELD_ID_NUM_CPUID_CONFIG,
	MD_FIELD_ID_MAJOR_VERSION,
	MD_FIELD_ID_TDX_FEATURES0,
	0,
	MD_FIELD_ID_NA,
};

static const uint64_t values[] = {0, 1, ~0ULL, 0x1234, 0xFF, 1ULL << 63};

static const uint64_t bufs[] = {SYSINFO_PA, LIST_PA, CMRINFO_PA, ARRAY_PA, POOL_4K(8), 3 * GiB};

/* ---- operands ---------------------------------------------------------------------------- */

enum kind {
	K_ZERO,
	K_PAGE,	 /* any pool page */
	K_TDR,	 /* pool pages 0..2 */
	K_TDVPR, /* pool pages 4..7 */
	K_GPA,	 /* GPA | level */
	K_HKID,
	K_FIELD,
	K_VALUE,
	K_SRC,	  /* PAGE.ADD source */
	K_PARAMS, /* TD_PARAMS */
	K_BUF,	  /* host buffer */
	K_SMALL,  /* 0..3 */
	K_WBINVD, /* page | HKID << 40 */
	NR_KINDS,
};

static uint64_t operand(struct fuzz_input *in, enum kind k)
{
	uint8_t b = in_u8(in);

	if (k == K_ZERO)
		return 0;
	if (b >= 0xF0) {
		if (b == 0xFF)
			return in_u64(in);
		k = (enum kind)(1 + (b & 0xF) % (NR_KINDS - 1));
		b = in_u8(in);
	}
	switch (k) {
	case K_PAGE:
		return pool_page(b);
	case K_TDR:
		return pool_page(b % 3);
	case K_TDVPR:
		return pool_page(4 + b % 4);
	case K_GPA: {
		unsigned int level = b & 3;
		uint64_t gpa = gpas[(b >> 2) % (sizeof(gpas) / sizeof(gpas[0]))];

		return (gpa & ~(tdx_ps_bytes(level) - 1)) | level;
	}
	case K_HKID:
		return hkids[b % (sizeof(hkids) / sizeof(hkids[0]))];
	case K_FIELD:
		return fields[b % (sizeof(fields) / sizeof(fields[0]))];
	case K_VALUE:
		return values[b % (sizeof(values) / sizeof(values[0]))];
	case K_SRC:
		return b & 1 ? TD_SOURCE_PA : pool_page(b >> 1);
	case K_PARAMS:
		return b % 8 < NR_PARAMS ? PARAMS_PA(b % 8) : pool_page(b);
	case K_BUF:
		return bufs[b % (sizeof(bufs) / sizeof(bufs[0]))];
	case K_SMALL:
		return b & 3;
	case K_WBINVD:
		return pool_page(b >> 2) | ((uint64_t)hkids[b & 3] << HKID_SHIFT);
	default:
		return 0;
	}
}

/* ---- the leaves -------------------------------------------------------------------------- */

struct leaf_desc {
	uint64_t leaf;
	enum kind op[4]; /* RCX, RDX, R8, R9 */
};

/* clang-format off */
static const struct leaf_desc leaves[] = {
	{TDH_MNG_CREATE,	  {K_TDR, K_HKID}},
	{TDH_MNG_KEY_CONFIG,	  {K_TDR}},
	{TDH_MNG_ADDCX,		  {K_PAGE, K_TDR}},
	{TDH_MNG_INIT,		  {K_TDR, K_PARAMS}},
	{TDH_VP_CREATE,		  {K_TDVPR, K_TDR}},
	{TDH_VP_ADDCX,		  {K_PAGE, K_TDVPR}},
	{TDH_VP_INIT,		  {K_TDVPR, K_VALUE, K_VALUE}},
	{TDH_VP_ENTER,		  {K_TDVPR}},
	{TDH_MEM_SEPT_ADD,	  {K_GPA, K_TDR, K_PAGE}},
	{TDH_MEM_PAGE_ADD,	  {K_GPA, K_TDR, K_PAGE, K_SRC}},
	{TDH_MR_EXTEND,		  {K_GPA, K_TDR}},
	{TDH_MR_FINALIZE,	  {K_TDR}},
	{TDH_MEM_PAGE_AUG,	  {K_GPA, K_TDR, K_PAGE}},
	{TDH_MEM_RANGE_BLOCK,	  {K_GPA, K_TDR}},
	{TDH_MEM_RANGE_UNBLOCK,	  {K_GPA, K_TDR}},
	{TDH_MEM_TRACK,		  {K_TDR}},
	{TDH_MEM_PAGE_REMOVE,	  {K_GPA, K_TDR}},
	{TDH_MEM_SEPT_REMOVE,	  {K_GPA, K_TDR}},
	{TDH_MEM_SEPT_RD,	  {K_GPA, K_TDR}},
	{TDH_MNG_RD,		  {K_TDR, K_FIELD}},
	{TDH_MNG_WR,		  {K_TDR, K_FIELD, K_VALUE, K_VALUE}},
	{TDH_VP_RD,		  {K_TDVPR, K_FIELD}},
	{TDH_VP_WR,		  {K_TDVPR, K_FIELD, K_VALUE, K_VALUE}},
	{TDH_PHYMEM_PAGE_RECLAIM, {K_PAGE}},
	{TDH_PHYMEM_PAGE_RDMD,	  {K_PAGE}},
	{TDH_PHYMEM_PAGE_WBINVD,  {K_WBINVD}},
	{TDH_PHYMEM_CACHE_WB,	  {K_SMALL}},
	{TDH_VP_FLUSH,		  {K_TDVPR}},
	{TDH_MNG_VPFLUSHDONE,	  {K_TDR}},
	{TDH_MNG_KEY_FREEID,	  {K_TDR}},
	{TDH_MNG_KEY_RECLAIMID,	  {K_TDR}},
	{TDH_SYS_RD,		  {K_ZERO, K_FIELD}},
	{TDH_SYS_RDALL,		  {K_ZERO, K_BUF, K_FIELD}},
	{TDH_SYS_INFO,		  {K_BUF, K_VALUE, K_BUF, K_SMALL}},
	{TDH_SYS_INIT,		  {K_ZERO}},
	{TDH_SYS_LP_INIT,	  {K_ZERO}},
	{TDH_SYS_KEY_CONFIG,	  {K_ZERO}},
	{TDH_SYS_TDMR_INIT,	  {K_PAGE}},
	{TDH_SYS_CONFIG,	  {K_BUF, K_SMALL, K_HKID}},
	{TDH_SYS_LP_SHUTDOWN,	  {K_ZERO}},
	{TDH_MEM_PAGE_DEMOTE,	  {K_GPA, K_TDR, K_PAGE}},
	{TDH_MEM_SEPT_WR,	  {K_GPA, K_TDR, K_VALUE}},
	/* added after the seed corpus was made: at the end, so the leaves above keep their selectors */
	{TDH_MEM_RD,		  {K_GPA, K_TDR}},
	{TDH_MEM_WR,		  {K_GPA, K_TDR, K_VALUE}},
	{TDH_MEM_PAGE_PROMOTE,	  {K_GPA, K_TDR}},
};
/* clang-format on */
#define NR_LEAVES (sizeof(leaves) / sizeof(leaves[0]))

/* ---- the trace of the current input, printed with a finding ------------------------------ */

#define MAX_CALLS 64

struct call_rec {
	unsigned int lp;
	uint64_t rax, in[4], status;
};

static struct call_rec trace[MAX_CALLS];
static unsigned int nr_trace;

static void print_trace(void)
{
	for (unsigned int i = 0; i < nr_trace; i++) {
		const struct call_rec *c = &trace[i];
		const char *name = tdx_seamcall_leaf_name((unsigned int)(c->rax & 0xFFFF));

		fprintf(stderr,
			"  #%u LP %u %s (rax 0x%llx) rcx 0x%llx rdx 0x%llx r8 0x%llx r9 0x%llx "
			"-> 0x%016llx\n",
			i, c->lp, name ? name : "?", (unsigned long long)c->rax,
			(unsigned long long)c->in[0], (unsigned long long)c->in[1],
			(unsigned long long)c->in[2], (unsigned long long)c->in[3],
			(unsigned long long)c->status);
	}
}

static void __attribute__((noreturn)) finding(const char *what, const char *detail)
{
	fprintf(stderr, "seamcall_seq: %s\n%s\ncalls:\n", what, detail ? detail : "");
	print_trace();
	tdx_pamt_dump(stderr);
	abort();
}

static void check_invariants(void)
{
	static char buf[8192];
	const char *what = fuzz_invariants_broken(buf, sizeof(buf));

	if (what)
		finding(what, buf);
}

/* ---- the machine, once per process ------------------------------------------------------- */

/* The guest: TDG.VP.VMCALL with R10..R15 exposed, forever. */
extern const uint8_t vmcall_loop[], vmcall_loop_end[];
__asm__(".pushsection .rodata\n"
	"vmcall_loop:\n"
	"	xorl %eax, %eax\n"
	"	movl $0xfc00, %ecx\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	jmp vmcall_loop\n"
	"vmcall_loop_end:\n"
	".popsection\n");

static void params_write(void)
{
	struct td_params p[NR_PARAMS];

	for (unsigned int i = 0; i < NR_PARAMS; i++)
		td_params_default(&p[i]);
	p[1].attributes = TDX_TD_ATTR_DEBUG;
	p[2].config_flags |= TDX_CONFIG_FLAGS_GPAW;
	p[2].eptp_controls = tdx_eptp_controls(TDX_EPTP_MT_WB, 5);
	p[3].max_vcpus = 1;
	p[4].xfam = 0; /* x87 and SSE are fixed to 1: rejected */
	p[5].attributes = TDX_TD_ATTR_SEPT_VE_DISABLE;
	for (unsigned int i = 0; i < NR_PARAMS; i++)
		memcpy(hva(PARAMS_PA(i)), &p[i], sizeof(p[i]));
}

/* The machine after bring-up: restored before every input. */
static struct tdx_module_snapshot *fresh;
static bool verify_restore; /* FUZZ_VERIFY_RESTORE=1: each restore compared in full */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct machine_config cfg;
	static uint8_t code[4096];

	(void)argc;
	(void)argv;
	machine_2s(&cfg);
	if (harness_boot(&cfg) < 0 || bring_up(TDX_MODULE_LATEST, S_TDMR, 0) < 0) {
		fprintf(stderr, "seamcall_seq: machine bring-up failed\n");
		exit(1);
	}
	/* Guest code runs on the LP threads; libFuzzer's handlers came first. */
	platform_claim_signals();
	td_code_page(code, vmcall_loop, vmcall_loop_end);
	memcpy(hva(TD_SOURCE_PA), code, sizeof(code));
	params_write();
	verify_restore = getenv("FUZZ_VERIFY_RESTORE") != NULL;
	/* Every input starts from this state (module/snapshot.c). */
	if (tdx_module_snapshot_take(&fresh) < 0) {
		fprintf(stderr, "seamcall_seq: snapshot failed\n");
		exit(1);
	}
	fuzz_checks_start();
	return 0;
}

/* ---- one call ---------------------------------------------------------------------------- */

static void one_call(struct fuzz_input *in)
{
	uint8_t sel = in_u8(in), lpv = in_u8(in);
	struct tdx_module_args a = {0};
	struct call_rec *c = &trace[nr_trace++];
	enum call_path path = PATH_DIRECT;
	uint64_t rax;

	if (sel >= 0xF8) {
		/* A raw RAX with raw registers (never SYS.SHUTDOWN: it ends the machine). */
		rax = in_u64(in);
		if ((rax & 0xFFFF) == TDH_SYS_SHUTDOWN || (rax & 0xFFFF) == TDH_VP_ENTER)
			rax = TDH_SYS_LP_SHUTDOWN;
		a.rcx = in_u64(in);
		a.rdx = in_u64(in);
		a.r8 = in_u64(in);
		a.r9 = in_u64(in);
	} else {
		const struct leaf_desc *d = &leaves[sel % NR_LEAVES];

		rax = d->leaf | ((uint64_t)(lpv >> 7) << 16); /* version 0 or 1 */
		a.rcx = operand(in, d->op[0]);
		a.rdx = operand(in, d->op[1]);
		a.r8 = operand(in, d->op[2]);
		a.r9 = operand(in, d->op[3]);
		if (d->leaf == TDH_VP_ENTER)
			path = PATH_GATE;
	}
	/*
	 * TDH.MEM.WR never writes the guest's code page: guest code runs in this process, and
	 * bytes of the input's choosing there would be code of its choosing (tdxsim is no
	 * security boundary), free to scribble on the host's memory and fail a check that
	 * the module did not.
	 */
	if ((rax & 0xFFFF) == TDH_MEM_WR && (a.rcx & ~0xFFFULL) == TD_CODE_GPA)
		a.rcx -= 0x1000;
	/* For the same reason the code page comes from the guest's code only (a pool page may
	 * hold a SYS.INFO or SYS.RDALL answer by now), and a debug TD's TDH.VP.WR of RIP (a host
	 * address in tdxsim) writes nothing: RIP must not leave the code page for a data page
	 * MEM.WR fills. */
	if ((rax & 0xFFFF) == TDH_MEM_PAGE_ADD && (a.rcx & ~0xFFFULL) == TD_CODE_GPA)
		a.r9 = TD_SOURCE_PA;
	if ((rax & 0xFFFF) == TDH_VP_WR && md_field_id_field_code(a.rdx) == GUEST_RIP_CODE &&
	    md_field_id_class(a.rdx) == md_field_id_class(GUEST_RIP_FIELD))
		a.r9 = 0;
	c->lp = lpv & 3;
	c->rax = rax;
	c->in[0] = a.rcx;
	c->in[1] = a.rdx;
	c->in[2] = a.r8;
	c->in[3] = a.r9;
	c->status = call_on(path, c->lp, rax, &a);
	check_invariants();
}

/* ---- the end of an input: every TD torn down (fuzz_teardown.c) ---------------------------- */

static void teardown_all(void)
{
	static char buf[8192];
	const char *what = fuzz_teardown_all(buf, sizeof(buf));

	if (what)
		finding(what, buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size};

	nr_trace = 0;
	/* Exactly the state after bring-up: module, CACHE.WB progress, memory, hidden pages. */
	if (tdx_module_snapshot_restore(fresh) < 0)
		finding("snapshot restore failed", NULL);
	/* FUZZ_VERIFY_RESTORE=1: the restore, which looks only at what the previous input
	 * touched, against a comparison of everything. */
	if (verify_restore) {
		static char diff[4096];

		if (tdx_module_snapshot_differences(fresh, diff, sizeof(diff)))
			finding("restored state differs from the snapshot", diff);
	}
	while (in.n && nr_trace < MAX_CALLS)
		one_call(&in);
	/* Replaying one input with FUZZ_TRACE=1 shows what it did. */
	if (getenv("FUZZ_TRACE"))
		print_trace();
	teardown_all();
	return 0;
}
